-- :OpenCode ask streams into the chat; the tool header goes from running to completed; a
-- second ask with a range sends the selected lines as a file part.
local H = dofile(vim.env.OPENCODE_TEST_SCRIPTS .. '/harness.lua')
H.setup()
H.record_renders()

vim.cmd.edit('hello.py')
local source_buf = vim.api.nvim_get_current_buf()
vim.cmd('OpenCode ask what does hello.py do')
H.out.chat_open = require('opencode.chat').bufnr() ~= nil
H.wait_run(1, 'the first run')
H.out.final = H.chat_lines()

-- Tool header lines as they were rendered over time.
H.out.tool_headers = {}
for _, text in ipairs(H.out.renders) do
  for line in vim.gsplit(text, '\n', { plain = true }) do
    if line:match('read') and line:match('%((%a+)%)$') and H.out.tool_headers[#H.out.tool_headers] ~= line then
      table.insert(H.out.tool_headers, line)
    end
  end
end

-- The tool output is folded in the chat window; the header line stays visible.
local chat_win = require('opencode.chat').windows()[1]
vim.api.nvim_win_call(chat_win, function()
  for i, line in ipairs(H.chat_lines()) do
    if line:match('^✓ read') then
      H.out.header_fold = { level = vim.fn.foldlevel(i), closed = vim.fn.foldclosed(i), next_closed = vim.fn.foldclosed(i + 1) }
    end
  end
end)

-- A ranged ask from the source buffer.
vim.api.nvim_set_current_win(vim.fn.win_findbuf(source_buf)[1])
vim.cmd('1,1OpenCode ask explain this line')
H.wait_run(2, 'the ranged run')
H.out.final2 = H.chat_lines()
H.out.session_id = require('opencode.state').session_id
H.finish()
