//! `mcpc build`: compile, then write the files (or, with `--check`, show
//! how they differ from what is on disk).

use super::files::write_atomic;
use super::{FAILED, Input, OK, UsageError};
use crate::backends::{Emit, OutFile, Plan, Target, delivery_manifest};
use crate::{Compilation, diag};
use clap::Args;
use std::fs;
use std::path::{Path, PathBuf};

pub(crate) const MANIFEST: &str = "mcpc-delivery.json";

#[derive(Args)]
pub(crate) struct BuildArgs {
    #[command(flatten)]
    input: Input,
    /// A target (`claude-code`, `codex`, `hermes`, `gemini`) or `all`
    #[arg(long, value_name = "T|all", value_parser = parse_target)]
    target: Option<TargetArg>,
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
}

#[derive(Clone, Copy, Debug)]
enum TargetArg {
    All,
    One(Target),
}

fn parse_target(text: &str) -> Result<TargetArg, String> {
    if text == "all" {
        return Ok(TargetArg::All);
    }
    super::parse_target(text)
        .map(TargetArg::One)
        .map_err(|e| format!("{e}, or `all`"))
}

pub(crate) fn run(args: BuildArgs) -> Result<u8, UsageError> {
    let targets = match (args.target, &args.workspace) {
        (Some(TargetArg::All), _) => Vec::new(),
        (Some(TargetArg::One(t)), _) => vec![t],
        (None, Some(_)) => Vec::new(),
        (None, None) => {
            return Err(UsageError(
                "`--target T|all` is required (or `--workspace NAME`)".into(),
            ));
        }
    };
    let plan = Plan {
        targets,
        emit: args.emit,
        workspace: args.workspace.clone(),
        plugin_root: args.plugin_root.clone(),
    };
    let mut compilation = Compilation::new(args.input.sources()?, args.input.levels()?);
    check_workspace(&compilation, &plan, args.target)?;
    let files = compilation.build(&plan);
    let (sources, diagnostics) = compilation.finish();
    args.input.report(&sources, &diagnostics);
    if diag::count_errors(&diagnostics) > 0 {
        return Ok(FAILED);
    }
    let manifest = delivery_manifest(&files);
    let mut outputs: Vec<(String, String)> = files
        .into_iter()
        .map(|f: OutFile| (f.path, f.contents))
        .collect();
    outputs.push((MANIFEST.to_owned(), manifest));
    let stale = stale_files(&args.out, &outputs);
    if args.check {
        return Ok(drift(&args.input, &args.out, &outputs, &stale));
    }
    for (path, contents) in &outputs {
        write_atomic(&args.out.join(path), contents.as_bytes())?;
    }
    for path in &stale {
        let _ = fs::remove_file(args.out.join(path));
    }
    eprintln!("wrote {} files to {}", outputs.len(), args.out.display());
    Ok(OK)
}

/// A workspace named on the command line must exist, and agree with an
/// explicit `--target`.
fn check_workspace(
    c: &Compilation,
    plan: &Plan,
    target: Option<TargetArg>,
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
        Some(w) => match (target, &w.runtime) {
            (Some(TargetArg::One(t)), Some(runtime)) if t != runtime.value => {
                Err(UsageError(format!(
                    "workspace `{name}` runs {}, not {t}; drop `--target` or name its runtime",
                    runtime.value
                )))
            }
            _ => Ok(()),
        },
    }
}

/// Files the previous build wrote (per its manifest) that this one does not.
fn stale_files(out: &Path, outputs: &[(String, String)]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Manifest {
        files: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        path: String,
    }
    let Ok(text) = fs::read_to_string(out.join(MANIFEST)) else {
        return Vec::new();
    };
    let Ok(old) = serde_json::from_str::<Manifest>(&text) else {
        return Vec::new();
    };
    old.files
        .into_iter()
        .map(|e| e.path)
        .filter(|p| !p.split('/').any(|c| c == ".." || c.is_empty()))
        .filter(|p| outputs.iter().all(|(o, _)| o != p))
        .collect()
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
