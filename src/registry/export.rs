//! `mcpc export --format server-json`: a `server.json` for each server a
//! platform wants to publish to an MCP Registry.
//!
//! A stdio server becomes a package when its launch line is one a registry
//! client can reproduce (`npx -y NAME@VERSION`, `uvx NAME==VERSION`,
//! `dnx NAME@VERSION`, `docker run … IMAGE`); a remote becomes a `remotes`
//! entry. References become inputs: `secret.X` an `isSecret` input, `env.X`
//! a required one (or one with its default). What a `server.json` cannot
//! carry is reported against the source: an error when the published entry
//! would launch something else (a `cwd`, `plugin.root`, a program that is no
//! package), a `lossy-lowering` warning for the client-side settings
//! (filters, timeouts) that a registry entry does not hold.

use super::server_json::{Argument, Input, KeyValue, Package, Remote, SCHEMA_URL, ServerJson};
use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Entry, Part, Plugin, Ref, Server, Str, Unit};
use crate::source::{Span, Spanned};
use std::collections::BTreeMap;

/// One `server.json`, at `<plugin>/<server>/server.json` under the output
/// directory.
pub struct Exported {
    pub path: String,
    pub text: String,
}

/// Every server of the plugins `only` names (all plugins when empty).
pub fn export(unit: &Unit, only: &[String], sink: &mut Sink) -> Vec<Exported> {
    let mut out = Vec::new();
    for plugin in &unit.plugins {
        if !only.is_empty() && !only.contains(&plugin.name.value) {
            continue;
        }
        // The plugin's name is a directory of the output: one plain
        // component, so no name leads outside `--out`.
        let name = &plugin.name.value;
        let plain = !name.is_empty()
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            Cx { sink, errors: 0 }.error(
                plugin.name.span,
                format!("plugin `{name}` cannot name an export directory"),
                "use letters, digits, `-`, `_` and `.` in the plugin's name",
            );
            continue;
        }
        for server in &plugin.servers {
            let mut cx = Cx { sink, errors: 0 };
            let doc = cx.document(plugin, server);
            if cx.errors == 0 {
                let text =
                    serde_json::to_string_pretty(&doc).expect("server.json serializes") + "\n";
                out.push(Exported {
                    path: format!("{}/{}/server.json", plugin.name.value, server.name.value),
                    text,
                });
            }
        }
    }
    out
}

struct Cx<'a> {
    sink: &'a mut Sink,
    errors: usize,
}

