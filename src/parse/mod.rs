//! Text to syntax tree. The only module that knows pest: no pest type leaves
//! it (ARCHITECTURE.md, invariant 1).

pub mod ast;
pub mod depth;
mod syntax_error;

use crate::diag::{Code, Diagnostic, Sink};
use crate::source::{FileId, Span};
use ast::{Attribute, Block, Entry, Name, StrPart, Value, ValueKind};
use pest::Parser as _;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/mcpc.pest"]
struct Grammar;

/// Parses one file. A syntax error is reported (one per file) and gives no
/// blocks; bad escapes are reported and parsing carries on. A file nested
/// deeper than [`depth::MAX_DEPTH`] is reported and not parsed.
pub fn parse_file(file: FileId, text: &str, sink: &mut Sink) -> Vec<Block> {
    if let Some(too_deep) = depth::check(file, text) {
        sink.push(too_deep);
        return Vec::new();
    }
    match Grammar::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let file_pair = pairs.next().expect("the file rule always produces a pair");
            let cx = Cx { file };
            file_pair
                .into_inner()
                .filter(|p| p.as_rule() == Rule::block)
                .map(|p| cx.block(p, sink))
                .collect()
        }
        Err(error) => {
            sink.push(syntax_error::describe(file, text, &error));
            Vec::new()
        }
    }
}

struct Cx {
    file: FileId,
}

impl Cx {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn name(&self, pair: Pair<'_, Rule>) -> Name {
        Name {
            span: self.span(&pair),
            text: pair.as_str().to_owned(),
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
            Rule::number => ValueKind::Number(pair.as_str().to_owned()),
            Rule::ident => ValueKind::Ident(pair.as_str().to_owned()),
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

    fn string(&self, pair: Pair<'_, Rule>, sink: &mut Sink) -> Vec<StrPart> {
        let mut parts: Vec<StrPart> = Vec::new();
        let push_text = |parts: &mut Vec<StrPart>, text: &str| match parts.last_mut() {
            Some(StrPart::Text(last)) => last.push_str(text),
            _ => parts.push(StrPart::Text(text.to_owned())),
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
                        body: body.as_str().to_owned(),
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
