-- PUT /api/{user_id}/tasks/{task_id} over this thread's share of the tasks, round robin,
-- with a new title every time (a real write).
-- wrk ... -s replace.lua BASE_URL -- TOKEN USER_ID THREADS ID,ID,...
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local paths, headers
local counter = 0

function init(args)
  headers = bearer(args[1])
  paths = {}
  for _, id in ipairs(thread_share(split_commas(args[4]), tonumber(args[3]))) do
    table.insert(paths, "/api/" .. args[2] .. "/tasks/" .. id)
  end
end

function request()
  local path = paths[counter % #paths + 1]
  counter = counter + 1
  local body = string.format(
    '{"title": "Replaced %d-%d", "description": "Replaced by the benchmark", "completed": %s}',
    thread_index, counter, counter % 3 == 0 and "true" or "false"
  )
  return wrk.format("PUT", path, headers, body)
end
