//! Gemini CLI: `.gemini/settings.json` (`mcpServers`, `mcp.excluded`);
//! packages are extensions (`gemini-extension.json`). The whole file is
//! expanded at load, `$VAR` as well as `${VAR}`. RUNTIMES.md §5.

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, Tags, extension};
use super::lowering::{ProjectRoot, Spelling, Vars};
use super::{
    Capabilities, Cx, Format, ManagedFile, NativeFile, Owned, PluginServers, Target, UserFile,
};

pub(super) struct Gemini;

/// The entry keys of Gemini CLI and its forks, in the order written.
pub(super) const GEMINI_KEYS: &[Key] = &[
    Key::COMMAND,
    Key::ARGS,
    Key::ENV,
    Key::CWD,
    Key::URL,
    Key::TYPE,
    Key::HEADERS,
    Key::ToolTimeout("timeout", 1),
    Key::Description("description"),
    Key::Allow("includeTools"),
    Key::Deny("excludeTools"),
];

/// `$VAR`, `${VAR}` and `${VAR:-default}`, in every field.
pub(super) const GEMINI_VARS: Vars = Vars {
    spelling: Spelling::Dollar,
    defaults: true,
    bare_dollar: true,
    plugin_root: Some("${extensionPath}"),
    project_root: ProjectRoot::Cwd,
    ..Vars::DOLLAR
};

/// User scope: `~/.gemini/settings.json`; `GEMINI_CLI_HOME` replaces `~`.
static DIALECT: Dialect = Dialect {
    keys: GEMINI_KEYS,
    tags: Tags {
        stdio: None,
        ..Tags::NAMES
    },
    vars: GEMINI_VARS,
    disabled_list: Some(&["mcp", "excluded"]),
    // Deprecated, still read, and it wins over `url` (RUNTIMES.md §5).
    legacy_http_url: Some("httpUrl"),
    gaps: Gaps {
        startup_timeout: Some(Gap::Lossy {
            message: "gemini has no start-up timeout (server `{server}`); its `timeout` is per tool call",
            help: "remove `startup_timeout` for gemini, or allow `lossy-lowering`",
        }),
        ..Gaps::NONE
    },
    files: &[ManagedFile {
        project_path: ".gemini/settings.json",
        format: Format::Json,
        owned: &[
            Owned::Servers(&["mcpServers"]),
            Owned::Items(&["mcp", "excluded"]),
        ],
        user: UserFile::moved_by(
            "GEMINI_CLI_HOME",
            ".gemini/settings.json",
            ".gemini/settings.json",
        ),
    }],
    ..Dialect::mcp_servers_family(
        Target::Gemini,
        "Gemini CLI",
        Capabilities {
            config_file: ".gemini/settings.json",
            package: "gemini-extension.json",
            proven: "0.61.0",
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
        },
    )
};

impl JsonRuntime for Gemini {
    const DIALECT: &'static Dialect = &DIALECT;

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        extension(
            self,
            p,
            cx,
            "gemini-extension.json",
            "an extension cannot ship a disabled server; users disable it with `gemini mcp disable`",
        )
    }
}
