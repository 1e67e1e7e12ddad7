-- Prompt runs: the `opencode/session/prompt` request and its work-done progress stream.
--
-- Each run gets its own workDoneToken. The plugin asks the server for `events: true`, so (protocol
-- v2) every event arrives once, on `opencode/event`, and the run's `$/progress` reports carry only
-- human words for statuslines (vim.lsp.status(), fidget); the transcript is fed from the events.
local client = require('opencode.client')

local M = {}

local runs = {} -- token -> { session_id }
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
  local t = require('opencode.transcript').get(session_id)
  return type(t.status) == 'table' and (t.status.type == 'busy' or t.status.type == 'retry')
end

local function reload(session_id, done)
  client.request('opencode/session/messages', { sessionID = session_id }, function(err, result)
    if not err and type(result) == 'table' then
      require('opencode.transcript').load(session_id, result)
      require('opencode.outbox').observe(session_id)
    end
    if done then
      done()
    end
  end)
end

-- Errors a person must see even when the chat is hidden: bad keys, unreachable endpoints.
local function notify_run_error(session_id)
  local t = require('opencode.transcript').get(session_id)
  local messages = require('opencode.transcript').messages(session_id)
  local last = messages[#messages]
  local err = t.error or (last and last.info.role == 'assistant' and last.info.error) or nil
  if type(err) == 'table' and err.name ~= 'MessageAbortedError' then
    local level = err.name == 'ProviderAuthError' and vim.log.levels.ERROR or vim.log.levels.WARN
    vim.notify('opencode: ' .. require('opencode.errors').line(err, last and last.info.providerID):gsub('%*', ''), level)
  end
end

--- Start a streamed request on a session (`opencode/session/prompt` or `.../summarize`) with a
--- fresh workDoneToken. opts.outbox: the chat's entry for this prompt, settled when it ends.
--- Returns the token.
function M.start(session_id, method, params, opts)
  opts = opts or {}
  counter = counter + 1
  local token = ('opencode.nvim:%d:%d'):format(vim.fn.getpid(), counter)
  runs[token] = { session_id = session_id }
  params = vim.tbl_extend('force', params, { sessionID = session_id, workDoneToken = token })
  require('opencode.chat').render()
  client.request(method, params, function(err, result)
    runs[token] = nil
    if err and (err.code == -31001 or err.code == -32001) then
      -- Protocol v2 "not found": the session was deleted elsewhere; the next prompt starts a new one.
      local state = require('opencode.state')
      if state.session_id == session_id then
        state.session_id = nil
      end
      vim.notify('opencode: that session no longer exists; the next prompt starts a new one', vim.log.levels.ERROR)
    elseif err and (err.code == -31002 or err.code == -32002) then
      vim.notify('opencode: the agent is working on this session; wait or :OpenCode stop', vim.log.levels.WARN)
    elseif err and err.code ~= -32800 then
      vim.notify(('opencode: %s failed: %s'):format(method, tostring(err.message)), vim.log.levels.ERROR)
    end
    -- Settle on the stored state: whatever the stream missed, the store has.
    reload(session_id, function()
      local outbox = require('opencode.outbox')
      if opts.outbox then
        outbox.observe(session_id)
        if err and err.code ~= -32800 and outbox.pending(opts.outbox) then
          require('opencode.chat').restore_input(opts.outbox.text)
        end
        outbox.settle(opts.outbox)
      end
      require('opencode.outbox').observe(session_id)
      require('opencode.chat').render()
      if not err then
        notify_run_error(session_id)
      end
      require('opencode.run').sync_buffers()
      fire('OpencodeRunDone', { session_id = session_id, token = token, error = err, result = result })
    end)
  end)
  return token
end

--- After a run: buffers the agent edited in the editor and on disk alike are marked saved; files
--- it wrote on disk reload in buffers without unsaved changes. A buffer with changes of its own
--- is never checked here (that would bring up Neovim's W12 question, which eats the next key).
function M.sync_buffers()
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(buf)
    if vim.api.nvim_buf_is_loaded(buf) and vim.bo[buf].buftype == '' and name ~= '' and vim.fn.filereadable(name) == 1 then
      if vim.bo[buf].modified then
        local ok, disk = pcall(vim.fn.readfile, name)
        if ok and vim.deep_equal(disk, vim.api.nvim_buf_get_lines(buf, 0, -1, false)) then
          -- The buffer already holds what is on disk: write it (same bytes) so Neovim takes the
          -- file's new time, without a reload that would add an undo step.
          vim.api.nvim_buf_call(buf, function()
            pcall(vim.cmd, 'silent noautocmd write!')
          end)
        end
      else
        pcall(vim.cmd.checktime, buf)
      end
    end
  end
end

--- Prompt a session with prompt parts (protocol.md PromptPart). Returns the run's token.
function M.prompt(session_id, parts, opts)
  opts = opts or {}
  local state = require('opencode.state')
  return M.start(session_id, 'opencode/session/prompt', {
    parts = parts,
    agent = opts.agent or state.agent,
    model = opts.model or state.model,
  }, { outbox = opts.outbox })
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
  if value.kind == 'end' then
    fire('OpencodeRunEnd', { session_id = run.session_id, token = params.token, message = value.message })
  end
end

local group = vim.api.nvim_create_augroup('opencode.run', { clear = true })
vim.api.nvim_create_autocmd('LspProgress', { group = group, callback = M.on_progress })

--- Forget all runs (the server went away).
function M.clear()
  runs = {}
end

M.reload = reload

return M
