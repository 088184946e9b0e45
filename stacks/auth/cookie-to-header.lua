-- eco2-mesh token bridge: copies the token cookie into `Authorization: Bearer <token>`.
--
-- Runs as Envoy's Lua HTTP filter on the ingress gateway, inserted first in the chain so that
-- ext_authz and jwt_authn both see the header. This file is the EnvoyFilter's inline code; the
-- program only rewrites the three settings between the config markers.
--
-- Rules (each one is a test case in test/lua/):
--   * Every `cookie` header line is read, in order (HTTP/1.1 clients may send several; a
--     plain headers():get() would join them with "," and break the pairs).
--   * Pairs are split on ";" and trimmed of ASCII blanks (space, tab, vertical tab, form feed:
--     what lenient app-side parsers strip too, so gateway and app agree on the names); names
--     are compared exactly and case-sensitively (RFC 6265), so "xs_access", "s_access_old" or
--     "other=s_access=..." never match. Every step is linear in the header's length.
--   * Surrounding double quotes are stripped from the value; an empty value is no token.
--   * A repeated cookie: the first occurrence wins (user agents list the most specific path
--     first, RFC 6265 section 5.4).
--   * A value that is not a token68 string (RFC 7235: letters, digits, - . _ ~ + / and
--     trailing =) is ignored, so no comma or space ever reaches the Authorization header.
--   * Client Authorization header present: "replace" overwrites it with the cookie's token;
--     "keep" leaves that header as the client sent it (REMOVE_COOKIE still applies). Either
--     way exactly one value reaches jwt_authn: only replace() is used, never add() (which
--     appends and yields "Bearer a,Bearer b").
--   * A client Authorization that carries more than one credential is ambiguous: several header
--     lines, a Bearer value with a "," (a token68 never holds one), or a "," followed by another
--     scheme and its credentials (how Envoy folds a repeated inline header: "Basic a,Basic b").
--     It is removed with a warning, in both modes and whether or not a cookie came, and the
--     request goes on as if the client had sent none. A "," between auth-params of one
--     credential (Digest `username="u", realm="r"`, AWS SigV4 `Credential=…, SignedHeaders=…`)
--     is not a second credential: such a header is left alone (jwt_authn reads only "Bearer ").
--   * REMOVE_COOKIE drops the token cookie from the Cookie header(s) before the request
--     reaches the apps; every other cookie is kept.
--   * The token is never logged.

-- eco2-mesh:config-begin
local COOKIE_NAME = "s_access"
local ON_EXISTING_AUTHORIZATION = "replace"
local REMOVE_COOKIE = false
-- eco2-mesh:config-end

local byte, find, sub = string.byte, string.find, string.sub

local function blank(c)
  return c == 32 or c == 9 or c == 11 or c == 12 -- space, tab, vertical tab, form feed
end

-- Every blank is stepped over by these two byte scans, never by a pattern: a
-- gsub("[ \t]+$") retries from every blank of an inner run and is quadratic on
-- "a=x<60 KB of blanks>y" (seconds of CPU per request).

-- First index from i up to last that is not a blank (last + 1 when there is none).
local function skip_forward(s, i, last)
  while i <= last and blank(byte(s, i)) do
    i = i + 1
  end
  return i
end

-- Last index from i down to first that is not a blank (first - 1 when there is none).
local function skip_back(s, i, first)
  while i >= first and blank(byte(s, i)) do
    i = i - 1
  end
  return i
end

