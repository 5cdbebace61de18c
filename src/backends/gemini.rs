//! Gemini CLI: `.gemini/settings.json` (`mcpServers`, `mcp.excluded`);
//! packages are extensions (`gemini-extension.json`). The whole file is
//! expanded at load, `$VAR` as well as `${VAR}`. RUNTIMES.md §5.

use super::lowering::{DollarSyntax, check_package_name, dollar_entries, tool_names};
use super::{
    Backend, Capabilities, Cx, Format, ManagedFile, NativeFile, Owned, PluginServers, ServerSpec,
    Target,
};
use crate::emit::{self, OrderedMap};
use crate::ir::{Ref, Server, Transport};
use serde::{Deserialize, Serialize};

pub(super) struct Gemini;

const SYNTAX: DollarSyntax = DollarSyntax {
    defaults: true,
    bare_dollar: true,
    plugin_root: Some("${extensionPath}"),
};

#[derive(Serialize, Deserialize)]
struct Settings {
    #[serde(rename = "mcpServers", default)]
    servers: OrderedMap<GeminiServer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mcp: Option<McpSettings>,
}

#[derive(Serialize, Deserialize)]
struct McpSettings {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    excluded: Vec<String>,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GeminiServer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    env: OrderedMap<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    headers: OrderedMap<String>,
    /// Tool-call timeout in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    include_tools: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exclude_tools: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Extension<'a> {
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(rename = "mcpServers")]
    servers: OrderedMap<GeminiServer>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    settings: Vec<ExtensionSetting>,
}

/// Extension servers see only variables declared here; Gemini prompts for
/// them at install and keeps `sensitive` ones in the keychain.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtensionSetting {
    name: String,
    description: String,
    env_var: String,
    sensitive: bool,
}

const SETTINGS: &str = ".gemini/settings.json";

impl Gemini {
    fn server(&self, s: &Server, cx: &mut Cx) -> GeminiServer {
        let f = &s.fields;
        if let Some(t) = &f.startup_timeout {
            cx.lossy(
                t.span,
                format!(
                    "gemini has no start-up timeout (server `{}`); its `timeout` is per tool call",
                    s.name
                ),
                "remove `startup_timeout` for gemini, or allow `lossy-lowering`",
            );
        }
        let text = |cx: &mut Cx, v: &Option<crate::source::Spanned<crate::ir::Str>>| {
            v.as_ref().and_then(|v| cx.dollar(s, v, &SYNTAX))
        };
        let kind = match f.transport_kind() {
            Transport::Stdio => None,
            t => Some(t.name().to_owned()),
        };
        GeminiServer {
            command: text(cx, &f.command),
            args: f
                .args
                .iter()
                .flat_map(|a| &a.value)
                .filter_map(|a| cx.dollar(s, a, &SYNTAX))
                .collect(),
            env: dollar_entries(cx, s, &f.env, &SYNTAX),
            cwd: text(cx, &f.cwd),
            url: text(cx, &f.url),
            kind,
            headers: dollar_entries(cx, s, &f.headers, &SYNTAX),
            timeout: f.tool_timeout.as_ref().map(|t| t.value),
            description: f.description.as_ref().map(|d| d.value.clone()),
            include_tools: tool_names(&f.tools.allow),
            exclude_tools: tool_names(&f.tools.deny),
        }
    }
}

