--[[
ipsreport links: the document's internal links, made safe for every format.

- An internal link to an identifier the document does not have becomes its text. Typst
  refuses to compile a link to a missing label, and a reader would follow such a link to
  nowhere in HTML; a brief whose numbers link to entries in an appendix it does not end
  with (see ipsreport/presentation/origins.py) then still renders. The identifiers of
  the elements in a raw HTML block count as the document's (that appendix is a raw block
  for each format).
- A number's account that an HTML page shows on hover and on keyboard focus is raw HTML, a
  span of class "tal-forklaring" named by the link before it (aria-describedby), between
  the raw HTML that opens and closes the span holding both (see
  ipsreport/presentation/origins.py). Outside HTML they are dropped here, before another
  filter could read them as HTML (the number links to its entry in the appendix instead);
  in HTML each account gets an identifier of its own, and its link follows, where the same
  Markdown came twice (two identical inline expressions give the same text).

A project filter (_quarto.yml `filters:`) for Quarto; the built-in renderer runs it itself.
]]

local TIP_ID = '^<span id="([^"]+)" class="tal%-forklaring"'
local HOLDER = '<span class="tal-tal">'

-- Each walk costs Pandoc a conversion of the document to Lua and back, so the common case
-- (every link leads somewhere, no account came twice) takes one walk, by element type (a
-- walk with a function for every Block and Inline would convert each element).
return {
  {
    Pandoc = function(doc)
      local html = FORMAT:match("html") ~= nil
      local found, targets = {}, {}
      local function note(element)
        if element.identifier ~= nil and element.identifier ~= "" then
          found[element.identifier] = true
        end
      end
      -- In HTML: every account an identifier of its own ("tal-3-1", then "tal-3-1-2"),
      -- in document order; names[id] lists what each account that had ``id`` is now
      -- called, for the links that name them, which come in the same order.
      local used, names, renamed = {}, {}, false
      doc = doc:walk({
        Div = note, Header = note, Figure = note, Table = note, CodeBlock = note,
        Span = note, Image = note, Code = note,
        -- A raw HTML block's elements are targets too (the appendix of numbers' accounts
        -- is one, for each format a raw block, with the same identifiers).
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
        RawInline = function(inline)
          if inline.format ~= "html" then
            return nil
          end
          local id = inline.text:match(TIP_ID)
          if id == nil then
            if not html and inline.text == HOLDER then
              return {}
            end
            return nil
          end
          if not html then
            return {}
          end
          local unique, n = id, 1
          while used[unique] do
            n = n + 1
            unique = id .. "-" .. n
          end
          used[unique] = true
          names[id] = names[id] or {}
          table.insert(names[id], unique)
          if unique ~= id then
            renamed = true
            inline.text = inline.text:gsub('^<span id="[^"]+"', '<span id="' .. unique .. '"', 1)
            return inline
          end
        end,
      })
      local dangling = false
      for _, target in ipairs(targets) do
        dangling = dangling or not found[target]
      end
      if not dangling and not renamed then
        return doc
      end
      local seen = {}
      return doc:walk({
        Link = function(link)
          local tip, name = link.attributes["aria-describedby"], nil
          if html and tip ~= nil and names[tip] ~= nil then
            seen[tip] = (seen[tip] or 0) + 1  -- counted first: a dropped link keeps order
            name = names[tip][seen[tip]]
          end
          local target = link.target:match("^#(.+)$")
          if target ~= nil and not found[target] then
            return link.content
          end
          if name ~= nil and name ~= tip then
            link.attributes["aria-describedby"] = name
            return link
          end
        end,
      })
    end,
  },
}
