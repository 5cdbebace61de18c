//! `mcpc apply`, `rollback` and `verify`: the runtime's real files.
//!
//! State lives in `.mcpc/<target>/` under the root (the project directory,
//! or the home directory in user scope): `ledger.json` (what mcpc owns) and
//! `backup/` (the files as they were before the last apply that changed
//! anything, for `rollback`).

use super::files::{self, Replaced, write_atomic, write_private};
use super::targets::{self, TargetArg};
use super::{FAILED, Input, OK, UsageError};
use crate::backends::{ManagedFile, Plan, ServerSpec, Target};
use crate::deliver::{self, Current, Ledger};
use crate::diag::Code;
use crate::{Compilation, diag};
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scope {
    User,
    Project,
}

// Where a target's files are: scope and root. (A comment, not a doc
// comment: a flattened struct's doc would become the about of each
// subcommand that flattens it, as their arguments are built last.)
#[derive(Args)]
pub(crate) struct Location {
    /// Targets: a name, a comma-separated list, repeated, or `all`
    #[arg(long, value_name = "T,…|all", value_parser = targets::parse, value_delimiter = ',', required = true)]
    target: Vec<TargetArg>,
    /// `project` (files in the project directory) or `user` (the runtime's files in your home)
    #[arg(long, value_enum, default_value = "project")]
    scope: Scope,
    /// The project directory (project scope, default: the current directory) or home (user scope, default: $HOME)
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

impl Location {
    fn root(&self) -> Result<PathBuf, UsageError> {
        let root = match (&self.root, self.scope) {
            (Some(r), _) => r.clone(),
            (None, Scope::Project) => PathBuf::from("."),
            (None, Scope::User) => std::env::var_os("HOME")
                .map(PathBuf::from)
                .ok_or_else(|| UsageError("`$HOME` is not set; pass `--root DIR`".into()))?,
        };
        if !root.is_dir() {
            return Err(UsageError(format!(
                "`{}` is not a directory",
                root.display()
            )));
        }
        fs::canonicalize(&root).map_err(|e| UsageError(format!("`{}`: {e}", root.display())))
    }

    /// The real path of a managed file.
    fn path_of(&self, target: Target, root: &Path, file: &ManagedFile) -> PathBuf {
        match self.scope {
            Scope::Project => root.join(file.project_path),
            Scope::User => {
                let env = |name: &str| std::env::var(name).ok();
                PathBuf::from(target.backend().user_location(
                    file.project_path,
                    &env,
                    &root.display().to_string(),
                ))
            }
        }
    }

    /// The real path a write to `path` lands on (links followed). In
    /// project scope it must stay inside the root: a link leading out of
    /// the project is refused, nothing is written.
    fn real(&self, root: &Path, path: &Path) -> Result<PathBuf, UsageError> {
        let real = files::real_path(path)?;
        if self.scope == Scope::Project && !real.starts_with(root) {
            return Err(UsageError::coded(
                Code::OutsideRoot,
                format!(
                    "`{}` leads to `{}`, outside the project `{}`; nothing written\n\
                     help: remove the link, or deliver to your own configuration with `--scope user`",
                    path.strip_prefix(root).unwrap_or(path).display(),
                    real.display(),
                    root.display()
                ),
            ));
        }
        Ok(real)
    }

    /// `.mcpc/` under the root, its real path.
    fn mcpc_dir(&self, root: &Path) -> Result<PathBuf, UsageError> {
        self.real(root, &root.join(".mcpc"))
    }

    /// `.mcpc/<target>/`, its real path.
    fn state_dir(&self, target: Target, root: &Path) -> Result<PathBuf, UsageError> {
        self.real(root, &root.join(".mcpc").join(target.name()))
    }