impl Backend for Gemini {
    fn target(&self) -> Target {
        Target::Gemini
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            config_file: ".gemini/settings.json",
            package: "gemini-extension.json",
            rows: &[
                ("env.X in env/headers", "${X}"),
                ("${env.X:-d}", "${X:-d}"),
                (
                    "plugin.root",
                    "${extensionPath} (packages), --plugin-root (config)",
                ),
                ("cwd", "cwd"),
                ("transport = sse", "type: \"sse\""),
                ("tools.allow / tools.deny", "includeTools / excludeTools"),
                ("tool_timeout", "timeout (ms)"),
                ("startup_timeout", "lossy: no per-server start-up timeout"),
                ("enabled = false", "mcp.excluded (package: left out, lossy)"),
            ],
        }
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let mut servers = OrderedMap::new();
        let mut excluded = Vec::new();
        for s in plugins.iter().flat_map(|p| &p.servers) {
            servers.insert(s.name.value.clone(), self.server(s, cx));
            if !s.fields.is_enabled() {
                excluded.push(s.name.value.clone());
            }
        }
        let settings = Settings {
            servers,
            mcp: (!excluded.is_empty()).then_some(McpSettings { excluded }),
        };
        vec![NativeFile {
            path: SETTINGS,
            contents: emit::json(&settings),
        }]
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        check_package_name(cx, p.plugin);
        let mut servers = OrderedMap::new();
        let mut settings: Vec<ExtensionSetting> = Vec::new();
        for s in &p.servers {
            if !s.fields.is_enabled() {
                let at = s.fields.enabled.as_ref().map_or(s.name.span, |e| e.span);
                cx.lossy(at, format!("disabled server `{}` is left out of the gemini extension", s.name), "an extension cannot ship a disabled server; users disable it with `gemini mcp disable`");
                continue;
            }
            servers.insert(s.name.value.clone(), self.server(s, cx));
            for r in referenced(s) {
                let (name, sensitive) = match r {
                    Ref::Secret { name } => (name, true),
                    Ref::Env { name, .. } => (name, false),
                    Ref::PluginRoot => continue,
                };
                if !settings.iter().any(|x| x.env_var == name) {
                    settings.push(ExtensionSetting {
                        description: format!("Value of {name} for server {}", s.name),
                        env_var: name.clone(),
                        name,
                        sensitive,
                    });
                }
            }
        }
        let plugin = p.plugin;
        let extension = Extension {
            name: &plugin.name.value,
            version: plugin.version.as_ref().map_or("0.0.0", |v| &v.value),
            description: plugin.description.as_ref().map(|d| d.value.as_str()),
            servers,
            settings,
        };
        vec![NativeFile {
            path: "gemini-extension.json",
            contents: emit::json(&extension),
        }]
    }

    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String> {
        let text = file(SETTINGS).ok_or_else(|| format!("no `{SETTINGS}`"))?;
        let settings: Settings =
            emit::json_with_comments(&text).map_err(|e| format!("{SETTINGS}: {e}"))?;
        let excluded = settings.mcp.map(|m| m.excluded).unwrap_or_default();
        Ok(settings
            .servers
            .0
            .into_iter()
            .map(|(name, s)| {
                let transport = match (s.kind.as_deref(), &s.url) {
                    (Some("sse"), _) => Transport::Sse,
                    (_, Some(_)) => Transport::Http,
                    _ => Transport::Stdio,
                };
                let mut spec = ServerSpec::new(name.clone(), transport);
                spec.command = s.command;
                spec.args = s.args;
                spec.env = s.env.0;
                spec.cwd = s.cwd;
                spec.url = s.url;
                spec.headers = s.headers.0;
                spec.tool_timeout_ms = s.timeout;
                spec.allow = s.include_tools;
                spec.deny = s.exclude_tools;
                spec.enabled = !excluded.contains(&name);
                spec.normalized()
            })
            .collect())
    }

    fn approximate(&self, spec: &mut ServerSpec) {
        spec.startup_timeout_ms = None;
    }

    fn managed_files(&self) -> &'static [ManagedFile] {
        &[ManagedFile {
            project_path: SETTINGS,
            format: Format::Json,
            owned: &[
                Owned::Servers(&["mcpServers"]),
                Owned::Items(&["mcp", "excluded"]),
            ],
        }]
    }

    /// User scope: `~/.gemini/settings.json`; `GEMINI_CLI_HOME` replaces `~`.
    fn user_location(
        &self,
        _project_path: &str,
        env: &dyn Fn(&str) -> Option<String>,
        home: &str,
    ) -> String {
        let base = env("GEMINI_CLI_HOME")
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| home.to_owned());
        format!("{base}/.gemini/settings.json")
    }
}

/// Every variable a server's values read, in order of appearance.
fn referenced(s: &Server) -> Vec<Ref> {
    let f = &s.fields;
    let mut values: Vec<&crate::ir::Str> = Vec::new();
    values.extend(f.command.iter().map(|v| &v.value));
    values.extend(f.args.iter().flat_map(|a| &a.value).map(|v| &v.value));
    values.extend(f.cwd.iter().chain(&f.url).map(|v| &v.value));
    for entries in [&f.env, &f.headers].into_iter().flatten() {
        values.extend(entries.value.iter().map(|e| &e.value.value));
    }
    values
        .iter()
        .flat_map(|v| v.refs())
        .map(|r| r.value.clone())
        .collect()
}
