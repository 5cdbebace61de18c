//! `tool-name-too-long` [warn]: `mcp__<server>__<tool>` over 64 characters
//! for a tool named in a filter.
//!
//! Why: Codex and Gemini truncate such names and model APIs reject them, so
//! the filter no longer matches.
//! Instead: a shorter server name.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::Server;

const LIMIT: usize = 64;

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let tools = &server.fields.rare().tools;
    for list in [&tools.allow, &tools.deny].into_iter().flatten() {
        for tool in &list.value {
            let full = format!("mcp__{}__{}", server.name, tool);
            if full.chars().count() > LIMIT {
                sink.push(
                    Diagnostic::new(
                        Code::ToolNameTooLong,
                        tool.span,
                        format!("tool name `{full}` is {} characters long (limit {LIMIT})", full.chars().count()),
                    )
                    .with_label("too long once prefixed")
                    .with_help("shorten the server name; runtimes truncate longer tool names and the filter stops matching"),
                );
            }
        }
    }
}
