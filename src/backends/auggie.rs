//! Auggie (Augment CLI) 0.36.0: `.augment/settings.json` (`mcpServers`).
//! `${VAR}` is expanded in `command`, `args` and `env`, never in headers;
//! arguments containing whitespace are split; one invalid entry loses
//! every server, mostly silently. E2E.md "Auggie".

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, MCP_SERVERS, jsonc_file, proven};
use super::lowering::{Fields, Vars};
use super::{Cx, Target, UserFile};
use crate::ir::Server;

pub(super) struct Auggie;

static DIALECT: Dialect = Dialect {
    files: &[jsonc_file(
        ".augment/settings.json",
        MCP_SERVERS,
        UserFile::home(".augment/settings.json"),
    )],
    extra_keys: &[Key::Disabled("disabled")],
    vars: Vars {
        expanded: Fields::COMMAND.and(Fields::ARGS).and(Fields::ENV),
        elsewhere: "Auggie sends headers and urls as written, so a secret cannot be referenced there: run the server through a stdio command that reads the token from its `env` (which Auggie expands), or use OAuth",
        ..Vars::DOLLAR
    },
    gaps: Gaps {
        allow: Some(Gap::Unsupported(
            "a per-server tool allow-list (Auggie has none; use `--remove-tool` on its command line)",
        )),
        deny: Some(Gap::Unsupported(
            "a per-server tool deny-list (Auggie has none; use `--remove-tool` on its command line)",
        )),
        ..Gaps::NO_TIMEOUTS
    },
    fragile: true,
    ..Dialect::mcp_servers_family(
        Target::Auggie,
        "Auggie",
        proven(".augment/settings.json", "none (config only)", "0.36.0"),
    )
};

impl JsonRuntime for Auggie {
    const DIALECT: &'static Dialect = &DIALECT;

    /// Auggie splits arguments at whitespace, so one containing a space
    /// would reach the server as several.
    fn check(&self, s: &Server, cx: &mut Cx) {
        for arg in s.fields.args.iter().flat_map(|a| &a.value) {
            if arg.value.display().contains(char::is_whitespace) {
                cx.unsupported(
                    s,
                    arg.span,
                    "an argument containing whitespace (Auggie splits arguments at spaces)",
                );
            }
        }
    }

    fn notes(&self) -> &'static [(&'static str, &'static str)] {
        &[("argument with whitespace", "unsupported (Auggie splits it)")]
    }
}
