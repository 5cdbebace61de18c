//! Codex CLI: `.codex/config.toml` (`[mcp_servers.<name>]`). Codex expands
//! no variable anywhere, so references are lowered structurally: `env_vars`,
//! `bearer_token_env_var`, `env_http_headers` — never a `${…}`. Packages
//! are Codex plugins (`.codex-plugin/plugin.json` pointing at
//! `codex.mcp.json`), and Agent Plugins v1 files when they are complete
//! (Codex reads those first: `agent_plugins`). RUNTIMES.md §3.

use super::lowering::{Fields, ProjectRoot, Vars, check_package_name, tool_names};
use super::{
    Backend, Capabilities, Contents, Cx, Format, ManagedFile, NativeFile, Output, Owned,
    PluginServers, ServerSpec, Target, UserFile,
};
use crate::emit::{self, Number, OrderedMap};
use crate::ir::{Part, Ref, RemoteTransport, Server, Str, Transport};
use crate::source::Spanned;
use serde::{Deserialize, Serialize};

pub(super) struct Codex;

#[derive(Serialize, Deserialize)]
struct CodexConfig {
    #[serde(default)]
    mcp_servers: OrderedMap<CodexServer>,
}

#[derive(Serialize, Deserialize)]
struct McpJson {
    #[serde(rename = "mcpServers")]
    servers: OrderedMap<CodexServer>,
}

#[derive(Serialize, Deserialize, Default)]
struct CodexServer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    env_vars: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bearer_token_env_var: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    startup_timeout_sec: Option<Number>,
    /// Legacy spelling Codex still reads (RUNTIMES.md §2); never written.
    #[serde(default, skip_serializing)]
    startup_timeout_ms: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_timeout_sec: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled_tools: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disabled_tools: Option<Vec<String>>,
    // Tables last: TOML writes them after the plain keys.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    env: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    http_headers: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    env_http_headers: OrderedMap<String>,
}

#[derive(Serialize)]
struct PluginManifest<'a> {
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(rename = "mcpServers")]
    mcp_servers: &'a str,
}

const FILES: &[ManagedFile] = &[ManagedFile {
    project_path: CONFIG,
    format: Format::Toml,
    owned: &[Owned::Servers(&["mcp_servers"])],
    user: UserFile::moved_by("CODEX_HOME", "config.toml", ".codex/config.toml"),
}];

const CONFIG: &str = ".codex/config.toml";
const PACKAGE_MCP: &str = "codex.mcp.json";

/// Codex expands no variables; it starts stdio servers in its working
/// directory, so `project.root` is `.` at the start of a path.
const VARS: Vars = Vars {
    expanded: Fields::NONE,
    project_root: ProjectRoot::Cwd,
    ..Vars::DOLLAR
};

/// Lowering state of one server: in a package, `plugin.root` becomes `.`
/// with `cwd = "."` (Codex resolves a relative `cwd` against the plugin).
struct Lowering<'s> {
    server: &'s Server,
    uses_plugin_root: bool,
}

