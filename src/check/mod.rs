//! Every check of SPEC §2 that needs no backend: names and references,
//! server shape, SSOT, policy, and the lints. Each pushes into the sink and
//! carries on.

pub(crate) mod lints;
mod names;
mod policy;
mod shape;
mod ssot;

use crate::diag::Sink;
use crate::ir::{Override, Plugin, Server, Unit, with_overrides};
use crate::target::Target;
use std::borrow::Cow;

pub fn check(unit: &Unit, sink: &mut Sink) {
    names::check(unit, sink);
    ssot::check(unit, sink);
    policy::check(unit, sink);
    for plugin in &unit.plugins {
        for server in &plugin.servers {
            shape::check_base(plugin, server, sink);
        }
        for view in views(plugin) {
            shape::check_effective(&view, sink);
            policy::check_server(unit, &view, sink);
            lints::check_server(plugin, &view, sink);
        }
        lints::check_plugin(plugin, sink);
    }
}

/// Every server as written, and as each target that overrides it sees it:
/// checking all of them checks every value once (the sink drops repeats).
fn views(plugin: &Plugin) -> Vec<Cow<'_, Server>> {
    let by_server = plugin.overrides_by_server(|_| true);
    let mut out = Vec::new();
    for server in &plugin.servers {
        out.push(Cow::Borrowed(server));
        let Some(overrides) = by_server.get(server.name.value.as_str()) else {
            continue;
        };
        let mut seen: Vec<Target> = Vec::new();
        for o in overrides {
            // One view per target (a second override of the same target
            // would only check the same view again).
            if seen.contains(&o.target.value) {
                continue;
            }
            seen.push(o.target.value);
            let same_target: Vec<&Override> = overrides
                .iter()
                .copied()
                .filter(|x| x.target.value == o.target.value)
                .collect();
            out.push(with_overrides(server, &same_target));
        }
    }
    out
}
