//! The grammar's valid texts, read without pest: a recursive-descent
//! reader of `grammar/mcpc.pest` that builds the same tree as the pest
//! parse does ([`super::Cx`]), and gives up (`None`) at the first thing it
//! does not accept. It never reports: anything it gives up on — a syntax
//! error, or an escape that is not a Unicode scalar value and so needs a
//! diagnostic — is parsed again by pest, which explains it. So it only has
//! to be right on what it accepts; `tests.rs` compares it with pest on
//! every golden case, example and fuzz regression, each also mutated.
//!
//! Pest's queue of tokens, its rule calls and error tracking were a third
//! of a build's time at scale; this reads each byte about once.

use super::ast::{Attribute, Block, Entry, Name, StrPart, StrParts, Text, Value, ValueKind};
use super::depth::MAX_DEPTH;
use crate::source::{FileId, Span};

/// The blocks of `text` (a whole file, or a piece of one at `base`), as
/// the grammar's `file` rule reads them; `None` where pest must decide.
pub(super) fn file(file: FileId, text: &str, base: usize) -> Option<Vec<Block>> {
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        i: 0,
        file,
        base,
        depth: 0,
    };
    let mut blocks = Vec::new();
    loop {
        r.skip()?;
        if r.i == r.bytes.len() {
            return Some(blocks);
        }
        let kind = r.name()?;
        blocks.push(r.block(kind)?);
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    file: FileId,
    base: usize,
    /// Blocks and lists open, together: past [`MAX_DEPTH`] the reader
    /// gives up, and the caller's `depth::check` reports the nesting.
    depth: usize,
}

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, self.base + start, self.base + end)
    }

    /// Whitespace and comments (the grammar's implicit `WHITESPACE` and
    /// `COMMENT`); `None` at a block comment that is never closed.
    fn skip(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                Some(0xEF) if self.bytes[self.i..].starts_with("\u{FEFF}".as_bytes()) => {
                    self.i += 3
                }
                Some(b'/') if self.at(self.i + 1) == Some(b'/') => {
                    let rest = &self.bytes[self.i..];
                    self.i += rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
                }
                Some(b'/') if self.at(self.i + 1) == Some(b'*') => {
                    let body = &self.bytes[self.i + 2..];
                    let close = body.windows(2).position(|w| w == b"*/")?;
                    self.i += 2 + close + 2;
                }
                _ => return Some(()),
            }
        }
    }

    /// One more block or list open; `None` past [`MAX_DEPTH`].
    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// `ident`: where it starts and ends.
    fn ident(&mut self) -> Option<(usize, usize)> {
        let start = self.i;
        if !ident_start(self.peek()?) {
            return None;
        }
        self.i += 1;
        while self.peek().is_some_and(ident_char) {
            self.i += 1;
        }
        Some((start, self.i))
    }

    fn name(&mut self) -> Option<Name> {
        let (start, end) = self.ident()?;
        Some(Name {
            text: Text::from(&self.text[start..end]),
            span: self.span(start, end),
        })
    }

    /// `block`, from after its kind: `(string | ident)? { (attribute | block)* }`.
    /// Nested blocks are kept on a stack of their own, not by recursion,
    /// so that the deepest accepted file needs no more of the thread's
    /// stack than a flat one (`depth.rs`).
    fn block(&mut self, kind: Name) -> Option<Block> {
        let mut open = Vec::new();
        let mut block = self.open(kind)?;
        loop {
            self.skip()?;
            match self.peek()? {
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    block.span = self.span(block.span.start as usize - self.base, self.i);
                    match open.pop() {
                        None => return Some(block),
                        Some(mut parent) => {
                            std::mem::swap(&mut parent, &mut block);
                            block.entries.push(Entry::Block(parent));
                        }
                    }
                }
                b'"' => {
                    let key = self.string()?;
                    block.entries.push(Entry::Attribute(self.attribute(key)?));
                }
                _ => {
                    let name = self.name()?;
                    let at = self.i;
                    self.skip()?;
                    if self.peek() == Some(b'=') {
                        let key = Value {
                            kind: ValueKind::Ident(name.text),
                            span: name.span,
                        };
                        block.entries.push(Entry::Attribute(self.attribute(key)?));
                    } else {
                        self.i = at;
                        let inner = self.open(name)?;
                        open.push(std::mem::replace(&mut block, inner));
                    }
                }
            }
        }
    }

    /// A block's optional label and its `{`: the block, its entries and
    /// its end still to come (its span starts at its kind).
    fn open(&mut self, kind: Name) -> Option<Block> {
        let label = self.label()?;
        Some(Block {
            span: kind.span,
            kind,
            label,
            entries: Vec::new(),
        })
    }

    /// A block's optional label and its `{`.
    fn label(&mut self) -> Option<Option<Value>> {
        self.skip()?;
        let label = match self.peek()? {
            b'"' => Some(self.string()?),
            b if ident_start(b) => {
                let (s, e) = self.ident()?;
                Some(Value {
                    kind: ValueKind::Ident(Text::from(&self.text[s..e])),
                    span: self.span(s, e),
                })
            }
            _ => None,
        };
        self.skip()?;
        if self.peek()? != b'{' {
            return None;
        }
        self.i += 1;
        self.deeper()?;
        Some(label)
    }

    /// `attribute`, from after its key: `= value`.
    fn attribute(&mut self, key: Value) -> Option<Attribute> {
        self.skip()?;
        if self.peek()? != b'=' {
            return None;
        }
        self.i += 1;
        self.skip()?;
        let value = self.value()?;
        Some(Attribute {
            span: Span::new(self.file, key.span.start as usize, value.span.end as usize),
            key,
            value,
        })
    }

    /// `value`: a list, string, number, reference or identifier, told
    /// apart by the first byte as the grammar's ordered choice does. It is
    /// the recursion for nested lists, so what is not a list is read by
    /// [`Reader::scalar`], off its stack frame.
    fn value(&mut self) -> Option<Value> {
        if self.peek()? != b'[' {
            return self.scalar();
        }
        let start = self.i;
        self.i += 1;
        self.deeper()?;
        let mut items = Vec::new();
        self.skip()?;
        if self.peek()? != b']' {
            loop {
                items.push(self.value()?);
                self.skip()?;
                match self.peek()? {
                    b']' => break,
                    b',' => {
                        self.i += 1;
                        self.skip()?;
                        if self.peek()? == b']' {
                            break;
                        }
                    }
                    _ => return None,
                }
            }
        }
        self.i += 1;
        self.depth -= 1;
        Some(Value {
            kind: ValueKind::List(items),
            span: self.span(start, self.i),
        })
    }

    /// A string, number, reference or identifier.
    #[inline(never)]
    fn scalar(&mut self) -> Option<Value> {
        let start = self.i;
        let kind = match self.peek()? {
            b'"' => return self.string(),
            b if b.is_ascii_digit() => {
                let digits = |r: &mut Self| {
                    while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                        r.i += 1;
                    }
                };
                digits(self);
                while self.peek() == Some(b'.')
                    && self.at(self.i + 1).is_some_and(|b| b.is_ascii_digit())
                {
                    self.i += 1;
                    digits(self);
                }
                while self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                    self.i += 1;
                }
                ValueKind::Number(Text::from(&self.text[start..self.i]))
            }
            _ => {
                let (s, e) = self.ident()?;
                if self.peek() == Some(b'.') && self.at(e + 1).is_some_and(ident_start) {
                    let namespace = Name {
                        text: Text::from(&self.text[s..e]),
                        span: self.span(s, e),
                    };
                    self.i += 1;
                    let name = self.name()?;
                    ValueKind::Reference { namespace, name }
                } else {
                    ValueKind::Ident(Text::from(&self.text[s..e]))
                }
            }
        };
        Some(Value {
            kind,
            span: self.span(start, self.i),
        })
    }

    /// `string`: text and escapes decoded into one part, interpolations
    /// kept apart.
    fn string(&mut self) -> Option<Value> {
        let start = self.i;
        self.i += 1;
        let mut parts = StrParts::new();
        let push = |parts: &mut StrParts, text: &str| match parts.last_mut() {
            Some(StrPart::Text(last)) => last.push_str(text),
            _ => parts.push(StrPart::Text(Text::from(text))),
        };
        loop {
            match self.peek()? {
                b'"' => break,
                b'\n' | b'\r' => return None,
                b'\\' => {
                    let c = self.escape()?;
                    push(&mut parts, c.encode_utf8(&mut [0; 4]));
                }
                b'$' => {
                    if self.at(self.i + 1) != Some(b'{') {
                        return None;
                    }
                    let from = self.i;
                    let body_start = self.i + 2;
                    let len = self.bytes[body_start..]
                        .iter()
                        .position(|&b| matches!(b, b'}' | b'"' | b'\n'))?;
                    let body_end = body_start + len;
                    if self.bytes[body_end] != b'}' {
                        return None;
                    }
                    self.i = body_end + 1;
                    parts.push(StrPart::Interpolation {
                        body: Text::from(&self.text[body_start..body_end]),
                        span: self.span(from, self.i),
                        body_span: self.span(body_start, body_end),
                    });
                }
                _ => {
                    let from = self.i;
                    let rest = &self.bytes[from..];
                    let len = rest
                        .iter()
                        .position(|&b| matches!(b, b'"' | b'\\' | b'$' | b'\n' | b'\r'))
                        .unwrap_or(rest.len());
                    self.i += len;
                    push(&mut parts, &self.text[from..self.i]);
                }
            }
        }
        self.i += 1;
        Some(Value {
            kind: ValueKind::Str(parts),
            span: self.span(start, self.i),
        })
    }

    /// `escape`, decoded; `None` for a malformed one, or a `\u{…}` that is
    /// no Unicode scalar value (pest's parse reports it).
    fn escape(&mut self) -> Option<char> {
        let c = match self.at(self.i + 1)? {
            b'\\' => '\\',
            b'"' => '"',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'$' => '$',
            b'u' if self.at(self.i + 2) == Some(b'{') => {
                let from = self.i + 3;
                let digits = self.bytes[from..]
                    .iter()
                    .take(6)
                    .take_while(|b| b.is_ascii_hexdigit())
                    .count();
                if digits == 0 || self.at(from + digits) != Some(b'}') {
                    return None;
                }
                let code = u32::from_str_radix(&self.text[from..from + digits], 16).ok()?;
                self.i = from + digits + 1;
                return char::from_u32(code);
            }
            _ => return None,
        };
        self.i += 2;
        Some(c)
    }
}