impl Lowering<'_> {
    /// A value Codex takes literally: text and `plugin.root` only.
    fn literal(&mut self, cx: &mut Cx, value: &Spanned<Str>, field: &str) -> Option<String> {
        let mut out = String::new();
        // Without the files only `cwd`'s text is read (a package's
        // `plugin.root` check); the other values are walked for what
        // they report.
        let keep = cx.keeps_files() || field == "cwd";
        for part in &value.value.parts {
            match part {
                Part::Lit(text) if keep => out.push_str(text),
                Part::Lit(_) => {}
                Part::Ref(r) => match &r.value {
                    Ref::PluginRoot if cx.packaging() => {
                        self.uses_plugin_root = true;
                        out.push('.');
                    }
                    Ref::PluginRoot => out.push_str(&cx.config_plugin_root(self.server, r.span)?),
                    Ref::ProjectRoot => {
                        let first = std::ptr::eq(part, &value.value.parts[0]);
                        let field = match field {
                            "command" => Fields::COMMAND,
                            "args" => Fields::ARGS,
                            "cwd" => Fields::CWD,
                            "env" => Fields::ENV,
                            "url" => Fields::URL,
                            _ => Fields::HEADERS,
                        };
                        out.push_str(cx.project_root(self.server, r.span, &VARS, field, first)?);
                    }
                    other => {
                        cx.unsupported(
                            self.server,
                            r.span,
                            &format!(
                                "`${{{}}}` in `{field}` (Codex expands no variables)",
                                other.source_text()
                            ),
                        );
                        return None;
                    }
                },
            }
        }
        Some(out)
    }

    fn env(&mut self, cx: &mut Cx, out: &mut CodexServer) {
        let s = self.server;
        for e in s.fields.env.iter().flat_map(|e| &e.value) {
            let key = &e.key.value;
            match e.value.value.as_single_ref().map(|r| (&r.value, r.span)) {
                Some((Ref::Env { name, default: None } | Ref::Secret { name }, _)) if name == key => {
                    out.env_vars.push(key.to_string());
                }
                Some((Ref::Env { name, default: None } | Ref::Secret { name }, span)) => cx.unsupported(
                    s,
                    span,
                    &format!("`{key}` taken from variable `{name}` (Codex forwards a variable under its own name only; write `{name} = …` or rename the variable `{key}`)"),
                ),
                _ => {
                    if let Some(v) = self.literal(cx, &e.value, "env") {
                        out.env.insert(key.clone(), v);
                    }
                }
            }
        }
    }

    fn headers(&mut self, cx: &mut Cx, out: &mut CodexServer) {
        let s = self.server;
        for e in s.fields.headers.iter().flat_map(|e| &e.value) {
            let key = &e.key.value;
            let parts = &e.value.value.parts;
            let var = |r: &Spanned<Ref>| match &r.value {
                Ref::Env {
                    name,
                    default: None,
                }
                | Ref::Secret { name } => Some(name.clone()),
                _ => None,
            };
            match parts.as_slice() {
                [Part::Lit(bearer), Part::Ref(r)]
                    if key.eq_ignore_ascii_case("authorization") && bearer == "Bearer " && var(r).is_some() =>
                {
                    out.bearer_token_env_var = var(r);
                }
                [Part::Ref(r)] if var(r).is_some() => {
                    out.env_http_headers.insert(key.clone(), var(r).unwrap_or_default());
                }
                _ if e.value.value.refs().any(|r| r.value != Ref::PluginRoot) => cx.unsupported(
                    s,
                    e.value.span,
                    &format!("header `{key}` = `{}` (Codex sends `Bearer ${{X}}` as `bearer_token_env_var` and a whole-value variable as `env_http_headers`, nothing else)", e.value.value.display()),
                ),
                _ => {
                    if let Some(v) = self.literal(cx, &e.value, "headers") {
                        out.http_headers.insert(key.clone(), v);
                    }
                }
            }
        }
    }
}

/// The `mcp_servers` tables of servers with distinct names, written one at
/// a time: a blank line apart, they are the bytes of the whole map's.
fn one_by_one(tables: impl Iterator<Item = (String, CodexServer)>, out: &mut Output) {
    emit::one_by_one(out, tables, "", "\n", |mcp_servers| {
        emit::toml(&CodexConfig { mcp_servers })
    });
}

impl Codex {
    fn server(&self, s: &Server, cx: &mut Cx) -> CodexServer {
        let f = &s.fields;
        let mut l = Lowering {
            server: s,
            uses_plugin_root: false,
        };
        let mut out = CodexServer {
            command: f.command.as_ref().and_then(|c| l.literal(cx, c, "command")),
            args: f
                .args
                .iter()
                .flat_map(|a| &a.value)
                .filter_map(|a| l.literal(cx, a, "args"))
                .collect(),
            cwd: f.rare().cwd.as_ref().and_then(|c| l.literal(cx, c, "cwd")),
            url: f.url.as_ref().and_then(|u| l.literal(cx, u, "url")),
            enabled: (!f.is_enabled()).then_some(false),
            startup_timeout_sec: f
                .rare()
                .startup_timeout
                .as_ref()
                .map(|t| Number::from_millis(t.value, 1000)),
            tool_timeout_sec: f
                .rare()
                .tool_timeout
                .as_ref()
                .map(|t| Number::from_millis(t.value, 1000)),
            enabled_tools: tool_names(&f.rare().tools.allow),
            disabled_tools: tool_names(&f.rare().tools.deny),
            ..CodexServer::default()
        };
        l.env(cx, &mut out);
        l.headers(cx, &mut out);
        if let Some(t) = f
            .rare()
            .transport
            .as_ref()
            .filter(|t| t.value == RemoteTransport::Sse)
        {
            cx.unsupported(
                s,
                t.span,
                "`transport = sse` (Codex speaks streamable HTTP only)",
            );
        }
        if l.uses_plugin_root {
            match (&f.rare().cwd, out.cwd.as_deref()) {
                (None, _) | (Some(_), Some(".")) => out.cwd = Some(".".to_owned()),
                (Some(cwd), _) => cx.unsupported(
                    s,
                    cwd.span,
                    "`cwd` together with `plugin.root` in a package (Codex resolves `plugin.root` through `cwd = \".\"`)",
                ),
            }
        }
        out
    }

