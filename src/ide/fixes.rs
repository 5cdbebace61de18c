//! A diagnostic's fixes as titled text edits: the did-you-mean names and
//! the fixes a stage attached ([`Fix`]), plus those read from the source at
//! the diagnostic's span, whatever check reported it — replace a literal
//! secret with a `secret.` reference (`plaintext-secret`), pin a package to
//! a version the unit or the range already names (`unpinned-package`), and
//! a `targets` list that leaves out a runtime that cannot express the
//! server (`unsupported-feature`, `lossy-lowering`). No IO: the CLI and the
//! language server both use it. Edits never hold a secret's value.

use crate::Target;
use crate::diag::{Code, Diagnostic, Edit, Fix};
use crate::parse::ast::{Attribute, Block, Entry, StrPart, Value, ValueKind};
use crate::source::{FileId, SourceMap, Span};

/// A fix as an editor applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub edits: Vec<Edit>,
}

/// The fixes of `diagnostic` against `sources` (unmasked: the unit the
/// diagnostic was found in).
pub fn actions(sources: &SourceMap, diagnostic: &Diagnostic) -> Vec<Action> {
    let span = diagnostic.primary.span;
    let file = Parsed::new(sources, span.file);
    let mut out = Vec::new();
    for fix in &diagnostic.fixes {
        let action = match fix {
            Fix::Name { span, name } => Some(Action {
                title: format!("Change to `{name}`"),
                edits: vec![Edit {
                    span: super::unquoted(&sources.get(span.file).text, *span),
                    text: name.clone(),
                }],
            }),
            Fix::LeaveOut { target } => file.as_ref().and_then(|f| f.leave_out(span, *target)),
            Fix::Edit { title, edits } => Some(Action {
                title: title.clone(),
                edits: edits.clone(),
            }),
        };
        out.extend(action.filter(|a| !out.contains(a)));
    }
    let Some(file) = file else { return out };
    let derived = match diagnostic.code {
        Code::PlaintextSecret => file.secret(span),
        Code::UnpinnedPackage => file.pin(span, sources),
        _ => None,
    };
    out.extend(derived.filter(|a| !out.contains(a)));
    out
}

/// One file's text and syntax tree.
struct Parsed<'a> {
    id: FileId,
    text: &'a str,
    blocks: Vec<Block>,
}

/// A value found at a span, with what holds it.
struct Found<'b> {
    /// The blocks around it, outermost first.
    chain: Vec<&'b Block>,
    attribute: &'b Attribute,
    value: &'b Value,
}

impl<'a> Parsed<'a> {
    fn new(sources: &'a SourceMap, id: FileId) -> Option<Parsed<'a>> {
        if id.0 as usize >= sources.files().count() {
            return None;
        }
        let file = sources.get(id);
        let mut sink = crate::diag::Sink::new();
        let blocks = crate::parse::parse_file(id, &file.text, &mut sink);
        Some(Parsed {
            id,
            text: &file.text,
            blocks,
        })
    }

    /// The blocks containing `span`, outermost first.
    fn chain(&self, span: Span) -> Vec<&Block> {
        let mut chain = Vec::new();
        let mut level: Vec<&Block> = self.blocks.iter().collect();
        while let Some(block) = level.into_iter().find(|b| contains(b.span, span)) {
            chain.push(block);
            level = block
                .entries
                .iter()
                .filter_map(|e| match e {
                    Entry::Block(b) => Some(b),
                    Entry::Attribute(_) => None,
                })
                .collect();
        }
        chain
    }

    /// The innermost value containing `span`, and its attribute.
    fn value(&self, span: Span) -> Option<Found<'_>> {
        let chain = self.chain(span);
        let attribute = chain.last()?.entries.iter().find_map(|e| match e {
            Entry::Attribute(a) if contains(a.value.span, span) => Some(a),
            _ => None,
        })?;
        let mut value = &attribute.value;
        while let ValueKind::List(items) = &value.kind {
            match items.iter().find(|v| contains(v.span, span)) {
                Some(item) => value = item,
                None => break,
            }
        }
        Some(Found {
            chain,
            attribute,
            value,
        })
    }

