//! One module per runtime, behind one trait. The core never compares a
//! target's name: what a runtime can express lives in its module.

pub use crate::target::Target;

mod agent_plugins;
mod amp;
mod apps;
mod auggie;
mod claude_code;
mod codex;
mod copilot;
pub mod dialect;
mod droid;
mod gemini;
mod goose;
mod hermes;
mod lowering;
mod opencode;
mod qwen;
pub mod spec;
mod spool;

pub(crate) use agent_plugins::files as agent_plugins_files;
pub use lowering::{Cx, Fields, Spelling, Vars};
pub use spec::ServerSpec;
pub use spool::{Contents, Output, Spool, Spooled};

use crate::diag::{LintLevels, Sink};
use crate::ir::{Plugin, SecretForm, Server, Unit};

/// `--emit`: runtime config files in a project layout, or one installable
/// package directory per plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Emit {
    #[default]
    Config,
    Package,
}

/// What a backend pass is for: the files, or only what it reports.
///
/// A pass reports the same in either mode (the same code runs, in the
/// same order); in `Reports` it does not render values, keep entries or
/// serialize documents, and the files it gives are to be dropped (their
/// text is empty). `mcpc check` and the language server want only the
/// reports. `Files` may name a [`Spool`] that config files are written
/// into as they are made (`build`'s output directory).
#[derive(Clone, Copy)]
pub enum Mode<'s> {
    Files(Option<&'s dyn Spool>),
    Reports,
}

impl Mode<'_> {
    pub fn keeps_files(self) -> bool {
        matches!(self, Mode::Files(_))
    }
}

/// What to build.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The targets asked for; empty means every target.
    pub targets: Vec<Target>,
    pub emit: Emit,
    /// Build this workspace's plugins for its runtime.
    pub workspace: Option<String>,
    /// `--plugin-root`: the value of `plugin.root` in config mode.
    pub plugin_root: Option<String>,
    /// The files are for user scope (`apply --scope user`), where
    /// `project.root` has no meaning.
    pub user_scope: bool,
}

impl Plan {
    fn explicit(&self) -> bool {
        !self.targets.is_empty()
    }

    fn targets(&self) -> &[Target] {
        if self.targets.is_empty() {
            Target::ALL
        } else {
            &self.targets
        }
    }
}

/// One file of output: in memory, unless the caller gave a [`Spool`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutFile {
    pub target: Target,
    /// Relative to the output directory: `codex/.codex/config.toml`.
    pub path: String,
    pub contents: Contents,
    pub plugins: Names,
    pub servers: Names,
}

/// The names of the plugins or servers a file serves. Shared: every
/// target's config file of a build usually lists the same servers, and a
/// copy of every name per file was a tenth of a build at scale.
pub type Names = std::sync::Arc<[String]>;

/// The last list of names made, given again while the names are the same
/// (one per kind of name, for every target of a build).
#[derive(Default)]
struct SharedNames {
    last: Option<Names>,
    /// Whether no name is in the last list twice, once asked.
    distinct: Option<bool>,
}

impl SharedNames {
    /// `names`, as the list given last when that holds the same names.
    fn share<'n>(&mut self, names: impl Iterator<Item = &'n str> + Clone) -> Names {
        match &self.last {
            Some(last) if last.iter().map(String::as_str).eq(names.clone()) => last.clone(),
            _ => {
                self.distinct = None;
                self.last.insert(names.map(str::to_owned).collect()).clone()
            }
        }
    }

    /// Whether no name is given twice in the list [`share`] gave last.
    ///
    /// [`share`]: SharedNames::share
    fn distinct(&mut self) -> bool {
        let last = self.last.as_deref().unwrap_or_default();
        *self
            .distinct
            .get_or_insert_with(|| crate::emit::distinct(last.iter().map(String::as_str)))
    }
}

/// A [`SharedNames`] for each kind of name a file lists.
#[derive(Default)]
struct FileNames {
    plugins: SharedNames,
    servers: SharedNames,
}

/// A file as a backend writes it, relative to a project or package root.
pub struct NativeFile {
    pub path: &'static str,
    pub contents: Contents,
}

impl OutFile {
    /// The file's text: every file of a build given no [`Spool`] has it.
    pub fn text(&self) -> &str {
        self.contents
            .text()
            .expect("a file is spooled only into the caller's spool")
    }

    /// [`OutFile::text`], taken.
    pub fn into_text(self) -> String {
        match self.contents {
            Contents::Text(text) => text,
            Contents::Spooled(_) => panic!("a file is spooled only into the caller's spool"),
        }
    }
}

/// The servers of one plugin, as one target sees them.
pub struct PluginServers<'a> {
    pub plugin: &'a Plugin,
    pub servers: Vec<crate::ir::ServerView<'a>>,
}

/// What a runtime can express, for `mcpc targets`.
#[derive(Clone, Copy, Debug)]
pub struct Capabilities {
    pub config_file: &'static str,
    pub package: &'static str,
    /// Against which version of the real CLI the e2e tier proves it, or
    /// `documented` (built from the vendor's documentation and recorded
    /// runs, not yet proven here).
    pub proven: &'static str,
    pub rows: &'static [(&'static str, &'static str)],
}

/// A runtime's backend.
///
/// `config` and `package` are each one pass that both reports what the
/// runtime cannot express (against source spans) and builds the files, so
/// the check and the output can never disagree. Files are discarded when
/// the pass reported an error.
pub trait Backend {
    fn target(&self) -> Target;

