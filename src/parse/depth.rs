//! A limit on nesting, checked before pest runs.
//!
//! The grammar is recursive (a block holds blocks, a list holds lists) and so
//! are pest, lowering and the formatter: a few thousand nested `{` or `[`
//! overflow the stack and abort the process. One linear scan, which skips
//! strings and comments the way the grammar does, finds the first bracket
//! that opens deeper than [`MAX_DEPTH`] and reports it as `nesting-too-deep`;
//! the file is then not parsed at all, so nothing after this recursion can
//! meet a deeper tree either.
//!
//! The scan never counts less than the parser would reach: it agrees with the
//! grammar on where strings and comments start and end up to the first
//! syntax error, and pest stops there.

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// The deepest nesting of blocks and lists, together, that a file may have.
/// Real declarations nest four or five deep; this is far above that and far
/// below what overflows a 2 MiB thread stack in a debug build.
pub const MAX_DEPTH: usize = 128;

/// The first bracket, outside strings and comments, that opens a block or
/// list deeper than [`MAX_DEPTH`], as a diagnostic.
pub fn check(file: FileId, text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = find(bytes, i + 2, b"\n").unwrap_or(bytes.len());
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find(bytes, i + 2, b"*/").map_or(bytes.len(), |end| end + 2);
            }
            b'"' => i = skip_string(bytes, i + 1),
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(too_deep(file, i));
                }
                i += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Where `needle` starts at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Past the string whose body starts at `i`. A string ends at its closing
/// quote or, unterminated, at the end of the line (the grammar's text has no
/// newline, so pest fails there and reaches nothing after it); `\` takes the
/// next byte, and `${…}` ends at `}` (or where the string does).
fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            b'\\' => i += 2,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                i += 2;
                while i < bytes.len() && !matches!(bytes[i], b'}' | b'"' | b'\n') {
                    i += 1;
                }
                if bytes.get(i) == Some(&b'}') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

fn too_deep(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::new(
        Code::NestingTooDeep,
        Span::new(file, at, at + 1),
        format!("blocks and lists nest more than {MAX_DEPTH} deep"),
    )
    .with_label(format!("level {} opens here", MAX_DEPTH + 1))
    .with_help("flatten the declaration: real plugins nest a few levels deep")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_error(text: &str) -> Option<usize> {
        check(FileId(0), text).map(|d| d.primary.span.start as usize)
    }

    #[test]
    fn the_limit_itself_is_accepted_and_one_more_is_not() {
        let ok = "[".repeat(MAX_DEPTH);
        assert_eq!(depth_error(&ok), None);
        // The block is level 1: the list's last `[` opens level 129.
        let deep = format!("a {{ b = {} }}", "[".repeat(MAX_DEPTH));
        assert_eq!(depth_error(&deep), Some("a { b = ".len() + MAX_DEPTH - 1));
    }

    #[test]
    fn blocks_and_lists_count_together() {
        let text = "a {".repeat(MAX_DEPTH / 2) + &"x = [".repeat(MAX_DEPTH / 2 + 1);
        assert!(depth_error(&text).is_some());
    }

    #[test]
    fn closed_brackets_do_not_accumulate() {
        let text = "a { b = [[]] }\n".repeat(10 * MAX_DEPTH);
        assert_eq!(depth_error(&text), None);
    }

    #[test]
    fn strings_and_comments_hold_no_brackets() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        for text in [
            format!("a {{ b = \"{deep}\" }}"),
            format!("a {{ b = \"\\\"{deep}\" }}"),
            format!("a {{ b = \"${{{deep}}}\" }}"),
            format!("// {deep}\na {{}}"),
            format!("/* {deep}\n{deep} */ a {{}}"),
            format!("/* unterminated {deep}"),
        ] {
            assert_eq!(depth_error(&text), None, "{text}");
        }
    }

    #[test]
    fn a_string_ends_where_the_grammar_ends_it() {
        let deep = "[".repeat(MAX_DEPTH + 1);
        // Unterminated at the end of the line: what follows is code again.
        assert!(depth_error(&format!("a {{ b = \"x\n{deep}")).is_some());
        // `*/` and `//` inside a string are text.
        assert!(depth_error(&format!("a {{ b = \"/*\" c = {deep}")).is_some());
    }

    /// The limit is far below what overflows: a file exactly at it goes
    /// through the parser, the formatter and the whole pipeline on a thread
    /// with a quarter of a test thread's stack, in a debug build.
    #[test]
    fn the_deepest_accepted_file_fits_a_small_stack() {
        let lists = format!(
            "plugin \"p\" {{ server \"s\" {{ args = {}{} }} }}",
            "[".repeat(MAX_DEPTH - 2),
            "]".repeat(MAX_DEPTH - 2)
        );
        let blocks = "a {\n".repeat(MAX_DEPTH) + &"}\n".repeat(MAX_DEPTH);
        for text in [lists, blocks] {
            assert_eq!(depth_error(&text), None);
            std::thread::Builder::new()
                .stack_size(512 * 1024)
                .spawn(move || {
                    let mut sink = crate::diag::Sink::new();
                    assert!(!crate::parse::parse_file(FileId(0), &text, &mut sink).is_empty());
                    crate::format::format(FileId(0), &text).expect("formats");
                    let mut sources = crate::source::SourceMap::new();
                    sources.add(crate::source::SourceFile::new("deep.mcpc", text));
                    let plan = crate::backends::Plan::default();
                    crate::compile(sources, Default::default(), &plan);
                })
                .unwrap()
                .join()
                .unwrap();
        }
    }
}
