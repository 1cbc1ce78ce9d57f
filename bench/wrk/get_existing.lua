-- GET /users/{id} over random existing ids: user-000000 .. user-<N-1>, as preloaded by run.py.
-- Arguments (after `--`): N.
local count = 10000

function init(args)
  count = tonumber(args[1]) or count
  math.randomseed(os.time() + (tid or 0) * 7919)
end

function request()
  return wrk.format("GET", string.format("/users/user-%06d", math.random(0, count - 1)))
end
