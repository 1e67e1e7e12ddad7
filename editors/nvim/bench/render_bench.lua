-- Chat rendering cost: apply one streamed text delta and redraw, on a ~2,500-line transcript.
-- Run: nvim --headless -u NONE -i NONE -n -l editors/nvim/bench/render_bench.lua (from the repo root).
-- Prints figures; asserts nothing.
vim.opt.rtp:prepend(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h'))
local events = require('opencode.events')
local chat = require('opencode.chat')
local state = require('opencode.state')
state.session_id = 'ses_b'
local S = 'ses_b'
chat.open()
-- 100 turns, each a user message and an assistant with text + a tool (about 2,000 lines)
for i = 1, 100 do
  local u, a = ('msg_%04da'):format(i), ('msg_%04db'):format(i)
  events.dispatch({ type = 'message.updated', properties = { info = { id = u, sessionID = S, role = 'user' } } }, 'progress')
  events.dispatch({ type = 'message.part.updated', properties = { part = { id = 'prt_' .. u, sessionID = S, messageID = u, type = 'text', text = 'question ' .. i } } }, 'progress')
  events.dispatch({ type = 'message.updated', properties = { info = { id = a, sessionID = S, role = 'assistant', agent = 'build', providerID = 'p', modelID = 'm', time = { created = 1, completed = 2 }, finish = 'stop' } } }, 'progress')
  events.dispatch({ type = 'message.part.updated', properties = { part = { id = 'prt_' .. a .. '1', sessionID = S, messageID = a, type = 'tool', tool = 'read', state = { status = 'completed', title = 'f.py', output = string.rep('line\n', 10) } } } }, 'progress')
  events.dispatch({ type = 'message.part.updated', properties = { part = { id = 'prt_' .. a .. '2', sessionID = S, messageID = a, type = 'text', text = string.rep('answer text\n', 5) } } }, 'progress')
end
chat.render_now()
print('lines', #chat.transcript_lines())
local last = 'msg_9999'
events.dispatch({ type = 'message.updated', properties = { info = { id = last, sessionID = S, role = 'assistant', agent = 'build' } } }, 'progress')
local n = 500
local t0 = vim.uv.hrtime()
local text = ''
for i = 1, n do
  text = text .. 'w' .. i .. ' '
  events.dispatch({ type = 'message.part.updated', properties = { part = { id = 'prt_x', sessionID = S, messageID = last, type = 'text', text = text }, delta = 'w' .. i .. ' ' } }, 'progress')
  chat.render_now()
end
local per = (vim.uv.hrtime() - t0) / n / 1e6
print(('per delta (apply + full render, %d-line transcript): %.2f ms'):format(#chat.transcript_lines(), per))
vim.cmd('qa!')
