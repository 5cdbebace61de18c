//! `mcpc build`: compile, then write the files (or, with `--check`, show
//! how they differ from what is on disk).

use super::files::{Compare, OutDir, Temps, read_plain};
use super::targets::{self, TargetArg};
use super::{FAILED, Input, OK, UsageError};
use crate::backends::{Contents, Emit, Manifest, OutFile, Plan, Target};
use crate::{Compilation, TargetBuild, diag};
use clap::Args;
use std::fs;
use std::path::PathBuf;

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
    /// Write nothing when any target has an error or any file (the manifest included) cannot be written
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
    let out_dir = OutDir::new(&args.out)?;
    let temps = Temps::new(&out_dir);
    let compare = Compare::new(&out_dir);
    let mut compilation = Compilation::new(args.input.sources()?, args.input.levels()?);
    check_workspace(&compilation, &plan, &named, targets::is_all(&args.target))?;
    let front_failed = compilation.fails();
    let mut out = Outputs {
        dir: &out_dir,
        temps: &temps,
        compare: &compare,
        check: args.check,
        hold: args.strict,
        discard: front_failed,
        held: Vec::new(),
        done: Vec::new(),
        failed: Vec::new(),
        entries: Manifest::default(),
        diffs: Vec::new(),
        error: None,
    };
    // Each config file (and the manifest) goes to disk as it is made, or,
    // with `--check`, is compared with the one on disk as it is made.
    let spool: &dyn crate::backends::Spool = if args.check { &compare } else { &temps };
    compilation.build_each_spooled(&plan, spool, |b| out.take(b));
    let accepted = compilation.accepted();
    let (sources, diagnostics) = compilation.finish();
    let any_failed = front_failed || diag::count_errors(&diagnostics) > 0;
    let stop = front_failed || out.done.is_empty() || (args.strict && any_failed);
    let held = std::mem::take(&mut out.held);
    if stop {
        out.drop_files(held);
        args.input.report(&sources, &diagnostics);
        args.input.report_accepted(&sources, &accepted);
        return Ok(if any_failed { FAILED } else { OK });
    }
    for f in &held {
        out.entries.add(f);
    }
    out.entries.sort_by_path();
    let previous = previous_manifest(&out_dir);
    let (kept, stale) = split_previous(&previous, &out.done, &out.entries);
    let count = out.entries.entries().len() + 1;
    let code = if any_failed { FAILED } else { OK };
    // `--strict`'s files, then the manifest, are put (or dropped) before
    // the diagnostics are shown: a report blocked on a full pipe must not
    // keep temporary files that an interrupt is to remove (it is acted on
    // at a step of writing). Nothing is written after a failed write.
    if out.error.is_none() {
        let kept = kept_entries(&out_dir, &kept);
        // At scale as large as a config file.
        let mut manifest = crate::backends::Output::unhashed(Some(spool), MANIFEST);
        merged_manifest(std::mem::take(&mut out.entries), kept, &mut manifest);
        out.put_all_or_none(held, manifest.finish());
    } else {
        out.drop_files(held);
    }
    args.input.report(&sources, &diagnostics);
    args.input.report_accepted(&sources, &accepted);
    for target in &out.failed {
        eprintln!("{target}: not built (its errors are above); its earlier output is kept");
    }
    // A file or the manifest behind a link out of the directory, or not
    // written.
    if let Some(e) = out.error.take() {
        return Err(e);
    }
    if args.check {
        return Ok(out.drift(&args.input, &stale).max(code));
    }
    for path in &stale {
        match out_dir.inside(path) {
            Ok(real) => {
                let _ = fs::remove_file(real);
            }
            Err(_) => eprintln!(
                "{}: not removed (stale): a link leads it out of the output directory",
                diag::sanitize(&args.out.join(path).display().to_string())
            ),
        }
    }
    super::say(format_args!(
        "wrote {count} files to {}",
        args.out.display()
    ));
    Ok(code)
}

/// Where each target's files go as soon as it is built: written (or, with
/// `--check`, compared with what is on disk) and dropped, so that at scale
/// only one target's files are in memory at a time (a config file is on
/// disk already, spooled: it is put in place). `--strict` writes nothing
/// when any target fails, so it holds them until every target is built;
/// with front-end errors they are dropped unwritten.
struct Outputs<'a> {
    dir: &'a OutDir,
    temps: &'a Temps<'a>,
    compare: &'a Compare<'a>,
    check: bool,
    hold: bool,
    discard: bool,
    held: Vec<OutFile>,
    /// The targets built without an error, and those with one.
    done: Vec<Target>,
    failed: Vec<Target>,
    /// The manifest entry of every file put, or (`--strict`) to be put.
    entries: Manifest,
    /// `--check`: the unified diff of each file that would change.
    diffs: Vec<(String, String)>,
    /// The first write that failed (nothing is written after it).
    error: Option<UsageError>,
}

