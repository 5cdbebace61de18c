//! `mcpc lsp` over its real protocol: diagnostics for the whole unit (names
//! are global across files), incremental edits, formatting, hover; malformed
//! frames answered without ending the server; a workspace with symlink loops.

use serde_json::{Value, json};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// The server, and what it sends, read on a thread so that a hang fails the
/// test instead of blocking it.
struct Server {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            while let Some(m) = receive(&mut out) {
                if tx.send(m).is_err() {
                    return;
                }
            }
        });
        Server { child, stdin, rx }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn next(&mut self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the language server did not answer in 20 s")
    }

    /// Reads until the diagnostics for `uri` arrive.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }

    /// The whole response to request `id`.
    fn answer(&mut self, id: Value) -> Value {
        loop {
            let m = self.next();
            if m["id"] == id && m.get("method").is_none() {
                return m;
            }
        }
    }

    fn response(&mut self, id: u64) -> Value {
        self.answer(json!(id))["result"].clone()
    }

    fn initialize(&mut self, root: &str) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": root, "capabilities": {}}}));
        let caps = self.response(1);
        self.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        caps
    }

    fn shutdown(mut self) {
        self.send(json!({"jsonrpc": "2.0", "id": 999, "method": "shutdown"}));
        self.response(999);
        self.send(json!({"jsonrpc": "2.0", "method": "exit"}));
        assert!(self.child.wait().unwrap().success());
    }
}

fn receive(out: &mut BufReader<impl Read>) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    out.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).unwrap())
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mcpc-lsp-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::canonicalize(&dir).unwrap()
}

#[test]
fn diagnostics_formatting_and_hover() {
    let dir = scratch("unit");
    fs::write(dir.join("a.mcpc"), "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"docs\" { url = \"https://docs.acme.dev/mcp\" }\n}\n").unwrap();
    let b_path = dir.join("b.mcpc");
    fs::write(&b_path, "").unwrap();
    let root = format!("file://{}", dir.display());
    let b = format!("{root}/b.mcpc");

    let mut s = Server::start();
    let caps = s.initialize(&root);
    assert_eq!(caps["capabilities"]["documentFormattingProvider"], true);
    assert_eq!(caps["capabilities"]["textDocumentSync"]["change"], 2);

    // A workspace naming a plugin of another file, with one typo.
    let text =
        "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tools\", \"acme-tols\"]\n}\n";
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": b, "languageId": "mcpc", "version": 1, "text": text}}}),
    );
    let diags = s.diagnostics_for(&b);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "unknown-plugin");
    assert_eq!(diags[0]["severity"], 1);
    assert_eq!(
        diags[0]["range"],
        json!({"start": {"line": 2, "character": 27}, "end": {"line": 2, "character": 38}})
    );
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `acme-tools`?")
    );

    // Hover on it: the explain page.
    s.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": b}, "position": {"line": 2, "character": 30}}}),
    );
    let hover = s.response(2);
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("# unknown-plugin")
    );

    // Fixed in the editor, unsaved, by incremental edits: the typo goes,
    // then the indentation of line 1.
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": b, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 2, "character": 25}, "end": {"line": 2, "character": 38}}, "text": ""},
            {"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 2}}, "text": ""},
        ]}}),
    );
    assert!(s.diagnostics_for(&b).is_empty());

    s.send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/formatting", "params": {"textDocument": {"uri": b}, "options": {"tabSize": 2, "insertSpaces": true}}}),
    );
    let edits = s.response(3);
    assert_eq!(
        edits[0]["newText"],
        "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tools\"]\n}\n"
    );

    s.shutdown();
    assert_eq!(
        fs::read_to_string(&b_path).unwrap(),
        "",
        "the language server wrote a file"
    );
    let _ = fs::remove_dir_all(&dir);
}

