-- POST comment bodies built from pre-generated segments (a data file written by bench/workload.py).
-- Usage: wrk ... -s post.lua URL -- DATA_FILE RUN_ID
-- Each item is {path, language, segment, segment, ...}; the body is the segments joined by
-- fresh text, so no body repeats word for word across a run or across runs: every gap but the
-- last gets a word this process has never seen (a name made of syllables from a unique counter,
-- Arabic or Latin as the item's language, or a number). With data.unique the last gap is a
-- per-request id (the author's email), so per-author and duplicate rules see distinct authors.
-- With data.forwarded, each request carries its own X-Forwarded-For (a /64 of 2001:db8::/32,
-- the documentation prefix), as behind a CDN, so per-IP rules see distinct clients.
dofile("statuses.lua")

local data, items, counter, prefix, client, seed

local SYLLABLES = {
  en = {"ka", "lo", "mer", "vin", "to", "ra", "shel", "dun", "pi", "gor", "bex", "tam", "nu",
        "wil", "son", "dra", "fen", "qui", "zo", "lat", "bry", "mo", "cas", "nel", "hu", "tri",
        "jo", "ves", "pa", "rud", "ki", "ol"},
  ar = {"بو", "لا", "مي", "سر", "كا", "نو", "ري", "تم", "دي", "فا", "جل", "هو", "زي", "قو",
        "شا", "يم", "ور", "صا", "عل", "طي", "خو", "ثا", "غد", "ضي", "نس", "حم", "كر", "بل",
        "مد", "سو", "رن", "لي"},
}

-- A word no earlier request of any run carried: `n` written in base 32 with syllables.
local function word(language, n)
  local syllables = SYLLABLES[language] or SYLLABLES.en
  local parts = {}
  repeat
    local digit = n % 32
    table.insert(parts, syllables[digit + 1])
    n = (n - digit) / 32
  until n == 0
  local text = table.concat(parts)
  if language ~= "ar" then
    text = text:sub(1, 1):upper() .. text:sub(2)
  end
  return text
end

function init(args)
  data = dofile(args[1])
  items = data.items
  counter = 0
  local run = tonumber(args[2]) or 0
  prefix = run .. "-" .. (thread_id or 1) .. "-"
  client = (run * 8 + (thread_id or 1)) % 65536
  seed = (run * 8 + (thread_id or 1)) * 1048576  -- 2^20 requests per wrk thread and run
end

function request()
  counter = counter + 1
  local item = items[counter % #items + 1]
  local parts = {item[3]}
  local last = #item
  for i = 4, last do
    local gap = i - 3
    if data.unique and i == last then
      table.insert(parts, prefix .. counter)
    elseif gap % 3 == 2 then
      table.insert(parts, tostring(seed + counter))
    else
      table.insert(parts, word(item[2], ((seed + counter) * 4 + gap) * 7 + 13))
    end
    table.insert(parts, item[i])
  end
  local headers = data.headers
  if data.forwarded then
    headers["X-Forwarded-For"] = string.format(
      "2001:db8:%x:%x:%x::1", client, math.floor(counter / 65536) % 65536,
      counter % 65536)
  end
  return wrk.format("POST", item[1], headers, table.concat(parts))
end