impl Outputs<'_> {
    fn take(&mut self, b: TargetBuild) {
        if b.failed {
            self.failed.push(b.target);
            self.drop_files(b.files);
            return;
        }
        self.done.push(b.target);
        if self.discard {
            self.drop_files(b.files);
            return;
        }
        if self.hold {
            self.held.extend(b.files);
        } else {
            self.put(b.files);
        }
    }

    fn put(&mut self, files: Vec<OutFile>) {
        for f in files {
            self.entries.add(&f);
            self.put_contents(&f.path, &f.contents);
        }
    }

    /// Puts `files` (those `--strict` held; none without it), then the
    /// manifest, or none of them when one cannot be put (a write failed,
    /// its directory cannot be made, a directory is in its place, a link
    /// makes it another file's): each is made ready beside its place first,
    /// then all are renamed into place. Only a rename failing after that
    /// (the file system gone read-only) can leave those before it put.
    fn put_all_or_none(&mut self, files: Vec<OutFile>, manifest: Contents) {
        let all: Vec<(&str, &Contents)> = files
            .iter()
            .map(|f| (f.path.as_str(), &f.contents))
            .chain([(MANIFEST, &manifest)])
            .collect();
        if self.check {
            for (path, contents) in all {
                self.put_contents(path, contents);
            }
            return;
        }
        let mut staged = Vec::with_capacity(all.len());
        for &(path, contents) in &all {
            let ready = match contents {
                Contents::Text(text) => self.dir.stage(path, text.as_bytes()),
                Contents::Spooled(s) => self.temps.check(s).map(|()| None),
            };
            match ready {
                Ok(begun) => staged.push(begun),
                Err(e) => {
                    self.error = Some(e);
                    staged
                        .into_iter()
                        .flatten()
                        .for_each(|b| self.dir.abandon(b));
                    all.into_iter().for_each(|(_, c)| self.drop_contents(c));
                    return;
                }
            }
        }
        for ((path, contents), begun) in all.into_iter().zip(staged) {
            match (contents, begun) {
                (Contents::Spooled(_), _) => self.put_contents(path, contents),
                (_, Some(begun)) if self.error.is_some() => self.dir.abandon(begun),
                (_, Some(begun)) => self.error = self.dir.commit(begun).err(),
                // It holds what it would be given.
                (Contents::Text(_), None) => {}
            }
        }
    }

    /// Writes (or, with `--check`, compares) `path` of `contents`; a
    /// spooled file is on disk already, to be put in place.
    fn put_contents(&mut self, path: &str, contents: &Contents) {
        match contents {
            Contents::Text(text) => self.put_one(path, text),
            Contents::Spooled(s) if self.check => self.compared(path, s),
            Contents::Spooled(s) if self.error.is_none() => {
                if let Err(e) = self.temps.put(s) {
                    self.error = Some(e);
                }
            }
            // Nothing is written after a failed write.
            Contents::Spooled(s) => self.temps.drop_file(s),
        }
    }

    /// Drops files unwritten (a spooled file is on disk: it is removed).
    fn drop_files(&self, files: Vec<OutFile>) {
        for f in files {
            self.drop_contents(&f.contents);
        }
    }

    /// Drops a file unwritten: a spooled one is removed (with `--check`
    /// compared, not written: nothing to remove).
    fn drop_contents(&self, contents: &Contents) {
        if let Contents::Spooled(s) = contents
            && !self.check
        {
            self.temps.drop_file(s);
        }
    }

    fn put_one(&mut self, path: &str, contents: &str) {
        if self.error.is_some() {
            return;
        }
        if !self.check {
            if let Err(e) = self.dir.write(path, contents.as_bytes()) {
                self.error = Some(e);
            }
            return;
        }
        let Some(full) = self.claimed(path) else {
            return;
        };
        let old = read_plain(&full);
        if old.as_deref() == Some(contents) {
            return;
        }
        self.diff(path, &old.unwrap_or_default(), contents);
    }

    /// `--check`: the spooled file `s` at `path`, compared as it was made.
    fn compared(&mut self, path: &str, s: &crate::backends::Spooled) {
        if self.error.is_some() || self.claimed(path).is_none() {
            return;
        }
        match self.compare.differs(path, s) {
            Ok(Some((old, new))) => self.diff(path, &old, &new),
            Ok(None) => {}
            Err(e) => self.error = Some(e),
        }
    }

    /// `--check`: the real path of `path`, taken for it as a build would
    /// take it ([`OutDir::claim`]); none, the error kept, when it leads out
    /// of the directory or to a file another path of the build leads to.
    fn claimed(&mut self, path: &str) -> Option<std::path::PathBuf> {
        let real = self
            .dir
            .inside(path)
            .and_then(|real| self.dir.claim(path, &real).map(|()| real));
        real.map_err(|e| self.error = Some(e)).ok()
    }

    /// `--check`: keeps the diff of `path` from `old` to `contents`.
    fn diff(&mut self, path: &str, old: &str, contents: &str) {
        let diff = similar::TextDiff::from_lines(old, contents);
        let text = format!(
            "{}",
            diff.unified_diff()
                .header(&format!("a/{path}"), &format!("b/{path}"))
        );
        self.diffs.push((path.to_owned(), text));
    }

    /// `--check`: prints the diff of every file that would change (in
    /// path order, the manifest last, then the stale files).
    fn drift(mut self, input: &Input, stale: &[String]) -> u8 {
        let manifest = self.diffs.pop_if(|(p, _)| p == MANIFEST);
        self.diffs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut changed = 0;
        for (_, diff) in self.diffs.iter().chain(&manifest) {
            changed += 1;
            input.print_diff(diff);
        }
        for path in stale {
            changed += 1;
            // Not read through a link out of the directory (its removal
            // is refused too).
            let old = self
                .dir
                .inside(path)
                .ok()
                .and_then(|real| read_plain(&real))
                .unwrap_or_default();
            let diff = similar::TextDiff::from_lines(old.as_str(), "");
            input.print_diff(&format!(
                "{}",
                diff.unified_diff()
                    .header(&format!("a/{path}"), "/dev/null")
            ));
        }
        if changed == 0 {
            eprintln!("up to date: {}", self.dir.named.display());
            OK
        } else {
            eprintln!(
                "{changed} file{} would change in {}",
                if changed == 1 { "" } else { "s" },
                self.dir.named.display()
            );
            FAILED
        }
    }
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

