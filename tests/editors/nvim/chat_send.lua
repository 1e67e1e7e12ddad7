-- Typing in the chat's input section and sending with :OpenCode send, then with <CR>.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local chat = require('opencode.chat')

vim.cmd('OpenCode chat')
H.out.current_is_chat = vim.api.nvim_get_current_buf() == chat.bufnr()
H.out.filetype = vim.bo.filetype
local last = vim.api.nvim_buf_line_count(0)
vim.api.nvim_buf_set_lines(0, last - 1, last, false, { 'first question', 'on two lines' })
vim.cmd('OpenCode send')
H.out.input_after_send = chat.input_text()
H.wait_run(1, 'the first run')

chat.set_input('second question')
vim.api.nvim_set_current_win(chat.windows()[1])
vim.cmd('normal ' .. vim.keycode('<CR>'))
H.wait_run(2, 'the second run')
H.out.chat = H.chat_lines()
H.out.input_after = chat.input_text()
H.out.cursor_line = vim.api.nvim_buf_get_lines(0, vim.api.nvim_win_get_cursor(0)[1] - 1, vim.api.nvim_win_get_cursor(0)[1], false)[1]
H.finish()
