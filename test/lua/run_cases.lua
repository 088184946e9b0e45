-- Table-driven test runner for the Envoy Lua filter stacks/auth/cookie-to-header.lua.
--
--   luajit test/lua/run_cases.lua <filter.lua> [cases.lua]
--
-- <filter.lua> is the full filter source. Cases needing other settings get the same
-- config-block rewrite the program applies (stacks/auth/specs.ts: the three lines between
-- `-- eco2-mesh:config-begin` and `-- eco2-mesh:config-end`). [cases.lua] defaults to
-- cases.lua next to this file; it returns a list of cases:
--
--   { name = "...",
--     headers  = { {"cookie", "a=1; s_access=tok"}, {"authorization", "Basic x"} },  -- in order
--     settings = { cookie_name = "s_access", on_existing_authorization = "replace",
--                  remove_cookie = false },                        -- optional, these defaults
--     variants = { "current", "old" },  -- header-map flavours to run; default both
--     expect   = { authorization = { "Bearer tok" } | {},          -- exactly one value or none
--                  cookie = { "a=1" },  -- resulting cookie entries; required if remove_cookie,
--                                       -- otherwise defaults to "cookie entries untouched"
--                  warn = true },       -- a warning is expected (default: no warning)
--     secrets  = { "..." } }            -- strings no log line may contain (besides the token)
--
-- Every run also asserts: authorization has at most one entry and contains no "," unless it is
-- the client's own single header line, unchanged and not a Bearer value;
-- headers:add() is never used for authorization; other headers are untouched and in order;
-- no log line contains the token. Output is TAP-like; the last line is exactly
-- `N passed, M failed`; the exit status is non-zero when anything failed.

local function script_dir()
  local p = arg and arg[0] or ""
  return p:match("^(.*)[/\\]") or "."
end

package.path = script_dir() .. "/?.lua;" .. package.path
local stub = require("envoy_stub")

local DEFAULTS = { cookie_name = "s_access", on_existing_authorization = "replace", remove_cookie = false }
local BLOCK = "%-%- eco2%-mesh:config%-begin\n.-%-%- eco2%-mesh:config%-end\n"

local function read_file(path)
  local f, err = io.open(path, "rb")
  if f == nil then
    return nil, err
  end
  local s = f:read("*a")
  f:close()
  return s
end

local function json_string(s)
  -- JSON.stringify for the plain strings used as settings (what specs.ts writes).
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

--- The program's rewrite: the committed source with the three settings filled in.
local function configure(source, settings)
  local s = {}
  for k, v in pairs(DEFAULTS) do
    s[k] = v
  end
  for k, v in pairs(settings or {}) do
    if DEFAULTS[k] == nil then
      error("unknown setting " .. k)
    end
    s[k] = v
  end
  local block = "-- eco2-mesh:config-begin\n"
    .. "local COOKIE_NAME = " .. json_string(s.cookie_name) .. "\n"
    .. "local ON_EXISTING_AUTHORIZATION = " .. json_string(s.on_existing_authorization) .. "\n"
    .. "local REMOVE_COOKIE = " .. (s.remove_cookie and "true" or "false") .. "\n"
    .. "-- eco2-mesh:config-end\n"
  local out, n = source:gsub(BLOCK, function() return block end, 1)
  if n ~= 1 then
    error("the filter lost its eco2-mesh:config markers")
  end
  return out, s
end