    fn capabilities(&self) -> Capabilities;

    /// The rows of `mcpc targets`: each source feature and what it becomes.
    fn capability_rows(&self) -> Vec<(String, String)> {
        self.capabilities()
            .rows
            .iter()
            .map(|(f, l)| ((*f).to_owned(), (*l).to_owned()))
            .collect()
    }

    /// How a variable is written in this runtime's file, for the table of
    /// targets in README.md: by default the lowering of the first
    /// `env.…` row of `mcpc targets`.
    fn env_reference(&self) -> String {
        self.capability_rows()
            .into_iter()
            .find(|(feature, _)| feature.starts_with("env."))
            .map_or_else(
                || "none".to_owned(),
                |(_, l)| if l.contains('`') { l } else { format!("`{l}`") },
            )
    }

    /// The runtime's project config for these plugins' servers.
    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile>;

    /// This runtime's files of one plugin's package.
    fn package(&self, plugin: &PluginServers, cx: &mut Cx) -> Vec<NativeFile>;

    /// The index of a marketplace listing `plugins`, each packaged in
    /// `./<plugin>/` beside it (a path relative to the output directory),
    /// if the runtime installs packages from one.
    fn marketplace(&self, _plugins: &[&Plugin]) -> Option<NativeFile> {
        None
    }

    /// Reads the runtime's project config back into the neutral model;
    /// `file` gives the text of a file by its project-relative path.
    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String>;

    /// Applies the runtime's documented approximations (lossy lowerings) to
    /// a declared server, so it compares equal to what `read` gives back.
    fn approximate(&self, spec: &mut ServerSpec);

    /// What `server` of `plugin` (as this target sees it) declares, as
    /// this runtime's file will hold it: what `verify` and the round trip
    /// compare with `read`. A runtime that prompts for secrets (VS Code)
    /// writes them `${input:NAME}`.
    fn declared(&self, plugin: &Plugin, server: &Server, plugin_root: Option<&str>) -> ServerSpec {
        let prompted = self.prompts_for_secrets()
            && plugin.secrets_for(self.target()).map(|s| s.value) != Some(SecretForm::Env);
        let mut spec = ServerSpec::from_ir_as(server, plugin_root, prompted);
        self.approximate(&mut spec);
        spec.normalized()
    }

    /// Whether the runtime's file can prompt for a secret and keep it in
    /// the runtime's secret storage (an `Owned::Inputs` list).
    fn prompts_for_secrets(&self) -> bool {
        self.managed_files()
            .first()
            .is_some_and(|f| f.inputs_path().is_some())
    }

    /// The files `apply` merges into (by project path), and the parts of
    /// each that mcpc owns.
    fn managed_files(&self) -> &'static [ManagedFile];

    /// The runtime reads an Agent Plugins v1 package (`plugin.json` +
    /// `mcp.json`) in place of its own package files: `--emit package`
    /// then writes that pair only when it is complete (`agent_plugins`).
    fn reads_agent_plugins(&self) -> bool {
        false
    }

    /// The entry field that names a server's transport in this runtime's
    /// file, and the values the runtime knows; `import` warns of any other
    /// value (the reader falls back on `url` or `command`). `None`: the
    /// runtime has no such field.
    fn transport_field(&self) -> Option<(&'static str, Vec<&'static str>)> {
        None
    }

    /// Where a project file lives in user scope: `env` looks up the
    /// runtime's own variables (`CODEX_HOME`…), `home` is the user's home.
    fn user_location(
        &self,
        project_path: &str,
        env: &dyn Fn(&str) -> Option<String>,
        home: &str,
    ) -> String {
        self.user_location_on(Os::current(), project_path, env, home)
    }

    /// [`Backend::user_location`] on `os`: tests place the file for every
    /// OS from a faked environment.
    fn user_location_on(
        &self,
        os: Os,
        project_path: &str,
        env: &dyn Fn(&str) -> Option<String>,
        home: &str,
    ) -> String {
        let file = self
            .managed_files()
            .iter()
            .find(|f| f.project_path == project_path)
            .unwrap_or(&self.managed_files()[0]);
        file.user.resolve_on(os, env, home)
    }

    /// What this runtime sees in a project besides (or instead of) its
    /// own file, when other runtimes' files are there too (Copilot CLI
    /// and Qwen Code read `.mcp.json`): one line per server it would see
    /// twice, misread, or not see. `declared` is what mcpc wrote for it.
    fn clashes(
        &self,
        _declared: &[ServerSpec],
        _file: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        Vec::new()
    }
}

/// The syntax of a runtime's file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Strict JSON (comments accepted, as every JSON runtime here reads
    /// them; a trailing comma refused).
    Json,
    /// JSON with comments and trailing commas, as the runtime's reader
    /// accepts them (VS Code's `jsonc`, Zed's lenient settings reader).
    Jsonc,
    Toml,
    Yaml,
}

/// A part of a file that mcpc manages.
#[derive(Clone, Copy, Debug)]
pub enum Owned {
    /// A map of server name to entry, at this key path.
    Servers(&'static [&'static str]),
    /// A list of strings at this key path; mcpc owns the items it added.
    Items(&'static [&'static str]),
    /// A list of objects at this key path, each named by its `id` (VS
    /// Code's `inputs`); mcpc owns the ids it wrote, as it owns servers.
    Inputs(&'static [&'static str]),
}

