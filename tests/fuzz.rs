//! The fuzz targets of `fuzz/` under stable `cargo test`, so that they run
//! everywhere, nightly or not: each target's body (`fuzz/bodies.rs`, shared
//! with `cargo fuzz`) gets its seeds (the goldens and examples), every input
//! in `fuzz/regressions/<target>/` (crashes found by fuzzing, kept), and
//! inputs mutated from the seeds by a fixed-seed generator. See
//! `docs/fuzzing.md`.
//!
//! `MCPC_FUZZ_CASES=N` sets the number of mutated inputs per target (by
//! default 200 to 4,000, by the cost of the target).
//! `MCPC_FUZZ_SEED_DIR=DIR` also writes each target's seeds to `DIR/<target>/`:
//! the starting corpus of `cargo fuzz run`.

#[path = "../fuzz/bodies.rs"]
mod bodies;

use std::fs;
use std::path::{Path, PathBuf};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens the mutator inserts: mcpc's own, then JSON, TOML, YAML and LSP
/// framing pieces for the other targets.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "=",
    ",",
    "${",
    "${env.",
    "env.",
    "secret.",
    "plugin.root",
    "\\",
    "\\u{",
    "$",
    "\n",
    "/*",
    "*/",
    "//",
    "é",
    "server \"x\" {",
    "plugin \"p\" {",
    "target codex {",
    "tools {",
    "env {",
    "headers {",
    "20",
    "20s",
    "9999999999999999999999h",
    "true",
    "url = \"http://",
    "command = \"npx\"",
    ":-",
    "\u{0}",
    "🙂",
    "mcp_servers = [\"a\"]",
    "workspace \"w\" { runtime = codex plugins = [\"p\"] }",
    "policy \"o\" { lints { x = deny } }",
    ":",
    "null",
    "\"mcpServers\": {",
    "\"docs\": {\"command\": \"x\"}",
    "\\u0000",
    "\\ud800",
    "#",
    "[mcp_servers.docs]",
    "'''",
    "- ",
    "  ",
    "mcp_servers:\n  ",
    "&a ",
    "*a",
    "!!str ",
    "\u{85}",
    "\r\n",
    "Content-Length: ",
    "\r\n\r\n",
    "18446744073709551615",
];

fn char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_owned();
    for _ in 0..1 + rng.below(4) {
        let at = char_boundary(&s, rng.below(s.len() + 1));
        match rng.below(5) {
            0 => {
                let end = char_boundary(&s, at + rng.below(40));
                s.replace_range(at..end, "");
            }
            1 | 2 => s.insert_str(at, TOKENS[rng.below(TOKENS.len())]),
            3 => {
                let end = char_boundary(&s, at + rng.below(80));
                let slice = s[at..end].to_owned();
                let to = char_boundary(&s, rng.below(s.len() + 1));
                s.insert_str(to, &slice);
            }
            _ => {
                let random: String = (0..rng.below(12))
                    .map(|_| char::from(32 + rng.below(95) as u8))
                    .collect();
                s.insert_str(at, &random);
            }
        }
    }
    s
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn files_below(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_below(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

fn read_all(paths: Vec<PathBuf>) -> Vec<String> {
    paths
        .into_iter()
        .filter_map(|p| fs::read_to_string(p).ok())
        .collect()
}

fn sources() -> Vec<String> {
    let mut paths = Vec::new();
    let mcpc = |p: &Path| p.extension().is_some_and(|e| e == "mcpc");
    // Not the `internal-format-error` case: fmt refuses it by design, to
    // show that refusal (its `args` say `--fmt`).
    let golden = |p: &Path| {
        mcpc(p)
            && !p
                .parent()
                .and_then(|d| fs::read_to_string(d.join("args")).ok())
                .is_some_and(|a| a.split_whitespace().any(|w| w == "--fmt"))
    };
    files_below(&root().join("tests/golden"), &golden, &mut paths);
    files_below(&root().join("examples"), &mcpc, &mut paths);
    read_all(paths)
}

/// Runtime files: what the goldens build, and what the import goldens read.
fn runtime_files() -> Vec<String> {
    let mut paths = Vec::new();
    let native = |p: &Path| {
        p.extension()
            .is_some_and(|e| ["json", "toml", "yaml", "yml"].contains(&e.to_str().unwrap()))
            && !p.ends_with("mcpc-delivery.json")
    };
    files_below(&root().join("tests/golden/ok"), &native, &mut paths);
    files_below(&root().join("tests/golden/import"), &native, &mut paths);
    read_all(paths)
}

fn frame(body: &serde_json::Value) -> String {
    let body = body.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

/// A session per source: open it, then ask for what an editor asks.
fn lsp_sessions() -> Vec<String> {
    use serde_json::json;
    let uri = "file:///fuzz/a.mcpc";
    sources()
        .into_iter()
        .map(|text| {
            let mut s = frame(&json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "mcpc", "version": 1, "text": text}}}));
            for (id, method) in [
                "textDocument/formatting",
                "textDocument/hover",
                "textDocument/completion",
                "textDocument/definition",
            ]
            .into_iter()
            .enumerate()
            {
                s += &frame(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {"textDocument": {"uri": uri}, "position": {"line": 2, "character": 5}, "options": {"tabSize": 2, "insertSpaces": true}}}));
            }
            s += &frame(&json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 3}}, "text": "}"}]}}));
            s
        })
        .collect()
}

