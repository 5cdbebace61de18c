//! The editors and desktop apps: Cursor, VS Code, Windsurf, Zed, Claude
//! Desktop, Kiro, Antigravity and Crush. Each is a JSON dialect and
//! nothing more; their facts, and the documentation version each follows,
//! are in docs/targets.md.
//!
//! An app with no environment reference (Zed, Claude Desktop,
//! Antigravity) expands nothing: a `${…}` in a server refuses with
//! `unsupported-feature` and says how to declare it for that app. A
//! secret's value is never written.

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, MCP_SERVERS, Tags, UrlKeys};
use super::lowering::{Fields, ProjectRoot, Spelling, Vars};
use super::{Capabilities, Cx, Format, ManagedFile, Owned, Place, Target, UserFile};
use crate::ir::{Server, Transport};

/// The versions of the documentation followed (docs/targets.md).
const DOCUMENTED: &str = "documented";

const NO_CWD: Gap = Gap::Unsupported("`cwd` (the app starts servers in its own directory)");
const NO_ALLOW: Gap = Gap::Unsupported("a tool allow-list (the app has none)");
const NO_DENY: Gap = Gap::Unsupported("a tool deny-list (the app has none)");
const NO_DISABLED: Gap =
    Gap::Unsupported("a disabled server (the app toggles servers in its own settings)");
const NO_TOOL_TIMEOUT: Gap = Gap::Lossy {
    message: "the app has no per-server tool-call timeout (server `{server}`); it is left out",
    help: "remove `tool_timeout` for this target, or allow `lossy-lowering`",
};
const NO_STARTUP_TIMEOUT: Gap = Gap::Lossy {
    message: "the app has no per-server start-up timeout (server `{server}`); it is left out",
    help: "remove `startup_timeout` for this target, or allow `lossy-lowering`",
};
const SSE_AS_URL: Gap = Gap::Lossy {
    message: "the app picks the transport of a url itself (server `{server}`): SSE is written as a plain url",
    help: "declare `transport = \"http\"` if the server speaks streamable HTTP, or allow `lossy-lowering`",
};

/// What every app here lacks unless its dialect says otherwise.
const APP_GAPS: Gaps = Gaps {
    cwd: Some(NO_CWD),
    sse: None,
    allow: Some(NO_ALLOW),
    deny: Some(NO_DENY),
    tool_timeout: Some(NO_TOOL_TIMEOUT),
    startup_timeout: Some(NO_STARTUP_TIMEOUT),
    disabled: Some(NO_DISABLED),
};

/// `${env:NAME}` everywhere (Cursor, VS Code, Windsurf).
const DOLLAR_ENV: Vars = Vars {
    spelling: Spelling::DollarEnv,
    ..Vars::DOLLAR
};

/// `${env:NAME}` and `${workspaceFolder}` (Cursor, VS Code).
const WORKSPACE_FOLDER: Vars = Vars {
    project_root: ProjectRoot::Var("${workspaceFolder}"),
    ..DOLLAR_ENV
};

/// No environment reference at all: nothing is expanded.
const fn literal_only(elsewhere: &'static str) -> Vars {
    Vars {
        expanded: Fields::NONE,
        elsewhere,
        ..Vars::DOLLAR
    }
}

/// Windsurf's and Kiro's `disabled` and `disabledTools`.
const DISABLED_TOOLS: &[Key] = &[Key::Disabled("disabled"), Key::Deny("disabledTools")];

/// Windsurf's and Antigravity's url key, for either remote transport.
const SERVER_URL: UrlKeys = UrlKeys {
    http: "serverUrl",
    sse: "serverUrl",
};

/// A dialect of the `mcpServers` family with the apps' gaps.
const fn app(
    target: Target,
    runtime: &'static str,
    files: &'static [ManagedFile],
    rows: &'static [(&'static str, &'static str)],
) -> Dialect {
    Dialect {
        files,
        keys: &[Key::COMMAND, Key::ARGS, Key::ENV, Key::URL, Key::HEADERS],
        tags: Tags {
            stdio: None,
            http: None,
            sse: None,
        },
        gaps: APP_GAPS,
        ..Dialect::mcp_servers_family(
            target,
            runtime,
            Capabilities {
                config_file: files[0].project_path,
                package: "none",
                proven: DOCUMENTED,
                rows,
            },
        )
    }
}

