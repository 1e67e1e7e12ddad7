-- The chat buffer: the current session's transcript on top, the input section below it.
-- <CR> (normal mode) sends the input, q stops the run or closes the window.
--
-- The line between the two is virtual text above the input's first line (an extmark), so it
-- cannot be deleted: the transcript is every line above that mark, the input every line from it
-- on. Rendering replaces only the transcript lines that changed (common prefix and suffix are
-- kept), so a streamed delta touches one or two lines, the typed input is never touched, and
-- folds, cursor and scroll stay where they are.
local config = require('opencode.config')
local render = require('opencode.render')
local state = require('opencode.state')

local M = {}

M.separator = '──── message · <CR> send · q stop ────'
local ns = vim.api.nvim_create_namespace('opencode.chat')
local bufnr = nil
local input_mark = nil
local folds = {}
local ask_rows = {} -- 1-based transcript line -> permission request id of the ask block there
local render_scheduled = false
local update_countdown -- defined below render_now

local function valid()
  return bufnr ~= nil and vim.api.nvim_buf_is_valid(bufnr)
end

--- The chat buffer's number, or nil when it does not exist.
function M.bufnr()
  return valid() and bufnr or nil
end

local function place_input_mark(row)
  input_mark = vim.api.nvim_buf_set_extmark(bufnr, ns, row, 0, {
    id = input_mark,
    -- Left gravity: a line opened at the top of the input (O) stays input.
    right_gravity = false,
    virt_lines = { { { M.separator, 'FloatBorder' } } },
    virt_lines_above = true,
  })
end

-- The input's first row (0-based); the transcript is every row above it.
local function input_row()
  local row = vim.api.nvim_buf_get_extmark_by_id(bufnr, ns, input_mark, {})[1]
  local count = vim.api.nvim_buf_line_count(bufnr)
  if not row or row >= count then
    -- The input was deleted up to the end of the buffer: give it an empty line again.
    vim.api.nvim_buf_set_lines(bufnr, count, count, false, { '' })
    row = count
    place_input_mark(row)
  end
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

--- The permission ask whose block is under the cursor of the current window, if any.
function M.ask_at_cursor()
  if vim.api.nvim_get_current_buf() ~= bufnr then
    return nil
  end
  return ask_rows[vim.api.nvim_win_get_cursor(0)[1]]
end

local function map_answer_keys(buf)
  local permission = require('opencode.permission')
  for _, k in ipairs(permission.keys) do
    -- An expr mapping: on an ask block the key answers it, anywhere else it is the plain key.
    vim.keymap.set('n', k.key, function()
      local id = M.ask_at_cursor()
      if id then
        vim.schedule(function()
          permission.press(k.key, id)
        end)
        return ''
      end
      return k.key
    end, { buffer = buf, expr = true, desc = 'opencode: on a permission ask: ' .. k.label })
  end
end

local function create_buffer()
  bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(bufnr, 'opencode://chat')
  local bo = vim.bo[bufnr]
  bo.buftype = 'nofile'
  bo.bufhidden = 'hide'
  bo.swapfile = false
  bo.filetype = 'markdown'
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, { '# opencode', '' })
  input_mark = nil
  place_input_mark(1)
  local keys = config.get().chat.keys or {}
  if keys.send then
    vim.keymap.set('n', keys.send, M.send, { buffer = bufnr, desc = 'opencode: send the message' })
  end
  if keys.stop then
    vim.keymap.set('n', keys.stop, M.stop_or_close, { buffer = bufnr, desc = 'opencode: stop the run or close' })
  end
  map_answer_keys(bufnr)
  vim.api.nvim_create_autocmd('BufWinEnter', {
    buffer = bufnr,
    callback = function()
      set_window_options(vim.api.nvim_get_current_win())
      vim.schedule(require('opencode.permission').update_winbar)
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

local function first_ask_row(request_id)
  local rows = {}
  for row, id in pairs(ask_rows) do
    if id == request_id then
      table.insert(rows, row)
    end
  end
  table.sort(rows)
  return rows[1]
end

--- Show the chat. opts.focus = false keeps the cursor where it is; opts.at_ask puts the cursor
--- on that permission ask's block; otherwise the cursor goes to the input section.
function M.open(opts)
  opts = opts or {}
  local buf = M.buffer()
  local previous = vim.api.nvim_get_current_win()
  local wins = M.windows()
  local win
  if #wins > 0 then
    win = wins[1]
    if opts.focus ~= false then
      vim.api.nvim_set_current_win(win)
    end
  else
    local chat_opts = config.get().chat
    -- At most half the screen: the default width of 80 in an 80-column terminal left the file
    -- one column.
    if chat_opts.layout == 'tab' then
      vim.cmd('tab sbuffer ' .. buf)
    elseif chat_opts.layout == 'split' then
      vim.cmd(('botright %dsplit'):format(math.min(chat_opts.height or 20, math.floor(vim.o.lines / 2))))
      vim.api.nvim_win_set_buf(0, buf)
    elseif chat_opts.layout == 'current' then
      vim.api.nvim_win_set_buf(0, buf)
    else
      vim.cmd(('botright %dvsplit'):format(math.min(chat_opts.width or 80, math.floor(vim.o.columns / 2))))
      vim.api.nvim_win_set_buf(0, buf)
    end
    win = vim.api.nvim_get_current_win()
    set_window_options(win)
    -- A new window starts at the input, following the stream.
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
  M.render_now()
  local ask_row = opts.at_ask and first_ask_row(opts.at_ask)
  if ask_row then
    vim.api.nvim_win_set_cursor(win, { ask_row, 0 })
    vim.api.nvim_win_call(win, function()
      vim.cmd('normal! zt')
    end)
  elseif opts.focus ~= false then
    vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(buf), 0 })
  end
  if opts.focus == false and vim.api.nvim_win_is_valid(previous) and previous ~= win then
    vim.api.nvim_set_current_win(previous)
  end
  require('opencode.permission').update_winbar()
  return win
