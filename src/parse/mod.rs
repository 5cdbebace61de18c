//! Text to syntax tree. The only module that knows pest: no pest type leaves
//! it (ARCHITECTURE.md, invariant 1).

pub mod ast;
pub mod depth;
mod fast;
mod syntax_error;

use crate::diag::{Code, Diagnostic, Sink};
use crate::source::{FileId, Span};
use ast::{Attribute, Block, Entry, Name, StrPart, StrParts, Text, Value, ValueKind};
use pest::Parser as _;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mcpc.pest"]
struct Grammar;

/// Parses one file. A syntax error is reported (one per file) and gives no
/// blocks; bad escapes are reported and parsing carries on. A file nested
/// deeper than [`depth::MAX_DEPTH`] is reported and not parsed.
pub fn parse_file(file: FileId, text: &str, sink: &mut Sink) -> Vec<Block> {
    let mut local = Sink::new();
    let mut blocks = Vec::new();
    match parse_each(file, text, &mut local, |block, _| blocks.push(block)) {
        Ok(()) => {
            sink.append(local);
            blocks
        }
        Err(error) => {
            sink.push(*error);
            Vec::new()
        }
    }
}

/// Parses one file a top-level block at a time, handing each block to
/// `each` as soon as it is parsed. A valid block is read by [`fast`];
/// whatever it gives up on goes to pest, block by block, so that pest's
/// token queue never holds more than one block, and a block longer than
/// [`SPLIT_ABOVE`] (a plugin with thousands of servers or overrides) is
/// parsed in pieces of about [`PIECE`] bytes (at 100,000 servers the whole
/// file's queue was the compiler's memory peak).
///
/// On a syntax error the whole file is parsed again, only to explain the
/// error exactly as a whole-file parse does, and the error is returned;
/// blocks already handed over (and diagnostics pushed for them) must then
/// be dropped by the caller: a file with a syntax error gives no blocks.
pub fn parse_each(
    file: FileId,
    text: &str,
    sink: &mut Sink,
    each: impl FnMut(Block, &mut Sink),
) -> Result<(), Box<Diagnostic>> {
    parse_in_pieces(file, text, sink, Pieces::default(), each)
}

/// The top-level blocks of `text` ([`top_level_blocks`]) in at most `runs`
/// runs of about equal bytes, in order, for [`read_run`] to read side by
/// side.
pub fn runs(text: &str, runs: usize) -> Vec<Vec<(usize, usize)>> {
    let cuts = top_level_blocks(text);
    let share = text.len().div_ceil(runs.max(1)).max(1);
    let mut out: Vec<Vec<(usize, usize)>> = Vec::new();
    for cut in cuts {
        match out.last_mut() {
            Some(run) if run[0].0 / share == cut.0 / share => run.push(cut),
            _ => out.push(vec![cut]),
        }
    }
    out
}

/// The blocks of `run` (one of [`runs`]), each handed to `each` as the
/// fast reader reads it; `None` at the first piece it does not read whole
/// (then [`parse_each`] the file, which explains what is wrong, and drop
/// what `each` was given).
pub fn read_run(
    file: FileId,
    text: &str,
    run: &[(usize, usize)],
    mut each: impl FnMut(Block),
) -> Option<()> {
    for &(start, end) in run {
        fast::file(file, &text[start..end], start)?
            .into_iter()
            .for_each(&mut each);
    }
    Some(())
}

/// Top-level blocks longer than this many bytes are parsed in pieces.
const SPLIT_ABOVE: usize = 64 * 1024;
/// About how many bytes of a large block's entries one pest parse takes.
const PIECE: usize = 32 * 1024;

/// How [`parse_in_pieces`] parses: each top-level block by [`fast`] first
/// (`fast`), then with pest, cutting blocks longer than `split_above`
/// bytes into pieces of about `piece`; in tests, pest alone and cutting
/// everywhere.
#[derive(Clone, Copy)]
struct Pieces {
    fast: bool,
    split_above: usize,
    piece: usize,
}

impl Default for Pieces {
    fn default() -> Pieces {
        Pieces {
            fast: true,
            split_above: SPLIT_ABOVE,
            piece: PIECE,
        }
    }
}

