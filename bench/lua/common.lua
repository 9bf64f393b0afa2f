-- Shared by every scenario script (loaded with dofile): counts every answer that is
-- not a 2xx (3xx included: wrk itself only counts codes above 399) and prints one
-- machine-readable line when the run ends, which bench/wrk.py parses.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

non2xx = 0
first_bad_status = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad_status == 0 then
      first_bad_status = status
    end
  end
end

function done(summary, latency, requests)
  local bad, first_bad = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if first_bad == 0 then
      first_bad = thread:get("first_bad_status")
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"non2xx": %d, "first_bad_status": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "timeouts": %d}\n',
    summary.requests, summary.duration, latency:percentile(50.0), latency:percentile(99.0), latency.max,
    bad, first_bad, errors.connect, errors.read, errors.write, errors.timeout
  ))
end

-- JSON string literal for the plain ASCII values the scenarios send.
function json_string(value)
  return '"' .. tostring(value):gsub('[%c"\\]', "") .. '"'
end

-- "a,b,c" -> {"a", "b", "c"}
function split_commas(text)
  local items = {}
  for item in string.gmatch(text, "[^,]+") do
    table.insert(items, item)
  end
  return items
end

-- This thread's share of `items`: thread k of n takes items k+1, k+1+n, ... so that two
-- threads never write the same task.
function thread_share(items, thread_count)
  local share = {}
  for i = thread_index + 1, #items, thread_count do
    table.insert(share, items[i])
  end
  return share
end

function bearer(token)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end
