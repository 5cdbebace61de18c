//! Claude Code: `.mcp.json` (`mcpServers`), `.claude/settings.json` for the
//! deny rules and disabled servers; packages are Claude plugins
//! (`.claude-plugin/plugin.json` + `.mcp.json`). RUNTIMES.md §2.

use super::lowering::{DollarSyntax, check_package_name, dollar_entries, tool_names};
use super::{
    Backend, Capabilities, Cx, Format, ManagedFile, NativeFile, Owned, PluginServers, ServerSpec,
    Target,
};
use crate::emit::{self, OrderedMap};
use crate::ir::{Server, Transport};
use serde::{Deserialize, Serialize};

pub(super) struct ClaudeCode;

const SYNTAX: DollarSyntax = DollarSyntax {
    defaults: true,
    bare_dollar: false,
    plugin_root: Some("${CLAUDE_PLUGIN_ROOT}"),
};

#[derive(Serialize, Deserialize)]
struct McpJson {
    #[serde(rename = "mcpServers")]
    servers: OrderedMap<McpServer>,
}

#[derive(Serialize, Deserialize)]
struct McpServer {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    env: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    headers: OrderedMap<String>,
    /// Tool-call timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout: Option<u64>,
}

#[derive(Serialize, Deserialize, Default)]
struct Settings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permissions: Option<Permissions>,
    #[serde(
        rename = "disabledMcpjsonServers",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    disabled: Vec<String>,
}

#[derive(Serialize, Deserialize, Default)]
struct Permissions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deny: Vec<String>,
}

#[derive(Serialize)]
struct PluginManifest<'a> {
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<Author<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    homepage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<&'a str>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

const MCP_JSON: &str = ".mcp.json";
const SETTINGS: &str = ".claude/settings.json";

impl ClaudeCode {
    fn server(&self, s: &Server, cx: &mut Cx) -> McpServer {
        let f = &s.fields;
        protected_variables(s, cx);
        if let Some(t) = f.tool_timeout.as_ref().filter(|t| t.value < 1000) {
            cx.unsupported(
                s,
                t.span,
                "a tool timeout under 1s (Claude Code's `timeout` takes at least 1000 ms)",
            );
        }
        if let Some(cwd) = &f.cwd {
            cx.unsupported(
                s,
                cwd.span,
                "`cwd` (Claude Code drops it and starts servers in the session's directory)",
            );
        }
        if let Some(allow) = &f.tools.allow {
            cx.unsupported(
                s,
                allow.span,
                "a tool allow-list (Claude Code can only deny tools)",
            );
        }
        if let Some(t) = &f.startup_timeout {
            cx.lossy(
                t.span,
                format!("claude-code has no per-server start-up timeout (server `{}`); only the global `MCP_TIMEOUT`", s.name),
                "set `MCP_TIMEOUT` in Claude Code's environment, or remove `startup_timeout` for claude-code",
            );
        }
        let transport = f.transport_kind();
        let text = |cx: &mut Cx, v: &Option<crate::source::Spanned<crate::ir::Str>>| {
            v.as_ref().and_then(|v| cx.dollar(s, v, &SYNTAX))
        };
        McpServer {
            kind: Some(transport.name().to_owned()),
            command: text(cx, &f.command),
            args: f
                .args
                .iter()
                .flat_map(|a| &a.value)
                .filter_map(|a| cx.dollar(s, a, &SYNTAX))
                .collect(),
            env: dollar_entries(cx, s, &f.env, &SYNTAX),
            url: text(cx, &f.url),
            headers: dollar_entries(cx, s, &f.headers, &SYNTAX),
            timeout: f.tool_timeout.as_ref().map(|t| t.value),
        }
    }
}

