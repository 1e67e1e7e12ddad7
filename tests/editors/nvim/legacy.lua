-- The Neovim 0.10 code paths (vim.lsp.start_client, client.request field functions), taken by
-- making has('nvim-0.11') answer 0 before the plugin loads. Neovim 0.11 still serves those APIs,
-- so a Lua error here is a bug on 0.10.
local real_has = vim.fn.has
vim.fn.has = function(feature)
  if feature == 'nvim-0.11' then
    return 0
  end
  return real_has(feature)
end
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local state = require('opencode.state')

vim.cmd('OpenCode ask hello from the old API')
H.wait_run(1, 'the run')
H.out.chat = H.chat_lines()
H.out.session_id = state.session_id
H.stub_select(function()
  return nil
end)
vim.cmd('OpenCode sessions')
H.wait(function()
  return H.out.selects and #H.out.selects == 1
end, 'the session picker')
H.out.listed = H.out.selects[1].items
vim.cmd('checkhealth opencode')
H.out.report = vim.api.nvim_buf_get_lines(0, 0, -1, false)
H.finish()
