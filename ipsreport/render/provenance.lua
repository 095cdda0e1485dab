--[[
ipsreport provenance: puts an output's provenance record where its format keeps metadata.

ipsreport.provenance.markdown writes the record into a brief's Markdown as two raw blocks:
"ipsreport-html-head" (the <meta> tags, escaped) and "ipsreport-typst-head" (a Typst
`#set document(keywords: ..., description: ...)`, escaped). Under `quarto render` they come
from the brief's first cell, inside its output's divs; under the built-in renderer they
come first in the body. Wherever they are, this filter takes them out and puts them in
place: for HTML, the meta tags go into the page's head; for Typst, the set rule goes first
in the document's body, at the top level, where Typst allows it. Every other format drops
them. The text is used as it is: the Python side escaped it (ipsreport/markup.py).

A project filter (_quarto.yml `filters:`) for Quarto; the built-in renderer runs it itself.
]]

local HTML_HEAD = "ipsreport-html-head"
local TYPST_HEAD = "ipsreport-typst-head"

local found = { [HTML_HEAD] = pandoc.List(), [TYPST_HEAD] = pandoc.List() }

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

local function place(doc)
  local html, typst = found[HTML_HEAD], found[TYPST_HEAD]
  found = { [HTML_HEAD] = pandoc.List(), [TYPST_HEAD] = pandoc.List() }
  if FORMAT:match("html") and #html > 0 then
    add_to_head(doc, table.concat(html, "\n"))
  elseif FORMAT:match("typst") and #typst > 0 then
    doc.blocks:insert(1, pandoc.RawBlock("typst", table.concat(typst, "\n")))
  end
  return doc
end

return {
  { RawBlock = take },
  { Pandoc = place },
}
