//! Single source of truth across plugins: servers built into one
//! configuration must have distinct names, and one server should not be
//! declared twice under two names.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Plugin, Server, Unit};
use crate::source::Spanned;
use crate::target::Target;
use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;
use std::collections::hash_map::Entry;

pub(super) fn check(unit: &Unit, sink: &mut Sink) {
    for &target in Target::ALL {
        collisions(unit, target, sink);
    }
    duplicate_launches(unit, sink);
}

/// Names equal after lower-casing and treating `-` and `_` alike collide:
/// runtimes key servers by name and Hermes folds `-` into `_`.
/// Borrowed when the name is folded already (most are), so that checking
/// every target allocates nothing per server.
fn fold(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase() || b == b'-') {
        Cow::Owned(name.to_ascii_lowercase().replace('-', "_"))
    } else {
        Cow::Borrowed(name)
    }
}

/// How many servers the unit declares: room enough for a map keyed by them.
fn servers(unit: &Unit) -> usize {
    unit.plugins.iter().map(|p| p.servers.len()).sum()
}

fn collisions(unit: &Unit, target: Target, sink: &mut Sink) {
    // Folded name -> the plugin and name of the first server built with it
    // (linear in servers; the name alone is kept, not the server).
    let mut seen: HashMap<Cow<'_, str>, (&Plugin, &Spanned<String>)> =
        HashMap::with_capacity(servers(unit));
    for plugin in &unit.plugins {
        for name in plugin.server_names_for(target) {
            let (first_plugin, first) = match seen.entry(fold(&name.value)) {
                Entry::Vacant(v) => {
                    v.insert((plugin, name));
                    continue;
                }
                Entry::Occupied(o) => *o.get(),
            };
            // The same name twice in one plugin is `duplicate-server`.
            if std::ptr::eq(first_plugin, plugin) && first.value == name.value {
                continue;
            }
            let how = if first.value == name.value {
                "the same name as"
            } else {
                "a name that collides with"
            };
            sink.push(
                Diagnostic::new(
                    Code::ServerNameCollision,
                    name.span,
                    format!(
                        "server `{}` of plugin `{}` has {how} server `{}` of plugin `{}`",
                        name, plugin.name, first, first_plugin.name
                    ),
                )
                .with_label("collides")
                .with_secondary(first.span, "with this server")
                .with_help("rename one of them; names equal after lower-casing and `-`/`_` folding overwrite each other in a runtime's config"),
            );
        }
    }
}

fn launch_key(server: &Server) -> Option<String> {
    let f = &server.fields;
    if let Some(url) = &f.url {
        return Some(format!("url {}", url.value.display()));
    }
    let command = f.command.as_ref()?;
    let args: Vec<String> = f
        .args
        .iter()
        .flat_map(|a| a.value.iter().map(|s| s.value.display()))
        .collect();
    Some(format!(
        "command {}\0{}",
        command.value.display(),
        args.join("\0")
    ))
}

fn duplicate_launches(unit: &Unit, sink: &mut Sink) {
    let mut seen: HashMap<String, &Server> = HashMap::with_capacity(servers(unit));
    for server in unit.plugins.iter().flat_map(|p| &p.servers) {
        let Some(key) = launch_key(server) else {
            continue;
        };
        let what = if key.starts_with("url") {
            "calls the same URL"
        } else {
            "starts the same command"
        };
        let first = match seen.entry(key) {
            Entry::Vacant(v) => {
                v.insert(server);
                continue;
            }
            Entry::Occupied(o) => *o.get(),
        };
        sink.push(
            Diagnostic::new(
                Code::DuplicateLaunch,
                server.name.span,
                format!("server `{}` {what} as server `{}`", server.name, first.name),
            )
            .with_label("launched twice")
            .with_secondary(first.name.span, "first launched here")
            .with_help("declare the server once; the same tools under two names confuse models"),
        );
    }
}
