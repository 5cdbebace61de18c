//! Diagnostics: the [`Diagnostic`] type, the [`Sink`] every stage pushes
//! into, and the renderers (human, short, json, github, sarif).

pub mod ci;
mod codes;
mod render;
mod suggest;

pub use codes::{Code, Kind, Level};
pub use render::{MessageFormat, Renderer};
pub use suggest::nearest;

use crate::source::Span;
use crate::target::Target;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A label on a span: the primary one says what is wrong there, the others
/// name their role ("first declared here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One problem, with a code from the registry and one primary span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// Changes an editor can apply to resolve it (the CLI shows `help`).
    pub fixes: Vec<Fix>,
    /// The target whose backend reported it (`None` for the front end):
    /// a `target NAME { lints { … } }` block sets its level.
    pub target: Option<Target>,
}

/// A machine-applicable change that resolves a diagnostic. Some say what
/// to do and leave the text to `ide::actions`, which reads the source (a
/// stage that reports does not have it); the CLI and the language server
/// both turn them into edits there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// Put `name` in place of the name written at `span` (its quotes, if
    /// any, stay).
    Name { span: Span, name: String },
    /// Build the server (or, outside one, the plugin) at the diagnostic's
    /// span without `target`: a `targets` list that leaves it out.
    LeaveOut { target: crate::Target },
    /// Replace each span with its text (an empty span inserts).
    Edit { title: String, edits: Vec<Edit> },
}

/// One replacement of a [`Fix::Edit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

impl Diagnostic {
    /// A new diagnostic; lints start as warnings until the sink applies
    /// their level.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        let severity = match code.kind() {
            Kind::Error | Kind::Lint(Level::Deny) => Severity::Error,
            Kind::Lint(_) => Severity::Warning,
        };
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            labels: Vec::new(),
            help: None,
            fixes: Vec::new(),
            target: None,
        }
    }

    /// The text of the primary label.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    /// A secondary label somewhere else.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// "did you mean `near`?", and the fix that writes `near` in place of
    /// the name at the primary span.
    pub fn did_you_mean(mut self, near: &str) -> Diagnostic {
        self.help = Some(format!("did you mean `{near}`?"));
        self.fixes.push(Fix::Name {
            span: self.primary.span,
            name: near.to_owned(),
        });
        self
    }

    pub(crate) fn sort_key(&self) -> (Span, Code, &str) {
        (self.primary.span, self.code, &self.message)
    }
}

/// Lint levels: the registry's defaults, then `policy { lints { … } }`,
/// then a plugin's `target NAME { lints { … } }` for what that target's
/// backend reports about the plugin, then the command line, each
/// overriding the one before.
#[derive(Clone, Debug, Default)]
pub struct LintLevels {
    overrides: BTreeMap<Code, Level>,
    scoped: Vec<ScopedLevel>,
    /// Levels that win over the scoped ones: the command line's.
    top: BTreeMap<Code, Level>,
}

/// One entry of a plugin's `target NAME { lints { … } }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopedLevel {
    pub target: Target,
    /// The plugin's block: the level holds for diagnostics inside it.
    pub within: Span,
    pub code: Code,
    pub level: Level,
    /// Where the level is written.
    pub at: Span,
}

impl LintLevels {
    pub fn set(&mut self, code: Code, level: Level) {
        debug_assert!(code.is_lint());
        self.overrides.insert(code, level);
    }

    /// A level for what `target`'s backend reports inside `within`.
    pub fn set_scoped(&mut self, scoped: ScopedLevel) {
        debug_assert!(scoped.code.is_lint());
        self.scoped.push(scoped);
    }

    /// The level of `code` outside any `target` block.
    pub fn level(&self, code: Code) -> Option<Level> {
        match code.kind() {
            Kind::Error => None,
            Kind::Lint(default) => Some(
                *self
                    .top
                    .get(&code)
                    .or_else(|| self.overrides.get(&code))
                    .unwrap_or(&default),
            ),
        }
    }

    /// The `target { lints { … } }` entry that decides the level of `code`
    /// reported by `target`'s backend at `span`, unless the command line
    /// decides it.
    pub fn scoped(&self, code: Code, target: Target, span: Span) -> Option<&ScopedLevel> {
        if self.top.contains_key(&code) {
            return None;
        }
        self.scoped.iter().find(|s| {
            s.code == code
                && s.target == target
                && s.within.file == span.file
                && s.within.start <= span.start
                && span.end <= s.within.end
        })
    }