    /// `config.toml` written one server at a time, each table dropped once
    /// written (the map of every server was the peak of a build at scale).
    fn written_one_by_one<'s>(
        &self,
        servers: impl IntoIterator<Item = &'s Server>,
        cx: &mut Cx,
    ) -> Contents {
        let Some(mut out) = cx.output(CONFIG) else {
            return Contents::Text(String::new());
        };
        let tables = servers
            .into_iter()
            .map(|s| (s.name.value.clone(), self.server(s, cx)));
        one_by_one(tables, &mut out);
        out.finish()
    }

    fn servers<'s>(
        &self,
        servers: impl IntoIterator<Item = &'s Server>,
        cx: &mut Cx,
    ) -> OrderedMap<CodexServer> {
        let mut out = OrderedMap::new();
        for s in servers {
            out.insert(s.name.value.clone(), self.server(s, cx));
        }
        out
    }
}

impl Backend for Codex {
    fn target(&self) -> Target {
        Target::Codex
    }

    fn env_reference(&self) -> String {
        "names only: `env_vars`, `bearer_token_env_var`, `env_http_headers`".to_owned()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            proven: "0.169.0",
            config_file: ".codex/config.toml",
            package: ".codex-plugin/plugin.json + codex.mcp.json (+ plugin.json + mcp.json, Agent Plugins v1, when complete)",
            rows: &[
                (
                    "env.X in env/headers",
                    "env K = env.K: env_vars = [\"K\"]; Authorization = \"Bearer ${secret.X}\": bearer_token_env_var; header = one reference: env_http_headers; else unsupported",
                ),
                ("${env.X:-d}", "unsupported"),
                (
                    "plugin.root",
                    "cwd = \".\" + ./ paths (packages), --plugin-root (config)",
                ),
                ("cwd", "cwd"),
                ("transport = sse", "unsupported"),
                ("tools.allow / tools.deny", "enabled_tools / disabled_tools"),
                ("tool_timeout", "tool_timeout_sec"),
                ("startup_timeout", "startup_timeout_sec"),
                ("enabled = false", "enabled = false"),
                super::agent_plugins::ROW,
            ],
        }
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let servers = plugins
            .iter()
            .flat_map(|p| p.servers.iter().map(|s| s.as_ref()));
        if !cx.keeps_files() {
            // Each server is lowered for what it reports, and dropped.
            servers.for_each(|s| drop(self.server(s, cx)));
            return vec![NativeFile {
                path: CONFIG,
                contents: String::new().into(),
            }];
        }
        let names = plugins.iter().flat_map(|p| &p.servers);
        if cx.distinct(names.map(|s| s.name.value.as_str())) {
            return vec![NativeFile {
                path: CONFIG,
                contents: self.written_one_by_one(servers, cx),
            }];
        }
        let config = CodexConfig {
            mcp_servers: self.servers(servers, cx),
        };
        vec![NativeFile {
            path: CONFIG,
            contents: cx.streamed(CONFIG, |out| out.put(&emit::toml(&config))),
        }]
    }

    /// `.agents/plugins/marketplace.json`: `codex plugin marketplace add
    /// DIR` on the output directory lists each plugin at `./<plugin>`.
    fn marketplace(&self, plugins: &[&crate::ir::Plugin]) -> Option<NativeFile> {
        if plugins.is_empty() {
            return None;
        }
        let entries: Vec<serde_json::Value> = plugins
            .iter()
            .map(|p| {
                serde_json::json!({
                    "name": p.name.value,
                    "source": {"source": "local", "path": format!("./{}", p.name.value)},
                })
            })
            .collect();
        let index = serde_json::json!({
            "name": super::marketplace_name(plugins),
            "plugins": entries,
        });
        Some(NativeFile {
            path: ".agents/plugins/marketplace.json",
            contents: emit::json(&index).into(),
        })
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        check_package_name(cx, p.plugin);
        let plugin = p.plugin;
        let manifest = PluginManifest {
            name: &plugin.name.value,
            version: plugin.version.as_ref().map_or("0.0.0", |v| &v.value),
            description: plugin.description.as_ref().map(|d| d.value.as_str()),
            mcp_servers: "./codex.mcp.json",
        };
        let servers = McpJson {
            servers: self.servers(p.servers.iter().map(|s| s.as_ref()), cx),
        };
        vec![
            NativeFile {
                path: ".codex-plugin/plugin.json",
                contents: cx.written(|| emit::json(&manifest)),
            },
            NativeFile {
                path: PACKAGE_MCP,
                contents: cx.written(|| emit::json(&servers)),
            },
        ]
    }

    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String> {
        let text = file(CONFIG).ok_or_else(|| format!("no `{CONFIG}`"))?;
        let config: CodexConfig = toml::from_str(&text).map_err(|e| format!("{CONFIG}: {e}"))?;
        Ok(config
            .mcp_servers
            .0
            .into_iter()
            .map(|(name, s)| read_server(name, s))
            .collect())
    }

    fn approximate(&self, spec: &mut ServerSpec) {
        VARS.project_root.approximate(spec);
    }

    fn managed_files(&self) -> &'static [ManagedFile] {
        FILES
    }

    fn reads_agent_plugins(&self) -> bool {
        true
    }
}

