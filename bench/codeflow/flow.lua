-- wrk script: the authorization code flow against tessera, as fast as it goes.
--
--   FLOW_FILE=flow.txt WRK_THREADS=2 wrk -t2 -c64 -d10s --latency -s flow.lua URL
--
-- FLOW_FILE (bench/codeflow/setup.py writes it):
--   line 1: the /oauth/authorize path and query (client, redirect_uri, scope, state,
--           nonce, and the S256 challenge of one precomputed verifier)
--   line 2: the token request body without the code (grant_type=authorization_code,
--           redirect_uri, client_id, code_verifier)
--   lines 3..: one authority session cookie per line (`tessera_session=...`), from
--           sign-ins on the hosted page before the run: no password is hashed here.
--
-- Each thread keeps a queue of codes. request() exchanges a queued code at
-- POST /oauth/token, or, when none is waiting, sends GET /oauth/authorize with the next
-- session cookie (round robin). response() queues the code from an authorize answer's
-- Location and counts a token answer. So the requests alternate: every authorize is
-- followed by the exchange of its code (by whichever connection of the thread is free
-- first), and a code is presented exactly once (a second use would revoke its family).
--
-- FLOW_MODE=authorize (diagnostic): only authorize requests; codes are counted and
-- dropped, never exchanged, so the authorize half can be measured alone.
--
-- done() prints one line (rps = token answers a second = complete code flows a second;
-- latency percentiles are wrk's, over all requests, authorize and token alike):
--   CODEFLOW tokens=N codes=N non_expected=N ... rps=R p50_ms=.. p99_ms=..

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("thread_id", #threads)
end

function done(summary, latency, requests)
   local tokens, codes, bad, nocode = 0, 0, 0, 0
   local statuses = {}
   for _, th in ipairs(threads) do
      tokens = tokens + (th:get("tokens") or 0)
      codes = codes + (th:get("codes") or 0)
      bad = bad + (th:get("non_expected") or 0)
      nocode = nocode + (th:get("nocode") or 0)
      local s = th:get("status_list") or ""
      if s ~= "" then statuses[#statuses + 1] = s end
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "CODEFLOW tokens=%d codes=%d non_expected=%d nocode=%d sock_err=%d timeouts=%d secs=%.2f " ..
      "rps=%.1f requests_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f codes_seen=%s\n",
      tokens, codes, bad, nocode, e.connect + e.read + e.write, e.timeout, secs, tokens / secs,
      summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      #statuses > 0 and table.concat(statuses, ";") or "-"))
end

-- ---- per-thread state -------------------------------------------------------------
tokens, codes, non_expected, nocode, status_list = 0, 0, 0, 0, ""

local authorize_path, token_prefix
local cookies, next_cookie = {}, 1
local queue, head, tail = {}, 1, 0
local status_counts = {}
local authorize_only = os.getenv("FLOW_MODE") == "authorize"

function init(args)
   local path = os.getenv("FLOW_FILE") or "flow.txt"
   local f = assert(io.open(path, "r"), "cannot open FLOW_FILE " .. path)
   authorize_path = f:read("*l")
   token_prefix = f:read("*l")
   for line in f:lines() do
      if line:match("^tessera_session=") then cookies[#cookies + 1] = line end
   end
   f:close()
   assert(authorize_path and token_prefix and #cookies > 0, "FLOW_FILE is incomplete")
   -- Threads start at different cookies so they do not all begin on the first one.
   next_cookie = ((thread_id or 1) - 1) % #cookies + 1
end

local form_headers = {
   ["Content-Type"] = "application/x-www-form-urlencoded",
   ["Accept"] = "application/json",
}

-- wrk 4.x calls request() once before any connection exists to detect pipelining and
-- never sends it: answer it with /healthz (as bench/refresh/rotate.lua does).
local first_call = true

function request()
   if first_call then
      first_call = false
      if thread_id == 1 then return wrk.format("GET", "/healthz", nil, nil) end
   end
   if head <= tail then
      local code = queue[head]
      queue[head] = nil
      head = head + 1
      return wrk.format("POST", "/oauth/token", form_headers, token_prefix .. code)
   end
   local cookie = cookies[next_cookie]
   next_cookie = next_cookie % #cookies + 1
   return wrk.format("GET", authorize_path, { ["Cookie"] = cookie }, nil)
end

local function count(status)
   non_expected = non_expected + 1
   status_counts[status] = (status_counts[status] or 0) + 1
   local parts = {}
   for s, n in pairs(status_counts) do parts[#parts + 1] = s .. ":" .. n end
   status_list = table.concat(parts, ",")
end

function response(status, headers, body)
   if status == 302 or status == 303 then
      local location = headers["Location"] or headers["location"] or ""
      local code = location:match("[?&]code=([^&]+)")
      if code then
         codes = codes + 1
         if not authorize_only then
            tail = tail + 1
            queue[tail] = code
         end
      else
         nocode = nocode + 1 -- an error redirect (login_required, ...): the session died
         count(status)
      end
   elseif status == 200 and body and body:find('"access_token"', 1, true) then
      tokens = tokens + 1
   elseif status == 200 then
      -- /healthz, should the pipelining probe ever be sent
   else
      count(status)
   end
end
