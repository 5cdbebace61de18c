//! A server is a program to start (stdio) or a URL to call (remote): exactly
//! one, with only the attributes of its kind.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Plugin, Server};
use crate::source::Span;

/// The server as written must say how it is reached.
pub(super) fn check_base(plugin: &Plugin, server: &Server, sink: &mut Sink) {
    let f = &server.fields;
    // A registry reference gets its launch line from the lock (or an
    // error of its own when it cannot).
    if f.command.is_none() && f.url.is_none() && f.rare().registry.is_none() {
        sink.push(
            Diagnostic::new(
                Code::MissingAttribute,
                server.name.span,
                format!("server `{}` in plugin `{}` has neither `command` nor `url`", server.name, plugin.name),
            )
            .with_label("no `command` or `url`")
            .with_help("add `command = \"program\"` for a local (stdio) server, or `url = \"https://…\"` for a remote one"),
        );
    }
}

/// Attributes of the other kind of server (on every view, since a `target`
/// override may add them).
pub(super) fn check_effective(server: &Server, sink: &mut Sink) {
    let f = &server.fields;
    match (&f.command, &f.url) {
        (Some(command), Some(url)) => sink.push(
            Diagnostic::new(
                Code::ConflictingAttributes,
                url.span,
                format!("server `{}` has both `command` and `url`", server.name),
            )
            .with_label("`url` makes it remote")
            .with_secondary(command.span, "`command` makes it local")
            .with_help("keep `command` for a local (stdio) server or `url` for a remote one"),
        ),
        (None, Some(url)) => {
            let local: [(&str, Option<Span>); 3] = [
                ("args", f.args.as_ref().map(|a| a.span)),
                ("cwd", f.rare().cwd.as_ref().map(|a| a.span)),
                ("env", f.env.as_ref().map(|a| a.span)),
            ];
            for (name, span) in local {
                if let Some(span) = span {
                    conflict(
                        sink,
                        server,
                        span,
                        url.span,
                        name,
                        "remote",
                        "url",
                        "a remote server sends `headers`; remove",
                    );
                }
            }
        }
        (Some(command), None) => {
            let remote: [(&str, Option<Span>); 2] = [
                ("headers", f.headers.as_ref().map(|a| a.span)),
                ("transport", f.rare().transport.as_ref().map(|a| a.span)),
            ];
            for (name, span) in remote {
                if let Some(span) = span {
                    conflict(
                        sink,
                        server,
                        span,
                        command.span,
                        name,
                        "local",
                        "command",
                        "a local server gets `env`; remove",
                    );
                }
            }
        }
        (None, None) => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn conflict(
    sink: &mut Sink,
    server: &Server,
    at: Span,
    because: Span,
    name: &str,
    kind: &str,
    key: &str,
    help: &str,
) {
    sink.push(
        Diagnostic::new(
            Code::ConflictingAttributes,
            at,
            format!("`{name}` does not apply to {kind} server `{}`", server.name),
        )
        .with_label(format!("not for a {kind} server"))
        .with_secondary(because, format!("`{key}` makes it {kind}"))
        .with_help(format!("{help} `{name}`")),
    );
}
