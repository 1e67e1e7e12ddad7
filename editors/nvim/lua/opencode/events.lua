-- Routing server events (`{type, properties}`) to the transcript, the chat and permission asks.
--
-- Events come once, on the global `opencode/event` feed (the plugin asks for `events: true`; the
-- run's $/progress reports are only read for their words), so each text delta is applied once.
local M = {}

local function session_of(event)
  local p = event.properties
  if type(p) ~= 'table' then
    return nil
  end
  if type(p.sessionID) == 'string' then
    return p.sessionID
  end
  if type(p.part) == 'table' then
    return p.part.sessionID
  end
  if type(p.info) == 'table' then
    return p.info.sessionID or p.info.id
  end
  return nil
end

--- Handle one event. `source` is 'progress' or 'feed'.
function M.dispatch(event, source)
  if type(event) ~= 'table' or type(event.type) ~= 'string' then
    return
  end
  local state = require('opencode.state')
  if event.type == 'permission.asked' then
    -- Asked on both channels: permission.lua answers each request id once.
    require('opencode.permission').ask(event.properties)
    return
  end
  if event.type == 'permission.replied' then
    require('opencode.permission').replied(event.properties)
    return
  end
  local session_id = session_of(event)
  if event.type == 'session.deleted' then
    local id = event.properties.info and event.properties.info.id
    require('opencode.transcript').forget(id)
    if id and id == state.session_id then
      state.session_id = nil
      require('opencode.chat').render()
    end
    return
  end
  local transcript = require('opencode.transcript')
  -- Only keep sessions someone looks at: the feed carries every session of the workspace.
  if source == 'feed' and session_id and session_id ~= state.session_id and not transcript.has(session_id) then
    return
  end
  local changed = transcript.apply(event)
  -- Streamed deltas never settle a prompt on its way; everything else may.
  if changed and event.properties.delta == nil and require('opencode.outbox').active() then
    require('opencode.outbox').observe(changed)
  end
  if changed and changed == state.session_id then
    require('opencode.chat').render()
  end
end

--- The server process ended.
function M.server_exited(code)
  require('opencode.run').clear()
  require('opencode.permission').clear()
  if code ~= 0 then
    vim.notify(('opencode: the server exited (code %s)'):format(tostring(code)), vim.log.levels.WARN)
  end
end

return M
