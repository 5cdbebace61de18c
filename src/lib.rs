//! mcpc: a compiler for MCP plugins.
//!
//! The pipeline: text → [`parse`] (syntax tree with spans) → [`ir::lower`]
//! (typed model; every problem into one [`diag::Sink`]) → [`check`] (names,
//! SSOT, policy, lints) → for each target, its backend (what it cannot
//! express, then the files). [`Compilation`] is the one entry point, used by
//! the CLI and the tests. The library never prints and never touches the file
//! system: the CLI does all IO.

// pest is built without `std` (so without its stack probe on every rule:
// `parse::depth` bounds the nesting first), and its derived parser then
// names `::alloc`.
extern crate alloc;

pub mod backends;
pub mod check;
pub mod cli;
pub mod deliver;
pub mod diag;
pub mod emit;
pub mod format;
pub mod ide;
pub mod import;
pub mod ir;
pub mod parse;
pub mod registry;
pub mod source;
pub mod target;

use backends::{OutFile, Plan};
use diag::{Diagnostic, LintLevels, Sink};
use source::{FileId, SourceMap};
use std::rc::Rc;

/// A compilation unit on its way through the pipeline.
pub struct Compilation {
    pub sources: SourceMap,
    pub unit: ir::Unit,
    sink: Sink,
    cli_levels: LintLevels,
}

impl Compilation {
    /// Parses, lowers and checks every file; `cli_levels` are the
    /// `--deny/--warn/--allow` flags, which win over the policy's levels.
    pub fn new(sources: SourceMap, cli_levels: LintLevels) -> Compilation {
        let (unit, sink) = lower_unit(&sources);
        Compilation::checked(sources, unit, sink, cli_levels)
    }

    /// Like [`Compilation::new`], from each file of `sources` already
    /// parsed and lowered (in the order of `sources`): a caller that keeps
    /// the [`LoweredFile`] of each file's text (the language server)
    /// re-parses only the files that changed. The unit-wide work — registry
    /// references, then the checks — is done here, as in `new`.
    pub fn from_files(
        sources: SourceMap,
        files: impl IntoIterator<Item = LoweredFile>,
        cli_levels: LintLevels,
    ) -> Compilation {
        let mut unit = ir::Unit::default();
        let mut sink = Sink::new();
        for file in files {
            unit.append(file.unit);
            sink.append(file.sink);
        }
        Compilation::checked(sources, unit, sink, cli_levels)
    }

    fn checked(
        sources: SourceMap,
        mut unit: ir::Unit,
        mut sink: Sink,
        cli_levels: LintLevels,
    ) -> Compilation {
        registry::lock::resolve(&mut unit, sources.lock(), &mut sink);
        let mut c = Compilation {
            sources,
            unit,
            sink,
            cli_levels,
        };
        // Every reader of the sink levels with `levels()`, fixed from here.
        c.sink.drop_allowed(&c.levels());
        check::check(&c.unit, &mut c.sink);
        c
    }

    /// Runs the backends of `plan`: they report what their runtime cannot
    /// express, and give their files. Backends run only on error-free IR, so
    /// with front-end errors this returns no files.
    pub fn build(&mut self, plan: &Plan) -> Vec<OutFile> {
        if self.sink.has_hard_errors() {
            return Vec::new();
        }
        let levels = self.levels();
        backends::build(&self.unit, plan, &levels, &mut self.sink)
    }

    /// Whether the diagnostics so far hold an error, levels applied.
    pub fn fails(&self) -> bool {
        self.sink.fails(&self.levels())
    }

    /// Runs each target's backend of `plan` for what it reports (what its
    /// runtime cannot express), as `mcpc check` does, keeping no file: the
    /// backends run in [`backends::Mode::Reports`], reporting what a build
    /// reports without rendering or serializing any file.
    pub fn check_targets(&mut self, plan: &Plan) {
        self.run_targets(plan, backends::Mode::Reports, drop);
    }

