//! `empty-plugin` [warn]: a plugin with no server.
//!
//! Why: it builds to empty configuration; usually a server was forgotten.
//! Example: `plugin "acme" { version = "1.0.0" }`.
//! Instead: declare its servers, or remove the plugin.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::Plugin;

pub(super) fn check(plugin: &Plugin, sink: &mut Sink) {
    if plugin.servers.is_empty() {
        sink.push(
            Diagnostic::new(
                Code::EmptyPlugin,
                plugin.name.span,
                format!("plugin `{}` declares no server", plugin.name),
            )
            .with_label("no `server` block")
            .with_help("add a `server \"name\" { … }` block, or remove the plugin"),
        );
    }
}
