-- "always" approvals seen and revoked from Neovim: reading .env asks; `A` on the ask block stores
-- an "always" approval, so the next read runs with no ask; :OpenCode approvals lists it and revoking
-- it (picked in vim.ui.select, then confirmed) makes the third read ask again.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local permission = require('opencode.permission')
local notified = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(notified, msg)
  return notify(msg, level, opts)
end
H.stub_select(function(items, opts)
  if opts.kind == 'opencode.confirm' then
    return 'Revoke'
  end
  return items[1]
end)

local function wait_ask(what)
  H.wait(function()
    return #permission.pending() > 0
  end, what)
end

vim.cmd('OpenCode ask what is in the env file')
wait_ask('the first ask')
vim.cmd('OpenCode permission')
vim.cmd('normal A')
H.wait_run(1, 'the run allowed always')

vim.cmd('OpenCode ask read it again')
H.wait_run(2, 'the second run, which must not ask')
H.out.asked_second = #permission.pending()

vim.cmd('OpenCode approvals')
H.wait(function()
  for _, msg in ipairs(notified) do
    if msg:find('approval', 1, true) then
      return true
    end
  end
  return false
end, 'the revoke notification')
H.out.notified = vim.deepcopy(notified)

vim.cmd('OpenCode ask and a third time')
wait_ask('the third ask, after revoking')
H.out.asked_third = #permission.pending()
vim.cmd('OpenCode permission')
vim.cmd('normal a')
H.wait_run(3, 'the third run')
H.finish()
