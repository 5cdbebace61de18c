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
    check_on(crate::workers, unit, sink);
}

/// Below this many servers, a thread costs more than it saves.
const SIDE_BY_SIDE_FROM: usize = 1000;

/// [`check`], each plugin's own checks in up to `workers()` runs of
/// plugins side by side (the unit-wide ones on this thread meanwhile),
/// reported in the order they would be one after the other. How many
/// cores there are is asked only of a large unit.
pub(crate) fn check_on(workers: impl FnOnce() -> usize, unit: &Unit, sink: &mut Sink) {
    let servers = unit.server_count();
    let workers = if servers < SIDE_BY_SIDE_FROM {
        1
    } else {
        workers()
    };
    if workers < 2 {
        unit_wide(unit, sink);
        unit.plugins
            .iter()
            .for_each(|p| check_plugin(unit, p, sink));
        return;
    }
    let runs = runs_of(&unit.plugins, servers.div_ceil(workers));
    let empty = sink.part();
    let parts = crate::side_by_side(
        &runs,
        |run| {
            let mut part = empty.part();
            run.iter().for_each(|p| check_plugin(unit, p, &mut part));
            part
        },
        || unit_wide(unit, sink),
    );
    parts.into_iter().for_each(|part| sink.append(part));
}

/// The checks across the unit: names, SSOT, policy.
fn unit_wide(unit: &Unit, sink: &mut Sink) {
    names::check(unit, sink);
    ssot::check(unit, sink);
    policy::check(unit, sink);
}

/// `plugins` in runs of about `servers` servers each, in order.
fn runs_of(plugins: &[Plugin], servers: usize) -> Vec<&[Plugin]> {
    let mut runs = Vec::new();
    let (mut start, mut count) = (0, 0);
    for (i, p) in plugins.iter().enumerate() {
        count += p.servers.len();
        if count >= servers {
            runs.push(&plugins[start..=i]);
            (start, count) = (i + 1, 0);
        }
    }
    if start < plugins.len() {
        runs.push(&plugins[start..]);
    }
    runs
}

/// A plugin's own checks: its servers' shape, policy and lints, as written
/// and as each target that overrides them sees them.
fn check_plugin(unit: &Unit, plugin: &Plugin, sink: &mut Sink) {
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