    /// Like [`Compilation::check_targets`], for the language server: what
    /// each target's backend reports about the plugins of each file, apart
    /// from the compilation's own diagnostics, reusing what `cache` holds
    /// for a file whose name, text and levels it saw (a keystroke runs the
    /// backends again only for the file it changed, and the editor converts
    /// again only that file's list). A plugin comes from its own block
    /// alone, and a backend reports server by server, against the plan,
    /// the command-line levels, the lock and the plugin's own `target`
    /// blocks (the only levels a backend reads are those scoped to the
    /// plugin's own span, `Cx::loss_accepted`); so a file's reports are a
    /// function of its id, name, text and the levels in force in it, and
    /// the cache holds them for one plan, command line and lock.
    ///
    /// Gives, per file in id order, that file's list: levels applied,
    /// sorted and deduplicated as [`Compilation::finish`] does, so that a
    /// file's diagnostics in `mcpc check` are its share of `finish` merged
    /// with its list, the former first where they sort alike. An unchanged
    /// file gets the very list (`Rc::ptr_eq`) it got last time. None of
    /// them is in [`Compilation::finish`], [`Compilation::fails`] or
    /// [`Compilation::accepted`]; with front-end errors every list is
    /// empty, as the backends do not run.
    pub fn check_targets_cached(
        &mut self,
        plan: &Plan,
        cache: &mut BackendReports,
    ) -> Vec<Rc<[Diagnostic]>> {
        let count = self.sources.files().count();
        if self.sink.has_hard_errors() {
            return vec![Rc::from([]); count];
        }
        let levels = self.levels();
        if plan.emit == backends::Emit::Package || plan.workspace.is_some() {
            // Packages and workspaces select across plugins: no cache.
            let front = std::mem::take(&mut self.sink);
            self.check_targets(plan);
            let reports = std::mem::replace(&mut self.sink, front);
            let mut by_file = vec![Vec::new(); count];
            for d in reports.finish(&levels) {
                by_file[d.primary.span.file.0 as usize].push(d);
            }
            let lists: Vec<Rc<[Diagnostic]>> = by_file.into_iter().map(Rc::from).collect();
            self.mask_secrets_in(&lists);
            return lists;
        }
        let (targets, explicit) = backends::plan_targets(&self.unit, plan);
        let context = format!("{plan:?} {:?} {:?}", self.cli_levels, self.sources.lock());
        if cache.context != context {
            cache.files.clear();
            cache.context = context;
        }
        let mut files = std::collections::BTreeMap::new();
        for (id, file) in self.sources.files() {
            let key = levels.key_for(id);
            let reports = match cache.files.remove(&id) {
                Some(r) if r.name == file.name && r.text == file.text && r.levels == key => r,
                _ => {
                    let mut sink = Sink::new();
                    for &target in &targets {
                        for p in self.unit.plugins.iter().filter(|p| p.span.file == id) {
                            sink.append(backends::config_reports(
                                p, plan, target, explicit, &levels,
                            ));
                        }
                    }
                    FileReports {
                        name: file.name.clone(),
                        text: file.text.clone(),
                        levels: key,
                        diagnostics: sink.finish(&levels).into(),
                    }
                }
            };
            files.insert(id, reports);
        }
        cache.files = files;
        let lists: Vec<Rc<[Diagnostic]>> = cache
            .files
            .values()
            .map(|r| r.diagnostics.clone())
            .collect();
        self.mask_secrets_in(&lists);
        lists
    }

    /// Masks in the sources the literal secrets `lists` point at, as
    /// [`Compilation::take_diagnostics`] does for the compilation's own.
    fn mask_secrets_in(&mut self, lists: &[Rc<[Diagnostic]>]) {
        for d in lists.iter().flat_map(|l| l.iter()) {
            if d.code == diag::Code::PlaintextSecret {
                self.sources.mask(d.primary.span);
            }
        }
    }

