//! The bodies of mcpc's fuzz targets, one function per target, shared by
//! `cargo fuzz` (the binaries in `fuzz_targets/`, under nightly) and by
//! `tests/fuzz.rs` (under stable `cargo test`, which replays the seeds and
//! the committed regressions plus mutated inputs). Each body takes any bytes
//! and panics only when a property of mcpc is broken:
//!
//! - `parse`: every diagnostic and block span lies in the file, on char
//!   boundaries.
//! - `pipeline`: source → every backend in both emit modes: spans valid,
//!   every diagnostic renders in every format with its code, and every
//!   JSON/TOML/YAML file written parses with a real parser.
//! - `fmt`: on a parseable file, fmt gives an output, which parses to the
//!   same tree; formatting it again changes nothing.
//! - `apply`: any existing text in each runtime file: `plan_apply` gives an
//!   error or edits whose text parses in the file's format, and applying
//!   again to its result changes nothing.
//! - `import`: any text read as each runtime's file, a `server.json` and an
//!   MCP Bundle manifest: the source `import` makes parses.
//! - `lsp`: any bytes as the language server's stdin: the frame reader ends,
//!   and the server's handlers answer every message it reads.

use mcpc::backends::{Emit, Format, Plan, Target};
use mcpc::deliver::{self, Current, Ledger};
use mcpc::diag::{Code, Diagnostic, LintLevels, MessageFormat, Renderer};
use mcpc::source::{FileId, SourceFile, SourceMap};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A target's body.
pub type Body = fn(&[u8]);

/// The targets, by name, as `cargo fuzz run NAME` and the harness know them.
pub const TARGETS: &[(&str, Body)] = &[
    ("parse", parse),
    ("pipeline", pipeline),
    ("fmt", fmt),
    ("apply", apply),
    ("import", import),
    ("lsp", lsp),
];

fn text(data: &[u8]) -> Option<&str> {
    // mcpc reads files as UTF-8 and refuses anything else before parsing.
    std::str::from_utf8(data).ok()
}

fn assert_spans(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        for label in std::iter::once(&d.primary).chain(&d.labels) {
            let file = sources.get(label.span.file);
            let (s, e) = (label.span.start as usize, label.span.end as usize);
            assert!(
                s <= e && e <= file.text.len(),
                "span {s}..{e} outside the file: {d:?}"
            );
            assert!(
                file.text.is_char_boundary(s) && file.text.is_char_boundary(e),
                "span not on a char boundary: {d:?}"
            );
        }
    }
}

pub fn parse(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let mut sink = mcpc::diag::Sink::new();
    let blocks = mcpc::parse::parse_file(FileId(0), text, &mut sink);
    let diagnostics = sink.finish(&LintLevels::default());
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("fuzz.mcpc", text));
    assert_spans(&sources, &diagnostics);
    for b in &blocks {
        let (s, e) = (b.span.start as usize, b.span.end as usize);
        assert!(s <= e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e));
    }
    let syntax = diagnostics
        .iter()
        .filter(|d| matches!(d.code, Code::SyntaxError | Code::NestingTooDeep))
        .count();
    assert!(syntax <= 1, "more than one syntax error in one file");
    assert!(
        syntax == 0 || blocks.is_empty(),
        "a syntax error with blocks"
    );
}

pub fn pipeline(data: &[u8]) {
    let Some(text) = text(data) else { return };
    for emit in [Emit::Config, Emit::Package] {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("fuzz.mcpc", text));
        let plan = Plan {
            emit,
            ..Plan::default()
        };
        let (sources, diagnostics, files) = mcpc::compile(sources, LintLevels::default(), &plan);
        assert_spans(&sources, &diagnostics);
        for d in &diagnostics {
            for format in [
                MessageFormat::Human,
                MessageFormat::Short,
                MessageFormat::Json,
            ] {
                let rendered = Renderer {
                    sources: &sources,
                    format,
                    color: false,
                }
                .render(d);
                assert!(
                    rendered.contains(d.code.name()),
                    "rendering lost the code: {rendered}"
                );
            }
        }
        for f in files.iter().flatten() {
            let ok = match f.path.rsplit('.').next() {
                Some("json") => serde_json::from_str::<Value>(f.text()).map_err(|e| e.to_string()),
                Some("toml") => toml::from_str::<toml::Table>(f.text())
                    .map(|_| Value::Null)
                    .map_err(|e| e.to_string()),
                Some("yaml" | "yml") => serde_norway::from_str::<serde_norway::Value>(f.text())
                    .map(|_| Value::Null)
                    .map_err(|e| e.to_string()),
                _ => Ok(Value::Null),
            };
            if let Err(e) = ok {
                panic!("{} does not parse: {e}\n{}", f.path, f.text());
            }
        }
    }
}

