-- wrk's summary as one line of JSON after the marker WRK_REPORT, read by bench/common.py:
-- wrk's text output has no 95th percentile and rounds the others to its own units.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "\nWRK_REPORT {\"requests\": %d, \"duration_us\": %d, "
      .. "\"latency_us\": {\"50\": %d, \"90\": %d, \"95\": %d, \"99\": %d, \"max\": %d}, "
      .. "\"errors\": {\"connect\": %d, \"read\": %d, \"write\": %d, \"status\": %d, \"timeout\": %d}}\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end
