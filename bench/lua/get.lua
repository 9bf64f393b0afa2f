-- GET of the URL given to wrk, with a bearer token when one is given.
-- wrk ... -s get.lua URL -- [TOKEN]
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

function init(args)
  if args[1] and args[1] ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
end