    fn slice(&self, span: Span) -> &'a str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// `plaintext-secret`: the literal becomes a `secret.` reference. A
    /// span inside a string is replaced by `${secret.NAME}`; a whole value
    /// keeps a `Bearer ` prefix, or gives up just its token-shaped word, or
    /// becomes `secret.NAME`.
    fn secret(&self, span: Span) -> Option<Action> {
        let found = self.value(span)?;
        let value = found.value;
        let ValueKind::Str(parts) = &value.kind else {
            return None;
        };
        let block = found.chain.last().map_or("", |b| b.kind.text.as_str());
        let key = found.attribute.key.as_name().unwrap_or_default();
        let keyed = matches!(block, "env" | "headers");
        let name = |token: Option<&str>| match (keyed, token) {
            (true, _) => reference_name(key),
            (false, Some(t)) => token_name(t).to_owned(),
            (false, None) => "SECRET".to_owned(),
        };
        let raw = self.slice(value.span);
        let edit = |start: usize, len: usize, text: String| Edit {
            span: Span::new(self.id, start, start + len),
            text,
        };
        let (edit, name) = if span.start > value.span.start && span.end < value.span.end {
            let name = name(Some(self.slice(span)));
            (
                edit(
                    span.start as usize,
                    span.len(),
                    format!("${{secret.{name}}}"),
                ),
                name,
            )
        } else if span == value.span {
            let literal: String = parts
                .iter()
                .map(|p| match p {
                    StrPart::Text(t) => t.as_str(),
                    StrPart::Interpolation { .. } => "",
                })
                .collect();
            let bearer = ["Bearer ", "bearer "]
                .into_iter()
                .find(|p| literal.starts_with(p) && raw.starts_with(&format!("\"{p}")));
            let start = value.span.start as usize;
            if let Some(prefix) = bearer {
                let name = name(None);
                let text = format!("\"{prefix}${{secret.{name}}}\"");
                (edit(start, raw.len(), text), name)
            } else if let Some((at, word)) =
                token_word(raw).filter(|(_, w)| w.len() + 2 < raw.len())
            {
                let name = name(Some(word));
                (
                    edit(start + at, word.len(), format!("${{secret.{name}}}")),
                    name,
                )
            } else {
                let name = name(token_word(raw).map(|(_, w)| w));
                (edit(start, raw.len(), format!("secret.{name}")), name)
            }
        } else {
            return None;
        };
        Some(Action {
            title: format!("Reference `secret.{name}` instead of the literal"),
            edits: vec![edit],
        })
    }

    /// `unpinned-package`: the package at `span` pinned to the exact
    /// version its range starts at, or to the version the same package has
    /// elsewhere in the unit. Without one there is no fix: a version is not
    /// made up.
    fn pin(&self, span: Span, sources: &SourceMap) -> Option<Action> {
        let found = self.value(span)?;
        let server = found.chain.last()?;
        let command = attribute(server, "command")?.as_name()?;
        let program = command.rsplit('/').next().unwrap_or(command);
        let ecosystem = match program {
            "npx" | "bunx" | "pnpm" | "yarn" => Ecosystem::Npm,
            "uvx" | "uv" | "pipx" => Ecosystem::Python,
            "docker" | "podman" => Ecosystem::Container,
            _ => return None,
        };
        let spec = found.value.as_name()?;
        let raw = self.slice(found.value.span);
        if raw != format!("\"{spec}\"") {
            return None;
        }
        let (name, version) = ecosystem.split(spec);
        let version = version
            .and_then(base_version)
            .or_else(|| pinned_elsewhere(sources, ecosystem, name))?;
        let pinned = ecosystem.join(name, &version);
        Some(Action {
            title: format!("Pin `{name}` to `{version}`"),
            edits: vec![Edit {
                span: super::unquoted(self.text, found.value.span),
                text: pinned,
            }],
        })
    }

