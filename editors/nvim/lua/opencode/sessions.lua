-- Picking, opening, renaming, forking and deleting sessions.
local client = require('opencode.client')
local state = require('opencode.state')
local transcript = require('opencode.transcript')

local M = {}

--- "title · 2025-01-02 10:20 · $0.0123" for a Session.
function M.format(session)
  local updated = session.time and session.time.updated or 0
  local when = os.date('%Y-%m-%d %H:%M', math.floor(updated / 1000))
  return ('%s · %s · $%.4f'):format(session.title or session.id, when, tonumber(session.cost) or 0)
end

--- Make a session the current one and load its messages into the chat.
function M.open(session_id, cb)
  state.session_id = session_id
  local chat = require('opencode.chat')
  client.call('opencode/session/get', { sessionID = session_id }, function(info)
    transcript.get(session_id).info = info
    require('opencode.run').reload(session_id, function()
      chat.render()
      if cb then
        cb(info)
      end
    end)
  end)
end

--- Create a session and make it current. cb(session); on_fail() when it could not be made.
function M.new(cb, on_fail)
  -- No directory: the server files the session under its own workspace root, the same root the
  -- listing below reads (a root computed from whichever buffer is current could differ).
  client.request('opencode/session/create', vim.empty_dict(), function(err, info)
    if err or type(info) ~= 'table' then
      vim.notify('opencode: could not create a session: ' .. tostring(err and err.message), vim.log.levels.ERROR)
      if on_fail then
        on_fail()
      end
      return
    end
    transcript.get(info.id).info = info
    state.session_id = info.id
    require('opencode.chat').render()
    if cb then
      cb(info)
    end
  end)
end

--- cb(session_id) with the current session, creating one when there is none.
function M.ensure(cb, on_fail)
  if state.session_id then
    cb(state.session_id)
    return
  end
  M.new(function(info)
    cb(info.id)
  end, on_fail)
end

local last = nil -- the workspace's most recent session, for the empty chat's hint

--- The empty chat's line about the last session, or nil.
function M.resume_hint()
  if not last then
    return nil
  end
  local updated = last.time and last.time.updated or 0
  return ('_Last session: %s (%s) · :OpenCode continue_'):format(last.title or last.id,
    os.date('%Y-%m-%d %H:%M', math.floor(updated / 1000)))
end

--- Look up the most recent session (the chat shows it as a hint when no session is current).
function M.refresh_last()
  client.request('opencode/session/list', { roots = true }, function(err, list)
    last = not err and type(list) == 'table' and list[1] or nil
    require('opencode.chat').render()
  end)
end

--- Sessions of the workspace, newest first. cb(sessions)
function M.list(cb)
  client.call('opencode/session/list', { roots = true }, cb)
end

local actions = {
  {
    label = 'Open',
    run = function(session)
      M.open(session.id, function()
        require('opencode.chat').open()
      end)
    end,
  },
  {
    label = 'Rename',
    run = function(session)
      vim.ui.input({ prompt = 'Session title: ', default = session.title }, function(title)
        if not title or vim.trim(title) == '' then
          return
        end
        client.call('opencode/session/update', { sessionID = session.id, title = vim.trim(title) }, function(info)
          transcript.get(info.id).info = info
          require('opencode.chat').render()
        end)
      end)
    end,
  },
  {
    label = 'Fork',
    run = function(session)
      client.call('opencode/session/fork', { sessionID = session.id }, function(info)
        M.open(info.id, function()
          require('opencode.chat').open()
        end)
      end)
    end,
  },
  {
    label = 'Delete',
    run = function(session)
      vim.ui.select({ 'Delete', 'Keep' }, {
        prompt = ('Delete "%s" and all its messages?'):format(session.title or session.id),
        kind = 'opencode.confirm',
      }, function(choice)
        if choice ~= 'Delete' then
          return
        end
        client.call('opencode/session/delete', { sessionID = session.id }, function()
          transcript.forget(session.id)
          if state.session_id == session.id then
            state.session_id = nil
          end
          if last and last.id == session.id then
            last = nil
          end
          require('opencode.chat').render()
        end)
      end)
    end,
  },
}
M.actions = actions

--- Choose what to do with a session.
function M.act(session)
  vim.ui.select(actions, {
    prompt = M.format(session),
    kind = 'opencode.session_action',
    format_item = function(action)
      return action.label
    end,
  }, function(action)
    if action then
      action.run(session)
    end
  end)
end

--- :OpenCode sessions - pick a session, then an action.
function M.pick()
  M.list(function(list)
    if type(list) ~= 'table' or #list == 0 then
      vim.notify('opencode: no sessions yet', vim.log.levels.INFO)
      return
    end
    vim.ui.select(list, {
      prompt = 'opencode sessions',
      kind = 'opencode.session',
      format_item = M.format,
    }, function(session)
      if session then
        M.act(session)
      end
    end)
  end)
end

return M
