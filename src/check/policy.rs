//! The organisation's policy: platform plugins are org-scoped, and the
//! policy's allow-lists of commands, hosts and transports.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{PluginKind, Scope, Server, Unit, url};

pub(super) fn check(unit: &Unit, sink: &mut Sink) {
    for plugin in &unit.plugins {
        let Some(kind) = &plugin.kind else { continue };
        if kind.value != PluginKind::Platform {
            continue;
        }
        match &plugin.scope {
            Some(scope) if scope.value == Scope::Org => {}
            scope => {
                let mut d = Diagnostic::new(
                    Code::PlatformScope,
                    kind.span,
                    format!("platform plugin `{}` is not org-scoped", plugin.name),
                )
                .with_label("a platform plugin");
                if let Some(scope) = scope {
                    d = d.with_secondary(scope.span, "scoped here").with_help(
                        "set `scope = org`: the platform delivers it to every workspace of the org",
                    );
                } else {
                    d = d.with_help(
                        "add `scope = org`: the platform delivers it to every workspace of the org",
                    );
                }
                sink.push(d);
            }
        }
    }
}

/// The policy's allow-lists, for one server.
pub(super) fn check_server(unit: &Unit, server: &Server, sink: &mut Sink) {
    let Some(policy) = unit.policy() else { return };
    let f = &server.fields;
    if let (Some(allowed), Some(command)) = (&policy.allow_commands, &f.command)
        && let Some(text) = command.value.as_literal()
    {
        let program = text.rsplit('/').next().unwrap_or(&text);
        if !allowed.value.iter().any(|a| a.value == program) {
            sink.push(
                Diagnostic::new(
                    Code::CommandNotAllowed,
                    command.span,
                    format!("server `{}` runs `{program}`, which the policy does not allow", server.name),
                )
                .with_label("not in `allow_commands`")
                .with_secondary(allowed.span, "the allowed commands")
                .with_help(format!("use an allowed command, or add `\"{program}\"` to the policy's `allow_commands`")),
            );
        }
    }
    if let (Some(allowed), Some(u)) = (&policy.allow_hosts, &f.url)
        && let Some((_, host)) = url::known_scheme_and_host(&u.value)
        && !allowed
            .value
            .iter()
            .any(|p| url::host_matches(&p.value, &host))
    {
        sink.push(
            Diagnostic::new(
                Code::HostNotAllowed,
                u.span,
                format!(
                    "server `{}` calls `{host}`, which the policy does not allow",
                    server.name
                ),
            )
            .with_label("host not in `allow_hosts`")
            .with_secondary(allowed.span, "the allowed hosts")
            .with_help(format!(
                "use an allowed host, or add `\"{host}\"` to the policy's `allow_hosts`"
            )),
        );
    }
    if let Some(allowed) = &policy.allow_transports {
        let transport = f.transport_kind();
        let at = f
            .rare()
            .transport
            .as_ref()
            .map(|t| t.span)
            .or(f.url.as_ref().map(|u| u.span))
            .or(f.command.as_ref().map(|c| c.span));
        if let Some(at) = at
            && (f.command.is_some() || f.url.is_some())
            && !allowed.value.iter().any(|t| t.value == transport)
        {
            sink.push(
                Diagnostic::new(
                    Code::TransportNotAllowed,
                    at,
                    format!(
                        "server `{}` uses the `{}` transport, which the policy does not allow",
                        server.name,
                        transport.name()
                    ),
                )
                .with_label(format!("{} transport", transport.name()))
                .with_secondary(allowed.span, "the allowed transports")
                .with_help(format!(
                    "use an allowed transport, or add `{}` to the policy's `allow_transports`",
                    transport.name()
                )),
            );
        }
    }
}
