//! No input makes mcpc panic. Seeds are every golden and example source;
//! each is mutated many times (deleted ranges, inserted tokens, duplicated
//! slices, random text) by a fixed-seed generator, compiled for every target
//! in both emit modes, and every diagnostic is rendered in all three
//! formats. Spans must lie inside their file, on character boundaries.

use mcpc::backends::{Emit, Plan};
use mcpc::diag::{LintLevels, MessageFormat, Renderer};
use mcpc::source::{SourceFile, SourceMap};
use std::fs;
use std::path::Path;

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
];

fn seeds() -> Vec<String> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "mcpc") {
                out.push(fs::read_to_string(path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    walk(&root.join("tests/golden"), &mut out);
    walk(&root.join("examples"), &mut out);
    out
}

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

fn compile_everything(text: &str) {
    for emit in [Emit::Config, Emit::Package] {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("fuzz.mcpc", text));
        let plan = Plan {
            emit,
            ..Plan::default()
        };
        let (sources, diagnostics, _) = mcpc::compile(sources, LintLevels::default(), &plan);
        for d in &diagnostics {
            for label in std::iter::once(&d.primary).chain(&d.labels) {
                let file = sources.get(label.span.file);
                let (s, e) = (label.span.start as usize, label.span.end as usize);
                assert!(
                    s <= e && e <= file.text.len(),
                    "span {s}..{e} outside the file: {d:?}\n{text}"
                );
                assert!(
                    file.text.is_char_boundary(s) && file.text.is_char_boundary(e),
                    "span not on a char boundary: {d:?}"
                );
            }
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
    }
}

#[test]
fn mutated_sources_never_panic() {
    let seeds = seeds();
    assert!(seeds.len() > 20);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for round in 0..2500 {
        let seed = &seeds[round % seeds.len()];
        let text = mutate(&mut rng, seed);
        compile_everything(&text);
    }
}

#[test]
fn random_text_never_panics() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..500 {
        let text: String = (0..rng.below(200))
            .map(|_| {
                TOKENS[rng.below(TOKENS.len())].to_owned()
                    + if rng.below(2) == 0 { " " } else { "" }
            })
            .collect();
        compile_everything(&text);
    }
}

/// `fmt` on every seed and on mutants that still parse: it never refuses a
/// parseable file (its own check of tree and comments holds), and
/// formatting twice changes nothing.
#[test]
fn fmt_keeps_meaning_and_is_idempotent() {
    use mcpc::source::FileId;
    let mut rng = Rng(0x0f0f_1234_5678_9abc);
    let seeds = seeds();
    let mut formatted = 0;
    for round in 0..8000 {
        let seed = &seeds[round % seeds.len()];
        let text = if round < seeds.len() {
            seed.clone()
        } else {
            mutate(&mut rng, seed)
        };
        let mut sink = mcpc::diag::Sink::new();
        mcpc::parse::parse_file(FileId(0), &text, &mut sink);
        if !sink.finish(&Default::default()).is_empty() {
            continue; // not parseable: fmt reports the syntax error instead
        }
        let once = mcpc::format::format(FileId(0), &text)
            .unwrap_or_else(|e| panic!("fmt refused a parseable file: {e:?}\n{text}"));
        let twice = mcpc::format::format(FileId(0), &once).unwrap();
        assert_eq!(twice, once, "fmt is not idempotent on:\n{text}");
        formatted += 1;
    }
    assert!(formatted > 800, "only {formatted} parseable inputs");
}
