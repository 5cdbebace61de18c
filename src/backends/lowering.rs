//! What every backend needs while lowering: reporting against source spans
//! with the target named and both ways out, and rendering string values in
//! the `${VAR}` family of syntaxes.

use super::{Contents, Emit, Mode, Output, Plan, Target};
use crate::diag::{Code, Diagnostic, Level, LintLevels, Sink};
use crate::ir::{Part, Plugin, Ref, Server, Str};
use crate::source::{Span, Spanned};
use std::borrow::Cow;

/// A backend's view of the build: its target, the plan, and the sink.
pub struct Cx<'a> {
    pub target: Target,
    pub plan: &'a Plan,
    /// The target was asked for by name (not just part of "all").
    pub explicit: bool,
    /// The levels in force, for the losses a `target` block accepts.
    levels: &'a LintLevels,
    sink: &'a mut Sink,
    /// Whether the files are wanted, or only what the pass reports (and
    /// whether config files are spooled).
    mode: Mode<'a>,
    /// The plugin being lowered gets its secrets by prompt (VS Code's
    /// `inputs`): a secret is written `${input:NAME}`.
    pub(super) prompt: bool,
    /// The secrets written as prompts so far: name → the first server
    /// that reads it.
    pub(super) prompted: std::collections::BTreeMap<String, String>,
    /// Whether no server name is given twice among the servers the
    /// backend is given, when the caller knows it (a build knows it once
    /// per list of names: [`Cx::distinct`]).
    pub(super) distinct: Option<bool>,
}

/// How a runtime spells a variable in its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spelling {
    /// `${NAME}` (and `${NAME:-default}` where `defaults`).
    Dollar,
    /// `${env:NAME}` (Cursor, VS Code, Windsurf).
    DollarEnv,
    /// `{env:NAME}` (opencode).
    BraceEnv,
}

impl Spelling {
    /// `name` as a reference in this spelling.
    pub fn write(self, name: &str) -> String {
        let mut out = String::new();
        self.write_into(&mut out, name);
        out
    }

    /// [`Spelling::write`] at the end of `out`.
    pub fn write_into(self, out: &mut String, name: &str) {
        out.push_str(match self {
            Spelling::Dollar => "${",
            Spelling::DollarEnv => "${env:",
            Spelling::BraceEnv => "{env:",
        });
        out.push_str(name);
        out.push('}');
    }

    /// The text that opens a reference: literal text containing it would
    /// be expanded.
    pub fn opener(self) -> &'static str {
        match self {
            Spelling::Dollar => "${",
            // VS Code and Cursor expand every `${…}` they know
            // (`${workspaceFolder}`, `${input:…}`, `${userHome}`).
            Spelling::DollarEnv => "${",
            Spelling::BraceEnv => "{env:",
        }
    }

    /// A value read from the runtime's file, in the neutral `${NAME}`
    /// notation of [`ServerSpec`](super::ServerSpec).
    pub fn to_neutral(self, text: &str) -> String {
        match self {
            Spelling::Dollar => text.to_owned(),
            Spelling::DollarEnv => text.replace("${env:", "${"),
            Spelling::BraceEnv => text.replace("{env:", "${"),
        }
    }
}

/// The fields of a server whose values a runtime may expand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields(u8);

impl Fields {
    pub const NONE: Fields = Fields(0);
    pub const COMMAND: Fields = Fields(1);
    pub const ARGS: Fields = Fields(2);
    pub const ENV: Fields = Fields(4);
    pub const CWD: Fields = Fields(8);
    pub const URL: Fields = Fields(16);
    pub const HEADERS: Fields = Fields(32);
    pub const ALL: Fields = Fields(63);

    pub const fn and(self, other: Fields) -> Fields {
        Fields(self.0 | other.0)
    }

    pub const fn contains(self, other: Fields) -> bool {
        self.0 & other.0 == other.0
    }

    /// The field's name as the source writes it.
    pub fn name(self) -> &'static str {
        match self {
            Fields::COMMAND => "command",
            Fields::ARGS => "args",
            Fields::ENV => "env",
            Fields::CWD => "cwd",
            Fields::URL => "url",
            Fields::HEADERS => "headers",
            _ => "value",
        }
    }
}

/// How a runtime writes `project.root`, the directory of the project a
/// project-scope file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectRoot {
    /// A variable of its own, in the fields it expands (`${workspaceFolder}`).
    Var(&'static str),
    /// It starts stdio servers in the project directory: `project.root` at
    /// the start of `command`, `args`, `cwd` or an `env` value is `.`.
    Cwd,
    /// Neither: `unsupported-feature`.
    Refused,
}

