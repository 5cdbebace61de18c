-- A real editor session against `mcpc lsp`: Neovim's built-in client opens
-- a two-file unit, applies a code action, types and completes, jumps to a
-- definition in the other file, renames across files, applies the quick
-- fixes for an unpinned package, a literal secret and a runtime that cannot
-- express a server, reads semantic tokens and formats. Any failed check ends
-- Neovim with a non-zero exit status.
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

local function labels_of(items)
  local labels = {}
  for _, item in ipairs(items.items or items) do labels[#labels + 1] = item.label end
  return labels
end

local function diagnostic(buf, code, pattern)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == code and (pattern == nil or d.message:find(pattern) ~= nil) then return d end
  end
end

-- Applies the code action titled `title` (a Lua pattern) of the diagnostic.
local function fix(buf, d, title)
  local actions = request(buf, "textDocument/codeAction", {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
    context = { diagnostics = {} },
  })
  for _, a in ipairs(actions) do
    if a.title:find(title) ~= nil then
      vim.lsp.util.apply_workspace_edit(a.edit, "utf-16")
      return a.title
    end
  end
  check(false, "no action " .. title .. " in " .. vim.inspect(actions))
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
  local labels = labels_of(request(b, "textDocument/completion", position(b, n + 1, 22)))
  check(table.concat(labels, ",") == "stdio,http,sse", "completion: " .. table.concat(labels, ","))
  labels = labels_of(request(b, "textDocument/completion", position(b, n + 1, 2)))
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

  -- Quick fixes in a.mcpc: pin the package to its range's version, reference
  -- the literal secret, then build the SSE server without codex.
  check(vim.wait(TIMEOUT, function() return diagnostic(a, "unpinned-package") ~= nil end), "unpinned-package")
  check(fix(a, diagnostic(a, "unpinned-package"), "^Pin") == "Pin `@acme/files` to `2.1.0`", "pin title")
  check(lines(a):find('"@acme/files@2.1.0"', 1, true) ~= nil, "pinned: " .. lines(a))
  check(vim.wait(TIMEOUT, function() return diagnostic(a, "unpinned-package") == nil end), "pinned, no diagnostic")
  local secret = diagnostic(a, "plaintext-secret")
  check(secret ~= nil, "plaintext-secret: " .. vim.inspect(vim.diagnostic.get(a)))
  check(secret.message:find("ghp_0123") == nil, "the message does not show the secret")
  fix(a, secret, "secret%.FILES_TOKEN")
  check(lines(a):find("FILES_TOKEN = secret.FILES_TOKEN", 1, true) ~= nil and lines(a):find("ghp_", 1, true) == nil, "secret: " .. lines(a))
  -- Without front-end errors the backends run: codex cannot speak SSE.
  check(vim.wait(TIMEOUT, function() return diagnostic(a, "unsupported-feature", "^codex ") ~= nil end), "codex cannot express sse: " .. vim.inspect(vim.diagnostic.get(a)))
  fix(a, diagnostic(a, "unsupported-feature", "^codex "), "without codex")
  check(lines(a):find('server "docs" {\n    targets = %["claude%-code", "hermes"') ~= nil, "targets: " .. lines(a))
  check(vim.wait(TIMEOUT, function() return diagnostic(a, "unsupported-feature", "^codex ") == nil end), "codex left out")
  -- Completion of a secret already used, where a value is expected.
  local n = vim.api.nvim_buf_line_count(a)
  vim.api.nvim_buf_set_lines(a, n - 2, n - 2, false, { "    headers { X = secret." })
  labels = labels_of(request(a, "textDocument/completion", position(a, n - 2, 24)))
  check(table.concat(labels, ",") == "secret.FILES_TOKEN", "secret completion: " .. table.concat(labels, ","))
  vim.api.nvim_buf_set_lines(a, n - 2, n - 1, false, {})

  -- Semantic tokens (nvim 0.7 has no client for them: asked directly).
  local tokens = request(b, "textDocument/semanticTokens/full", { textDocument = { uri = vim.uri_from_bufnr(b) } })
  local legend = vim.lsp.get_client_by_id(client).server_capabilities.semanticTokensProvider.legend
  local data, decoded, line, col = tokens.data, {}, 0, 0
  check(#data % 5 == 0 and #data > 0, "token data: " .. vim.inspect(data))
  for i = 1, #data, 5 do
    if data[i] > 0 then col = 0 end
    line, col = line + data[i], col + data[i + 1]
    local text = vim.api.nvim_buf_get_lines(b, line, line + 1, false)[1]:sub(col + 1, col + data[i + 2])
    decoded[#decoded + 1] = legend.tokenTypes[data[i + 3] + 1] .. ":" .. text
  end
  local joined = table.concat(decoded, " ")
  check(joined:find('^keyword:workspace namespace:"dev" property:runtime operator:= enumMember:codex property:plugins operator:= string:"acme%-kit"') ~= nil, "tokens: " .. joined)

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