    /// The level of `d`, its target's block considered.
    pub fn level_of(&self, d: &Diagnostic) -> Option<Level> {
        match d
            .target
            .and_then(|t| self.scoped(d.code, t, d.primary.span))
        {
            Some(s) => Some(s.level),
            None => self.level(d.code),
        }
    }

    /// What decides the levels of diagnostics in `file`, as text: two
    /// keys differ when a diagnostic there may be levelled differently.
    pub fn key_for(&self, file: crate::source::FileId) -> String {
        let scoped: Vec<&ScopedLevel> = self
            .scoped
            .iter()
            .filter(|s| s.within.file == file)
            .collect();
        format!("{:?} {:?} {scoped:?}", self.overrides, self.top)
    }

    /// Levels from `other` win over these, the scoped ones included.
    pub fn overridden_by(&self, other: &LintLevels) -> LintLevels {
        let mut merged = self.clone();
        merged.scoped.extend(other.scoped.iter().copied());
        merged.top.extend(other.overrides.iter());
        merged.top.extend(other.top.iter());
        merged
    }
}

/// Where every stage reports. It keeps going after errors: a run reports
/// everything it can find.
#[derive(Clone, Debug, Default)]
pub struct Sink {
    diagnostics: Vec<Diagnostic>,
    /// Spans holding literal secrets, whatever the lint's level: renderers
    /// must never show them.
    sensitive: Vec<Span>,
    /// Lints allowed outside any `target` block ([`Sink::drop_allowed`]):
    /// their diagnostics without a target are dropped as they come.
    allowed: Vec<Code>,
}

impl Sink {
    pub fn new() -> Sink {
        Sink::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        if diagnostic.code == Code::PlaintextSecret {
            self.sensitive.push(diagnostic.primary.span);
        }
        if diagnostic.target.is_none() && self.allowed.contains(&diagnostic.code) {
            return;
        }
        self.diagnostics.push(diagnostic);
    }

    /// From now on drops, as they are pushed, the diagnostics that no
    /// reader of this sink shows under `levels`, the levels in force for
    /// good: those without a target whose lint `levels` allow (a `target`
    /// block cannot level them; [`Sink::finish`] would drop them,
    /// [`Sink::fails`] ignore them, and only diagnostics with a target can
    /// be [`Sink::accepted`]). Those already pushed are dropped too. Their
    /// literal secrets are still [`Sink::sensitive`]. At scale an allowed
    /// lint such as `missing-tool-filter`, one per server, was megabytes.
    pub fn drop_allowed(&mut self, levels: &LintLevels) {
        self.allowed = Code::ALL
            .iter()
            .copied()
            .filter(|&c| c.is_lint() && levels.level(c) == Some(Level::Allow))
            .collect();
        let allowed = &self.allowed;
        self.diagnostics
            .retain(|d| d.target.is_some() || !allowed.contains(&d.code));
    }

    /// Whether a diagnostic of `code` without a target would be dropped
    /// as it is pushed ([`Sink::drop_allowed`]): a lint allowed by default
    /// that would report every server need not build its message.
    pub fn drops(&self, code: Code) -> bool {
        self.allowed.contains(&code)
    }

    /// The spans of literal secrets found so far.
    pub fn sensitive(&self) -> &[Span] {
        &self.sensitive
    }

