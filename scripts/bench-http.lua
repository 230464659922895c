-- wrk script of make bench-http (scripts/bench-http.sh). Environment:
--   BENCH_SESSIONS  file of signed-in sessions, one per line, tab-separated:
--                   cookie header value, CSRF token, request path, response id
--   BENCH_MODE      get (default) or autosave (POST a changed draft)
--   BENCH_AUTH      an Authorization header value (API scenarios)
--   BENCH_THREADS   wrk's -t, so each thread takes its own share of sessions
-- Each thread rotates through its share of the sessions (one, for a
-- single-session scenario). Autosave posts the version it was last told:
-- the bench gives session k's draft the version k*1000000, so a version in
-- any answer (200, or 409 with the current version) names its session.
-- done() prints one line: RESULT requests rps p50_us p99_us non200 socket_errors 409s.

local mode = os.getenv("BENCH_MODE") or "get"
local auth = os.getenv("BENCH_AUTH")
if auth == "" then auth = nil end
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local function load_sessions()
  local list = {}
  local f = os.getenv("BENCH_SESSIONS")
  if not f or f == "" then return list end
  for line in io.lines(f) do
    local cookie, csrf, path, rid = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?([^\t]*)")
    if cookie then
      table.insert(list, { cookie = cookie, csrf = csrf, path = path, rid = tonumber(rid), k = #list + 1 })
    end
  end
  return list
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local mine, versions, pos = {}, {}, 0
bad, n409 = 0, 0 -- globals: done() reads them through thread:get

function init(args)
  local all = load_sessions()
  if #all == 0 then
    table.insert(all, { cookie = "", csrf = "", path = wrk.path, k = 1 })
  end
  for i, s in ipairs(all) do
    if #all < nthreads or (i - 1) % nthreads == tid then
      table.insert(mine, s)
      versions[s.k] = s.k * 1000000
    end
  end
end

local counter = 0

function request()
  pos = pos % #mine + 1
  local s = mine[pos]
  local h = {}
  if s.cookie ~= "" then h["Cookie"] = s.cookie end
  if auth then h["Authorization"] = auth end
  if mode == "autosave" then
    counter = counter + 1
    h["Content-Type"] = "application/x-www-form-urlencoded"
    h["X-CSRF-Token"] = s.csrf
    local body = "version=" .. versions[s.k] .. "&what_i_did=I+did+this+" .. tid .. "-" .. counter
    return wrk.format("POST", s.path, h, body)
  end
  return wrk.format("GET", s.path, h)
end

function response(status, headers, body)
  if mode == "autosave" then
    local v = tonumber(body:match('"version":(%d+)'))
    if v then versions[math.floor(v / 1000000)] = v end
    if status == 409 then n409 = n409 + 1 end
  end
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local nbad = 0
  local n409 = 0
  for _, t in ipairs(threads) do
    nbad = nbad + (t:get("bad") or 0)
    n409 = n409 + (t:get("n409") or 0)
  end
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  io.write(string.format("RESULT %d %.1f %d %d %d %d %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6), math.floor(latency:percentile(50)), math.floor(latency:percentile(99)),
    nbad, sockerr, n409))
end
