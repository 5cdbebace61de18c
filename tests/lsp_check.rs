//! The language server reports what `mcpc check` reports: for every golden
//! case, every example and a multi-file unit made here, the diagnostics the
//! server (in process, `mcpc::cli::lsp::Session`) publishes after it starts
//! on the directory equal those of `mcpc check DIR --message-format json`
//! (the real binary): the same codes, severities, places, messages, help
//! and labels. The server builds its unit from cached per-file parses and
//! runs the backends only for what they report, so this is what keeps it
//! honest.

use mcpc::cli::lsp::Session;
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One diagnostic as both sides can say it: file, 1-based line and column
/// (in characters) of start and end, severity, code, message and help, and
/// the labels (file, start, end, message).
type Row = (String, [u64; 4], String, String, String, Vec<String>);

fn cli(dir: &Path) -> Vec<Row> {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args(["check", ".", "--message-format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let mut rows: Vec<Row> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let d: Value = serde_json::from_str(l).unwrap();
            let at = |v: &Value| {
                [
                    v["line"].as_u64().unwrap(),
                    v["column"].as_u64().unwrap(),
                    v["end_line"].as_u64().unwrap(),
                    v["end_column"].as_u64().unwrap(),
                ]
            };
            let file = |v: &Value| {
                v["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_owned()
            };
            let mut message = d["message"].as_str().unwrap().to_owned();
            if let Some(help) = d["help"].as_str() {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let labels = d["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| format!("{} {:?} {}", file(l), at(l), l["message"].as_str().unwrap()))
                .collect();
            (
                file(&d),
                at(&d),
                d["severity"].as_str().unwrap().to_owned(),
                d["code"].as_str().unwrap().to_owned(),
                message,
                labels,
            )
        })
        .collect();
    rows.sort();
    rows
}

/// An editor position (0-based line, UTF-16 column) as 1-based line and
/// character column of `text`.
fn position(text: &str, at: &Value) -> (u64, u64) {
    let line = at["line"].as_u64().unwrap() as usize;
    let units = at["character"].as_u64().unwrap() as usize;
    let text = text.split('\n').nth(line).unwrap_or("");
    let (mut seen, mut chars) = (0, 0);
    for c in text.chars() {
        if seen >= units {
            break;
        }
        seen += c.len_utf16();
        chars += 1;
    }
    (line as u64 + 1, chars + 1)
}

fn lsp(dir: &Path) -> Vec<Row> {
    let root = format!("file://{}", dir.display());
    let mut s = Session::default();
    s.request("initialize", json!({"rootUri": root, "capabilities": {}}));
    let sent = s.notify("initialized", json!({}));
    rows(dir, &sent)
}

/// The rows of the diagnostics `sent` publishes for files of `dir`.
fn rows(dir: &Path, sent: &[Value]) -> Vec<Row> {
    let root = format!("file://{}", dir.display());
    let relative = |uri: &str| {
        uri.strip_prefix(&format!("{root}/"))
            .unwrap_or_else(|| panic!("{uri} is not under {root}"))
            .to_owned()
    };
    let range = |file: &str, r: &Value| {
        let text = fs::read_to_string(dir.join(file)).unwrap();
        let (sl, sc) = position(&text, &r["start"]);
        let (el, ec) = position(&text, &r["end"]);
        [sl, sc, el, ec]
    };
    let mut rows = Vec::new();
    for m in sent
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
    {
        let file = relative(m["params"]["uri"].as_str().unwrap());
        for d in m["params"]["diagnostics"].as_array().unwrap() {
            let severity = match d["severity"].as_u64() {
                Some(1) => "error",
                Some(2) => "warning",
                other => panic!("severity {other:?}"),
            };
            let labels = d["relatedInformation"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    let f = relative(l["location"]["uri"].as_str().unwrap());
                    let at = range(&f, &l["location"]["range"]);
                    format!("{f} {at:?} {}", l["message"].as_str().unwrap())
                })
                .collect();
            rows.push((
                file.clone(),
                range(&file, &d["range"]),
                severity.to_owned(),
                d["code"].as_str().unwrap().to_owned(),
                d["message"].as_str().unwrap().to_owned(),
                labels,
            ));
        }
    }
    rows.sort();
    rows
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = Vec::new();
    for group in ["tests/golden/ok", "tests/golden/err", "examples"] {
        for entry in fs::read_dir(root.join(group)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(fs::canonicalize(path).unwrap());
            }
        }
    }
    dirs.sort();
    dirs
}

#[test]
fn the_servers_diagnostics_are_mcpc_checks() {
    let mut compared = 0;
    for dir in cases() {
        let expected = cli(&dir);
        assert_eq!(lsp(&dir), expected, "{}", dir.display());
        compared += expected.len();
    }
    // The comparison covers real diagnostics, not only empty lists.
    assert!(compared > 50, "only {compared} diagnostics compared");
}

/// A unit of `files` (path, text) in a directory of its own.
fn unit(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcpc-lsp-check-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("sub")).unwrap();
    let dir = fs::canonicalize(&dir).unwrap();
    for (path, text) in files {
        fs::write(dir.join(path), text).unwrap();
    }
    dir
}

