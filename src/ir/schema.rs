//! Which blocks and attributes exist where. The grammar is generic; this
//! table is what makes `sever` an `unknown-block` with a suggestion.

pub(super) struct BlockSchema {
    /// Attributes allowed in the block.
    pub attributes: &'static [&'static str],
    /// Blocks allowed once in the block.
    pub blocks: &'static [&'static str],
    /// Blocks that may repeat, each with its own label.
    pub repeated: &'static [&'static str],
}

pub(super) const TOP_LEVEL: &[&str] = &["plugin", "workspace", "policy"];

pub(super) const PLUGIN: BlockSchema = BlockSchema {
    attributes: &[
        "version",
        "description",
        "kind",
        "scope",
        "targets",
        "homepage",
        "license",
        "author",
    ],
    blocks: &[],
    repeated: &["server", "target"],
};

pub(super) const SERVER: BlockSchema = BlockSchema {
    attributes: &[
        "command",
        "args",
        "cwd",
        "url",
        "transport",
        "startup_timeout",
        "tool_timeout",
        "enabled",
        "description",
        "targets",
    ],
    blocks: &["env", "headers", "tools"],
    repeated: &[],
};

pub(super) const TOOLS: BlockSchema = BlockSchema {
    attributes: &["allow", "deny"],
    blocks: &[],
    repeated: &[],
};

pub(super) const TARGET: BlockSchema = BlockSchema {
    attributes: &[],
    blocks: &[],
    repeated: &["server"],
};

pub(super) const WORKSPACE: BlockSchema = BlockSchema {
    attributes: &["runtime", "plugins"],
    blocks: &[],
    repeated: &[],
};

pub(super) const POLICY: BlockSchema = BlockSchema {
    attributes: &["allow_commands", "allow_hosts", "allow_transports"],
    blocks: &["lints"],
    repeated: &[],
};

/// Names that list servers a second time (SSOT): reported as
/// `redundant-server-list` rather than as unknown.
pub(super) const SERVER_LISTS: &[&str] = &["mcp_servers", "mcpServers", "servers"];
