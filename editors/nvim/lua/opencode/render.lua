-- Turning a session's transcript into chat buffer lines (markdown) and fold levels.
--
-- Pure: input is what transcript.lua holds, output is `lines` plus `folds` (line number ->
-- foldexpr value). Reasoning and tool output are folded so a turn reads as its text and one
-- header line per tool call.
local transcript = require('opencode.transcript')
local errors = require('opencode.errors')

local M = {}
local settled_after

M.max_output_lines = 200

local status_icon = { pending = '○', running = '◐', completed = '✓', error = '✗' }

local function split(text)
  text = tostring(text or ''):gsub('\r\n', '\n'):gsub('\r', '\n')
  return vim.split(text, '\n', { plain = true })
end

local function file_label(part)
  local url = part.url or ''
  local path = url:gsub('^file://', ''):gsub('%?.*$', '')
  local label = part.filename or vim.fn.fnamemodify(path, ':t')
  local first, last = url:match('[?&]start=(%d+)'), url:match('[?&]end=(%d+)')
  if first and last then
    label = ('%s (lines %s-%s)'):format(label, first, last)
  elseif first then
    label = ('%s (from line %s)'):format(label, first)
  end
  return label
end

-- A short label for a tool call that has no title yet.
local function tool_subject(state)
  if type(state.title) == 'string' and state.title ~= '' then
    return state.title
  end
  local input = type(state.input) == 'table' and state.input or {}
  for _, key in ipairs({ 'description', 'filePath', 'path', 'command', 'pattern', 'url', 'query' }) do
    if type(input[key]) == 'string' and input[key] ~= '' then
      local value = input[key]
      if key == 'filePath' or key == 'path' then
        value = vim.fn.fnamemodify(value, ':t')
      end
      return value
    end
  end
  return ''
end

--- The one-line header of a tool call: icon, tool, subject, status.
function M.tool_header(part)
  local state = type(part.state) == 'table' and part.state or {}
  local status = state.status or 'pending'
  local subject = tool_subject(state):gsub('\n', ' ')
  local header = ('%s %s'):format(status_icon[status] or '•', part.tool or 'tool')
  if subject ~= '' then
    header = header .. ' ' .. subject
  end
  return header .. ' (' .. status .. ')'
end

local Builder = {}
Builder.__index = Builder

local function builder()
  return setmetatable({ lines = {}, folds = {} }, Builder)
end

