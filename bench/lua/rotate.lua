-- wrk script: cycle through pre-rendered raw HTTP requests (bench/wrk.py writes them, NUL-separated).
-- Usage: wrk ... -s bench/lua/rotate.lua <url> -- <requests file>
-- done() prints "BENCH issued=<n> wrapped=<n>": wrapped > 0 means some requests were sent twice
-- (harmless for reads; for webhooks the harness refuses the round, ids must be unique).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  n = 0
  i = 0
  issued = 0
  wrapped = 0
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  for r in string.gmatch(data, "[^%z]+") do
    n = n + 1
    reqs[n] = r
  end
  assert(n > 0, "no requests in " .. args[1])
end

function request()
  i = i + 1
  if i > n then
    i = 1
    wrapped = wrapped + 1
  end
  issued = issued + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local issued_total, wrapped_total = 0, 0
  for _, t in ipairs(threads) do
    issued_total = issued_total + t:get("issued")
    wrapped_total = wrapped_total + t:get("wrapped")
  end
  io.write(string.format("BENCH issued=%d wrapped=%d\n", issued_total, wrapped_total))
end
