//! `secret-in-args` [warn]: a secret interpolated into `args`.
//!
//! Why: arguments are visible to every user in the process list.
//! Example: `args = ["--token", "${secret.API_TOKEN}"]`.
//! Instead: `env { API_TOKEN = secret.API_TOKEN }`.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Ref, Server};

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let Some(args) = &server.fields.args else {
        return;
    };
    for arg in &args.value {
        for r in arg.value.refs() {
            if let Ref::Secret { name } = &r.value {
                sink.push(
                    Diagnostic::new(
                        Code::SecretInArgs,
                        r.span,
                        format!(
                            "secret `{name}` is passed on the command line of server `{}`",
                            server.name
                        ),
                    )
                    .with_label("visible in the process list")
                    .with_help(format!(
                        "pass it in the environment: `env {{ {name} = secret.{name} }}`"
                    )),
                );
            }
        }
    }
}
