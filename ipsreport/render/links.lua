--[[
ipsreport links: the document's internal links, made safe for every format.

An internal link to an identifier the document does not have becomes its text. Typst
refuses to compile a link to a missing label, and a reader would follow such a link to
nowhere in HTML; a brief whose numbers link to entries in an appendix it does not end with
(see ipsreport/presentation/origins.py) then still renders. The identifiers of the
elements in a raw HTML block count as the document's (that appendix is a raw block for each
format, with the same identifiers).

A project filter (_quarto.yml `filters:`) for Quarto; the built-in renderer runs it itself.
]]

-- Each walk costs Pandoc a conversion of the document to Lua and back, so the common case
-- (every link leads somewhere) takes one walk, by element type (a walk with a function for
-- every Block and Inline would convert each element).
return {
  {
    Pandoc = function(doc)
      local found, targets = {}, {}
      local function note(element)
        if element.identifier ~= nil and element.identifier ~= "" then
          found[element.identifier] = true
        end
      end
      doc:walk({
        Div = note, Header = note, Figure = note, Table = note, CodeBlock = note,
        Span = note, Image = note, Code = note,
        RawBlock = function(block)
          if block.format == "html" then
            for id in block.text:gmatch('<%a[^>]- id="([^"]+)"') do
              found[id] = true
            end
          end
        end,
        Link = function(link)
          note(link)
          local target = link.target:match("^#(.+)$")
          if target ~= nil then
            table.insert(targets, target)
          end
        end,
      })
      local dangling = false
      for _, target in ipairs(targets) do
        dangling = dangling or not found[target]
      end
      if not dangling then
        return nil
      end
      return doc:walk({
        Link = function(link)
          local target = link.target:match("^#(.+)$")
          if target ~= nil and not found[target] then
            return link.content
          end
        end,
      })
    end,
  },
}
