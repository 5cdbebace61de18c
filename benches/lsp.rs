//! Benchmark: the language server's latency in process (`mcpc::cli::lsp::
//! Session`, the server's own handlers without stdio) on a 5,000-line unit
//! of five files — diagnostics after one keystroke (incremental change,
//! whole-unit compile, publish) and completion. The unit is free of
//! front-end errors (every server's name and launch line is its own), so
//! every target's backend runs, as it does while a user edits a working
//! unit; the gaps they report (tool deny-lists, timeouts) are published
//! too. `cargo bench --bench lsp`;
//! prints a table, asserts nothing. Targets: ≤ 20 ms and ≤ 10 ms.

use mcpc::cli::lsp::Session;
use serde_json::json;
use std::time::{Duration, Instant};

fn file(n: usize, lines: usize) -> String {
    let mut out = format!("plugin \"gen-{n}\" {{\n  version = \"1.0.{n}\"\n");
    let mut i = 0;
    while out.lines().count() < lines - 1 {
        out.push_str(&format!(
            "  server \"f{n}-s{i}\" {{\n    command = \"npx\"\n    args = [\"-y\", \"@acme/f{n}-s{i}@1.0.{i}\"]\n    env {{ TOKEN_{i} = secret.TOKEN_{i} }}\n    tools {{ deny = [\"rm\"] }}\n    tool_timeout = 30s\n  }}\n"
        ));
        i += 1;
    }
    out.push_str("}\n");
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let mut s = Session::default();
    s.request("initialize", json!({"capabilities": {}}));
    let mut lines = 0;
    for n in 0..5 {
        let text = file(n, 1_000);
        lines += text.lines().count();
        s.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": format!("file:///bench/f{n}.mcpc"), "languageId": "mcpc", "version": 1, "text": text}}),
        );
    }
    let uri = "file:///bench/f2.mcpc";
    let runs = 30;
    let mut keystroke = Vec::new();
    for v in 0..runs {
        // One character typed into the description-less server's command.
        let start = Instant::now();
        let sent = s.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": v + 2}, "contentChanges": [
                {"range": {"start": {"line": 3, "character": 15}, "end": {"line": 3, "character": 15}}, "text": "x"}
            ]}),
        );
        keystroke.push(start.elapsed());
        assert!(!sent.is_empty());
    }
    let mut completion = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let items = s.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": {"line": 4, "character": 4}}),
        );
        completion.push(start.elapsed());
        assert!(items.as_array().is_some_and(|a| !a.is_empty()), "{items}");
    }
    println!("unit: {lines} lines in 5 files; median of {runs}");
    println!("{:<40} {:>10}", "step", "ms");
    println!(
        "{:<40} {:>10.2}",
        "diagnostics after a keystroke",
        median(keystroke).as_secs_f64() * 1e3
    );
    println!(
        "{:<40} {:>10.2}",
        "completion",
        median(completion).as_secs_f64() * 1e3
    );
}
