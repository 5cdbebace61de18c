//! Hermes Agent: `.hermes/config.yaml` (`mcp_servers`), the file under
//! `$HERMES_HOME`. `${VAR}` is expanded everywhere; there is no `cwd` and no
//! package format. RUNTIMES.md §4.

use super::lowering::{Fields, Vars, no_package, render_entries, tool_names};
use super::{
    Backend, Capabilities, Cx, Format, ManagedFile, NativeFile, Output, Owned, PluginServers,
    ServerSpec, Target, UserFile,
};
use crate::emit::{self, Number, OrderedMap};
use crate::ir::{Server, Transport};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

pub(super) struct Hermes;

const VARS: Vars = Vars::DOLLAR;

#[derive(Serialize, Deserialize)]
struct HermesConfig {
    #[serde(default)]
    mcp_servers: OrderedMap<HermesServer>,
}

/// The `mcp_servers` entries of servers with distinct names, written one
/// at a time below `mcp_servers:`: the bytes of the whole map's.
fn one_by_one(entries: impl Iterator<Item = (String, HermesServer)>, out: &mut Output) {
    emit::one_by_one(out, entries, "mcp_servers:\n", "", |mcp_servers| {
        emit::yaml(&HermesConfig { mcp_servers })
    });
}

#[derive(Serialize, Deserialize, Default)]
struct HermesServer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    env: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transport: Option<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    headers: OrderedMap<String>,
    /// Tool-call timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout: Option<Number>,
    /// Connect and discovery timeout in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connect_timeout: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tools: Option<HermesTools>,
}

#[derive(Serialize, Deserialize, Default)]
struct HermesTools {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    include: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exclude: Option<Vec<String>>,
}

const FILES: &[ManagedFile] = &[ManagedFile {
    project_path: CONFIG,
    format: Format::Yaml,
    owned: &[Owned::Servers(&["mcp_servers"])],
    user: UserFile::moved_by("HERMES_HOME", "config.yaml", ".hermes/config.yaml"),
}];

const CONFIG: &str = ".hermes/config.yaml";

impl Hermes {
    fn server(&self, s: &Server, cx: &mut Cx) -> HermesServer {
        let f = &s.fields;
        refused_shell_wrapper(s, cx);
        if let Some(cwd) = &f.rare().cwd {
            cx.unsupported(
                s,
                cwd.span,
                "`cwd` (Hermes ignores it and starts servers in its own directory)",
            );
        }
        let allow = tool_names(&f.rare().tools.allow);
        let deny = tool_names(&f.rare().tools.deny);
        // Hermes ignores `exclude` when `include` is set, so the allow-list
        // is written with the denied tools already taken out.
        let tools = match (allow, deny) {
            (None, None) => None,
            (Some(allow), deny) => Some(HermesTools {
                include: Some(
                    allow
                        .into_iter()
                        .filter(|t| !deny.iter().flatten().any(|d| d == t))
                        .collect(),
                ),
                exclude: None,
            }),
            (None, deny) => Some(HermesTools {
                include: None,
                exclude: deny,
            }),
        };
        let text = |cx: &mut Cx, v: &Option<crate::source::Spanned<crate::ir::Str>>, field| {
            v.as_ref()
                .and_then(|v| cx.render(s, v, &VARS, field))
                .map(Cow::into_owned)
        };
        let entries = |cx: &mut Cx, e, field| {
            OrderedMap(
                render_entries(cx, s, e, &VARS, field)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.into_owned()))
                    .collect(),
            )
        };
        HermesServer {
            command: text(cx, &f.command, Fields::COMMAND),
            args: f
                .args
                .iter()
                .flat_map(|a| &a.value)
                .filter_map(|a| cx.render(s, a, &VARS, Fields::ARGS))
                .map(Cow::into_owned)
                .collect(),
            env: entries(cx, &f.env, Fields::ENV),
            url: text(cx, &f.url, Fields::URL),
            transport: (f.transport_kind() == Transport::Sse).then(|| "sse".to_owned()),
            headers: entries(cx, &f.headers, Fields::HEADERS),
            timeout: f
                .rare()
                .tool_timeout
                .as_ref()
                .map(|t| Number::from_millis(t.value, 1000)),
            connect_timeout: f
                .rare()
                .startup_timeout
                .as_ref()
                .map(|t| Number::from_millis(t.value, 1000)),
            enabled: (!f.is_enabled()).then_some(false),
            tools,
        }
    }
}

/// Hermes silently refuses (and disables) stdio entries that run a shell
/// with an inline script reaching the network or writing files.
fn refused_shell_wrapper(s: &Server, cx: &mut Cx) {
    let f = &s.fields;
    let Some(command) = f.command.as_ref().and_then(|c| c.value.as_literal()) else {
        return;
    };
    let program = command.rsplit('/').next().unwrap_or(&command);
    if !matches!(program, "sh" | "bash" | "zsh" | "dash" | "ksh" | "fish") {
        return;
    }
    let args: Vec<String> = f
        .args
        .iter()
        .flat_map(|a| &a.value)
        .map(|a| a.value.display())
        .collect();
    let inline = args.iter().any(|a| a == "-c" || a == "-lc");
    let script = args.join(" ");
    let risky = ["curl", "wget", " nc ", "ncat", ">>", "> ", "tee "]
        .iter()
        .any(|w| script.contains(w));
    if inline && risky {
        let at = f.args.as_ref().map_or(s.name.span, |a| a.span);
        cx.unsupported(s, at, "a shell wrapper whose inline script reaches the network or writes files (Hermes refuses and disables such entries)");
    }
}