/// Cursor: `.cursor/mcp.json`, `~/.cursor/mcp.json` on every OS.
pub(super) struct Cursor;
static CURSOR: Dialect = Dialect {
    keys: &[
        Key::TYPE,
        Key::COMMAND,
        Key::ARGS,
        Key::ENV,
        Key::URL,
        Key::HEADERS,
    ],
    tags: Tags::NAMES,
    vars: WORKSPACE_FOLDER,
    ..app(
        Target::Cursor,
        "Cursor",
        &[ManagedFile {
            project_path: ".cursor/mcp.json",
            format: Format::Jsonc,
            owned: MCP_SERVERS,
            user: UserFile::home(".cursor/mcp.json"),
        }],
        &[
            ("follows", "cursor.com/docs/mcp (2026-12)"),
            ("env.X / secret.X", "${env:X}"),
            ("transport", "type: stdio | http | sse"),
            ("cwd, tools, timeouts, enabled", "not expressible"),
        ],
    )
};

/// VS Code: `.vscode/mcp.json` (`servers`), the profile's `mcp.json`.
pub(super) struct VsCode;
static VSCODE: Dialect = Dialect {
    keys: &[
        Key::TYPE,
        Key::COMMAND,
        Key::ARGS,
        Key::ENV,
        Key::URL,
        Key::HEADERS,
    ],
    extra_keys: &[Key::CWD],
    tags: Tags::NAMES,
    vars: WORKSPACE_FOLDER,
    gaps: Gaps {
        cwd: None,
        ..APP_GAPS
    },
    ..app(
        Target::Vscode,
        "VS Code",
        &[ManagedFile {
            project_path: ".vscode/mcp.json",
            format: Format::Jsonc,
            owned: &[Owned::Servers(&["servers"]), Owned::Inputs(&["inputs"])],
            user: UserFile::app_data(
                "Code/User/mcp.json",
                ".config/Code/User/mcp.json",
                "Library/Application Support/Code/User/mcp.json",
                "Code/User/mcp.json",
                "AppData/Roaming/Code/User/mcp.json",
            ),
        }],
        &[
            (
                "follows",
                "code.visualstudio.com/docs/copilot/reference/mcp-configuration; microsoft/vscode mcpConfiguration.ts (2026-12)",
            ),
            ("env.X", "${env:X}"),
            (
                "secret.X",
                "${input:X} + a password promptString in inputs (VS Code's secret storage); ${env:X} with `target vscode { secrets = env }`",
            ),
            ("transport", "type: stdio | http | sse"),
            ("cwd", "cwd"),
            ("tools, timeouts, enabled", "not expressible"),
        ],
    )
};

/// Windsurf: `~/.codeium/windsurf/mcp_config.json` only, `serverUrl`.
pub(super) struct Windsurf;
static WINDSURF: Dialect = Dialect {
    extra_keys: DISABLED_TOOLS,
    url: SERVER_URL,
    vars: DOLLAR_ENV,
    gaps: Gaps {
        sse: Some(SSE_AS_URL),
        deny: None,
        disabled: None,
        ..APP_GAPS
    },
    ..app(
        Target::Windsurf,
        "Windsurf",
        &[ManagedFile {
            project_path: ".codeium/windsurf/mcp_config.json",
            format: Format::Json,
            owned: MCP_SERVERS,
            user: UserFile::home(".codeium/windsurf/mcp_config.json").only_user(),
        }],
        &[
            (
                "follows",
                "docs.windsurf.com/windsurf/cascade/mcp (2026-12)",
            ),
            ("env.X / secret.X", "${env:X}"),
            ("url", "serverUrl (SSE: lossy)"),
            ("tools.deny", "disabledTools"),
            ("enabled = false", "disabled: true"),
        ],
    )
};

/// Kiro: `.kiro/settings/mcp.json` and `~/.kiro/settings/mcp.json`.
pub(super) struct Kiro;
static KIRO: Dialect = Dialect {
    extra_keys: DISABLED_TOOLS,
    vars: Vars {
        expanded: Fields::ENV.and(Fields::HEADERS),
        elsewhere: "Kiro expands `${VAR}` only in `env` and `headers`: pass the value to the server through `env`",
        ..Vars::DOLLAR
    },
    gaps: Gaps {
        sse: Some(SSE_AS_URL),
        deny: None,
        disabled: None,
        ..APP_GAPS
    },
    ..app(
        Target::Kiro,
        "Kiro",
        &[ManagedFile {
            project_path: ".kiro/settings/mcp.json",
            format: Format::Json,
            owned: MCP_SERVERS,
            user: UserFile::home(".kiro/settings/mcp.json"),
        }],
        &[
            ("follows", "kiro.dev/docs/mcp/configuration (2026-12)"),
            ("env.X / secret.X", "${X} (env and headers only)"),
            ("tools.deny", "disabledTools"),
            ("enabled = false", "disabled: true"),
        ],
    )
};

