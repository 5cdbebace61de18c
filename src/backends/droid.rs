//! Factory droid 0.215.0: `.factory/mcp.json` (`mcpServers`). `type` is
//! required for remotes; `${VAR}` is expanded in `env` and `headers` only;
//! `cwd` is ignored; tools are denied with `disabledTools`. One entry
//! without `command`, a `url` without `type` or an unknown `type` leaves
//! every server stuck, silently. E2E.md "Factory droid".

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, MCP_SERVERS, json_file, proven};
use super::lowering::{Fields, Vars};
use super::{Target, UserFile};

pub(super) struct Droid;

static DIALECT: Dialect = Dialect {
    files: &[json_file(
        ".factory/mcp.json",
        MCP_SERVERS,
        UserFile::home(".factory/mcp.json"),
    )],
    extra_keys: &[Key::Deny("disabledTools"), Key::Disabled("disabled")],
    vars: Vars {
        expanded: Fields::ENV.and(Fields::HEADERS),
        elsewhere: "droid passes `command` and `args` as written: pass the value to the server through `env` (which droid expands), or write it literally",
        ..Vars::DOLLAR
    },
    gaps: Gaps {
        cwd: Some(Gap::Unsupported(
            "`cwd` (droid ignores it and starts servers in its own directory)",
        )),
        allow: Some(Gap::Unsupported(
            "a tool allow-list (droid can only deny tools, with `disabledTools`)",
        )),
        ..Gaps::NO_TIMEOUTS
    },
    fragile: true,
    ..Dialect::mcp_servers_family(
        Target::Droid,
        "droid",
        proven(".factory/mcp.json", "none (config only)", "0.215.0"),
    )
};

impl JsonRuntime for Droid {
    const DIALECT: &'static Dialect = &DIALECT;
}