fn read_server(name: String, s: CodexServer) -> ServerSpec {
    let transport = if s.url.is_some() {
        Transport::Http
    } else {
        Transport::Stdio
    };
    let mut spec = ServerSpec::new(name, transport);
    spec.command = s.command;
    spec.args = s.args;
    spec.cwd = s.cwd;
    spec.env = s.env.0;
    spec.env.extend(
        s.env_vars
            .into_iter()
            .map(|v| (v.clone(), format!("${{{v}}}"))),
    );
    spec.url = s.url;
    spec.headers = s.http_headers.0;
    spec.headers.extend(
        s.env_http_headers
            .0
            .into_iter()
            .map(|(k, v)| (k, format!("${{{v}}}"))),
    );
    if let Some(var) = s.bearer_token_env_var {
        spec.headers
            .push(("Authorization".to_owned(), format!("Bearer ${{{var}}}")));
    }
    spec.enabled = s.enabled.unwrap_or(true);
    spec.startup_timeout_ms = s
        .startup_timeout_sec
        .map(|n| n.to_millis(1000))
        .or(s.startup_timeout_ms.map(|n| n.to_millis(1)));
    spec.tool_timeout_ms = s.tool_timeout_sec.map(|n| n.to_millis(1000));
    spec.allow = s.enabled_tools;
    spec.deny = s.disabled_tools;
    spec.normalized()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables written one at a time are the whole map's bytes: none, one,
    /// several; with subtables only, no keys at all, names to quote.
    #[test]
    fn tables_one_by_one_are_the_whole_maps() {
        let full = |n: &str| CodexServer {
            command: Some("npx".into()),
            args: vec!["-y".into(), "a b".into()],
            env: OrderedMap(vec![("K".into(), "v\"".into())]),
            http_headers: OrderedMap(vec![("X-A".into(), "1".into())]),
            enabled_tools: Some(vec![n.to_owned()]),
            tool_timeout_sec: Some(Number::Float(0.5)),
            ..CodexServer::default()
        };
        let only_env = || CodexServer {
            env: OrderedMap(vec![("K".into(), "v".into())]),
            ..CodexServer::default()
        };
        let cases: Vec<Vec<(String, CodexServer)>> = vec![
            vec![],
            vec![("a".into(), full("t"))],
            vec![
                ("a".into(), full("t")),
                ("b.c".into(), CodexServer::default()),
                ("with space".into(), only_env()),
                ("d".into(), full("u")),
            ],
        ];
        for case in cases {
            let n = case.len();
            let whole = |c: &[(String, CodexServer)]| {
                let again = c.iter().map(|(k, _)| k.clone());
                let tables = again.zip(c.iter().map(|(k, _)| rebuilt(k, c)));
                emit::toml(&CodexConfig {
                    mcp_servers: OrderedMap(tables.collect()),
                })
            };
            let want = whole(&case);
            let mut out = Output::new(None, CONFIG);
            one_by_one(case.into_iter(), &mut out);
            assert_eq!(out.finish().text(), Some(want.as_str()), "{n} servers");
        }
    }

    /// A copy of the server named `k` (`CodexServer` is not `Clone`).
    fn rebuilt(k: &str, c: &[(String, CodexServer)]) -> CodexServer {
        let (_, s) = c.iter().find(|(n, _)| n == k).expect("there");
        toml::from_str(&toml::to_string(s).expect("writes")).expect("reads")
    }
}
