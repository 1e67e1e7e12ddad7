-- :OpenCode ask without text asks for it (vim.ui.input) and keeps the cursor where it was;
-- a ranged :OpenCode fix carries the range's diagnostics; :OpenCode export without a file writes
-- indented JSON to <session id>.json and shows it.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
vim.cmd.edit('hello.py')
local buf = vim.api.nvim_get_current_buf()
local file_win = vim.api.nvim_get_current_win()
vim.ui.input = function(opts, on_confirm)
  H.out.input_prompt = opts.prompt
  vim.schedule(function()
    on_confirm('what is this file')
  end)
end
vim.cmd('OpenCode ask')
H.wait_run(1, 'the asked-for prompt')
H.out.same_window = vim.api.nvim_get_current_win() == file_win
H.out.chat_visible = #require('opencode.chat').windows() > 0
H.out.chat1 = H.chat_lines()

local ns = vim.api.nvim_create_namespace('test.lint')
vim.diagnostic.set(ns, buf, {
  { lnum = 0, col = 0, message = 'undefined name "prnt"', severity = vim.diagnostic.severity.ERROR, source = 'pyflakes' },
})
vim.cmd('1OpenCode fix')
H.wait_run(2, 'the fix prompt')

vim.cmd('OpenCode export')
local state = require('opencode.state')
local path = vim.fn.getcwd() .. '/' .. state.session_id .. '.json'
H.wait(function()
  return vim.fn.filereadable(path) == 1 and vim.api.nvim_buf_get_name(0) == path
end, 'the export file shown')
H.out.export_lines = vim.fn.readfile(path)
H.out.export_shown = vim.api.nvim_buf_get_name(0) == path
H.finish()
