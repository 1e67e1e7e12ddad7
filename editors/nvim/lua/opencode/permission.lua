-- Answering the agent's permission asks with vim.ui.select.
--
-- One question at a time; asks that arrive meanwhile queue. The select is opened from a
-- scheduled callback, so the LSP message loop is never held up, and with a UI plugin
-- (dressing, snacks, telescope) the editor stays usable while the question is open.
local client = require('opencode.client')

local M = {}

M.choices = {
  { label = 'Allow once', reply = 'once' },
  { label = 'Always allow', reply = 'always' },
  { label = 'Reject', reply = 'reject' },
}

local queue = {}
local seen = {} -- request id -> true: each ask is answered once (it arrives on two channels)
local showing = nil

--- The question shown for a request.
function M.describe(request)
  local patterns = type(request.patterns) == 'table' and table.concat(request.patterns, ', ') or ''
  local text = ('opencode wants permission: %s'):format(tostring(request.permission))
  if patterns ~= '' and patterns ~= '*' then
    text = text .. ' ' .. patterns
  end
  return text
end

function M.reply(request_id, reply, cb)
  client.request('opencode/permission/reply', { requestID = request_id, reply = reply }, function(err, result)
    if err then
      -- Typically answered already (an "always" elsewhere covers it): nothing to do.
      vim.notify('opencode: permission reply: ' .. tostring(err.message), vim.log.levels.DEBUG)
    end
    if cb then
      cb(err, result)
    end
  end)
end

local function show_next()
  if showing or #queue == 0 then
    return
  end
  local request = table.remove(queue, 1)
  showing = request.id
  vim.ui.select(M.choices, {
    prompt = M.describe(request),
    kind = 'opencode.permission',
    format_item = function(item)
      return item.label
    end,
  }, function(choice)
    showing = nil
    -- Dismissing the question is a reject, as in OpenCode.
    M.reply(request.id, choice and choice.reply or 'reject')
    vim.schedule(show_next)
  end)
end

--- A `permission.asked` event's properties.
function M.ask(request)
  if type(request) ~= 'table' or type(request.id) ~= 'string' or seen[request.id] then
    return
  end
  seen[request.id] = true
  table.insert(queue, request)
  vim.schedule(show_next)
end

--- A `permission.replied` event: drop a queued ask answered elsewhere.
function M.replied(props)
  local id = type(props) == 'table' and props.requestID
  for i, request in ipairs(queue) do
    if request.id == id then
      table.remove(queue, i)
      return
    end
  end
end

--- Asks not yet answered (queued or on screen).
function M.pending()
  local ids = {}
  if showing then
    table.insert(ids, showing)
  end
  for _, request in ipairs(queue) do
    table.insert(ids, request.id)
  end
  return ids
end

function M.clear()
  queue = {}
  showing = nil
end

return M
