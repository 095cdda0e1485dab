--[[
ipsreport links: the document's internal links, made safe for every format, and each
number's account as its link's title.

- An internal link to an identifier the document does not have becomes its text. Typst
  refuses to compile a link to a missing label, and a reader would follow such a link to
  nowhere in HTML; a brief whose numbers link to entries in an appendix it does not end
  with (see ipsreport/presentation/origins.py) then still renders. The identifiers of the
  elements in a raw HTML block count as the document's (that appendix is a raw block for
  each format, with the same identifiers).
- A link to a number's entry in "Tal og kilder" gets the number's account as its title
  (what a browser shows on hover), unless it has a title already. The accounts come from
  the JSON that the appendix's raw HTML block carries for `ipsreport trace` (a script
  element with the id origins.JSON_ID, "ipsreport-tal": {"numbers": [{"id": "tal-3",
  "hover": "..."}, ...]}), so each is written once, not once for every time its number is
  shown. Typst and Word drop a link's title.

Nothing here depends on the output format: the built-in renderer runs this filter once per
document, before the filters of each format; Quarto runs it as a project filter
(_quarto.yml `filters:`).
]]

local JSON_SCRIPT = '<script type="application/json" id="ipsreport%-tal">(.-)</script>'

-- Each walk costs Pandoc a conversion of the elements it visits to Lua and back, and any
-- walk that visits inlines costs as much as one that visits them all. So the common case
-- takes two walks: one over the blocks, one over the inlines that can carry an identifier
-- or be a link; a third only when a link leads nowhere.
return {
  {
    Pandoc = function(doc)
      local found, hovers = {}, {}
      local function note(element)
        if element.identifier ~= nil and element.identifier ~= "" then
          found[element.identifier] = true
        end
      end
      doc:walk({
        Div = note, Header = note, Figure = note, Table = note, CodeBlock = note,
        RawBlock = function(block)
          if block.format ~= "html" then
            return nil
          end
          for id in block.text:gmatch('<%a[^>]- id="([^"]+)"') do
            found[id] = true
          end
          local json = block.text:match(JSON_SCRIPT)
          if json ~= nil then
            local record = pandoc.json.decode(json, false)
            for _, number in ipairs(record.numbers or {}) do
              if type(number.id) == "string" and type(number.hover) == "string" then
                hovers[number.id] = number.hover
              end
            end
          end
        end,
      })
      local unknown = {} -- targets not (yet) found when their link was seen
      doc = doc:walk({
        Span = note, Image = note, Code = note,
        Link = function(link)
          note(link)
          local target = link.target:match("^#(.+)$")
          if target == nil then
            return nil
          end
          if not found[target] then
            unknown[target] = true
          end
          local hover = hovers[target]
          if hover ~= nil and link.title == "" then
            link.title = hover
            return link
          end
        end,
      })
      local dangling = false
      for target in pairs(unknown) do
        dangling = dangling or not found[target]
      end
      if not dangling then
        return doc
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