impl ProjectRoot {
    /// The fields in which [`ProjectRoot::Cwd`] is a path the server resolves.
    pub const CWD_FIELDS: Fields = Fields::COMMAND
        .and(Fields::ARGS)
        .and(Fields::CWD)
        .and(Fields::ENV);

    /// `spec` as the runtime's file holds it: `${project.root}` where the
    /// runtime writes `.` (a reader cannot tell `./x` was `project.root`).
    pub fn approximate(self, spec: &mut super::spec::ServerSpec) {
        use super::spec::PROJECT_ROOT;
        if self != ProjectRoot::Cwd {
            return;
        }
        let fix = |v: &mut String| {
            if let Some(rest) = v.strip_prefix(PROJECT_ROOT) {
                *v = format!(".{rest}");
            }
        };
        spec.command.iter_mut().for_each(fix);
        spec.args.iter_mut().for_each(fix);
        spec.cwd.iter_mut().for_each(fix);
        spec.env.iter_mut().for_each(|(_, v)| fix(v));
    }
}

/// How a runtime expands variables in its files: spelling, where, and the
/// extras it knows.
#[derive(Clone, Copy, Debug)]
pub struct Vars {
    pub spelling: Spelling,
    /// `${NAME:-default}` is expanded.
    pub defaults: bool,
    /// `$NAME` (without braces) is expanded too, so a literal `$` followed
    /// by a name cannot be written.
    pub bare_dollar: bool,
    /// The variable holding the package's install directory.
    pub plugin_root: Option<&'static str>,
    /// How `project.root` is written.
    pub project_root: ProjectRoot,
    /// The fields in which references are expanded; a reference anywhere
    /// else is `unsupported-feature`.
    pub expanded: Fields,
    /// Help for a reference in a field that is not expanded.
    pub elsewhere: &'static str,
}

impl Vars {
    /// `${VAR}` everywhere, no defaults: the commonest rule.
    pub const DOLLAR: Vars = Vars {
        spelling: Spelling::Dollar,
        defaults: false,
        bare_dollar: false,
        plugin_root: None,
        project_root: ProjectRoot::Refused,
        expanded: Fields::ALL,
        elsewhere: "",
    };

    /// A value read from the runtime's file, in the neutral `${NAME}`
    /// notation; where the runtime expands a bare `$NAME`, that is a
    /// reference too (Gemini's `"$ACME_TOKEN"`).
    pub fn to_neutral(&self, text: &str) -> String {
        let mut text = self.spelling.to_neutral(text);
        if let ProjectRoot::Var(var) = self.project_root {
            text = text.replace(var, super::spec::PROJECT_ROOT);
        }
        if !self.bare_dollar {
            return text;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &after[..len];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                out.push('$');
                rest = after;
            } else {
                out.push_str(&format!("${{{name}}}"));
                rest = &after[len..];
            }
        }
        out.push_str(rest);
        out
    }
}