    /// The targets named, each once.
    fn targets(&self) -> Result<Vec<Target>, UsageError> {
        targets::required(&self.target)
    }
}

// Which plugins, and the value of `plugin.root` (not a doc comment: see
// `Location`).
#[derive(Args)]
pub(crate) struct Selection {
    /// Only this workspace's plugins
    #[arg(long, value_name = "NAME")]
    workspace: Option<String>,
    /// Value of `plugin.root`
    #[arg(long, value_name = "PATH")]
    plugin_root: Option<String>,
}

impl Selection {
    /// The plan of `apply` and `verify`: one target, config files.
    fn plan(&self, target: Target) -> Plan {
        Plan {
            targets: vec![target],
            workspace: self.workspace.clone(),
            plugin_root: self.plugin_root.clone(),
            ..Plan::default()
        }
    }
}

#[derive(Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    input: Input,
    #[command(flatten)]
    location: Location,
    #[command(flatten)]
    selection: Selection,
    /// Print the diff and write nothing
    #[arg(long)]
    dry_run: bool,
    /// The CI gate: write nothing, print the diff, and exit 1 if applying would change any file
    #[arg(long, conflicts_with = "dry_run")]
    check: bool,
    /// Overwrite managed entries edited by hand, and same-named entries mcpc did not write
    #[arg(long)]
    force: bool,
    /// How many backups of earlier applies to keep for `rollback` (the oldest go first)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP_BACKUPS,
          value_parser = clap::value_parser!(u32).range(1..))]
    keep_backups: u32,
}

/// Backups kept by default: `rollback --all` undoes up to this many applies.
const DEFAULT_KEEP_BACKUPS: u32 = 10;

/// The record `rollback` restores from.
#[derive(Serialize, Deserialize)]
struct Backup {
    files: Vec<BackupFile>,
    /// The ledger before the apply (`None`: there was none).
    ledger: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct BackupFile {
    path: String,
    /// `None`: the file did not exist.
    stored: Option<String>,
    /// sha256 of what apply wrote, to notice edits made since.
    written: String,
}

fn read_optional(path: &Path) -> Result<Option<String>, UsageError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| UsageError(format!("`{}` is not UTF-8", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UsageError(format!("cannot read `{}`: {e}", path.display()))),
    }
}

fn compile(
    input: &Input,
    plan: &Plan,
) -> Result<Option<(Compilation, Vec<crate::backends::OutFile>)>, UsageError> {
    let mut c = Compilation::new(input.sources()?, input.levels()?);
    let files = c.build(plan);
    // Report now; keep the unit for the caller.
    let levels = c.levels();
    let accepted = c.accepted();
    let diagnostics = c.take_diagnostics(&levels);
    input.report(&c.sources, &diagnostics);
    input.report_accepted(&c.sources, &accepted);
    if diag::count_errors(&diagnostics) > 0 {
        return Ok(None);
    }
    if let Some(name) = &plan.workspace {
        let workspace = c
            .unit
            .workspace(name)
            .ok_or_else(|| UsageError(format!("no workspace named `{name}`")))?;
        // Otherwise the workspace's own runtime would be built, and every
        // server mcpc manages for this target would look undeclared.
        if let (Some(runtime), [target]) = (&workspace.runtime, plan.targets.as_slice())
            && runtime.value != *target
        {
            return Err(UsageError(format!(
                "workspace `{name}` runs {}, not {target}",
                runtime.value
            )));
        }
    }
    Ok(Some((c, files)))
}

/// The ledger's version: 2 names files relative to the root (1 named
/// them by absolute path, and is still read).
const LEDGER_VERSION: u32 = 2;

/// Reads the ledger, its files named by their full paths as `plan_apply`
/// has them (`managed`). The file names them relative to the root, so two
/// clones and CI write the same bytes; an old ledger's absolute paths are
/// taken as relative to the root they end in. A name that is not a file
/// mcpc manages here (a cloned repository's state is not trusted) is
/// dropped.
fn load_ledger(
    state: &Path,
    root: &Path,
    managed: &[PathBuf],
) -> Result<(Option<String>, Ledger), UsageError> {
    let path = state.join("ledger.json");
    let Some(text) = read_optional(&path)? else {
        return Ok((None, Ledger::default()));
    };
    let stored: Ledger = serde_json::from_str(&text)
        .map_err(|e| UsageError(format!("`{}` is damaged: {e}", path.display())))?;
    let mut ledger = Ledger {
        files: Default::default(),
        ..stored.clone()
    };
    for (key, entry) in stored.files {
        let key_path = Path::new(&key);
        let found = managed.iter().find(|m| {
            if key_path.is_absolute() {
                *m == key_path
                    || m.strip_prefix(root)
                        .is_ok_and(|rel| key_path.ends_with(rel) && !rel.as_os_str().is_empty())
            } else {
                m.strip_prefix(root).is_ok_and(|rel| rel == key_path) || *m == key_path
            }
        });
        if let Some(m) = found {
            ledger.files.insert(m.display().to_string(), entry);
        }
    }
    Ok((Some(text), ledger))
}

