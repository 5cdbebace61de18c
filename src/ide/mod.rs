//! What an editor asks of a unit, without IO: the names it defines and uses
//! (for go to definition, references, rename and the outline), completion at
//! a cursor, the language reference's line for a block or attribute, and
//! folding ranges, semantic tokens, and each diagnostic's fixes as edits.
//! `cli::lsp` turns these into the protocol.

mod complete;
mod docs;
mod fixes;
mod tokens;

pub use complete::{Completion, CompletionKind, complete, hover, word_start};
pub use docs::{attribute_doc, block_doc};
pub use fixes::{Action, actions};
pub use tokens::{TOKEN_MODIFIERS, TOKEN_TYPES, Token, TokenType, semantic_tokens};

use crate::LoweredFile;
use crate::parse::ast::{Block, Entry, StrPart, Value, ValueKind};
use crate::source::{FileId, SourceMap, Span};

/// The kinds of names that can be defined and referred to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Plugin,
    /// A server, within the plugin named by [`Symbol::container`].
    Server,
    Workspace,
    Policy,
    /// A `secret.NAME`: every use is a reference; the first is its place.
    Secret,
}

/// A name, where it is written (without quotes) and, for a definition, the
/// whole block.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    pub container: Option<String>,
    pub span: Span,
    /// The block, for definitions; `None` for references.
    pub block: Option<Span>,
}

/// Every definition and reference in a unit.
#[derive(Debug, Default)]
pub struct Index {
    pub symbols: Vec<Symbol>,
    /// Blocks and lists that span lines, for folding.
    pub folds: Vec<Span>,
    /// Files that did not parse (a keystroke in the middle of a word).
    pub unparsed: Vec<FileId>,
    /// The names such a file defined when it last parsed: still offered by
    /// [`Index::names`] (completion), never navigated to (their spans are
    /// stale).
    pub kept: Vec<Symbol>,
}

impl Index {
    /// Parses every file of `sources` (syntax errors are the compiler's to
    /// report; what parses is indexed).
    pub fn new(sources: &SourceMap) -> Index {
        let mut index = Index::default();
        for (id, file) in sources.files() {
            index.append(&Index::of_file(id, &file.text).0);
        }
        index
    }

    /// File `id` parsed once: its index, and its share of the unit lowered
    /// from the same parse (the language server keeps both per file text).
    /// A file that does not parse indexes nothing and is `unparsed`.
    pub fn of_file(id: FileId, text: &str) -> (Index, LoweredFile) {
        let mut index = Index::default();
        let lowered = LoweredFile::new(id, text, |block| index.block(text, block, None));
        if !lowered.parsed() {
            index = Index::default();
            index.unparsed.push(id);
        }
        (index, lowered)
    }

    /// Adds what `other` (another file's index) holds after this index's.
    pub fn append(&mut self, other: &Index) {
        self.symbols.extend_from_slice(&other.symbols);
        self.folds.extend_from_slice(&other.folds);
        self.unparsed.extend_from_slice(&other.unparsed);
        self.kept.extend_from_slice(&other.kept);
    }

    /// Keeps the names `previous` had for its file `was`, now `file` of
    /// this index, when `file` did not parse.
    pub fn keep_names(&mut self, file: FileId, previous: &Index, was: FileId) {
        if !self.unparsed.contains(&file) {
            return;
        }
        let old = previous.symbols.iter().chain(&previous.kept);
        for s in old.filter(|s| s.span.file == was) {
            let mut s = s.clone();
            s.span.file = file;
            self.kept.push(s);
        }
    }

    /// The name under `offset` of `file`.
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Symbol> {
        self.symbols.iter().find(|s| {
            s.span.file == file && s.span.start as usize <= offset && offset <= s.span.end as usize
        })
    }

    /// The definitions and references of the same name as `symbol`.
    pub fn same(&self, symbol: &Symbol) -> impl Iterator<Item = &Symbol> {
        self.symbols.iter().filter(move |s| {
            s.kind == symbol.kind && s.name == symbol.name && s.container == symbol.container
        })
    }

    /// Where `symbol` is defined: its definitions, or for a secret its
    /// first use.
    pub fn definition(&self, symbol: &Symbol) -> Vec<Span> {
        let defs: Vec<Span> = self
            .same(symbol)
            .filter(|s| s.block.is_some())
            .map(|s| s.span)
            .collect();
        if defs.is_empty() && symbol.kind == SymbolKind::Secret {
            return self.same(symbol).take(1).map(|s| s.span).collect();
        }
        defs
    }