impl Cx<'_> {
    fn error(&mut self, span: Span, message: String, help: &str) {
        self.errors += 1;
        self.sink.push(
            Diagnostic::new(Code::UnsupportedFeature, span, message)
                .with_label("not expressible in server.json")
                .with_help(help),
        );
    }

    fn lossy(&mut self, span: Span, server: &Server, what: &str) {
        self.sink.push(
            Diagnostic::new(
                Code::LossyLowering,
                span,
                format!(
                    "server.json has no place for {what} (server `{}`); it is not exported",
                    server.name
                ),
            )
            .with_label("left out of server.json")
            .with_help("each runtime's configuration still gets it from `mcpc build`"),
        );
    }

    fn document(&mut self, plugin: &Plugin, server: &Server) -> ServerJson {
        let f = &server.fields;
        let description = f
            .rare()
            .description
            .as_ref()
            .or(plugin.description.as_ref());
        match description {
            None => self.error(
                server.name.span,
                format!(
                    "server `{}` has no description, which server.json requires",
                    server.name
                ),
                "add `description = \"…\"` (at most 100 characters) to the server or the plugin",
            ),
            Some(d) if d.value.chars().count() > 100 => self.error(
                d.span,
                "server.json descriptions are at most 100 characters".into(),
                "shorten it, or give the server its own shorter `description`",
            ),
            Some(_) => {}
        }
        if let Some(cwd) = &f.rare().cwd {
            self.error(
                cwd.span,
                format!(
                    "server.json cannot say in which directory server `{}` runs",
                    server.name
                ),
                "remove `cwd` from the published server, or keep it out with `--plugin`",
            );
        }
        for (span, what) in [
            (
                f.rare().tools.allow.as_ref().map(|t| t.span),
                "a tool allow-list",
            ),
            (
                f.rare().tools.deny.as_ref().map(|t| t.span),
                "a tool deny-list",
            ),
            (
                f.rare().tool_timeout.as_ref().map(|t| t.span),
                "`tool_timeout`",
            ),
            (
                f.rare().startup_timeout.as_ref().map(|t| t.span),
                "`startup_timeout`",
            ),
            (f.rare().enabled.as_ref().map(|t| t.span), "`enabled`"),
        ] {
            if let Some(span) = span {
                self.lossy(span, server, what);
            }
        }
        let mut doc = ServerJson {
            schema: Some(SCHEMA_URL.into()),
            name: format!("{}/{}", namespace(plugin), server.name.value),
            description: description.map(|d| d.value.clone()).unwrap_or_default(),
            version: plugin
                .version
                .as_ref()
                .map(|v| v.value.clone())
                .unwrap_or_default(),
            website_url: plugin.homepage.as_ref().map(|h| h.value.clone()),
            ..ServerJson::default()
        };
        if let Some(url) = &f.url {
            let (url, variables) = self.template(url);
            doc.remotes.push(Remote {
                kind: match f.transport_kind() {
                    crate::ir::Transport::Sse => "sse".into(),
                    _ => "streamable-http".into(),
                },
                url: Some(url),
                headers: self.inputs(f.headers.as_ref()),
                variables,
                ..Remote::default()
            });
        } else if let Some(command) = &f.command
            && let Some(package) = self.package(server, command)
        {
            doc.packages.push(package);
        }
        doc
    }

    fn package(&mut self, server: &Server, command: &Spanned<Str>) -> Option<Package> {
        let f = &server.fields;
        let program = self.literal(command)?;
        let args: Vec<&Spanned<Str>> = f.args.iter().flat_map(|a| &a.value).collect();
        let mut words = Vec::new();
        for arg in &args {
            words.push(self.literal(arg)?);
        }
        let basename = program.rsplit(['/', '\\']).next().unwrap_or(&program);
        let launch = match basename {
            "npx" => registry_launch(&words, "npm", "@"),
            "uvx" => registry_launch(&words, "pypi", "=="),
            "dnx" => registry_launch(&words, "nuget", "@"),
            "docker" | "podman" => docker_launch(&words),
            _ => None,
        };
        let Some(launch) = launch else {
            self.error(
                command.span,
                format!("server `{}` runs `{program}` with no published package a registry client can start", server.name),
                "launch it as `npx -y NAME@VERSION`, `uvx NAME==VERSION`, `dnx NAME@VERSION` or `docker run -i --rm IMAGE:TAG`, or leave the plugin out with `--plugin`",
            );
            return None;
        };
        if launch.version.is_none() && launch.registry_type != "oci" {
            self.error(
                command.span,
                format!(
                    "server `{}` launches `{}` without an exact version",
                    server.name, launch.identifier
                ),
                "pin it (`NAME@1.2.3`): a registry entry names one version",
            );
            return None;
        }
        let positional = |value: &String| Argument {
            kind: "positional".into(),
            input: Input {
                value: Some(value.clone()),
                ..Input::default()
            },
            ..Argument::default()
        };
        Some(Package {
            registry_type: launch.registry_type.into(),
            identifier: launch.identifier,
            version: launch.version,
            runtime_hint: (basename != launch.default_program).then(|| basename.to_owned()),
            transport: Remote {
                kind: "stdio".into(),
                ..Remote::default()
            },
            runtime_arguments: launch.runtime.iter().map(positional).collect(),
            package_arguments: launch.package.iter().map(positional).collect(),
            environment_variables: self.inputs(f.env.as_ref()),
            ..Package::default()
        })
    }

    /// A value that must be plain text in a published launch line.
    fn literal(&mut self, value: &Spanned<Str>) -> Option<String> {
        let mut text = String::new();
        for part in &value.value.parts {
            match part {
                Part::Lit(t) => text.push_str(t),
                Part::Ref(r) => {
                    self.error(
                        r.span,
                        "a registry package's launch line is fixed; a reference cannot stand in it"
                            .into(),
                        "pass the value through `env { … }` instead",
                    );
                    return None;
                }
            }
        }
        Some(text)
    }

    /// Environment variables or headers as inputs.
    fn inputs(&mut self, entries: Option<&Spanned<Vec<Entry>>>) -> Vec<KeyValue> {
        let mut out = Vec::new();
        for entry in entries.iter().flat_map(|e| &e.value) {
            let name = entry.key.value.clone();
            let input = match whole_reference(&entry.value.value) {
                Some(Ref::Secret { name: var }) if *var == name => Input {
                    is_required: true,
                    is_secret: true,
                    ..Input::default()
                },
                Some(Ref::Env { name: var, default }) if *var == name => Input {
                    is_required: default.is_none(),
                    default: default.clone(),
                    ..Input::default()
                },
                _ => {
                    let (value, variables) = self.template(&entry.value);
                    Input {
                        is_secret: variables.values().any(|v| v.is_secret),
                        value: Some(value),
                        variables,
                        ..Input::default()
                    }
                }
            };
            out.push(KeyValue {
                name: name.to_string(),
                input,
            });
        }
        out
    }

    /// A value as a `{name}` template and the variables it uses.
    fn template(&mut self, value: &Spanned<Str>) -> (String, BTreeMap<String, Input>) {
        let mut text = String::new();
        let mut variables = BTreeMap::new();
        for part in &value.value.parts {
            match part {
                Part::Lit(t) => text.push_str(t),
                Part::Ref(r) => match &r.value {
                    Ref::Secret { name } => {
                        text.push_str(&format!("{{{name}}}"));
                        variables.insert(
                            name.clone(),
                            Input {
                                is_required: true,
                                is_secret: true,
                                ..Input::default()
                            },
                        );
                    }
                    Ref::Env { name, default } => {
                        text.push_str(&format!("{{{name}}}"));
                        variables.insert(
                            name.clone(),
                            Input {
                                is_required: default.is_none(),
                                default: default.clone(),
                                ..Input::default()
                            },
                        );
                    }
                    Ref::PluginRoot => self.error(
                        r.span,
                        "server.json has no `plugin.root`: a registry entry is not installed as a plugin".into(),
                        "publish the plugin as a package (`mcpc build --emit package`) instead",
                    ),
                    Ref::ProjectRoot => self.error(
                        r.span,
                        "server.json has no `project.root`: a registry entry runs outside any project".into(),
                        "publish a server that needs no project files, or keep this one in the project's own config",
                    ),
                },
            }
        }
        (text, variables)
    }
}

