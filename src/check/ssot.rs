//! Single source of truth across plugins: servers built into one
//! configuration must have distinct names, and one server should not be
//! declared twice under two names.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Plugin, Server, Unit};
use crate::source::Spanned;
use crate::target::Target;
use foldhash::{HashMap, HashMapExt};
use std::collections::hash_map::Entry;

pub(super) fn check(unit: &Unit, sink: &mut Sink) {
    // A target that builds the very servers another one did has the same
    // collisions, reported alike (they name no target); most targets build
    // them all, so each set of servers is checked once.
    let mut checked: Vec<Vec<Built<'_>>> = Vec::new();
    for &target in Target::ALL {
        let built: Vec<Built<'_>> = unit
            .plugins
            .iter()
            .flat_map(|p| p.server_names_for(target).into_iter().map(move |n| (p, n)))
            .collect();
        let same = |other: &Vec<Built<'_>>| {
            other.len() == built.len()
                && other
                    .iter()
                    .zip(&built)
                    .all(|(a, b)| std::ptr::eq(a.0, b.0) && std::ptr::eq(a.1, b.1))
        };
        if !checked.iter().any(same) {
            collisions(&built, sink);
            checked.push(built);
        }
    }
    duplicate_launches(unit, sink);
}

/// A server a target builds: its plugin and name.
type Built<'u> = (&'u Plugin, &'u Spanned<String>);

/// A server name as runtimes key it: equal to another after lower-casing
/// and treating `-` and `_` alike, since runtimes key servers by name and
/// Hermes folds `-` into `_`. Hashed and compared byte by byte, folded in
/// place, so that checking every target allocates nothing per server.
#[derive(Clone, Copy)]
struct Folded<'a>(&'a str);

fn fold_byte(b: u8) -> u8 {
    if b == b'-' {
        b'_'
    } else {
        b.to_ascii_lowercase()
    }
}

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .bytes()
                .zip(other.0.bytes())
                .all(|(a, b)| fold_byte(a) == fold_byte(b))
    }
}

impl Eq for Folded<'_> {}

impl std::hash::Hash for Folded<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Folded a run at a time: equal keys have equal lengths, so the
        // same runs.
        let mut run = [0u8; 32];
        state.write_usize(self.0.len());
        for chunk in self.0.as_bytes().chunks(run.len()) {
            for (to, &from) in run.iter_mut().zip(chunk) {
                *to = fold_byte(from);
            }
            state.write(&run[..chunk.len()]);
        }
    }
}

/// The servers of `built`, what one target builds, whose names collide.
fn collisions<'u>(built: &[Built<'u>], sink: &mut Sink) {
    // Folded name -> the plugin and name of the first server built with it
    // (linear in servers; the name alone is kept, not the server).
    let mut seen: HashMap<Folded<'u>, Built<'u>> = HashMap::with_capacity(built.len());
    for &(plugin, name) in built {
        let (first_plugin, first) = match seen.entry(Folded(&name.value)) {
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
    let mut seen: HashMap<String, &Server> = HashMap::with_capacity(unit.server_count());
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

#[cfg(test)]
mod tests {
    use super::Folded;
    use crate::diag::{Code, LintLevels};
    use crate::source::{SourceFile, SourceMap};
    use std::hash::BuildHasher;

    /// The collisions `mcpc check` reports of `src`.
    fn collisions(src: &str) -> Vec<String> {
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("a.mcpc".to_owned(), src.to_owned()));
        let c = crate::Compilation::new(sources, LintLevels::default());
        let (_, diagnostics) = c.finish();
        diagnostics
            .iter()
            .filter(|d| d.code == Code::ServerNameCollision)
            .map(|d| d.message.clone())
            .collect()
    }

    /// Servers collide where one target builds them both, once however
    /// many targets do, and not where no target builds both.
    #[test]
    fn names_collide_only_where_one_target_builds_both() {
        let plugins = |a: &str, b: &str| {
            format!(
                "plugin \"a\" {{\n  version = \"1.0.0\"\n  {a}\n  server \"docs\" {{ url = \"https://a.example/mcp\" }}\n}}\n\
                 plugin \"b\" {{\n  version = \"1.0.0\"\n  {b}\n  server \"Docs\" {{ url = \"https://b.example/mcp\" }}\n}}\n"
            )
        };
        assert_eq!(collisions(&plugins("", "")).len(), 1);
        let apart = plugins("targets = [\"codex\"]", "targets = [\"gemini\"]");
        assert_eq!(collisions(&apart), Vec::<String>::new());
        let one = plugins(
            "targets = [\"codex\", \"gemini\"]",
            "targets = [\"gemini\"]",
        );
        assert_eq!(collisions(&one).len(), 1, "{:?}", collisions(&one));
    }

    #[test]
    fn names_equal_after_folding_are_one_key() {
        let hash = |s| foldhash::fast::FixedState::with_seed(7).hash_one(Folded(s));
        for (a, b) in [
            ("Svc-0", "svc_0"),
            ("GITHUB", "github"),
            ("a-b_c", "A_B-C"),
            (&"Ab-".repeat(40), &"aB_".repeat(40)),
        ] {
            assert!(Folded(a) == Folded(b), "{a} {b}");
            assert_eq!(hash(a), hash(b), "{a} {b}");
        }
        for (a, b) in [
            ("svc-0", "svc-1"),
            ("svc", "svc_"),
            ("a.b", "a_b"),
            ("é", "É"),
            (&"a".repeat(70), &format!("{}b", "a".repeat(69))),
        ] {
            assert!(Folded(a) != Folded(b), "{a} {b}");
        }
    }
}