/// Antigravity: `~/.gemini/antigravity/mcp_config.json` only, `serverUrl`,
/// no environment reference.
pub(super) struct Antigravity;
static ANTIGRAVITY: Dialect = Dialect {
    keys: &[Key::COMMAND, Key::ARGS, Key::ENV, Key::URL, Key::HEADERS],
    url: SERVER_URL,
    vars: literal_only(
        "Antigravity expands no variable, and mcpc never writes a secret's value: use an OAuth remote server, a wrapper command that reads the variable itself, or leave antigravity out with `targets = [...]`",
    ),
    gaps: Gaps {
        sse: Some(SSE_AS_URL),
        ..APP_GAPS
    },
    ..app(
        Target::Antigravity,
        "Antigravity",
        &[ManagedFile {
            project_path: ".gemini/antigravity/mcp_config.json",
            format: Format::Json,
            owned: MCP_SERVERS,
            user: UserFile::home(".gemini/antigravity/mcp_config.json").only_user(),
        }],
        &[
            (
                "follows",
                "third-party setup notes; no official schema found (2026-12)",
            ),
            ("env.X / secret.X", "refused: no environment reference"),
            ("url", "serverUrl (SSE: lossy)"),
        ],
    )
};

/// Claude Desktop: `claude_desktop_config.json` in the OS's application
/// data, stdio only, no environment reference.
pub(super) struct ClaudeDesktop;
static CLAUDE_DESKTOP: Dialect = Dialect {
    keys: &[Key::COMMAND, Key::ARGS, Key::ENV],
    vars: literal_only(
        "Claude Desktop expands no variable, and mcpc never writes a secret's value: use a wrapper command that reads the variable itself, add the server in Claude Desktop as a connector (OAuth), or leave claude-desktop out with `targets = [...]`",
    ),
    ..app(
        Target::ClaudeDesktop,
        "Claude Desktop",
        &[ManagedFile {
            project_path: "claude_desktop_config.json",
            format: Format::Json,
            owned: MCP_SERVERS,
            user: UserFile::app_data(
                "Claude/claude_desktop_config.json",
                ".config/Claude/claude_desktop_config.json",
                "Library/Application Support/Claude/claude_desktop_config.json",
                "Claude/claude_desktop_config.json",
                "AppData/Roaming/Claude/claude_desktop_config.json",
            )
            .only_user(),
        }],
        &[
            (
                "follows",
                "modelcontextprotocol.io quickstart for Claude Desktop (2026-12)",
            ),
            ("env.X / secret.X", "refused: no environment reference"),
            (
                "transport = http / sse",
                "refused: remote servers are connectors",
            ),
        ],
    )
};

impl JsonRuntime for ClaudeDesktop {
    const DIALECT: &'static Dialect = &CLAUDE_DESKTOP;

    fn check(&self, s: &Server, cx: &mut Cx) {
        if s.fields.transport_kind() != Transport::Stdio {
            let at = s.fields.url.as_ref().map_or(s.name.span, |u| u.span);
            cx.unsupported(
                s,
                at,
                "a remote server in its config file (Claude Desktop adds remote servers as connectors in its settings)",
            );
        }
    }
}

/// Zed: `context_servers` in `.zed/settings.json` and the user's
/// settings, no environment reference.
pub(super) struct Zed;
static ZED: Dialect = Dialect {
    keys: &[
        Key::COMMAND,
        Key::ARGS,
        Key::ENV,
        Key::URL,
        Key::HEADERS,
        Key::Enabled("enabled"),
    ],
    vars: literal_only(
        "Zed expands no variable, and mcpc never writes a secret's value: use a remote server with OAuth, a wrapper command that reads the variable itself, or leave zed out with `targets = [...]`",
    ),
    gaps: Gaps {
        sse: Some(SSE_AS_URL),
        disabled: None,
        ..APP_GAPS
    },
    ..app(
        Target::Zed,
        "Zed",
        &[ManagedFile {
            project_path: ".zed/settings.json",
            format: Format::Jsonc,
            owned: &[Owned::Servers(&["context_servers"])],
            user: UserFile::moved_by(
                "XDG_CONFIG_HOME",
                "zed/settings.json",
                ".config/zed/settings.json",
            )
            .on(
                Some(Place {
                    var: None,
                    in_var: ".config/zed/settings.json",
                    in_home: ".config/zed/settings.json",
                }),
                Some(Place {
                    var: Some("APPDATA"),
                    in_var: "Zed/settings.json",
                    in_home: "AppData/Roaming/Zed/settings.json",
                }),
            ),
        }],
        &[
            (
                "follows",
                "zed.dev/docs/ai/mcp; zed-industries/zed settings_content (2026-12)",
            ),
            ("env.X / secret.X", "refused: no environment reference"),
            ("enabled = false", "enabled: false"),
        ],
    )
};

