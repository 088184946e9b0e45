-- A stand-in for the part of Envoy's Lua HTTP filter API that cookie-to-header.lua uses.
--
-- Modelled on Envoy's `HeaderMapWrapper` (source/extensions/filters/http/lua/wrappers.cc) and
-- the Lua filter documentation:
--   * header keys are case-insensitive and stored lower-case (Http::LowerCaseString);
--   * get(key)            -> the values of ALL entries with that key joined by "," (what
--                            HeaderUtility::getAllOfHeaderAsString does), or nil;
--   * getAtIndex(key, i)  -> the value of the i-th (0-based) entry with that key, or nil;
--   * getNumValues(key)   -> how many entries have that key;
--   * add(key, v)         -> APPENDS a new entry (never merges, never overwrites);
--   * replace(key, v)     -> removes every entry of the key and appends one with v;
--   * remove(key)         -> removes every entry of the key;
--   * pairs(headers)      -> iterates the entries in order (key, value), via __pairs;
--   * modifying the map while a pairs() iteration is in progress raises an error, as Envoy's
--     checkModifiable() does ("header map can not be modified while iterating").
--
-- Envoy builds LuaJIT with LUAJIT_ENABLE_LUA52COMPAT, so `pairs` honours `__pairs` there. A
-- stock LuaJIT (Debian's) does not: filters must be run in an environment made by
-- `stub.filter_env()`, whose `pairs` honours `__pairs` exactly like Envoy's build.
--
-- `stub.new_handle(entries, { old_envoy = true })` gives a header map WITHOUT getNumValues /
-- getAtIndex (Envoy before those were added), so a filter's pairs() fallback runs.
--
-- The stub also records every call (`state.calls`) and every log line (`handle.logs`), so
-- the runner can assert e.g. that `add` is never used for authorization.

local M = {}

local STATE = setmetatable({}, { __mode = "k" }) -- header-map proxy -> private state

local function check_key(key)
  if type(key) ~= "string" then
    error("header key must be a string, got " .. type(key), 3)
  end
  return string.lower(key)
end

local function check_value(value)
  if type(value) ~= "string" then
    error("header value must be a string, got " .. type(value), 3)
  end
  if value:find("[%z\r\n]") then
    error("header value contains NUL, CR or LF", 3)
  end
  return value
end

local function modifiable(st)
  if st.iterating then
    error("header map can not be modified while iterating", 3)
  end
end

local methods = {}

function methods.get(self, key)
  local st = STATE[self]
  local k = check_key(key)
  st.calls[#st.calls + 1] = { "get", k }
  local vals = {}
  for _, e in ipairs(st.entries) do
    if e[1] == k then
      vals[#vals + 1] = e[2]
    end
  end
  if #vals == 0 then
    return nil
  end
  return table.concat(vals, ",")
end

function methods.getAtIndex(self, key, index)
  local st = STATE[self]
  local k = check_key(key)
  if type(index) ~= "number" or index < 0 or index % 1 ~= 0 then
    error("getAtIndex: index must be a non-negative integer", 2)
  end
  st.calls[#st.calls + 1] = { "getAtIndex", k, index }
  local n = 0
  for _, e in ipairs(st.entries) do
    if e[1] == k then
      if n == index then
        return e[2]
      end
      n = n + 1
    end
  end
  return nil
end

function methods.getNumValues(self, key)
  local st = STATE[self]
  local k = check_key(key)
  st.calls[#st.calls + 1] = { "getNumValues", k }
  local n = 0
  for _, e in ipairs(st.entries) do
    if e[1] == k then
      n = n + 1
    end
  end
  return n
end

local function remove_all(st, k)
  local kept = {}
  for _, e in ipairs(st.entries) do
    if e[1] ~= k then
      kept[#kept + 1] = e
    end
  end
  st.entries = kept
end

function methods.add(self, key, value)
  local st = STATE[self]
  modifiable(st)
  local k, v = check_key(key), check_value(value)
  st.calls[#st.calls + 1] = { "add", k, v }
  st.entries[#st.entries + 1] = { k, v }
end

function methods.replace(self, key, value)
  local st = STATE[self]
  modifiable(st)
  local k, v = check_key(key), check_value(value)
  st.calls[#st.calls + 1] = { "replace", k, v }
  remove_all(st, k)
  st.entries[#st.entries + 1] = { k, v }
end

function methods.remove(self, key)
  local st = STATE[self]
  modifiable(st)
  local k = check_key(key)
  st.calls[#st.calls + 1] = { "remove", k }
  remove_all(st, k)
end

local function header_pairs(self)
  local st = STATE[self]
  st.calls[#st.calls + 1] = { "pairs" }
  st.iterating = true
  local i = 0
  return function()
    i = i + 1
    local e = st.entries[i]
    if e == nil then
      st.iterating = false
      return nil
    end
    return e[1], e[2]
  end, self, nil
end

local OLD_ENVOY_METHODS = { getNumValues = true, getAtIndex = true }

local function new_headers(entries, old_envoy)
  local st = { entries = {}, calls = {}, iterating = false }
  for _, e in ipairs(entries or {}) do
    st.entries[#st.entries + 1] = { check_key(e[1]), check_value(e[2]) }
  end
  local index
  if old_envoy then
    index = {}
    for name, f in pairs(methods) do
      if not OLD_ENVOY_METHODS[name] then
        index[name] = f
      end
    end
  else
    index = methods
  end
  local proxy = setmetatable({}, {
    __index = index,
    __newindex = function()
      error("the header map is userdata in Envoy: fields cannot be set", 2)
    end,
    __pairs = header_pairs,
    __metatable = "envoy header map",
  })
  STATE[proxy] = st
  return proxy, st
end

--- A request handle. `entries` is an ordered list of {key, value}.
--- opts.old_envoy: header map without getNumValues/getAtIndex.
function M.new_handle(entries, opts)
  opts = opts or {}
  local headers, st = new_headers(entries, opts.old_envoy)
  local handle = { logs = {} }
  local function logger(level)
    return function(self, msg)
      if type(msg) ~= "string" then
        error("log message must be a string, got " .. type(msg), 2)
      end
      self.logs[#self.logs + 1] = { level = level, msg = msg }
    end
  end
  handle.logTrace = logger("trace")
  handle.logDebug = logger("debug")
  handle.logInfo = logger("info")
  handle.logWarn = logger("warn")
  handle.logErr = logger("err")
  handle.logCritical = logger("critical")
  function handle.headers(self)
    return headers
  end
  handle.state = st -- for assertions only; not part of Envoy's API
  return handle
end

--- The entries currently in the handle's header map (a copy), in order.
function M.entries(handle)
  local out = {}
  for _, e in ipairs(handle.state.entries) do
    out[#out + 1] = { e[1], e[2] }
  end
  return out
end

--- Values of all entries with `key`, in order.
function M.values(handle, key)
  local k = string.lower(key)
  local out = {}
  for _, e in ipairs(handle.state.entries) do
    if e[1] == k then
      out[#out + 1] = e[2]
    end
  end
  return out
end

--- `pairs` as in Envoy's LuaJIT build (LUAJIT_ENABLE_LUA52COMPAT): honours __pairs.
function M.pairs52(t)
  local mt = getmetatable(t)
  if type(mt) == "table" and mt.__pairs then
    return mt.__pairs(t)
  end
  -- getmetatable returns the __metatable field when set; look the real one up for the stub.
  local st = STATE[t]
  if st ~= nil then
    return header_pairs(t)
  end
  return pairs(t)
end

--- A fresh global environment for a filter chunk (isolated per load).
function M.filter_env()
  local env = setmetatable({}, { __index = _G })
  env.pairs = M.pairs52
  env._G = env
  return env
end

--- Loads filter source text into a fresh environment; returns env (with envoy_on_request).
function M.load_filter(source, chunkname)
  local chunk, err = loadstring(source, "=" .. (chunkname or "filter"))
  if chunk == nil then
    return nil, "filter does not compile: " .. tostring(err)
  end
  local env = M.filter_env()
  setfenv(chunk, env)
  local ok, e = pcall(chunk)
  if not ok then
    return nil, "filter failed to load: " .. tostring(e)
  end
  if type(rawget(env, "envoy_on_request")) ~= "function" then
    return nil, "filter does not define envoy_on_request"
  end
  return env
end

return M
