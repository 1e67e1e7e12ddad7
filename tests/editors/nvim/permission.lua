-- A permission ask (reading .env asks by default) answered in the chat with its keys: `a` on the
-- ask block allows once and the run continues; `r` rejects. The same keys elsewhere in the chat
-- keep their usual meaning.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local permission = require('opencode.permission')
local notified = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(notified, msg)
  return notify(msg, level, opts)
end

local function wait_ask(what)
  H.wait(function()
    return #permission.pending() > 0 and H.chat_text():find('permission: read', 1, true) ~= nil
  end, what)
end

vim.cmd('OpenCode ask what is in the env file')
wait_ask('the first ask')
H.out.ask_block = H.chat_lines()
H.out.notified = vim.deepcopy(notified)
-- `a` in the input section is still "append": no answer.
vim.cmd('normal a')
H.out.pending_after_input_key = permission.pending()
vim.cmd('OpenCode permission')
H.out.cursor_line = vim.api.nvim_get_current_line()
vim.cmd('normal a')
H.wait_run(1, 'the allowed run')
H.out.allowed = H.chat_lines()

vim.cmd('OpenCode ask and again')
wait_ask('the second ask')
vim.cmd('OpenCode permission')
vim.cmd('normal r')
H.wait_run(2, 'the rejected run')
H.out.rejected = H.chat_lines()
H.out.pending = permission.pending()
H.finish()
