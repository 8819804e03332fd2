-- The write path, one connection per thread (wrk -t N -c N): create an invitation, Accept it as the guest
-- tenant's administrator, Confirm it as the owner, then the next (community, guest) pair of this thread.
-- File: "T <token>" lines, then "P <thread> <owner token#> <guest token#> <community id>".
-- Args: file, per-thread offsets ("0,0,…"), folder for the acknowledged transitions, run label.
package.path = (os.getenv("BENCH_LUA_DIR") or ".") .. "/?.lua;" .. package.path
require("common")

local work = {}
local tokens = {}
-- Shared with done() through thread:get.
idx, created, accepted, confirmed, failed, exhausted = 1, 0, 0, 0, 0, 0
statuses = {}
local step, invitation, label, log, idle = 0, nil, "", nil, nil

function init(args)
  local offsets = {}
  for offset in args[2]:gmatch("%d+") do table.insert(offsets, tonumber(offset)) end
  idx = (offsets[tid] or 0) + 1
  for line in io.lines(args[1]) do
    local kind = line:sub(1, 1)
    if kind == "T" then
      table.insert(tokens, "Bearer " .. line:sub(3))
    elseif kind == "P" then
      local t, owner, guest, community = line:match("^P (%d+) (%d+) (%d+) (%S+)$")
      if tonumber(t) == tid then
        table.insert(work, { owner = tokens[tonumber(owner)], guest = tokens[tonumber(guest)], community = community })
      end
    end
  end
  label = args[4]
  log = io.open(args[3] .. "/acks-" .. label .. "-" .. tid .. ".txt", "w")
  idle = wrk.format("GET", "/health/live")
end

-- Pure: wrk calls it once more than it sends (to check for pipelining), so the state moves in response().
function request()
  local pair = work[idx]
  if pair == nil then return idle end
  if step == 0 then
    local body = string.format('{"InvitationRecipient":"w%d-%d-%s@guests.bench.example"}', tid, idx, label)
    return wrk.format("POST", "/api/v1-preview/communities/" .. pair.community .. "/invitations",
      { Authorization = pair.owner, ["Content-Type"] = "application/json" }, body)
  elseif step == 1 then
    local body = string.format('{"Action":"Accept","ContactEmail":"c%d-%d-%s@guests.bench.example"}', tid, idx, label)
    return wrk.format("PUT", "/api/v1-preview/communityinvitations/" .. invitation,
      { Authorization = pair.guest, ["Content-Type"] = "application/json" }, body)
  else
    return wrk.format("PUT", "/api/v1-preview/communityinvitations/" .. invitation,
      { Authorization = pair.owner, ["Content-Type"] = "application/json" }, '{"Action":"Confirm"}')
  end
end

local function next_pair()
  idx = idx + 1
  step = 0
  invitation = nil
end

function response(status, headers, body)
  if work[idx] == nil then
    exhausted = exhausted + 1
    return
  end
  statuses[status] = (statuses[status] or 0) + 1
  if step == 0 and status == 201 then
    invitation = body:match('"Id":"([0-9a-fA-F%-]+)"')
    created = created + 1
    log:write("N ", invitation, "\n")
    step = 1
  elseif step == 1 and status == 202 then
    accepted = accepted + 1
    log:write("A ", invitation, "\n")
    step = 2
  elseif step == 2 and status == 202 then
    confirmed = confirmed + 1
    log:write("C ", invitation, "\n")
    next_pair()
  else
    failed = failed + 1
    log:write("F ", tostring(status), " ", step, " ", tostring(invitation), "\n")
    next_pair()
  end
end

function done(summary, latency, requests_)
  local parts = {}
  for _, thread in ipairs(threads) do
    local codes = {}
    for code, n in pairs(thread:get("statuses") or {}) do table.insert(codes, string.format('"%d":%d', code, n)) end
    table.insert(parts, string.format(
      '{"tid":%d,"next":%d,"created":%d,"accepted":%d,"confirmed":%d,"failed":%d,"exhausted":%d,"statuses":{%s}}',
      thread:get("tid"), thread:get("idx"), thread:get("created"), thread:get("accepted"),
      thread:get("confirmed"), thread:get("failed"), thread:get("exhausted"), table.concat(codes, ",")))
  end
  report(summary, latency, ',"threads":[' .. table.concat(parts, ",") .. "]")
end
