-- POST /api/auth/login with the same credentials every time (a bcrypt verify each).
-- wrk ... -s login.lua BASE_URL/api/auth/login -- USERNAME PASSWORD
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"username_or_email": ' .. json_string(args[1]) .. ', "password": ' .. json_string(args[2]) .. "}"
end