/// Crush: `mcp` in `.crush.json` and `crush.json` in the user's
/// configuration directory; shell-style `$VAR` in `env` and `headers`.
pub(super) struct Crush;
static CRUSH: Dialect = Dialect {
    keys: &[
        Key::TYPE,
        Key::COMMAND,
        Key::ARGS,
        Key::ENV,
        Key::URL,
        Key::HEADERS,
        Key::ToolTimeout("timeout", 1000),
        Key::Disabled("disabled"),
        Key::Deny("disabled_tools"),
    ],
    tags: Tags::NAMES,
    vars: Vars {
        bare_dollar: true,
        expanded: Fields::ENV.and(Fields::HEADERS),
        elsewhere: "Crush expands variables only in `env` and `headers`: pass the value to the server through `env`",
        ..Vars::DOLLAR
    },
    gaps: Gaps {
        deny: None,
        disabled: None,
        tool_timeout: None,
        ..APP_GAPS
    },
    ..app(
        Target::Crush,
        "Crush",
        &[ManagedFile {
            project_path: ".crush.json",
            format: Format::Json,
            owned: &[Owned::Servers(&["mcp"])],
            user: UserFile::moved_by(
                "XDG_CONFIG_HOME",
                "crush/crush.json",
                ".config/crush/crush.json",
            )
            .on(
                None,
                Some(Place {
                    var: Some("LOCALAPPDATA"),
                    in_var: "crush/crush.json",
                    in_home: "AppData/Local/crush/crush.json",
                }),
            ),
        }],
        &[
            (
                "follows",
                "charmbracelet/crush configuration docs (2026-12)",
            ),
            ("env.X / secret.X", "${X} (env and headers only)"),
            ("transport", "type: stdio | http | sse"),
            ("tool_timeout", "timeout (s)"),
            ("tools.deny", "disabled_tools"),
            ("enabled = false", "disabled: true"),
        ],
    )
};

impl Crush {
    /// Crush expands `$(command)` in `env` and `headers`: literal text
    /// holding it would run a command.
    fn check_substitution(s: &Server, cx: &mut Cx) {
        let f = &s.fields;
        for entries in [&f.env, &f.headers].into_iter().flatten() {
            for e in &entries.value {
                let lit = e.value.value.parts.iter().any(
                    |p| matches!(p, crate::ir::Part::Lit(t) if t.contains("$(") || t.contains('`')),
                );
                if lit {
                    cx.unsupported(
                        s,
                        e.value.span,
                        "the literal text `$(` or a backtick (Crush would run it as a command)",
                    );
                }
            }
        }
    }
}

impl JsonRuntime for Crush {
    const DIALECT: &'static Dialect = &CRUSH;

    fn check(&self, s: &Server, cx: &mut Cx) {
        Crush::check_substitution(s, cx);
    }
}

macro_rules! data_only {
    ($($runtime:ident => $dialect:ident),*) => {$(
        impl JsonRuntime for $runtime {
            const DIALECT: &'static Dialect = &$dialect;
        }
    )*};
}

data_only!(Cursor => CURSOR, VsCode => VSCODE, Windsurf => WINDSURF, Kiro => KIRO, Antigravity => ANTIGRAVITY, Zed => ZED);

#[cfg(test)]
mod tests {
    use super::super::{Os, Target};

    /// The user file of `target` on `os`, with `vars` as the only
    /// environment.
    fn user_file(target: Target, os: Os, vars: &[(&str, &str)], home: &str) -> String {
        let backend = target.backend();
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        backend.user_location_on(os, backend.managed_files()[0].project_path, &env, home)
    }

