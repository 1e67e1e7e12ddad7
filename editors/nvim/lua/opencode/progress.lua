-- What statuslines see of a run: the server's $/progress reports reduced to human words, one
-- report per change ("writing the answer" once, not once per streamed chunk; no event names).
local M = {}

local last = {} -- token -> the words last passed on

local function tool_words(tool, status, subject)
  if status == 'pending' or status == 'running' then
    return ('running %s%s'):format(tool, subject ~= '' and (' · ' .. subject) or '')
  end
  return nil -- completed/error: the next step's words follow
end

local function from_event(event)
  local p = type(event.properties) == 'table' and event.properties or {}
  if event.type == 'message.part.updated' and type(p.part) == 'table' then
    local part = p.part
    if part.type == 'text' then
      return 'writing the answer'
    elseif part.type == 'reasoning' then
      return 'thinking'
    elseif part.type == 'tool' then
      local state = type(part.state) == 'table' and part.state or {}
      local input = type(state.input) == 'table' and state.input or {}
      local subject = state.title or input.description or input.command or input.filePath or ''
      return tool_words(tostring(part.tool), state.status, tostring(subject):gsub('\n', ' '))
    end
    return nil
  end
  if event.type == 'session.status' and type(p.status) == 'table' then
    if p.status.type == 'retry' then
      return ('retrying (attempt %s)'):format(tostring(p.status.attempt))
    end
    return p.status.type == 'busy' and 'working' or nil
  end
  if event.type == 'permission.asked' then
    return 'waiting for permission: ' .. tostring(p.permission)
  end
  return nil
end

local function from_message(message)
  if type(message) ~= 'string' or message == '' then
    return nil
  end
  if message == 'writing' then
    return 'writing the answer'
  elseif message == 'busy' then
    return 'working'
  elseif message == 'idle' or message:match('^step ') or message:match('^[%w_]+%.[%w_.]+$') then
    return nil -- bookkeeping and internal event names
  end
  local tool, status, subject = message:match('^([%w_]+): (%a+)%s*·?%s*(.*)$')
  if tool then
    return tool_words(tool, status, subject)
  end
  return message
end

--- The words for one progress value, or nil to drop the report.
function M.words(value)
  if type(value.event) == 'table' then
    return from_event(value.event)
  end
  return from_message(value.message)
end

local end_words = { stop = 'done', ['tool-calls'] = 'done', length = 'stopped: output limit', summarized = 'summarized' }

--- A `$/progress` handler for the opencode client (wraps Neovim's own).
function M.handler(err, result, ctx, config)
  local value = type(result) == 'table' and result.value or nil
  if type(value) == 'table' and result.token ~= nil then
    if value.kind == 'report' then
      local words = M.words(value)
      if not words or words == last[result.token] then
        return vim.NIL
      end
      last[result.token] = words
      result = { token = result.token, value = { kind = 'report', message = words, percentage = value.percentage } }
    elseif value.kind == 'end' then
      last[result.token] = nil
      result = { token = result.token, value = { kind = 'end', message = end_words[value.message] or value.message } }
    end
  end
  return vim.lsp.handlers['$/progress'](err, result, ctx, config)
end

return M