impl ManagedFile {
    /// The key path of the file's prompted inputs, when it has them.
    pub fn inputs_path(&self) -> Option<&'static [&'static str]> {
        self.owned.iter().find_map(|o| match o {
            Owned::Inputs(p) => Some(*p),
            _ => None,
        })
    }
}

/// A file `apply` merges into.
#[derive(Clone, Copy, Debug)]
pub struct ManagedFile {
    pub project_path: &'static str,
    pub format: Format,
    pub owned: &'static [Owned],
    /// Where the same file lives in user scope.
    pub user: UserFile,
}

/// The operating system whose conventions place a user-scope file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

impl Os {
    /// The system mcpc runs on (the BSDs and others follow Linux).
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::Macos
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// A user-scope file: `$var/in_var` when the runtime's variable is set and
/// not empty, else `~/in_home` — on every OS, unless `macos`/`windows`
/// place it elsewhere there (editors and desktop apps keep their files in
/// the OS's application-data directory).
#[derive(Clone, Copy, Debug)]
pub struct UserFile {
    pub var: Option<&'static str>,
    pub in_var: &'static str,
    pub in_home: &'static str,
    pub macos: Option<Place>,
    pub windows: Option<Place>,
    /// A variable that, set to an absolute path, places the file at
    /// `$var/path` on every OS before anything else (Goose's
    /// `GOOSE_PATH_ROOT`).
    pub root: Option<(&'static str, &'static str)>,
    /// The app reads this file in user scope only: `apply` without
    /// `--user` refuses it.
    pub user_only: bool,
}

/// A file's place on one OS: `$var/in_var` when `var` is set and not
/// empty, else `~/in_home`.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    pub var: Option<&'static str>,
    pub in_var: &'static str,
    pub in_home: &'static str,
}

impl Place {
    fn resolve(&self, env: &dyn Fn(&str) -> Option<String>, home: &str, sep: char) -> String {
        let (dir, rest) = match self.var.and_then(env).filter(|v| !v.is_empty()) {
            Some(dir) => (dir, self.in_var),
            None => (home.to_owned(), self.in_home),
        };
        let dir = dir.trim_end_matches(['/', sep]);
        let rest = if sep == '/' {
            rest.to_owned()
        } else {
            rest.replace('/', &sep.to_string())
        };
        format!("{dir}{sep}{rest}")
    }
}

impl UserFile {
    /// A file at this path under the home directory, wherever it is.
    pub const fn home(path: &'static str) -> UserFile {
        UserFile::moved(None, path, path)
    }

    /// `$var/in_var`, else `~/in_home`.
    pub const fn moved_by(
        var: &'static str,
        in_var: &'static str,
        in_home: &'static str,
    ) -> UserFile {
        UserFile::moved(Some(var), in_var, in_home)
    }

    const fn moved(
        var: Option<&'static str>,
        in_var: &'static str,
        in_home: &'static str,
    ) -> UserFile {
        UserFile {
            var,
            in_var,
            in_home,
            macos: None,
            windows: None,
            root: None,
            user_only: false,
        }
    }

    /// `~/.codex/config.toml` (`$CODEX_HOME/config.toml`), for docs.
    pub fn describe(&self) -> String {
        let mut moved: Vec<String> = Vec::new();
        if let Some(var) = self.var {
            moved.push(format!("`${var}/{}`", self.in_var));
        }
        if let Some((var, path)) = self.root {
            moved.push(format!("`${var}/{path}`"));
        }
        if moved.is_empty() {
            format!("`~/{}`", self.in_home)
        } else {
            format!("`~/{}` ({})", self.in_home, moved.join("; "))
        }
    }

    /// An app's file in the OS's per-user configuration directory:
    /// `$XDG_CONFIG_HOME/linux` (else `~/.config/linux`),
    /// `~/Library/Application Support/macos`, `%APPDATA%\windows` (else
    /// `~\AppData\Roaming\windows`).
    pub const fn app_data(
        linux: &'static str,
        linux_home: &'static str,
        macos: &'static str,
        windows: &'static str,
        windows_home: &'static str,
    ) -> UserFile {
        UserFile {
            macos: Some(Place {
                var: None,
                in_var: macos,
                in_home: macos,
            }),
            windows: Some(Place {
                var: Some("APPDATA"),
                in_var: windows,
                in_home: windows_home,
            }),
            ..UserFile::moved_by("XDG_CONFIG_HOME", linux, linux_home)
        }
    }

    /// The same file, placed on macOS and Windows as given.
    pub const fn on(self, macos: Option<Place>, windows: Option<Place>) -> UserFile {
        UserFile {
            macos,
            windows,
            ..self
        }
    }

    /// The same file, at `$var/path` on every OS while `var` holds an
    /// absolute path.
    pub const fn rooted_by(self, var: &'static str, path: &'static str) -> UserFile {
        UserFile {
            root: Some((var, path)),
            ..self
        }
    }

    /// The same file, read in user scope only.
    pub const fn only_user(self) -> UserFile {
        UserFile {
            user_only: true,
            ..self
        }
    }

    /// Its path on this machine.
    pub fn resolve(&self, env: &dyn Fn(&str) -> Option<String>, home: &str) -> String {
        self.resolve_on(Os::current(), env, home)
    }

