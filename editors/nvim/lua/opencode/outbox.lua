-- Prompts on their way: shown in the chat the moment they are sent, before the server has
-- them (it may still be starting), and marked "queued" while the session is busy with an
-- earlier prompt (the server keeps them and the running loop picks them up).
--
-- An entry lives here until the server's user message with the same text arrives; a queued
-- prompt's message id stays marked until an answer to it starts (an assistant message newer
-- than it) or the session goes idle.
local M = {}

local entries = {} -- { text, session_id?, queued, known = {message id = true} }
local queued = {} -- user message id -> session id, while the prompt waits its turn

--- Record a prompt just sent. session_id may be nil (no session yet). Returns the entry.
function M.add(session_id, text, is_queued)
  local entry = { text = text, session_id = session_id, queued = is_queued, known = {} }
  if session_id then
    M.bind(entry, session_id)
  end
  table.insert(entries, entry)
  return entry
end

--- The entry's session is known now; user messages already held are not its own.
function M.bind(entry, session_id)
  entry.session_id = session_id
  for _, item in ipairs(require('opencode.transcript').messages(session_id)) do
    if item.info.role == 'user' then
      entry.known[item.info.id] = true
    end
  end
end

--- Entries for the chat showing session_id (entries without a session show everywhere).
function M.entries(session_id)
  return vim.tbl_filter(function(entry)
    return entry.session_id == nil or entry.session_id == session_id
  end, entries)
end

--- Whether anything is on its way or queued (otherwise there is nothing to reconcile).
function M.active()
  return #entries > 0 or next(queued) ~= nil
end

function M.queued_ids()
  return queued
end

function M.remove(entry)
  for i, e in ipairs(entries) do
    if e == entry then
      table.remove(entries, i)
      return
    end
  end
end

local function text_of(item)
  local texts = {}
  for _, part in ipairs(item.parts) do
    if part.type == 'text' and not part.synthetic and type(part.text) == 'string' then
      table.insert(texts, part.text)
    end
  end
  return table.concat(texts, '\n')
end

--- Reconcile with a session's transcript after it changed.
function M.observe(session_id)
  local transcript = require('opencode.transcript')
  local messages = transcript.messages(session_id)
  local newest_assistant = nil
  for _, item in ipairs(messages) do
    if item.info.role == 'assistant' then
      newest_assistant = item.info.id
    end
  end
  for _, item in ipairs(messages) do
    local id = item.info.id
    if item.info.role == 'user' then
      for _, entry in ipairs(M.entries(session_id)) do
        if entry.session_id == session_id and not entry.known[id] and text_of(item) == entry.text then
          M.remove(entry)
          if entry.queued and not (newest_assistant and newest_assistant > id) then
            queued[id] = session_id
          end
          break
        end
      end
    end
  end
  local status = transcript.get(session_id).status
  local idle = type(status) ~= 'table' or status.type == 'idle'
  for id, sid in pairs(queued) do
    if sid == session_id and (idle or (newest_assistant and newest_assistant > id)) then
      queued[id] = nil
    end
  end
end

--- Whether the entry still waits for its stored user message.
function M.pending(entry)
  return vim.tbl_contains(entries, entry)
end

--- The request ended: whatever it was carrying is settled by the stored state.
function M.settle(entry)
  M.remove(entry)
end

function M.clear()
  entries = {}
  queued = {}
end

return M