    /// `targets` for the server at `span` (or its plugin, when the span
    /// is not in a server) without `target`.
    fn leave_out(&self, span: Span, target: Target) -> Option<Action> {
        let chain = self.chain(span);
        let plugin = *chain.iter().find(|b| b.kind.text == "plugin")?;
        let inner = chain.last()?;
        let server = match chain.iter().rposition(|b| b.kind.text == "server") {
            Some(i) if i > 0 && chain[i - 1].kind.text == "target" => {
                let name = chain[i].label.as_ref()?.as_name()?;
                Some(plugin.entries.iter().find_map(|e| match e {
                    Entry::Block(b)
                        if b.kind.text == "server"
                            && b.label.as_ref().and_then(Value::as_name) == Some(name) =>
                    {
                        Some(b)
                    }
                    _ => None,
                })?)
            }
            Some(i) => Some(chain[i]),
            None if std::ptr::eq(*inner, plugin) => None,
            None => return None,
        };
        let owner = server.unwrap_or(plugin);
        let current = targets_of(owner)
            .or_else(|| server.and_then(|_| targets_of(plugin)))
            .unwrap_or_else(|| Target::ALL.to_vec());
        if !current.contains(&target) {
            return None;
        }
        let kept: Vec<String> = current
            .iter()
            .filter(|&&t| t != target)
            .map(|t| format!("\"{}\"", t.name()))
            .collect();
        if kept.is_empty() {
            return None;
        }
        let list = format!("[{}]", kept.join(", "));
        let edit = match attribute(owner, "targets") {
            Some(existing) => Edit {
                span: existing.span,
                text: list,
            },
            None => self.insert(owner, &format!("targets = {list}"))?,
        };
        let what = match server {
            Some(s) => format!("server `{}`", s.label.as_ref()?.as_name()?),
            None => format!("plugin `{}`", plugin.label.as_ref()?.as_name()?),
        };
        Some(Action {
            title: format!("Build {what} without {target} (`targets`)"),
            edits: vec![edit],
        })
    }

    /// An edit putting `line` first in `block`: on a line of its own,
    /// indented as the block's first entry, when the block spans lines.
    fn insert(&self, block: &Block, line: &str) -> Option<Edit> {
        let from = block.label.as_ref().map_or(block.kind.span, |l| l.span).end as usize;
        let brace = from + self.text.get(from..)?.find('{')?;
        let at = brace + 1;
        let body = self.slice(block.span);
        let text = if body.contains('\n') {
            let line_start = self.text[..block.span.start as usize]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let outer: String = self.text[line_start..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            let indent = block
                .entries
                .first()
                .map(|e| {
                    let start = match e {
                        Entry::Block(b) => b.span.start,
                        Entry::Attribute(a) => a.span.start,
                    } as usize;
                    let ls = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
                    self.text[ls..start].to_owned()
                })
                .filter(|i| i.chars().all(|c| c == ' ' || c == '\t'))
                .unwrap_or_else(|| format!("{outer}  "));
            format!("\n{indent}{line}")
        } else {
            format!(" {line}")
        };
        Some(Edit {
            span: Span::new(self.id, at, at),
            text,
        })
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

fn attribute<'b>(block: &'b Block, key: &str) -> Option<&'b Value> {
    block.entries.iter().find_map(|e| match e {
        Entry::Attribute(a) if a.key.as_name() == Some(key) => Some(&a.value),
        _ => None,
    })
}

/// The targets a block's `targets` list names, if it has one.
fn targets_of(block: &Block) -> Option<Vec<Target>> {
    let ValueKind::List(items) = &attribute(block, "targets")?.kind else {
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(|v| v.as_name().and_then(Target::from_name))
            .collect(),
    )
}

/// `GITHUB_TOKEN` from `github-token`, `X-Api-Key` → `X_API_KEY`.
fn reference_name(key: &str) -> String {
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if !super::is_reference_name(&name) {
        name.insert(0, '_');
    }
    if !super::is_reference_name(&name) {
        return "SECRET".to_owned();
    }
    name
}

/// A name for a token found outside an `env` or `headers` entry, from its
/// shape.
fn token_name(token: &str) -> &'static str {
    let prefixes: &[(&str, &str)] = &[
        ("ghp_", "GITHUB_TOKEN"),
        ("gho_", "GITHUB_TOKEN"),
        ("ghs_", "GITHUB_TOKEN"),
        ("github_pat_", "GITHUB_TOKEN"),
        ("glpat-", "GITLAB_TOKEN"),
        ("xox", "SLACK_TOKEN"),
        ("AKIA", "AWS_ACCESS_KEY_ID"),
        ("AIza", "GOOGLE_API_KEY"),
        ("sk-", "API_KEY"),
        ("eyJ", "TOKEN"),
    ];
    prefixes
        .iter()
        .find(|(p, _)| token.starts_with(p))
        .map_or("SECRET", |(_, n)| n)
}

