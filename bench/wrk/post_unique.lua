-- POST /users with ids never used before: one durable insert (201) per request.
-- Ids are <prefix>-<thread>-<counter>, the prefix unique to the run. Arguments: prefix.
local prefix = "w"
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  prefix = args[1] or prefix
end

function request()
  counter = counter + 1
  local id = string.format("%s-%d-%d", prefix, tid or 0, counter)
  local body = '{"userId":"' .. id .. '","email":"' .. id ..
               '@example.com","name":"Bench User","department":"Performance"}'
  return wrk.format("POST", "/users", headers, body)
end