pub fn fmt(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let mut sink = mcpc::diag::Sink::new();
    let before = mcpc::parse::parse_file(FileId(0), text, &mut sink);
    if !sink.finish(&LintLevels::default()).is_empty() {
        return; // fmt reports the problem and leaves the file alone
    }
    // fmt never refuses a file that parses, and what it writes keeps the
    // meaning.
    let once = mcpc::format::format(FileId(0), text)
        .unwrap_or_else(|e| panic!("fmt refused a parseable file: {e:?}\n{text}"));
    let mut sink = mcpc::diag::Sink::new();
    let after = mcpc::parse::parse_file(FileId(0), &once, &mut sink);
    let diagnostics = sink.finish(&LintLevels::default());
    assert!(
        diagnostics.is_empty(),
        "fmt wrote what does not parse: {diagnostics:?}\n{once}"
    );
    assert_eq!(
        without_spans(&before),
        without_spans(&after),
        "fmt changed the tree:\n{text}\n---\n{once}"
    );
    let twice = mcpc::format::format(FileId(0), &once)
        .unwrap_or_else(|e| panic!("fmt refused its own output: {e:?}\n{once}"));
    assert_eq!(twice, once, "fmt is not idempotent on:\n{text}");
}

/// The tree as text, spans left out (the `Debug` form with every span
/// removed): what two parses of the same meaning share.
fn without_spans(blocks: &[mcpc::parse::ast::Block]) -> String {
    let debug = format!("{blocks:?}");
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    while let Some(at) = rest.find("Span {") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').map_or(rest.len(), |e| at + e + 1);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

const DECLARED: &str = r#"plugin "fz" {
  version = "1.0.0"
  server "docs" {
    url = "https://docs.example.dev/mcp"
    headers { Authorization = "Bearer ${secret.DOCS_TOKEN}" }
    tools { deny = ["drop"] }
  }
  server "local" {
    command = "local-mcp"
    args = ["--port", "7"]
    env { REGION = "eu" }
  }
}
"#;

/// A target, the entries it wants in each of its files, and its ledger
/// after writing them into no files.
type Desired = (Target, BTreeMap<String, Value>, Ledger);

/// Each target's desired files for [`DECLARED`] (targets that cannot
/// express it are left out), and the ledger of applying them to no files.
fn desired() -> &'static [Desired] {
    static DESIRED: OnceLock<Vec<Desired>> = OnceLock::new();
    DESIRED.get_or_init(|| {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("fz.mcpc", DECLARED));
        let mut c = mcpc::Compilation::new(sources, LintLevels::default());
        let mut out = Vec::new();
        for build in c.build_each(&Plan::default()) {
            if build.failed {
                continue;
            }
            let Ok(want) = deliver::desired(build.target, &build.files) else {
                continue;
            };
            let files = build.target.backend().managed_files();
            let none: Vec<Current> = files.iter().map(|f| current(f, None)).collect();
            let ledger = deliver::plan_apply(build.target, &none, &want, &Ledger::default(), false)
                .map(|p| p.ledger)
                .unwrap_or_default();
            out.push((build.target, want, ledger));
        }
        assert!(
            out.len() > 5,
            "too few targets build the fuzzing declaration"
        );
        out
    })
}

