//! `fmt` with comments anywhere (issue 15, item 11): every golden ok case
//! and example, with a comment (`/* c */` or `// c`, alternately) inserted
//! at every gap between tokens, formats (same tree, same comments: the
//! formatter checks that itself) and a second run changes nothing. Before
//! the fixes it found four classes: comments in lists (refused), comments
//! between key and value, an own-line comment before an entry on its line,
//! and a comment in a first entry taken for the `{` line.

use mcpc::diag::{Code, Sink};
use mcpc::source::FileId;
use std::fs;
use std::path::{Path, PathBuf};

fn sources() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "mcpc") {
                out.push((p.clone(), fs::read_to_string(&p).unwrap()));
            }
        }
    }
    walk(&root.join("tests/golden/ok"), &mut out);
    walk(&root.join("examples"), &mut out);
    out
}

/// Byte offsets of whitespace outside strings and comments: gaps between
/// tokens, where a comment may go.
fn gaps(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let (mut i, mut out, mut in_string) = (0, Vec::new(), false);
    while i < b.len() {
        if in_string {
            match b[i] {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b[i] == b'"' {
            in_string = true;
        } else if b[i..].starts_with(b"//") {
            i += text[i..].find('\n').unwrap_or(b.len() - i);
            continue;
        } else if b[i..].starts_with(b"/*") {
            i += text[i + 2..].find("*/").map_or(b.len() - i, |n| n + 4);
            continue;
        } else if b[i] == b' ' || b[i] == b'\n' {
            out.push(i);
        }
        i += 1;
    }
    out
}

fn parses(text: &str) -> bool {
    let mut sink = Sink::new();
    mcpc::parse::parse_file(FileId(0), text, &mut sink);
    sink.finish(&Default::default()).is_empty()
}

#[test]
fn fmt_is_idempotent_with_a_comment_in_every_gap() {
    let mut formatted = 0;
    let mut failures = Vec::new();
    for (path, text) in sources() {
        for (n, gap) in gaps(&text).into_iter().enumerate() {
            let comment = if n % 2 == 0 { " /* c */ " } else { " // c\n" };
            let mutant = format!("{}{comment}{}", &text[..gap], &text[gap..]);
            if !parses(&mutant) {
                continue;
            }
            match mcpc::format::format(FileId(0), &mutant) {
                Ok(once) => {
                    let twice = mcpc::format::format(FileId(0), &once);
                    match twice {
                        Ok(twice) if twice == once => {}
                        Ok(twice) => {
                            let diff = similar::TextDiff::from_lines(&once, &twice);
                            failures.push(format!(
                                "{}: not idempotent, the second run changes:\n{}",
                                path.display(),
                                diff.unified_diff().context_radius(3)
                            ));
                        }
                        Err(e) => failures.push(format!(
                            "{}: the formatted text is refused: {e:?}\n{once}",
                            path.display()
                        )),
                    }
                    formatted += 1;
                }
                Err(e) => {
                    let codes: Vec<Code> = e.iter().map(|d| d.code).collect();
                    failures.push(format!("{}: refused {codes:?}:\n{mutant}", path.display()));
                }
            }
        }
    }
    assert!(formatted > 1000, "only {formatted} cases formatted");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed; first:\n{}",
        failures.len(),
        formatted + failures.len(),
        failures
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
}
