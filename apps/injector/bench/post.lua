-- wrk script: POST the AdmissionReview in $BENCH_BODY to the webhook.
-- With $BENCH_DELAY_MS each connection waits that long after every answer,
-- which paces the load (connections / (delay + latency) requests per second).
-- wrk itself reports "Non-2xx or 3xx responses" when any answer was not a 200.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end