impl Backend for ClaudeCode {
    fn target(&self) -> Target {
        Target::ClaudeCode
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            config_file: ".mcp.json (+ .claude/settings.json)",
            package: ".claude-plugin/plugin.json + .mcp.json",
            rows: &[
                ("env.X in env/headers", "${X}"),
                ("${env.X:-d}", "${X:-d}"),
                (
                    "plugin.root",
                    "${CLAUDE_PLUGIN_ROOT} (packages), --plugin-root (config)",
                ),
                ("cwd", "unsupported (dropped by the runtime)"),
                ("transport = sse", "type = \"sse\""),
                ("tools.allow", "unsupported"),
                (
                    "tools.deny",
                    "permissions.deny mcp__<srv>__<tool> in .claude/settings.json (config only)",
                ),
                ("tool_timeout", "timeout (ms, at least 1s)"),
                (
                    "ANTHROPIC_*, CLAUDE_CODE_* to a remote",
                    "unsupported (never expanded toward a server)",
                ),
                ("startup_timeout", "lossy: global MCP_TIMEOUT only"),
                (
                    "enabled = false",
                    "disabledMcpjsonServers in .claude/settings.json (package: left out, lossy)",
                ),
            ],
        }
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let mut servers = OrderedMap::new();
        let mut settings = Settings::default();
        let mut deny = Vec::new();
        for s in plugins.iter().flat_map(|p| &p.servers) {
            servers.insert(s.name.value.clone(), self.server(s, cx));
            for tool in tool_names(&s.fields.tools.deny).unwrap_or_default() {
                deny.push(format!("mcp__{}__{tool}", s.name));
            }
            if !s.fields.is_enabled() {
                settings.disabled.push(s.name.value.clone());
            }
        }
        if !deny.is_empty() {
            settings.permissions = Some(Permissions { deny });
        }
        let mut files = vec![NativeFile {
            path: MCP_JSON,
            contents: emit::json(&McpJson { servers }),
        }];
        if settings.permissions.is_some() || !settings.disabled.is_empty() {
            files.push(NativeFile {
                path: SETTINGS,
                contents: emit::json(&settings),
            });
        }
        files
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        check_package_name(cx, p.plugin);
        let mut servers = OrderedMap::new();
        for s in &p.servers {
            if let Some(deny) = &s.fields.tools.deny
                && !deny.value.is_empty()
            {
                cx.unsupported(
                    s,
                    deny.span,
                    "a tool deny-list in a plugin (deny rules live in the user's settings)",
                );
            }
            if !s.fields.is_enabled() {
                let at = s.fields.enabled.as_ref().map_or(s.name.span, |e| e.span);
                cx.lossy(
                    at,
                    format!(
                        "disabled server `{}` is left out of the claude-code plugin",
                        s.name
                    ),
                    "a plugin cannot ship a disabled server; users disable it in their settings",
                );
                continue;
            }
            servers.insert(s.name.value.clone(), self.server(s, cx));
        }
        let plugin = p.plugin;
        let manifest = PluginManifest {
            name: &plugin.name.value,
            version: plugin.version.as_ref().map_or("0.0.0", |v| &v.value),
            description: plugin.description.as_ref().map(|d| d.value.as_str()),
            author: plugin.author.as_ref().map(|a| Author { name: &a.value }),
            homepage: plugin.homepage.as_ref().map(|h| h.value.as_str()),
            license: plugin.license.as_ref().map(|l| l.value.as_str()),
        };
        vec![
            NativeFile {
                path: ".claude-plugin/plugin.json",
                contents: emit::json(&manifest),
            },
            NativeFile {
                path: MCP_JSON,
                contents: emit::json(&McpJson { servers }),
            },
        ]
    }

    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String> {
        let mcp_json = file(MCP_JSON).ok_or_else(|| format!("no `{MCP_JSON}`"))?;
        let settings: Settings = match file(SETTINGS) {
            Some(text) => {
                emit::json_with_comments(&text).map_err(|e| format!("{SETTINGS}: {e}"))?
            }
            None => Settings::default(),
        };
        read_mcp_json(&mcp_json, &settings).map_err(|e| format!("{MCP_JSON}: {e}"))
    }

    fn approximate(&self, spec: &mut ServerSpec) {
        spec.startup_timeout_ms = None;
        spec.cwd = None;
    }

    fn managed_files(&self) -> &'static [ManagedFile] {
        &[
            ManagedFile {
                project_path: MCP_JSON,
                format: Format::Json,
                owned: &[Owned::Servers(&["mcpServers"])],
            },
            ManagedFile {
                project_path: SETTINGS,
                format: Format::Json,
                owned: &[
                    Owned::Items(&["permissions", "deny"]),
                    Owned::Items(&["disabledMcpjsonServers"]),
                ],
            },
        ]
    }

    /// User scope: `~/.claude.json` (top-level `mcpServers`) and
    /// `~/.claude/settings.json`; `CLAUDE_CONFIG_DIR` moves both.
    fn user_location(
        &self,
        project_path: &str,
        env: &dyn Fn(&str) -> Option<String>,
        home: &str,
    ) -> String {
        let config_dir = env("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty());
        match (project_path, config_dir) {
            (MCP_JSON, Some(dir)) => format!("{dir}/.claude.json"),
            (MCP_JSON, None) => format!("{home}/.claude.json"),
            (_, Some(dir)) => format!("{dir}/settings.json"),
            (_, None) => format!("{home}/.claude/settings.json"),
        }
    }
}

/// Claude Code never expands its own credentials toward a remote server
/// (the header arrives empty), so a remote server cannot be given them.
fn protected_variables(s: &Server, cx: &mut Cx) {
    let f = &s.fields;
    if f.url.is_none() {
        return;
    }
    let values = f.url.iter().chain(
        f.headers
            .iter()
            .flat_map(|h| h.value.iter().map(|e| &e.value)),
    );
    for value in values {
        for r in value.value.refs() {
            if let Some(var) = r.value.var()
                && (var.starts_with("ANTHROPIC_") || var.starts_with("CLAUDE_CODE_"))
            {
                cx.unsupported(
                    s,
                    r.span,
                    &format!("`{var}` toward a remote server (Claude Code never sends its own credentials; use a variable of the server's own)"),
                );
            }
        }
    }
}

/// Reads `.mcp.json`, with the deny rules and disabled list of settings.
fn read_mcp_json(text: &str, settings: &Settings) -> Result<Vec<ServerSpec>, String> {
    let file: McpJson = emit::json_with_comments(text)?;
    let deny = settings
        .permissions
        .as_ref()
        .map_or(&[][..], |p| &p.deny[..]);
    Ok(file
        .servers
        .0
        .into_iter()
        .map(|(name, s)| {
            let transport = match (s.kind.as_deref(), &s.url) {
                (Some("sse"), _) => Transport::Sse,
                (_, Some(_)) => Transport::Http,
                _ => Transport::Stdio,
            };
            let prefix = format!("mcp__{name}__");
            let denied: Vec<String> = deny
                .iter()
                .filter_map(|r| r.strip_prefix(&prefix))
                .map(str::to_owned)
                .collect();
            let mut spec = ServerSpec::new(name.clone(), transport);
            spec.command = s.command;
            spec.args = s.args;
            spec.env = s.env.0;
            spec.url = s.url;
            spec.headers = s.headers.0;
            spec.tool_timeout_ms = s.timeout;
            spec.deny = (!denied.is_empty()).then_some(denied);
            spec.enabled = !settings.disabled.contains(&name);
            spec.normalized()
        })
        .collect())
}
