//! The lints of SPEC §2, one file each. A lint pushes a diagnostic with its
//! code; the sink applies its level (allow, warn, deny) in one place.

mod empty_plugin;
mod insecure_url;
mod missing_tool_filter;
mod non_portable_name;
pub(crate) mod plaintext_secret;
mod secret_in_args;
mod tool_name_too_long;
pub(crate) mod unpinned_package;

use crate::diag::Sink;
use crate::ir::{Plugin, Server};

pub(super) fn check_server(plugin: &Plugin, server: &Server, sink: &mut Sink) {
    plaintext_secret::check(server, sink);
    unpinned_package::check(server, sink);
    insecure_url::check(server, sink);
    secret_in_args::check(server, sink);
    non_portable_name::check(server, sink);
    tool_name_too_long::check(server, sink);
    missing_tool_filter::check(plugin, server, sink);
}

pub(super) fn check_plugin(plugin: &Plugin, sink: &mut Sink) {
    empty_plugin::check(plugin, sink);
}