fn seeds(target: &str) -> Vec<String> {
    match target {
        "parse" | "pipeline" | "fmt" => sources(),
        "apply" | "import" => runtime_files(),
        "lsp" => lsp_sessions(),
        other => panic!("no seeds for target `{other}`"),
    }
}

fn regressions(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut paths = Vec::new();
    files_below(
        &root().join("fuzz/regressions").join(target),
        &|_| true,
        &mut paths,
    );
    paths
        .into_iter()
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// Mutants per target: `MCPC_FUZZ_CASES`, or a default that keeps this file
/// to about a minute of a debug build.
fn cases(target: &str) -> usize {
    if let Some(n) = std::env::var("MCPC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    match target {
        "parse" | "fmt" => 4000,
        "pipeline" => 1000,
        "lsp" => 300,
        _ => 200,
    }
}

/// Runs one target on its seeds, regressions and mutants; returns how many
/// inputs it ran.
fn run(target: &str) -> usize {
    let body = bodies::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap()
        .1;
    let seeds = seeds(target);
    assert!(seeds.len() > 20, "{target}: only {} seeds", seeds.len());
    if let Some(dir) = std::env::var_os("MCPC_FUZZ_SEED_DIR") {
        let dir = Path::new(&dir).join(target);
        fs::create_dir_all(&dir).unwrap();
        for (i, s) in seeds.iter().enumerate() {
            fs::write(dir.join(format!("seed-{i:04}")), s).unwrap();
        }
    }
    let started = std::time::Instant::now();
    let mut ran = 0;
    for s in &seeds {
        body(s.as_bytes());
        ran += 1;
    }
    for (path, bytes) in regressions(target) {
        let run = std::panic::catch_unwind(|| body(&bytes));
        assert!(run.is_ok(), "{target}: regression {} fails", path.display());
        ran += 1;
    }
    let mut rng = Rng(0x5eed_1234_abcd_ef01 ^ target.len() as u64);
    for round in 0..cases(target) {
        let input = mutate(&mut rng, &seeds[round % seeds.len()]);
        body(input.as_bytes());
        ran += 1;
    }
    eprintln!("fuzz {target}: {ran} inputs in {:.1?}", started.elapsed());
    ran
}

#[test]
fn parse() {
    run("parse");
}

#[test]
fn pipeline() {
    run("pipeline");
    // Text made of tokens alone, with no seed's structure.
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..500 {
        let text: String = (0..rng.below(200))
            .map(|_| {
                TOKENS[rng.below(TOKENS.len())].to_owned()
                    + if rng.below(2) == 0 { " " } else { "" }
            })
            .collect();
        bodies::pipeline(text.as_bytes());
    }
}

#[test]
fn fmt() {
    run("fmt");
}

#[test]
fn apply() {
    run("apply");
}

#[test]
fn import() {
    run("import");
}

#[test]
fn lsp() {
    run("lsp");
}

/// Every target of `fuzz/bodies.rs` runs here and has a `cargo fuzz`
/// binary; every regression directory belongs to a target.
#[test]
fn every_target_runs_here_and_under_cargo_fuzz() {
    let names: Vec<&str> = bodies::TARGETS.iter().map(|(n, _)| *n).collect();
    let here = include_str!("fuzz.rs");
    let manifest = fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    for name in &names {
        assert!(here.contains(&format!("fn {name}() {{\n    run(\"{name}\")")));
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{name}");
        assert!(root().join(format!("fuzz/fuzz_targets/{name}.rs")).exists());
    }
    if let Ok(dirs) = fs::read_dir(root().join("fuzz/regressions")) {
        for d in dirs {
            let name = d.unwrap().file_name().into_string().unwrap();
            assert!(
                names.contains(&name.as_str()),
                "regressions for no target: {name}"
            );
        }
    }
}
