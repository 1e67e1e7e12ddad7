-- A permission ask (reading .env asks by default) answered through a stubbed vim.ui.select:
-- "Allow once" lets the run continue; a dismissed question is a reject.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local answers = { 'Allow once', nil }
local asked = 0
H.stub_select(function(items, opts)
  if opts.kind ~= 'opencode.permission' then
    return nil
  end
  asked = asked + 1
  local wanted = answers[asked]
  return wanted and H.by_label(items, opts, '^' .. wanted .. '$') or nil
end)

vim.cmd('OpenCode ask what is in the env file')
H.wait_run(1, 'the allowed run')
H.out.allowed = H.chat_lines()

vim.cmd('OpenCode ask and again')
H.wait_run(2, 'the rejected run')
H.out.rejected = H.chat_lines()
H.out.pending = require('opencode.permission').pending()
H.finish()