    /// Its path on `os`, with `env` and `home` as that machine has them.
    pub fn resolve_on(&self, os: Os, env: &dyn Fn(&str) -> Option<String>, home: &str) -> String {
        let linux = Place {
            var: self.var,
            in_var: self.in_var,
            in_home: self.in_home,
        };
        let (place, sep) = match os {
            Os::Linux => (linux, '/'),
            Os::Macos => (self.macos.unwrap_or(linux), '/'),
            Os::Windows => (self.windows.unwrap_or(linux), '\\'),
        };
        if let Some((var, path)) = self.root
            && let Some(dir) = env(var).filter(|d| is_absolute_on(os, d))
        {
            let rooted = Place {
                var: Some(var),
                in_var: path,
                in_home: path,
            };
            return rooted.resolve(&|_| Some(dir.clone()), home, sep);
        }
        place.resolve(env, home, sep)
    }
}
/// `/x` on Linux and macOS; `C:\x`, `C:/x` or `\\server\x` on Windows.
/// `/x` on Linux and macOS; `C:\\x`, `C:/x` or `\\\\server\\x` on Windows.
fn is_absolute_on(os: Os, path: &str) -> bool {
    match os {
        Os::Windows => {
            let b = path.as_bytes();
            path.starts_with("\\\\")
                || (b.len() > 2
                    && b[0].is_ascii_alphabetic()
                    && b[1] == b':'
                    && matches!(b[2], b'\\' | b'/'))
        }
        Os::Linux | Os::Macos => path.starts_with('/'),
    }
}

impl Target {
    pub fn backend(self) -> &'static dyn Backend {
        match self {
            Target::ClaudeCode => &claude_code::ClaudeCode,
            Target::Codex => &codex::Codex,
            Target::Hermes => &hermes::Hermes,
            Target::Gemini => &gemini::Gemini,
            Target::Opencode => &opencode::Opencode,
            Target::Qwen => &qwen::Qwen,
            Target::Copilot => &copilot::Copilot,
            Target::Droid => &droid::Droid,
            Target::Amp => &amp::Amp,
            Target::Auggie => &auggie::Auggie,
            Target::Cursor => &apps::Cursor,
            Target::Vscode => &apps::VsCode,
            Target::Windsurf => &apps::Windsurf,
            Target::Zed => &apps::Zed,
            Target::ClaudeDesktop => &apps::ClaudeDesktop,
            Target::Kiro => &apps::Kiro,
            Target::Antigravity => &apps::Antigravity,
            Target::Crush => &apps::Crush,
            Target::Goose => &goose::Goose,
        }
    }
}

/// The plugins a plan builds: its workspace's, or every plugin.
pub fn selected_plugins<'u>(unit: &'u Unit, plan: &Plan) -> Vec<&'u Plugin> {
    match plan.workspace.as_deref().and_then(|w| unit.workspace(w)) {
        Some(w) => {
            let mut by_name = foldhash::HashMap::default();
            for p in &unit.plugins {
                by_name.entry(p.name.value.as_str()).or_insert(p);
            }
            w.plugins
                .iter()
                .flat_map(|l| &l.value)
                .filter_map(|name| by_name.get(name.value.as_str()).copied())
                .collect()
        }
        None => unit.plugins.iter().collect(),
    }
}

/// The targets a plan builds, and whether they were asked for by name.
pub(crate) fn plan_targets(unit: &Unit, plan: &Plan) -> (Vec<Target>, bool) {
    let workspace = plan.workspace.as_deref().and_then(|w| unit.workspace(w));
    let targets: Vec<Target> = match workspace.and_then(|w| w.runtime.as_ref()) {
        Some(runtime) => vec![runtime.value],
        None => plan.targets().to_vec(),
    };
    (targets, plan.explicit() || workspace.is_some())
}

/// Runs the backends of a plan over the unit.
pub(crate) fn build(
    unit: &Unit,
    plan: &Plan,
    levels: &LintLevels,
    sink: &mut Sink,
) -> Vec<OutFile> {
    let (targets, explicit) = plan_targets(unit, plan);
    let run = Run::new(unit, plan, levels, Mode::Files(None));
    let mut out: Vec<OutFile> = Vec::new();
    run.each(&targets, |_, files, reported| {
        out.extend(files);
        sink.append(reported);
    });
    out.extend(agent_plugins_files(
        unit,
        plan,
        &targets,
        &[],
        explicit,
        levels,
        sink,
    ));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// One target's files of a plan (as `build` gives them, unsorted), at the
/// registry's lint levels: the scale benchmark times each backend through
/// this.
pub fn build_one(unit: &Unit, plan: &Plan, target: Target, sink: &mut Sink) -> Vec<OutFile> {
    let levels = LintLevels::default();
    Run::new(unit, plan, &levels, Mode::Files(None)).target(target, sink)
}

/// Where a config file of `target` goes in the output directory
/// (`native` is its place in a project).
pub(crate) fn config_path(target: Target, native: &str) -> String {
    format!("{}/{native}", target.name())
}

/// The targets of one build: what each target's build shares.
pub(crate) struct Run<'a> {
    unit: &'a Unit,
    plan: &'a Plan,
    explicit: bool,
    levels: &'a LintLevels,
    mode: Mode<'a>,
    /// Shared by the targets built at once (held only to look a list up).
    names: std::sync::Mutex<FileNames>,
}

