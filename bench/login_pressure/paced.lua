-- wrk script: GET the URL given to wrk, each connection waiting DELAY_MS (default 5)
-- before each request: a steady probe, not a closed loop that saturates the server.
local delay_ms = tonumber(os.getenv("DELAY_MS") or "5")

function delay()
   return delay_ms
end
