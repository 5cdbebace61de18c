//! Names and what they refer to: duplicates, server names, workspaces'
//! plugins and runtimes, `target` overrides.

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::diag::{Code, Diagnostic, Sink, nearest};
use crate::ir::Unit;
use crate::source::Spanned;

pub(super) fn check(unit: &Unit, sink: &mut Sink) {
    duplicates(
        unit.plugins.iter().map(|p| &p.name),
        Code::DuplicatePlugin,
        "plugin",
        sink,
    );
    duplicates(
        unit.workspaces.iter().map(|w| &w.name),
        Code::DuplicateWorkspace,
        "workspace",
        sink,
    );
    if let [first, rest @ ..] = unit.policies.as_slice() {
        for again in rest {
            sink.push(
                Diagnostic::new(Code::DuplicatePolicy, again.name.span, "a second policy")
                    .with_label("second policy here")
                    .with_secondary(first.name.span, "first policy here")
                    .with_help(
                        "merge the two into one `policy` block: there is one policy per unit",
                    ),
            );
        }
    }
    for plugin in &unit.plugins {
        plugin_name(&plugin.name, sink);
        duplicates(
            plugin.servers.iter().map(|s| &s.name),
            Code::DuplicateServer,
            &format!("server (in plugin `{}`)", plugin.name),
            sink,
        );
        for server in &plugin.servers {
            server_name(&server.name, sink);
        }
        let declared: HashSet<&str> = plugin
            .servers
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        for o in &plugin.overrides {
            if !declared.contains(o.server.value.as_str()) {
                let mut d = Diagnostic::new(
                    Code::UnknownServer,
                    o.server.span,
                    format!("plugin `{}` has no server `{}`", plugin.name, o.server),
                )
                .with_label("no such server");
                let names = plugin.servers.iter().map(|s| s.name.value.as_str());
                d = match nearest(&o.server.value, names) {
                    Some(near) => d.did_you_mean(near),
                    None => d.with_help(
                        "a `target` block overrides servers declared in the same plugin",
                    ),
                };
                sink.push(d);
            }
        }
    }
    // Plugin names to plugins, first declaration first (as `Unit::plugin`).
    let mut by_name: HashMap<&str, &crate::ir::Plugin> = HashMap::new();
    for p in &unit.plugins {
        by_name.entry(p.name.value.as_str()).or_insert(p);
    }
    for workspace in &unit.workspaces {
        let Some(plugins) = &workspace.plugins else {
            continue;
        };
        for name in &plugins.value {
            match by_name.get(name.value.as_str()).copied() {
                None => {
                    let mut d = Diagnostic::new(
                        Code::UnknownPlugin,
                        name.span,
                        format!("unknown plugin `{name}`"),
                    )
                    .with_label("no plugin of this name");
                    let names = unit.plugins.iter().map(|p| p.name.value.as_str());
                    d = match nearest(&name.value, names) {
                        Some(near) => d.did_you_mean(near),
                        None => d.with_help(
                            "declare it with `plugin \"name\" { … }` in one of the files checked",
                        ),
                    };
                    sink.push(d);
                }
                Some(plugin) => {
                    if let Some(runtime) = &workspace.runtime
                        && !plugin.builds_for(runtime.value)
                    {
                        let mut d = Diagnostic::new(
                            Code::InvalidValue,
                            name.span,
                            format!("plugin `{name}` is not built for `{}`", runtime.value),
                        )
                        .with_label(format!("not built for {}", runtime.value))
                        .with_secondary(runtime.span, "the workspace's runtime");
                        if let Some(targets) = &plugin.targets {
                            d = d.with_secondary(targets.span, "the plugin's targets");
                        }
                        sink.push(d.with_help(format!(
                            "add `{}` to the plugin's `targets`, or remove the plugin from this workspace",
                            runtime.value
                        )));
                    }
                }
            }
        }
    }
}

fn duplicates<'a>(
    names: impl Iterator<Item = &'a Spanned<String>>,
    code: Code,
    what: &str,
    sink: &mut Sink,
) {
    let mut seen: HashMap<&str, &Spanned<String>> = HashMap::new();
    for name in names {
        if let Some(first) = seen.get(name.value.as_str()) {
            let kind = what.split(' ').next().unwrap_or(what);
            sink.push(
                Diagnostic::new(
                    code,
                    name.span,
                    format!(
                        "{kind} `{name}` is declared twice{}",
                        what.strip_prefix(kind).unwrap_or("")
                    ),
                )
                .with_label("declared again here")
                .with_secondary(first.span, "first declared here")
                .with_help(format!(
                    "rename one of them, or merge the two {kind} blocks"
                )),
            );
        } else {
            seen.insert(&name.value, name);
        }
    }
}

/// The longest plugin name, in bytes: it names directories and files of
/// packages and exports (with a suffix, and a temporary file's name
/// around it), and file systems take 255 bytes per name.
const PLUGIN_NAME_MAX: usize = 128;

fn plugin_name(name: &Spanned<String>, sink: &mut Sink) {
    let len = name.value.len();
    if len > PLUGIN_NAME_MAX {
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                name.span,
                format!("plugin name is {len} bytes long (at most {PLUGIN_NAME_MAX})"),
            )
            .with_label("too long")
            .with_help(
                "a plugin's name names the directories and files of its package; shorten it",
            ),
        );
    }
}

fn server_name(name: &Spanned<String>, sink: &mut Sink) {
    let text = &name.value;
    let problem = if text.is_empty() {
        "is empty".to_owned()
    } else if text.chars().count() > 64 {
        format!("is {} characters long (at most 64)", text.chars().count())
    } else if let Some(bad) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        format!("contains `{bad}`")
    } else {
        return;
    };
    let fixed: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let help = if fixed.is_empty() || fixed == *text {
        "a server name has 1 to 64 characters from `[A-Za-z0-9_-]`".to_owned()
    } else {
        format!("a server name has 1 to 64 characters from `[A-Za-z0-9_-]`, such as `{fixed}`")
    };
    sink.push(
        Diagnostic::new(
            Code::InvalidServerName,
            name.span,
            format!("server name `{text}` {problem}"),
        )
        .with_label("invalid server name")
        .with_help(help),
    );
}
