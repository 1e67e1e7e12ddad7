-- The agent edits a file open in a buffer with unsaved changes: the server reads the buffer's
-- text (didChange), the edit arrives through workspace/applyEdit, and the chat shows the diff.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()

vim.cmd.edit('hello.py')
local buf = vim.api.nvim_get_current_buf()
vim.api.nvim_buf_set_lines(buf, 0, -1, false, { 'print("hello")' }) -- unsaved
vim.cmd('OpenCode ask say bye instead')
H.wait_run(1, 'the edit run')
H.out.attached = require('opencode.client').find() ~= nil
  and vim.lsp.buf_is_attached(buf, require('opencode.client').find().id)
H.out.buffer = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
H.out.modified = vim.bo[buf].modified
H.out.disk = vim.fn.readfile('hello.py')
H.out.chat = H.chat_lines()
-- The edit is in the buffer's undo history.
vim.api.nvim_buf_call(buf, function()
  vim.cmd('silent undo')
end)
H.out.after_undo = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
H.finish()
