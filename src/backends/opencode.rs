//! opencode 1.18.33: `opencode.json` (`mcp`: name → `{type: "local",
//! command: [argv…], environment, cwd, enabled, timeout}` or `{type:
//! "remote", url, headers, enabled, timeout}`), `{env:VAR}` anywhere.
//! The schema is strict and fatal: one bad entry fails every command, so
//! the output must be exact. A remote tries streamable HTTP, then SSE.
//! RUNTIMES.md §8, E2E.md "opencode".

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, Tags, json_file, proven};
use super::lowering::{Spelling, Vars};
use super::{Owned, Target, UserFile};

pub(super) struct Opencode;

/// User scope: `~/.config/opencode/opencode.json`, following `XDG_CONFIG_HOME`.
/// User scope: `~/.config/opencode/opencode.json`, following `XDG_CONFIG_HOME`.
static DIALECT: Dialect = Dialect {
    files: &[json_file(
        "opencode.json",
        &[Owned::Servers(&["mcp"])],
        UserFile::moved_by(
            "XDG_CONFIG_HOME",
            "opencode/opencode.json",
            ".config/opencode/opencode.json",
        ),
    )],
    keys: &[
        Key::TYPE,
        Key::Argv("command"),
        Key::Env("environment"),
        Key::CWD,
        Key::URL,
        Key::HEADERS,
        Key::Enabled("enabled"),
        Key::ToolTimeout("timeout", 1),
    ],
    tags: Tags {
        stdio: Some("local"),
        http: Some("remote"),
        sse: Some("remote"),
    },
    vars: Vars {
        spelling: Spelling::BraceEnv,
        ..Vars::DOLLAR
    },
    gaps: Gaps {
        sse: Some(Gap::SSE_AS_HTTP),
        allow: Some(Gap::Unsupported(
            "a per-server tool allow-list (opencode filters tools with its global `tools` globs)",
        )),
        deny: Some(Gap::Unsupported(
            "a per-server tool deny-list (opencode filters tools with its global `tools` globs)",
        )),
        startup_timeout: Some(Gap::Lossy {
            message: "opencode has no separate start-up timeout (server `{server}`); its `timeout` covers every request",
            help: "use `tool_timeout` for opencode's `timeout`, or remove `startup_timeout` for opencode",
        }),
        ..Gaps::NONE
    },
    fragile: true,
    ..Dialect::mcp_servers_family(
        Target::Opencode,
        "opencode",
        proven("opencode.json (`mcp`)", "none (config only)", "1.18.33"),
    )
};

impl JsonRuntime for Opencode {
    const DIALECT: &'static Dialect = &DIALECT;
}
