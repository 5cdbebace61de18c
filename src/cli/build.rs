//! `mcpc build`: compile, then write the files (or, with `--check`, show
//! how they differ from what is on disk).

use super::files::write_atomic;
use super::targets::{self, TargetArg};
use super::{FAILED, Input, OK, UsageError};
use crate::backends::{Emit, OutFile, Plan, Target, delivery_manifest};
use crate::{Compilation, TargetBuild, diag};
use clap::Args;
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) const MANIFEST: &str = "mcpc-delivery.json";

#[derive(Args)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    input: Input,
    /// Targets: a name (`mcpc targets` lists them), a comma-separated list, repeated, or `all`
    #[arg(long, value_name = "T,…|all", value_parser = targets::parse, value_delimiter = ',')]
    target: Vec<TargetArg>,
    /// Output directory
    #[arg(long, value_name = "DIR", default_value = "mcpc-out")]
    out: PathBuf,
    /// Config files in a project layout, or one package directory per plugin
    #[arg(long, value_enum, default_value = "config")]
    emit: Emit,
    /// Build this workspace's plugins for its runtime
    #[arg(long, value_name = "NAME")]
    workspace: Option<String>,
    /// Value of `plugin.root` in config files
    #[arg(long, value_name = "PATH")]
    plugin_root: Option<String>,
    /// Write nothing; print a diff of what would change and exit 1 if anything would
    #[arg(long)]
    check: bool,
    /// With several targets, write nothing when any target has an error
    #[arg(long)]
    strict: bool,
}

pub(crate) fn run(args: BuildArgs) -> Result<u8, UsageError> {
    let named = targets::resolve(&args.target);
    if named.is_empty() && args.workspace.is_none() {
        return Err(UsageError(
            "`--target T|all` is required (or `--workspace NAME`)".into(),
        ));
    }
    let plan = Plan {
        // `all` stays the empty list: every target, none named on its own.
        targets: if targets::is_all(&args.target) {
            Vec::new()
        } else {
            named.clone()
        },
        emit: args.emit,
        workspace: args.workspace.clone(),
        plugin_root: args.plugin_root.clone(),
        user_scope: false,
    };
    let mut compilation = Compilation::new(args.input.sources()?, args.input.levels()?);
    check_workspace(&compilation, &plan, &named, targets::is_all(&args.target))?;
    let front_failed = compilation.fails();
    let built = compilation.build_each(&plan);
    let accepted = compilation.accepted();
    let (sources, diagnostics) = compilation.finish();
    args.input.report(&sources, &diagnostics);
    args.input.report_accepted(&sources, &accepted);
    let any_failed = front_failed || diag::count_errors(&diagnostics) > 0;
    let written: Vec<&TargetBuild> = built.iter().filter(|b| !b.failed).collect();
    if front_failed || written.is_empty() || (args.strict && any_failed) {
        return Ok(if any_failed { FAILED } else { OK });
    }
    for b in built.iter().filter(|b| b.failed) {
        eprintln!(
            "{}: not built (its errors are above); its earlier output is kept",
            b.target
        );
    }
    let done: Vec<Target> = written.iter().map(|b| b.target).collect();
    // Moved, not cloned: at scale the files are most of the memory.
    let mut files: Vec<OutFile> = built
        .into_iter()
        .filter(|b| !b.failed)
        .flat_map(|b| b.files)
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let previous = previous_manifest(&args.out);
    let (kept, stale) = split_previous(&previous, &done, &files);
    let manifest = merged_manifest(&files, kept);
    let mut outputs: Vec<(String, String)> =
        files.into_iter().map(|f| (f.path, f.contents)).collect();
    outputs.push((MANIFEST.to_owned(), manifest));
    let code = if any_failed { FAILED } else { OK };
    if args.check {
        return Ok(drift(&args.input, &args.out, &outputs, &stale).max(code));
    }
    for (path, contents) in &outputs {
        write_atomic(&args.out.join(path), contents.as_bytes())?;
    }
    for path in &stale {
        let _ = fs::remove_file(args.out.join(path));
    }
    eprintln!("wrote {} files to {}", outputs.len(), args.out.display());
    Ok(code)
}