    /// Builds each target of `plan` on its own, so that one target's errors
    /// do not take the other targets' files: every target's diagnostics go
    /// to the sink, and each target says whether it failed.
    pub fn build_each(&mut self, plan: &Plan) -> Vec<TargetBuild> {
        let mut out = Vec::new();
        self.build_each_with(plan, |b| out.push(b));
        out
    }

    /// Like [`Compilation::build_each`], giving each target's build to
    /// `take` as soon as it and those before it are done (targets built
    /// side by side are given in order), so that a caller can write and
    /// drop its files before the later ones are: at scale the files are
    /// most of the memory. With `--emit package` the builds are given at
    /// the end, since the Agent Plugins files several targets share are
    /// decided once every target is built.
    pub fn build_each_with(&mut self, plan: &Plan, take: impl FnMut(TargetBuild)) {
        self.run_targets(plan, backends::Mode::Files(None), take);
    }

    /// Like [`Compilation::build_each_with`], writing each config file
    /// into `spool` as it is made (a package's files are held): such a
    /// file's [`OutFile::contents`] is [`backends::Contents::Spooled`], and
    /// the caller puts it in place, or drops it when its target failed.
    pub fn build_each_spooled(
        &mut self,
        plan: &Plan,
        spool: &dyn backends::Spool,
        take: impl FnMut(TargetBuild),
    ) {
        self.run_targets(plan, backends::Mode::Files(Some(spool)), take);
    }

    /// [`Compilation::build_each_with`] in `mode`: in
    /// [`backends::Mode::Reports`] each target's build holds no file (the
    /// Agent Plugins files are still decided, for what they report).
    fn run_targets(
        &mut self,
        plan: &Plan,
        mode: backends::Mode<'_>,
        mut take: impl FnMut(TargetBuild),
    ) {
        if self.sink.has_hard_errors() {
            return;
        }
        let hold = plan.emit == backends::Emit::Package;
        let levels = self.levels();
        let (targets, explicit) = backends::plan_targets(&self.unit, plan);
        let mut out = Vec::new();
        let run = backends::Run::new(&self.unit, plan, &levels, mode);
        run.each(&targets, |target, mut files, sink| {
            files.sort_by(|a, b| a.path.cmp(&b.path));
            let failed = sink.fails(&levels);
            self.sink.append(sink);
            let build = TargetBuild {
                target,
                files,
                failed,
            };
            if hold {
                out.push(build);
            } else {
                take(build);
            }
        });
        if !hold {
            return;
        }
        // Agent Plugins files serve every reader built without error; when
        // the user made their gaps errors, those readers fail with them.
        let targets: Vec<backends::Target> = out.iter().map(|b| b.target).collect();
        let failed: Vec<backends::Target> =
            out.iter().filter(|b| b.failed).map(|b| b.target).collect();
        let mut sink = Sink::new();
        let shared = backends::agent_plugins_files(
            &self.unit, plan, &targets, &failed, explicit, &levels, &mut sink,
        );
        let failed = sink.fails(&levels);
        self.sink.append(sink);
        for b in &mut out {
            b.failed |= failed && b.target.backend().reads_agent_plugins();
        }
        for f in shared {
            if let Some(b) = out.iter_mut().find(|b| b.target == f.target && !b.failed) {
                b.files.push(f);
                b.files.sort_by(|a, b| a.path.cmp(&b.path));
            }
        }
        for b in out {
            take(b);
        }
    }

    /// A `server.json` for each server of `plugins` (every plugin when
    /// empty), reporting what the format cannot carry; none with front-end
    /// errors.
    pub fn export_server_json(&mut self, plugins: &[String]) -> Vec<registry::export::Exported> {
        if self.sink.has_hard_errors() {
            return Vec::new();
        }
        registry::export::export(&self.unit, plugins, &mut self.sink)
    }

