//! `missing-tool-filter` [allow]: a server without `tools.allow`.
//!
//! Why: an allow-list keeps new tools of a server from reaching the model
//! without review.
//! Example: `server "docs" { url = "…" }`.
//! Instead: `tools { allow = ["search", "fetch"] }`.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Plugin, Server};

pub(super) fn check(plugin: &Plugin, server: &Server, sink: &mut Sink) {
    // Allowed (the default), it is dropped as pushed: not built.
    if server.fields.rare().tools.allow.is_none() && !sink.drops(Code::MissingToolFilter) {
        sink.push(
            Diagnostic::new(
                Code::MissingToolFilter,
                server.name.span,
                format!(
                    "server `{}` of plugin `{}` has no tool allow-list",
                    server.name, plugin.name
                ),
            )
            .with_label("every tool of this server reaches the model")
            .with_help("add `tools { allow = [\"tool\", …] }`"),
        );
    }
}
