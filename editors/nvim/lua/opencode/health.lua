-- :checkhealth opencode - the server executable and version, its Python, the configured model
-- (server config, else opencode.json, else the plugin's option) and its API key, the MCP servers,
-- and where the store lives.
local config = require('opencode.config')

local M = {}

local health = vim.health

-- Environment variable each well-known provider reads its key from (litellm's names).
M.key_env = {
  anthropic = 'ANTHROPIC_API_KEY',
  openai = 'OPENAI_API_KEY',
  google = 'GEMINI_API_KEY',
  gemini = 'GEMINI_API_KEY',
  mistral = 'MISTRAL_API_KEY',
  groq = 'GROQ_API_KEY',
  openrouter = 'OPENROUTER_API_KEY',
  deepseek = 'DEEPSEEK_API_KEY',
  xai = 'XAI_API_KEY',
  together_ai = 'TOGETHERAI_API_KEY',
  fireworks_ai = 'FIREWORKS_AI_API_KEY',
}
-- Providers that run locally and take no key.
local keyless = { ollama = true, ollama_chat = true, lmstudio = true, llamacpp = true }

local function run(cmd, env)
  local ok, obj = pcall(function()
    return vim.system(cmd, { text = true, env = env }):wait(15000)
  end)
  if not ok or not obj or obj.code ~= 0 then
    return nil, ok and obj and vim.trim((obj.stderr or '') .. (obj.stdout or '')) or tostring(obj)
  end
  return vim.trim(obj.stdout or '')
end

-- The server command without its transport flag, so `--version` and `-c` can be added.
local function base_cmd()
  local cmd = vim.deepcopy(config.server_cmd())
  if cmd[#cmd] == '--stdio' then
    table.remove(cmd)
  end
  return cmd
end

-- The Python that runs the server: the command itself, or the interpreter on its #! line.
local function server_python(cmd)
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    return nil
  end
  if vim.fn.fnamemodify(exe, ':t'):match('^python') then
    return exe
  end
  local ok, first = pcall(vim.fn.readfile, exe, '', 1)
  local shebang = ok and first[1] and first[1]:match('^#!%s*(%S+)')
  if shebang and vim.fn.fnamemodify(shebang, ':t'):match('^python') then
    return shebang
  end
  return nil
end

local function check_server()
  health.start('opencode: server')
  local cmd = base_cmd()
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    health.error(('server command not found: %s'):format(cmd[1]), {
      'pip install opencode-lsp (puts opencode-lsp on $PATH)',
      "or setup({ cmd = { '/path/to/python', '-m', 'opencode_lsp', '--stdio' } })",
    })
    return nil
  end
  health.ok('server command: ' .. table.concat(config.server_cmd(), ' ') .. ' (' .. exe .. ')')
  local version_cmd = vim.list_extend(vim.deepcopy(cmd), { '--version' })
  local version, err = run(version_cmd, config.get().cmd_env)
  if version then
    health.ok('server version: ' .. version)
  else
    health.error('the server does not run: ' .. tostring(err))
  end
  local python = server_python(cmd)
  if python then
    local py_version = run({ python, '--version' })
    health.ok(('Python: %s (%s)'):format(py_version or '?', python))
  else
    health.info('Python: not determined from the server command')
  end
  local client = require('opencode.client').find()
  if client then
    health.ok(('server running (client id %d, root %s)'):format(client.id, tostring(client.config.root_dir)))
  else
    health.info('server not running yet (it starts with the first :OpenCode command)')
  end
  return python
end

-- opencode.json / opencode.jsonc in the workspace root, read before the server runs. JSONC
-- comments and trailing commas are dropped first (outside strings).
function M.read_project_config(root)
  for _, name in ipairs({ 'opencode.json', 'opencode.jsonc' }) do
    local path = root .. '/' .. name
    if vim.fn.filereadable(path) == 1 then
      local text = table.concat(vim.fn.readfile(path), '\n')
      local out, i, in_string = {}, 1, false
      while i <= #text do
        local c, two = text:sub(i, i), text:sub(i, i + 1)
        if in_string then
          table.insert(out, c)
          if c == '\\' then
            table.insert(out, text:sub(i + 1, i + 1))
            i = i + 1
          elseif c == '"' then
            in_string = false
          end
        elseif c == '"' then
          in_string = true
          table.insert(out, c)
        elseif two == '//' then
          i = (text:find('\n', i, true) or #text + 1) - 1
        elseif two == '/*' then
          i = (select(2, text:find('*/', i + 2, true)) or #text)
        else
          table.insert(out, c)
        end
        i = i + 1
      end
      local cleaned = table.concat(out):gsub(',(%s*[}%]])', '%1')
      local ok, data = pcall(vim.json.decode, cleaned, { luanil = { object = true, array = true } })
      if ok and type(data) == 'table' then
        return data, name
      end
      return nil, name .. ' (not valid JSON)'
    end
  end
  return nil
end

-- The effective config: the running server's, else the workspace's opencode.json.
local function effective_config()
  local client = require('opencode.client')
  if client.find() then
    local result = client.request_sync('opencode/config/get', vim.empty_dict(), 5000)
    if type(result) == 'table' then
      return result, 'server config'
    end
  end
  return M.read_project_config(client.root_dir())
end

local function check_model()
  health.start('opencode: model')
  local cfg, cfg_source = effective_config()
  cfg = type(cfg) == 'table' and cfg or {}
  local model, source = nil, nil
  if type(cfg.model) == 'string' then
    model, source = cfg.model, cfg_source
  elseif config.get().model then
    model, source = config.get().model, 'plugin options'
  end
  if not model then
    health.warn('no model configured', {
      "setup({ model = 'anthropic/claude-sonnet-4-5' }) or `model` in opencode.json",
    })
    return
  end
  health.ok(('model: %s (from %s)'):format(model, source))
  local provider = model:match('^([^/]+)/') or model
  local settings = (config.get().providers or {})[provider] or {}
  local file_provider = type(cfg.provider) == 'table' and cfg.provider[provider] or nil
  local options = type(file_provider) == 'table' and type(file_provider.options) == 'table' and file_provider.options or {}
  local api_base = settings.apiBase or options.baseURL
  if type(options.apiKey) == 'string' and options.apiKey ~= '' then
    health.ok(('API key for %s set in the config (provider.%s.options.apiKey)'):format(provider, provider))
    return
  end
  local env = settings.apiKeyEnv or M.key_env[provider]
  if env then
    local value = (config.get().cmd_env or {})[env] or vim.env[env]
    if value and value ~= '' then
      health.ok(('API key variable %s is set'):format(env))
    elseif api_base then
      health.ok(('API key variable %s is not set; %s uses %s, which may not need one'):format(env, provider, api_base))
    else
      health.error(('API key variable %s is not set'):format(env), { 'export ' .. env .. '=...' })
    end
  elseif keyless[provider] or api_base then
    health.ok(('%s needs no API key (%s)'):format(provider, api_base or 'local server'))
  else
    health.warn(('no known API key variable for provider %q'):format(provider), {
      ("setup({ providers = { %s = { apiKeyEnv = 'VAR' } } })"):format(provider),
      ('or provider.%s.options.apiKey in opencode.json'):format(provider),
    })
  end
end

local function check_mcp()
  health.start('opencode: MCP servers')
  local client = require('opencode.client')
  if not client.find() then
    health.info('server not running: MCP servers are listed once it runs')
    return
  end
  local list, err = client.request_sync('opencode/mcp/status', vim.empty_dict(), 5000)
  if err then
    health.info('this server reports no MCP status (' .. tostring(err.message) .. ')')
    return
  end
  if type(list) ~= 'table' or #list == 0 then
    health.info('no MCP servers configured (`mcp` in opencode.json)')
    return
  end
  for _, server in ipairs(list) do
    local tools = type(server.tools) == 'table' and #server.tools or 0
    local line = ('%s (%s): %s, %d tool%s'):format(tostring(server.name), tostring(server.type), tostring(server.state),
      tools, tools == 1 and '' or 's')
    if server.state == 'connected' then
      health.ok(line)
    elseif server.state == 'failed' then
      health.error(line .. ': ' .. tostring(server.error or 'unknown error'))
    else
      health.info(line)
    end
  end
end

local function check_store(python)
  health.start('opencode: store')
  local root = require('opencode.client').root_dir()
  local override = (config.get().storage or {}).path
  local location = nil
  if python then
    -- Ask the server's own code, so the answer follows its rules ($OPENCODE_LSP_DATA_DIR, XDG).
    local script = 'import sys; from opencode_lsp.storage.paths import default_store_root as r; '
      .. 'print(r(sys.argv[1], sys.argv[2] or None))'
    location = run({ python, '-c', script, root, override or '' }, config.get().cmd_env)
  end
  if not location then
    health.warn('store location not determined (the server decides: $OPENCODE_LSP_DATA_DIR or the user data dir)')
    return
  end
  -- The store is created on first use: check the nearest existing ancestor is writable.
  local dir = location
  while vim.fn.isdirectory(dir) == 0 and vim.fn.fnamemodify(dir, ':h') ~= dir do
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  if vim.fn.filewritable(dir) == 2 then
    health.ok('store: ' .. location)
  else
    health.error(('store: %s (%s is not writable)'):format(location, dir))
  end
end

function M.check()
  health.start('opencode: Neovim')
  if vim.fn.has('nvim-0.10') == 1 then
    health.ok('Neovim ' .. tostring(vim.version()))
  else
    health.error('Neovim 0.10 or newer is needed')
  end
  local python = check_server()
  check_model()
  check_mcp()
  check_store(python)
end

return M
