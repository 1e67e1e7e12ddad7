-- :checkhealth opencode with the server running.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
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