fn parse_in_pieces(
    file: FileId,
    text: &str,
    sink: &mut Sink,
    pieces: Pieces,
    mut each: impl FnMut(Block, &mut Sink),
) -> Result<(), Box<Diagnostic>> {
    // The fast reader gives up past the nesting limit, so the file's
    // nesting is checked once, before pest reads any of it (pest and what
    // follows it recurse).
    let mut nesting_checked = false;
    for (start, end) in top_level_blocks(text) {
        if pieces.fast
            && let Some(blocks) = fast::file(file, &text[start..end], start)
        {
            for block in blocks {
                each(block, sink);
            }
            continue;
        }
        if !std::mem::replace(&mut nesting_checked, true)
            && let Some(too_deep) = depth::check(file, text)
        {
            return Err(Box::new(too_deep));
        }
        if end - start > pieces.split_above {
            // Diagnostics of a split that fails are dropped with it: the
            // block is parsed whole below and reports them again.
            let mut local = Sink::new();
            if let Some(block) = split_block(file, text, (start, end), pieces.piece, &mut local) {
                sink.append(local);
                each(block, sink);
                continue;
            }
        }
        match Grammar::parse(Rule::file, &text[start..end]) {
            Ok(mut pairs) => {
                let cx = Cx { file, base: start };
                let file_pair = pairs.next().expect("the file rule always produces a pair");
                for p in file_pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::block)
                {
                    let block = cx.block(p, sink);
                    each(block, sink);
                }
            }
            Err(_) => {
                return match Grammar::parse(Rule::file, text) {
                    Err(error) => Err(Box::new(syntax_error::describe(file, text, &error))),
                    // Not reached when the split below is right (it keeps
                    // every cut between two top-level blocks); if it is
                    // not, the whole parse gives the rest of the blocks.
                    Ok(mut pairs) => {
                        let cx = Cx { file, base: 0 };
                        let file_pair = pairs.next().expect("the file rule always produces a pair");
                        for p in file_pair
                            .into_inner()
                            .filter(|p| p.as_rule() == Rule::block && p.as_span().start() >= start)
                        {
                            let block = cx.block(p, sink);
                            each(block, sink);
                        }
                        Ok(())
                    }
                };
            }
        }
    }
    Ok(())
}

/// The braces of `bytes` outside strings (with escapes) and comments, as
/// the grammar reads them, with their offsets.
struct Braces<'a> {
    bytes: &'a [u8],
    i: usize,
}

impl Iterator for Braces<'_> {
    type Item = (usize, u8);

    fn next(&mut self) -> Option<(usize, u8)> {
        let bytes = self.bytes;
        while self.i < bytes.len() {
            let i = self.i;
            self.i += 1;
            match bytes[i] {
                b'"' => {
                    while self.i < bytes.len() && !matches!(bytes[self.i], b'"' | b'\n') {
                        self.i += if bytes[self.i] == b'\\' { 2 } else { 1 };
                    }
                    self.i += 1;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while self.i < bytes.len() && bytes[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    self.i += 1;
                    while self.i < bytes.len() && !bytes[self.i..].starts_with(b"*/") {
                        self.i += 1;
                    }
                    self.i += 2;
                }
                b @ (b'{' | b'}') => return Some((i, b)),
                _ => {}
            }
        }
        None
    }
}

fn braces(text: &str) -> Braces<'_> {
    Braces {
        bytes: text.as_bytes(),
        i: 0,
    }
}

/// Cuts `text` after each `}` that closes a top-level block ([`Braces`]:
/// a brace inside a string or comment does not count). The pieces cover
/// the text; each piece of a valid file is a sequence of whole blocks.
/// Anything odd (an unclosed string or comment, a stray `}`) only makes a
/// piece that does not parse, and then the whole file is parsed to
/// explain it.
fn top_level_blocks(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = Vec::new();
    let (mut start, mut depth) = (0, 0usize);
    for (i, brace) in braces(text) {
        if brace == b'{' {
            depth += 1;
        } else if depth > 0 {
            depth -= 1;
            if depth == 0 {
                cuts.push((start, i + 1));
                start = i + 1;
            }
        }
    }
    if start < text.len() || cuts.is_empty() {
        cuts.push((start, text.len()));
    }
    cuts
}