fn codes(rows: &[Row]) -> Vec<&str> {
    rows.iter().map(|r| r.3.as_str()).collect()
}

#[test]
fn multi_file_units_match_too() {
    // Front-end errors: names across files (a duplicate, an unknown plugin
    // with its did-you-mean), and a file that does not parse.
    let dir = unit(
        "front",
        &[
            (
                "a.mcpc",
                "plugin \"acme\" {\n  version = \"1.0.0\"\n  server \"docs\" { url = \"https://docs.acme.dev/mcp\" }\n}\n",
            ),
            (
                "sub/b.mcpc",
                "plugin \"acme\" {\n  version = \"1.0.1\"\n}\nworkspace \"dev\" {\n  plugins = [\"acme\", \"acmee\"]\n}\n",
            ),
            ("sub/c.mcpc", "policy \"p\" {\n  lints = {\n"),
        ],
    );
    let expected = cli(&dir);
    for code in ["duplicate-plugin", "unknown-plugin", "syntax-error"] {
        assert!(
            codes(&expected).contains(&code),
            "{code} not in {expected:?}"
        );
    }
    assert_eq!(lsp(&dir), expected);
    let _ = fs::remove_dir_all(&dir);

    // No front-end error, so every backend runs: what targets cannot
    // express (a cwd, a tool deny-list, a timeout), a literal secret (a
    // lint), non-ASCII text before the spans, a workspace across files.
    let dir = unit(
        "backends",
        &[
            (
                "a.mcpc",
                "plugin \"acme\" {\n  version = \"1.0.0\"\n  description = \"Ünïcode — tools 😀\"\n  server \"docs\" {\n    description = \"😀 docs\"\n    command = \"npx\"\n    args = [\"-y\", \"@acme/docs@1.2.3\"]\n    cwd = \"/srv\"\n    tools { deny = [\"rm\"] }\n    tool_timeout = 30s\n    env { API_KEY = \"sk-live-0123456789abcdef0123\" }\n  }\n}\n",
            ),
            (
                "sub/b.mcpc",
                "plugin \"extra\" {\n  version = \"1.0.1\"\n  server \"web\" { url = \"https://web.acme.dev/mcp\" }\n}\nworkspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme\", \"extra\"]\n}\n",
            ),
        ],
    );
    let expected = cli(&dir);
    for code in ["unsupported-feature", "plaintext-secret"] {
        assert!(
            codes(&expected).contains(&code),
            "{code} not in {expected:?}"
        );
    }
    assert_eq!(lsp(&dir), expected);
    let _ = fs::remove_dir_all(&dir);
}

/// The URIs a batch of messages publishes diagnostics for, with how many.
fn published(sent: &[Value]) -> Vec<(String, usize)> {
    sent.iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .map(|m| {
            (
                m["params"]["uri"].as_str().unwrap().to_owned(),
                m["params"]["diagnostics"].as_array().unwrap().len(),
            )
        })
        .collect()
}