    /// Whether an error (not a lint) has been pushed; lints are settled
    /// only in [`Sink::finish`].
    pub fn has_hard_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.code.kind() == Kind::Error)
    }

    /// Whether these diagnostics hold an error once `levels` are applied.
    pub fn fails(&self, levels: &LintLevels) -> bool {
        self.diagnostics
            .iter()
            .any(|d| matches!(levels.level_of(d), None | Some(Level::Deny)))
    }

    /// Offers [`Fix::LeaveOut`] on each `unsupported-feature` and
    /// `lossy-lowering` so far: what one target's backend reported.
    pub fn offer_leave_out(&mut self, target: crate::Target) {
        for d in &mut self.diagnostics {
            if matches!(d.code, Code::UnsupportedFeature | Code::LossyLowering) {
                d.fixes.push(Fix::LeaveOut { target });
            }
        }
    }

    /// Moves every diagnostic of `other` into this sink, with the spans of
    /// the literal secrets `other` found (those it dropped among them).
    pub fn append(&mut self, other: Sink) {
        self.sensitive.extend(other.sensitive);
        let allowed = &self.allowed;
        self.diagnostics.extend(
            other
                .diagnostics
                .into_iter()
                .filter(|d| d.target.is_some() || !allowed.contains(&d.code)),
        );
    }

    /// An empty sink for a share of this one's work, done apart (on
    /// another thread) and [`Sink::append`]ed to it: it drops what this
    /// one drops.
    pub fn part(&self) -> Sink {
        Sink {
            allowed: self.allowed.clone(),
            ..Sink::default()
        }
    }

    /// The diagnostics a `target NAME { lints { … } }` entry silences, each
    /// with the entry: losses accepted on purpose, which `verify` and
    /// `targets` show.
    pub fn accepted(&self, levels: &LintLevels) -> Vec<(Diagnostic, ScopedLevel)> {
        let mut out: Vec<(Diagnostic, ScopedLevel)> = self
            .diagnostics
            .iter()
            .filter_map(|d| {
                let s = levels.scoped(d.code, d.target?, d.primary.span)?;
                (s.level == Level::Allow).then(|| (d.clone(), *s))
            })
            .collect();
        out.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
        out.dedup();
        out
    }

    /// Applies lint levels (the one place they are applied), drops
    /// duplicates, and sorts by position.
    pub fn finish(self, levels: &LintLevels) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .diagnostics
            .into_iter()
            .filter_map(|mut d| {
                match levels.level_of(&d) {
                    None => d.severity = Severity::Error,
                    Some(Level::Allow) => return None,
                    Some(Level::Warn) => d.severity = Severity::Warning,
                    Some(Level::Deny) => d.severity = Severity::Error,
                }
                Some(d)
            })
            .collect();
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out.dedup();
        out
    }
}

pub fn count_errors(diagnostics: &[Diagnostic]) -> usize {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// Whether `c` must not reach a terminal as it is: control characters (C0
/// but tab and line feed, DEL, C1 — so ESC, CSI and BEL, which drive
/// terminals) and the bidirectional formatting characters, which reorder
/// what is shown ("Trojan Source").
pub fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe to print on a terminal: every [`unsafe_char`] is written as
/// a `\u{…}` escape. Used on anything printed that comes from user input,
/// a file or a server (the human and short renderers apply it to every
/// message, label, help and file name); JSON output escapes them anyway.
pub fn sanitize(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn lint(code: Code, at: usize, target: Option<Target>) -> Diagnostic {
        let mut d = Diagnostic::new(code, Span::new(FileId(0), at, at + 1), "m");
        d.target = target;
        d
    }

    #[test]
    fn an_allowed_lint_without_a_target_is_dropped_as_pushed() {
        let mut levels = LintLevels::default();
        levels.set(Code::PlaintextSecret, Level::Allow);
        let mut sink = Sink::new();
        sink.push(lint(Code::MissingToolFilter, 0, None));
        sink.push(lint(Code::EmptyPlugin, 1, None));
        sink.drop_allowed(&levels);
        assert_eq!(sink.diagnostics.len(), 1, "the one pushed before");
        sink.push(lint(Code::MissingToolFilter, 2, None));
        sink.push(lint(Code::PlaintextSecret, 3, None));
        // A backend's: a `target` block may level it, `accepted` lists it.
        sink.push(lint(Code::MissingToolFilter, 4, Some(Target::Codex)));
        let kept: Vec<(Code, u32)> = sink
            .diagnostics
            .iter()
            .map(|d| (d.code, d.primary.span.start))
            .collect();
        assert_eq!(kept, [(Code::EmptyPlugin, 1), (Code::MissingToolFilter, 4)]);
        assert_eq!(sink.sensitive(), [Span::new(FileId(0), 3, 4)]);
        // What `finish` gives is what it gave with every diagnostic kept.
        let mut whole = Sink::new();
        for (at, code) in [(0, Code::MissingToolFilter), (1, Code::EmptyPlugin)] {
            whole.push(lint(code, at, None));
        }
        whole.push(lint(Code::MissingToolFilter, 2, None));
        whole.push(lint(Code::PlaintextSecret, 3, None));
        whole.push(lint(Code::MissingToolFilter, 4, Some(Target::Codex)));
        assert_eq!(sink.finish(&levels), whole.finish(&levels));
    }
}