impl Backend for Hermes {
    fn target(&self) -> Target {
        Target::Hermes
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            proven: "0.19.0",
            config_file: ".hermes/config.yaml (the file under $HERMES_HOME)",
            package: "none (config only)",
            rows: &[
                ("env.X in env/headers", "${X}"),
                ("${env.X:-d}", "unsupported"),
                ("plugin.root", "--plugin-root (config); no packages"),
                ("cwd", "unsupported (ignored by the runtime)"),
                ("transport = sse", "transport: sse"),
                (
                    "tools.allow / tools.deny",
                    "tools.include (allow minus deny) / tools.exclude",
                ),
                ("tool_timeout", "timeout (s)"),
                ("startup_timeout", "connect_timeout (s)"),
                ("enabled = false", "enabled: false"),
                (
                    "sh -c wrapper reaching the network",
                    "unsupported (refused by the runtime)",
                ),
            ],
        }
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let servers = plugins.iter().flat_map(|p| &p.servers);
        let names = servers.clone().map(|s| s.name.value.as_str());
        let Some(mut out) = cx.output(CONFIG) else {
            // Each server is lowered for what it reports, and dropped.
            servers.for_each(|s| drop(self.server(s, cx)));
            return vec![NativeFile {
                path: CONFIG,
                contents: String::new().into(),
            }];
        };
        if cx.distinct(names) {
            // Each server is written as it is lowered: no map of them all.
            let entries = servers.map(|s| (s.name.value.clone(), self.server(s, cx)));
            one_by_one(entries, &mut out);
        } else {
            // A name given twice: the later entry takes the earlier's place.
            let mut map = OrderedMap::new();
            for s in servers {
                map.insert(s.name.value.clone(), self.server(s, cx));
            }
            out.put(&emit::yaml(&HermesConfig { mcp_servers: map }));
        }
        let contents = out.finish();
        vec![NativeFile {
            path: CONFIG,
            contents,
        }]
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        no_package(cx, p, "Hermes");
        Vec::new()
    }

    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String> {
        let text = file(CONFIG).ok_or_else(|| format!("no `{CONFIG}`"))?;
        let config: HermesConfig =
            serde_norway::from_str(&text).map_err(|e| format!("{CONFIG}: {e}"))?;
        Ok(config
            .mcp_servers
            .0
            .into_iter()
            .map(|(name, s)| {
                let transport = match (&s.url, s.transport.as_deref()) {
                    (Some(_), Some("sse")) => Transport::Sse,
                    (Some(_), _) => Transport::Http,
                    _ => Transport::Stdio,
                };
                let mut spec = ServerSpec::new(name, transport);
                spec.command = s.command;
                spec.args = s.args;
                spec.env = s.env.0;
                spec.url = s.url;
                spec.headers = s.headers.0;
                spec.tool_timeout_ms = s.timeout.map(|n| n.to_millis(1000));
                spec.startup_timeout_ms = s.connect_timeout.map(|n| n.to_millis(1000));
                spec.enabled = s.enabled.unwrap_or(true);
                let tools = s.tools.unwrap_or_default();
                spec.allow = tools.include;
                spec.deny = if spec.allow.is_some() {
                    None
                } else {
                    tools.exclude
                };
                spec.normalized()
            })
            .collect())
    }

    fn approximate(&self, _spec: &mut ServerSpec) {}

    fn managed_files(&self) -> &'static [ManagedFile] {
        FILES
    }

    fn transport_field(&self) -> Option<(&'static str, Vec<&'static str>)> {
        // Hermes reads `transport: sse`; anything else is streamable HTTP.
        Some(("transport", vec!["sse"]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The config written as its servers are made is the map's bytes: no
    /// server, one, several with every kind of field and names to quote.
    #[test]
    fn a_streamed_config_is_the_maps_bytes() {
        fn full(t: &str) -> HermesServer {
            HermesServer {
                command: Some("npx".into()),
                args: vec!["-y".into(), "a: b".into()],
                env: OrderedMap(vec![("K".into(), "v\"".into())]),
                headers: OrderedMap(vec![("X-A".into(), "1".into())]),
                timeout: Some(Number::Float(0.5)),
                enabled: Some(false),
                tools: Some(HermesTools {
                    include: Some(vec![t.to_owned()]),
                    exclude: None,
                }),
                ..HermesServer::default()
            }
        }
        let remote = || HermesServer {
            url: Some("https://x/mcp".into()),
            transport: Some("sse".into()),
            ..HermesServer::default()
        };
        type Case = Vec<(&'static str, fn() -> HermesServer)>;
        let cases: Vec<Case> = vec![
            vec![],
            vec![("a", || full("t"))],
            vec![
                ("a", || full("t")),
                ("true", HermesServer::default),
                ("with space: yes", remote),
                ("d", || full("u")),
            ],
        ];
        for case in cases {
            let map = HermesConfig {
                mcp_servers: OrderedMap(case.iter().map(|(k, f)| ((*k).to_owned(), f())).collect()),
            };
            let mut out = Output::new(None, CONFIG);
            one_by_one(case.iter().map(|(k, f)| ((*k).to_owned(), f())), &mut out);
            assert_eq!(
                out.finish().text(),
                Some(emit::yaml(&map).as_str()),
                "{} servers",
                case.len()
            );
        }
    }
}