    const MAC: &str = "/Users/ada";
    const WIN: &str = r"C:\Users\ada";
    const LINUX: &str = "/home/ada";

    #[test]
    fn each_app_has_its_documented_user_file_on_each_os() {
        let appdata = [("APPDATA", r"C:\Users\ada\AppData\Roaming")];
        let xdg = [("XDG_CONFIG_HOME", "/xdg")];
        let cases: &[(Target, &str, &str, &str)] = &[
            (
                Target::Vscode,
                "/home/ada/.config/Code/User/mcp.json",
                "/Users/ada/Library/Application Support/Code/User/mcp.json",
                r"C:\Users\ada\AppData\Roaming\Code\User\mcp.json",
            ),
            (
                Target::ClaudeDesktop,
                "/home/ada/.config/Claude/claude_desktop_config.json",
                "/Users/ada/Library/Application Support/Claude/claude_desktop_config.json",
                r"C:\Users\ada\AppData\Roaming\Claude\claude_desktop_config.json",
            ),
            (
                Target::Zed,
                "/home/ada/.config/zed/settings.json",
                "/Users/ada/.config/zed/settings.json",
                r"C:\Users\ada\AppData\Roaming\Zed\settings.json",
            ),
            (
                Target::Cursor,
                "/home/ada/.cursor/mcp.json",
                "/Users/ada/.cursor/mcp.json",
                r"C:\Users\ada\.cursor\mcp.json",
            ),
            (
                Target::Windsurf,
                "/home/ada/.codeium/windsurf/mcp_config.json",
                "/Users/ada/.codeium/windsurf/mcp_config.json",
                r"C:\Users\ada\.codeium\windsurf\mcp_config.json",
            ),
            (
                Target::Kiro,
                "/home/ada/.kiro/settings/mcp.json",
                "/Users/ada/.kiro/settings/mcp.json",
                r"C:\Users\ada\.kiro\settings\mcp.json",
            ),
            (
                Target::Antigravity,
                "/home/ada/.gemini/antigravity/mcp_config.json",
                "/Users/ada/.gemini/antigravity/mcp_config.json",
                r"C:\Users\ada\.gemini\antigravity\mcp_config.json",
            ),
            (
                Target::Crush,
                "/home/ada/.config/crush/crush.json",
                // Crush honours `XDG_CONFIG_HOME` on macOS too.
                "/xdg/crush/crush.json",
                r"C:\Users\ada\AppData\Local\crush\crush.json",
            ),
        ];
        for &(target, linux, macos, windows) in cases {
            assert_eq!(user_file(target, Os::Linux, &[], LINUX), linux, "{target}");
            assert_eq!(user_file(target, Os::Macos, &xdg, MAC), macos, "{target}");
            assert_eq!(
                user_file(target, Os::Windows, &[], WIN),
                windows,
                "{target}"
            );
        }
        // `APPDATA` and `XDG_CONFIG_HOME` move the files that live under them.
        assert_eq!(
            user_file(Target::Vscode, Os::Windows, &appdata, WIN),
            r"C:\Users\ada\AppData\Roaming\Code\User\mcp.json"
        );
        assert_eq!(
            user_file(
                Target::Vscode,
                Os::Windows,
                &[("APPDATA", r"D:\roam\")],
                WIN
            ),
            r"D:\roam\Code\User\mcp.json"
        );
        assert_eq!(
            user_file(Target::Zed, Os::Linux, &xdg, LINUX),
            "/xdg/zed/settings.json"
        );
        assert_eq!(
            user_file(
                Target::Crush,
                Os::Windows,
                &[("LOCALAPPDATA", r"E:\local")],
                WIN
            ),
            r"E:\local\crush\crush.json"
        );
        // An empty variable counts as unset.
        assert_eq!(
            user_file(
                Target::ClaudeDesktop,
                Os::Linux,
                &[("XDG_CONFIG_HOME", "")],
                LINUX
            ),
            "/home/ada/.config/Claude/claude_desktop_config.json"
        );
    }

    #[test]
    fn the_runtimes_before_the_apps_keep_their_places_on_every_os() {
        assert_eq!(
            user_file(Target::Codex, Os::Macos, &[], MAC),
            "/Users/ada/.codex/config.toml"
        );
        assert_eq!(
            user_file(
                Target::Codex,
                Os::Windows,
                &[("CODEX_HOME", r"C:\codex")],
                WIN
            ),
            r"C:\codex\config.toml"
        );
    }
}