/// The ledger as written: files relative to the root.
fn ledger_text(ledger: &Ledger, root: &Path) -> String {
    let portable = Ledger {
        version: LEDGER_VERSION,
        target: ledger.target.clone(),
        files: ledger
            .files
            .iter()
            .map(|(k, v)| {
                let rel = Path::new(k)
                    .strip_prefix(root)
                    .map_or_else(|_| k.clone(), |r| r.display().to_string());
                (rel, v.clone())
            })
            .collect(),
    };
    serde_json::to_string_pretty(&portable).expect("ledger serializes") + "\n"
}

/// What `.mcpc/.gitignore` says, written by the first apply: the ledgers
/// are shared (a clone's apply then knows what mcpc owns in the committed
/// runtime files); backups hold copies of private files and belong to one
/// machine, like the lock and temporary files.
const GITIGNORE: &str = "\
# Written by mcpc. Commit the ledgers (<target>/ledger.json): they say which
# entries of the runtime files mcpc owns. The rest belongs to this machine:
# backups hold copies of your files as they were (maybe with API keys).
lock
*/backup/
.*.mcpc-tmp.*
";

/// Writes `.mcpc/.gitignore` if there is none (a user's own is kept).
fn write_gitignore(mcpc_dir: &Path) -> Result<(), UsageError> {
    let path = mcpc_dir.join(".gitignore");
    if fs::symlink_metadata(&path).is_err() {
        write_private(&path, GITIGNORE.as_bytes())?;
    }
    Ok(())
}

/// Takes `.mcpc/lock` under the root for a command that writes, so two
/// applies (or an apply and a rollback) run one after the other.
fn take_lock(loc: &Location, root: &Path) -> Result<files::Lock, UsageError> {
    let dir = loc.mcpc_dir(root)?;
    write_gitignore(&dir)?;
    files::lock(&dir.join("lock"), || {
        eprintln!(
            "waiting for another mcpc apply or rollback in {} to finish",
            root.display()
        );
    })
}

pub(crate) fn apply(args: ApplyArgs) -> Result<u8, UsageError> {
    each_target(&args.location, |target| apply_one(&args, target))
}

/// Runs a command for every target named, one after the other (a heading
/// before each when there are several); the worst exit code wins.
fn each_target(
    loc: &Location,
    mut run: impl FnMut(Target) -> Result<u8, UsageError>,
) -> Result<u8, UsageError> {
    let targets = loc.targets()?;
    let mut worst = OK;
    for &target in &targets {
        if targets.len() > 1 {
            eprintln!("== {target}");
            // Among several targets, an app with a user file only is not an
            // error in project scope: there is nothing of it to deliver.
            let user_only = target
                .backend()
                .managed_files()
                .iter()
                .all(|f| f.user.user_only);
            if user_only && loc.scope == Scope::Project {
                eprintln!("skipped: {target} has a user file only (`--user` delivers it)");
                continue;
            }
        }
        worst = worst.max(run(target)?);
    }
    Ok(worst)
}

