//! `--target`: one name, a comma-separated list, repeated, or `all`, the
//! same on every command that takes it.

use super::UsageError;
use crate::backends::Target;

/// One `--target` value: a name or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetArg {
    All,
    One(Target),
}

/// clap's parser for one item of `--target` (lists are split on `,` first).
pub(crate) fn parse(text: &str) -> Result<TargetArg, String> {
    if text == "all" {
        return Ok(TargetArg::All);
    }
    super::parse_target(text)
        .map(TargetArg::One)
        .map_err(|e| format!("{e}, or `all`"))
}

/// The targets named, in the order of [`Target::ALL`], each once; `all`
/// anywhere means every target.
pub(crate) fn resolve(args: &[TargetArg]) -> Vec<Target> {
    if args.contains(&TargetArg::All) {
        return Target::ALL.to_vec();
    }
    Target::ALL
        .iter()
        .copied()
        .filter(|t| args.contains(&TargetArg::One(*t)))
        .collect()
}

/// Whether `all` was asked for (so no target is named on its own).
pub(crate) fn is_all(args: &[TargetArg]) -> bool {
    args.contains(&TargetArg::All)
}

/// The targets of a command that needs at least one.
pub(crate) fn required(args: &[TargetArg]) -> Result<Vec<Target>, UsageError> {
    match resolve(args) {
        targets if targets.is_empty() => Err(UsageError(
            "`--target T` is required: a target, a comma-separated list, or `all`".into(),
        )),
        targets => Ok(targets),
    }
}