#[test]
fn only_the_touched_document_and_changed_diagnostics_are_sent() {
    let mut s = Session::default();
    s.request("initialize", json!({"capabilities": {}}));
    let (a, b) = ("file:///unit/a.mcpc", "file:///unit/b.mcpc");
    let open = |uri: &str, text: &str| json!({"textDocument": {"uri": uri, "languageId": "mcpc", "version": 1, "text": text}});
    let sent = s.notify(
        "textDocument/didOpen",
        open(
            a,
            "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"x\"]\n}\n",
        ),
    );
    assert_eq!(published(&sent), [(a.to_owned(), 1)]);
    // Opening b leaves a's diagnostics as they were: not sent again.
    let sent = s.notify("textDocument/didOpen", open(b, "\n"));
    assert_eq!(published(&sent), [(b.to_owned(), 0)]);
    // Typing in b sends b; declaring the plugin a names clears a's.
    let edit = |v: i32, text: &str| json!({"textDocument": {"uri": b, "version": v}, "contentChanges": [{"text": text}]});
    let sent = s.notify("textDocument/didChange", edit(2, "// x\n"));
    assert_eq!(published(&sent), [(b.to_owned(), 0)]);
    let plugin = "plugin \"x\" {\n  version = \"1.0.0\"\n  server \"s\" { url = \"https://x.dev/mcp\" }\n}\n";
    let sent = s.notify("textDocument/didChange", edit(3, plugin));
    let uris: Vec<_> = published(&sent).into_iter().map(|(u, _)| u).collect();
    assert_eq!(uris, [a, b]);
    assert_eq!(published(&sent)[0].1, 0);
    // Closing a clears nothing more (it had none); b is not re-sent.
    let sent = s.notify("textDocument/didClose", json!({"textDocument": {"uri": a}}));
    assert_eq!(published(&sent), [(a.to_owned(), 0)]);
}

/// What the editor shows: the diagnostics last published per URI.
fn show(shown: &mut std::collections::BTreeMap<String, Value>, sent: Vec<Value>) {
    for m in sent {
        if m["method"] == "textDocument/publishDiagnostics" {
            shown.insert(m["params"]["uri"].as_str().unwrap().to_owned(), m);
        }
    }
}