fn apply_one(args: &ApplyArgs, target: Target) -> Result<u8, UsageError> {
    let loc = &args.location;
    let root = loc.root()?;
    let plan = Plan {
        user_scope: loc.scope == Scope::User,
        ..args.selection.plan(target)
    };
    let Some((_, files)) = compile(&args.input, &plan)? else {
        return Ok(FAILED);
    };
    let desired = deliver::desired(target, &files)
        .map_err(|e| UsageError(format!("{}: {}", e.path, e.message)))?;
    let state = loc.state_dir(target, &root)?;
    let managed = target.backend().managed_files();
    // Each file's path as the runtime reads it, and where a write lands.
    let mut paths = Vec::new();
    for file in managed {
        if file.user.user_only && loc.scope == Scope::Project {
            return Err(UsageError(format!(
                "{target} reads `{}` in user scope only; pass `--user`",
                file.project_path
            )));
        }
        let path = loc.path_of(target, &root, file);
        let real = loc.real(&root, &path)?;
        paths.push((path, real));
    }
    let logical: Vec<PathBuf> = paths.iter().map(|(p, _)| p.clone()).collect();
    let read_all = || -> Result<_, UsageError> {
        let (old_ledger_text, ledger) = load_ledger(&state, &root, &logical)?;
        let mut currents = Vec::new();
        for (file, (path, real)) in managed.iter().zip(&paths) {
            currents.push(Current {
                file,
                text: read_optional(real)?,
                path: path.display().to_string(),
            });
        }
        Ok((old_ledger_text, ledger, currents))
    };
    let (mut old_ledger_text, mut ledger, mut currents) = read_all()?;
    let mut plan = deliver::plan_apply(target, &currents, &desired, &ledger, args.force)?;
    let writes = |plan: &deliver::ApplyPlan, old: &Option<String>| {
        !plan.edits.is_empty() || old.as_deref() != Some(ledger_text(&plan.ledger, &root).as_str())
    };
    // From here to the ledger, one apply or rollback at a time; planned
    // again under the lock, since another may have finished meanwhile. (A
    // first plan without it: a broken file creates no `.mcpc/`.)
    let _lock = if !(args.dry_run || args.check) && writes(&plan, &old_ledger_text) {
        let lock = take_lock(loc, &root)?;
        (old_ledger_text, ledger, currents) = read_all()?;
        plan = deliver::plan_apply(target, &currents, &desired, &ledger, args.force)?;
        Some(lock)
    } else {
        None
    };
    let real_of = |path: &str| -> PathBuf {
        paths
            .iter()
            .find(|(p, _)| p.display().to_string() == path)
            .map_or_else(|| PathBuf::from(path), |(_, r)| r.clone())
    };
    for line in &plan.actions {
        eprintln!("  {}", crate::diag::sanitize(line));
    }
    for line in &plan.conflicts {
        eprintln!("conflict: {}", crate::diag::sanitize(line));
    }
    if args.dry_run || args.check {
        for edit in &plan.edits {
            let old = edit.old.clone().unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&old, &edit.new);
            print!(
                "{}",
                diff.unified_diff()
                    .header(&format!("a{}", edit.path), &format!("b{}", edit.path))
            );
        }
        eprintln!(
            "{}: {} file{} would change for {target}",
            if args.check { "check" } else { "dry run" },
            plan.edits.len(),
            if plan.edits.len() == 1 { "" } else { "s" }
        );
        let changes = args.check && !plan.edits.is_empty();
        return Ok(if plan.conflicts.is_empty() && !changes {
            OK
        } else {
            FAILED
        });
    }
    let changed = |path: &str| {
        UsageError(format!(
            "`{path}` changed while mcpc was applying; it is left as it is, run apply again"
        ))
    };
    if !plan.edits.is_empty() {
        // Nothing is written if any file changed since it was read.
        for (edit, cur) in plan
            .edits
            .iter()
            .map(|e| (e, currents.iter().find(|c| c.path == e.path)))
        {
            let now = read_optional(&real_of(&edit.path))?;
            if cur.map(|c| &c.text) != Some(&now) {
                return Err(changed(&edit.path));
            }
        }
        save_backup(&state, &plan.edits, old_ledger_text.clone())?;
        prune_backups(&state, args.keep_backups as usize);
        for (i, edit) in plan.edits.iter().enumerate() {
            let real = real_of(&edit.path);
            if real != Path::new(&edit.path) {
                eprintln!("  {} is a link: writing {}", edit.path, real.display());
            }
            // Compared once more at the rename: an edit by another program
            // since it was read is never overwritten.
            let old = edit.old.as_deref().map(str::as_bytes);
            if files::replace_if_unchanged(&real, edit.new.as_bytes(), old)? == Replaced::Changed {
                let mut e = changed(&edit.path);
                if i > 0 {
                    e.0.push_str(&format!(
                        " ({i} other file{} written before it; `mcpc rollback` undoes them)",
                        if i == 1 { " was" } else { "s were" }
                    ));
                }
                return Err(e);
            }
        }
    }
    let ledger_text = ledger_text(&plan.ledger, &root);
    if old_ledger_text.as_deref() != Some(ledger_text.as_str()) {
        write_private(&state.join("ledger.json"), ledger_text.as_bytes())?;
    }
    eprintln!(
        "{}: {} file{} changed, {} conflict{}",
        if plan.conflicts.is_empty() {
            "applied"
        } else {
            "applied with conflicts"
        },
        plan.edits.len(),
        if plan.edits.len() == 1 { "" } else { "s" },
        plan.conflicts.len(),
        if plan.conflicts.len() == 1 { "" } else { "s" }
    );
    Ok(if plan.conflicts.is_empty() {
        OK
    } else {
        FAILED
    })
}

