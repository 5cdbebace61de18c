-- A real editor session against `mcpc lsp`: Neovim's built-in client opens
-- a two-file unit, applies a code action, types and completes, jumps to a
-- definition in the other file, renames across files and formats. Any
-- failed check ends Neovim with a non-zero exit status.
local dir = os.getenv("MCPC_DIR")
local bin = os.getenv("MCPC_BIN")
local TIMEOUT = 10000

local function check(cond, what)
  if not cond then error("check failed: " .. what .. "\n" .. debug.traceback(), 2) end
end

local function request(buf, method, params)
  local answers, err = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT)
  check(answers ~= nil, method .. ": " .. tostring(err))
  for _, a in pairs(answers) do
    check(a.err == nil, method .. ": " .. vim.inspect(a.err))
    return a.result
  end
end

local function position(buf, line, col)
  return {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = col },
  }
end

local function lines(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
end

local function main()
  vim.cmd("edit " .. dir .. "/b.mcpc")
  local b = vim.api.nvim_get_current_buf()
  local client = vim.lsp.start_client({ name = "mcpc", cmd = { bin, "lsp" }, root_dir = dir })
  check(client ~= nil, "the client started")
  vim.lsp.buf_attach_client(b, client)
  check(vim.wait(TIMEOUT, function() return vim.lsp.get_client_by_id(client).initialized end), "initialized")

  -- Cross-file diagnostics: the workspace names a plugin of a.mcpc, misspelt.
  check(vim.wait(TIMEOUT, function() return #vim.diagnostic.get(b) == 1 end), "one diagnostic")
  local d = vim.diagnostic.get(b)[1]
  check(d.code == "unknown-plugin", "unknown-plugin, got " .. tostring(d.code))

  -- The did-you-mean code action.
  local actions = request(b, "textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(b) },
    range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = {} },
  })
  check(#actions == 1 and actions[1].title == "Change to `acme-tools`", vim.inspect(actions))
  vim.lsp.util.apply_workspace_edit(actions[1].edit, "utf-16")
  check(lines(b):find('plugins = %["acme%-tools"%]') ~= nil, "fixed: " .. lines(b))
  check(vim.wait(TIMEOUT, function() return #vim.diagnostic.get(b) == 0 end), "the diagnostic went")

  -- Typing a policy and completing a value.
  local n = vim.api.nvim_buf_line_count(b)
  vim.api.nvim_buf_set_lines(b, n, n, false, { 'policy "org" {', "  allow_transports = [" })
  local items = request(b, "textDocument/completion", position(b, n + 1, 22))
  local labels = {}
  for _, item in ipairs(items.items or items) do labels[#labels + 1] = item.label end
  check(table.concat(labels, ",") == "stdio,http,sse", "completion: " .. table.concat(labels, ","))
  items = request(b, "textDocument/completion", position(b, n + 1, 2))
  labels = {}
  for _, item in ipairs(items.items or items) do labels[#labels + 1] = item.label end
  check(vim.tbl_contains(labels, "allow_hosts") and vim.tbl_contains(labels, "lints"), "keys: " .. table.concat(labels, ","))
  vim.api.nvim_buf_set_lines(b, n + 1, n + 2, false, { '  allow_transports = ["stdio"]', "}" })

  -- Hover on an attribute: the language reference.
  local hover = request(b, "textDocument/hover", position(b, 1, 3))
  check(hover and hover.contents.value:find("target name") ~= nil, "hover: " .. vim.inspect(hover))

  -- Go to the plugin's definition, in the other file.
  local defs = request(b, "textDocument/definition", position(b, 2, 15))
  check(#defs == 1 and defs[1].uri:sub(-7) == "/a.mcpc" and defs[1].range.start.line == 0, vim.inspect(defs))

  -- References and the outline.
  local refs = request(b, "textDocument/references", vim.tbl_extend("force", position(b, 2, 15), { context = { includeDeclaration = true } }))
  check(#refs == 2, "references: " .. vim.inspect(refs))
  local symbols = request(b, "textDocument/documentSymbol", { textDocument = { uri = vim.uri_from_bufnr(b) } })
  check(#symbols == 2 and symbols[1].name == "dev" and symbols[2].name == "org", vim.inspect(symbols))

  -- Rename across both files.
  local edit = request(b, "textDocument/rename", vim.tbl_extend("force", position(b, 2, 15), { newName = "acme-kit" }))
  vim.lsp.util.apply_workspace_edit(edit, "utf-16")
  check(lines(b):find('"acme%-kit"') ~= nil, "renamed in b: " .. lines(b))
  local a = vim.fn.bufnr(dir .. "/a.mcpc")
  check(a ~= -1 and lines(a):find('plugin "acme%-kit"') ~= nil, "renamed in a")
  vim.lsp.buf_attach_client(a, client)
  vim.wait(200)
  check(#vim.diagnostic.get(b) == 0, "no diagnostic after the rename: " .. vim.inspect(vim.diagnostic.get(b)))

  -- Format.
  vim.api.nvim_buf_set_lines(b, 1, 2, false, { "runtime    =   codex" })
  local edits = request(b, "textDocument/formatting", { textDocument = { uri = vim.uri_from_bufnr(b) }, options = { tabSize = 2, insertSpaces = true } })
  vim.lsp.util.apply_text_edits(edits, b, "utf-16")
  check(vim.api.nvim_buf_get_lines(b, 1, 2, false)[1] == "  runtime = codex", "formatted: " .. lines(b))
end

local ok, err = pcall(main)
if ok then
  io.stdout:write("nvim session: ok\n")
  vim.cmd("qall!")
else
  io.stderr:write(tostring(err) .. "\n")
  vim.cmd("cquit 1")
end
