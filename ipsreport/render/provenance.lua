--[[
ipsreport provenance: puts an output's provenance record where its format keeps metadata.

ipsreport.provenance.markdown writes the record into a brief's Markdown as three raw
blocks: "ipsreport-html-head" (the <meta> tags, escaped), "ipsreport-typst-head" (a Typst
`#set document(keywords: ..., description: ...)`, escaped) and "ipsreport-fields" (the
fields as one line of JSON). Under `quarto render` they come from the brief's first cell,
inside its output's divs; under the built-in renderer they come first in the body.
Wherever they are, this filter takes them out and puts them in place: for HTML, the meta
tags go into the page's head; for Typst, the set rule goes first in the document's body, at
the top level, where Typst allows it; for Word (docx), each field becomes a metadata string,
which Pandoc's docx writer stores as a custom document property (docProps/custom.xml).
Every other format drops them. The text is used as it is: the Python side escaped it
(ipsreport/markup.py).

A project filter (_quarto.yml `filters:`) for Quarto; the built-in renderer runs it itself.
]]

local HTML_HEAD = "ipsreport-html-head"
local TYPST_HEAD = "ipsreport-typst-head"
local FIELDS = "ipsreport-fields"

local function nothing_found()
  return { [HTML_HEAD] = pandoc.List(), [TYPST_HEAD] = pandoc.List(), [FIELDS] = pandoc.List() }
end

local found = nothing_found()

local function take(block)
  if found[block.format] ~= nil then
    found[block.format]:insert(block.text)
    return {}
  end
end

local function add_to_head(doc, html)
  if quarto ~= nil and quarto.doc ~= nil and quarto.doc.include_text ~= nil then
    quarto.doc.include_text("in-header", html)
    return
  end
  local includes = doc.meta["header-includes"]
  if includes == nil then
    includes = pandoc.MetaList({})
  elseif pandoc.utils.type(includes) ~= "List" then
    includes = pandoc.MetaList({ includes })
  end
  includes:insert(pandoc.MetaBlocks({ pandoc.RawBlock("html", html) }))
  doc.meta["header-includes"] = includes
end

-- Each field as a plain string (never read as Markdown), in name order.
local function add_properties(doc, records)
  for _, text in ipairs(records) do
    local fields = pandoc.json.decode(text, false)
    local names = {}
    for name in pairs(fields) do
      table.insert(names, name)
    end
    table.sort(names)
    for _, name in ipairs(names) do
      doc.meta[name] = pandoc.MetaString(tostring(fields[name]))
    end
  end
end

local function place(doc)
  local html, typst, fields = found[HTML_HEAD], found[TYPST_HEAD], found[FIELDS]
  found = nothing_found()
  if FORMAT:match("html") and #html > 0 then
    add_to_head(doc, table.concat(html, "\n"))
  elseif FORMAT:match("typst") and #typst > 0 then
    doc.blocks:insert(1, pandoc.RawBlock("typst", table.concat(typst, "\n")))
  elseif FORMAT:match("docx") and #fields > 0 then
    add_properties(doc, fields)
  end
  return doc
end

return {
  { RawBlock = take },
  { Pandoc = place },
}
