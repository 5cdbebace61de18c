//! `insecure-url` [deny]: `http://` to a host that is not loopback.
//!
//! Why: headers, tokens included, cross the network in clear text.
//! Example: `url = "http://docs.acme.dev/mcp"`.
//! Instead: `url = "https://docs.acme.dev/mcp"`.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Server, url};

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let Some(u) = &server.fields.url else { return };
    // Only `http://` is insecure (the scheme is compared as written, as
    // `url::parse` does): most URLs need no parse here.
    if !u.value.literal_prefix().starts_with("http://") {
        return;
    }
    let Some((scheme, host)) = url::known_scheme_and_host(&u.value) else {
        return;
    };
    if scheme == "http" && !url::is_loopback(&host) {
        let secure = u.value.display().replacen("http://", "https://", 1);
        sink.push(
            Diagnostic::new(
                Code::InsecureUrl,
                u.span,
                format!(
                    "server `{}` is called over plain `http` at `{host}`",
                    server.name
                ),
            )
            .with_label("not encrypted")
            .with_help(format!(
                "use `\"{secure}\"`; plain `http://` is only for loopback hosts"
            )),
        );
    }
}
