-- Shared by the wrk scripts: one seed per thread, and BENCH_HOSTS ("host:port,host:port") to spread the
-- threads over several service instances (thread i connects to host i mod n).
local hosts = os.getenv("BENCH_HOSTS")
local addrs = nil
local counter = 0
threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
  if hosts ~= nil and hosts ~= "" then
    if addrs == nil then
      addrs = {}
      for host, port in hosts:gmatch("([^,:]+):(%d+)") do
        table.insert(addrs, wrk.lookup(host, port)[1])
      end
    end
    thread.addr = addrs[(counter - 1) % #addrs + 1]
  end
end

-- One JSON line the bench parses: totals, and latency percentiles in microseconds.
function report(summary, latency, extra)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}%s}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, extra or ""))
end
