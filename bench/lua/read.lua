-- Random requests from a prepared file: "T <token>" lines (numbered from 1), then "R <METHOD> <token#> <path>".
-- Every request is formatted once in init; request() picks one uniformly.
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
require("common")

local requests = {}

function init(args)
  local tokens = {}
  for line in io.lines(args[1]) do
    local kind = line:sub(1, 1)
    if kind == "T" then
      table.insert(tokens, "Bearer " .. line:sub(3))
    elseif kind == "R" then
      local method, token, path = line:match("^R (%u+) (%d+) (%S+)$")
      table.insert(requests, wrk.format(method, path, { Authorization = tokens[tonumber(token)] }))
    end
  end
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  return requests[math.random(#requests)]
end

function done(summary, latency, requests_)
  report(summary, latency)
end