/// The previous build's manifest (none if absent, damaged, or reached
/// through a link out of the directory), as an index: each entry's target,
/// path and place in the file. At 100,000 servers its text is 26 MB, and
/// the whole manifest parsed was 140 MB; an entry is read whole again only
/// when it is kept ([`kept_entries`]).
fn previous_manifest(out: &OutDir) -> Vec<PreviousEntry> {
    previous_entries(&manifest_text(out))
}

/// The text of the manifest in `out` (empty if absent, or reached through
/// a link out of the directory).
fn manifest_text(out: &OutDir) -> String {
    out.inside(MANIFEST)
        .ok()
        .and_then(|path| read_plain(&path))
        .unwrap_or_default()
}

/// An entry of the previous build's manifest.
struct PreviousEntry {
    target: String,
    path: String,
    /// Where it is in the manifest's text.
    at: std::ops::Range<usize>,
}

/// The entries of the manifest `text` (none if it is damaged), each read
/// for its target and path only.
fn previous_entries(text: &str) -> Vec<PreviousEntry> {
    use serde::Deserialize;
    use serde_json::value::RawValue;
    #[derive(Deserialize)]
    struct Manifest<'t> {
        #[serde(borrow)]
        files: Vec<&'t RawValue>,
    }
    #[derive(Deserialize)]
    struct Entry<'t> {
        #[serde(borrow)]
        target: std::borrow::Cow<'t, str>,
        #[serde(borrow)]
        path: std::borrow::Cow<'t, str>,
    }
    // No manifest (a first build): no parse, whose error would be made
    // (its line found, and with it the CPU's features asked: a few
    // microseconds under a hypervisor) to be dropped.
    if text.is_empty() {
        return Vec::new();
    }
    let Ok(manifest) = serde_json::from_str::<Manifest>(text) else {
        return Vec::new();
    };
    manifest
        .files
        .into_iter()
        // An object (serde's structs would take an array too).
        .filter(|raw| raw.get().starts_with('{'))
        .filter_map(|raw| {
            let entry = serde_json::from_str::<Entry>(raw.get()).ok()?;
            // Its place, from where the parser found it in `text`.
            let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
            Some(PreviousEntry {
                target: entry.target.into_owned(),
                path: entry.path.into_owned(),
                at: start..start + raw.get().len(),
            })
        })
        .collect()
}