impl<'a> Cx<'a> {
    pub(super) fn new(
        target: Target,
        plan: &'a Plan,
        explicit: bool,
        levels: &'a LintLevels,
        sink: &'a mut Sink,
        mode: Mode<'a>,
    ) -> Cx<'a> {
        Cx {
            target,
            plan,
            explicit,
            levels,
            sink,
            mode,
            prompt: false,
            prompted: std::collections::BTreeMap::new(),
            distinct: None,
        }
    }

    /// Whether no name in `names`, every server's the backend was given,
    /// is given twice: as the caller said, else looked at.
    pub(super) fn distinct<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> bool {
        self.distinct
            .unwrap_or_else(|| crate::emit::distinct(names))
    }

    /// Reports `d` as this target's.
    fn push(&mut self, mut d: Diagnostic) {
        d.target = Some(self.target);
        self.sink.push(d);
    }

    /// Whether the plugin written around `span` accepts losses for this
    /// target: `target T { lints { lossy-lowering = allow | warn } }`.
    pub(super) fn loss_accepted(&self, span: Span) -> bool {
        self.levels
            .scoped(Code::LossyLowering, self.target, span)
            .is_some_and(|s| s.level != Level::Deny)
    }

    /// Whether the pass keeps its files ([`Mode::Files`]): in
    /// [`Mode::Reports`] a backend reports exactly as it would, but need
    /// not build what only the files hold (rendered text, entry maps).
    pub(super) fn keeps_files(&self) -> bool {
        self.mode.keeps_files()
    }

    /// A file's text, serialized by `write` only when the files are kept.
    pub(super) fn written(&self, write: impl FnOnce() -> String) -> Contents {
        Contents::Text(if self.keeps_files() {
            write()
        } else {
            String::new()
        })
    }

    /// The config file at `path` (in a project) as `write` makes it, only
    /// when the files are kept: written into the caller's spool, if there
    /// is one, as it is made.
    pub(super) fn streamed(&self, path: &str, write: impl FnOnce(&mut Output)) -> Contents {
        match self.output(path) {
            Some(mut out) => {
                write(&mut out);
                out.finish()
            }
            None => Contents::Text(String::new()),
        }
    }

    /// Where the config file at `path` (in a project) is written, when the
    /// files are kept; it borrows nothing of the context, so a backend can
    /// lower entries into it as it writes.
    pub(super) fn output(&self, path: &str) -> Option<Output<'a>> {
        match self.mode {
            Mode::Files(spool) => Some(Output::new(spool, &super::config_path(self.target, path))),
            Mode::Reports => None,
        }
    }

    pub(super) fn packaging(&self) -> bool {
        self.plan.emit == Emit::Package
    }

    /// `unsupported-feature`: the runtime cannot express `what`.
    pub(super) fn unsupported(&mut self, server: &Server, span: Span, what: &str) {
        self.unsupported_or(server, span, what, "");
    }

    /// A tool filter the runtime cannot say: `unsupported-feature`, unless
    /// the plugin's `target` block accepts leaving it out (then
    /// `lossy-lowering`, and the filter is not written).
    pub(super) fn unsupported_filter(&mut self, server: &Server, span: Span, what: &str) {
        let (t, name) = (self.target, &server.name.value);
        if self.loss_accepted(span) {
            self.lossy(
                span,
                format!("{t} cannot express {what}; the filter is left out for {t}, as this plugin's `target {t}` block accepts (server `{name}`)"),
                &format!("{t} offers server `{name}`'s tools unfiltered; to keep the filter, remove `lossy-lowering` from `target {t} {{ lints {{ … }} }}`"),
            );
        } else {
            self.unsupported_or(
                server,
                span,
                what,
                &format!(", or accept the loss for {t}: `target {t} {{ lints {{ lossy-lowering = allow }} }}`"),
            );
        }
    }

    /// `unsupported-feature` with a third way out after the two usual ones.
    pub(super) fn unsupported_or(&mut self, server: &Server, span: Span, what: &str, or: &str) {
        let t = self.target;
        let others: Vec<String> = Target::ALL
            .iter()
            .filter(|&&o| o != t)
            .map(|o| format!("\"{o}\""))
            .collect();
        self.push(
            Diagnostic::new(
                Code::UnsupportedFeature,
                span,
                format!("{t} cannot express {what} (server `{}`)", server.name),
            )
            .with_label(format!("not expressible for {t}"))
            .with_help(format!(
                "change it for {t} with `target {t} {{ server \"{}\" {{ … }} }}`, or build this server without {t}: `targets = [{}]`{or}",
                server.name,
                others.join(", ")
            )),
        );
    }

    /// `unsupported-feature` for a whole plugin.
    pub(super) fn unsupported_plugin(&mut self, plugin: &Plugin, what: &str, help: &str) {
        self.push(
            Diagnostic::new(
                Code::UnsupportedFeature,
                plugin.name.span,
                format!(
                    "{} cannot express {what} (plugin `{}`)",
                    self.target, plugin.name
                ),
            )
            .with_label(format!("not expressible for {}", self.target))
            .with_help(help.to_owned()),
        );
    }

    /// `lossy-lowering`: the runtime approximates what the source says.
    pub(super) fn lossy(&mut self, span: Span, message: String, help: &str) {
        self.push(
            Diagnostic::new(Code::LossyLowering, span, message)
                .with_label(format!("approximated for {}", self.target))
                .with_help(help.to_owned()),
        );
    }

    /// How `project.root` is written in `field`, where it is the first part
    /// of the value or not; `None` after reporting why it cannot be.
    pub(super) fn project_root(
        &mut self,
        server: &Server,
        span: Span,
        vars: &Vars,
        field: Fields,
        first: bool,
    ) -> Option<&'static str> {
        let t = self.target;
        let why = if self.packaging() {
            "`project.root` in a package (a package is installed outside any project; use `plugin.root` for its own files)".to_owned()
        } else if self.plan.user_scope {
            "`project.root` in a user-scope file, which belongs to no project".to_owned()
        } else {
            match vars.project_root {
                ProjectRoot::Var(var) if vars.expanded.contains(field) => return Some(var),
                ProjectRoot::Cwd if first && ProjectRoot::CWD_FIELDS.contains(field) => {
                    return Some(".");
                }
                ProjectRoot::Var(_) => format!(
                    "`project.root` in `{}`, where {t} expands no variable",
                    field.name()
                ),
                ProjectRoot::Cwd => format!(
                    "`project.root` {} `{}` ({t} starts servers in the project directory, so `project.root` is `.` at the start of `command`, `args`, `cwd` or an `env` value)",
                    if ProjectRoot::CWD_FIELDS.contains(field) {
                        "after other text in"
                    } else {
                        "in"
                    },
                    field.name()
                ),
                ProjectRoot::Refused => {
                    "`project.root` (it has no variable for the project directory)".to_owned()
                }
            }
        };
        self.unsupported(server, span, &why);
        None
    }

    /// `plugin.root` outside a package: `--plugin-root`, or an error.
    pub(super) fn config_plugin_root(&mut self, server: &Server, span: Span) -> Option<String> {
        if let Some(root) = &self.plan.plugin_root {
            return Some(root.clone());
        }
        self.push(
            Diagnostic::new(
                Code::UnsupportedFeature,
                span,
                format!(
                    "`plugin.root` has no value in {} config files (server `{}`)",
                    self.target, server.name
                ),
            )
            .with_label("only packages have a plugin root")
            .with_help("pass `--plugin-root PATH`, or build a package with `--emit package`"),
        );
        None
    }

    /// Renders the value of `field` in the runtime's spelling, reporting
    /// what it cannot say: a value of literal text alone is the source's
    /// text, borrowed.
    pub fn render<'v>(
        &mut self,
        server: &Server,
        value: &'v Spanned<Str>,
        vars: &Vars,
        field: Fields,
    ) -> Option<Cow<'v, str>> {
        let expanded = vars.expanded.contains(field);
        // Room for the text and a reference's spelling, so that the value
        // is built in one allocation (this runs for every value of every
        // server, once per target); nothing is built when only the reports
        // are wanted (the value given is then empty), nor for literal text
        // alone.
        let parts = &value.value.parts;
        let literal = match parts.as_slice() {
            [Part::Lit(text)] => Some(text.as_str()),
            _ => None,
        };
        let mut out = (self.keeps_files() && literal.is_none()).then(|| {
            let room: usize = parts
                .iter()
                .map(|p| match p {
                    Part::Lit(text) => text.len(),
                    Part::Ref(r) => match &r.value {
                        Ref::Env { name, .. } | Ref::Secret { name } => name.len() + 8,
                        _ => 16,
                    },
                })
                .sum();
            String::with_capacity(room)
        });
        fn push(out: &mut Option<String>, text: &str) {
            if let Some(out) = out {
                out.push_str(text);
            }
        }
        let mut ok = true;
        for part in &value.value.parts {
            match part {
                Part::Lit(text) => {
                    let opener = vars.spelling.opener();
                    if expanded && holds(text, opener) {
                        self.unsupported(
                            server,
                            value.span,
                            &format!(
                                "the literal text `{opener}` (it would expand `{}`)",
                                value.value.display()
                            ),
                        );
                        ok = false;
                    } else if expanded && vars.bare_dollar && has_bare_variable(text) {
                        self.unsupported(
                            server,
                            value.span,
                            &format!("a literal `$` before a name (`{text}` would be expanded)"),
                        );
                        ok = false;
                    }
                    push(&mut out, text);
                }
                Part::Ref(r)
                    if !expanded && !matches!(r.value, Ref::PluginRoot | Ref::ProjectRoot) =>
                {
                    let t = self.target;
                    self.push(
                        Diagnostic::new(
                            Code::UnsupportedFeature,
                            r.span,
                            format!(
                                "{t} cannot express `${{{}}}` in `{}` ({}) (server `{}`)",
                                r.value.source_text(),
                                field.name(),
                                if vars.expanded == Fields::NONE {
                                    "it has no environment reference".to_owned()
                                } else {
                                    format!(
                                        "it expands variables only in {}",
                                        expanded_list(vars.expanded)
                                    )
                                },
                                server.name
                            ),
                        )
                        .with_label(format!("not expanded by {t}"))
                        .with_help(vars.elsewhere.to_owned()),
                    );
                    ok = false;
                }
                Part::Ref(r) => match &r.value {
                    Ref::Secret { name } if self.prompt => {
                        if let Some(out) = &mut out {
                            out.push_str(&super::spec::input_reference(name));
                        }
                        self.prompted
                            .entry(name.clone())
                            .or_insert_with(|| server.name.value.clone());
                    }
                    Ref::Env {
                        name,
                        default: None,
                    }
                    | Ref::Secret { name } => {
                        if let Some(out) = &mut out {
                            vars.spelling.write_into(out, name);
                        }
                    }
                    Ref::Env {
                        name,
                        default: Some(d),
                    } if vars.defaults => {
                        if let Some(out) = &mut out {
                            out.push_str(&format!("${{{name}:-{d}}}"));
                        }
                    }
                    Ref::Env {
                        default: Some(_), ..
                    } => {
                        self.unsupported(
                            server,
                            r.span,
                            &format!("a default value in `${{{}}}`", r.value.source_text()),
                        );
                        ok = false;
                    }
                    Ref::PluginRoot => match (self.packaging(), vars.plugin_root) {
                        (true, Some(var)) if expanded => push(&mut out, var),
                        (true, _) => {
                            self.unsupported(server, r.span, "`plugin.root` in a package");
                            ok = false;
                        }
                        (false, _) => match self.config_plugin_root(server, r.span) {
                            Some(root) => push(&mut out, &root),
                            None => ok = false,
                        },
                    },
                    Ref::ProjectRoot => {
                        let first = std::ptr::eq(part, &value.value.parts[0]);
                        match self.project_root(server, r.span, vars, field, first) {
                            Some(text) => push(&mut out, text),
                            None => ok = false,
                        }
                    }
                },
            }
        }
        if !ok {
            return None;
        }
        Some(match (literal, out) {
            (Some(text), _) if self.keeps_files() => Cow::Borrowed(text),
            (_, out) => Cow::Owned(out.unwrap_or_default()),
        })
    }
}