local function show(v)
  if type(v) == "string" then
    local q = string.format("%q", v)
    if #q > 120 then
      q = q:sub(1, 100) .. "...(" .. #v .. " bytes)"
    end
    return q
  end
  if type(v) == "table" then
    local parts = {}
    for _, x in ipairs(v) do
      parts[#parts + 1] = show(x)
    end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end

local function list_equal(a, b)
  if #a ~= #b then
    return false
  end
  for i = 1, #a do
    if type(a[i]) == "table" then
      if a[i][1] ~= b[i][1] or a[i][2] ~= b[i][2] then
        return false
      end
    elseif a[i] ~= b[i] then
      return false
    end
  end
  return true
end

-- Entries whose key is neither cookie nor authorization, in order.
local function others(entries)
  local out = {}
  for _, e in ipairs(entries) do
    local k = string.lower(e[1])
    if k ~= "cookie" and k ~= "authorization" then
      out[#out + 1] = { k, e[2] }
    end
  end
  return out
end

local function run_one(source, case, variant)
  local problems = {}
  local function fail(msg)
    problems[#problems + 1] = msg
  end

  local ok, configured, settings = pcall(configure, source, case.settings)
  if not ok then
    return { "config rewrite: " .. tostring(configured) }
  end
  local env, err = stub.load_filter(configured, "cookie-to-header.lua")
  if env == nil then
    return { err }
  end

  local handle = stub.new_handle(case.headers, { old_envoy = (variant == "old") })
  local rok, rerr = pcall(env.envoy_on_request, handle)
  if not rok then
    return { "envoy_on_request raised: " .. tostring(rerr) }
  end

  local expect = case.expect or {}
  local after = stub.entries(handle)
  local auth = stub.values(handle, "authorization")
  local joined = handle:headers():get("authorization")

  -- authorization: exactly what is expected (one value or none)
  local want_auth = expect.authorization or {}
  if #want_auth > 1 then
    fail("case error: expect.authorization lists more than one value")
  end
  if not list_equal(auth, want_auth) then
    fail("authorization: expected " .. show(want_auth) .. ", got " .. show(auth)
      .. " (headers:get(\"authorization\") = " .. show(joined) .. ")")
  end
  if #auth > 1 then
    fail("authorization added twice: " .. #auth .. " entries, get() joins them as " .. show(joined))
  end
  -- A comma may remain only inside one credential the client sent as a single header line,
  -- untouched (Digest or SigV4 auth-params); never in a Bearer value, never one the filter made.
  local client_auth = {}
  for _, h in ipairs(case.headers) do
    if string.lower(h[1]) == "authorization" then
      client_auth[#client_auth + 1] = h[2]
    end
  end
  for _, v in ipairs(auth) do
    if v:find(",", 1, true) and (v:find("^[Bb]earer ") or #client_auth ~= 1 or client_auth[1] ~= v) then
      fail("authorization contains a comma: " .. show(v))
    end
  end
  for _, c in ipairs(handle.state.calls) do
    if c[1] == "add" and c[2] == "authorization" then
      fail("headers:add() used for authorization (appends; must be replace()): add(" .. show(c[3]) .. ")")
    end
  end

  -- cookie
  local cookies = stub.values(handle, "cookie")
  if expect.cookie ~= nil then
    if not list_equal(cookies, expect.cookie) then
      fail("cookie: expected " .. show(expect.cookie) .. ", got " .. show(cookies))
    end
  elseif settings.remove_cookie then
    fail("case error: remove_cookie cases must give expect.cookie")
  else
    local before = {}
    for _, e in ipairs(case.headers or {}) do
      if string.lower(e[1]) == "cookie" then
        before[#before + 1] = e[2]
      end
    end
    if not list_equal(cookies, before) then
      fail("cookie entries changed with REMOVE_COOKIE=false: expected " .. show(before) .. ", got " .. show(cookies))
    end
  end

  -- every other header untouched, in order
  local ob, oa = others(case.headers or {}), others(after)
  if not list_equal(ob, oa) then
    local a, b = {}, {}
    for _, e in ipairs(ob) do b[#b + 1] = e[1] .. ": " .. e[2] end
    for _, e in ipairs(oa) do a[#a + 1] = e[1] .. ": " .. e[2] end
    fail("other headers changed: before " .. show(b) .. ", after " .. show(a))
  end

  -- logs: never the token (nor any case secret); warnings only when expected
  local secrets = {}
  for _, v in ipairs(want_auth) do
    local t = v:match("^Bearer (.+)$")
    if t then secrets[#secrets + 1] = t end
  end
  for _, v in ipairs(auth) do
    local t = v:match("^Bearer (.+)$")
    if t then secrets[#secrets + 1] = t end
  end
  for _, s in ipairs(case.secrets or {}) do
    secrets[#secrets + 1] = s
  end
  local warned = false
  for _, l in ipairs(handle.logs) do
    if l.level == "warn" then
      warned = true
    end
    for _, s in ipairs(secrets) do
      if #s > 0 and l.msg:find(s, 1, true) then
        fail("log line (" .. l.level .. ") contains the secret " .. show(s) .. ": " .. show(l.msg))
      end
    end
  end
  if warned ~= (expect.warn == true) then
    local msgs = {}
    for _, l in ipairs(handle.logs) do msgs[#msgs + 1] = l.level .. ": " .. l.msg end
    fail("warning expected: " .. tostring(expect.warn == true) .. ", logs: " .. show(msgs))
  end
  return problems
end

local function main()
  local filter_path, cases_path = arg[1], arg[2] or (script_dir() .. "/cases.lua")
  if filter_path == nil then
    io.stderr:write("usage: luajit run_cases.lua <filter.lua> [cases.lua]\n")
    os.exit(2)
  end
  local source, err = read_file(filter_path)
  if source == nil then
    print("Bail out! cannot read filter " .. filter_path .. ": " .. tostring(err))
    os.exit(2)
  end
  local cases_chunk, cerr = loadfile(cases_path)
  if cases_chunk == nil then
    print("Bail out! cannot load cases " .. cases_path .. ": " .. tostring(cerr))
    os.exit(2)
  end
  local cases = cases_chunk()

  local passed, failed, n = 0, 0, 0
  local function report(name, problems)
    n = n + 1
    if #problems == 0 then
      passed = passed + 1
      print(string.format("ok %d - %s", n, name))
    else
      failed = failed + 1
      print(string.format("not ok %d - %s", n, name))
      for _, p in ipairs(problems) do
        print("#   " .. p)
      end
    end
  end

  -- The program rewrites exactly three lines; anything else in the block would be lost.
  do
    local block = source:match("%-%- eco2%-mesh:config%-begin\n(.-)%-%- eco2%-mesh:config%-end\n")
    local problems = {}
    if block == nil then
      problems[1] = "markers -- eco2-mesh:config-begin / -- eco2-mesh:config-end not found"
    else
      local lines = {}
      for l in block:gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
      local want = { "^local COOKIE_NAME = \"[^\"]+\"$", "^local ON_EXISTING_AUTHORIZATION = \"[a-z]+\"$",
        "^local REMOVE_COOKIE = [a-z]+$" }
      if #lines ~= 3 then
        problems[#problems + 1] = "config block has " .. #lines .. " lines, the program writes exactly 3"
      else
        for i = 1, 3 do
          if not lines[i]:match(want[i]) then
            problems[#problems + 1] = "config line " .. i .. " is " .. show(lines[i])
          end
        end
      end
    end
    report("config block holds exactly the three settings the program rewrites", problems)
  end

  local names = {}
  for _, case in ipairs(cases) do
    if names[case.name] then
      report(case.name, { "case error: duplicate case name" })
    end
    names[case.name] = true
    for _, variant in ipairs(case.variants or { "current", "old" }) do
      local problems = run_one(source, case, variant)
      report(case.name .. " [" .. variant .. "]", problems)
    end
  end
  print(string.format("# %d distinct cases, %d runs", #cases, n))
  print(string.format("1..%d", n))
  print(string.format("%d passed, %d failed", passed, failed))
  os.exit(failed == 0 and 0 or 1)
end

main()