/// The numbered backups of earlier applies, oldest first.
fn backups(state: &Path) -> Vec<(u32, PathBuf)> {
    let mut out: Vec<(u32, PathBuf)> = fs::read_dir(state.join("backup"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        // A link (a cloned repository's) is not a backup mcpc made.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path())))
        .collect();
    out.sort();
    out
}

/// Keeps the newest `keep` backups; a directory without its record (an
/// apply killed while saving it) goes too.
fn prune_backups(state: &Path, keep: usize) {
    let all = backups(state);
    let complete: Vec<&(u32, PathBuf)> = all
        .iter()
        .filter(|(_, d)| d.join("backup.json").is_file())
        .collect();
    let old = complete.len().saturating_sub(keep);
    for (n, dir) in &all {
        let stale =
            complete[..old].iter().any(|(m, _)| m == n) || !complete.iter().any(|(m, _)| m == n);
        if stale {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// Pushes a backup of the files as they are before this apply.
fn save_backup(
    state: &Path,
    edits: &[deliver::Edit],
    ledger: Option<String>,
) -> Result<(), UsageError> {
    let n = backups(state).last().map_or(1, |(n, _)| n + 1);
    let dir = state.join("backup").join(n.to_string());
    let mut files = Vec::new();
    for (i, edit) in edits.iter().enumerate() {
        let stored = match &edit.old {
            Some(old) => {
                let name = format!("file-{i}");
                write_private(&dir.join(&name), old.as_bytes())?;
                Some(name)
            }
            None => None,
        };
        files.push(BackupFile {
            path: edit.path.clone(),
            stored,
            written: crate::emit::sha256_hex(edit.new.as_bytes()),
        });
    }
    let record =
        serde_json::to_string_pretty(&Backup { files, ledger }).expect("backup serializes") + "\n";
    // The record last: a backup without one is incomplete and ignored.
    write_private(&dir.join("backup.json"), record.as_bytes())
}

fn load_backup(dir: &Path) -> Result<Option<Backup>, UsageError> {
    match read_optional(&dir.join("backup.json"))? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            UsageError(format!(
                "the backup record `{}` is damaged: {e}",
                dir.display()
            ))
        }),
    }
}

#[derive(Args)]
pub(crate) struct RollbackArgs {
    #[command(flatten)]
    location: Location,
    /// Undo every apply, back to the files as they were before mcpc first changed them
    #[arg(long)]
    all: bool,
    /// Restore even files edited since the last apply
    #[arg(long)]
    force: bool,
}

pub(crate) fn rollback(args: RollbackArgs) -> Result<u8, UsageError> {
    each_target(&args.location, |target| rollback_one(&args, target))
}

fn rollback_one(args: &RollbackArgs, target: Target) -> Result<u8, UsageError> {
    let loc = &args.location;
    let root = loc.root()?;
    let state = loc.state_dir(target, &root)?;
    // The backup records come from the state directory, which a cloned
    // repository may ship: only the files this target manages in this scope
    // and root may be touched, and only from copies inside the backup.
    let mut managed = Vec::new();
    for f in target.backend().managed_files() {
        let path = loc.path_of(target, &root, f);
        let real = loc.real(&root, &path)?;
        managed.push((path.display().to_string(), real));
    }
    let names: Vec<String> = managed.iter().map(|(p, _)| p.clone()).collect();
    let _lock = take_lock(loc, &root)?;
    let mut stack = Vec::new();
    for (_, dir) in backups(&state) {
        if let Some(b) = load_backup(&dir)? {
            check_backup(&dir, &b, &names)?;
            stack.push((dir, b));
        }
    }
    if stack.is_empty() {
        eprintln!("nothing to roll back for {} in {}", target, root.display());
        return Ok(FAILED);
    }
    let real_of = |path: &str| -> PathBuf {
        managed
            .iter()
            .find(|(p, _)| p == path)
            .map_or_else(|| PathBuf::from(path), |(_, r)| r.clone())
    };
    // What each file should hold now: what the latest apply touching it wrote.
    let mut written: Vec<(String, String)> = Vec::new();
    for (_, b) in stack.iter().rev() {
        for f in &b.files {
            if !written.iter().any(|(p, _)| *p == f.path) {
                written.push((f.path.clone(), f.written.clone()));
            }
        }
    }
    // Newest first, so each file ends as the oldest undone backup has it.
    let undo: Vec<&(PathBuf, Backup)> = stack
        .iter()
        .rev()
        .take(if args.all { stack.len() } else { 1 })
        .collect();
    let relevant: Vec<&String> = undo
        .iter()
        .flat_map(|(_, b)| b.files.iter().map(|f| &f.path))
        .collect();
    let mut edited = Vec::new();
    for (path, sha) in written.iter().filter(|(p, _)| relevant.contains(&p)) {
        // A missing file matches nothing: apply always leaves a file behind.
        let now = read_optional(&real_of(path))?;
        if now.is_none_or(|t| crate::emit::sha256_hex(t.as_bytes()) != *sha) {
            edited.push(format!(
                "`{path}` was edited after the last apply; rolling back would lose that edit (use --force)"
            ));
        }
    }
    // Between two undone applies, too: what an apply found must be what the
    // apply before it wrote, or the file was edited in between, and going
    // back past the later apply would lose that edit.
    for pair in undo.windows(2) {
        let ((later_dir, later), (_, earlier)) = (pair[0], pair[1]);
        for f in &later.files {
            let Some(before) = earlier.files.iter().find(|e| e.path == f.path) else {
                continue;
            };
            let found = match &f.stored {
                Some(name) => fs::read(later_dir.join(name))
                    .ok()
                    .map(|b| crate::emit::sha256_hex(&b)),
                None => None,
            };
            if found.as_deref() != Some(before.written.as_str()) {
                edited.push(format!(
                    "`{}` was edited between two applies; rolling back past the later one would lose that edit (`mcpc rollback` without --all undoes the last apply only; --force loses the edit)",
                    f.path
                ));
            }
        }
    }
    if !edited.is_empty() && !args.force {
        for e in &edited {
            eprintln!("conflict: {}", crate::diag::sanitize(e));
        }
        eprintln!("nothing rolled back");
        return Ok(FAILED);
    }
    for (dir, backup) in &undo {
        restore(dir, backup, &real_of)?;
    }
    let oldest = undo.last().map(|(_, b)| b).expect("at least one backup");
    match &oldest.ledger {
        Some(ledger) => write_private(&state.join("ledger.json"), ledger.as_bytes())?,
        None => {
            let _ = fs::remove_file(state.join("ledger.json"));
        }
    }
    for (dir, _) in &undo {
        let _ = fs::remove_dir_all(dir);
    }
    eprintln!(
        "rolled back {} {}",
        undo.len(),
        if undo.len() == 1 { "apply" } else { "applies" }
    );
    Ok(OK)
}

/// Refuses a backup record that names a file this target does not manage
/// here, or a stored copy that is not a plain file name in its directory.
fn check_backup(dir: &Path, backup: &Backup, managed: &[String]) -> Result<(), UsageError> {
    let record = dir.join("backup.json");
    for f in &backup.files {
        if !managed.contains(&f.path) {
            return Err(UsageError(format!(
                "the backup record `{}` names `{}`, which is not a file mcpc manages here; nothing rolled back",
                record.display(),
                f.path
            )));
        }
        if let Some(name) = &f.stored {
            let plain = !name.is_empty()
                && name != "."
                && name != ".."
                && !name.contains(['/', '\\', '\0']);
            if !plain || fs::symlink_metadata(dir.join(name)).is_ok_and(|m| !m.is_file()) {
                return Err(UsageError(format!(
                    "the backup record `{}` stores `{}` as `{name}`, which is not a file of the backup; nothing rolled back",
                    record.display(),
                    f.path
                )));
            }
        }
    }
    Ok(())
}

/// Restores the files of one backup, each at its real path (through a
/// link inside the root, so the link stays a link).
fn restore(
    dir: &Path,
    backup: &Backup,
    real_of: &dyn Fn(&str) -> PathBuf,
) -> Result<(), UsageError> {
    for f in &backup.files {
        let real = real_of(&f.path);
        match &f.stored {
            Some(name) => {
                let bytes = fs::read(dir.join(name)).map_err(|e| {
                    UsageError(format!("the backup of `{}` is missing: {e}", f.path))
                })?;
                write_atomic(&real, &bytes)?;
                eprintln!("  restored {}", f.path);
            }
            None => {
                match fs::remove_file(&real) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(UsageError(format!("cannot remove `{}`: {e}", f.path))),
                }
                eprintln!("  removed {} (it did not exist before)", f.path);
            }
        }
    }
    Ok(())
}

#[derive(Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    input: Input,
    #[command(flatten)]
    location: Location,
    #[command(flatten)]
    selection: Selection,
    /// Append the result as one JSON line (the boot event) to this file
    #[arg(long, value_name = "FILE")]
    event: Option<PathBuf>,
    /// Also start each server as the runtime would, perform the MCP
    /// handshake and check that its allowed tools exist
    #[arg(long)]
    probe: bool,
    /// Time allowed for each server's handshake with --probe, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
}

