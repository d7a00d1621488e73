-- wrk script: well-formed refresh tokens that tessera never issued, at a steady rate.
--
--   JUNK_RATE=10000 WRK_THREADS=2 wrk -t2 -c128 -d12s -s junk.lua http://127.0.0.1:8080
--
-- Each request presents a fresh random token of the shape tessera issues: 72
-- characters (54 bytes in unpadded base64url: time, random bytes, MAC), with a MAC
-- that is random, as an attacker's must be. JUNK_CHARS=51 sends the shape issued
-- before the MAC instead (38 bytes), which a server looks up only while tokens of that
-- shape can still be live on its database (never, on a new one). Requests alternate
-- between POST /oauth/token (grant_type=refresh_token) and POST /auth/refresh with a
-- CSRF cookie and header the sender chose himself, as an attacker can.
--
-- JUNK_RATE (requests/s over all threads; 0 = closed loop): each connection, before
-- each request, claims the thread's next free slot on a schedule of JUNK_RATE /
-- WRK_THREADS per second and waits for it (wrk's delay(), in whole milliseconds). So
-- the rate holds as long as the connections keep up; when they do not, the delivered
-- rate falls short, and done() shows it.
--
-- done() prints one machine-readable line:
--   JUNK sent=N refused=N other=N sock_err=N timeouts=N secs=S rps=R p99_ms=.. codes=..
-- refused: answers 400 (/oauth/token) or 401 (/auth/refresh) with invalid_grant, the
-- only right answer; other: anything else.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } junk_timespec;
int clock_gettime(int clk_id, junk_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("junk_timespec")
local function now()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- ---- main state (setup/done) ----------------------------------------------------
local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
   thread:set("thread_id", #threads)
end

function done(summary, latency, requests)
   local sent, refused, other = 0, 0, 0
   local codes = {}
   for _, th in ipairs(threads) do
      sent = sent + (th:get("sent") or 0)
      refused = refused + (th:get("refused") or 0)
      other = other + (th:get("other") or 0)
      local c = th:get("codes") or ""
      if c ~= "" then codes[#codes + 1] = c end
   end
   local secs = summary.duration / 1e6
   local e = summary.errors
   io.write(string.format(
      "JUNK sent=%d refused=%d other=%d sock_err=%d timeouts=%d secs=%.2f rps=%.1f " ..
      "p50_ms=%.2f p99_ms=%.2f codes=%s\n",
      sent, refused, other, e.connect + e.read + e.write, e.timeout, secs, refused / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      #codes > 0 and table.concat(codes, ";") or "-"))
end

-- ---- per-thread state (init/delay/request/response) --------------------------------
-- Globals, so that done() can read them with thread:get().
sent, refused, other, codes = 0, 0, 0, ""

local status_counts = {}
local per_second = 0
local start, slots = nil, 0

function init(args)
   local nthreads = tonumber(os.getenv("WRK_THREADS") or "")
   assert(nthreads and nthreads >= 1, "set WRK_THREADS to wrk's -t")
   per_second = (tonumber(os.getenv("JUNK_RATE") or "0") or 0) / nthreads
   math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function delay()
   if per_second <= 0 then return 0 end
   local t = now()
   start = start or t
   local slot = start + slots / per_second
   slots = slots + 1
   if slot <= t then
      -- Behind schedule (the connections did not keep up): no catch-up burst.
      start = t - (slots - 1) / per_second
      return 0
   end
   return math.floor((slot - t) * 1000 + 0.5)
end

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local CHARS = tonumber(os.getenv("JUNK_CHARS") or "72")
assert(CHARS == 72 or CHARS == 51, "JUNK_CHARS is 72 or 51")
-- 51 characters carry 306 bits, of which 304 are the 38 bytes: the last character's
-- two low bits must be zero, or the server's strict decoder refuses the shape. 72
-- characters are exactly 54 bytes.
local LAST = "AEIMQUYcgkosw048"

local function token()
   local out = {}
   for i = 1, CHARS do
      local k = math.random(64)
      out[i] = ALPHABET:sub(k, k)
   end
   if CHARS == 51 then
      local k = math.random(16)
      out[51] = LAST:sub(k, k)
   end
   return table.concat(out)
end

local form_headers = {
   ["Content-Type"] = "application/x-www-form-urlencoded",
   ["Accept"] = "application/json",
}

function request()
   sent = sent + 1
   local t = token()
   if sent % 2 == 0 then
      return wrk.format("POST", "/auth/refresh", {
         ["Cookie"] = "tessera_refresh=" .. t .. "; tessera_csrf=junk-csrf",
         ["X-CSRF-Token"] = "junk-csrf",
         ["Accept"] = "application/json",
      }, nil)
   end
   return wrk.format("POST", "/oauth/token", form_headers,
                     "grant_type=refresh_token&refresh_token=" .. t)
end

function response(status, headers, body)
   if (status == 400 or status == 401) and body and body:find('"invalid_grant"', 1, true) then
      refused = refused + 1
   else
      other = other + 1
      status_counts[status] = (status_counts[status] or 0) + 1
      local parts = {}
      for s, n in pairs(status_counts) do parts[#parts + 1] = s .. ":" .. n end
      codes = table.concat(parts, ",")
   end
end