/// The one block of `text[start..end]` (a piece of [`top_level_blocks`]),
/// parsed in pieces: its head (`plugin "p" {`), runs of its entries of
/// about `piece` bytes, each but the last ending with an entry block's `}`,
/// and its own `}`. Each piece is a whole number of the grammar's entries,
/// and an entry ends at its `}` without looking further, so the pieces
/// parse exactly as the block does; `None` when one does not parse (the
/// caller then parses the block whole, to the same tree or the error).
fn split_block(
    file: FileId,
    text: &str,
    (start, end): (usize, usize),
    piece: usize,
    sink: &mut Sink,
) -> Option<Block> {
    let block = &text[start..end];
    let mut found = braces(block);
    let (open, b'{') = found.next()? else {
        return None;
    };
    let mut runs = Vec::new();
    let (mut from, mut depth) = (open + 1, 1usize);
    for (i, brace) in found {
        if brace == b'{' {
            depth += 1;
            continue;
        }
        depth -= 1;
        match depth {
            0 if i + 1 == block.len() => runs.push((from, i, true)),
            0 => return None,
            1 if i + 1 - from >= piece => {
                runs.push((from, i + 1, false));
                from = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    let head = Grammar::parse(Rule::block_head, &block[..=open]).ok()?;
    let cx = Cx { file, base: start };
    let mut head = head.into_iter().next()?.into_inner();
    let kind = cx.name(head.next()?);
    let label = head
        .find(|p| matches!(p.as_rule(), Rule::string | Rule::ident))
        .map(|p| cx.value(p, sink));
    let mut entries = Vec::new();
    for (from, to, last) in runs {
        let pairs = Grammar::parse(Rule::block_entries, &block[from..to]).ok()?;
        let cx = Cx {
            file,
            base: start + from,
        };
        let mut run_end = 0;
        for p in pairs.into_iter().next()?.into_inner() {
            let at = p.as_span().end();
            let entry = match p.as_rule() {
                Rule::attribute => Entry::Attribute(cx.attribute(p, sink)),
                Rule::block => Entry::Block(cx.block(p, sink)),
                _ => continue, // the end of the input
            };
            run_end = at;
            entries.push(entry);
        }
        // A run but the last ends with an entry block's `}` (checked, not
        // assumed: the cut is only where the scan saw one).
        if !last && run_end != to - from {
            return None;
        }
    }
    Some(Block {
        span: Span::new(file, kind.span.start as usize, end),
        kind,
        label,
        entries,
    })
}

struct Cx {
    file: FileId,
    /// Where the text being parsed starts in the file.
    base: usize,
}

impl Cx {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            span: self.span(&pair),
            text: Text::from(pair.as_str()),
        }
    }

    fn block(&self, pair: Pair<'_, Rule>, sink: &mut Sink) -> Block {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let kind = self.name(inner.next().expect("a block starts with its kind"));
        let mut label = None;
        let mut entries = Vec::new();
        for p in inner {
            match p.as_rule() {
                Rule::string | Rule::ident => label = Some(self.value(p, sink)),
                Rule::attribute => entries.push(Entry::Attribute(self.attribute(p, sink))),
                Rule::block => entries.push(Entry::Block(self.block(p, sink))),
                _ => {} // braces
            }
        }
        Block {
            kind,
            label,
            entries,
            span,
        }
    }

    fn attribute(&self, pair: Pair<'_, Rule>, sink: &mut Sink) -> Attribute {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::eq);
        let key = self.value(inner.next().expect("an attribute has a key"), sink);
        let value = self.value(inner.next().expect("an attribute has a value"), sink);
        Attribute { key, value, span }
    }

    fn value(&self, pair: Pair<'_, Rule>, sink: &mut Sink) -> Value {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => ValueKind::Str(self.string(pair, sink)),
            Rule::number => ValueKind::Number(Text::from(pair.as_str())),
            Rule::ident => ValueKind::Ident(Text::from(pair.as_str())),
            Rule::reference => {
                let mut inner = pair.into_inner();
                let namespace = self.name(inner.next().expect("namespace"));
                let name = self.name(inner.next().expect("name"));
                ValueKind::Reference { namespace, name }
            }
            Rule::list => ValueKind::List(
                pair.into_inner()
                    .filter(|p| {
                        !matches!(p.as_rule(), Rule::lbracket | Rule::rbracket | Rule::comma)
                    })
                    .map(|p| self.value(p, sink))
                    .collect(),
            ),
            rule => unreachable!("the grammar gives no value of rule {rule:?}"),
        };
        Value { kind, span }
    }

    fn string(&self, pair: Pair<'_, Rule>, sink: &mut Sink) -> StrParts {
        let mut parts = StrParts::new();
        let push_text = |parts: &mut StrParts, text: &str| match parts.last_mut() {
            Some(StrPart::Text(last)) => last.push_str(text),
            _ => parts.push(StrPart::Text(Text::from(text))),
        };
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::text => push_text(&mut parts, p.as_str()),
                Rule::escape => match unescape(p.as_str()) {
                    Some(c) => push_text(&mut parts, c.encode_utf8(&mut [0; 4])),
                    None => sink.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            self.span(&p),
                            format!("`{}` is not a Unicode scalar value", p.as_str()),
                        )
                        .with_label("invalid escape")
                        .with_help("use a code point in 0..=D7FF or E000..=10FFFF"),
                    ),
                },
                Rule::interpolation => {
                    let span = self.span(&p);
                    let body = p
                        .into_inner()
                        .find(|i| i.as_rule() == Rule::interp_body)
                        .expect("an interpolation has a body");
                    parts.push(StrPart::Interpolation {
                        body: Text::from(body.as_str()),
                        span,
                        body_span: self.span(&body),
                    });
                }
                _ => {} // quotes
            }
        }
        parts
    }
}

fn unescape(escape: &str) -> Option<char> {
    Some(match &escape[1..] {
        "\\" => '\\',
        "\"" => '"',
        "n" => '\n',
        "r" => '\r',
        "t" => '\t',
        "$" => '$',
        hex => {
            let digits = hex.strip_prefix("u{")?.strip_suffix('}')?;
            char::from_u32(u32::from_str_radix(digits, 16).ok()?)?
        }
    })
}

#[cfg(test)]
mod tests;
