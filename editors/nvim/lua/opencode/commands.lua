-- The :OpenCode subcommands: one table, used for dispatch, completion and the help text.
local M = {}

local function api()
  return require('opencode')
end

local function rest(args)
  return table.concat(args, ' ')
end

local function range_of(cmd)
  if cmd.range and cmd.range > 0 then
    return { bufnr = vim.api.nvim_get_current_buf(), line1 = cmd.line1, line2 = cmd.line2 }
  end
  return nil
end

M.subcommands = {
  chat = { desc = 'open the chat for the current session', run = function() api().chat() end },
  send = { desc = "send the chat's input section", run = function() api().send() end },
  ask = {
    desc = 'ask [text] (asked for when left out); with a range the selected lines and their diagnostics go along',
    run = function(args, cmd)
      api().ask(rest(args), range_of(cmd))
    end,
  },
  fix = {
    desc = 'ask the agent to fix the diagnostics of the range (or the buffer)',
    run = function(_, cmd)
      api().fix(range_of(cmd))
    end,
  },
  continue = { desc = 'continue the most recent session', run = function() api().continue() end },
  stop = { desc = 'stop the running prompt', run = function() api().stop() end },
  new = { desc = 'start a new session', run = function() api().new() end },
  sessions = { desc = 'pick a session: open, rename, fork, delete', run = function() api().sessions() end },
  permission = { desc = 'go to the pending permission ask (a/A/r/R answer it)', run = function() api().permission() end },
  approvals = { desc = 'list stored "always" approvals and revoke one', run = function() api().approvals() end },
  diff = { desc = "show the last turn's file changes", run = function() api().diff() end },
  agent = {
    desc = 'choose the agent [name]',
    run = function(args) api().agent(args[1]) end,
    complete = function()
      return require('opencode.pickers').agent_names()
    end,
  },
  model = {
    desc = 'choose the model [provider/model]',
    run = function(args) api().model(args[1]) end,
    complete = function()
      return require('opencode.pickers').model_names()
    end,
  },
  compact = { desc = 'summarize the session to free context', run = function() api().compact() end },
  undo = { desc = 'revert the last turn (its prompt comes back in the input)', run = function() api().undo() end },
  redo = { desc = 'bring back what undo reverted', run = function() api().redo() end },
  export = {
    desc = 'export the session as OpenCode JSON [file] (default: <session id>.json, shown)',
    run = function(args) api().export(args[1]) end,
    complete = function(lead)
      return vim.fn.getcompletion(lead, 'file')
    end,
  },
}

--- Names of the subcommands, sorted.
function M.names()
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return names
end

--- The :OpenCode command's callback (opts from nvim_create_user_command).
function M.run(opts)
  local args = vim.deepcopy(opts.fargs)
  local name = table.remove(args, 1) or 'chat'
  local sub = M.subcommands[name]
  if not sub then
    vim.notify(('opencode: unknown subcommand %q (one of: %s)'):format(name, table.concat(M.names(), ', ')),
      vim.log.levels.ERROR)
    return
  end
  sub.run(args, opts)
end

--- Completion for :OpenCode: subcommand names, then the subcommand's own arguments.
function M.complete(arg_lead, cmdline, _)
  local words = vim.split(cmdline, '%s+', { trimempty = true })
  -- Drop a leading range and the command itself ("'<,'>OpenCode" or "OpenCode").
  table.remove(words, 1)
  local typing_new_word = cmdline:match('%s$') ~= nil
  if #words == 0 or (#words == 1 and not typing_new_word) then
    return vim.tbl_filter(function(name)
      return vim.startswith(name, arg_lead)
    end, M.names())
  end
  local sub = M.subcommands[words[1]]
  if sub and sub.complete then
    return vim.tbl_filter(function(item)
      return vim.startswith(item, arg_lead)
    end, sub.complete(arg_lead))
  end
  return {}
end

return M
