--[[
ipsreport docx: what a Word document needs that the HTML and the PDF get another way.

For FORMAT docx only (every other format passes through unchanged):

- A block a brief writes twice, as raw HTML for the web page and raw Typst for the PDF
  (presentation.brief.raw: the letter's letterhead), would be dropped by the docx writer,
  which keeps no raw HTML. The HTML one is read as HTML instead, so its text and structure
  (paragraphs, line breaks, emphasis, classes) reach the document; raw Typst is dropped.
- A div whose class names a paragraph style of the reference document
  (templates/reference.docx, built by templates/build_reference_docx.py) gets that style
  (Pandoc's custom-style), so the letter's sender block, recipient and note keep their
  layout as far as Word's paragraph styles allow. Word has no blocks side by side outside
  a table, so in a letterhead the sender block (right-aligned) comes before the recipient,
  as it stands higher on the PDF's page.
- Word chooses its proofing language by language and region: a bare `lang: da` becomes
  da-DK (the region CLDR gives each language as its likely one).

A project filter (_quarto.yml `filters:`) for Quarto; the built-in renderer runs it itself.
]]

-- Div class -> paragraph style of templates/reference.docx.
local STYLES = {
  ["recipient"] = "Modtager i brev",
  ["sender"] = "Afsender i brev",
  ["letter-note"] = "Note i brev",
}

-- CLDR's likely region for the languages a brief may be written in.
local REGIONS = { da = "DK", en = "US", de = "DE", sv = "SE", nb = "NO", nn = "NO", fi = "FI" }

local function is_docx()
  return FORMAT:match("docx") ~= nil
end

local function Meta(meta)
  if meta.lang == nil then
    return nil
  end
  local lang = pandoc.utils.stringify(meta.lang)
  local region = REGIONS[lang:lower()]
  if region ~= nil then
    meta.lang = pandoc.MetaString(lang:lower() .. "-" .. region)
    return meta
  end
end

local function RawBlock(block)
  if block.format == "html" then
    return pandoc.read(block.text, "html").blocks
  end
end

local function RawInline(inline)
  if inline.format == "html" then
    return pandoc.utils.blocks_to_inlines(pandoc.read(inline.text, "html").blocks)
  end
end

local function sender_first(div)
  local senders, others = pandoc.List(), pandoc.List()
  for _, block in ipairs(div.content) do
    if block.t == "Div" and block.classes:includes("sender") then
      senders:insert(block)
    else
      others:insert(block)
    end
  end
  div.content = senders .. others
  return div
end

local function Div(div)
  if div.attributes["custom-style"] ~= nil then
    return nil
  end
  if div.classes:includes("letterhead") then
    return sender_first(div)
  end
  for _, class in ipairs(div.classes) do
    if STYLES[class] ~= nil then
      div.attributes["custom-style"] = STYLES[class]
      return div
    end
  end
end

if not is_docx() then
  return {}  -- no walk at all: each would cost Pandoc a conversion of the whole document
end

return {
  { Meta = Meta },
  { RawBlock = RawBlock, RawInline = RawInline },
  { Div = Div },
}