/// Issue #15, item 12: every malformed frame is answered with `-32700` (or
/// `-32600` for JSON that is not a message) and the server goes on.
#[test]
fn malformed_frames_are_answered_and_the_server_goes_on() {
    let dir = scratch("frames");
    let root = format!("file://{}", dir.display());
    let mut s = Server::start();
    let ping = r#"{"jsonrpc":"2.0","method":"$/ping"}"#;
    let bad: Vec<String> = vec![
        "Content-Length: 9\r\n\r\n{not json".into(),
        // A lone surrogate is not a string.
        {
            let b = r#"{"jsonrpc":"2.0","id":7,"method":"\ud800"}"#;
            format!("Content-Length: {}\r\n\r\n{b}", b.len())
        },
        // Missing.
        format!("Content-Type: application/vscode-jsonrpc\r\n\r\n{ping}\r\n"),
        // Short: the rest of the body is garbage before the next frame.
        format!("Content-Length: 10\r\n\r\n{ping}"),
        // Too large to be believed (it used to abort the process).
        format!("Content-Length: 18446744073709551615\r\n\r\n{ping}\r\n"),
    ];
    for frame in &bad {
        s.raw(frame.as_bytes());
        let m = s.next();
        assert_eq!(m["error"]["code"], -32700, "{frame:?} → {m}");
        assert_eq!(m["id"], Value::Null);
    }
    s.send(json!("not a message"));
    assert_eq!(s.next()["error"]["code"], -32600);
    // Still serving.
    let caps = s.initialize(&root);
    assert_eq!(caps["capabilities"]["hoverProvider"], true);
    s.send(json!({"jsonrpc": "2.0", "id": 5, "method": "no/such"}));
    assert_eq!(s.answer(json!(5))["error"]["code"], -32601);
    s.shutdown();
    let _ = fs::remove_dir_all(&dir);
}

/// Issue #15, item 12: a workspace with symlink loops is walked once,
/// without following directory links; edits then answer at once, and the
/// unit follows the client's watched-file events.
#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang_and_watched_files_refresh() {
    let dir = scratch("loops");
    fs::create_dir_all(dir.join("a/b")).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("a/b/up")).unwrap();
    std::os::unix::fs::symlink(dir.join("a"), dir.join("a/b/side")).unwrap();
    std::os::unix::fs::symlink(dir.join("a/b/side"), dir.join("a/self")).unwrap();
    fs::create_dir_all(dir.join("node_modules/x")).unwrap();
    fs::write(
        dir.join("node_modules/x/p.mcpc"),
        "plugin \"acme-tools\" { version = \"1.0.0\" }\n",
    )
    .unwrap();
    let root = format!("file://{}", dir.display());
    let w = format!("{root}/w.mcpc");
    let mut s = Server::start();
    s.initialize(&root);
    let text = "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tools\"]\n}\n";
    s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": w, "languageId": "mcpc", "version": 1, "text": text}}}));
    // The plugin under node_modules is not part of the unit.
    let diags = s.diagnostics_for(&w);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "unknown-plugin");
    for version in 2..40 {
        s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": w, "version": version}, "contentChanges": [
            {"range": {"start": {"line": 3, "character": 1}, "end": {"line": 3, "character": 1}}, "text": " "},
        ]}}));
        assert_eq!(s.diagnostics_for(&w).len(), 1);
    }
    // The plugin is written to the workspace by another program.
    let p = dir.join("a/p.mcpc");
    fs::write(&p, "plugin \"acme-tools\" { version = \"1.0.0\" }\n").unwrap();
    s.send(json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {"changes": [
        {"uri": format!("{root}/a/p.mcpc"), "type": 1},
    ]}}));
    assert!(s.diagnostics_for(&w).is_empty());
    fs::remove_file(&p).unwrap();
    s.send(json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {"changes": [
        {"uri": format!("{root}/a/p.mcpc"), "type": 3},
    ]}}));
    assert_eq!(s.diagnostics_for(&w).len(), 1);
    s.shutdown();
    let _ = fs::remove_dir_all(&dir);
}

