-- GET a rotation of paths with fixed headers (If-None-Match, Authorization, Origin, ...).
-- Usage: wrk ... -s get.lua URL -- DATA_FILE RUN_ID
dofile("statuses.lua")

local requests, counter

function init(args)
  local data = dofile(args[1])
  requests = {}
  for i, item in ipairs(data.items) do
    requests[i] = wrk.format("GET", item[1], data.headers)
  end
  counter = 0
end

function request()
  counter = counter + 1
  return requests[counter % #requests + 1]
end
