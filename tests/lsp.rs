//! `mcpc lsp` over its real protocol: diagnostics for the whole unit (names
//! are global across files), edits, formatting, hover.

use serde_json::{Value, json};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

fn send(stdin: &mut ChildStdin, message: Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

fn receive(out: &mut BufReader<ChildStdout>) -> Value {
    let mut length = 0;
    loop {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    out.read_exact(&mut body).unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// Reads until the diagnostics for `uri` arrive.
fn diagnostics_for(out: &mut BufReader<ChildStdout>, uri: &str) -> Vec<Value> {
    loop {
        let m = receive(out);
        if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
    }
}

fn response(out: &mut BufReader<ChildStdout>, id: u64) -> Value {
    loop {
        let m = receive(out);
        if m["id"] == id {
            return m["result"].clone();
        }
    }
}

#[test]
fn diagnostics_formatting_and_hover() {
    let dir = std::env::temp_dir().join(format!("mcpc-lsp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let dir = fs::canonicalize(&dir).unwrap();
    fs::write(dir.join("a.mcpc"), "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"docs\" { url = \"https://docs.acme.dev/mcp\" }\n}\n").unwrap();
    let b_path = dir.join("b.mcpc");
    fs::write(&b_path, "").unwrap();
    let root = format!("file://{}", dir.display());
    let b = format!("{root}/b.mcpc");

    let mut child = Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());

    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"rootUri": root, "capabilities": {}}}),
    );
    let caps = response(&mut out, 1);
    assert_eq!(caps["capabilities"]["documentFormattingProvider"], true);

    // A workspace naming a plugin of another file, with one typo.
    let text =
        "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tools\", \"acme-tols\"]\n}\n";
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": b, "languageId": "mcpc", "version": 1, "text": text}}}),
    );
    let diags = diagnostics_for(&mut out, &b);
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
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": b}, "position": {"line": 2, "character": 30}}}),
    );
    let hover = response(&mut out, 2);
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("# unknown-plugin")
    );

    // Fixed in the editor, unsaved: the diagnostic goes.
    let fixed = "workspace \"dev\" {\nruntime = codex\n  plugins = [\"acme-tools\"]\n}\n";
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": b, "version": 2}, "contentChanges": [{"text": fixed}]}}),
    );
    assert!(diagnostics_for(&mut out, &b).is_empty());

    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/formatting", "params": {"textDocument": {"uri": b}, "options": {"tabSize": 2, "insertSpaces": true}}}),
    );
    let edits = response(&mut out, 3);
    assert_eq!(
        edits[0]["newText"],
        "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tools\"]\n}\n"
    );

    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}),
    );
    response(&mut out, 4);
    send(&mut stdin, json!({"jsonrpc": "2.0", "method": "exit"}));
    assert!(child.wait().unwrap().success());
    assert_eq!(
        fs::read_to_string(&b_path).unwrap(),
        "",
        "the language server wrote a file"
    );
    let _ = fs::remove_dir_all(&dir);
}
