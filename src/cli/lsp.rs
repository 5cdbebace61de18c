//! `mcpc lsp`: a language server on stdio (JSON-RPC with `Content-Length`
//! framing). Diagnostics are published for the whole compilation unit — the
//! `.mcpc` files under the workspace root, with open documents' unsaved text
//! in place of the files — because names are global across files. It also
//! formats documents (`mcpc fmt`) and shows `mcpc explain` on hover over a
//! diagnostic. It never writes a file.

use crate::diag::{LintLevels, Severity};
use crate::source::{FileId, SourceFile, SourceMap};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

struct Server {
    root: Option<PathBuf>,
    /// Open documents by URI: their current text.
    open: BTreeMap<String, String>,
    /// URIs that got diagnostics last time, to clear them.
    published: Vec<String>,
    /// The diagnostics last published, for hover.
    last: BTreeMap<String, Vec<Published>>,
}

/// Where a published diagnostic is (0-based line, UTF-16 column) and its code.
struct Published {
    start: (usize, usize),
    end: (usize, usize),
    code: &'static str,
}

pub(crate) fn run() -> Result<u8, super::UsageError> {
    let stdin = std::io::stdin();
    let mut input = BufReader::new(stdin.lock());
    let mut out = std::io::stdout();
    let mut server = Server {
        root: None,
        open: BTreeMap::new(),
        published: Vec::new(),
        last: BTreeMap::new(),
    };
    while let Some(message) = read_message(&mut input) {
        let method = message
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let id = message.get("id").cloned();
        let params = message.get("params").cloned().unwrap_or(Value::Null);
        let result = match method.as_str() {
            "initialize" => {
                server.root = params
                    .get("rootUri")
                    .and_then(Value::as_str)
                    .and_then(uri_to_path)
                    .or_else(|| {
                        params
                            .get("rootPath")
                            .and_then(Value::as_str)
                            .map(PathBuf::from)
                    });
                Some(json!({
                    "capabilities": {
                        "textDocumentSync": {"openClose": true, "change": 1, "save": true},
                        "documentFormattingProvider": true,
                        "hoverProvider": true,
                    },
                    "serverInfo": {"name": "mcpc", "version": env!("CARGO_PKG_VERSION")},
                }))
            }
            "shutdown" => Some(Value::Null),
            "exit" => return Ok(super::OK),
            "textDocument/didOpen" => {
                let doc = &params["textDocument"];
                if let (Some(uri), Some(text)) = (doc["uri"].as_str(), doc["text"].as_str()) {
                    server.open.insert(uri.to_owned(), text.to_owned());
                }
                server.publish(&mut out);
                None
            }
            "textDocument/didChange" => {
                let uri = params["textDocument"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if let Some(text) = params["contentChanges"]
                    .as_array()
                    .and_then(|c| c.last())
                    .and_then(|c| c["text"].as_str())
                {
                    server.open.insert(uri, text.to_owned());
                }
                server.publish(&mut out);
                None
            }
            "textDocument/didSave" => {
                server.publish(&mut out);
                None
            }
            "textDocument/didClose" => {
                if let Some(uri) = params["textDocument"]["uri"].as_str() {
                    server.open.remove(uri);
                }
                server.publish(&mut out);
                None
            }
            "textDocument/formatting" => Some(server.formatting(&params)),
            "textDocument/hover" => Some(server.hover(&params)),
            _ => id.as_ref().map(|_| Value::Null),
        };
        if let Some(id) = id {
            let response =
                json!({"jsonrpc": "2.0", "id": id, "result": result.unwrap_or(Value::Null)});
            write_message(&mut out, &response);
        }
    }
    Ok(super::OK)
}

impl Server {
    /// Compiles the unit and publishes diagnostics for every file in it.
    fn publish(&mut self, out: &mut impl Write) {
        let mut sources = SourceMap::new();
        let mut uris = Vec::new();
        let mut on_disk = Vec::new();
        if let Some(root) = &self.root {
            collect(root, &mut on_disk);
            on_disk.sort();
        }
        for path in on_disk {
            let uri = path_to_uri(&path);
            let text = match self.open.get(&uri) {
                Some(t) => t.clone(),
                None => std::fs::read_to_string(&path).unwrap_or_default(),
            };
            sources.add(SourceFile::new(path.display().to_string(), text));
            uris.push(uri);
        }
        for (uri, text) in &self.open {
            if !uris.contains(uri) {
                sources.add(SourceFile::new(
                    uri_to_path(uri).map_or(uri.clone(), |p| p.display().to_string()),
                    text.clone(),
                ));
                uris.push(uri.clone());
            }
        }
        let (sources, diagnostics, _) = crate::compile(
            sources,
            LintLevels::default(),
            &crate::backends::Plan::default(),
        );
        let mut by_uri: BTreeMap<String, Vec<Value>> =
            uris.iter().map(|u| (u.clone(), Vec::new())).collect();
        self.last.clear();
        for d in &diagnostics {
            let file = d.primary.span.file;
            let src = sources.get(file);
            let (sl, sc) = src.line_utf16(d.primary.span.start as usize);
            let (el, ec) = src.line_utf16(d.primary.span.end as usize);
            let uri = uris[file.0 as usize].clone();
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let related: Vec<Value> = d
                .labels
                .iter()
                .map(|l| {
                    let s = sources.get(l.span.file);
                    let (a, b) = s.line_utf16(l.span.start as usize);
                    let (c, e) = s.line_utf16(l.span.end as usize);
                    json!({"location": {"uri": uris[l.span.file.0 as usize], "range": range(a, b, c, e)}, "message": l.message})
                })
                .collect();
            by_uri.entry(uri.clone()).or_default().push(json!({
                "range": range(sl, sc, el, ec),
                "severity": if d.severity == Severity::Error { 1 } else { 2 },
                "code": d.code.name(),
                "source": "mcpc",
                "message": message,
                "relatedInformation": related,
            }));
            self.last.entry(uri).or_default().push(Published {
                start: (sl, sc),
                end: (el, ec),
                code: d.code.name(),
            });
        }
        for uri in std::mem::take(&mut self.published) {
            by_uri.entry(uri).or_default();
        }
        for (uri, list) in by_uri {
            if !list.is_empty() {
                self.published.push(uri.clone());
            }
            write_message(
                out,
                &json!({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", "params": {"uri": uri, "diagnostics": list}}),
            );
        }
    }

    fn formatting(&self, params: &Value) -> Value {
        let uri = params["textDocument"]["uri"].as_str().unwrap_or_default();
        let text = match self.open.get(uri) {
            Some(t) => t.clone(),
            None => uri_to_path(uri)
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default(),
        };
        match crate::format::format(FileId(0), &text) {
            Ok(formatted) if formatted != text => {
                let end = SourceFile::new("", text.as_str()).line_utf16(text.len());
                json!([{"range": range(0, 0, end.0, end.1), "newText": formatted}])
            }
            _ => json!([]),
        }
    }

    /// The `mcpc explain` page of the diagnostic under the cursor.
    fn hover(&self, params: &Value) -> Value {
        let uri = params["textDocument"]["uri"].as_str().unwrap_or_default();
        let line = params["position"]["line"].as_u64().unwrap_or(0) as usize;
        let character = params["position"]["character"].as_u64().unwrap_or(0) as usize;
        let hit = self
            .last
            .get(uri)
            .into_iter()
            .flatten()
            .find(|p| (line, character) >= p.start && (line, character) <= p.end);
        match hit.and_then(|h| crate::diag::Code::from_name(h.code)) {
            Some(code) => json!({"contents": {"kind": "markdown", "value": code.explanation()}}),
            None => Value::Null,
        }
    }
}

fn range(sl: usize, sc: usize, el: usize, ec: usize) -> Value {
    json!({"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}})
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') || n == "target");
        if path.is_dir() && !hidden {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "mcpc") {
            out.push(path);
        }
    }
}

fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let path = uri.strip_prefix("file://")?;
    let mut bytes = Vec::new();
    let raw = path.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && i + 2 < raw.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&raw[i + 1..i + 3]).ok()?, 16)
        {
            bytes.push(b);
            i += 3;
            continue;
        }
        bytes.push(raw[i]);
        i += 1;
    }
    Some(PathBuf::from(String::from_utf8(bytes).ok()?))
}

fn path_to_uri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file://");
    for b in absolute.display().to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

fn read_message(input: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    input.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn write_message(out: &mut impl Write, message: &Value) {
    let body = message.to_string();
    let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = out.flush();
}
