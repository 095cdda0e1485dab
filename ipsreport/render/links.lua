--[[
ipsreport links: the document's internal links, made safe for every format.

- An internal link to an identifier the document does not have becomes its text. Typst
  refuses to compile a link to a missing label, and a reader would follow such a link to
  nowhere in HTML; a brief whose numbers link to entries in an appendix it does not end
  with (see ipsreport/presentation/origins.py) then still renders.
- A span of class "tal-forklaring" is a number's account that an HTML page shows on hover
  and on keyboard focus, named by the link before it (aria-describedby). Outside HTML it
  is dropped (the number links to its entry in the appendix instead); in HTML each gets an
  identifier of its own, and its link follows, where the same Markdown came twice (two
  identical inline expressions give the same text).

A project filter (_quarto.yml `filters:`) for Quarto; the built-in renderer runs it itself.
]]

local TIP = "tal-forklaring"

local function identifiers(doc)
  local found = {}
  local function note(element)
    if element.identifier ~= nil and element.identifier ~= "" then
      found[element.identifier] = (found[element.identifier] or 0) + 1
    end
  end
  doc:walk({ Block = note, Inline = note })
  return found
end

-- In HTML: give every tooltip a unique identifier, and the link just before it the same.
local function unique_tips(inlines, used)
  for index, inline in ipairs(inlines) do
    if inline.t == "Span" and inline.classes:includes(TIP) then
      local base, id, n = inline.identifier, inline.identifier, 1
      while used[id] do
        n = n + 1
        id = base .. "-" .. n
      end
      used[id] = true
      inline.identifier = id
      local before = inlines[index - 1]
      if before ~= nil and before.t == "Link" then
        before.attributes["aria-describedby"] = id
      end
    end
  end
  return inlines
end

return {
  {
    Pandoc = function(doc)
      local found = identifiers(doc)
      local html = FORMAT:match("html") ~= nil
      local used = {}
      return doc:walk({
        Link = function(link)
          local target = link.target:match("^#(.+)$")
          if target ~= nil and not found[target] then
            return link.content
          end
        end,
        Span = function(span)
          if not html and span.classes:includes(TIP) then
            return {}
          end
        end,
        Inlines = function(inlines)
          if html then
            return unique_tips(inlines, used)
          end
        end,
      })
    end,
  },
}
