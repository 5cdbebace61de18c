//! Completion at a cursor. The text before the cursor is scanned (not
//! parsed: it is usually incomplete) for the blocks it is in and whether a
//! key, a label or a value comes next.

use super::{Index, SymbolKind, attribute_doc, block_doc};
use crate::ir::schema;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Block,
    Attribute,
    Value,
    Name,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub doc: Option<String>,
}

/// Where the cursor is.
#[derive(Debug, PartialEq)]
enum Place {
    /// Where a block or an attribute starts.
    Key,
    /// After `kind` of a block: its label.
    Label(String),
    /// After `key =`, in a list or not.
    Value { key: String },
}

struct Scan {
    stack: Vec<String>,
    place: Place,
}

/// The completions at byte `offset` of `text` (file `file` of the unit
/// `index` was built from), in the order shown.
pub fn complete(text: &str, offset: usize, index: &Index) -> Vec<Completion> {
    let offset = offset.min(text.len());
    let Some(scan) = scan(&text[..floor(text, offset)]) else {
        return Vec::new();
    };
    let block = scan.stack.last().map(String::as_str);
    match scan.place {
        Place::Key => keys(block),
        Place::Label(kind) => match kind.as_str() {
            "target" => values(crate::Target::ALL.iter().map(|t| t.name())),
            "server" if block == Some("target") => names(index.names(SymbolKind::Server, None)),
            _ => Vec::new(),
        },
        Place::Value { key } => value(
            block,
            &key,
            &text[word_start(text, offset)..floor(text, offset)],
            index,
        ),
    }
}

fn floor(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn keys(block: Option<&str>) -> Vec<Completion> {
    let (attributes, blocks): (&[&str], Vec<&str>) = match block {
        None => (&[], schema::TOP_LEVEL.to_vec()),
        Some(kind) => match block_schema(kind) {
            Some(s) => (
                s.attributes,
                s.blocks.iter().chain(s.repeated).copied().collect(),
            ),
            None if kind == "lints" => {
                return crate::diag::Code::lint_names()
                    .map(|n| Completion {
                        label: n.to_owned(),
                        kind: CompletionKind::Attribute,
                        doc: crate::diag::Code::from_name(n)
                            .and_then(|c| {
                                c.explanation()
                                    .lines()
                                    .find(|l| !l.starts_with('#') && !l.trim().is_empty())
                            })
                            .map(str::to_owned),
                    })
                    .collect();
            }
            None => (&[], Vec::new()),
        },
    };
    let parent = block.unwrap_or_default();
    blocks
        .into_iter()
        .map(|b| Completion {
            label: b.to_owned(),
            kind: CompletionKind::Block,
            doc: block_doc(b),
        })
        .chain(attributes.iter().map(|a| Completion {
            label: (*a).to_owned(),
            kind: CompletionKind::Attribute,
            doc: attribute_doc(parent, a),
        }))
        .collect()
}

pub(super) fn block_schema(kind: &str) -> Option<&'static schema::BlockSchema> {
    Some(match kind {
        "plugin" => &schema::PLUGIN,
        "server" => &schema::SERVER,
        "tools" => &schema::TOOLS,
        "registry" => &schema::REGISTRY,
        "target" => &schema::TARGET,
        "workspace" => &schema::WORKSPACE,
        "policy" => &schema::POLICY,
        _ => return None,
    })
}

fn value(block: Option<&str>, key: &str, word: &str, index: &Index) -> Vec<Completion> {
    let targets = || values(crate::Target::ALL.iter().map(|t| t.name()));
    let secrets = || {
        names(index.names(SymbolKind::Secret, None))
            .into_iter()
            .map(|mut c| {
                c.label = format!("secret.{}", c.label);
                c
            })
            .collect()
    };
    match (block.unwrap_or_default(), key) {
        _ if word.starts_with("secret.") => secrets(),
        (_, "transport") => values(["http", "sse"]),
        (_, "allow_transports") => values(["stdio", "http", "sse"]),
        (_, "kind") => values(["standard", "platform"]),
        (_, "scope") => values(["user", "workspace", "org"]),
        (_, "enabled") => values(["true", "false"]),
        (_, "runtime" | "targets") => targets(),
        ("workspace", "plugins") => names(index.names(SymbolKind::Plugin, None)),
        ("lints", _) => values(["allow", "warn", "deny"]),
        ("target", "secrets") => values(["input", "env"]),
        ("env" | "headers", _) => secrets(),
        _ => Vec::new(),
    }
}