/// Edits across keystrokes, each followed by a fresh `mcpc check` of the
/// same texts: the server keeps each file's backend reports as of its
/// text and runs the backends again only for the files that changed, so
/// what it shows must stay what a full check reports after each change —
/// gaps that move, a server renamed, another file's policy and `target`
/// blocks, a front-end error that stops the backends and goes away, a
/// file that does not parse, a file added.
#[test]
fn edits_across_keystrokes_match_a_fresh_check() {
    let a0 = "plugin \"acme\" {\n  version = \"1.0.0\"\n  server \"docs\" {\n    command = \"npx\"\n    args = [\"-y\", \"@acme/docs@1.2.3\"]\n    cwd = \"/srv\"\n    tool_timeout = 30s\n  }\n}\n";
    let b0 = "plugin \"extra\" {\n  version = \"1.0.1\"\n  server \"web\" {\n    url = \"https://web.acme.dev/mcp\"\n    tools { deny = [\"rm\"] }\n  }\n}\n";
    let dir = unit("keystrokes", &[("a.mcpc", a0), ("sub/b.mcpc", b0)]);
    let root = format!("file://{}", dir.display());
    let mut s = Session::default();
    s.request("initialize", json!({"rootUri": root, "capabilities": {}}));
    let mut shown = std::collections::BTreeMap::new();
    show(&mut shown, s.notify("initialized", json!({})));
    let mut versions = std::collections::BTreeMap::new();
    for (file, text) in [("a.mcpc", a0), ("sub/b.mcpc", b0)] {
        let uri = format!("{root}/{file}");
        versions.insert(file, 1);
        show(
            &mut shown,
            s.notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "mcpc", "version": 1, "text": text}}),
            ),
        );
    }
    let deny = a0.replace(
        "    tool_timeout",
        "    tools { deny = [\"rm\"] }\n    tool_timeout",
    );
    let steps: Vec<(&str, String)> = vec![
        // Gaps move down a line in a, and one more appears.
        ("a.mcpc", deny.clone()),
        // b's policy makes every loss an error, a's included.
        (
            "sub/b.mcpc",
            format!("{b0}policy \"org\" {{\n  lints {{ lossy-lowering = deny }}\n}}\n"),
        ),
        // a accepts its losses for two runtimes.
        (
            "a.mcpc",
            deny.replace(
                "  server \"docs\"",
                "  target claude-code {\n    lints { lossy-lowering = allow }\n  }\n  target copilot {\n    lints { lossy-lowering = warn }\n  }\n  server \"docs\"",
            ),
        ),
        // Renamed to b's server name: a collision on every target.
        ("a.mcpc", deny.replace("\"docs\"", "\"web\"")),
        // b takes a's plugin name: a front-end error, no backend runs.
        ("sub/b.mcpc", b0.replace("extra", "acme")),
        // Back: the backends run again, a's reports from before.
        ("sub/b.mcpc", b0.to_owned()),
        // a mid-keystroke does not parse, then does again.
        ("a.mcpc", deny.replace("  }\n}\n", "  \n")),
        ("a.mcpc", deny.replace("30s", "30ms")),
        // A workspace in b naming both, with prompted secrets in a.
        (
            "sub/b.mcpc",
            format!("{b0}workspace \"dev\" {{\n  runtime = codex\n  plugins = [\"acme\", \"extra\"]\n}}\n"),
        ),
        (
            "a.mcpc",
            deny.replace(
                "  server \"docs\"",
                "  target cursor {\n    secrets = input\n  }\n  server \"docs\"",
            )
            .replace("    cwd", "    env { TOKEN = secret.TOKEN }\n    cwd"),
        ),
    ];
    let mut compared = 0;
    for (step, (file, text)) in steps.iter().enumerate() {
        fs::write(dir.join(file), text).unwrap();
        let version = versions.get_mut(file).unwrap();
        *version += 1;
        let uri = format!("{root}/{file}");
        show(
            &mut shown,
            s.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": *version}, "contentChanges": [{"text": text}]}),
            ),
        );
        let expected = cli(&dir);
        let now: Vec<Value> = shown.values().cloned().collect();
        assert_eq!(
            rows(&dir, &now),
            expected,
            "after step {step}: {file}\n{text}"
        );
        compared += expected.len();
    }
    // A file added on disk (not open) joins the unit.
    let c = "plugin \"third\" {\n  version = \"1.0.0\"\n  server \"t\" {\n    command = \"t-mcp\"\n    cwd = \"/t\"\n  }\n}\n";
    fs::write(dir.join("c.mcpc"), c).unwrap();
    show(
        &mut shown,
        s.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": format!("{root}/c.mcpc"), "type": 1}]}),
        ),
    );
    let expected = cli(&dir);
    let now: Vec<Value> = shown.values().cloned().collect();
    assert_eq!(rows(&dir, &now), expected, "after adding c.mcpc");
    assert!(codes(&expected).contains(&"unsupported-feature"));
    compared += expected.len();
    assert!(compared > 100, "only {compared} diagnostics compared");
    let _ = fs::remove_dir_all(&dir);
}

/// A literal secret's range is counted on the text as the editor has it,
/// not on the masked text the compiler reports against (whose stars stand
/// for bytes): with non-ASCII characters in the secret, its end column
/// is the closing quote's.
#[test]
fn a_non_ascii_secrets_range_ends_at_its_closing_quote() {
    let line = "    env { API_KEY = \"sk-live-ééé0123456789abcdef0123\" }";
    let text = format!(
        "plugin \"acme\" {{\n  version = \"1.0.0\"\n  server \"docs\" {{\n    command = \"npx\"\n{line}\n  }}\n}}\n"
    );
    let dir = unit("secret", &[("a.mcpc", &text)]);
    let secret = lsp(&dir)
        .into_iter()
        .find(|r| r.3 == "plaintext-secret")
        .expect("a plaintext-secret diagnostic");
    let open = line.find('"').unwrap();
    let chars = |bytes: usize| line[..bytes].chars().count() as u64;
    // 1-based columns: from the opening quote to just past the closing one.
    assert_eq!(
        secret.1,
        [5, chars(open) + 1, 5, chars(line.rfind('"').unwrap()) + 2]
    );
    let _ = fs::remove_dir_all(&dir);
}