impl<'a> Run<'a> {
    /// A build of `plan`'s targets (`plan_targets`) over `unit`.
    pub(crate) fn new(
        unit: &'a Unit,
        plan: &'a Plan,
        levels: &'a LintLevels,
        mode: Mode<'a>,
    ) -> Self {
        Run {
            unit,
            plan,
            explicit: plan_targets(unit, plan).1,
            levels,
            mode,
            names: Default::default(),
        }
    }

    /// Builds each of `targets`, giving `done` each one's files and what
    /// it reported, in the order of `targets`. They are built side by side,
    /// on as many threads as [`crate::workers`] says: each target's build
    /// is its own, and reads the unit only.
    pub(crate) fn each(&self, targets: &[Target], done: impl FnMut(Target, Vec<OutFile>, Sink)) {
        /// Below this many servers, a thread costs more than it saves.
        const SIDE_BY_SIDE_FROM: usize = 200;
        let servers = self.unit.server_count();
        let workers = if servers < SIDE_BY_SIDE_FROM {
            1
        } else {
            crate::workers()
        };
        self.each_on(workers, targets, done);
    }

    /// [`Run::each`] on `workers` threads (none of its own for one).
    fn each_on(
        &self,
        workers: usize,
        targets: &[Target],
        mut done: impl FnMut(Target, Vec<OutFile>, Sink),
    ) {
        let workers = workers.min(targets.len());
        let build = |target| {
            let mut sink = Sink::new();
            let files = self.target(target, &mut sink);
            (files, sink)
        };
        if workers <= 1 {
            for &target in targets {
                let (files, sink) = build(target);
                done(target, files, sink);
            }
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (built, arrived) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let (built, next, build) = (built.clone(), &next, &build);
                scope.spawn(move || {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&target) = targets.get(i) else {
                            break;
                        };
                        if built.send((i, build(target))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(built);
            // Given on in order: a target built early waits for those before.
            let mut waiting = std::collections::BTreeMap::new();
            let mut due = 0;
            for (i, target_build) in arrived {
                waiting.insert(i, target_build);
                while let Some((files, sink)) = waiting.remove(&due) {
                    done(targets[due], files, sink);
                    due += 1;
                }
            }
        });
    }

    /// One target's files (none in [`Mode::Reports`]).
    pub(crate) fn target(&self, target: Target, outer: &mut Sink) -> Vec<OutFile> {
        // What this target reports can be fixed by leaving it out.
        let mut local = Sink::new();
        let out = self.target_into(target, &mut local);
        local.offer_leave_out(target);
        outer.append(local);
        out
    }

    fn target_into(&self, target: Target, sink: &mut Sink) -> Vec<OutFile> {
        let Run {
            unit,
            plan,
            explicit,
            levels,
            mode,
            ..
        } = *self;
        let names = || {
            self.names
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let chosen = selected_plugins(unit, plan);
        let keep = mode.keeps_files();
        let mut out = Vec::new();
        let backend = target.backend();
        if !backend.prompts_for_secrets() {
            refuse_prompted_secrets(&chosen, target, sink);
        }
        let plugins: Vec<PluginServers> = chosen
            .iter()
            .filter(|p| p.builds_for(target))
            .map(|p| PluginServers {
                plugin: p,
                servers: p.servers_for(target),
            })
            .collect();
        match plan.emit {
            Emit::Config => {
                if plugins.is_empty() {
                    return out;
                }
                let mut cx = Cx::new(target, plan, explicit, levels, sink, mode);
                // Every config file lists every server given to the backend.
                let servers = keep.then(|| {
                    let mut names = names();
                    let servers = names.servers.share(
                        plugins
                            .iter()
                            .flat_map(|p| p.servers.iter().map(|s| s.name.value.as_str())),
                    );
                    cx.distinct = Some(names.servers.distinct());
                    servers
                });
                let files = backend.config(&plugins, &mut cx);
                let Some(servers) = servers else {
                    return out;
                };
                for file in files {
                    out.push(OutFile {
                        target,
                        path: config_path(target, file.path),
                        contents: file.contents,
                        plugins: names()
                            .plugins
                            .share(plugins.iter().map(|p| p.plugin.name.value.as_str())),
                        servers: servers.clone(),
                    });
                }
            }
            Emit::Package => {
                let mut packaged: Vec<&Plugin> = Vec::new();
                // A package's files are small, and the Agent Plugins pair is
                // decided once every target is built: all are held.
                let mode = if keep { Mode::Files(None) } else { mode };
                for p in &plugins {
                    let mut cx = Cx::new(target, plan, explicit, levels, sink, mode);
                    let files = backend.package(p, &mut cx);
                    if !files.is_empty() {
                        packaged.push(p.plugin);
                    }
                    for file in files.into_iter().filter(|_| keep) {
                        let mut names = names();
                        out.push(OutFile {
                            target,
                            path: format!("{}/{}", p.plugin.name.value, file.path),
                            contents: file.contents,
                            plugins: names
                                .plugins
                                .share([p.plugin.name.value.as_str()].into_iter()),
                            servers: names
                                .servers
                                .share(p.servers.iter().map(|s| s.name.value.as_str())),
                        });
                    }
                }
                // One index for every plugin packaged: the output directory is
                // a marketplace the runtime adds as it is (it reports nothing).
                if !keep {
                    return out;
                }
                if let Some(file) = backend.marketplace(&packaged) {
                    let mut names = names();
                    out.push(OutFile {
                        target,
                        path: file.path.to_owned(),
                        contents: file.contents,
                        plugins: names
                            .plugins
                            .share(packaged.iter().map(|p| p.name.value.as_str())),
                        servers: names.servers.share(
                            plugins
                                .iter()
                                .filter(|p| packaged.iter().any(|k| std::ptr::eq(*k, p.plugin)))
                                .flat_map(|p| p.servers.iter().map(|s| s.name.value.as_str())),
                        ),
                    });
                }
            }
        }
        out
    }
}

/// What `target`'s backend reports about `plugin` alone in config mode,
/// keeping no file: `Run::target` reports the same of each plugin when it
/// builds them together, since every backend reports server by server
/// (and `refuse_prompted_secrets` plugin by plugin). The language server
/// keeps these per file and runs the backends again only for the files
/// whose text changed (`BackendReports` in `src/lib.rs`).
pub(crate) fn config_reports(
    plugin: &Plugin,
    plan: &Plan,
    target: Target,
    explicit: bool,
    levels: &LintLevels,
) -> Sink {
    debug_assert!(plan.emit == Emit::Config && plan.workspace.is_none());
    let mut sink = Sink::new();
    let backend = target.backend();
    if !backend.prompts_for_secrets() {
        refuse_prompted_secrets(&[plugin], target, &mut sink);
    }
    if plugin.builds_for(target) {
        let plugins = [PluginServers {
            plugin,
            servers: plugin.servers_for(target),
        }];
        let mut cx = Cx::new(target, plan, explicit, levels, &mut sink, Mode::Reports);
        drop(backend.config(&plugins, &mut cx));
    }
    sink.offer_leave_out(target);
    sink
}

/// A marketplace's name: the plugin's, when it lists one; else
/// `mcpc-plugins`.
pub(crate) fn marketplace_name(plugins: &[&Plugin]) -> String {
    match plugins {
        [one] => one.name.value.clone(),
        _ => "mcpc-plugins".to_owned(),
    }
}

/// `target T { secrets = input }` where T has no prompt for secrets:
/// `unsupported-feature` at the setting.
fn refuse_prompted_secrets(plugins: &[&Plugin], target: Target, sink: &mut Sink) {
    let prompting: Vec<String> = Target::ALL
        .iter()
        .filter(|t| t.backend().prompts_for_secrets())
        .map(|t| format!("`{t}`"))
        .collect();
    for p in plugins.iter().filter(|p| p.builds_for(target)) {
        let Some(s) = p.secrets_for(target) else {
            continue;
        };
        if s.value == SecretForm::Input {
            let mut d = crate::diag::Diagnostic::new(
                crate::diag::Code::UnsupportedFeature,
                s.span,
                format!(
                    "{target} cannot express `secrets = input` (it has no prompt for secrets; plugin `{}`)",
                    p.name
                ),
            )
            .with_label(format!("not expressible for {target}"))
            .with_help(format!(
                "remove it: {target} takes secrets from the environment; only {} can prompt for them",
                prompting.join(", ")
            ));
            d.target = Some(target);
            sink.push(d);
        }
    }
}

/// `mcpc-delivery.json`: for each file its target, path, sha256, plugins
/// and servers.
pub fn delivery_manifest(files: &[OutFile]) -> String {
    let mut manifest = Manifest::default();
    for file in files {
        manifest.add(file);
    }
    manifest.text()
}

/// The delivery manifest's entries, added one file at a time while the
/// file is at hand (its contents can be dropped before the manifest is
/// written). Each plugin's and server's name is held once, and an entry
/// lists indices into those names: every target's file lists every server,
/// so copies per entry were most of the manifest's memory at scale.
#[derive(Debug, Default)]
pub struct Manifest {
    names: Vec<std::rc::Rc<str>>,
    index: foldhash::HashMap<std::rc::Rc<str>, u32>,
    entries: Vec<ManifestEntry>,
    /// The last list of names of each kind looked up, and its indices: the
    /// files of a build share their lists ([`Names`]).
    last: [Option<(Names, Ids)>; 2],
}

/// Indices into a [`Manifest`]'s names.
type Ids = std::rc::Rc<[u32]>;

/// One file's entry of the [`Manifest`].
#[derive(Debug)]
pub struct ManifestEntry {
    pub target: Target,
    pub path: String,
    sha256: String,
    plugins: Ids,
    servers: Ids,
}

impl Manifest {
    /// Adds the entry of `file`, after those added before.
    pub fn add(&mut self, file: &OutFile) {
        let entry = ManifestEntry {
            target: file.target,
            path: file.path.clone(),
            sha256: file.contents.sha256_hex(),
            plugins: self.ids(0, &file.plugins),
            servers: self.ids(1, &file.servers),
        };
        self.entries.push(entry);
    }

    /// The indices of `names`, the last list of their `kind` looked up
    /// again when it is the same list.
    fn ids(&mut self, kind: usize, names: &Names) -> Ids {
        if let Some((last, ids)) = &self.last[kind]
            && std::sync::Arc::ptr_eq(last, names)
        {
            return ids.clone();
        }
        let ids: Ids = names.iter().map(|n| self.name(n)).collect();
        self.last[kind] = Some((names.clone(), ids.clone()));
        ids
    }

    fn name(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        let shared: std::rc::Rc<str> = name.into();
        self.names.push(shared.clone());
        self.index.insert(shared, i);
        i
    }

    /// The entries, in the order added or sorted.
    pub fn entries(&self) -> &[ManifestEntry] {
        &self.entries
    }

    /// Sorts the entries by path (the order of the manifest mcpc writes).
    pub fn sort_by_path(&mut self) {
        self.entries.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// The manifest, `{"version": 1, "files": [...]}` with the entries in
    /// their order, as `emit::json` writes it.
    pub fn text(&self) -> String {
        self.text_with(&[])
    }

    /// [`Manifest::text`] with `more` entries (JSON objects sorted by
    /// their `path`) put among the entries, which are sorted by path, where
    /// their paths sort (after an entry of the same path): the manifest
    /// that `emit::json` writes of all of them sorted by path.
    pub fn text_with(&self, more: &[serde_json::Value]) -> String {
        let mut out = Output::new(None, "");
        self.write_with(more, &mut out);
        match out.finish() {
            Contents::Text(text) => text,
            Contents::Spooled(_) => unreachable!("an Output without a spool holds its text"),
        }
    }

    /// [`Manifest::text_with`], written into `out` as it is serialized (at
    /// scale the manifest is as large as a config file): this build's
    /// entries and `more`, each list in path order, merged by path.
    pub fn write_with(&self, more: &[serde_json::Value], out: &mut Output) {
        use serde::ser::{Serialize, SerializeSeq, Serializer};
        #[derive(serde::Serialize)]
        struct Entry<'a> {
            target: &'a str,
            path: &'a str,
            sha256: &'a str,
            plugins: NameList<'a>,
            servers: NameList<'a>,
        }
        struct NameList<'a>(&'a [u32], &'a [std::rc::Rc<str>]);
        impl Serialize for NameList<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|&i| &*self.1[i as usize]))
            }
        }
        struct Files<'a>(&'a Manifest, &'a [serde_json::Value]);
        impl Serialize for Files<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Files(manifest, more) = self;
                let mut seq = s.serialize_seq(Some(manifest.entries.len() + more.len()))?;
                let mut more = more.iter().peekable();
                for e in &manifest.entries {
                    let before =
                        |v: &&serde_json::Value| v["path"].as_str() < Some(e.path.as_str());
                    while let Some(value) = more.next_if(before) {
                        seq.serialize_element(value)?;
                    }
                    seq.serialize_element(&Entry {
                        target: e.target.name(),
                        path: &e.path,
                        sha256: &e.sha256,
                        plugins: NameList(&e.plugins, &manifest.names),
                        servers: NameList(&e.servers, &manifest.names),
                    })?;
                }
                more.try_for_each(|value| seq.serialize_element(value))?;
                seq.end()
            }
        }
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            version: u32,
            files: Files<'a>,
        }
        crate::emit::json_to(
            &Doc {
                version: 1,
                files: Files(self, more),
            },
            out,
        );
    }
}

