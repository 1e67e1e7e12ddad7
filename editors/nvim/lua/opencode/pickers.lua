-- Choosing the agent and the model: pickers that mark the current choice, completion from the
-- server's lists (custom agents included), and a model name checked before it is used.
local client = require('opencode.client')
local state = require('opencode.state')

local M = {}

local cache = { agents = nil, models = nil } -- the server's last answers, for completion

local function primary(agents)
  return vim.tbl_filter(function(a)
    return type(a) == 'table' and a.mode ~= 'subagent' and not a.hidden
  end, agents or {})
end

local function ref(m)
  return m.providerID .. '/' .. m.modelID
end

-- A list from the server for completion: asked synchronously (briefly) when the server runs,
-- else the last answer.
local function fetch_sync(method, key)
  local c = client.find()
  if c and c.initialized then
    local result = client.request_sync(method, vim.empty_dict(), 1500)
    if type(result) == 'table' then
      cache[key] = result
    end
  end
  return cache[key]
end

--- Agent names for `:OpenCode agent <Tab>`.
function M.agent_names()
  local agents = fetch_sync('opencode/agent/list', 'agents')
  if not agents then
    return { 'build', 'plan' }
  end
  return vim.tbl_map(function(a)
    return a.name
  end, primary(agents))
end

--- "provider/model" names for `:OpenCode model <Tab>`.
function M.model_names()
  local models = fetch_sync('opencode/model/list', 'models')
  local names = {}
  for _, m in ipairs(models or {}) do
    table.insert(names, ref(m))
  end
  local configured = require('opencode.config').get().model
  if configured and not vim.tbl_contains(names, configured) then
    table.insert(names, configured)
  end
  return names
end

-- The agent the next prompt uses: the chosen one, else the server's default.
local function current_agent()
  return state.agent or require('opencode.config').get().agent or 'build'
end

local function current_model(cb)
  if state.model then
    cb(ref(state.model))
    return
  end
  client.request('opencode/config/get', vim.empty_dict(), function(_, config)
    cb(type(config) == 'table' and type(config.model) == 'string' and config.model or nil)
  end)
end

--- Choose the agent of the next prompts (a name, or from the server's list).
function M.agent(name)
  client.call('opencode/agent/list', vim.empty_dict(), function(agents)
    cache.agents = agents
    local choices = primary(agents)
    if name and name ~= '' then
      for _, a in ipairs(choices) do
        if a.name == name then
          state.agent = name
          vim.notify('opencode: agent ' .. name)
          return
        end
      end
      vim.notify(('opencode: no agent %q (agents: %s)'):format(name, table.concat(vim.tbl_map(function(a)
        return a.name
      end, choices), ', ')), vim.log.levels.ERROR)
      return
    end
    local current = current_agent()
    vim.ui.select(choices, {
      prompt = 'opencode agent',
      kind = 'opencode.agent',
      format_item = function(a)
        return a.name .. (a.description and (' · ' .. a.description) or '') .. (a.name == current and '  ✓ current' or '')
      end,
    }, function(a)
      if a then
        state.agent = a.name
      end
    end)
  end)
end

--- Whether `name` ("provider/model") can be used: a model the server lists, or any model of a
--- provider with its own endpoint (plugin `providers` or opencode.json `provider`).
local function check_model(name, models, config)
  for _, m in ipairs(models) do
    if ref(m) == name then
      return true
    end
  end
  local provider = name:match('^([^/]+)/')
  local plugin_providers = require('opencode.config').get().providers or {}
  local settings = plugin_providers[provider]
  if type(settings) == 'table' and settings.apiBase then
    return true
  end
  local configured = type(config) == 'table' and type(config.provider) == 'table' and config.provider[provider]
  local options = type(configured) == 'table' and type(configured.options) == 'table' and configured.options or {}
  return options.baseURL ~= nil or options.apiBase ~= nil
end

--- Choose the model of the next prompts ("provider/model", checked, or from the server's list).
function M.model(name)
  if name and name ~= '' then
    local model = state.parse_model(name)
    if not model then
      vim.notify('opencode: a model is "provider/model", e.g. anthropic/claude-sonnet-4-5', vim.log.levels.ERROR)
      return
    end
    client.call('opencode/model/list', vim.empty_dict(), function(models)
      cache.models = models
      client.request('opencode/config/get', vim.empty_dict(), function(_, config)
        if check_model(name, models or {}, config) then
          state.model = model
          vim.notify('opencode: model ' .. name)
        else
          vim.notify(('opencode: unknown model %s: not among the server\'s models (%s); add it under provider.%s.models in opencode.json')
            :format(name, table.concat(vim.tbl_map(ref, models or {}), ', '), model.providerID), vim.log.levels.ERROR)
        end
      end)
    end)
    return
  end
  client.call('opencode/model/list', vim.empty_dict(), function(models)
    cache.models = models
    current_model(function(current)
      vim.ui.select(models or {}, {
        prompt = 'opencode model',
        kind = 'opencode.model',
        format_item = function(m)
          return ref(m) .. (m.name and (' · ' .. m.name) or '') .. (ref(m) == current and '  ✓ current' or '')
        end,
      }, function(m)
        if m then
          state.model = { providerID = m.providerID, modelID = m.modelID }
        end
      end)
    end)
  end)
end

return M