end

-- The transcript lines to show: the session, prompts on their way, pending permission asks.
local function build_lines()
  local outbox = require('opencode.outbox')
  local lines, new_folds
  local sending = outbox.entries(state.session_id)
  if state.session_id then
    lines, new_folds = render.session(state.session_id, { outbox = sending, queued = outbox.queued_ids() })
  else
    lines, new_folds = render.empty(sending, require('opencode.sessions').resume_hint())
  end
  local rows = {}
  for _, request in ipairs(require('opencode.permission').list()) do
    if #lines > 0 and lines[#lines] ~= '' then
      table.insert(lines, '')
    end
    for _, line in ipairs(require('opencode.permission').lines(request)) do
      table.insert(lines, line)
      rows[#lines] = request.id
    end
    table.insert(lines, '')
  end
  return lines, new_folds, rows
end

--- Replace the transcript region with the current session's lines.
function M.render_now()
  render_scheduled = false
  if not valid() then
    return
  end
  local lines, new_folds, rows = build_lines()
  local sep = input_row()
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
  local old_ask_rows = ask_rows
  ask_rows = rows
  if first <= old_last or first <= new_last then
    -- Windows whose cursor is in the input keep it there, on the same input line.
    -- A cursor on an ask block goes to the input once the block is answered.
    local in_input = {}
    for _, win in ipairs(M.windows()) do
      local cursor = vim.api.nvim_win_get_cursor(win)
      if cursor[1] > sep then
        in_input[win] = { cursor[1] - sep, cursor[2] }
      elseif old_ask_rows[cursor[1]] and not first_ask_row(old_ask_rows[cursor[1]]) then
        in_input[win] = { 1, 0 }
      end
    end
    vim.api.nvim_buf_set_lines(bufnr, first - 1, old_last, false, vim.list_slice(lines, first, new_last))
    place_input_mark(#lines)
    for win, at in pairs(in_input) do
      pcall(vim.api.nvim_win_set_cursor, win, { #lines + at[1], at[2] })
      -- Follow the stream: the input at the bottom, as much transcript above it as fits.
      vim.api.nvim_win_call(win, function()
        vim.cmd('normal! zb')
      end)
    end
  end
  update_countdown()
  vim.api.nvim_exec_autocmds('User', { pattern = 'OpencodeChatRender', modeline = false, data = { bufnr = bufnr } })
end

-- While the session waits to retry, redraw each second so the countdown moves.
local tick = nil
update_countdown = function()
  local status = state.session_id and require('opencode.transcript').get(state.session_id).status
  local retrying = type(status) == 'table' and status.type == 'retry'
  if retrying and not tick then
    tick = vim.uv.new_timer()
    tick:start(1000, 1000, vim.schedule_wrap(function()
      M.render()
    end))
  elseif not retrying and tick then
    tick:stop()
    tick:close()
    tick = nil
  end
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
  return vim.api.nvim_buf_get_lines(bufnr, 0, input_row(), false)
end

--- The text of the input section.
function M.input_text()
  if not valid() then
    return ''
  end
  local lines = vim.api.nvim_buf_get_lines(bufnr, input_row(), -1, false)
  return vim.trim(table.concat(lines, '\n'))
end

function M.set_input(text)
  local buf = M.buffer()
  vim.api.nvim_buf_set_lines(buf, input_row(), -1, false, vim.split(text or '', '\n', { plain = true }))
end

--- A sent prompt the server refused (never stored): its text back in the input, which sending
--- cleared, before anything typed since.
function M.restore_input(text)
  local typed = M.input_text()
  M.set_input(typed == '' and text or (text .. '\n\n' .. typed))
end

--- Send the input section to the current session: it shows at once as a prompt on its way.
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
