//! GitHub Copilot CLI 1.0.102: `.github/mcp.json` (`mcpServers`), user
//! scope `$COPILOT_HOME/mcp-config.json` (default `~/.copilot`). `${VAR}`
//! everywhere; `tools` is an allow-list (`["*"]` by default); workspace
//! servers load only in a trusted folder. Copilot CLI reads a workspace
//! `.mcp.json` *instead of* `.github/mcp.json` while one exists (1.0.102,
//! run here), so `verify` reports a project where Claude Code's file
//! hides this one. E2E.md "GitHub Copilot CLI".

use super::dialect::{
    AlsoRead, Dialect, Gap, Gaps, JsonRuntime, Key, MCP_SERVERS, json_file, proven,
};
use super::{Target, UserFile};

pub(super) struct Copilot;

static DIALECT: Dialect = Dialect {
    files: &[json_file(
        ".github/mcp.json",
        MCP_SERVERS,
        UserFile::moved_by(
            "COPILOT_HOME",
            "mcp-config.json",
            ".copilot/mcp-config.json",
        ),
    )],
    extra_keys: &[Key::Allow("tools")],
    gaps: Gaps {
        deny: Some(Gap::Unsupported(
            "a tool deny-list without an allow-list (Copilot CLI's `tools` lists the tools allowed)",
        )),
        disabled: Some(Gap::Unsupported(
            "`enabled = false` in a file (Copilot CLI keeps disabled servers in its own settings: run `copilot mcp disable NAME`)",
        )),
        ..Gaps::NO_TIMEOUTS
    },
    also_reads: &[AlsoRead {
        project_path: ".mcp.json",
        servers: &["mcpServers"],
        written_by: Target::ClaudeCode,
        shadows: true,
        expands_vars: true,
    }],
    ..Dialect::mcp_servers_family(
        Target::Copilot,
        "Copilot CLI",
        proven(".github/mcp.json", "none (config only)", "1.0.102"),
    )
};

impl JsonRuntime for Copilot {
    const DIALECT: &'static Dialect = &DIALECT;

    fn notes(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            "trust",
            "workspace servers load only in a trusted folder (`trusted_folders` in ~/.copilot/config.json)",
        )]
    }
}