pub(crate) fn verify(args: VerifyArgs) -> Result<u8, UsageError> {
    each_target(&args.location, |target| verify_one(&args, target))
}

fn verify_one(args: &VerifyArgs, target: Target) -> Result<u8, UsageError> {
    let loc = &args.location;
    let root = loc.root()?;
    let plan = Plan {
        user_scope: loc.scope == Scope::User,
        ..args.selection.plan(target)
    };
    let Some((c, _)) = compile(&args.input, &plan)? else {
        return Ok(FAILED);
    };
    let backend = target.backend();
    let mut plugins = Vec::new();
    let mut declared = Vec::new();
    let chosen = crate::backends::selected_plugins(&c.unit, &plan);
    for p in chosen.into_iter().filter(|p| p.builds_for(target)) {
        plugins.push(p.name.value.clone());
        for s in p.servers_for(target) {
            declared.push(backend.declared(p, &s, args.selection.plugin_root.as_deref()));
        }
    }
    // The runtime's files are read first by mcpc's own readers, which say
    // which line is broken and refuse hostile nesting with a code.
    for file in backend.managed_files() {
        if let Ok(text) = fs::read_to_string(loc.path_of(target, &root, file)) {
            deliver::parse(file.format, &text, file.project_path)?;
        }
    }
    let mut read_error = None;
    let lookup = |project_path: &str| {
        let file = backend
            .managed_files()
            .iter()
            .find(|f| f.project_path == project_path)?;
        fs::read_to_string(loc.path_of(target, &root, file)).ok()
    };
    let seen = match backend.read(&lookup) {
        Ok(seen) => seen,
        Err(e) if e.starts_with("no `") => Vec::new(),
        Err(e) => {
            read_error = Some(e);
            Vec::new()
        }
    };
    if let Some(e) = read_error {
        return Err(UsageError(format!(
            "cannot read {target}'s configuration: {e}"
        )));
    }
    // With --probe, each server as the runtime's file has it.
    let found: Vec<Option<&ServerSpec>> = declared
        .iter()
        .map(|d| seen.iter().find(|s| s.name == d.name))
        .collect();
    let probes: Vec<Option<super::probe::Probe>> = if args.probe {
        let specs: Vec<ServerSpec> = found.iter().flatten().map(|s| (*s).clone()).collect();
        let mut done =
            super::probe::probe_all(&specs, std::time::Duration::from_secs(args.timeout))
                .into_iter();
        found
            .iter()
            .map(|f| f.and_then(|_| done.next().flatten()))
            .collect()
    } else {
        declared.iter().map(|_| None).collect()
    };
    let mut results = Vec::new();
    for ((d, seen), probe) in declared.iter().zip(&found).zip(&probes) {
        let (status, fields) = match seen {
            None => ("missing", Vec::new()),
            Some(s) if *s == d => ("present", Vec::new()),
            Some(s) => ("drifted", drift(d, s)),
        };
        let detail = if fields.is_empty() {
            String::new()
        } else {
            format!(" (differs in {})", fields.join(", "))
        };
        let mut record = serde_json::json!({"name": d.name, "status": status, "fields": fields});
        let probed = match probe {
            Some(p) if p.ok() => format!("  probe ok, {} ms, {} tools", p.millis, p.tools.len()),
            Some(p) => format!("  probe failed: {}", p.error.as_deref().unwrap_or_default()),
            None => String::new(),
        };
        if let Some(p) = probe {
            record["probe"] = serde_json::json!({
                "ok": p.ok(), "startup_ms": p.millis, "tools": p.tools.len(), "error": p.error,
            });
        }
        println!("{status:<8} {}{detail}{probed}", d.name);
        results.push(record);
    }
    // Other runtimes' files this runtime reads too (project scope, when
    // something is delivered to it at all).
    let clashes = match loc.scope {
        Scope::Project if !plugins.is_empty() => {
            backend.clashes(&declared, &|p: &str| fs::read_to_string(root.join(p)).ok())
        }
        _ => Vec::new(),
    };
    for clash in &clashes {
        println!("clash    {clash}");
    }
    let ok = clashes.is_empty()
        && results
            .iter()
            .all(|r| r["status"] == "present" && r.get("probe").is_none_or(|p| p["ok"] == true));
    let probe_failures = results
        .iter()
        .filter(|r| r.get("probe").is_some_and(|p| p["ok"] == false))
        .count();
    eprintln!(
        "{}: {} of {} server{} present and as declared for {target}{}",
        if ok { "verified" } else { "not verified" },
        results.iter().filter(|r| r["status"] == "present").count(),
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        if args.probe {
            format!(
                ", {probe_failures} probe{} failed",
                if probe_failures == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        }
    );
    if let Some(path) = &args.event {
        let event = serde_json::json!({
            "time": now_rfc3339(),
            "event": "mcpc.verify",
            "target": target.name(),
            "scope": match loc.scope { Scope::User => "user", Scope::Project => "project" },
            "plugins": plugins,
            "ok": ok,
            "servers": results,
            "clashes": clashes,
        });
        let mut file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| UsageError(format!("cannot open `{}`: {e}", path.display())))?;
        writeln!(file, "{event}")
            .map_err(|e| UsageError(format!("cannot write `{}`: {e}", path.display())))?;
    }
    Ok(if ok { OK } else { FAILED })
}

/// The fields in which the runtime's entry differs from the declaration.
fn drift(want: &ServerSpec, got: &ServerSpec) -> Vec<&'static str> {
    let mut out = Vec::new();
    let checks: [(&'static str, bool); 11] = [
        ("transport", want.transport == got.transport),
        ("command", want.command == got.command),
        ("args", want.args == got.args),
        ("cwd", want.cwd == got.cwd),
        ("env", want.env == got.env),
        ("url", want.url == got.url),
        ("headers", want.headers == got.headers),
        ("tools", want.allow == got.allow && want.deny == got.deny),
        ("tool_timeout", want.tool_timeout_ms == got.tool_timeout_ms),
        (
            "startup_timeout",
            want.startup_timeout_ms == got.startup_timeout_ms,
        ),
        ("enabled", want.enabled == got.enabled),
    ];
    for (name, equal) in checks {
        if !equal {
            out.push(name);
        }
    }
    out
}

/// The current UTC time as `2026-11-24T05:12:30Z`.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
