-- opencode.nvim: the :OpenCode command. Defined at startup, without setup(); everything else
-- loads on first use.
if vim.g.loaded_opencode then
  return
end
vim.g.loaded_opencode = true

if vim.fn.has('nvim-0.10') ~= 1 then
  vim.notify_once('opencode.nvim needs Neovim 0.10 or newer', vim.log.levels.ERROR)
  return
end

vim.api.nvim_create_user_command('OpenCode', function(opts)
  require('opencode.commands').run(opts)
end, {
  nargs = '*',
  range = true,
  desc = 'opencode: chat, ask, sessions, agents and models',
  complete = function(arg_lead, cmdline, pos)
    return require('opencode.commands').complete(arg_lead, cmdline, pos)
  end,
})
