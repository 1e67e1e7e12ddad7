-- Looking back at what the agent did: the last turn's file changes as a diff, and the stored
-- "always" approvals (list and revoke).
local client = require('opencode.client')
local state = require('opencode.state')
local transcript = require('opencode.transcript')

local M = {}

-- The diff of one file from a `summary.diffs` entry: {file, patch} (OpenCode 1.18.33's whole-file
-- unified patch) or, in sessions stored before that form, {file, before, after}.
local function file_diff(d)
  local header = { ('diff --git a/%s b/%s'):format(d.file, d.file), '--- a/' .. d.file, '+++ b/' .. d.file }
  if type(d.patch) == 'string' then
    local hunks, seen = {}, false
    for _, line in ipairs(vim.split(d.patch:gsub('\n$', ''), '\n', { plain = true })) do
      seen = seen or line:sub(1, 2) == '@@'
      if seen then
        hunks[#hunks + 1] = line
      end
    end
    return #hunks > 0 and vim.list_extend(header, hunks) or {}
  end
  local before, after = d.before or '', d.after or ''
  if before ~= '' and not before:match('\n$') then
    before = before .. '\n'
  end
  if after ~= '' and not after:match('\n$') then
    after = after .. '\n'
  end
  local body = vim.diff(before, after, { result_type = 'unified', ctxlen = 3 })
  if type(body) ~= 'string' or body == '' then
    return {}
  end
  vim.list_extend(header, vim.split(body:gsub('\n$', ''), '\n', { plain = true }))
  return header
end

--- Diff lines for the last turn of a session: the turn's summary diffs, else the diffs of its edit
--- tool calls.
function M.turn_diff(session_id)
  local messages = transcript.messages(session_id)
  local start = nil
  for i = #messages, 1, -1 do
    if messages[i].info.role == 'user' then
      start = i
      break
    end
  end
  if not start then
    return {}, nil
  end
  local user = messages[start].info
  local lines = {}
  local summary = type(user.summary) == 'table' and user.summary or {}
  for _, d in ipairs(type(summary.diffs) == 'table' and summary.diffs or {}) do
    if type(d) == 'table' and type(d.file) == 'string' then
      vim.list_extend(lines, file_diff(d))
    end
  end
  if #lines == 0 then
    for i = start + 1, #messages do
      for _, part in ipairs(messages[i].parts) do
        local meta = part.type == 'tool' and type(part.state) == 'table' and part.state.metadata or nil
        if type(meta) == 'table' and type(meta.diff) == 'string' and meta.diff ~= '' then
          vim.list_extend(lines, vim.split(meta.diff:gsub('\n$', ''), '\n', { plain = true }))
        end
      end
    end
  end
  return lines, user
end

--- :OpenCode diff - the last turn's changes in a scratch buffer (filetype diff).
function M.diff()
  local id = state.session_id
  if not id then
    vim.notify('opencode: no current session', vim.log.levels.WARN)
    return
  end
  require('opencode.run').reload(id, function()
    local lines = M.turn_diff(id)
    if #lines == 0 then
      vim.notify('opencode: the last turn changed no files', vim.log.levels.INFO)
      return
    end
    vim.cmd('new')
    local buf = vim.api.nvim_get_current_buf()
    vim.bo[buf].buftype = 'nofile'
    vim.bo[buf].bufhidden = 'wipe'
    vim.bo[buf].swapfile = false
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.bo[buf].filetype = 'diff'
    vim.bo[buf].modifiable = false
    pcall(vim.api.nvim_buf_set_name, buf, 'opencode://diff/' .. id)
  end)
end

--- "bash git push * · this session · 2026-01-02 10:20" for a stored approval.
function M.format_approval(a)
  local when = tonumber(a.time) and os.date('%Y-%m-%d %H:%M', math.floor(tonumber(a.time) / 1000)) or ''
  local scope = (type(a.sessionID) == 'string' and a.sessionID ~= '') and ('session ' .. a.sessionID) or 'workspace'
  return ('%s %s · %s · %s'):format(tostring(a.permission), tostring(a.pattern), scope, when)
end

--- :OpenCode approvals - list the stored "always" approvals; the one picked can be revoked.
function M.approvals()
  client.request('opencode/permission/approvals', vim.empty_dict(), function(err, list)
    if err then
      local text = err.code == -32601 and 'this server keeps no approval list' or tostring(err.message)
      vim.notify('opencode: approvals: ' .. text, vim.log.levels.ERROR)
      return
    end
    if type(list) ~= 'table' or #list == 0 then
      vim.notify('opencode: no stored "always" approvals', vim.log.levels.INFO)
      return
    end
    vim.ui.select(list, {
      prompt = 'opencode approvals (pick one to revoke)',
      kind = 'opencode.approval',
      format_item = M.format_approval,
    }, function(approval)
      if not approval then
        return
      end
      vim.ui.select({ 'Revoke', 'Keep' }, {
        prompt = 'Revoke "' .. M.format_approval(approval) .. '"?',
        kind = 'opencode.confirm',
      }, function(choice)
        if choice ~= 'Revoke' then
          return
        end
        client.call('opencode/permission/revoke', { id = approval.id }, function(done)
          vim.notify(done and 'opencode: approval revoked' or 'opencode: that approval was already gone')
        end)
      end)
    end)
  end)
end

return M
