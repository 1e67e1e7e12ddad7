-- Session listing and switching: :OpenCode sessions -> Open / Rename / Fork / Delete.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
local state = require('opencode.state')

vim.cmd('OpenCode ask first topic')
H.wait_run(1, 'the first run')
local first = state.session_id
vim.cmd('OpenCode new')
H.wait(function()
  return state.session_id and state.session_id ~= first
end, 'the new session')
local second = state.session_id
H.out.new_chat = H.chat_lines()
vim.cmd('OpenCode ask second topic')
H.wait_run(2, 'the second run')
H.out.second_chat = H.chat_lines()

-- Each picker answer in turn: { kind = ..., pick = function(items, opts) -> item }.
local plan = {}
H.stub_select(function(items, opts)
  local step = table.remove(plan, 1)
  assert(step and step.kind == opts.kind, 'unexpected picker ' .. tostring(opts.kind))
  return step.pick(items, opts)
end)
local function session(id)
  return function(items)
    for _, item in ipairs(items) do
      if item.id == id then
        return item
      end
    end
  end
end
local function action(label)
  return function(items, opts)
    return H.by_label(items, opts, '^' .. label .. '$')
  end
end
local function done()
  return #plan == 0
end

-- Open the first session.
plan = { { kind = 'opencode.session', pick = session(first) }, { kind = 'opencode.session_action', pick = action('Open') } }
vim.cmd('OpenCode sessions')
H.wait(function()
  return done() and state.session_id == first and H.chat_text():find('first topic', 1, true) ~= nil
end, 'switching to the first session')
H.out.listed = H.out.selects[1].items
H.out.switched = H.chat_lines()

-- Rename it.
vim.ui.input = function(opts, on_confirm)
  H.out.input_default = opts.default
  vim.schedule(function()
    on_confirm('Renamed first')
  end)
end
plan = { { kind = 'opencode.session', pick = session(first) }, { kind = 'opencode.session_action', pick = action('Rename') } }
vim.cmd('OpenCode sessions')
H.wait(function()
  return done() and H.chat_lines()[1] == '# Renamed first'
end, 'the rename')

-- Fork it: the fork becomes current with the same conversation.
plan = { { kind = 'opencode.session', pick = session(first) }, { kind = 'opencode.session_action', pick = action('Fork') } }
vim.cmd('OpenCode sessions')
H.wait(function()
  return done() and state.session_id ~= first and state.session_id ~= second
    and H.chat_text():find('first topic', 1, true) ~= nil
end, 'the fork')
H.out.forked = H.chat_lines()
local fork = state.session_id

-- Delete the second session.
-- Delete asks first: "Keep" keeps it, "Delete" deletes it.
plan = { { kind = 'opencode.session', pick = session(second) }, { kind = 'opencode.session_action', pick = action('Delete') },
  { kind = 'opencode.confirm', pick = function() return 'Keep' end } }
vim.cmd('OpenCode sessions')
H.wait(done, 'the kept delete')
H.out.confirm_prompt = H.out.selects[#H.out.selects].prompt
H.out.kept = vim.tbl_map(function(s)
  return s.id
end, require('opencode.client').request_sync('opencode/session/list', vim.empty_dict(), 5000) or {})
plan = { { kind = 'opencode.session', pick = session(second) }, { kind = 'opencode.session_action', pick = action('Delete') },
  { kind = 'opencode.confirm', pick = function() return 'Delete' end } }
vim.cmd('OpenCode sessions')
H.wait(done, 'the delete pickers')
local remaining = nil
H.wait(function()
  local list = require('opencode.client').request_sync('opencode/session/list', vim.empty_dict(), 5000) or {}
  remaining = vim.tbl_map(function(s)
    return s.id
  end, list)
  return not vim.tbl_contains(remaining, second)
end, 'the delete')
H.out.ids = { first = first, second = second, fork = fork }
H.out.remaining = remaining
plan = { { kind = 'opencode.session', pick = function() return nil end } }
vim.cmd('OpenCode sessions')
H.wait(done, 'the last listing')
H.out.listed_after = H.out.selects[#H.out.selects].items
H.finish()