/// The first token-shaped word of `raw` and its offset.
fn token_word(raw: &str) -> Option<(usize, &str)> {
    raw.split(|c: char| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
        .find(|w| crate::check::lints::plaintext_secret::is_token(w))
        .map(|w| (w.as_ptr() as usize - raw.as_ptr() as usize, w))
}

#[derive(Clone, Copy, PartialEq)]
enum Ecosystem {
    Npm,
    Python,
    Container,
}

impl Ecosystem {
    /// A spec's package and what follows its separator.
    fn split(self, spec: &str) -> (&str, Option<&str>) {
        match self {
            Ecosystem::Npm => match spec[1.min(spec.len())..].find('@') {
                Some(i) => (&spec[..i + 1], Some(&spec[i + 2..])),
                None => (spec, None),
            },
            Ecosystem::Python => match spec.find(|c: char| "=<>~!@ ".contains(c)) {
                Some(i) => (&spec[..i], Some(&spec[i..])),
                None => (spec, None),
            },
            Ecosystem::Container => {
                let last = spec.rfind('/').map_or(0, |i| i + 1);
                match spec[last..].find([':', '@']) {
                    Some(i) => (&spec[..last + i], Some(&spec[last + i + 1..])),
                    None => (spec, None),
                }
            }
        }
    }

    fn join(self, name: &str, version: &str) -> String {
        match self {
            Ecosystem::Npm => format!("{name}@{version}"),
            Ecosystem::Python => format!("{name}=={version}"),
            Ecosystem::Container => format!("{name}:{version}"),
        }
    }
}

/// The exact version a range starts at: `^1.2.0`, `~1.2.0`, `>=1.2.0`,
/// `==1.2.0`, `~=1.2`; `None` for `latest` or a bare name.
fn base_version(range: &str) -> Option<String> {
    let trimmed = range.trim_start_matches(['^', '~', '>', '=', '@', 'v', ' ']);
    let version: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ".-+".contains(*c))
        .collect();
    crate::check::lints::unpinned_package::is_exact(&version).then_some(version)
}

/// The version `name` is pinned to in another string of the unit.
fn pinned_elsewhere(sources: &SourceMap, ecosystem: Ecosystem, name: &str) -> Option<String> {
    for (id, file) in sources.files() {
        let mut sink = crate::diag::Sink::new();
        let mut found = None;
        for block in crate::parse::parse_file(id, &file.text, &mut sink) {
            strings(&block, &mut |s| {
                if found.is_none()
                    && let (n, Some(v)) = ecosystem.split(s)
                    && n == name
                    && let Some(v) = match ecosystem {
                        Ecosystem::Python => v.strip_prefix("=="),
                        _ => Some(v),
                    }
                    && crate::check::lints::unpinned_package::is_exact(v)
                {
                    found = Some(v.to_owned());
                }
            });
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

fn strings(block: &Block, f: &mut dyn FnMut(&str)) {
    fn value(v: &Value, f: &mut dyn FnMut(&str)) {
        match &v.kind {
            ValueKind::List(items) => items.iter().for_each(|i| value(i, f)),
            _ => {
                if let Some(s) = v.as_name() {
                    f(s)
                }
            }
        }
    }
    for entry in &block.entries {
        match entry {
            Entry::Block(b) => strings(b, f),
            Entry::Attribute(a) => value(&a.value, f),
        }
    }
}
