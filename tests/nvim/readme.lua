-- Run after the README's Neovim line has opened a `.mcpc` file: its client
-- must attach and publish the unit's diagnostic for the open buffer.
local ok = vim.wait(10000, function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.code == "unknown-plugin" then return true end
  end
end)
if ok and #vim.lsp.buf_get_clients(0) == 1 then
  io.stdout:write("readme line: ok\n")
  vim.cmd("qall!")
else
  io.stderr:write("no client or diagnostic: " .. vim.inspect(vim.diagnostic.get(0)) .. "\n")
  vim.cmd("cquit 1")
end