function Builder:add(text, fold)
  for _, line in ipairs(split(text)) do
    table.insert(self.lines, line)
    if fold then
      self.folds[#self.lines] = fold
    end
  end
end

-- A folded block: the header line opens the fold, the body lines sit inside it.
function Builder:folded(header, body_lines)
  table.insert(self.lines, header)
  if #body_lines == 0 then
    return
  end
  self.folds[#self.lines] = '>1'
  for _, line in ipairs(body_lines) do
    table.insert(self.lines, line)
    self.folds[#self.lines] = '1'
  end
end

function Builder:blank()
  if #self.lines > 0 and self.lines[#self.lines] ~= '' then
    table.insert(self.lines, '')
  end
end

local function indented(text, limit)
  local out = {}
  local lines = split(text)
  for i, line in ipairs(lines) do
    if limit and i > limit then
      table.insert(out, ('    … %d more lines'):format(#lines - limit))
      break
    end
    table.insert(out, '    ' .. line)
  end
  return out
end

local todo_mark = { completed = '[x]', in_progress = '[~]', cancelled = '[-]' }

--- A todo list as markdown checklist lines.
function M.checklist(todos)
  local lines = {}
  for _, todo in ipairs(todos) do
    if type(todo) == 'table' then
      local line = ('- %s %s'):format(todo_mark[todo.status] or '[ ]', tostring(todo.content or ''):gsub('\n', ' '))
      if todo.status == 'in_progress' then
        line = line .. ' _(in progress)_'
      elseif todo.status == 'cancelled' then
        line = line .. ' _(cancelled)_'
      end
      table.insert(lines, line)
    end
  end
  if #lines == 0 then
    table.insert(lines, '_(no todos)_')
  end
  return table.concat(lines, '\n')
end

-- Whether anything but bookkeeping follows a part in its message, or the message ended well.
settled_after = function(entry, part)
  if entry.info.time and entry.info.time.completed and not entry.info.error then
    return true
  end
  local after = false
  for _, other in ipairs(entry.parts) do
    if other == part then
      after = true
    elseif after and (other.type == 'text' or other.type == 'tool' or other.type == 'reasoning') then
      return true
    end
  end
  return false
end

local function render_tool(b, part)
  local state = type(part.state) == 'table' and part.state or {}
  local body = {}
  local meta = type(state.metadata) == 'table' and state.metadata or {}
  if part.tool == 'todowrite' and type(meta.todos) == 'table' then
    -- The task list as a checklist, completed items included (the tool's output leaves them out).
    b:add(M.tool_header(part))
    b:add(M.checklist(meta.todos))
    return
  end
  if state.status == 'completed' and type(state.output) == 'string' and state.output ~= '' then
    body = indented(state.output, M.max_output_lines)
  end
  b:folded(M.tool_header(part), body)
  if state.status == 'error' and state.error then
    b:add('    error: ' .. tostring(state.error):gsub('\n', ' '))
  end
  if type(meta.diff) == 'string' and meta.diff ~= '' then
    b:add('```diff')
    b:add((meta.diff:gsub('\n$', '')))
    b:add('```')
  end
end

local function render_user(b, entry, queued)
  if #entry.parts == 0 then
    -- Its parts are on their way (the chat already shows the prompt as sent).
    return
  end
  b:blank()
  if #entry.parts > 0 and entry.parts[1].type == 'compaction' then
    -- A compaction request: a divider, the summary follows as the answer.
    b:add('---')
    b:add('_conversation compacted_')
    return
  end
  b:add(queued and '## You · queued (sent while the agent works; it reads this next)' or '## You')
  for _, part in ipairs(entry.parts) do
    if part.type == 'text' and not part.synthetic then
      b:add(part.text)
    elseif part.type == 'file' then
      b:add('[file] ' .. file_label(part))
    elseif part.type == 'agent' then
      b:add('@' .. tostring(part.name))
    elseif part.type == 'subtask' then
      b:add('[subtask] ' .. tostring(part.description))
    end
  end
end

local function render_assistant_parts(b, entry)
  for _, part in ipairs(entry.parts) do
    if part.type == 'text' then
      if part.text and part.text ~= '' then
        -- Set the answer apart from a tool block or thinking above it.
        local previous = b.lines[#b.lines] or ''
        if previous:match('^    ') or previous:match('^  > ') or previous:match('%((%a+)%)$') then
          b:blank()
        end
        b:add(part.text)
      end
    elseif part.type == 'reasoning' then
      if part.text and part.text ~= '' then
        local body = {}
        for _, line in ipairs(split(part.text)) do
          table.insert(body, '  > ' .. line)
        end
        b:folded('▸ thinking', body)
      end
    elseif part.type == 'tool' then
      render_tool(b, part)
    elseif part.type == 'patch' and type(part.files) == 'table' then
      b:add('_changed: ' .. table.concat(vim.tbl_map(function(f)
        return vim.fn.fnamemodify(f, ':.')
      end, part.files), ', ') .. '_')
    elseif part.type == 'compaction' then
      b:add('_conversation compacted_')
    elseif part.type == 'retry' then
      -- A retry note only while the retry has not produced anything yet: once the answer
      -- streams (or the message ends well) the note has served its purpose.
      if not settled_after(entry, part) then
        local err = type(part.error) == 'table' and part.error or {}
        local data = type(err.data) == 'table' and err.data or {}
        b:add(('_retry %s: %s_'):format(tostring(part.attempt), errors.text(data.message or err.name or '')))
      end
    elseif part.type == 'subtask' then
      b:add('[subtask] ' .. tostring(part.description))
    end
  end
  local err = entry.info.error
  if type(err) == 'table' then
    if err.name == 'MessageAbortedError' then
      b:add('_aborted_')
    else
      b:add(errors.line(err, entry.info.providerID))
    end
  end
end

local function format_cost(cost)
  return ('$%.4f'):format(tonumber(cost) or 0)
end

--- The token/cost line of a turn (all its assistant messages summed).
function M.usage_line(infos)
  local input, output, reasoning, read, write, cost = 0, 0, 0, 0, 0, 0
  for _, info in ipairs(infos) do
    local t = type(info.tokens) == 'table' and info.tokens or {}
    local cache = type(t.cache) == 'table' and t.cache or {}
    input = input + (tonumber(t.input) or 0)
    output = output + (tonumber(t.output) or 0)
    reasoning = reasoning + (tonumber(t.reasoning) or 0)
    read = read + (tonumber(cache.read) or 0)
    write = write + (tonumber(cache.write) or 0)
    cost = cost + (tonumber(info.cost) or 0)
  end
  local line = ('_tokens %d in · %d out'):format(input, output)
  if reasoning > 0 then
    line = line .. (' · %d reasoning'):format(reasoning)
  end
  if read + write > 0 then
    line = line .. (' · cache %d read / %d write'):format(read, write)
  end
  return line .. ' · ' .. format_cost(cost) .. '_'
end

local function turn_finished(infos)
  local last = infos[#infos]
  if not last or not (last.time and last.time.completed) then
    return false
  end
  return last.finish ~= 'tool-calls' or last.error ~= nil
end

-- Prompts sent but not yet stored by the server, and the line saying the agent works.
local function render_outbox(b, outbox)
  for _, entry in ipairs(outbox or {}) do
    b:blank()
    b:add(entry.queued and '## You · queued (sent while the agent works; it reads this next)' or '## You')
    b:add(entry.text)
  end
end

local function starting_line()
  local client = require('opencode.client').find()
  if client and client.initialized then
    return '_working…_'
  end
  return '_working… (starting the server)_'
end

local function retry_line(status)
  local line = ('_retrying (attempt %s)'):format(tostring(status.attempt))
  local next_ms = tonumber(status.next)
  if next_ms then
    local seconds = math.max(0, math.ceil((next_ms - os.time() * 1000) / 1000))
    line = line .. (' in %ds'):format(seconds)
  end
  return line .. ': ' .. errors.text(status.message) .. '_'
end

--- Lines and folds for one session's chat transcript. opts.outbox: prompts on their way;
--- opts.queued: user message id -> true for prompts waiting for the running loop.
function M.session(session_id, opts)
  opts = opts or {}
  local queued = opts.queued or {}
  local b = builder()
  local t = transcript.get(session_id)
  local info = t.info or {}
  b:add('# ' .. (info.title or 'opencode'))
  local turn = nil -- assistant infos of the current turn
  local function close_turn()
    if turn and #turn > 0 and turn_finished(turn) then
      b:blank()
      b:add(M.usage_line(turn))
    end
    turn = nil
  end
  for _, entry in ipairs(transcript.messages(session_id)) do
    if entry.info.role == 'user' then
      close_turn()
      render_user(b, entry, queued[entry.info.id] ~= nil)
    else
      if not turn then
        turn = {}
        b:blank()
        local model = entry.info.providerID and (entry.info.providerID .. '/' .. tostring(entry.info.modelID)) or ''
        b:add(('## opencode · %s%s'):format(entry.info.agent or entry.info.mode or 'agent', model ~= '' and (' · ' .. model) or ''))
      end
      table.insert(turn, entry.info)
      render_assistant_parts(b, entry)
    end
  end
  close_turn()
  local hidden = transcript.hidden_turns(session_id)
  if hidden > 0 then
    b:blank()
    b:add(('_%d reverted turn%s hidden · :OpenCode redo brings back one at a time_'):format(hidden, hidden == 1 and '' or 's'))
  end
  render_outbox(b, opts.outbox)
  local status = type(t.status) == 'table' and t.status or {}
  if status.type == 'retry' then
    b:blank()
    b:add(retry_line(status))
  elseif status.type == 'busy' or #(opts.outbox or {}) > 0 then
    b:blank()
    b:add(starting_line())
  end
  if type(t.error) == 'table' then
    if t.error.name ~= 'MessageAbortedError' then
      b:blank()
      b:add(errors.line(t.error))
    end
  end
  b:blank()
  return b.lines, b.folds
end

--- The chat before any session: prompts on their way, or how to start (and resume).
function M.empty(outbox, hint)
  local b = builder()
  b:add('# opencode')
  if outbox and #outbox > 0 then
    render_outbox(b, outbox)
    b:blank()
    b:add(starting_line())
  else
    b:blank()
    b:add('_No session yet: write below and press <CR>._')
    if hint then
      b:add(hint)
    end
  end
  b:blank()
  return b.lines, {}
end

return M
