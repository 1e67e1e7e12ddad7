-- Defaults and the merged user options. Everything works without setup(): the defaults are
-- used until setup(opts) merges the user's table over them.
local M = {}

M.defaults = {
  -- How to start the server. nil means: `opencode-lsp --stdio` when that is on $PATH,
  -- otherwise `python3 -m opencode_lsp --stdio`.
  cmd = nil,
  -- Extra environment for the server process (e.g. OPENCODE_LSP_DATA_DIR).
  cmd_env = nil,
  -- Default model "provider/model"; nil lets the server decide (opencode.json, etc.).
  model = nil,
  small_model = nil,
  -- Default primary agent (the server's default is "build").
  agent = nil,
  -- Per provider: { apiBase?, apiKeyEnv?, headers? } (see the protocol's initializationOptions).
  providers = nil,
  -- { path = "..." }: where the server keeps its store.
  storage = nil,
  -- Files that mark a workspace root; the current directory is used when none is found.
  root_markers = { '.git', 'opencode.json', 'opencode.jsonc' },
  -- Attach the server to file buffers of the workspace so tools read unsaved editor text.
  attach_buffers = true,
  chat = {
    -- 'vsplit' | 'split' | 'tab' | 'current'
    layout = 'vsplit',
    width = 80,
    height = 20,
    -- Open the chat when :OpenCode ask starts a run.
    open_on_ask = true,
    -- Normal-mode keys in the chat buffer; false disables one.
    keys = { send = '<CR>', stop = 'q' },
  },
}

local options = vim.deepcopy(M.defaults)

--- The effective options.
function M.get()
  return options
end

--- Merge user options over the defaults (a fresh merge each call, so setup() is idempotent).
function M.apply(opts)
  if opts ~= nil and type(opts) ~= 'table' then
    error('opencode.setup: opts must be a table, got ' .. type(opts), 2)
  end
  options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  return options
end

--- The command that starts the server.
function M.server_cmd()
  if options.cmd then
    return options.cmd
  end
  if vim.fn.executable('opencode-lsp') == 1 then
    return { 'opencode-lsp', '--stdio' }
  end
  return { 'python3', '-m', 'opencode_lsp', '--stdio' }
end

--- initializationOptions for the server (protocol.md "Initialization"). The plugin answers
--- permission asks itself and listens to the global event feed.
function M.init_options()
  local init = { permissionUI = true, events = true }
  init.model = options.model
  init.smallModel = options.small_model
  init.agent = options.agent
  init.providers = options.providers
  init.storage = options.storage
  return init
end

return M
