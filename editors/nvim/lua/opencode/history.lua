-- Undo/redo of turns and the export, for the current session.
local client = require('opencode.client')
local transcript = require('opencode.transcript')

local M = {}

local restored = nil -- the prompt text undo put in the input, cleared by a redo that brings it back

local function chat()
  return require('opencode.chat')
end

local function prompt_text(session_id, message_id)
  local t = transcript.get(session_id)
  local entry = t.messages[message_id]
  local texts = {}
  for _, part in ipairs(entry and vim.tbl_values(entry.parts) or {}) do
    if part.type == 'text' and not part.synthetic and type(part.text) == 'string' then
      table.insert(texts, { id = part.id, text = part.text })
    end
  end
  table.sort(texts, function(a, b)
    return a.id < b.id
  end)
  return table.concat(vim.tbl_map(function(x)
    return x.text
  end, texts), '\n')
end

local function session_changed(info, after)
  transcript.get(info.id).info = info
  require('opencode.run').reload(info.id, function()
    chat().render()
    if after then
      after()
    end
  end)
end

-- -31002 (protocol v2; -32002 before): the session is running.
local function busy_error(err)
  return err and (err.code == -31002 or err.code == -32002)
end

local function revert_call(method, params, after)
  client.request(method, params, function(err, info)
    if err then
      local text = busy_error(err) and 'the agent is working; stop it first (:OpenCode stop)' or tostring(err.message)
      vim.notify('opencode: ' .. text, vim.log.levels.ERROR)
      return
    end
    -- The revert rewrote files on disk and in open buffers: mark those buffers saved, as after a run.
    require('opencode.run').sync_buffers()
    session_changed(info, after)
  end)
end

--- Revert the last turn (again: the turn before it); its prompt comes back in the input.
function M.undo(id)
  local info = transcript.get(id).info
  local before = info and type(info.revert) == 'table' and info.revert.messageID or nil
  local user = transcript.last_user_message(id, before)
  if not user then
    vim.notify('opencode: nothing to undo', vim.log.levels.INFO)
    return
  end
  local text = prompt_text(id, user.id)
  revert_call('opencode/session/revert', { sessionID = id, messageID = user.id }, function()
    local turns = transcript.hidden_turns(id)
    vim.notify(('opencode: undid the last turn (%d turn%s hidden; :OpenCode redo)'):format(turns, turns == 1 and '' or 's'))
    if text ~= '' then
      if chat().input_text() == '' or chat().input_text() == restored then
        chat().set_input(text)
        restored = text
      else
        vim.notify('opencode: the reverted prompt was: ' .. text:sub(1, 80), vim.log.levels.INFO)
      end
    end
  end)
end

--- Bring back one turn that undo hid (as OpenCode's redo); the last one clears the revert.
function M.redo(id)
  local info = transcript.get(id).info
  local revert = info and type(info.revert) == 'table' and info.revert or nil
  if not revert then
    vim.notify('opencode: nothing to redo', vim.log.levels.INFO)
    return
  end
  local function after()
    if restored and chat().input_text() == restored then
      chat().set_input('')
    end
    restored = nil
  end
  local next_user = transcript.next_user_message(id, revert.messageID)
  if next_user then
    revert_call('opencode/session/revert', { sessionID = id, messageID = next_user.id }, after)
  else
    revert_call('opencode/session/unrevert', { sessionID = id }, after)
  end
end

-- JSON with two-space indentation and sorted keys (vim.json.encode writes one line).
local function pretty(value, indent)
  indent = indent or ''
  local inner = indent .. '  '
  if type(value) == 'table' and value ~= vim.NIL then
    local is_list = vim.islist(value) and (next(value) ~= nil or getmetatable(value) ~= vim._empty_dict_mt)
    if next(value) == nil then
      return is_list and '[]' or '{}'
    end
    local items = {}
    if is_list then
      for _, v in ipairs(value) do
        table.insert(items, inner .. pretty(v, inner))
      end
      return '[\n' .. table.concat(items, ',\n') .. '\n' .. indent .. ']'
    end
    local keys = vim.tbl_keys(value)
    table.sort(keys, function(a, b)
      return tostring(a) < tostring(b)
    end)
    for _, k in ipairs(keys) do
      table.insert(items, inner .. vim.json.encode(tostring(k)) .. ': ' .. pretty(value[k], inner))
    end
    return '{\n' .. table.concat(items, ',\n') .. '\n' .. indent .. '}'
  end
  return vim.json.encode(value)
end
M.pretty = pretty

--- Write the session in OpenCode's export shape (indented JSON) to `path`, or, without a path,
--- to `<session id>.json` in the current directory and show it.
function M.export(id, path)
  client.call('opencode/session/export', { sessionID = id }, function(data)
    local text = pretty(data)
    local show = not path or path == ''
    local file = vim.fn.fnamemodify(show and (id .. '.json') or path, ':p')
    vim.fn.writefile(vim.split(text, '\n', { plain = true }), file)
    vim.notify('opencode: exported to ' .. file)
    if show then
      vim.cmd('split ' .. vim.fn.fnameescape(file))
    end
  end)
end

return M
