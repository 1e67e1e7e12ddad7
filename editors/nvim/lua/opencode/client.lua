-- Starting or finding the opencode language server, and talking to it.
--
-- One client named "opencode" per Neovim. It is started with vim.lsp.start() without attaching
-- to a buffer, so the chat works from any buffer; file buffers of the workspace are attached as
-- they are entered, so the server's tools read the editor's unsaved text.
local config = require('opencode.config')

local M = {}

M.name = 'opencode'
local has_011 = vim.fn.has('nvim-0.11') == 1

local waiting = {} -- callbacks waiting for the client to finish `initialize`
local wait_timer = nil

-- Client methods became `client:method()` in 0.11; the 0.10 form is a field function.
local function call(client, name, ...)
  if has_011 then
    return client[name](client, ...)
  end
  return client[name](...)
end

local started_id = nil -- the client we started: get_clients() lists it only once initialized

--- The running opencode client (possibly still initializing), if any.
function M.find()
  for _, client in ipairs(vim.lsp.get_clients({ name = M.name })) do
    if not call(client, 'is_stopped') then
      return client
    end
  end
  local client = started_id and vim.lsp.get_client_by_id(started_id)
  if client and not call(client, 'is_stopped') then
    return client
  end
  return nil
end

--- The workspace root: the nearest marker above the current buffer, else the current directory.
function M.root_dir()
  local markers = config.get().root_markers
  local root = nil
  if markers and #markers > 0 and vim.fs.root then
    local ok, found = pcall(vim.fs.root, 0, markers)
    root = ok and found or nil
  end
  return root or vim.fn.getcwd()
end

local function on_event(_, params)
  -- The event feed: every server event, once (the chat, permission asks, other sessions).
  require('opencode.events').dispatch(params, 'feed')
  return vim.NIL
end

--- The client configuration (also what lsp/opencode.lua hands to vim.lsp.config on 0.11).
function M.lsp_config()
  local opts = config.get()
  return {
    name = M.name,
    cmd = config.server_cmd(),
    cmd_env = opts.cmd_env,
    root_dir = M.root_dir(),
    init_options = config.init_options(),
    handlers = {
      ['opencode/event'] = on_event,
      ['$/progress'] = function(...)
        return require('opencode.progress').handler(...)
      end,
    },
    on_exit = function(code)
      vim.schedule(function()
        require('opencode.events').server_exited(code)
      end)
    end,
  }
end

local function is_workspace_file(bufnr, root)
  if vim.bo[bufnr].buftype ~= '' then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return false
  end
  return vim.startswith(vim.fs.normalize(name), vim.fs.normalize(root) .. '/')
end

local attach_group = vim.api.nvim_create_augroup('opencode.attach', { clear = true })

local function attach_buffers(client)
  if not config.get().attach_buffers then
    return
  end
  local root = client.config.root_dir or vim.fn.getcwd()
  local function try(bufnr)
    if vim.api.nvim_buf_is_loaded(bufnr) and is_workspace_file(bufnr, root) then
      if not vim.lsp.buf_is_attached(bufnr, client.id) then
        vim.lsp.buf_attach_client(bufnr, client.id)
      end
    end
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    try(bufnr)
  end
  vim.api.nvim_clear_autocmds({ group = attach_group })
  vim.api.nvim_create_autocmd('BufEnter', {
    group = attach_group,
    callback = function(args)
      if M.find() and M.find().id == client.id then
        try(args.buf)
      end
    end,
  })
end

local function start()
  local cfg = M.lsp_config()
  if has_011 and vim.lsp.config and vim.lsp.config[M.name] then
    -- vim.lsp.config('opencode', {...}) may add or override client options; the parts the plugin
    -- depends on (root, handlers, initializationOptions) and an explicit setup({cmd}) stay ours.
    local fixed = {
      root_dir = cfg.root_dir,
      handlers = cfg.handlers,
      on_exit = cfg.on_exit,
      init_options = cfg.init_options,
      cmd = config.get().cmd,
      cmd_env = config.get().cmd_env,
    }
    cfg = vim.tbl_deep_extend('force', cfg, vim.lsp.config[M.name], fixed)
    return vim.lsp.start(cfg, { attach = false })
  end
  return vim.lsp.start_client(cfg)
end

--- A blocking request (for :checkhealth only). Returns result, err.
function M.request_sync(method, params, timeout_ms)
  local client = M.find()
  if not client or not client.initialized then
    return nil, { message = 'the server is not running' }
  end
  local response, err = call(client, 'request_sync', method, params or vim.empty_dict(), timeout_ms or 5000)
  if not response then
    return nil, { message = tostring(err) }
  end
  return response.result, response.err
end

local function flush_waiting()
  local client = M.find()
  if not client then
    return false
  end
  if not client.initialized then
    return false
  end
  local pending = waiting
  waiting = {}
  attach_buffers(client)
  for _, cb in ipairs(pending) do
    cb(client)
  end
  return true
end

--- Run cb(client) once the server is up and initialized, starting it when needed.
function M.with_client(cb)
  local client = M.find()
  if client and client.initialized then
    cb(client)
    return
  end
  table.insert(waiting, cb)
  if not client then
    local id = start()
    started_id = id
    if not id then
      waiting = {}
      vim.notify('opencode: could not start the server (' .. table.concat(config.server_cmd(), ' ') .. ')',
        vim.log.levels.ERROR)
      return
    end
  end
  if wait_timer then
    return
  end
  -- Poll rather than hook on_init: a client started by vim.lsp.enable() has its own on_init.
  wait_timer = vim.uv.new_timer()
  local started = vim.uv.now()
  wait_timer:start(20, 20, vim.schedule_wrap(function()
    if not wait_timer then
      return
    end
    local done = flush_waiting()
    local gone = M.find() == nil
    if done or gone or vim.uv.now() - started > 30000 then
      wait_timer:stop()
      wait_timer:close()
      wait_timer = nil
      if not done then
        waiting = {}
        vim.notify('opencode: the server did not start', vim.log.levels.ERROR)
      end
    end
  end))
end

--- Send a request (starting the server when needed); cb(err, result) runs on the main loop.
function M.request(method, params, cb)
  M.with_client(function(client)
    local ok = call(client, 'request', method, params or vim.empty_dict(), function(err, result)
      if cb then
        cb(err, result)
      end
    end)
    if not ok then
      if cb then
        cb({ code = -32603, message = 'opencode: the server is not running' }, nil)
      end
    end
  end)
end

--- Like request(), but reports an error with vim.notify and only calls cb on success.
function M.call(method, params, cb)
  M.request(method, params, function(err, result)
    if err then
      vim.notify(('opencode: %s failed: %s'):format(method, err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if cb then
      cb(result)
    end
  end)
end

--- Stop the server (the tests use it so no server outlives Neovim).
function M.stop()
  local client = M.find()
  if client then
    call(client, 'stop')
  end
end

return M
