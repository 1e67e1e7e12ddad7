-- The opencode server as a vim.lsp.config entry (Neovim 0.11+). With it, users can override any
-- client option with vim.lsp.config('opencode', {...}); :OpenCode starts the client itself, and
-- vim.lsp.enable('opencode') would also attach it to every buffer of the workspace.
local cfg = require('opencode.client').lsp_config()
-- vim.lsp.enable() finds the root from markers per buffer; a fixed root_dir would pin one folder.
cfg.root_dir = nil
cfg.root_markers = require('opencode.config').get().root_markers
return cfg
