-- :OpenCode undo / redo (revert, unrevert) and :OpenCode compact.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local state = require('opencode.state')
local transcript = require('opencode.transcript')
H.out.notified = {}
vim.notify = function(msg)
  table.insert(H.out.notified, msg)
end

local function revert_of()
  local info = transcript.get(state.session_id).info
  return info and type(info.revert) == 'table' and info.revert.messageID or false
end

vim.cmd('OpenCode ask first question')
H.wait_run(1, 'the first run')
vim.cmd('OpenCode ask second question')
H.wait_run(2, 'the second run')
H.out.before = H.chat_lines()

vim.cmd('OpenCode undo')
H.wait(function()
  return revert_of() and not H.chat_text():find('second question', 1, true)
end, 'the first undo')
H.wait(function()
  return require('opencode.chat').input_text() ~= ''
end, 'the prompt back in the input')
H.out.undo1 = H.chat_lines()
H.out.input_undo1 = require('opencode.chat').input_text()
vim.cmd('OpenCode undo')
H.wait(function()
  return not H.chat_text():find('first question', 1, true)
end, 'the second undo')
H.wait(function()
  return require('opencode.chat').input_text() == 'first question'
end, 'the first prompt back in the input')
H.out.undo2 = H.chat_lines()
H.out.input_undo2 = require('opencode.chat').input_text()
vim.cmd('OpenCode redo')
H.wait(function()
  return H.chat_text():find('first question', 1, true) and not H.chat_text():find('second question', 1, true)
end, 'the first redo')
H.out.redo1 = H.chat_lines()
vim.cmd('OpenCode redo')
H.wait(function()
  return not revert_of() and H.chat_text():find('second question', 1, true)
end, 'the second redo')
H.out.redo2 = H.chat_lines()
vim.wait(5000, function()
  return require('opencode.chat').input_text() == ''
end, 20)
H.out.input_redo2 = require('opencode.chat').input_text()

vim.cmd('OpenCode compact')
H.wait_run(3, 'the compaction')
H.out.compacted = H.chat_lines()
H.finish()
