//! Benchmark: the language server's latency in process (`mcpc::cli::lsp::
//! Session`, the server's own handlers without stdio) on a 5,000-line unit
//! of five files — diagnostics after one keystroke (incremental change,
//! whole-unit compile, publish, written as the server writes to stdio:
//! `Session::notify_wire`) and completion. The units are free of
//! front-end errors (every server's name and launch line is its own), so
//! every target's backend runs, as it does while a user edits a working
//! unit: one whose servers every target expresses, and one whose backends
//! report gaps on every server (about 17,000 diagnostics shown).
//! `cargo bench --bench lsp` (`MCPC_BENCH_RUNS=3` for fewer runs, as under
//! valgrind); prints a table, asserts nothing. Targets: ≤ 20 ms and ≤ 10 ms.

use mcpc::cli::lsp::Session;
use serde_json::json;
use std::time::{Duration, Instant};

/// One file of about `lines` lines: a plugin of servers that every target
/// expresses, or (`gaps`) whose secret, tool deny-list and timeout many
/// targets cannot, so their backends report errors and warnings on every
/// server.
fn file(n: usize, lines: usize, gaps: bool) -> String {
    let mut out = format!("plugin \"gen-{n}\" {{\n  version = \"1.0.{n}\"\n");
    let mut i = 0;
    let extra = if gaps {
        "    env { TOKEN = secret.TOKEN }\n    tools { deny = [\"rm\"] }\n    tool_timeout = 30s\n"
    } else {
        "    env { REGION = \"eu\" }\n    description = \"generated\"\n    enabled = true\n"
    };
    while out.lines().count() < lines - 1 {
        out.push_str(&format!(
            "  server \"f{n}-s{i}\" {{\n    command = \"npx\"\n    args = [\"-y\", \"@acme/f{n}-s{i}@1.0.{i}\"]\n{extra}  }}\n"
        ));
        i += 1;
    }
    out.push_str("}\n");
    out
}

/// The messages of `wire`, the server's framed output.
fn messages(mut wire: &[u8]) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        let head = wire
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let header = std::str::from_utf8(&wire[..head]).expect("an ASCII header");
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|n| n.parse().ok())
            .expect("a Content-Length header");
        let body = &wire[head + 4..head + 4 + length];
        out.push(serde_json::from_slice(body).expect("a JSON message"));
        wire = &wire[head + 4 + length..];
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The unit's size, its diagnostics after a keystroke, and the medians of
/// the keystroke and of completion.
fn run(gaps: bool, runs: i32) -> (usize, usize, Duration, Duration) {
    let mut s = Session::default();
    s.request("initialize", json!({"capabilities": {}}));
    let mut lines = 0;
    // What the editor shows: the diagnostics last published per file.
    let mut shown = std::collections::BTreeMap::new();
    let mut show = |sent: Vec<serde_json::Value>| {
        for m in sent {
            let list = m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
            shown.insert(m["params"]["uri"].to_string(), list);
        }
    };
    for n in 0..5 {
        let text = file(n, 1_000, gaps);
        lines += text.lines().count();
        show(s.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": format!("file:///bench/f{n}.mcpc"), "languageId": "mcpc", "version": 1, "text": text}}),
        ));
    }
    let uri = "file:///bench/f2.mcpc";
    let mut keystroke = Vec::new();
    for v in 0..runs {
        // One character typed into the first server's command.
        let start = Instant::now();
        let wire = s.notify_wire(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": v + 2}, "contentChanges": [
                {"range": {"start": {"line": 3, "character": 15}, "end": {"line": 3, "character": 15}}, "text": "x"}
            ]}),
        );
        keystroke.push(start.elapsed());
        let sent = messages(&wire);
        assert!(!sent.is_empty());
        show(sent);
    }
    let published = shown.values().sum();
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
    (lines, published, median(keystroke), median(completion))
}

fn main() {
    // Fewer runs for an instruction count under valgrind.
    let runs = std::env::var("MCPC_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    println!("median of {runs}; a unit of five files, one character typed into one");
    println!("{:<58} {:>10}", "step", "ms");
    for gaps in [false, true] {
        let (lines, published, keystroke, completion) = run(gaps, runs);
        let unit = if gaps {
            format!("{lines} lines, gaps, {published} diagnostics")
        } else {
            format!("{lines} lines, {published} diagnostics")
        };
        println!(
            "{:<58} {:>10.2}",
            format!("diagnostics after a keystroke ({unit})"),
            keystroke.as_secs_f64() * 1e3
        );
        println!(
            "{:<58} {:>10.2}",
            format!("completion ({unit})"),
            completion.as_secs_f64() * 1e3
        );
    }
}