    /// The lint levels in force: registry defaults, then the policy, then
    /// the command line.
    pub fn levels(&self) -> LintLevels {
        let mut policy = LintLevels::default();
        if let Some(p) = self.unit.policy() {
            for (code, level) in &p.lints {
                policy.set(code.value, level.value);
            }
        }
        for plugin in &self.unit.plugins {
            for lints in &plugin.target_lints {
                for (code, level) in &lints.levels {
                    policy.set_scoped(diag::ScopedLevel {
                        target: lints.target.value,
                        within: plugin.span,
                        code: code.value,
                        level: level.value,
                        at: code.span,
                    });
                }
            }
        }
        policy.overridden_by(&self.cli_levels)
    }

    /// The diagnostics so far that a plugin's `target NAME { lints { … } }`
    /// silences — losses accepted on purpose — each with the entry that
    /// accepts it.
    pub fn accepted(&self) -> Vec<(Diagnostic, diag::ScopedLevel)> {
        self.sink.accepted(&self.levels())
    }

    /// Takes the diagnostics so far, levels applied, keeping the unit. The
    /// sources are masked from then on (see [`Compilation::finish`]).
    pub fn take_diagnostics(&mut self, levels: &LintLevels) -> Vec<Diagnostic> {
        for &span in self.sink.sensitive() {
            self.sources.mask(span);
        }
        std::mem::take(&mut self.sink).finish(levels)
    }

    /// Every diagnostic, levels applied, in source order; and the sources to
    /// render them against, with every literal secret masked (a report goes
    /// to terminals and CI logs, and a secret's value is never printed).
    pub fn finish(mut self) -> (SourceMap, Vec<Diagnostic>) {
        let levels = self.levels();
        let diagnostics = self.take_diagnostics(&levels);
        (self.sources, diagnostics)
    }
}

/// Parses and lowers every file of `sources`, nothing more: the unit as
/// written (registry references not resolved), and the problems so far.
pub fn lower_unit(sources: &SourceMap) -> (ir::Unit, Sink) {
    let mut sink = Sink::new();
    let mut unit = ir::Unit::default();
    for (id, file) in sources.files() {
        let file = LoweredFile::read(id, &file.text);
        unit.append(file.unit);
        sink.append(file.sink);
    }
    (unit, sink)
}

/// One file parsed and lowered on its own: its share of the unit, and the
/// problems found in it. A file with a syntax error contributes only that
/// error, as if it had not been parsed at all. Its spans name the file by
/// the id it was lowered as.
#[derive(Clone, Debug, Default)]
pub struct LoweredFile {
    unit: ir::Unit,
    sink: Sink,
    parsed: bool,
}

impl LoweredFile {
    /// Parses and lowers `text` as file `id`. Each block is lowered as soon
    /// as it is parsed, shown to `each` (the language server indexes it:
    /// one parse serves both), and its syntax tree dropped. On a syntax
    /// error the file gives nothing, so what `each` saw is to be dropped
    /// too (see [`LoweredFile::parsed`]).
    pub fn new(id: FileId, text: &str, mut each: impl FnMut(&parse::ast::Block)) -> LoweredFile {
        let mut sink = Sink::new();
        let mut unit = ir::Unit::default();
        let parsed = parse::parse_each(id, text, &mut sink, |block, sink| {
            ir::lower_block(&mut unit, &block, sink);
            each(&block);
        });
        match parsed {
            Ok(()) => LoweredFile {
                unit,
                sink,
                parsed: true,
            },
            Err(error) => {
                let mut sink = Sink::new();
                sink.push(*error);
                LoweredFile {
                    unit: ir::Unit::default(),
                    sink,
                    parsed: false,
                }
            }
        }
    }

