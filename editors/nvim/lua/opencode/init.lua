-- opencode.nvim: drive the opencode language server's agent from Neovim.
--
-- Public API (every :OpenCode subcommand maps to one of these):
--   setup(opts)             merge options (optional: the plugin works with the defaults)
--   chat()                  open the chat for the current session
--   send()                  send the chat's input section
--   ask(text, range?)       prompt the current session; range = {bufnr, line1, line2}
--   prompt(parts)           prompt the current session with raw prompt parts
--   stop()                  abort the current session's run
--   new() sessions() agent() model() compact() undo() redo() export(path?)
local config = require('opencode.config')
local state = require('opencode.state')

local M = {}

function M.setup(opts)
  config.apply(opts)
  state.agent = config.get().agent or state.agent
  state.model = state.parse_model(config.get().model) or state.model
end

local function chat()
  return require('opencode.chat')
end

local function sessions()
  return require('opencode.sessions')
end

local function client()
  return require('opencode.client')
end

function M.chat()
  chat().open()
  if state.session_id then
    sessions().open(state.session_id)
  end
end

function M.send()
  chat().send()
end

--- Prompt the current session (created when there is none) with prompt parts.
function M.prompt(parts, opts)
  sessions().ensure(function(session_id)
    require('opencode.run').prompt(session_id, parts, opts)
  end)
end

--- A file prompt part for lines line1..line2 (1-based, inclusive) of a buffer.
function M.selection_part(bufnr, line1, line2)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == '' then
    return nil
  end
  path = vim.fn.fnamemodify(path, ':p')
  return {
    type = 'file',
    url = vim.uri_from_fname(path) .. ('?start=%d&end=%d'):format(line1, line2),
    mime = 'text/plain',
    filename = vim.fn.fnamemodify(path, ':.'),
  }
end

--- :OpenCode ask {text}; with a range the selected lines go along as a file part.
function M.ask(text, range)
  text = vim.trim(text or '')
  if text == '' then
    vim.notify('opencode: ask what? (:OpenCode ask {text})', vim.log.levels.WARN)
    return
  end
  local parts = { { type = 'text', text = text } }
  if range then
    local part = M.selection_part(range.bufnr, range.line1, range.line2)
    if part then
      table.insert(parts, part)
    end
  end
  if config.get().chat.open_on_ask then
    local current = vim.api.nvim_get_current_win()
    chat().open()
    -- Keep editing where the user was; the chat follows the stream on its own.
    if vim.api.nvim_win_is_valid(current) and range then
      vim.api.nvim_set_current_win(current)
    end
  end
  M.prompt(parts)
end

function M.stop()
  if not state.session_id then
    vim.notify('opencode: no current session', vim.log.levels.WARN)
    return
  end
  require('opencode.run').abort(state.session_id)
end

function M.new()
  sessions().new(function()
    chat().open()
  end)
end

function M.sessions()
  sessions().pick()
end

--- Choose the agent of the next prompts.
function M.agent(name)
  if name and name ~= '' then
    state.agent = name
    vim.notify('opencode: agent ' .. name)
    return
  end
  client().call('opencode/agent/list', vim.empty_dict(), function(agents)
    local primary = vim.tbl_filter(function(a)
      return a.mode ~= 'subagent' and not a.hidden
    end, agents or {})
    vim.ui.select(primary, {
      prompt = 'opencode agent',
      kind = 'opencode.agent',
      format_item = function(a)
        return a.name .. (a.description and (' · ' .. a.description) or '')
      end,
    }, function(a)
      if a then
        state.agent = a.name
      end
    end)
  end)
end

--- Choose the model of the next prompts ("provider/model" or from the server's list).
function M.model(ref)
  if ref and ref ~= '' then
    local model = state.parse_model(ref)
    if not model then
      vim.notify('opencode: a model is "provider/model"', vim.log.levels.ERROR)
      return
    end
    state.model = model
    return
  end
  client().call('opencode/model/list', vim.empty_dict(), function(models)
    vim.ui.select(models or {}, {
      prompt = 'opencode model',
      kind = 'opencode.model',
      format_item = function(m)
        return m.providerID .. '/' .. m.modelID .. (m.name and (' · ' .. m.name) or '')
      end,
    }, function(m)
      if m then
        state.model = { providerID = m.providerID, modelID = m.modelID }
      end
    end)
  end)
end

local function with_session(cb)
  if not state.session_id then
    vim.notify('opencode: no current session', vim.log.levels.WARN)
    return
  end
  cb(state.session_id)
end

--- Compact the current session: the server summarizes it, streamed like a prompt.
function M.compact()
  with_session(function(id)
    require('opencode.run').start(id, 'opencode/session/summarize', { model = state.model })
  end)
end

local function session_changed(info)
  require('opencode.transcript').get(info.id).info = info
  require('opencode.run').reload(info.id, function()
    chat().render()
  end)
end

--- Revert the last turn (again: the turn before it).
function M.undo()
  with_session(function(id)
    local transcript = require('opencode.transcript')
    local info = transcript.get(id).info
    local before = info and type(info.revert) == 'table' and info.revert.messageID or nil
    local user = transcript.last_user_message(id, before)
    if not user then
      vim.notify('opencode: nothing to undo', vim.log.levels.INFO)
      return
    end
    client().call('opencode/session/revert', { sessionID = id, messageID = user.id }, session_changed)
  end)
end

--- Bring back one turn that undo hid (as OpenCode's redo); the last one clears the revert.
function M.redo()
  with_session(function(id)
    local transcript = require('opencode.transcript')
    local info = transcript.get(id).info
    local revert = info and type(info.revert) == 'table' and info.revert or nil
    if not revert then
      vim.notify('opencode: nothing to redo', vim.log.levels.INFO)
      return
    end
    local next_user = transcript.next_user_message(id, revert.messageID)
    if next_user then
      client().call('opencode/session/revert', { sessionID = id, messageID = next_user.id }, session_changed)
    else
      client().call('opencode/session/unrevert', { sessionID = id }, session_changed)
    end
  end)
end

--- Write the session in OpenCode's export shape to `path`, or show it in a new buffer.
function M.export(path)
  with_session(function(id)
    client().call('opencode/session/export', { sessionID = id }, function(data)
      local text = vim.json.encode(data)
      if path and path ~= '' then
        local file = vim.fn.fnamemodify(path, ':p')
        vim.fn.writefile({ text }, file)
        vim.notify('opencode: exported to ' .. file)
        return
      end
      vim.cmd('new')
      local buf = vim.api.nvim_get_current_buf()
      vim.bo[buf].buftype = 'nofile'
      vim.bo[buf].filetype = 'json'
      vim.api.nvim_buf_set_lines(buf, 0, -1, false, { text })
    end)
  end)
end

return M
