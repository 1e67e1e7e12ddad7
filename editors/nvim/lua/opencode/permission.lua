-- The agent's permission asks, answered in the chat buffer.
--
-- An ask is shown as a block at the end of the chat transcript: the tool, what it wants to touch,
-- the exact patterns "always" would grant, and the diff (edits) or the command (bash). It is
-- answered with explicit keys pressed while the cursor is on that block (a allow once, A always,
-- r reject, R reject with a note); anywhere else those keys keep their usual meaning. Nothing pops
-- up where the user is typing, so no stray keystroke can answer an ask: an ask that arrives while
-- the user works in another buffer is announced (a one-line notification, the chat's winbar,
-- statusline()) and waits. `:OpenCode permission` moves the cursor to the oldest pending ask.
local client = require('opencode.client')

local M = {}

-- Answer keys -> reply. R asks for a note first (OpenCode's "reject with feedback").
M.keys = {
  { key = 'a', reply = 'once', label = 'allow once' },
  { key = 'A', reply = 'always', label = 'always allow' },
  { key = 'r', reply = 'reject', label = 'reject' },
  { key = 'R', reply = 'reject', label = 'reject with a note', note = true },
}

local asks = {} -- pending requests, oldest first
local seen = {} -- request id -> true: each ask arrives on more than one channel

local function chat()
  return require('opencode.chat')
end

local function find(request_id)
  for i, request in ipairs(asks) do
    if request.id == request_id then
      return i, request
    end
  end
  return nil
end

--- The file or command an ask is about, in a few words.
function M.subject(request)
  local meta = type(request.metadata) == 'table' and request.metadata or {}
  if type(meta.filepath) == 'string' then
    return vim.fn.fnamemodify(meta.filepath, ':.')
  end
  local patterns = type(request.patterns) == 'table' and request.patterns or {}
  local text = table.concat(vim.tbl_map(function(p)
    -- Paths read best relative to the workspace.
    return p:sub(1, 1) == '/' and vim.fn.fnamemodify(p, ':~:.') or p
  end, vim.tbl_filter(function(p)
    return type(p) == 'string'
  end, patterns)), ', ')
  if text == '*' then
    return ''
  end
  return text
end

--- One line saying what is asked (notifications, winbar, statusline).
function M.describe(request)
  local subject = M.subject(request)
  local text = tostring(request.permission)
  if subject ~= '' then
    text = text .. ' ' .. subject
  end
  return text
end

local function key_hint()
  return table.concat(vim.tbl_map(function(k)
    return ('[%s] %s'):format(k.key, k.label)
  end, M.keys), ' · ')
end

--- The chat lines of an ask block (markdown), and which of them are the block.
function M.lines(request)
  local lines = { ('## ⚠ permission: %s'):format(M.describe(request)) }
  local always = type(request.always) == 'table' and request.always or {}
  if #always > 0 then
    table.insert(lines, ('"always" would allow %s: %s'):format(tostring(request.permission), table.concat(
      vim.tbl_map(function(p)
        return '`' .. tostring(p) .. '`'
      end, always), ', ')))
  end
  local meta = type(request.metadata) == 'table' and request.metadata or {}
  if type(meta.diff) == 'string' and meta.diff ~= '' then
    table.insert(lines, '```diff')
    vim.list_extend(lines, vim.split((meta.diff:gsub('\n$', '')), '\n', { plain = true }))
    table.insert(lines, '```')
  elseif request.permission == 'bash' and type(request.patterns) == 'table' then
    table.insert(lines, '```sh')
    for _, command in ipairs(request.patterns) do
      vim.list_extend(lines, vim.split(tostring(command), '\n', { plain = true }))
    end
    table.insert(lines, '```')
  elseif type(meta.url) == 'string' then
    table.insert(lines, 'url: ' .. meta.url)
  elseif type(meta.description) == 'string' then
    table.insert(lines, 'task: ' .. meta.description)
  end
  table.insert(lines, key_hint() .. '  (cursor on this block)')
  return lines
end

--- Pending asks, oldest first.
function M.list()
  return vim.list_slice(asks, 1)
end

--- Ids of the asks not yet answered.
function M.pending()
  return vim.tbl_map(function(request)
    return request.id
  end, asks)
end

--- A short status text for statuslines: '' when nothing waits.
function M.statusline()
  if #asks == 0 then
    return ''
  end
  local text = 'opencode asks: ' .. M.describe(asks[1])
  if #asks > 1 then
    text = text .. (' (+%d)'):format(#asks - 1)
  end
  return text
end

-- The chat windows' winbar shows what waits; restored to the user's own winbar after.
local saved_winbar = {}
local function update_winbar()
  local text = M.statusline()
  for _, win in ipairs(chat().windows()) do
    if text ~= '' then
      if saved_winbar[win] == nil then
        saved_winbar[win] = vim.wo[win].winbar
      end
      vim.wo[win].winbar = '%#WarningMsg#' .. text:gsub('%%', '%%%%') .. ' · :OpenCode permission%*'
    elseif saved_winbar[win] ~= nil then
      vim.wo[win].winbar = saved_winbar[win]
      saved_winbar[win] = nil
    end
  end
  pcall(vim.cmd.redrawstatus)
end
M.update_winbar = update_winbar

-- A one-line notice that never exceeds the screen width (a longer one would bring up the
-- hit-enter prompt, which would eat the user's next key).
local function announce(request)
  local text = ('opencode asks permission (:OpenCode permission): %s'):format(M.describe(request))
  local width = math.max(20, vim.o.columns - 15)
  if vim.fn.strdisplaywidth(text) > width then
    text = vim.fn.strcharpart(text, 0, width - 1) .. '…'
  end
  vim.notify(text, vim.log.levels.WARN, { title = 'opencode' })
end

local function changed()
  chat().render()
  vim.schedule(update_winbar)
end

--- A `permission.asked` event's properties.
function M.ask(request)
  if type(request) ~= 'table' or type(request.id) ~= 'string' or seen[request.id] then
    return
  end
  seen[request.id] = true
  table.insert(asks, request)
  vim.schedule(function()
    if find(request.id) then
      announce(request)
    end
  end)
  changed()
  vim.api.nvim_exec_autocmds('User', { pattern = 'OpencodePermissionAsked', modeline = false, data = request })
end

--- A `permission.replied` event: the ask was answered (here or elsewhere) or withdrawn.
function M.replied(props)
  local i = find(type(props) == 'table' and props.requestID)
  if i then
    table.remove(asks, i)
    changed()
  end
end

--- Send the answer: reply is 'once' | 'always' | 'reject'; message goes with a reject.
function M.answer(request_id, reply, message)
  local i = find(request_id)
  if not i then
    return false
  end
  table.remove(asks, i)
  changed()
  local params = { requestID = request_id, reply = reply }
  if message and message ~= '' then
    params.message = message
  end
  client.request('opencode/permission/reply', params, function(err)
    if err then
      -- Typically answered already (an "always" elsewhere covered it): nothing to do.
      vim.notify('opencode: permission reply: ' .. tostring(err.message), vim.log.levels.DEBUG)
    end
  end)
  return true
end

--- Answer the ask whose block the cursor is on with the key's reply. Returns false (the key
--- keeps its usual meaning) when the cursor is not on an ask block.
function M.press(key, request_id)
  if not request_id or not find(request_id) then
    return false
  end
  for _, k in ipairs(M.keys) do
    if k.key == key then
      if k.note then
        vim.ui.input({ prompt = 'Reject with a note: ' }, function(note)
          if note ~= nil then
            M.answer(request_id, 'reject', note)
          end
        end)
      else
        M.answer(request_id, k.reply)
      end
      return true
    end
  end
  return false
end

--- :OpenCode permission - show the chat with the cursor on the oldest pending ask.
function M.focus()
  if #asks == 0 then
    vim.notify('opencode: no permission asks pending', vim.log.levels.INFO)
    return
  end
  -- Every pending ask shows in the chat, whichever session (a subagent's too) it comes from.
  chat().open({ at_ask = asks[1].id })
end

function M.clear()
  asks = {}
  seen = {}
  changed()
end

return M
