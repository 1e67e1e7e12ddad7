-- The client-side copy of sessions' messages and parts, fed by server events.
--
-- Pure data: no buffers, no server. Events are OpenCode's `{type, properties}`; a
-- `message.part.updated` with a `delta` appends it to the text of the part we hold, otherwise
-- the part replaces the one with the same id. Ids sort in creation order, so messages and parts
-- are kept in maps and ordered by id when read.
local M = {}

local sessions = {} -- session id -> { info?, messages = { [id] = { info, parts = { [id] = part } } }, status?, error? }

--- The transcript of a session (created empty on first use).
function M.get(session_id)
  local t = sessions[session_id]
  if not t then
    t = { messages = {} }
    sessions[session_id] = t
  end
  return t
end

function M.has(session_id)
  return sessions[session_id] ~= nil
end

function M.forget(session_id)
  sessions[session_id] = nil
end

function M.reset()
  sessions = {}
end

local function message_entry(t, message_id, session_id)
  local entry = t.messages[message_id]
  if not entry then
    -- A part can arrive before its message's info: keep a placeholder until the info comes.
    entry = { info = { id = message_id, sessionID = session_id }, parts = {} }
    t.messages[message_id] = entry
  end
  return entry
end

--- Replace a session's messages with a `opencode/session/messages` result (`{info, parts}[]`).
function M.load(session_id, list)
  local t = M.get(session_id)
  t.messages = {}
  for _, item in ipairs(list or {}) do
    local entry = message_entry(t, item.info.id, session_id)
    entry.info = item.info
    for _, part in ipairs(item.parts or {}) do
      entry.parts[part.id] = part
    end
  end
  t.error = nil
end

local function apply_part(part, delta)
  local t = M.get(part.sessionID)
  local entry = message_entry(t, part.messageID, part.sessionID)
  local held = entry.parts[part.id]
  if type(delta) == 'string' and (part.type == 'text' or part.type == 'reasoning') then
    -- Protocol v2: a delta event's part.text need not be the full text; the delta is what counts.
    local text = (held and held.text or '') .. delta
    held = vim.deepcopy(part)
    held.text = text
    entry.parts[part.id] = held
  else
    entry.parts[part.id] = part
  end
  return part.sessionID
end

local handlers = {
  ['message.updated'] = function(p)
    local info = p.info
    local entry = message_entry(M.get(info.sessionID), info.id, info.sessionID)
    entry.info = info
    return info.sessionID
  end,
  ['message.removed'] = function(p)
    M.get(p.sessionID).messages[p.messageID] = nil
    return p.sessionID
  end,
  ['message.part.updated'] = function(p)
    return apply_part(p.part, p.delta)
  end,
  ['message.part.removed'] = function(p)
    local entry = M.get(p.sessionID).messages[p.messageID]
    if entry then
      entry.parts[p.partID] = nil
    end
    return p.sessionID
  end,
  ['session.updated'] = function(p)
    M.get(p.info.id).info = p.info
    return p.info.id
  end,
  ['session.created'] = function(p)
    M.get(p.info.id).info = p.info
    return p.info.id
  end,
  ['session.status'] = function(p)
    local t = M.get(p.sessionID)
    t.status = p.status
    if p.status and p.status.type == 'busy' then
      t.error = nil
    end
    return p.sessionID
  end,
  ['session.error'] = function(p)
    if not p.sessionID or p.sessionID == vim.NIL then
      return nil
    end
    M.get(p.sessionID).error = p.error
    return p.sessionID
  end,
}

--- Fold one event into the transcripts. Returns the id of the session it changed, or nil.
function M.apply(event)
  local handler = type(event) == 'table' and handlers[event.type]
  if not handler or type(event.properties) ~= 'table' then
    return nil
  end
  -- An event missing a field it should have is dropped, not allowed to break the LSP handler.
  local ok, changed = pcall(handler, event.properties)
  return ok and changed or nil
end

local function sorted_values(map)
  local list = {}
  for _, v in pairs(map) do
    table.insert(list, v)
  end
  table.sort(list, function(a, b)
    return (a.id or a.info.id) < (b.id or b.info.id)
  end)
  return list
end

--- Messages of a session in order, each `{info, parts}` with parts in order. Messages from a
--- revert point on are left out: the server keeps them until the next prompt, OpenCode hides them.
function M.messages(session_id)
  local t = sessions[session_id]
  if not t then
    return {}
  end
  local revert = t.info and t.info.revert
  local cut = type(revert) == 'table' and revert.messageID or nil
  local list = {}
  for _, entry in ipairs(sorted_values(t.messages)) do
    if cut and entry.info.id >= cut then
      break
    end
    table.insert(list, { info = entry.info, parts = sorted_values(entry.parts) })
  end
  return list
end

--- How many messages a revert is hiding.
function M.hidden_count(session_id)
  local t = sessions[session_id]
  local revert = t and t.info and t.info.revert
  if type(revert) ~= 'table' then
    return 0
  end
  local n = 0
  for id in pairs(t.messages) do
    if id >= revert.messageID then
      n = n + 1
    end
  end
  return n
end

--- How many turns (user messages) a revert is hiding.
function M.hidden_turns(session_id)
  local t = sessions[session_id]
  local revert = t and t.info and t.info.revert
  if type(revert) ~= 'table' then
    return 0
  end
  local n = 0
  for id, entry in pairs(t.messages) do
    if id >= revert.messageID and entry.info.role == 'user' then
      n = n + 1
    end
  end
  return n
end

--- The last user message before `before_id` (or the last one overall).
function M.last_user_message(session_id, before_id)
  local t = sessions[session_id]
  if not t then
    return nil
  end
  local found = nil
  for _, entry in ipairs(sorted_values(t.messages)) do
    if before_id and entry.info.id >= before_id then
      break
    end
    if entry.info.role == 'user' then
      found = entry.info
    end
  end
  return found
end

--- The first user message after `after_id`.
function M.next_user_message(session_id, after_id)
  local t = sessions[session_id]
  if not t then
    return nil
  end
  for _, entry in ipairs(sorted_values(t.messages)) do
    if entry.info.id > after_id and entry.info.role == 'user' then
      return entry.info
    end
  end
  return nil
end

return M
