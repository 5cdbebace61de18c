//! Claude Code: `.mcp.json` (`mcpServers`), `.claude/settings.json` for the
//! deny rules and disabled servers; packages are Claude plugins
//! (`.claude-plugin/plugin.json` + `.mcp.json`). RUNTIMES.md §2.
//!
//! The family base is Claude Code's shape; this module adds the settings
//! file, the credentials Claude Code never sends, and the plugin package.

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, entries, leave_out_disabled};
use super::lowering::{ProjectRoot, Spelling, Vars, check_package_name, tool_names};
use super::{
    Capabilities, Cx, Format, ManagedFile, NativeFile, Owned, PluginServers, ServerSpec, Target,
    UserFile,
};
use crate::emit;
use crate::ir::Server;
use serde::{Deserialize, Serialize};

pub(super) struct ClaudeCode;

const MCP_JSON: &str = ".mcp.json";
const SETTINGS: &str = ".claude/settings.json";

/// User scope: `~/.claude.json` (top-level `mcpServers`) and
/// `~/.claude/settings.json`; `CLAUDE_CONFIG_DIR` moves both.
static DIALECT: Dialect = Dialect {
    extra_keys: &[Key::ToolTimeout("timeout", 1)],
    vars: Vars {
        spelling: Spelling::Dollar,
        defaults: true,
        plugin_root: Some("${CLAUDE_PLUGIN_ROOT}"),
        project_root: ProjectRoot::Cwd,
        ..Vars::DOLLAR
    },
    gaps: Gaps {
        cwd: Some(Gap::Unsupported(
            "`cwd` (Claude Code drops it and starts servers in the session's directory)",
        )),
        allow: Some(Gap::Unsupported(
            "a tool allow-list (Claude Code can only deny tools)",
        )),
        startup_timeout: Some(Gap::Lossy {
            message: "claude-code has no per-server start-up timeout (server `{server}`); only the global `MCP_TIMEOUT`",
            help: "set `MCP_TIMEOUT` in Claude Code's environment, or remove `startup_timeout` for claude-code",
        }),
        ..Gaps::NONE
    },
    files: &[
        ManagedFile {
            project_path: MCP_JSON,
            format: Format::Json,
            owned: &[Owned::Servers(&["mcpServers"])],
            user: UserFile::moved_by("CLAUDE_CONFIG_DIR", ".claude.json", ".claude.json"),
        },
        ManagedFile {
            project_path: SETTINGS,
            format: Format::Json,
            owned: &[
                Owned::Items(&["permissions", "deny"]),
                Owned::Items(&["disabledMcpjsonServers"]),
            ],
            user: UserFile::moved_by(
                "CLAUDE_CONFIG_DIR",
                "settings.json",
                ".claude/settings.json",
            ),
        },
    ],
    ..Dialect::mcp_servers_family(
        Target::ClaudeCode,
        "Claude Code",
        Capabilities {
            config_file: ".mcp.json (+ .claude/settings.json)",
            package: ".claude-plugin/plugin.json + .mcp.json",
            proven: "2.1.330",
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
        },
    )
};

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
struct Marketplace<'a> {
    name: String,
    owner: Author<'a>,
    plugins: Vec<MarketplaceEntry<'a>>,
}

#[derive(Serialize)]
struct MarketplaceEntry<'a> {
    name: &'a str,
    source: String,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
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

impl JsonRuntime for ClaudeCode {
    const DIALECT: &'static Dialect = &DIALECT;

    fn check(&self, s: &Server, cx: &mut Cx) {
        protected_variables(s, cx);
        if let Some(t) = s
            .fields
            .rare()
            .tool_timeout
            .as_ref()
            .filter(|t| t.value < 1000)
        {
            cx.unsupported(
                s,
                t.span,
                "a tool timeout under 1s (Claude Code's `timeout` takes at least 1000 ms)",
            );
        }
    }

    /// `.claude/settings.json`: deny rules `mcp__<server>__<tool>` and the
    /// disabled servers, when there are any.
    fn side_files(&self, servers: &[&Server], cx: &mut Cx) -> Vec<NativeFile> {
        if !cx.keeps_files() {
            return Vec::new();
        }
        let mut settings = Settings::default();
        let mut deny = Vec::new();
        for s in servers {
            for tool in tool_names(&s.fields.rare().tools.deny).unwrap_or_default() {
                deny.push(format!("mcp__{}__{tool}", s.name));
            }
            if !s.fields.is_enabled() {
                settings.disabled.push(s.name.value.clone());
            }
        }
        if !deny.is_empty() {
            settings.permissions = Some(Permissions { deny });
        }
        if settings.permissions.is_none() && settings.disabled.is_empty() {
            return Vec::new();
        }
        vec![NativeFile {
            path: SETTINGS,
            contents: emit::json(&settings).into(),
        }]
    }