local function trim(s)
  local i = skip_forward(s, 1, #s)
  return sub(s, i, skip_back(s, #s, i))
end

-- A set of bytes, for membership tests by byte.
local function byte_set(chars)
  local set = {}
  for c in chars:gmatch(".") do
    set[c:byte()] = true
  end
  return set
end

-- All values of the cookie header, one per header line.
local function cookie_lines(headers)
  local lines = {}
  if headers.getNumValues ~= nil then
    local n = headers:getNumValues("cookie")
    for i = 0, n - 1 do
      lines[#lines + 1] = headers:getAtIndex("cookie", i)
    end
  else
    for key, value in pairs(headers) do
      if string.lower(key) == "cookie" then
        lines[#lines + 1] = value
      end
    end
  end
  return lines
end

local function unquote(v)
  if #v >= 2 and v:sub(1, 1) == '"' and v:sub(-1) == '"' then
    return v:sub(2, -2)
  end
  return v
end

-- Splits one cookie line into trimmed name/value pairs, in order.
local function parse_pairs(line)
  local pairs_out = {}
  for part in string.gmatch(line, "[^;]+") do
    local eq = part:find("=", 1, true)
    if eq ~= nil then
      pairs_out[#pairs_out + 1] = { name = trim(part:sub(1, eq - 1)), value = trim(part:sub(eq + 1)), raw = trim(part) }
    elseif trim(part) ~= "" then
      pairs_out[#pairs_out + 1] = { name = trim(part), value = nil, raw = trim(part) }
    end
  end
  return pairs_out
end

-- token68 (RFC 7235): 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
local TOKEN68 = byte_set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/")
local function is_token68(v)
  local n = #v
  while n > 0 and v:byte(n) == 61 do -- trailing "=" padding
    n = n - 1
  end
  if n == 0 then
    return false
  end
  for i = 1, n do
    if not TOKEN68[v:byte(i)] then
      return false
    end
  end
  return true
end

local NAME_LEN = #COOKIE_NAME

-- Fast path: the first `COOKIE_NAME=value` pair of a line, without splitting the line.
-- A plain find() jumps to each occurrence of the name; it is a pair's name only if just
-- blanks separate it from the line start or a ";" before, and from a "=" after (exactly what
-- parse_pairs + trim + exact comparison accept). Returns the trimmed value, or nil.
local function find_value(line)
  local n = #line
  local init = 1
  while true do
    local s = find(line, COOKIE_NAME, init, true)
    if s == nil then
      return nil
    end
    init = s + 1
    local i = skip_back(line, s - 1, 1)
    if i == 0 or byte(line, i) == 59 then -- ";"
      local j = skip_forward(line, s + NAME_LEN, n)
      if j <= n and byte(line, j) == 61 then -- "="
        local e = (find(line, ";", j + 1, true) or n + 1) - 1
        local vs = skip_forward(line, j + 1, e)
        return sub(line, vs, skip_back(line, e, vs))
      end
    end
  end
end

-- One cookie line without any COOKIE_NAME pair (nil when nothing is left).
local function without_token(line)
  local kept = {}
  for _, p in ipairs(parse_pairs(line)) do
    if p.name ~= COOKIE_NAME then
      kept[#kept + 1] = p.raw
    end
  end
  if #kept == 0 then
    return nil
  end
  return table.concat(kept, "; ")
end

-- tchar of RFC 9110 (the characters of an auth-scheme token)
local TCHAR = byte_set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~")

-- Does a "," in this value start another credential (`, <scheme> <credentials>`) rather than
-- the next auth-param of the same one (`, name=value`)? One pass over the value.
local function several_credentials(value)
  local n = #value
  local at = find(value, ",", 1, true)
  -- A bearer token (token68) never holds a ",": anything after one is another credential.
  if at ~= nil and string.lower(sub(value, 1, 7)) == "bearer " then
    return true
  end
  while at ~= nil do
    local i = skip_forward(value, at + 1, n)
    local s = i
    while i <= n and TCHAR[byte(value, i)] do
      i = i + 1
    end
    if i > s and i <= n and blank(byte(value, i)) then
      i = skip_forward(value, i, n)
      if i <= n and byte(value, i) ~= 44 then -- something after the scheme, not another ","
        return true
      end
    end
    at = find(value, ",", at + 1, true)
  end
  return false
end

-- More than one credential in the client's Authorization header(s)?
local function ambiguous_authorization(headers)
  local n = 0
  if headers.getNumValues ~= nil then
    n = headers:getNumValues("authorization")
  else
    for key, _ in pairs(headers) do
      if string.lower(key) == "authorization" then
        n = n + 1
      end
    end
  end
  if n == 0 then
    return false
  end
  return n > 1 or several_credentials(headers:get("authorization"))
end

function envoy_on_request(request_handle)
  local headers = request_handle:headers()
  if ambiguous_authorization(headers) then
    headers:remove("authorization")
    request_handle:logWarn("eco2-mesh: removed an Authorization header carrying several credentials")
  end
  local lines = cookie_lines(headers)
  if #lines == 0 then
    return
  end

  local token = nil
  local found = false
  for _, line in ipairs(lines) do
    local v = find_value(line)
    if v ~= nil then
      found = true
      v = unquote(v)
      if v ~= "" then
        if is_token68(v) then
          token = v
        else
          request_handle:logWarn("eco2-mesh: ignored a malformed " .. COOKIE_NAME .. " cookie")
        end
      end
      break
    end
  end

  if REMOVE_COOKIE and found then
    headers:remove("cookie")
    for _, line in ipairs(lines) do
      local rebuilt = line
      if find(line, COOKIE_NAME, 1, true) ~= nil then
        rebuilt = without_token(line)
      end
      if rebuilt ~= nil then
        headers:add("cookie", rebuilt)
      end
    end
  end

  if token == nil then
    return
  end
  if ON_EXISTING_AUTHORIZATION == "keep" and headers:get("authorization") ~= nil then
    return
  end
  headers:replace("authorization", "Bearer " .. token)
end
