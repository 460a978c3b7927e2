-- wrk script: POST the AdmissionReview in $BENCH_BODY to the webhook.
-- wrk itself reports "Non-2xx or 3xx responses" when any answer was not a 200.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()
