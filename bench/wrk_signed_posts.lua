-- POSTs prepared by bench/inbox_api.py, one per line of the file named by WRK_REQUESTS:
-- the X-Twilio-Signature, a tab, then the form body. Each wrk thread takes every n-th line,
-- so no two requests carry the same message; the summary is bench/wrk_report.lua's.
dofile(os.getenv("WRK_REPORT_LUA"))

local counter = 0
local threads = {}

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  lines = {}
  local stride = tonumber(os.getenv("WRK_THREADS"))
  local position = 0
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    if position % stride == offset then
      local tab = line:find("\t", 1, true)
      table.insert(lines, {line:sub(1, tab - 1), line:sub(tab + 1)})
    end
    position = position + 1
  end
  next_line = 1
end

request = function()
  local entry = lines[next_line]
  next_line = next_line % #lines + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = entry[1],
    ["Connection"] = "close",
  }, entry[2])
end
