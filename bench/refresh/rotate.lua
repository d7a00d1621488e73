-- wrk script: refresh-token rotation chains against POST /oauth/token.
--
--   TOKENS_FILE=seed.txt WRK_THREADS=2 \
--     wrk -t2 -c64 -d10s --latency -s rotate.lua http://127.0.0.1:8080
--
-- TOKENS_FILE holds one refresh token per line, each from its own login (run.sh makes
-- them beforehand with grant_type=password), at least as many as connections.
-- Thread k of WRK_THREADS (must equal -t) takes lines k, k+T, k+2T, ... into its own
-- FIFO: wrk gives every thread its own Lua state, shared by that thread's connections.
-- request() pops a token and presents it; response() pushes the refresh_token of a 200
-- answer back. So a token is presented at most once, ever: a popped token never returns
-- to the queue, and only the fresh child from an answer is queued. wrk calls response()
-- before the same connection's next request(), and a reconnect after a socket error
-- builds a new request (a new pop), so a token whose answer was lost is dropped, never
-- resent. Presenting a token twice would be reuse and revoke its whole family.
--
-- With as many tokens as connections the queue never runs dry while every answer is a
-- 200. If chains are lost and a thread's queue is empty, the connection sends GET
-- /healthz instead; that is counted as "idle", never as a rotation.
--
-- done() prints one machine-readable line (rps counts only 200 answers that carried a
-- new refresh_token; latency percentiles are wrk's, over every request):
--   ROTATE ok=N non200=N idle=N badbody=N sock_err=N timeouts=N secs=S rps=R p50_ms=..

-- ---- main state (setup/done) ----------------------------------------------------
local threads = {}

-- DELAY_MS (optional): each connection waits this long before each request, for a
-- steady probe (bench/login_pressure) instead of a closed loop that saturates the server.
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
if delay_ms > 0 then
   function delay()
      return delay_ms
   end
end

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("thread_id", #threads)
end

function done(summary, latency, requests)
   local tok, tnon, tidle, tbad, seeded = 0, 0, 0, 0, 0
   local codes = {}
   for _, th in ipairs(threads) do
      tok = tok + (th:get("ok") or 0)
      tnon = tnon + (th:get("non200") or 0)
      tidle = tidle + (th:get("idle") or 0)
      tbad = tbad + (th:get("badbody") or 0)
      seeded = seeded + (th:get("seeded") or 0)
      local c = th:get("codes") or ""
      if c ~= "" then codes[#codes + 1] = c end
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "ROTATE ok=%d non200=%d idle=%d badbody=%d sock_err=%d timeouts=%d secs=%.2f rps=%.1f " ..
      "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f seeded=%d threads=%d codes=%s\n",
      tok, tnon, tidle, tbad, e.connect + e.read + e.write, e.timeout, secs, tok / secs,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, seeded, #threads,
      #codes > 0 and table.concat(codes, ";") or "-"))
end

-- ---- per-thread state (init/request/response) -------------------------------------
-- Globals, so that done() can read them with thread:get().
ok, non200, idle, badbody, seeded, codes = 0, 0, 0, 0, 0, ""

local queue, head, tail = {}, 1, 0
local status_counts = {}

local function push(t)
   tail = tail + 1
   queue[tail] = t
end

local function pop()
   if head > tail then return nil end
   local t = queue[head]
   queue[head] = nil
   head = head + 1
   return t
end

function init(args)
   local nthreads = tonumber(os.getenv("WRK_THREADS") or args[1] or "")
   assert(nthreads and nthreads >= 1, "set WRK_THREADS to wrk's -t")
   local id = assert(thread_id, "setup() did not run")
   local path = os.getenv("TOKENS_FILE") or "tokens.txt"
   local f = assert(io.open(path, "r"), "cannot open TOKENS_FILE " .. path)
   local i = 0
   for line in f:lines() do
      local t = line:match("^%s*([%w%-_]+)%s*$")
      if t then
         if i % nthreads == id - 1 then push(t) end
         i = i + 1
      end
   end
   f:close()
   seeded = tail
   assert(seeded > 0, "thread " .. id .. " got no token: TOKENS_FILE too short")
end

local form_headers = {
   ["Content-Type"] = "application/x-www-form-urlencoded",
   ["Accept"] = "application/json",
}

-- wrk 4.x calls request() once on thread 1's state before any connection exists
-- (script_verify_request, to detect pipelining) and never sends that request. Answer
-- that call with /healthz so it does not swallow a token. Were the call ever sent
-- after all, it would be one harmless /healthz counted as idle.
local first_call = true

function request()
   if first_call then
      first_call = false
      if thread_id == 1 then return wrk.format("GET", "/healthz", nil, nil) end
   end
   local t = pop()
   if t == nil then
      return wrk.format("GET", "/healthz", nil, nil)
   end
   return wrk.format("POST", "/oauth/token", form_headers,
                     "grant_type=refresh_token&refresh_token=" .. t)
end

function response(status, headers, body)
   -- Only token answers carry "refresh_token"; /healthz answers never do.
   local t = body and body:match('"refresh_token"%s*:%s*"([%w%-_]+)"')
   if status == 200 and t then
      ok = ok + 1
      push(t)
   elseif status == 200 and body and body:find('"access_token"', 1, true) then
      badbody = badbody + 1 -- a token answer without a refresh token: chain lost
   elseif status == 200 then
      idle = idle + 1
   else
      non200 = non200 + 1
      status_counts[status] = (status_counts[status] or 0) + 1
      local parts = {}
      for s, n in pairs(status_counts) do parts[#parts + 1] = s .. ":" .. n end
      codes = table.concat(parts, ",")
   end
end
