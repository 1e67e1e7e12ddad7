-- :OpenCode stop cancels a streaming run; so does q in the chat buffer.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()

vim.cmd('OpenCode ask tell me a long story')
H.wait(function()
  return H.chat_text():find('Once upon', 1, true) ~= nil
end, 'the first words')
H.out.busy_before = require('opencode.run').busy(require('opencode.state').session_id)
vim.cmd('OpenCode stop')
H.wait_run(1, 'the stopped run')
H.out.stopped = H.chat_lines()

-- q in the chat window stops the second run.
vim.cmd('OpenCode ask another one')
H.wait(function()
  return H.chat_text():find('Second story', 1, true) ~= nil
end, 'the second story')
local chat = require('opencode.chat')
vim.api.nvim_set_current_win(chat.windows()[1])
vim.cmd('normal q')
H.wait_run(2, 'the run stopped with q')
H.out.stopped_q = H.chat_lines()
H.out.chat_still_open = #chat.windows() > 0
local status = require('opencode.client').request_sync('opencode/session/status', vim.empty_dict(), 5000)
H.out.status = status
H.out.session_id = require('opencode.state').session_id
H.finish()
