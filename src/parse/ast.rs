//! The syntax tree: blocks, attributes and values exactly as written, with
//! spans. It knows nothing of the schema; `ir::lower` gives it meaning.

use crate::source::Span;
use compact_str::CompactString;
use smallvec::SmallVec;

/// Text of the tree: a name, a number, a string's text. Most are short
/// (`command`, `env`, `npx`) and held in place, so a block of a thousand
/// servers is not tens of thousands of allocations.
pub type Text = CompactString;

/// A string's parts: most strings are one.
pub type StrParts = SmallVec<[StrPart; 1]>;

/// A name as written: a block kind, a label, a key or an identifier value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: Text,
    pub span: Span,
}

/// `kind label? { entries }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub kind: Name,
    pub label: Option<Value>,
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Attribute(Attribute),
    Block(Block),
}

/// `key = value`; the key is an identifier or a string.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub key: Value,
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// A quoted string, escapes decoded, interpolations kept apart.
    Str(StrParts),
    /// Digits, optionally followed by letters (a unit): `20`, `20s`, `20sec`.
    Number(Text),
    /// A bare identifier: `platform`, `true`, `hermes`.
    Ident(Text),
    /// `namespace.name`, such as `env.TOKEN`.
    Reference {
        namespace: Name,
        name: Name,
    },
    List(Vec<Value>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    Text(Text),
    /// `${body}`; `span` covers the whole `${…}`, `body_span` the inside.
    Interpolation {
        body: Text,
        span: Span,
        body_span: Span,
    },
}

impl Value {
    /// The text of an identifier or of a string without interpolation: the
    /// forms a key or a label may take.
    pub fn as_name(&self) -> Option<&str> {
        match &self.kind {
            ValueKind::Ident(text) => Some(text),
            ValueKind::Str(parts) => match parts.as_slice() {
                [] => Some(""),
                [StrPart::Text(text)] => Some(text),
                _ => None,
            },
            _ => None,
        }
    }

    /// The kind of value in user words, for type-mismatch messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            ValueKind::Str(_) => "a string",
            ValueKind::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => "an integer",
            ValueKind::Number(n) if !n.ends_with(|c: char| c.is_ascii_alphabetic()) => "a number",
            ValueKind::Number(_) => "a duration",
            ValueKind::Ident(i) if i == "true" || i == "false" => "a boolean",
            ValueKind::Ident(_) => "a name",
            ValueKind::Reference { .. } => "a reference",
            ValueKind::List(_) => "a list",
        }
    }
}