    /// [`LoweredFile::new`] with nothing to show the blocks to: a large
    /// file's blocks are read and lowered in runs side by side, on as many
    /// threads as the machine has cores ([`workers`]), and put together in
    /// order, so it gives what `new` gives. A file the fast reader does not
    /// read whole (a syntax error, an escape to explain) is read by `new`.
    pub fn read(id: FileId, text: &str) -> LoweredFile {
        /// Below this, a thread costs more than it saves.
        const SIDE_BY_SIDE_FROM: usize = 64 * 1024;
        // How many cores there are is asked only of a large file.
        if text.len() >= SIDE_BY_SIDE_FROM {
            LoweredFile::read_on(workers(), id, text)
        } else {
            LoweredFile::new(id, text, |_| {})
        }
    }

    /// [`LoweredFile::read`] in `workers` runs.
    fn read_on(workers: usize, id: FileId, text: &str) -> LoweredFile {
        if workers < 2 {
            return LoweredFile::new(id, text, |_| {});
        }
        let runs = parse::runs(text, workers);
        let lowered = side_by_side(
            &runs,
            |run| {
                let (mut unit, mut sink) = (ir::Unit::default(), Sink::new());
                parse::read_run(id, text, run, |block| {
                    ir::lower_block(&mut unit, &block, &mut sink);
                })?;
                Some((unit, sink))
            },
            || {},
        );
        let Some(lowered) = lowered.into_iter().collect::<Option<Vec<_>>>() else {
            return LoweredFile::new(id, text, |_| {});
        };
        let mut file = LoweredFile {
            parsed: true,
            ..LoweredFile::default()
        };
        for (unit, sink) in lowered {
            file.unit.append(unit);
            file.sink.append(sink);
        }
        file
    }

    /// Whether the file parsed (no syntax error).
    pub fn parsed(&self) -> bool {
        self.parsed
    }
}

/// What each target's backend reported about the plugins of each file,
/// as of the file's text and levels: the cache of
/// [`Compilation::check_targets_cached`].
#[derive(Default)]
pub struct BackendReports {
    /// The plan, command-line levels and lock the reports hold for.
    context: String,
    files: std::collections::BTreeMap<FileId, FileReports>,
}

/// One file's reports, every target's, levels applied and sorted; with
/// what they were made from (`levels`: [`LintLevels::key_for`]).
struct FileReports {
    name: String,
    text: String,
    levels: String,
    diagnostics: Rc<[Diagnostic]>,
}

/// One target's share of [`Compilation::build_each`].
pub struct TargetBuild {
    pub target: backends::Target,
    pub files: Vec<OutFile>,
    /// The target reported an error (its files must not be written).
    pub failed: bool,
}

/// How many threads work side by side: as many as the machine has cores,
/// at most four (each holds its own share of memory, and the work gains
/// little past four). Asked of the system once (it reads the cgroup's
/// files each time).
pub(crate) fn workers() -> usize {
    static WORKERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *WORKERS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
}