fn current(file: &'static mcpc::backends::ManagedFile, text: Option<&str>) -> Current<'static> {
    Current {
        file,
        path: format!("/fuzz/{}", file.project_path),
        text: text.map(str::to_owned),
    }
}

pub fn apply(data: &[u8]) {
    let Some(text) = text(data) else { return };
    for (target, want, applied) in desired() {
        let files = target.backend().managed_files();
        for (i, file) in files.iter().enumerate() {
            if i > 0 && files[..i].iter().any(|f| f.format == file.format) {
                continue; // the same editor as an earlier file of this target
            }
            for (ledger, force) in [
                (&Ledger::default(), false),
                (applied, false),
                (applied, true),
            ] {
                let currents: Vec<Current> = files
                    .iter()
                    .map(|f| current(f, (f.project_path == file.project_path).then_some(text)))
                    .collect();
                let Ok(plan) = deliver::plan_apply(*target, &currents, want, ledger, force) else {
                    continue;
                };
                let mut after = BTreeMap::new();
                for edit in &plan.edits {
                    let f = files
                        .iter()
                        .find(|f| edit.path.ends_with(f.project_path))
                        .unwrap();
                    if let Err(e) = deliver::parse(f.format, &edit.new, &edit.path) {
                        panic!(
                            "{target}: the edit of {} does not parse: {}\n{}",
                            edit.path, e.message, edit.new
                        );
                    }
                    if f.format == Format::Json {
                        // The file is JSON with comments: a real reader too.
                        mcpc::emit::json_with_comments::<Value>(&edit.new).unwrap();
                    }
                    after.insert(edit.path.clone(), edit.new.clone());
                }
                let again: Vec<Current> = files
                    .iter()
                    .map(|f| {
                        let mut c = current(f, None);
                        c.text = after.get(&c.path).cloned().or_else(|| {
                            (f.project_path == file.project_path).then(|| text.to_owned())
                        });
                        c
                    })
                    .collect();
                let second = deliver::plan_apply(*target, &again, want, &plan.ledger, force)
                    .unwrap_or_else(|e| panic!("{target}: applying again fails: {}", e.message));
                assert!(
                    second.edits.is_empty(),
                    "{target}: applying twice edits again: {:?}\nfirst:\n{}",
                    second.edits,
                    text
                );
            }
        }
    }
}

fn assert_parses(what: &str, source: &str) {
    let mut sink = mcpc::diag::Sink::new();
    mcpc::parse::parse_file(FileId(0), source, &mut sink);
    let syntax: Vec<_> = sink
        .finish(&LintLevels::default())
        .into_iter()
        .filter(|d| matches!(d.code, Code::SyntaxError | Code::NestingTooDeep))
        .collect();
    assert!(
        syntax.is_empty(),
        "{what}: import wrote what does not parse: {syntax:?}\n{source}"
    );
}

pub fn import(data: &[u8]) {
    use mcpc::import as imp;
    let Some(raw) = text(data) else { return };
    for &target in Target::ALL {
        let text = imp::prepare(target, raw);
        let primary = target.backend().managed_files()[0];
        if deliver::parse(primary.format, &text, "fuzz").is_err() {
            continue;
        }
        if let Ok(servers) = imp::read_as(target, &text) {
            if servers.is_empty() {
                continue;
            }
            let source = imp::to_source("fuzzed", target, "fuzz", &servers);
            assert_parses(target.name(), &source.text);
            let _ = imp::dropped_fields(target, &text);
        }
    }
    let _ = imp::detect("settings.json", raw);
    if let Ok(docs) = mcpc::registry::server_json::documents(raw) {
        for doc in &docs {
            let imported = mcpc::registry::server_json::import(doc);
            let origin = imp::Origin {
                format: "server.json".into(),
                secrets: imported.secrets.clone(),
                version: imported.version.clone(),
                description: imported.description.clone(),
                ..imp::Origin::default()
            };
            let source = imp::to_source_from("fuzzed", &origin, "fuzz", &imported.servers);
            assert_parses("server.json", &source.text);
        }
    }
    if let Ok(manifest) = mcpc::registry::mcpb::parse(raw) {
        let imported = mcpc::registry::mcpb::import(&manifest);
        let origin = imp::Origin {
            format: "mcpb".into(),
            secrets: imported.secrets.clone(),
            ..imp::Origin::default()
        };
        let source = imp::to_source_from("fuzzed", &origin, "fuzz", &imported.servers);
        assert_parses("mcpb", &source.text);
    }
}

/// Methods the server answers from memory alone: the fuzzer's messages
/// never make it read or walk the file system.
const IN_MEMORY: &[&str] = &[
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/formatting",
    "textDocument/hover",
    "textDocument/completion",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/documentSymbol",
    "textDocument/codeAction",
    "textDocument/rename",
    "textDocument/prepareRename",
];

pub fn lsp(data: &[u8]) {
    use mcpc::cli::lsp::frame::{Frame, Reader};
    let mut reader = Reader::new(data);
    let mut session = mcpc::cli::lsp::Session::default();
    // Each frame consumes input, so the reader ends within this many reads.
    for _ in 0..=data.len() + 1 {
        match reader.read().expect("reading from memory does not fail") {
            Frame::Eof => return,
            Frame::Malformed { code, .. } => assert!(code == -32700 || code == -32600),
            Frame::Message(lsp_server::Message::Request(r)) => {
                if IN_MEMORY.contains(&r.method.as_str()) {
                    session.request(&r.method, r.params);
                }
            }
            Frame::Message(lsp_server::Message::Notification(n)) => {
                if IN_MEMORY.contains(&n.method.as_str()) {
                    session.notify(&n.method, n.params);
                }
            }
            Frame::Message(lsp_server::Message::Response(_)) => {}
        }
    }
    panic!(
        "the frame reader did not reach the end of {} bytes",
        data.len()
    );
}
