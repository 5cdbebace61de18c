//! Amp: `.amp/settings.json`, servers under the flat key `amp.mcpServers`
//! (user scope `~/.config/amp/settings.json`). No `type`: a `url` entry
//! tries streamable HTTP, then SSE. `${VAR}` everywhere; `cwd` and
//! `disabled` are ignored. Workspace servers wait for `amp mcp approve`,
//! bound to a hash of the entry. E2E.md "Amp".

use super::dialect::{Dialect, Gap, Gaps, JsonRuntime, Key, Tags, jsonc_file, proven};
use super::{Owned, Target, UserFile};

pub(super) struct Amp;

static DIALECT: Dialect = Dialect {
    files: &[jsonc_file(
        ".amp/settings.json",
        &[Owned::Servers(&["amp.mcpServers"])],
        UserFile::home(".config/amp/settings.json"),
    )],
    extra_keys: &[Key::Allow("includeTools")],
    tags: Tags::NONE,
    gaps: Gaps {
        cwd: Some(Gap::Unsupported(
            "`cwd` (Amp ignores it and starts servers in its own directory)",
        )),
        sse: Some(Gap::SSE_AS_HTTP),
        deny: Some(Gap::Unsupported(
            "a tool deny-list without an allow-list (Amp's `includeTools` lists the tools allowed)",
        )),
        disabled: Some(Gap::Unsupported(
            "`enabled = false` (Amp does not honour `disabled`; leave the server out for amp with `targets = […]`)",
        )),
        ..Gaps::NO_TIMEOUTS
    },
    ..Dialect::mcp_servers_family(
        Target::Amp,
        "Amp",
        proven(
            ".amp/settings.json (`amp.mcpServers`)",
            "none (config only)",
            "0.0.1790142911-g7618fb",
        ),
    )
};

impl JsonRuntime for Amp {
    const DIALECT: &'static Dialect = &DIALECT;

    fn notes(&self) -> &'static [(&'static str, &'static str)] {
        &[(
            "approval",
            "workspace servers wait for `amp mcp approve NAME` (bound to a hash of the entry)",
        )]
    }
}
