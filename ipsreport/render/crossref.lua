--[[
ipsreport crossref: Quarto-style figure and table numbers for plain Pandoc.

Figures whose identifier starts with "fig-" and tables whose identifier starts with "tbl-"
are numbered in document order, each kind on its own; their captions get the prefix
"Figur 1: " / "Tabel 1: " (in the document's language), and citations of them (@fig-x,
[@tbl-y]) become links reading "Figur 1" / "Tabel 1". Unlabelled figures and tables are
not numbered, as in Quarto. The same numbers go into the HTML and the Typst output; for
Typst, Typst's own figure numbering is switched off in the body so nothing is counted twice.

Images with a "fig-alt" attribute get it as their alternative text (HTML alt, Typst alt).
]]

local TITLES = {
  da = { fig = "Figur", tbl = "Tabel" },
  en = { fig = "Figure", tbl = "Table" },
}

local titles = TITLES.da
local numbers = {}
local counts = { fig = 0, tbl = 0 }

local function kind_of(identifier)
  if identifier == nil then
    return nil
  end
  return identifier:match("^(fig)%-") or identifier:match("^(tbl)%-")
end

local function warn(message)
  pandoc.log.warn("ipsreport crossref: " .. message)
end

local function read_language(meta)
  local lang = meta.lang and pandoc.utils.stringify(meta.lang) or "da"
  local base = lang:match("^(%a+)") or "da"
  titles = TITLES[base:lower()] or TITLES.da
end

local function label_for(identifier)
  local kind = kind_of(identifier)
  return titles[kind] .. "\u{A0}" .. tostring(numbers[identifier])
end

-- Prefix a caption (a list of blocks) with "Figur 1: ".
local function prefix_caption(caption, identifier)
  local prefix = { pandoc.Str(label_for(identifier) .. ":"), pandoc.Space() }
  local long = caption.long
  if #long == 0 then
    caption.long = { pandoc.Plain({ pandoc.Str(label_for(identifier)) }) }
    return caption
  end
  local first = long[1]
  if first.t == "Plain" or first.t == "Para" then
    first.content = pandoc.List(prefix) .. first.content
  else
    long:insert(1, pandoc.Plain(prefix))
  end
  return caption
end

local function number(identifier)
  local kind = kind_of(identifier)
  if kind == nil then
    return false
  end
  if numbers[identifier] ~= nil then
    warn("duplicate identifier " .. identifier)
    return false
  end
  counts[kind] = counts[kind] + 1
  numbers[identifier] = counts[kind]
  return true
end

-- Figures and tables alike: number the element and prefix its caption ("Figur 1: ").
local function numbered(element)
  if number(element.identifier) then
    element.caption = prefix_caption(element.caption, element.identifier)
    return element
  end
end

local function Cite(cite)
  local parts = pandoc.List()
  for _, citation in ipairs(cite.citations) do
    if kind_of(citation.id) == nil then
      return nil -- a real citation: leave it to Pandoc
    end
  end
  for index, citation in ipairs(cite.citations) do
    if index > 1 then
      parts:extend({ pandoc.Str(","), pandoc.Space() })
    end
    if numbers[citation.id] == nil then
      warn("unknown cross-reference @" .. citation.id)
      parts:insert(pandoc.Strong({ pandoc.Str("?@" .. citation.id) }))
    else
      parts:insert(pandoc.Link({ pandoc.Str(label_for(citation.id)) }, "#" .. citation.id))
    end
  end
  return parts
end

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function Image(image)
  local alt = image.attributes["fig-alt"]
  if alt == nil then
    return nil
  end
  image.attributes["fig-alt"] = nil
  if FORMAT == "typst" then
    local args = typst_string(image.src) .. ", alt: " .. typst_string(alt)
    local width = image.attributes["width"]
    if width ~= nil then
      args = args .. ", width: " .. width
    end
    return pandoc.RawInline("typst", "#box(image(" .. args .. "))")
  end
  image.caption = { pandoc.Str(alt) }
  return image
end

local function Pandoc(doc)
  if FORMAT == "typst" then
    -- Numbers are in the captions already; stop Typst from counting a second time.
    doc.blocks:insert(1, pandoc.RawBlock("typst", "#set figure(numbering: none)"))
  end
  return doc
end

return {
  { Meta = read_language },
  { Figure = numbered, Table = numbered, traverse = "topdown" },
  { Cite = Cite, Image = Image },
  { Pandoc = Pandoc },
}