/// `work` of each of `runs`, a thread each, with `meanwhile` done on this
/// thread; the results in the order of `runs`. A panic in a run is this
/// thread's, once `meanwhile` is done.
pub(crate) fn side_by_side<T: Sync, R: Send>(
    runs: &[T],
    work: impl Fn(&T) -> R + Sync,
    meanwhile: impl FnOnce(),
) -> Vec<R> {
    std::thread::scope(|scope| {
        let work = &work;
        let threads: Vec<_> = runs
            .iter()
            .map(|run| scope.spawn(move || work(run)))
            .collect();
        meanwhile();
        threads
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Compiles in one go: the diagnostics, and the files if there was no error.
pub fn compile(
    sources: SourceMap,
    cli_levels: LintLevels,
    plan: &Plan,
) -> (SourceMap, Vec<Diagnostic>, Option<Vec<OutFile>>) {
    let mut c = Compilation::new(sources, cli_levels);
    let files = c.build(plan);
    let (sources, diagnostics) = c.finish();
    let ok = diag::count_errors(&diagnostics) == 0;
    (sources, diagnostics, ok.then_some(files))
}

pub use target::Target;

#[cfg(test)]
mod tests {
    use super::LoweredFile;
    use crate::source::FileId;

    /// Every example's and golden case's source.
    fn sources() -> Vec<String> {
        let mut out = Vec::new();
        for dir in ["examples", "tests/golden/ok", "tests/golden/err"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for case in std::fs::read_dir(root).unwrap() {
                for file in std::fs::read_dir(case.unwrap().path()).unwrap() {
                    let file = file.unwrap().path();
                    if file.extension().is_some_and(|e| e == "mcpc") {
                        out.push(std::fs::read_to_string(file).unwrap());
                    }
                }
            }
        }
        out
    }

    /// Every example and golden case, again and again, to past `bytes`.
    fn repeated(valid: &[&String], bytes: usize) -> String {
        let mut whole = String::new();
        while whole.len() < bytes {
            for text in valid {
                whole.push_str(text);
                whole.push('\n');
            }
        }
        whole
    }

    /// The checks of a large unit, each plugin's in runs side by side,
    /// report what they report one after the other, in the same order:
    /// errors, warnings and lints (the literal secrets' spans among them,
    /// those of allowed lints too).
    #[test]
    fn a_unit_checked_in_runs_is_the_unit_checked_in_turn() {
        let id = FileId(0);
        let all = sources();
        let valid: Vec<&String> = all
            .iter()
            .filter(|text| LoweredFile::new(id, text, |_| {}).parsed())
            .collect();
        let file = LoweredFile::new(id, &repeated(&valid, 300 * 1024), |_| {});
        let servers = file.unit.server_count();
        assert!(servers > 1000, "{servers} servers");
        for allowed in [None, Some(crate::diag::Code::PlaintextSecret)] {
            let mut levels_set = crate::diag::LintLevels::default();
            if let Some(code) = allowed {
                levels_set.set(code, crate::diag::Level::Allow);
            }
            let checked = |workers| {
                let mut sink = file.sink.clone();
                sink.drop_allowed(&levels_set);
                crate::check::check_on(|| workers, &file.unit, &mut sink);
                let sensitive = format!("{:?}", sink.sensitive());
                format!("{sensitive} {:?}", sink.finish(&levels_set))
            };
            let in_turn = checked(1);
            assert!(
                in_turn.len() > 10_000,
                "{} bytes of diagnostics",
                in_turn.len()
            );
            for workers in [2, 3, 4] {
                assert!(
                    checked(workers) == in_turn,
                    "{workers} runs, {allowed:?} allowed"
                );
            }
        }
    }

    /// A large file read in runs side by side gives what reading it in
    /// turn gives: the same unit and the same diagnostics in the same
    /// order, and, where a run cannot be read fast (a syntax error, an
    /// escape to explain), the same error or explanation.
    #[test]
    fn a_file_read_in_runs_is_the_file_read_in_turn() {
        let id = FileId(0);
        let all = sources();
        let (valid, broken): (Vec<&String>, Vec<&String>) = all
            .iter()
            .partition(|text| LoweredFile::new(id, text, |_| {}).parsed());
        assert!(valid.len() > 20 && !broken.is_empty());
        let whole = repeated(&valid, 300 * 1024);
        let middle = whole[whole.len() / 2..].find("\nplugin ").unwrap() + whole.len() / 2;
        let with =
            |inserted: &str| format!("{}\n{inserted}\n{}", &whole[..middle], &whole[middle..]);
        let cases = [
            whole.clone(),
            with(broken[0]),
            with("plugin \"x\" {\n  description = \"a \\q\"\n}"),
        ];
        for text in &cases {
            let in_turn = LoweredFile::new(id, text, |_| {});
            let in_turn = format!("{:?}", (&in_turn.unit, &in_turn.sink, in_turn.parsed));
            for workers in [1, 2, 3, 4] {
                let read = LoweredFile::read_on(workers, id, text);
                let read = format!("{:?}", (&read.unit, &read.sink, read.parsed));
                assert!(read == in_turn, "{workers} runs of {} bytes", text.len());
            }
        }
    }
}