/// `command`, `args` and `env`: the names of the fields in `fields`.
pub(super) fn expanded_list(fields: Fields) -> String {
    let names: Vec<String> = [
        Fields::COMMAND,
        Fields::ARGS,
        Fields::ENV,
        Fields::CWD,
        Fields::URL,
        Fields::HEADERS,
    ]
    .into_iter()
    .filter(|&f| fields.contains(f))
    .map(|f| format!("`{}`", f.name()))
    .collect();
    match names.as_slice() {
        [] => "no field".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether `text` holds `opener`: a scan for its first byte, quicker than
/// a substring search on the short literal texts of a server (this runs on
/// every one, once per target).
fn holds(text: &str, opener: &str) -> bool {
    let (text, opener) = (text.as_bytes(), opener.as_bytes());
    let Some(&first) = opener.first() else {
        return true;
    };
    text.iter()
        .enumerate()
        .any(|(i, &b)| b == first && text[i..].starts_with(opener))
}

/// `$NAME` inside literal text.
fn has_bare_variable(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_'))
}

/// The runtime has no package format: an error when it was asked for by
/// name, else a `lossy-lowering` note that the plugin is packaged for the
/// others only.
pub(super) fn no_package(cx: &mut Cx, p: &super::PluginServers, runtime: &str) {
    let target = cx.target;
    let help = format!(
        "deliver it to {runtime} as config with `mcpc build --target {target}` (or `mcpc apply --target {target}`)"
    );
    if cx.explicit {
        cx.unsupported_plugin(
            p.plugin,
            &format!("a package ({runtime} has no package format for MCP servers)"),
            &help,
        );
    } else {
        cx.lossy(
            p.plugin.name.span,
            format!(
                "{target} has no package format; plugin `{}` is packaged for the other targets only",
                p.plugin.name
            ),
            &help,
        );
    }
}

/// A package name most runtimes accept: lower case, digits and `-`.
pub(super) fn check_package_name(cx: &mut Cx, plugin: &Plugin) {
    let name = &plugin.name.value;
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if !ok {
        let fixed: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        cx.unsupported_plugin(
            plugin,
            "a package name outside lower-case letters, digits and `-`",
            &format!("rename the plugin `{fixed}`"),
        );
    }
}

/// Renders each entry of an `env`/`headers` block, in order, borrowing
/// the keys (keeping none when the files are not kept).
pub(super) fn render_entries<'v>(
    cx: &mut Cx,
    server: &Server,
    entries: &'v Option<Spanned<Vec<crate::ir::Entry>>>,
    vars: &Vars,
    field: Fields,
) -> Vec<(&'v str, Cow<'v, str>)> {
    let all = entries.as_ref().map_or(&[][..], |e| &e.value[..]);
    let mut out = Vec::with_capacity(if cx.keeps_files() { all.len() } else { 0 });
    for e in all {
        if let Some(v) = cx.render(server, &e.value, vars, field)
            && cx.keeps_files()
        {
            out.push((e.key.value.as_str(), v));
        }
    }
    out
}

/// The names in a tool list.
pub(super) fn tool_names(list: &Option<Spanned<Vec<Spanned<String>>>>) -> Option<Vec<String>> {
    list.as_ref()
        .map(|l| l.value.iter().map(|t| t.value.clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::super::{Mode, Plan, Target};
    use super::{Cx, Fields, Vars};
    use crate::diag::{LintLevels, Sink};
    use crate::source::{SourceFile, SourceMap};
    use std::borrow::Cow;

    /// Each argument of the one server of `src`, rendered in `mode`: the
    /// values, and the messages reported.
    fn rendered(src: &str, mode: Mode) -> (Vec<Option<String>>, Vec<bool>, Vec<String>) {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("a.mcpc".to_owned(), src.to_owned()));
        let c = crate::Compilation::new(sources, LintLevels::default());
        let server = &c.unit.plugins[0].servers[0];
        let (plan, levels, mut sink) = (Plan::default(), LintLevels::default(), Sink::new());
        let mut cx = Cx::new(Target::Codex, &plan, false, &levels, &mut sink, mode);
        let mut values = Vec::new();
        let mut borrowed = Vec::new();
        for arg in server.fields.args.iter().flat_map(|a| &a.value) {
            let v = cx.render(server, arg, &Vars::DOLLAR, Fields::ARGS);
            borrowed.push(matches!(v, Some(Cow::Borrowed(_))));
            values.push(v.map(Cow::into_owned));
        }
        let messages = sink
            .finish(&levels)
            .into_iter()
            .map(|d| d.message)
            .collect();
        (values, borrowed, messages)
    }

    /// `holds` is `str::contains`.
    #[test]
    fn holds_is_contains() {
        for text in [
            "",
            "$",
            "${",
            "a${b",
            "{env:",
            "x{env",
            "{en{env:v}",
            "$$",
            "é${",
        ] {
            for opener in ["${", "{env:", ""] {
                assert_eq!(
                    super::holds(text, opener),
                    text.contains(opener),
                    "{text} {opener}"
                );
            }
        }
    }

    /// A bare variable is a `$` before a letter or `_`, anywhere.
    #[test]
    fn a_bare_variable_is_a_dollar_before_a_name() {
        for (text, bare) in [
            ("", false),
            ("$", false),
            ("$$", false),
            ("$1", false),
            ("a$", false),
            ("$HOME", true),
            ("x$_y", true),
            ("$$a", true),
            ("é$b", true),
            ("price: 5$ each", false),
        ] {
            assert_eq!(super::has_bare_variable(text), bare, "{text}");
        }
    }

    /// Literal text is the source's, borrowed; a value with a reference
    /// is built; without the files nothing is built, and the same is
    /// reported.
    #[test]
    fn render_borrows_literals_and_reports_alike_without_files() {
        let src = "plugin \"p\" {\n  server \"s\" {\n    command = \"npx\"\n    args = [\"-y\", \"--t=${env.T}\", \"${env.D:-x}\"]\n  }\n}\n";
        let (values, borrowed, messages) = rendered(src, Mode::Files(None));
        assert_eq!(
            values,
            [Some("-y".to_owned()), Some("--t=${T}".to_owned()), None]
        );
        assert_eq!(borrowed, [true, false, false]);
        assert_eq!(messages.len(), 1, "{messages:?}");
        let (values, borrowed, reported) = rendered(src, Mode::Reports);
        assert_eq!(values, [Some(String::new()), Some(String::new()), None]);
        assert_eq!(borrowed, [false, false, false]);
        assert_eq!(reported, messages);
    }
}
