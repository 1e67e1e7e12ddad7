-- A provider auth error: shown in the chat and also as a notification (the chat may be hidden).
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
H.out.notified = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(H.out.notified, { msg = msg, level = level })
  return notify(msg, level, opts)
end
vim.cmd('OpenCode ask hello')
H.wait_run(1, 'the failed run')
H.out.chat = H.chat_lines()
H.finish()
