-- Prepended to every scenario by bench/run.py: gives each wrk thread its number as `tid`.
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
