//! Qwen Code 0.24.4 (a Gemini CLI fork): `.qwen/settings.json`
//! (`mcpServers`, `mcp.excluded`), user scope `~/.qwen/settings.json`.
//! `url` means SSE to Qwen and `httpUrl` streamable HTTP; `$VAR` and
//! `${VAR}` are expanded (no defaults). Qwen also merges a Claude-style
//! `.mcp.json`, its own file winning by name; it reads Claude Code's
//! `type` there as meant but expands no `${VAR}` in that file (0.24.4,
//! run here: a referenced header arrives literally). Packages are extensions
//! (`qwen-extension.json`), and Agent Plugins v1 files when they are
//! complete (Qwen reads those first: `agent_plugins`). RUNTIMES.md §12, E2E.md "Qwen Code".

use super::agent_plugins;
use super::dialect::{
    AlsoRead, Dialect, Gap, Gaps, JsonRuntime, Tags, UrlKeys, extension, json_file, proven,
};
use super::gemini::GEMINI_KEYS;
use super::lowering::Vars;
use super::{Cx, NativeFile, Owned, PluginServers, Target, UserFile};

pub(super) struct Qwen;

static DIALECT: Dialect = Dialect {
    files: &[json_file(
        ".qwen/settings.json",
        &[
            Owned::Servers(&["mcpServers"]),
            Owned::Items(&["mcp", "excluded"]),
        ],
        UserFile::home(".qwen/settings.json"),
    )],
    keys: GEMINI_KEYS,
    url: UrlKeys {
        http: "httpUrl",
        sse: "url",
    },
    tags: Tags::NONE,
    vars: Vars {
        bare_dollar: true,
        plugin_root: Some("${extensionPath}"),
        ..Vars::DOLLAR
    },
    disabled_list: Some(&["mcp", "excluded"]),
    gaps: Gaps {
        startup_timeout: Some(Gap::NO_STARTUP_TIMEOUT),
        ..Gaps::NONE
    },
    also_reads: &[AlsoRead {
        project_path: ".mcp.json",
        servers: &["mcpServers"],
        written_by: Target::ClaudeCode,
        shadows: false,
        expands_vars: false,
    }],
    ..Dialect::mcp_servers_family(
        Target::Qwen,
        "Qwen Code",
        proven(
            ".qwen/settings.json",
            "qwen-extension.json (+ plugin.json + mcp.json, Agent Plugins v1, when complete)",
            "0.24.4",
        ),
    )
};

impl JsonRuntime for Qwen {
    const DIALECT: &'static Dialect = &DIALECT;

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        extension(
            self,
            p,
            cx,
            "qwen-extension.json",
            "an extension cannot ship a disabled server; users exclude it with `mcp.excluded` in their settings",
        )
    }

    fn reads_agent_plugins(&self) -> bool {
        true
    }

    fn notes(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "approval",
                "project servers wait for `qwen mcp approve` (bound to a hash of the entry)",
            ),
            agent_plugins::ROW,
        ]
    }
}
