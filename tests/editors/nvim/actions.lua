-- :OpenCode agent, model and export against the server.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local state = require('opencode.state')

H.stub_select(function(items, opts)
  if opts.kind == 'opencode.agent' then
    return H.by_label(items, opts, '^plan')
  end
  if opts.kind == 'opencode.model' then
    return items[1]
  end
end)

vim.cmd('OpenCode agent')
H.wait(function()
  return state.agent == 'plan'
end, 'the agent choice')
vim.cmd('OpenCode model')
H.wait(function()
  return state.model ~= nil
end, 'the model choice')
H.out.picked_model = state.model
vim.cmd('OpenCode ask plan something')
H.wait_run(1, 'the plan run')
H.out.plan_chat = H.chat_lines()

-- A model the server does not know, on a provider without its own endpoint, is refused at once.
local notified = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(notified, msg)
  return notify(msg, level, opts)
end
vim.cmd('OpenCode model nosuch/model-x')
H.wait(function()
  return #notified > 0
end, 'the refusal')
H.out.refused = notified[#notified]
H.out.model_after_refusal = state.model
vim.cmd('OpenCode model fake/other')
vim.cmd('OpenCode agent build')
H.wait(function()
  return state.model.modelID == 'other' and state.agent == 'build'
end, 'model and agent set')
H.out.complete_agent = vim.fn.getcompletion('OpenCode agent ', 'cmdline')
H.out.complete_model = vim.fn.getcompletion('OpenCode model ', 'cmdline')
vim.cmd('OpenCode ask build something')
H.wait_run(2, 'the build run')
H.out.build_chat = H.chat_lines()

local path = vim.fn.getcwd() .. '/exported.json'
vim.cmd('OpenCode export ' .. path)
H.wait(function()
  return vim.fn.filereadable(path) == 1
end, 'the export file')
H.out.exported = vim.json.decode(table.concat(vim.fn.readfile(path), '\n'))
H.out.session_id = state.session_id
H.finish()