/// A workspace named on the command line must exist, and agree with an
/// explicit `--target`.
fn check_workspace(
    c: &Compilation,
    plan: &Plan,
    named: &[Target],
    all: bool,
) -> Result<(), UsageError> {
    let Some(name) = &plan.workspace else {
        return Ok(());
    };
    match c.unit.workspace(name) {
        None if c.unit.workspaces.is_empty() => Err(UsageError(format!(
            "no workspace named `{name}`: the input declares none"
        ))),
        None => {
            let names: Vec<String> = c
                .unit
                .workspaces
                .iter()
                .map(|w| format!("`{}`", w.name))
                .collect();
            Err(UsageError(format!(
                "no workspace named `{name}`; the workspaces are {}",
                names.join(", ")
            )))
        }
        Some(w) => match &w.runtime {
            Some(runtime) if !all && !named.is_empty() && !named.contains(&runtime.value) => {
                let asked: Vec<&str> = named.iter().map(|t| t.name()).collect();
                Err(UsageError(format!(
                    "workspace `{name}` runs {}, not {}; drop `--target` or name its runtime",
                    runtime.value,
                    asked.join(", ")
                )))
            }
            _ => Ok(()),
        },
    }
}

/// The entries of the previous build's manifest (none if absent or damaged).
fn previous_manifest(out: &Path) -> Vec<serde_json::Value> {
    let Ok(text) = fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    let Ok(old) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    old["files"].as_array().cloned().unwrap_or_default()
}

/// The previous build's entries split in two: those of targets this build
/// did not build (kept, files and manifest entries alike), and the paths of
/// the built targets' files this build no longer writes (stale).
fn split_previous(
    previous: &[serde_json::Value],
    built: &[Target],
    files: &[OutFile],
) -> (Vec<serde_json::Value>, Vec<String>) {
    let mut kept = Vec::new();
    let mut stale = Vec::new();
    for entry in previous {
        let (Some(path), Some(target)) = (entry["path"].as_str(), entry["target"].as_str()) else {
            continue;
        };
        if path.split('/').any(|c| c == ".." || c.is_empty()) || path == MANIFEST {
            continue;
        }
        let rebuilt = Target::from_name(target).is_none_or(|t| built.contains(&t));
        if files.iter().any(|f| f.path == path) {
            continue;
        }
        if rebuilt {
            stale.push(path.to_owned());
        } else {
            kept.push(entry.clone());
        }
    }
    (kept, stale)
}

/// The delivery manifest of these files plus the kept entries of earlier
/// builds of other targets, sorted by path.
fn merged_manifest(files: &[OutFile], kept: Vec<serde_json::Value>) -> String {
    let fresh = delivery_manifest(files);
    if kept.is_empty() {
        return fresh;
    }
    let mut manifest: serde_json::Value =
        serde_json::from_str(&fresh).expect("the manifest is JSON");
    let entries = manifest["files"].as_array_mut().expect("files is a list");
    entries.extend(kept);
    entries.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    crate::emit::json(&manifest)
}

/// `--check`: a unified diff of every file that would change.
fn drift(input: &Input, out: &Path, outputs: &[(String, String)], stale: &[String]) -> u8 {
    let mut changed = 0;
    for (path, new) in outputs {
        let old = fs::read_to_string(out.join(path)).ok();
        if old.as_deref() == Some(new.as_str()) {
            continue;
        }
        changed += 1;
        let old = old.unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, new);
        input.print_diff(&format!(
            "{}",
            diff.unified_diff()
                .header(&format!("a/{path}"), &format!("b/{path}"))
        ));
    }
    for path in stale {
        changed += 1;
        let old = fs::read_to_string(out.join(path)).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(old.as_str(), "");
        input.print_diff(&format!(
            "{}",
            diff.unified_diff()
                .header(&format!("a/{path}"), "/dev/null")
        ));
    }
    if changed == 0 {
        eprintln!("up to date: {}", out.display());
        OK
    } else {
        eprintln!(
            "{changed} file{} would change in {}",
            if changed == 1 { "" } else { "s" },
            out.display()
        );
        FAILED
    }
}
