//! `non-portable-name` [warn]: a server name with `_` or upper case.
//!
//! Why: Gemini CLI splits `mcp_<server>_<tool>` on `_`; Hermes folds `-`
//! into `_`; lower-case names with `-` work everywhere.
//! Example: `server "Docs_Search"`. Instead: `server "docs-search"`.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::Server;

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let name = &server.name.value;
    if name.contains('_') || name.chars().any(|c| c.is_ascii_uppercase()) {
        let portable = name.to_ascii_lowercase().replace('_', "-");
        sink.push(
            Diagnostic::new(
                Code::NonPortableName,
                server.name.span,
                format!("server name `{name}` is not portable across runtimes"),
            )
            .with_label("`_` or upper case")
            .with_help(format!("rename it `{portable}`")),
        );
    }
}
