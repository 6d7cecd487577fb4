-- POST pre-generated comment bodies in rotation (a data file written by bench/workload.py).
-- Usage: wrk ... -s post.lua URL -- DATA_FILE RUN_ID
-- With data.unique, a per-request id is spliced between each item's head and tail (the author's
-- email), so per-author and duplicate rules see distinct authors across runs. With
-- data.forwarded, each request carries its own X-Forwarded-For (a /64 of 2001:db8::/32, the
-- documentation prefix), as behind a CDN, so per-IP rules see distinct clients.
dofile("statuses.lua")

local data, items, counter, prefix, client

function init(args)
  data = dofile(args[1])
  items = data.items
  counter = 0
  local run = tonumber(args[2]) or 0
  prefix = run .. "-" .. (thread_id or 1) .. "-"
  client = (run * 8 + (thread_id or 1)) % 65536
end

function request()
  counter = counter + 1
  local item = items[counter % #items + 1]
  local body = item[2]
  if data.unique then
    body = item[2] .. prefix .. counter .. item[3]
  end
  local headers = data.headers
  if data.forwarded then
    headers["X-Forwarded-For"] = string.format(
      "2001:db8:%x:%x:%x::1", client, math.floor(counter / 65536) % 65536,
      counter % 65536)
  end
  return wrk.format("POST", item[1], headers, body)
end
