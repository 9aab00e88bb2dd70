-- Credential stuffing against POST /v1/login, for bench/credential_stuffing.py.
--
-- Each request: a random client address (X-Forwarded-For, honoured because the bench
-- runs Bastion with BASTION_TRUSTED_PROXIES=127.0.0.1/32) in one of ~22,800 /24s, a
-- random identifier (or, with probability VICTIM_SHARE, the victim's email) and a wrong
-- password. No device identifier: the attacker's devices are unknown.
--
-- wrk has no constant-rate mode (wrk2 is not packaged), so pacing is done here: each
-- thread hands out send slots every THREADS*1000/RATE ms through delay(); a connection
-- whose slot has passed sends at once (no catch-up bursts). When the server is slower
-- than the offered rate every connection is busy and the achieved rate is what it serves.
--
-- Script arguments (after `--`): RATE THREADS VICTIM_EMAIL VICTIM_SHARE [IP_POOL]
-- IP_POOL > 0: addresses drawn from that many fixed ones instead (to study held networks).
-- At the end one line "BENCH_JSON {...}" gives answers by status and by problem code.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local interval_ms, next_slot, victim, victim_share, ip_pool
statuses = {}
codes = {}
sent = 0

function init(args)
  local rate = tonumber(args[1] or "2000")
  local nthreads = tonumber(args[2] or "1")
  victim = args[3] or "victim@bench.example"
  victim_share = tonumber(args[4] or "0.05")
  ip_pool = tonumber(args[5] or "0")
  interval_ms = 1000 * nthreads / rate
  next_slot = now_ms()
  math.randomseed(math.floor(now_ms()) * 7919 + id * 104729)
  wrk.method = "POST"
end

function delay()
  local now = now_ms()
  local slot = next_slot
  if slot < now then slot = now end
  next_slot = slot + interval_ms
  return math.floor(slot - now)
end

local alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
local function word(n)
  local out = {}
  for i = 1, n do
    local k = math.random(1, #alphabet)
    out[i] = alphabet:sub(k, k)
  end
  return table.concat(out)
end

function request()
  local email
  if math.random() < victim_share then
    email = victim
  else
    email = "u" .. math.random(1, 5000000) .. "@" .. word(6) .. ".example"
  end
  local ip
  if ip_pool > 0 then
    local n = math.random(0, ip_pool - 1)
    ip = "100.64." .. math.floor(n / 250) .. "." .. (n % 250 + 1)
  else
    ip = math.random(11, 99) .. "." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." ..
         math.random(1, 254)
  end
  local body = '{"email":"' .. email .. '","password":"' .. word(14) .. '"}'
  sent = sent + 1
  -- wrk.format replaces wrk.headers with the table given: every header goes here.
  return wrk.format(nil, "/v1/login", {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "bench-stuffing/1",
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local code = body and body:match('"code"%s*:%s*"([^"]+)"')
  if code then
    codes[code] = (codes[code] or 0) + 1
  end
end

local function merge(into, from)
  for k, v in pairs(from or {}) do
    into[k] = (into[k] or 0) + v
  end
end

local function json_object(t)
  local parts = {}
  for k, v in pairs(t) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local all_statuses, all_codes = {}, {}
  for _, thread in ipairs(threads) do
    merge(all_statuses, thread:get("statuses"))
    merge(all_codes, thread:get("codes"))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"statuses":%s,"codes":%s,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_ms":{"p50":%.2f,"p90":%.2f,"p99":%.2f,"max":%.2f}}\n',
    summary.requests, summary.duration, json_object(all_statuses), json_object(all_codes),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