fn whole_reference(value: &Str) -> Option<&Ref> {
    match value.parts.as_slice() {
        [Part::Ref(r)] => Some(&r.value),
        _ => None,
    }
}

/// The registry namespace of a plugin: its homepage's host in reverse-DNS
/// order (`https://docs.molecule.ai` → `ai.molecule.docs`), or its name.
fn namespace(plugin: &Plugin) -> String {
    let host = plugin
        .homepage
        .as_ref()
        .and_then(|h| url::Url::parse(&h.value).ok())
        .and_then(|u| u.host_str().map(str::to_owned));
    let raw = match host {
        Some(host) => host.rsplit('.').collect::<Vec<_>>().join("."),
        None => plugin.name.value.clone(),
    };
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

struct Launch {
    registry_type: &'static str,
    default_program: &'static str,
    identifier: String,
    version: Option<String>,
    runtime: Vec<String>,
    package: Vec<String>,
}

/// `npx [-y] NAME@VERSION ARGS…` and its kin.
fn registry_launch(words: &[String], registry_type: &'static str, sep: &str) -> Option<Launch> {
    let at = words.iter().position(|w| !w.starts_with('-'))?;
    let spec = &words[at];
    let split = if sep == "@" {
        spec.rfind('@').filter(|&i| i > 0)
    } else {
        spec.find(sep)
    };
    let (identifier, version) = match split {
        Some(i) => (spec[..i].to_owned(), Some(spec[i + sep.len()..].to_owned())),
        None => (spec.clone(), None),
    };
    let version = version.filter(|v| !v.is_empty() && v != "latest");
    let runtime = words[..at]
        .iter()
        .filter(|w| !matches!(w.as_str(), "-y" | "--yes"))
        .cloned()
        .collect();
    let package = words[at + 1..]
        .iter()
        .filter(|w| !(registry_type == "nuget" && w.as_str() == "--yes"))
        .cloned()
        .collect();
    Some(Launch {
        registry_type,
        default_program: match registry_type {
            "npm" => "npx",
            "pypi" => "uvx",
            _ => "dnx",
        },
        identifier,
        version,
        runtime,
        package,
    })
}

/// `docker run [-i] [--rm] [-e NAME]… [OPTIONS] IMAGE ARGS…`: the variables
/// passed with `-e` are the package's environment, declared in `env`.
fn docker_launch(words: &[String]) -> Option<Launch> {
    let mut rest = words.strip_prefix(&["run".to_owned()])?.iter().peekable();
    let mut runtime = Vec::new();
    let image = loop {
        let word = rest.next()?;
        match word.as_str() {
            "-i" | "--interactive" | "--rm" | "-it" => {}
            "-e" | "--env" => {
                rest.next()?;
            }
            flag if flag.starts_with('-') => {
                runtime.push(word.clone());
                if !flag.contains('=') && rest.peek().is_some_and(|n| !n.starts_with('-')) {
                    runtime.push(rest.next()?.clone());
                }
            }
            _ => break word.clone(),
        }
    };
    Some(Launch {
        registry_type: "oci",
        default_program: "docker",
        identifier: image,
        version: None,
        runtime,
        package: rest.cloned().collect(),
    })
}