/// The previous entries `kept`, read again from the manifest in `out`,
/// each checked to be the entry it was (a manifest changed meanwhile keeps
/// none it no longer holds).
fn kept_entries(out: &OutDir, kept: &[&PreviousEntry]) -> Vec<serde_json::Value> {
    if kept.is_empty() {
        return Vec::new();
    }
    let text = manifest_text(out);
    kept.iter()
        .filter_map(|e| {
            let value: serde_json::Value = serde_json::from_str(text.get(e.at.clone())?).ok()?;
            (value["target"] == e.target.as_str() && value["path"] == e.path.as_str())
                .then_some(value)
        })
        .collect()
}

/// The previous build's entries split in two: those of targets this build
/// did not build (kept, files and manifest entries alike), and the paths of
/// the built targets' files this build no longer writes (stale).
/// `entries` are this build's, sorted by path.
fn split_previous<'p>(
    previous: &'p [PreviousEntry],
    built: &[Target],
    entries: &Manifest,
) -> (Vec<&'p PreviousEntry>, Vec<String>) {
    let mut kept = Vec::new();
    let mut stale = Vec::new();
    for entry in previous {
        let (path, target) = (entry.path.as_str(), entry.target.as_str());
        if path.split('/').any(|c| c == ".." || c.is_empty()) || path == MANIFEST {
            continue;
        }
        let rebuilt = Target::from_name(target).is_none_or(|t| built.contains(&t));
        if entries
            .entries()
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .is_ok()
        {
            continue;
        }
        if rebuilt {
            stale.push(path.to_owned());
        } else {
            kept.push(entry);
        }
    }
    (kept, stale)
}

/// The delivery manifest of these entries (sorted by path) plus the kept
/// entries of earlier builds of other targets, sorted by path.
fn merged_manifest(
    entries: Manifest,
    mut kept: Vec<serde_json::Value>,
    out: &mut crate::backends::Output,
) {
    kept.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    entries.write_with(&kept, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry is kept as the previous manifest held it; one the
    /// manifest no longer holds where it was (rewritten meanwhile) is not.
    #[test]
    fn kept_entries_are_read_again_and_checked() {
        let dir = std::env::temp_dir().join(format!("mcpc-previous-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let entry = |target: &str, path: &str| serde_json::json!({"target": target, "path": path, "sha256": "00", "plugins": [], "servers": ["s"]});
        let manifest = |files: Vec<serde_json::Value>| {
            crate::emit::json(&serde_json::json!({"version": 1, "files": files}))
        };
        let (a, b) = (
            entry("codex", "codex/c.toml"),
            entry("gemini", "gemini/s.json"),
        );
        fs::write(dir.join(MANIFEST), manifest(vec![a.clone(), b.clone()])).unwrap();
        let out = OutDir::new(&dir).unwrap();
        let previous = previous_manifest(&out);
        let paths: Vec<&str> = previous.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["codex/c.toml", "gemini/s.json"]);
        let all: Vec<&PreviousEntry> = previous.iter().collect();
        assert_eq!(kept_entries(&out, &all), vec![a.clone(), b.clone()]);
        // Rewritten: the second entry is no longer where it was.
        fs::write(
            dir.join(MANIFEST),
            manifest(vec![a.clone(), entry("amp", "x")]),
        )
        .unwrap();
        assert_eq!(kept_entries(&out, &all), vec![a]);
        // An entry that is not an object is no entry.
        let listed = serde_json::json!({"version": 1, "files": [["codex", "codex/c.toml"]]});
        fs::write(dir.join(MANIFEST), crate::emit::json(&listed)).unwrap();
        assert!(previous_manifest(&out).is_empty());
        // Damaged, or gone: nothing.
        fs::write(dir.join(MANIFEST), "{").unwrap();
        assert!(previous_manifest(&out).is_empty());
        assert_eq!(kept_entries(&out, &all), Vec::<serde_json::Value>::new());
        let _ = fs::remove_dir_all(&dir);
    }
}
