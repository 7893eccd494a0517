-- wrk script: every request pings the next of the check URLs listed, one per
-- line, in the file named by the URLS_FILE environment variable, so the load
-- spreads over all checks instead of hammering one row.
local urls = {}
local i = 0

function init(args)
  local f = assert(io.open(os.getenv("URLS_FILE"), "r"))
  for line in f:lines() do
    if #line > 0 then urls[#urls + 1] = line end
  end
  f:close()
  -- Each wrk thread starts at a different offset.
  i = math.random(#urls)
end

function request()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end

-- Non-2xx answers count as errors in wrk's summary line "Non-2xx or 3xx".
