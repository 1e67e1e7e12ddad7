-- Prompt runs: the `opencode/session/prompt` request and its work-done progress stream.
--
-- Each run gets its own workDoneToken; the server reports every event of the run on it. The
-- events are read from the LspProgress autocommand, so progress plugins (fidget, the statusline's
-- vim.lsp.status()) show the same run the chat renders.
local client = require('opencode.client')

local M = {}

local runs = {} -- token -> { session_id }
local streaming = {} -- session id -> the token whose reports feed the transcript
local counter = 0

local function fire(pattern, data)
  vim.api.nvim_exec_autocmds('User', { pattern = pattern, modeline = false, data = data })
end

--- Whether this Neovim has a prompt running on the session.
function M.busy(session_id)
  for _, run in pairs(runs) do
    if run.session_id == session_id then
      return true
    end
  end
  return false
end

--- Whether the session's events are arriving on a progress stream (then the global event feed's
--- copies of the same events are skipped, so a text delta is applied once).
function M.streaming(session_id)
  return streaming[session_id] ~= nil
end

local function finish(token)
  local run = runs[token]
  runs[token] = nil
  if run and streaming[run.session_id] == token then
    streaming[run.session_id] = nil
    -- A second prompt to the same session may still be running on its own token.
    for other, r in pairs(runs) do
      if r.session_id == run.session_id then
        streaming[run.session_id] = other
        break
      end
    end
  end
  return run
end

local function reload(session_id, done)
  client.request('opencode/session/messages', { sessionID = session_id }, function(err, result)
    if not err and type(result) == 'table' then
      require('opencode.transcript').load(session_id, result)
    end
    if done then
      done()
    end
  end)
end

--- Start a streamed request on a session (`opencode/session/prompt` or `.../summarize`): a fresh
--- workDoneToken goes with it and the run's reports feed the transcript. Returns the token.
function M.start(session_id, method, params)
  counter = counter + 1
  local token = ('opencode.nvim:%d:%d'):format(vim.fn.getpid(), counter)
  runs[token] = { session_id = session_id }
  streaming[session_id] = streaming[session_id] or token
  params = vim.tbl_extend('force', params, { sessionID = session_id, workDoneToken = token })
  require('opencode.chat').render()
  client.request(method, params, function(err, result)
    finish(token)
    if err and err.code ~= -32800 then
      vim.notify(('opencode: %s failed: %s'):format(method, tostring(err.message)), vim.log.levels.ERROR)
    end
    -- Settle on the stored state: whatever the stream missed, the store has.
    reload(session_id, function()
      require('opencode.chat').render()
      -- Files the agent wrote on disk (not through workspace/applyEdit) reload in their buffers.
      pcall(vim.cmd.checktime)
      fire('OpencodeRunDone', { session_id = session_id, token = token, error = err, result = result })
    end)
  end)
  return token
end

--- Prompt a session with prompt parts (protocol.md PromptPart). Returns the run's token.
function M.prompt(session_id, parts, opts)
  opts = opts or {}
  local state = require('opencode.state')
  return M.start(session_id, 'opencode/session/prompt', {
    parts = parts,
    agent = opts.agent or state.agent,
    model = opts.model or state.model,
  })
end

--- Abort the session's run (the server ends running tools and marks the message aborted).
function M.abort(session_id, cb)
  client.request('opencode/session/abort', { sessionID = session_id }, function(err, result)
    if err then
      vim.notify('opencode: abort failed: ' .. tostring(err.message), vim.log.levels.ERROR)
    end
    if cb then
      cb(result == true)
    end
  end)
end

--- Handle one LspProgress autocommand (data = {client_id, params = {token, value}}).
function M.on_progress(args)
  local data = args.data or {}
  local params = data.params or {}
  local run = runs[params.token]
  local value = params.value
  if not run or type(value) ~= 'table' then
    return
  end
  if value.kind == 'report' and type(value.event) == 'table' then
    if streaming[run.session_id] == params.token then
      require('opencode.events').dispatch(value.event, 'progress')
    end
  elseif value.kind == 'end' then
    fire('OpencodeRunEnd', { session_id = run.session_id, token = params.token, message = value.message })
  end
end

local group = vim.api.nvim_create_augroup('opencode.run', { clear = true })
vim.api.nvim_create_autocmd('LspProgress', { group = group, callback = M.on_progress })

--- Forget all runs (the server went away).
function M.clear()
  runs = {}
  streaming = {}
end

M.reload = reload

return M
