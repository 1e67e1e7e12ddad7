-- Shared set-up for the headless Neovim test scripts (run with `nvim --headless -l`).
--
-- pytest passes everything through the environment:
--   OPENCODE_NVIM_PLUGIN  the plugin directory (put on 'runtimepath')
--   OPENCODE_TEST_OUT     where to write the observations (JSON) for pytest to assert on
--   OPENCODE_TEST_PYTHON  the Python that runs the server
--   OPENCODE_TEST_API     the fake OpenAI-compatible base URL (absent in offline scripts)
-- A script records what it saw in H.out and calls H.finish(); any Lua error exits non-zero.
local H = { out = {} }

vim.opt.rtp:prepend(assert(os.getenv('OPENCODE_NVIM_PLUGIN'), 'OPENCODE_NVIM_PLUGIN not set'))
vim.cmd.runtime('plugin/opencode.lua')

function H.setup(extra)
  local opts = {
    cmd = { os.getenv('OPENCODE_TEST_PYTHON'), '-m', 'opencode_lsp', '--stdio' },
    model = 'fake/m',
    providers = { fake = { apiBase = os.getenv('OPENCODE_TEST_API') } },
  }
  require('opencode').setup(vim.tbl_deep_extend('force', opts, extra or {}))
end

--- Wait (processing events) until cond() is true; error with `what` on timeout.
function H.wait(cond, what, timeout)
  if not vim.wait(timeout or 30000, cond, 20) then
    error('timed out waiting for ' .. what .. '\nchat:\n' .. table.concat(H.chat_lines(), '\n'), 2)
  end
end

function H.chat_lines()
  return require('opencode.chat').transcript_lines()
end

function H.chat_text()
  return table.concat(H.chat_lines(), '\n')
end

--- Every distinct transcript the chat showed, in order.
function H.record_renders()
  H.out.renders = {}
  vim.api.nvim_create_autocmd('User', {
    pattern = 'OpencodeChatRender',
    callback = function()
      local text = H.chat_text()
      if H.out.renders[#H.out.renders] ~= text then
        table.insert(H.out.renders, text)
      end
    end,
  })
end

--- Count runs that finished (User OpencodeRunDone).
H.runs_done = 0
vim.api.nvim_create_autocmd('User', {
  pattern = 'OpencodeRunDone',
  callback = function(args)
    H.runs_done = H.runs_done + 1
    H.last_run = args.data
  end,
})

function H.wait_run(n, what)
  H.wait(function()
    return H.runs_done >= n
  end, what or ('run ' .. n .. ' to finish'))
end

--- Replace vim.ui.select: `choose(items, opts)` returns the item to pick (nil = dismiss).
--- The callback runs later, as a real picker would call it.
function H.stub_select(choose)
  H.out.selects = H.out.selects or {}
  vim.ui.select = function(items, opts, on_choice)
    local labels = {}
    for _, item in ipairs(items) do
      table.insert(labels, opts.format_item and opts.format_item(item) or tostring(item))
    end
    table.insert(H.out.selects, { prompt = opts.prompt, kind = opts.kind, items = labels })
    local picked = choose(items, opts, labels)
    vim.schedule(function()
      on_choice(picked)
    end)
  end
end

--- Pick the item whose label matches `pattern`.
function H.by_label(items, opts, pattern)
  for _, item in ipairs(items) do
    local label = opts.format_item and opts.format_item(item) or tostring(item)
    if label:match(pattern) then
      return item
    end
  end
  return nil
end

--- Write the observations and stop the server so no process outlives the test.
function H.finish()
  local client = require('opencode.client')
  if client.find() then
    client.stop()
    vim.wait(10000, function()
      return client.find() == nil
    end, 50)
  end
  local path = assert(os.getenv('OPENCODE_TEST_OUT'), 'OPENCODE_TEST_OUT not set')
  vim.fn.writefile({ vim.json.encode(H.out) }, path)
end

return H
