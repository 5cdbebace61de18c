//! Which blocks and attributes exist where. The grammar is generic; this
//! table is what makes `sever` an `unknown-block` with a suggestion.

pub(crate) struct BlockSchema {
    /// Attributes allowed in the block.
    pub(crate) attributes: &'static [&'static str],
    /// Blocks allowed once in the block.
    pub(crate) blocks: &'static [&'static str],
    /// Blocks that may repeat, each with its own label.
    pub(crate) repeated: &'static [&'static str],
}

pub(crate) const TOP_LEVEL: &[&str] = &["plugin", "workspace", "policy"];

pub(crate) const PLUGIN: BlockSchema = BlockSchema {
    attributes: &[
        "version",
        "description",
        "kind",
        "scope",
        "targets",
        "homepage",
        "license",
        "author",
        "registry",
    ],
    blocks: &[],
    repeated: &["server", "target"],
};

pub(crate) const SERVER: BlockSchema = BlockSchema {
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
    blocks: &["env", "headers", "tools", "registry"],
    repeated: &[],
};

/// `registry { name = …, version = … }` in a server: the entry of an MCP
/// Registry its launch line comes from (through `mcpc.lock`).
pub(crate) const REGISTRY: BlockSchema = BlockSchema {
    attributes: &["name", "version", "package"],
    blocks: &[],
    repeated: &[],
};

pub(crate) const TOOLS: BlockSchema = BlockSchema {
    attributes: &["allow", "deny"],
    blocks: &[],
    repeated: &[],
};

pub(crate) const TARGET: BlockSchema = BlockSchema {
    attributes: &["secrets"],
    blocks: &["lints"],
    repeated: &["server"],
};

pub(crate) const WORKSPACE: BlockSchema = BlockSchema {
    attributes: &["runtime", "plugins"],
    blocks: &[],
    repeated: &[],
};

pub(crate) const POLICY: BlockSchema = BlockSchema {
    attributes: &["allow_commands", "allow_hosts", "allow_transports"],
    blocks: &["lints"],
    repeated: &[],
};

/// Names that list servers a second time (SSOT): reported as
/// `redundant-server-list` rather than as unknown.
pub(crate) const SERVER_LISTS: &[&str] = &["mcp_servers", "mcpServers", "servers"];
