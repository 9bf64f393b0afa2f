-- PATCH /api/{user_id}/tasks/{task_id}/complete over this thread's share of the tasks,
-- round robin; each pass flips {"completed": true/false}, so every request really writes.
-- wrk ... -s complete.lua BASE_URL -- TOKEN USER_ID THREADS ID,ID,...
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local paths, headers
local counter = 0

function init(args)
  headers = bearer(args[1])
  paths = {}
  for _, id in ipairs(thread_share(split_commas(args[4]), tonumber(args[3]))) do
    table.insert(paths, "/api/" .. args[2] .. "/tasks/" .. id .. "/complete")
  end
end

function request()
  local pass = math.floor(counter / #paths)
  local path = paths[counter % #paths + 1]
  counter = counter + 1
  local body = pass % 2 == 0 and '{"completed": true}' or '{"completed": false}'
  return wrk.format("PATCH", path, headers, body)
end