    /// The names defined in the unit of `kind`, without repeats.
    pub fn names(&self, kind: SymbolKind, container: Option<&str>) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for s in self.symbols.iter().chain(&self.kept) {
            let defined = s.block.is_some() || kind == SymbolKind::Secret;
            if s.kind == kind
                && defined
                && (container.is_none() || s.container.as_deref() == container)
                && !names.contains(&s.name.as_str())
            {
                names.push(&s.name);
            }
        }
        names
    }

    fn block(&mut self, text: &str, block: &Block, plugin: Option<&str>) {
        if multiline(text, block.span) {
            self.folds.push(block.span);
        }
        let label = block
            .label
            .as_ref()
            .and_then(|l| l.as_name().map(|n| (n.to_owned(), inner(text, l.span))));
        let kind = match block.kind.text.as_str() {
            "plugin" => Some(SymbolKind::Plugin),
            "server" => Some(SymbolKind::Server),
            "workspace" => Some(SymbolKind::Workspace),
            "policy" => Some(SymbolKind::Policy),
            _ => None,
        };
        if let (Some(kind), Some((name, span))) = (kind, &label) {
            self.symbols.push(Symbol {
                kind,
                name: name.clone(),
                container: (kind == SymbolKind::Server)
                    .then(|| plugin.map(str::to_owned))
                    .flatten(),
                span: *span,
                block: Some(block.span),
            });
        }
        let plugin_name = match (block.kind.text.as_str(), &label) {
            ("plugin", Some((name, _))) => Some(name.as_str()),
            _ => plugin,
        };
        for entry in &block.entries {
            match entry {
                Entry::Block(inner_block) if block.kind.text == "target" => {
                    self.target_entry(text, inner_block, plugin_name);
                }
                Entry::Block(b) => self.block(text, b, plugin_name),
                Entry::Attribute(a) => {
                    let key = a.key.as_name().unwrap_or_default();
                    if block.kind.text == "workspace" && key == "plugins" {
                        self.names_in(text, &a.value, SymbolKind::Plugin);
                    }
                    self.value(text, &a.value);
                }
            }
        }
    }

    /// `server "name" { … }` in a `target` block: a reference to the
    /// plugin's server.
    fn target_entry(&mut self, text: &str, block: &Block, plugin: Option<&str>) {
        if multiline(text, block.span) {
            self.folds.push(block.span);
        }
        if block.kind.text == "server"
            && let Some(label) = &block.label
            && let Some(name) = label.as_name()
        {
            self.symbols.push(Symbol {
                kind: SymbolKind::Server,
                name: name.to_owned(),
                container: plugin.map(str::to_owned),
                span: inner(text, label.span),
                block: None,
            });
        }
        for entry in &block.entries {
            match entry {
                Entry::Block(b) => self.block(text, b, plugin),
                Entry::Attribute(a) => self.value(text, &a.value),
            }
        }
    }

    fn names_in(&mut self, text: &str, value: &Value, kind: SymbolKind) {
        let items = match &value.kind {
            ValueKind::List(items) => items.as_slice(),
            _ => std::slice::from_ref(value),
        };
        for item in items {
            if let Some(name) = item.as_name() {
                self.symbols.push(Symbol {
                    kind,
                    name: name.to_owned(),
                    container: None,
                    span: inner(text, item.span),
                    block: None,
                });
            }
        }
    }

    /// `secret.NAME` references and `${secret.NAME}` interpolations.
    fn value(&mut self, text: &str, value: &Value) {
        match &value.kind {
            ValueKind::Reference { namespace, name } if namespace.text == "secret" => {
                self.secret(&name.text, name.span);
            }
            ValueKind::Str(parts) => {
                for part in parts {
                    if let StrPart::Interpolation {
                        body, body_span, ..
                    } = part
                        && let Some(name) = body.strip_prefix("secret.")
                    {
                        let name: String = name
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        let start = body_span.start as usize + "secret.".len();
                        if text.get(start..start + name.len()) == Some(name.as_str()) {
                            let span = Span::new(body_span.file, start, start + name.len());
                            self.secret(&name, span);
                        }
                    }
                }
            }
            ValueKind::List(items) => {
                if multiline(text, value.span) {
                    self.folds.push(value.span);
                }
                for item in items {
                    self.value(text, item);
                }
            }
            _ => {}
        }
    }

    fn secret(&mut self, name: &str, span: Span) {
        self.symbols.push(Symbol {
            kind: SymbolKind::Secret,
            name: name.to_owned(),
            container: None,
            span,
            block: None,
        });
    }
}

/// The span of a name without its quotes.
pub fn unquoted(text: &str, span: Span) -> Span {
    inner(text, span)
}

/// Whether `name` can name a plugin, server, workspace or policy.
pub fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether `name` can follow `secret.` (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_reference_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn inner(text: &str, span: Span) -> Span {
    let slice = text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    if slice.len() >= 2 && slice.starts_with('"') && slice.ends_with('"') {
        Span::new(span.file, span.start as usize + 1, span.end as usize - 1)
    } else {
        span
    }
}

fn multiline(text: &str, span: Span) -> bool {
    text.get(span.start as usize..span.end as usize)
        .is_some_and(|s| s.contains('\n'))
}

#[cfg(test)]
mod tests;