    fn read_side(
        &self,
        file: &dyn Fn(&str) -> Option<String>,
        servers: &mut [ServerSpec],
    ) -> Result<(), String> {
        let settings: Settings = match file(SETTINGS) {
            Some(text) => {
                emit::json_with_comments(&text).map_err(|e| format!("{SETTINGS}: {e}"))?
            }
            None => Settings::default(),
        };
        let deny = settings
            .permissions
            .as_ref()
            .map_or(&[][..], |p| &p.deny[..]);
        for spec in servers {
            let prefix = format!("mcp__{}__", spec.name);
            let denied: Vec<String> = deny
                .iter()
                .filter_map(|r| r.strip_prefix(&prefix))
                .map(str::to_owned)
                .collect();
            spec.deny = (!denied.is_empty()).then_some(denied);
            spec.enabled = !settings.disabled.contains(&spec.name);
        }
        Ok(())
    }

    /// `.claude-plugin/marketplace.json`: `claude plugin marketplace add
    /// DIR` on the output directory lists each plugin at `./<plugin>`.
    fn marketplace(&self, plugins: &[&crate::ir::Plugin]) -> Option<NativeFile> {
        if plugins.is_empty() {
            return None;
        }
        let index = Marketplace {
            name: super::marketplace_name(plugins),
            owner: Author {
                name: plugins
                    .iter()
                    .find_map(|p| p.author.as_ref().map(|a| a.value.as_str()))
                    .unwrap_or("mcpc"),
            },
            plugins: plugins
                .iter()
                .map(|p| MarketplaceEntry {
                    name: &p.name.value,
                    source: format!("./{}", p.name.value),
                    version: p.version.as_ref().map_or("0.0.0", |v| &v.value),
                    description: p.description.as_ref().map(|d| d.value.as_str()),
                })
                .collect(),
        };
        Some(NativeFile {
            path: ".claude-plugin/marketplace.json",
            contents: emit::json(&index).into(),
        })
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        check_package_name(cx, p.plugin);
        let mut shipped = Vec::new();
        for s in &p.servers {
            if let Some(deny) = &s.fields.rare().tools.deny
                && !deny.value.is_empty()
            {
                plugin_deny_list(cx, p.plugin, s, deny);
            }
            let help = "a plugin cannot ship a disabled server; users disable it in their settings";
            if !leave_out_disabled(cx, s, "claude-code plugin", help) {
                shipped.push(s.as_ref());
            }
        }
        let servers = entries(self, shipped, cx);
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
                contents: cx.written(|| emit::json(&manifest)),
            },
            NativeFile {
                path: MCP_JSON,
                contents: cx.written(|| emit::json(&DIALECT.document(servers, Vec::new()))),
            },
        ]
    }
}

/// A plugin cannot ship deny rules: Claude Code reads them from settings
/// only. The error (or, when the plugin's `target claude-code` block
/// accepts the loss, the warning) gives the exact rules to put in the
/// settings instead: Claude Code names a plugin's tool
/// `mcp__plugin_<plugin>_<server>__<tool>`.
fn plugin_deny_list(
    cx: &mut Cx,
    plugin: &crate::ir::Plugin,
    s: &Server,
    deny: &crate::source::Spanned<Vec<crate::source::Spanned<String>>>,
) {
    let rules: Vec<String> = deny
        .value
        .iter()
        .map(|t| {
            format!(
                "\"mcp__plugin_{}_{}__{}\"",
                plugin.name.value, s.name.value, t.value
            )
        })
        .collect();
    let settings = format!(
        "`{{ \"permissions\": {{ \"deny\": [{}] }} }}` in Claude Code's managed settings (for an org) or the users' `~/.claude/settings.json`",
        rules.join(", ")
    );
    if cx.loss_accepted(deny.span) {
        cx.lossy(
            deny.span,
            format!("claude-code cannot ship a tool deny-list in a plugin; plugin `{}` is packaged without it, as its `target claude-code` block accepts: deny {} in Claude Code's settings (server `{}`)", plugin.name.value, rules.join(", "), s.name.value),
            &format!("deny the tools in the settings: {settings}"),
        );
    } else {
        cx.unsupported_or(
            s,
            deny.span,
            "a tool deny-list in a plugin (Claude Code reads deny rules from settings only)",
            &format!(
                "; or package it without the deny-list and deny the tools in the settings: {settings}, accepting the loss with `target claude-code {{ lints {{ lossy-lowering = allow }} }}`"
            ),
        );
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
