-- :checkhealth opencode before the server runs (opencode.json read directly) and with it running.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
vim.cmd('checkhealth opencode')
H.out.report_before = vim.api.nvim_buf_get_lines(0, 0, -1, false)
vim.cmd('bwipeout!')
local ready = false
require('opencode.client').with_client(function()
  ready = true
end)
H.wait(function()
  return ready
end, 'the server')
vim.cmd('checkhealth opencode')
H.out.report = vim.api.nvim_buf_get_lines(0, 0, -1, false)
H.finish()
