-- opencode.nvim: drive the opencode language server's agent from Neovim.
--
-- Public API (every :OpenCode subcommand maps to one of these):
--   setup(opts)             merge options (optional: the plugin works with the defaults)
--   chat()                  open the chat for the current session
--   send()                  send the chat's input section
--   ask(text, range?)       prompt the current session; range = {bufnr, line1, line2}
--   prompt(parts)           prompt the current session with raw prompt parts
--   stop()                  abort the current session's run
--   continue()              resume the workspace's most recent session
--   fix(range?)             ask to fix the diagnostics of a range or the buffer
--   permission()            move the cursor to the oldest pending permission ask
--   approvals() diff()      stored "always" approvals; the last turn's changes
--   new() sessions() agent() model() compact() undo() redo() export(path?)
--   statusline()            a pending ask or "working", for statuslines
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
  else
    -- After a restart: say which session was last, and how to continue it.
    sessions().refresh_last()
  end
end

--- :OpenCode continue - make the workspace's most recent session current and show it.
function M.continue()
  sessions().list(function(list)
    local last = type(list) == 'table' and list[1] or nil
    if not last then
      vim.notify('opencode: no session to continue yet', vim.log.levels.INFO)
      return
    end
    sessions().open(last.id, function()
      chat().open()
    end)
  end)
end

function M.send()
  chat().send()
end

local function text_of(parts)
  local texts = {}
  for _, part in ipairs(parts) do
    if part.type == 'text' and type(part.text) == 'string' then
      table.insert(texts, part.text)
    end
  end
  return table.concat(texts, '\n')
end

--- Prompt the current session (created when there is none) with prompt parts. The prompt shows
--- in the chat at once, marked queued when the session is still busy with an earlier one.
function M.prompt(parts, opts)
  opts = opts or {}
  local outbox = require('opencode.outbox')
  local run = require('opencode.run')
  local session_id = state.session_id
  local entry = outbox.add(session_id, text_of(parts), session_id ~= nil and run.busy(session_id))
  chat().render_now()
  sessions().ensure(function(id)
    if entry.session_id ~= id then
      outbox.bind(entry, id)
    end
    run.prompt(id, parts, vim.tbl_extend('force', opts, { outbox = entry }))
  end, function()
    outbox.remove(entry)
    chat().restore_input(entry.text)
    chat().render()
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

local severity_name = { 'error', 'warning', 'info', 'hint' }

--- The buffer's diagnostics on lines line1..line2 (1-based; all lines when nil) as a text part.
function M.diagnostics_part(bufnr, line1, line2)
  local lines = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lnum = d.lnum + 1
    if not line1 or (lnum >= line1 and lnum <= line2) then
      table.insert(lines, ('- line %d: %s: %s%s'):format(lnum, severity_name[d.severity] or 'note',
        (d.message or ''):gsub('\n', ' '), d.source and (' (' .. d.source .. ')') or ''))
    end
  end
  if #lines == 0 then
    return nil
  end
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':.')
  return { type = 'text', text = ('Diagnostics in %s:\n%s'):format(name, table.concat(lines, '\n')) }
end

local function show_chat_keep_cursor()
  if config.get().chat.open_on_ask then
    -- The chat follows the stream on its own; the cursor stays where the user works.
    chat().open({ focus = false })
  end
end

--- :OpenCode ask {text}; with a range the selected lines (and their diagnostics) go along.
--- Without text it asks for it.
function M.ask(text, range)
  text = vim.trim(text or '')
  if text == '' then
    vim.ui.input({ prompt = 'Ask opencode: ' }, function(input)
      if input and vim.trim(input) ~= '' then
        M.ask(input, range)
      end
    end)
    return
  end
  local parts = { { type = 'text', text = text } }
  if range then
    local part = M.selection_part(range.bufnr, range.line1, range.line2)
    if part then
      table.insert(parts, part)
    end
    table.insert(parts, M.diagnostics_part(range.bufnr, range.line1, range.line2))
  end
  show_chat_keep_cursor()
  M.prompt(parts)
end

--- :[range]OpenCode fix - ask the agent to fix the diagnostics of the range (or the buffer).
function M.fix(range)
  local bufnr = range and range.bufnr or vim.api.nvim_get_current_buf()
  local diagnostics = M.diagnostics_part(bufnr, range and range.line1, range and range.line2)
  if not diagnostics then
    vim.notify('opencode: no diagnostics to fix here', vim.log.levels.INFO)
    return
  end
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':.')
  local parts = { { type = 'text', text = ('Fix these problems in %s.'):format(name) }, diagnostics }
  local file = M.selection_part(bufnr, range and range.line1 or 1, range and range.line2 or vim.api.nvim_buf_line_count(bufnr))
  if file then
    table.insert(parts, 2, file)
  end
  show_chat_keep_cursor()
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

function M.agent(name)
  require('opencode.pickers').agent(name)
end

function M.model(ref)
  require('opencode.pickers').model(ref)
end

function M.permission()
  require('opencode.permission').focus()
end

function M.approvals()
  require('opencode.review').approvals()
end

function M.diff()
  require('opencode.review').diff()
end

--- A short text for statuslines: a pending permission ask, else whether the agent works.
function M.statusline()
  local asked = require('opencode.permission').statusline()
  if asked ~= '' then
    return asked
  end
  if state.session_id and require('opencode.run').busy(state.session_id) then
    return 'opencode: working'
  end
  return ''
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

function M.undo()
  with_session(require('opencode.history').undo)
end

function M.redo()
  with_session(require('opencode.history').redo)
end

function M.export(path)
  with_session(function(id)
    require('opencode.history').export(id, path)
  end)
end

return M
