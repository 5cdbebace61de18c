//! What every backend needs while lowering: reporting against source spans
//! with the target named and both ways out, and rendering string values in
//! the `${VAR}` family of syntaxes.

use super::{Emit, Plan, Target};
use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Part, Plugin, Ref, Server, Str};
use crate::source::{Span, Spanned};

/// A backend's view of the build: its target, the plan, and the sink.
pub struct Cx<'a> {
    pub target: Target,
    pub plan: &'a Plan,
    /// The target was asked for by name (not just part of "all").
    pub explicit: bool,
    sink: &'a mut Sink,
}

/// How a runtime spells variables in its files.
pub(super) struct DollarSyntax {
    /// `${NAME:-default}` is expanded.
    pub defaults: bool,
    /// `$NAME` (without braces) is expanded too, so a literal `$` followed
    /// by a name cannot be written.
    pub bare_dollar: bool,
    /// The variable holding the package's install directory.
    pub plugin_root: Option<&'static str>,
}

impl<'a> Cx<'a> {
    pub(super) fn new(
        target: Target,
        plan: &'a Plan,
        explicit: bool,
        sink: &'a mut Sink,
    ) -> Cx<'a> {
        Cx {
            target,
            plan,
            explicit,
            sink,
        }
    }

    pub(super) fn packaging(&self) -> bool {
        self.plan.emit == Emit::Package
    }

    /// `unsupported-feature`: the runtime cannot express `what`.
    pub(super) fn unsupported(&mut self, server: &Server, span: Span, what: &str) {
        let t = self.target;
        let others: Vec<String> = Target::ALL
            .iter()
            .filter(|&&o| o != t)
            .map(|o| format!("\"{o}\""))
            .collect();
        self.sink.push(
            Diagnostic::new(
                Code::UnsupportedFeature,
                span,
                format!("{t} cannot express {what} (server `{}`)", server.name),
            )
            .with_label(format!("not expressible for {t}"))
            .with_help(format!(
                "change it for {t} with `target {t} {{ server \"{}\" {{ … }} }}`, or build this server without {t}: `targets = [{}]`",
                server.name,
                others.join(", ")
            )),
        );
    }

    /// `unsupported-feature` for a whole plugin.
    pub(super) fn unsupported_plugin(&mut self, plugin: &Plugin, what: &str, help: &str) {
        self.sink.push(
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
        self.sink.push(
            Diagnostic::new(Code::LossyLowering, span, message)
                .with_label(format!("approximated for {}", self.target))
                .with_help(help.to_owned()),
        );
    }

    /// `plugin.root` outside a package: `--plugin-root`, or an error.
    pub(super) fn config_plugin_root(&mut self, server: &Server, span: Span) -> Option<String> {
        if let Some(root) = &self.plan.plugin_root {
            return Some(root.clone());
        }
        self.sink.push(
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

    /// Renders a value in a `${VAR}` syntax, reporting what it cannot say.
    pub(super) fn dollar(
        &mut self,
        server: &Server,
        value: &Spanned<Str>,
        syntax: &DollarSyntax,
    ) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for part in &value.value.parts {
            match part {
                Part::Lit(text) => {
                    if text.contains("${") {
                        self.unsupported(
                            server,
                            value.span,
                            &format!(
                                "the literal text `${{` (it would expand `{}`)",
                                value.value.display()
                            ),
                        );
                        ok = false;
                    } else if syntax.bare_dollar && has_bare_variable(text) {
                        self.unsupported(
                            server,
                            value.span,
                            &format!("a literal `$` before a name (`{text}` would be expanded)"),
                        );
                        ok = false;
                    }
                    out.push_str(text);
                }
                Part::Ref(r) => match &r.value {
                    Ref::Env {
                        name,
                        default: None,
                    }
                    | Ref::Secret { name } => {
                        out.push_str(&format!("${{{name}}}"));
                    }
                    Ref::Env {
                        name,
                        default: Some(d),
                    } if syntax.defaults => {
                        out.push_str(&format!("${{{name}:-{d}}}"));
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
                    Ref::PluginRoot => match (self.packaging(), syntax.plugin_root) {
                        (true, Some(var)) => out.push_str(var),
                        (true, None) => {
                            self.unsupported(server, r.span, "`plugin.root` in a package");
                            ok = false;
                        }
                        (false, _) => match self.config_plugin_root(server, r.span) {
                            Some(root) => out.push_str(&root),
                            None => ok = false,
                        },
                    },
                },
            }
        }
        ok.then_some(out)
    }
}

/// `$NAME` inside literal text.
fn has_bare_variable(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_'))
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

/// Renders each entry of an `env`/`headers` block.
pub(super) fn dollar_entries(
    cx: &mut Cx,
    server: &Server,
    entries: &Option<Spanned<Vec<crate::ir::Entry>>>,
    syntax: &DollarSyntax,
) -> crate::emit::OrderedMap<String> {
    let mut out = crate::emit::OrderedMap::new();
    for e in entries.iter().flat_map(|e| &e.value) {
        if let Some(v) = cx.dollar(server, &e.value, syntax) {
            out.insert(e.key.value.clone(), v);
        }
    }
    out
}

/// The names in a tool list.
pub(super) fn tool_names(list: &Option<Spanned<Vec<Spanned<String>>>>) -> Option<Vec<String>> {
    list.as_ref()
        .map(|l| l.value.iter().map(|t| t.value.clone()).collect())
}
