--[[
ipsreport pandoc server: one `pandoc lua` process that converts document after document.

Started by ipsreport/render/_pandoc.py as `pandoc lua pandoc_server.lua N FILTER...`. Each
line on stdin is a JSON request for one document; each answer is one JSON line on stdout.
A request:

  {"body": "<markdown file>",
   "outputs": [{"to": "html5" | "typst" | "docx", "template": "<template file>",
                "reference_doc": "<reference docx>", "metadata": "<YAML text>",
                "variables": {...}, "embed_images": true | false,
                "output": "<file to write>"}]}

What each output gets is what the command line
`pandoc BODY --from markdown --to TO --template TEMPLATE --metadata-file META
--defaults VARIABLES --lua-filter FILTER... --output OUTPUT` gives (the same bytes): the
body is read once, its first N filters (which do not depend on the output format) run on
it once, and the others on a fresh copy for each format (with FORMAT set as Pandoc sets
it). With "embed_images", every image's source becomes a data: URI, as Pandoc's
--embed-resources does for <img> (which the Lua API does not offer).

Other keys of an output are the caller's own and ignored here. The answer is
{"warnings": [...]}, with "error": "..." if the document failed and "output": N if its N-th
output did; warnings are Pandoc's log messages as JSON ("pretty" is the text). An error in
one document does not stop the server.
]]

local ONCE = assert(tonumber(arg[1]), "the number of filters to run once")
local FILTERS = { table.unpack(arg, 2) }

local function slurp(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("a")
  file:close()
  return text
end

local function spit(path, text)
  local file = assert(io.open(path, "wb"))
  file:write(text)
  file:close()
end

-- Compiled templates, by path: a batch uses the same two for every document.
local templates = {}
local function template(path)
  if templates[path] == nil then
    templates[path] = pandoc.template.compile(slurp(path), path)
  end
  return templates[path]
end

-- Image paths are relative to the folder of the body's file.
local function embed_images(doc, folder)
  return doc:walk({
    Image = function(image)
      if image.src:match("^data:") then
        return nil
      end
      local path = pandoc.path.is_relative(image.src) and pandoc.path.join({ folder, image.src })
        or image.src
      local mime, contents = pandoc.mediabag.fetch(path)
      image.src = pandoc.mediabag.make_data_uri(mime, contents)
      return image
    end,
  })
end

-- Images put in the media bag under the names the document gives them, read from the
-- body's folder, for a writer that reads the images itself (docx): the names, not the
-- temporary folder, reach the file (a docx keeps an image's path in its properties).
local function bag_images(doc, folder)
  doc:walk({
    Image = function(image)
      if image.src:match("^data:") or not pandoc.path.is_relative(image.src) then
        return nil
      end
      local mime, contents = pandoc.mediabag.fetch(pandoc.path.join({ folder, image.src }))
      pandoc.mediabag.insert(image.src, mime, contents)
    end,
  })
end

-- The filters from position first to last, each read afresh (a filter keeps a document's
-- numbering in its own variables).
local function run_filters(doc, first, last)
  for position = first, last do
    for _, filter in ipairs(dofile(FILTERS[position])) do
      doc = doc:walk(filter)
    end
  end
  return doc
end

-- Convert one request; on an error, say which output (its number) failed.
local function convert(request)
  local body = pandoc.read(slurp(request.body), "markdown")
  -- The filters that do not depend on the format (FORMAT is still set, to the first's).
  FORMAT = request.outputs[1] and request.outputs[1].to or "html5"
  body = run_filters(body, 1, ONCE)
  for index, output in ipairs(request.outputs) do
    local ok, problem = pcall(function()
      -- --metadata-file: YAML whose strings are read as Markdown, like a front matter's.
      local meta = pandoc.read("---\n" .. output.metadata .. "\n---\n", "markdown").meta
      local doc = body:clone()
      doc.meta = meta
      FORMAT = output.to
      doc = run_filters(doc, ONCE + 1, #FILTERS)
      if output.embed_images then
        doc = embed_images(doc, pandoc.path.directory(request.body))
      end
      local options = { variables = output.variables }
      if output.template ~= nil then
        options.template = template(output.template)
      end
      if output.reference_doc ~= nil then
        options.reference_doc = output.reference_doc
        pandoc.mediabag.empty()
        bag_images(doc, pandoc.path.directory(request.body))
      end
      spit(output.output, pandoc.write(doc, output.to, options))
    end)
    if not ok then
      error({ output = index, message = tostring(problem) })
    end
  end
end

for line in io.lines() do
  local request = pandoc.json.decode(line, false)
  -- Pandoc's warnings (and the filter's) are kept, not printed: the caller reports them.
  local logged, ok, problem = pandoc.log.silence(pcall, convert, request)
  local answer = { warnings = logged }
  if not ok then
    if type(problem) == "table" then
      answer.error, answer.output = problem.message, problem.output
    else
      answer.error = tostring(problem)
    end
  end
  io.stdout:write(pandoc.json.encode(answer), "\n")
  io.stdout:flush()
end
