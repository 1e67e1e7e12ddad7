-- The chat buffer: the current session's transcript on top, an input section below a
-- separator line. <CR> (normal mode) sends the input, q stops the run or closes the window.
--
-- Rendering replaces only the lines that changed (common prefix and suffix are kept), so a
-- streamed delta touches one or two lines and folds, cursor and scroll stay where they are.
local config = require('opencode.config')
local render = require('opencode.render')
local state = require('opencode.state')

local M = {}

M.separator = '──── message · <CR> send · q stop ────'
local ns = vim.api.nvim_create_namespace('opencode.chat')
local bufnr = nil
local separator_mark = nil
local folds = {}
local render_scheduled = false

local function valid()
  return bufnr ~= nil and vim.api.nvim_buf_is_valid(bufnr)
end

--- The chat buffer's number, or nil when it does not exist.
function M.bufnr()
  return valid() and bufnr or nil
end

-- The separator's row (0-based); put it back at the end if the user deleted it.
local function separator_row()
  local pos = vim.api.nvim_buf_get_extmark_by_id(bufnr, ns, separator_mark, {})
  local row = pos[1]
  if row and vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] == M.separator then
    return row
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for i, line in ipairs(lines) do
    if line == M.separator then
      row = i - 1
      break
    end
  end
  if not row or lines[row + 1] ~= M.separator then
    vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { M.separator, '' })
    row = vim.api.nvim_buf_line_count(bufnr) - 2
  end
  separator_mark = vim.api.nvim_buf_set_extmark(bufnr, ns, row, 0, { id = separator_mark })
  return row
end

--- foldexpr of chat windows: levels computed at render time.
function M.foldexpr()
  return folds[vim.v.lnum] or '0'
end

local function set_window_options(win)
  local wo = vim.wo[win]
  wo.foldmethod = 'expr'
  wo.foldexpr = "v:lua.require'opencode.chat'.foldexpr()"
  -- An empty foldtext shows the fold's first line as is (the tool header, "▸ thinking").
  wo.foldtext = ''
  wo.foldlevel = 0
  wo.wrap = true
  wo.linebreak = true
  wo.number = false
  wo.relativenumber = false
  wo.signcolumn = 'no'
end

local function create_buffer()
  bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(bufnr, 'opencode://chat')
  local bo = vim.bo[bufnr]
  bo.buftype = 'nofile'
  bo.bufhidden = 'hide'
  bo.swapfile = false
  bo.filetype = 'markdown'
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { '# opencode', '', M.separator, '' })
  separator_mark = vim.api.nvim_buf_set_extmark(bufnr, ns, 2, 0, {})
  local keys = config.get().chat.keys or {}
  if keys.send then
    vim.keymap.set('n', keys.send, M.send, { buffer = bufnr, desc = 'opencode: send the message' })
  end
  if keys.stop then
    vim.keymap.set('n', keys.stop, M.stop_or_close, { buffer = bufnr, desc = 'opencode: stop the run or close' })
  end
  vim.api.nvim_create_autocmd('BufWinEnter', {
    buffer = bufnr,
    callback = function()
      set_window_options(vim.api.nvim_get_current_win())
    end,
  })
  return bufnr
end

--- The chat buffer, created on first use.
function M.buffer()
  if not valid() then
    create_buffer()
    M.render_now()
  end
  return bufnr
end

--- Windows showing the chat.
function M.windows()
  if not valid() then
    return {}
  end
  return vim.fn.win_findbuf(bufnr)
end

--- Show the chat (focus it when it is already visible) with the cursor in the input section.
function M.open()
  local buf = M.buffer()
  local wins = M.windows()
  if #wins > 0 then
    vim.api.nvim_set_current_win(wins[1])
  else
    local opts = config.get().chat
    if opts.layout == 'tab' then
      vim.cmd('tab sbuffer ' .. buf)
    elseif opts.layout == 'split' then
      vim.cmd(('botright %dsplit'):format(opts.height or 20))
      vim.api.nvim_win_set_buf(0, buf)
    elseif opts.layout == 'current' then
      vim.api.nvim_win_set_buf(0, buf)
    else
      vim.cmd(('botright %dvsplit'):format(opts.width or 80))
      vim.api.nvim_win_set_buf(0, buf)
    end
    set_window_options(vim.api.nvim_get_current_win())
  end
  M.render_now()
  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_win_set_cursor(0, { last, 0 })
end

--- Replace the transcript region with the current session's lines.
function M.render_now()
  render_scheduled = false
  if not valid() then
    return
  end
  local lines, new_folds
  if state.session_id then
    lines, new_folds = render.session(state.session_id)
  else
    lines, new_folds = { '# opencode', '', '_No session yet: write below and press <CR>._', '' }, {}
  end
  local sep = separator_row()
  local old = vim.api.nvim_buf_get_lines(bufnr, 0, sep, false)
  local first = 1
  while first <= #old and first <= #lines and old[first] == lines[first] do
    first = first + 1
  end
  local old_last, new_last = #old, #lines
  while old_last >= first and new_last >= first and old[old_last] == lines[new_last] do
    old_last = old_last - 1
    new_last = new_last - 1
  end
  folds = new_folds
  if first <= old_last or first <= new_last then
    -- Follow the stream in windows whose cursor sits in the transcript's last line.
    local follow = {}
    for _, win in ipairs(M.windows()) do
      if vim.api.nvim_win_get_cursor(win)[1] >= sep then
        follow[win] = true
      end
    end
    vim.api.nvim_buf_set_lines(bufnr, first - 1, old_last, false, vim.list_slice(lines, first, new_last))
    local new_sep = separator_row()
    for win in pairs(follow) do
      if vim.api.nvim_win_get_cursor(win)[1] < new_sep then
        pcall(vim.api.nvim_win_set_cursor, win, { new_sep, 0 })
      end
    end
  end
  vim.api.nvim_exec_autocmds('User', { pattern = 'OpencodeChatRender', modeline = false, data = { bufnr = bufnr } })
end

--- Render on the next turn of the event loop; many events in one turn make one render.
function M.render()
  if render_scheduled or not valid() then
    return
  end
  render_scheduled = true
  vim.schedule(M.render_now)
end

--- The transcript lines as shown (for tests and scripts).
function M.transcript_lines()
  if not valid() then
    return {}
  end
  return vim.api.nvim_buf_get_lines(bufnr, 0, separator_row(), false)
end

--- The text of the input section.
function M.input_text()
  if not valid() then
    return ''
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, separator_row() + 1, -1, false)
  return vim.trim(table.concat(lines, '\n'))
end

function M.set_input(text)
  local buf = M.buffer()
  vim.api.nvim_buf_set_lines(buf, separator_row() + 1, -1, false, vim.split(text or '', '\n', { plain = true }))
end

--- Send the input section to the current session.
function M.send()
  local text = M.input_text()
  if text == '' then
    vim.notify('opencode: the message is empty', vim.log.levels.WARN)
    return
  end
  M.set_input('')
  require('opencode').prompt({ { type = 'text', text = text } })
end

function M.stop_or_close()
  local session_id = state.session_id
  if session_id and require('opencode.run').busy(session_id) then
    require('opencode').stop()
    return
  end
  local wins = M.windows()
  if #wins > 0 and #vim.api.nvim_list_wins() > 1 then
    vim.api.nvim_win_close(vim.api.nvim_get_current_win(), false)
  end
end

return M