/// Navigation, outline, folding and fixes over the protocol (the Neovim test
/// drives the same through a real client).
#[test]
fn navigation_symbols_folding_and_fixes() {
    let dir = scratch("nav");
    fs::write(dir.join("a.mcpc"), "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"docs\" {\n    url = \"https://docs.acme.dev/mcp\"\n    headers { X-Key = secret.DOCS_KEY }\n  }\n  target codex {\n    server \"dcs\" { tool_timeout = 20s }\n  }\n}\n").unwrap();
    let root = format!("file://{}", dir.display());
    let a = format!("{root}/a.mcpc");
    let mut s = Server::start();
    s.initialize(&root);
    let text = fs::read_to_string(dir.join("a.mcpc")).unwrap();
    s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": a, "languageId": "mcpc", "version": 1, "text": text}}}));
    let diags = s.diagnostics_for(&a);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "unknown-server");
    // The fix writes the name inside the quotes.
    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": a}, "range": diags[0]["range"], "context": {"diagnostics": []}}}));
    let actions = s.response(2);
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        actions[0]["edit"]["changes"][&a],
        json!([{"range": {"start": {"line": 7, "character": 12}, "end": {"line": 7, "character": 15}}, "newText": "docs"}])
    );
    s.send(json!({"jsonrpc": "2.0", "id": 3, "method": "workspace/symbol", "params": {"query": "doc"}}));
    let names: Vec<Value> = s
        .response(3)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].clone())
        .collect();
    assert_eq!(names, [json!("docs"), json!("DOCS_KEY")]);
    s.send(json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/foldingRange", "params": {"textDocument": {"uri": a}}}));
    let folds: Vec<(u64, u64)> = s
        .response(4)
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(folds, [(0, 9), (2, 5), (6, 8)]);
    // Renaming a secret: a name that cannot follow `secret.` is refused.
    s.send(json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/rename", "params": {"textDocument": {"uri": a}, "position": {"line": 4, "character": 30}, "newName": "not-valid"}}));
    assert_eq!(s.answer(json!(5))["error"]["code"], -32602);
    s.send(json!({"jsonrpc": "2.0", "id": 6, "method": "textDocument/rename", "params": {"textDocument": {"uri": a}, "position": {"line": 4, "character": 30}, "newName": "DOCS_TOKEN"}}));
    let edit = s.response(6);
    assert_eq!(
        edit["changes"][&a][0]["range"]["start"],
        json!({"line": 4, "character": 29})
    );
    s.shutdown();
    let _ = fs::remove_dir_all(&dir);
}

/// Issue #15, item 5: a document nested 100,000 deep (lists, then blocks)
/// gets a `nesting-too-deep` diagnostic; formatting and hover on it answer,
/// and the server goes on.
#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let dir = scratch("deep");
    let root = format!("file://{}", dir.display());
    let uri = format!("{root}/deep.mcpc");
    let mut s = Server::start();
    s.initialize(&root);
    let lists = format!("plugin \"p\" {{ x = {} }}", "[".repeat(100_000));
    let blocks = "a {".repeat(100_000);
    for (version, text) in [(1, lists), (2, blocks)] {
        if version == 1 {
            s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "mcpc", "version": 1, "text": text}}}));
        } else {
            s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}}));
        }
        let diags = s.diagnostics_for(&uri);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0]["code"], "nesting-too-deep");
        let id = 10 + version;
        s.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/formatting", "params": {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}}));
        let answer = s.answer(json!(id));
        assert!(
            answer.get("result").is_some() || answer.get("error").is_some(),
            "{answer}"
        );
        s.send(json!({"jsonrpc": "2.0", "id": id + 100, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 400}}}));
        s.answer(json!(id + 100));
    }
    s.shutdown();
    let _ = fs::remove_dir_all(&dir);
}