fn values<'a>(list: impl IntoIterator<Item = &'a str>) -> Vec<Completion> {
    list.into_iter()
        .map(|v| Completion {
            label: v.to_owned(),
            kind: CompletionKind::Value,
            doc: None,
        })
        .collect()
}

fn names(list: Vec<&str>) -> Vec<Completion> {
    list.into_iter()
        .map(|v| Completion {
            label: v.to_owned(),
            kind: CompletionKind::Name,
            doc: None,
        })
        .collect()
}

/// Scans `text` (everything before the cursor). `None` inside a comment.
fn scan(text: &str) -> Option<Scan> {
    #[derive(PartialEq)]
    enum State {
        Start,
        /// A block kind or key was read.
        Header(String, usize),
        /// After `=`; `depth` of `[`.
        Value(String, usize),
    }
    let mut stack: Vec<String> = Vec::new();
    let mut state = State::Start;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'/' if bytes.get(i + 1) == Some(&b'/') => match text[i..].find('\n') {
                Some(n) => i += n,
                None => return None,
            },
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                Some(n) => i += n + 3,
                None => return None,
            },
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                if j >= bytes.len() {
                    // The cursor is in this string.
                    break;
                }
                state = match state {
                    State::Header(k, n) => State::Header(k, n + 1),
                    State::Value(_, 0) => State::Start,
                    s => s,
                };
                i = j;
            }
            b'{' => {
                if let State::Header(k, _) = &state {
                    stack.push(k.clone());
                }
                state = State::Start;
            }
            b'}' => {
                stack.pop();
                state = State::Start;
            }
            b'=' => {
                if let State::Header(k, 0) = &state {
                    state = State::Value(k.clone(), 0);
                }
            }
            b'[' => {
                if let State::Value(k, d) = &state {
                    state = State::Value(k.clone(), d + 1);
                }
            }
            b']' => {
                if let State::Value(k, d) = &state {
                    state = if *d <= 1 {
                        State::Start
                    } else {
                        State::Value(k.clone(), d - 1)
                    };
                }
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.' => {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || b"_-.".contains(&bytes[j]))
                {
                    j += 1;
                }
                let word = &text[i..j];
                if j == bytes.len() {
                    // The cursor is in this word.
                    break;
                }
                state = match state {
                    State::Start => State::Header(word.to_owned(), 0),
                    State::Header(k, n) => State::Header(k, n + 1),
                    State::Value(_, 0) => State::Start,
                    s => s,
                };
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let place = match state {
        State::Start => Place::Key,
        State::Header(kind, 0) => Place::Label(kind),
        State::Header(..) => return None,
        State::Value(key, _) => Place::Value { key },
    };
    Some(Scan { stack, place })
}

/// Where the word (or string content) ending at `offset` starts: what a
/// completion replaces.
pub fn word_start(text: &str, offset: usize) -> usize {
    let offset = floor(text, offset.min(text.len()));
    // After the last character that is not part of a word, which may be
    // several bytes long (a BOM, say).
    text[..offset]
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The reference's text for the block kind or attribute key under
/// `offset`.
pub fn hover(text: &str, offset: usize) -> Option<String> {
    let start = word_start(text, offset);
    let end = floor(text, offset.min(text.len()));
    let end = end
        + text[end..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-".contains(c)))
            .unwrap_or(text.len() - end);
    let word = &text[start..end];
    if word.is_empty() {
        return None;
    }
    let scan = scan(&text[..start])?;
    if scan.place != Place::Key {
        return None;
    }
    let block = scan.stack.last().map(String::as_str);
    let after = text[end..].trim_start();
    if block == Some("lints")
        && let Some(code) = crate::diag::Code::from_name(word)
    {
        return Some(code.explanation().to_owned());
    }
    if after.starts_with('=') {
        return attribute_doc(block?, word).or_else(|| block_doc(block?));
    }
    block_doc(word)
}
