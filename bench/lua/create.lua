-- POST /api/{user_id}/tasks, a different title every time.
-- wrk ... -s create.lua BASE_URL -- TOKEN USER_ID
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local path, headers
local counter = 0

function init(args)
  path = "/api/" .. args[2] .. "/tasks"
  headers = bearer(args[1])
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"title": "Bench task %d-%d", "description": "Created by the benchmark, request %d"}',
    thread_index, counter, counter
  )
  return wrk.format("POST", path, headers, body)
end