/// Semantic tokens: a full answer carries a result id; a delta against it
/// after an edit is one edit that, applied to the old integers, gives what
/// a full request now answers; a stale id gets the full tokens again.
#[test]
fn semantic_token_deltas_rebuild_the_full_tokens() {
    let dir = scratch("tokens");
    let text = "plugin \"acme\" {\n  version = \"1.0.0\"\n  server \"a\" {\n    command = \"npx\"\n  }\n  server \"b\" { url = \"https://b.acme.dev/mcp\" }\n}\n";
    fs::write(dir.join("a.mcpc"), text).unwrap();
    let root = format!("file://{}", dir.display());
    let a = format!("{root}/a.mcpc");
    let mut s = Server::start();
    let caps = s.initialize(&root);
    assert_eq!(
        caps["capabilities"]["semanticTokensProvider"]["full"],
        json!({"delta": true})
    );
    s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": a, "languageId": "mcpc", "version": 1, "text": text}}}));
    s.send(json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/semanticTokens/full", "params": {"textDocument": {"uri": a}}}));
    let first = s.response(2);
    let ints = |v: &Value| -> Vec<u64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect()
    };
    let mut data = ints(&first["data"]);
    assert!(data.len() > 20 && data.len() % 5 == 0, "{data:?}");
    // An argument list typed into server "a": tokens change in the middle.
    s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": a, "version": 2}, "contentChanges": [{"range": {"start": {"line": 3, "character": 19}, "end": {"line": 3, "character": 19}}, "text": "\n    args = [\"-y\", \"@acme/a\"]"}]}}));
    s.send(json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/semanticTokens/full/delta", "params": {"textDocument": {"uri": a}, "previousResultId": first["resultId"]}}));
    let delta = s.response(3);
    assert_ne!(delta["resultId"], first["resultId"]);
    let edits = delta["edits"].as_array().unwrap();
    assert_eq!(edits.len(), 1, "{delta}");
    let (start, deleted) = (
        edits[0]["start"].as_u64().unwrap() as usize,
        edits[0]["deleteCount"].as_u64().unwrap() as usize,
    );
    assert!(
        start > 0 && start + deleted < data.len(),
        "not the whole array: {delta}"
    );
    data.splice(start..start + deleted, ints(&edits[0]["data"]));
    // A stale id: the full tokens, which the edited array equals.
    s.send(json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/semanticTokens/full/delta", "params": {"textDocument": {"uri": a}, "previousResultId": first["resultId"]}}));
    let full = s.response(4);
    assert!(full.get("edits").is_none(), "{full}");
    assert_eq!(data, ints(&full["data"]));
    // No change since the last answer: no edits.
    s.send(json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/semanticTokens/full/delta", "params": {"textDocument": {"uri": a}, "previousResultId": full["resultId"]}}));
    assert_eq!(s.response(5)["edits"], json!([]));
    s.shutdown();
    let _ = fs::remove_dir_all(&dir);
}

/// Registry references resolve against the workspace's `mcpc.lock`, as on
/// the command line: without it the editor says `lock-missing`, with it the
/// file is clean.
#[test]
fn registry_references_read_the_workspaces_lock() {
    use mcpc::registry::lock::{Lock, LockEntry, digest};
    let dir = scratch("lock");
    let source = "plugin \"search\" {\n  version = \"1.0.0\"\n  targets = [\"claude-code\", \"codex\"]\n  server \"brave\" {\n    registry {\n      name    = \"io.modelcontextprotocol/brave-search\"\n      version = \"1.0.2\"\n    }\n  }\n}\n";
    fs::write(dir.join("a.mcpc"), source).unwrap();
    let root = format!("file://{}", dir.display());
    let a = format!("{root}/a.mcpc");
    let mut s = Server::start();
    s.initialize(&root);
    s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": a, "languageId": "mcpc", "version": 1, "text": source}}}));
    let diags = s.diagnostics_for(&a);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "lock-missing");

    let server: Value = serde_json::from_str(
        &fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/registry/brave-search.server.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let lock = Lock::new(vec![LockEntry {
        name: "io.modelcontextprotocol/brave-search".into(),
        requested: "1.0.2".into(),
        version: "1.0.2".into(),
        registry: "https://registry.example.com".into(),
        sha256: digest(&server),
        server,
    }]);
    fs::write(dir.join("mcpc.lock"), lock.render()).unwrap();
    s.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": a, "version": 2}, "contentChanges": [{"text": source}]}}));
    // Publications for the first version may still be on their way: the
    // one for the lock comes after them (or the 20 s timeout fails).
    while !s.diagnostics_for(&a).is_empty() {}
    s.shutdown();
    let _ = fs::remove_dir_all(&dir);
}