#[cfg(test)]
mod manifest_tests {
    use super::{Manifest, OutFile, Target, delivery_manifest};

    fn file(target: Target, path: &str, servers: &[&str]) -> OutFile {
        OutFile {
            target,
            path: path.to_owned(),
            contents: format!("{{\"{path}\": 1}}\n").into(),
            plugins: ["p".to_owned()].into(),
            servers: servers.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The manifest put together from entries made one file at a time is
    /// byte for byte what serializing the whole manifest at once gives.
    #[test]
    fn entries_joined_are_the_whole_manifest_serialized() {
        #[derive(serde::Serialize)]
        struct Manifest {
            version: u32,
            files: Vec<serde_json::Value>,
        }
        let files = [
            file(Target::Codex, "codex/.codex/config.toml", &["a", "b \"q\""]),
            file(Target::Amp, "amp/.amp/settings.json", &[]),
        ];
        let whole = |files: &[OutFile]| {
            crate::emit::json(&Manifest {
                version: 1,
                files: files
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "target": f.target.name(),
                            "path": f.path,
                            "sha256": f.contents.sha256_hex(),
                            "plugins": *f.plugins,
                            "servers": *f.servers,
                        })
                    })
                    .collect(),
            })
        };
        assert_eq!(delivery_manifest(&files), whole(&files));
        assert_eq!(delivery_manifest(&files[..1]), whole(&files[..1]));
        assert_eq!(delivery_manifest(&[]), whole(&[]));
    }

    /// Every target's config file of a build lists the one list of
    /// servers while the servers are the same, and its own list where an
    /// override leaves a server out; the manifest says each file's.
    #[test]
    fn files_of_the_same_servers_share_one_list() {
        let source = r#"plugin "p" {
  version = "1.0.0"
  server "a" { command = "a" }
  server "b" {
    command = "b"
    targets = ["claude-code", "gemini", "opencode"]
  }
}
"#;
        let mut sources = crate::source::SourceMap::new();
        sources.add(crate::source::SourceFile::new("p.mcpc", source));
        let (_, diagnostics, files) =
            crate::compile(sources, Default::default(), &super::Plan::default());
        let files = files.unwrap_or_else(|| panic!("{diagnostics:?}"));
        let of = |target| {
            let file = files.iter().find(|f| f.target == target).expect("a file");
            file.servers.clone()
        };
        let ab = [Target::ClaudeCode, Target::Gemini, Target::Opencode];
        let (codex, hermes) = (of(Target::Codex), of(Target::Hermes));
        assert_eq!(&*codex, ["a"]);
        assert_eq!(&*of(Target::ClaudeCode), ["a", "b"]);
        assert!(
            std::sync::Arc::ptr_eq(&codex, &hermes),
            "built one after the other"
        );
        assert!(std::sync::Arc::ptr_eq(
            &of(Target::Gemini),
            &of(Target::Opencode)
        ));
        let manifest: serde_json::Value = serde_json::from_str(&delivery_manifest(&files)).unwrap();
        for entry in manifest["files"].as_array().unwrap() {
            let t = Target::from_name(entry["target"].as_str().unwrap()).unwrap();
            let want: &[&str] = if ab.contains(&t) { &["a", "b"] } else { &["a"] };
            assert_eq!(entry["servers"], serde_json::json!(want), "{entry}");
        }
    }

    /// Targets built side by side give what they give one after the
    /// other: the same files, and the same diagnostics in the same order
    /// (of every example and golden case, errors and warnings among them).
    #[test]
    fn targets_built_at_once_give_what_they_give_in_turn() {
        let mut units = Vec::new();
        for dir in ["examples", "tests/golden/ok", "tests/golden/err"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for case in std::fs::read_dir(root).unwrap() {
                let case = case.unwrap().path();
                let mut sources = crate::source::SourceMap::new();
                for file in std::fs::read_dir(&case).unwrap() {
                    let file = file.unwrap().path();
                    if file.extension().is_some_and(|e| e == "mcpc") {
                        let text = std::fs::read_to_string(&file).unwrap();
                        sources.add(crate::source::SourceFile::new(
                            file.display().to_string(),
                            text,
                        ));
                    }
                }
                units.push((case, sources));
            }
        }
        assert!(units.len() > 20, "{} cases", units.len());
        let levels = crate::diag::LintLevels::default();
        let mut reported = 0;
        for (case, sources) in &units {
            let (unit, _) = crate::lower_unit(sources);
            for emit in [super::Emit::Config, super::Emit::Package] {
                let plan = super::Plan {
                    emit,
                    ..Default::default()
                };
                let run = super::Run::new(&unit, &plan, &levels, super::Mode::Files(None));
                let built = |workers| {
                    let mut all = Vec::new();
                    run.each_on(workers, Target::ALL, |target, files, sink| {
                        let diagnostics = sink.finish(&levels);
                        all.push((target, files, diagnostics));
                    });
                    all
                };
                let in_turn = built(1);
                reported += in_turn.iter().map(|(_, _, d)| d.len()).sum::<usize>();
                assert_eq!(in_turn.len(), Target::ALL.len());
                for workers in [2, 4] {
                    assert!(
                        built(workers) == in_turn,
                        "{} {emit:?} on {workers}",
                        case.display()
                    );
                }
            }
        }
        assert!(reported > 100, "{reported} diagnostics");
    }

    /// Whether a list has a name twice is known per list: asked again of
    /// the same list it is the same, and a new list is looked at anew.
    #[test]
    fn a_shared_list_knows_whether_its_names_are_distinct() {
        let mut names = super::SharedNames::default();
        let first = names.share(["a", "b"].into_iter());
        assert!(names.distinct());
        assert!(std::sync::Arc::ptr_eq(
            &first,
            &names.share(["a", "b"].into_iter())
        ));
        assert!(names.distinct());
        names.share(["a", "a"].into_iter());
        assert!(!names.distinct());
        names.share(["b", "a"].into_iter());
        assert!(names.distinct());
    }

    /// Each name is held once however many entries list it; sorted, the
    /// entries make the manifest of the files in path order.
    #[test]
    fn entries_share_each_name() {
        let b = file(Target::Codex, "b/config.toml", &["x", "y"]);
        let a = file(Target::Amp, "a/settings.json", &["y", "x"]);
        let mut manifest = Manifest::default();
        manifest.add(&b);
        manifest.add(&a);
        assert_eq!(manifest.names.len(), 3, "p, x and y");
        manifest.sort_by_path();
        let paths: Vec<&str> = manifest.entries().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a/settings.json", "b/config.toml"]);
        assert_eq!(manifest.text(), delivery_manifest(&[a, b]));
    }

    /// Entries kept from an earlier build, put among this build's where
    /// their paths sort (before, between, after, and none of this build's),
    /// give what serializing all of them sorted by path gives.
    #[test]
    fn kept_entries_are_merged_in_path_order() {
        let built = [
            file(Target::Codex, "c/config.toml", &["x"]),
            file(Target::Amp, "e/settings.json", &["y"]),
        ];
        let kept = |path: &str| {
            serde_json::json!({
                "target": "gemini",
                "path": path,
                "sha256": "00",
                "plugins": ["p"],
                "servers": [],
            })
        };
        let whole = |all: Vec<serde_json::Value>| {
            let mut all = all;
            all.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
            crate::emit::json(&serde_json::json!({"version": 1, "files": all}))
        };
        let as_json = |f: &OutFile| {
            let text = delivery_manifest(std::slice::from_ref(f));
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["files"][0].clone()
        };
        let mut manifest = Manifest::default();
        built.iter().for_each(|f| manifest.add(f));
        let more = vec![kept("a/x.json"), kept("d/x.json"), kept("z/x.json")];
        let mut all: Vec<serde_json::Value> = built.iter().map(as_json).collect();
        all.extend(more.clone());
        assert_eq!(manifest.text_with(&more), whole(all));
        assert_eq!(
            Manifest::default().text_with(&more[..1]),
            whole(more[..1].to_vec())
        );
    }
}
