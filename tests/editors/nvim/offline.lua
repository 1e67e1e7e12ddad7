-- No server: the command table, options, and the chat rendered from a fed event list.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
local out = H.out
local commands = require('opencode.commands')

out.command_exists = vim.fn.exists(':OpenCode')
out.complete_all = vim.fn.getcompletion('OpenCode ', 'cmdline')
out.complete_s = vim.fn.getcompletion('OpenCode s', 'cmdline')
out.complete_agent = vim.fn.getcompletion('OpenCode agent p', 'cmdline')
local notified = {}
vim.notify = function(msg)
  table.insert(notified, msg)
end
vim.cmd('OpenCode bogus')
out.unknown_message = notified[#notified]

require('opencode').setup({
  model = 'fake/m',
  providers = { fake = { apiBase = 'http://127.0.0.1:9/v1' } },
  chat = { width = 60 },
})
local config = require('opencode.config')
out.init_options = config.init_options()
out.chat_width = config.get().chat.width
out.chat_layout = config.get().chat.layout
out.state_model = require('opencode.state').model

-- The vim.lsp.config entry from lsp/opencode.lua (0.11).
local entry = vim.lsp.config.opencode
out.lsp_config = {
  cmd = entry.cmd,
  root_markers = entry.root_markers,
  permission_ui = entry.init_options.permissionUI,
  model = entry.init_options.model,
  event_handler = type(entry.handlers['opencode/event']),
}

local state = require('opencode.state')
local events = require('opencode.events')
local chat = require('opencode.chat')
state.session_id = 'ses_1'
local S = 'ses_1'
local function feed(list)
  for _, e in ipairs(list) do
    events.dispatch(e, 'progress')
  end
  chat.render_now()
end
local function part(id, msg, fields)
  return vim.tbl_extend('force', { id = id, sessionID = S, messageID = msg }, fields)
end
local user = { id = 'msg_1', sessionID = S, role = 'user', time = { created = 1 }, agent = 'build',
  model = { providerID = 'fake', modelID = 'm' } }
local assistant = { id = 'msg_2', sessionID = S, role = 'assistant', time = { created = 2 }, agent = 'build',
  mode = 'build', providerID = 'fake', modelID = 'm', parentID = 'msg_1' }
local read_input = { filePath = vim.fn.getcwd() .. '/hello.py' }

chat.open()
feed({
  { type = 'session.updated', properties = { info = { id = S, title = 'A session', time = { created = 1, updated = 1 } } } },
  { type = 'message.updated', properties = { info = user } },
  { type = 'message.part.updated', properties = { part = part('prt_1', 'msg_1', { type = 'text', text = 'read it please' }) } },
  { type = 'message.part.updated', properties = { part = part('prt_2', 'msg_1', { type = 'file', mime = 'text/plain',
    url = 'file://' .. read_input.filePath .. '?start=1&end=2', filename = 'hello.py' }) } },
  { type = 'message.updated', properties = { info = assistant } },
  { type = 'message.part.updated', properties = { part = part('prt_3', 'msg_2', { type = 'step-start' }) } },
  { type = 'message.part.updated', properties = { part = part('prt_4', 'msg_2', { type = 'reasoning', text = 'step', time = { start = 1 } }), delta = 'step' } },
  { type = 'message.part.updated', properties = { part = part('prt_4', 'msg_2', { type = 'reasoning', text = 'step one', time = { start = 1 } }), delta = ' one' } },
  { type = 'message.part.updated', properties = { part = part('prt_5', 'msg_2', { type = 'text', text = 'The file' }), delta = 'The file' } },
  { type = 'message.part.updated', properties = { part = part('prt_5', 'msg_2', { type = 'text', text = 'The file prints hi.' }), delta = ' prints hi.' } },
  { type = 'message.part.updated', properties = { part = part('prt_6', 'msg_2', { type = 'tool', tool = 'read', callID = 'c1',
    state = { status = 'running', input = read_input, time = { start = 1 } } }) } },
})
for _, line in ipairs(chat.transcript_lines()) do
  if line:match('^◐') then
    out.running_header = line
  end
end
local done = vim.deepcopy(assistant)
done.time.completed = 3
done.finish = 'stop'
done.cost = 0.0012
done.tokens = { input = 120, output = 8, reasoning = 0, cache = { read = 0, write = 0 } }
feed({
  { type = 'message.part.updated', properties = { part = part('prt_6', 'msg_2', { type = 'tool', tool = 'read', callID = 'c1',
    state = { status = 'completed', input = read_input, output = '1: print("hi")', title = 'hello.py', metadata = {},
      time = { start = 1, ['end'] = 2 } } }) } },
  { type = 'message.part.updated', properties = { part = part('prt_7', 'msg_2', { type = 'step-finish', reason = 'stop' }) } },
  { type = 'message.updated', properties = { info = done } },
})
out.streamed = chat.transcript_lines()
local win = chat.windows()[1]
vim.api.nvim_win_call(win, function()
  local function at(i)
    return { vim.fn.foldlevel(i), vim.fn.foldclosed(i) }
  end
  out.folds = { thinking = at(9), text = at(11), tool = at(13) }
end)

-- An edit with a diff, a failed tool and an aborted message.
local S2 = 'ses_2'
state.session_id = S2
local function part2(id, fields)
  return vim.tbl_extend('force', { id = id, sessionID = S2, messageID = 'msg_b' }, fields)
end
feed({
  { type = 'message.updated', properties = { info = vim.tbl_extend('force', user, { id = 'msg_a', sessionID = S2 }) } },
  { type = 'message.updated', properties = { info = vim.tbl_extend('force', assistant, { id = 'msg_b', sessionID = S2, parentID = 'msg_a',
    time = { created = 2, completed = 3 }, error = { name = 'MessageAbortedError', data = { message = 'aborted' } } }) } },
  { type = 'message.part.updated', properties = { part = part2('prt_a', { type = 'tool', tool = 'edit', callID = 'e1',
    state = { status = 'completed', input = { filePath = '/x/a.py' }, output = 'Edit applied.', title = 'a.py',
      metadata = { diff = '--- a.py\n+++ a.py\n@@ -1 +1 @@\n-old\n+new\n' }, time = { start = 1, ['end'] = 2 } } }) } },
  { type = 'message.part.updated', properties = { part = part2('prt_b', { type = 'tool', tool = 'bash', callID = 'b1',
    state = { status = 'error', input = { command = 'ls' }, error = 'boom', time = { start = 1, ['end'] = 2 } } }) } },
})
out.edit_lines = chat.transcript_lines()

-- Revert: messages from the revert point on are hidden.
feed({
  { type = 'session.updated', properties = { info = { id = S2, title = 'Reverted', revert = { messageID = 'msg_a' },
    time = { created = 1, updated = 2 } } } },
})
out.reverted = chat.transcript_lines()

-- Malformed events (a field missing) are dropped without an error.
out.malformed = { pcall(events.dispatch, { type = 'session.updated', properties = {} }, 'feed'),
  pcall(events.dispatch, { type = 'message.part.updated', properties = { part = 'x' } }, 'progress') }

chat.set_input('first line\nsecond line')
out.input_text = chat.input_text()

-- Delta-only streaming (protocol v2): part.text is not the full text; deltas are appended, and a
-- part first seen with a delta starts from the delta.
local S3 = 'ses_3'
state.session_id = S3
local function part3(id, fields)
  return vim.tbl_extend('force', { id = id, sessionID = S3, messageID = 'msg_y' }, fields)
end
local todos = { { content = 'write tests', status = 'completed', priority = 'high' },
  { content = 'fix the bug', status = 'in_progress', priority = 'high' },
  { content = 'update docs', status = 'pending', priority = 'low' } }
feed({
  { type = 'message.updated', properties = { info = vim.tbl_extend('force', user, { id = 'msg_x', sessionID = S3 }) } },
  { type = 'message.part.updated', properties = { part = { id = 'prt_x', sessionID = S3, messageID = 'msg_x', type = 'text', text = 'go' } } },
  { type = 'message.updated', properties = { info = vim.tbl_extend('force', assistant, { id = 'msg_y', sessionID = S3, parentID = 'msg_x' }) } },
  { type = 'message.part.updated', properties = { part = part3('prt_r', { type = 'retry', attempt = 1,
    error = { name = 'APIError', data = { message = 'Connection error.' } } }) } },
  { type = 'session.status', properties = { sessionID = S3, status = { type = 'retry', attempt = 1, message = 'Connection error.',
    next = os.time() * 1000 + 20000 } } },
})
out.retrying = chat.transcript_lines()
feed({
  { type = 'session.status', properties = { sessionID = S3, status = { type = 'busy' } } },
  { type = 'message.part.updated', properties = { part = part3('prt_y', { type = 'text', text = '' }), delta = 'Hel' } },
  { type = 'message.part.updated', properties = { part = part3('prt_y', { type = 'text', text = '' }), delta = 'lo there.' } },
  { type = 'message.part.updated', properties = { part = part3('prt_t', { type = 'tool', tool = 'todowrite', callID = 't1',
    state = { status = 'completed', input = { todos = todos }, output = '[...]', title = '2 todos',
      metadata = { todos = todos }, time = { start = 1, ['end'] = 2 } } }) } },
})
out.streamed_v2 = chat.transcript_lines()

-- The input survives renders; the separator is virtual (nothing to delete), so sending works
-- after the user deletes lines around it.
chat.set_input('keep me')
feed({ { type = 'message.part.updated', properties = { part = part3('prt_y', { type = 'text', text = '' }), delta = ' More.' } } })
out.input_after_render = chat.input_text()
local buf = chat.bufnr()
local input_first = #chat.transcript_lines()
vim.api.nvim_buf_set_lines(buf, input_first - 1, input_first, false, {}) -- the last transcript line
chat.render_now()
out.input_after_delete = chat.input_text()
out.lines_after_delete = vim.api.nvim_buf_line_count(buf)

-- Progress words for statuslines: one per change, no event names.
local progress = require('opencode.progress')
local words = {
  progress.words({ kind = 'report', message = 'writing' }),
  progress.words({ kind = 'report', message = 'message.updated' }),
  progress.words({ kind = 'report', message = 'step started' }),
  progress.words({ kind = 'report', message = 'bash: running · ls -la' }),
  progress.words({ kind = 'report', event = { type = 'message.part.updated', properties = { part = { type = 'reasoning' } } } }),
  progress.words({ kind = 'report', event = { type = 'session.updated', properties = {} } }),
}
out.words = {}
for i = 1, 6 do
  out.words[i] = words[i] or false -- false: the report is dropped
end

-- A prompt on its way shows at once, before the server has it (no session yet).
state.session_id = nil
require('opencode.outbox').add(nil, 'hello there', false)
chat.render_now()
out.echo = chat.transcript_lines()
require('opencode.outbox').clear()

-- :OpenCode diff reads summary.diffs in OpenCode 1.18.33's patch form and in the older before/after form.
local review = require('opencode.review')
local patch = 'Index: a.py\n' .. string.rep('=', 67) .. '\n--- a.py\t\n+++ a.py\t\n@@ -1,2 +1,2 @@\n x\n-old\n+new\n'
for _, case in ipairs({ { 'ses_p', { file = 'a.py', patch = patch } },
  { 'ses_l', { file = 'a.py', before = 'x\nold\n', after = 'x\nnew\n' } } }) do
  events.dispatch({ type = 'message.updated', properties = { info = { id = 'msg_r', sessionID = case[1], role = 'user',
    time = { created = 1 }, agent = 'build', model = { providerID = 'fake', modelID = 'm' },
    summary = { diffs = { case[2] } } } } }, 'progress')
  out['turn_diff_' .. case[1]] = review.turn_diff(case[1])
end

vim.cmd.edit('hello.py')
out.selection_part = require('opencode').selection_part(vim.api.nvim_get_current_buf(), 1, 1)
out.session_label = require('opencode.sessions').format({ id = 'ses_x', title = 'Fix the bug', cost = 0.042,
  time = { created = 1700000000000, updated = 1700000000000 } })
H.finish()
