//! The command line: clap types and the subcommands. The only place that
//! prints, reads the environment or touches files.

mod build;
mod completions;
mod deliver;
mod export;
mod files;
mod fmt;
mod import;
mod interrupt;
mod lock;
pub mod lsp;
mod probe;
mod targets;

use crate::backends::{Emit, Plan, Target};
use crate::diag::{self, Code, Diagnostic, LintLevels, MessageFormat, Renderer, Severity};
use crate::source::SourceMap;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes for every command.
pub const OK: u8 = 0;
pub const FAILED: u8 = 1;
pub const USAGE: u8 = 2;

/// `mcpc --version`: the version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MCPC_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "mcpc",
    version = VERSION,
    about = "A compiler for MCP plugins: one declaration, every agent runtime's native config"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Each subcommand's arguments are built only when that subcommand runs
/// (or for help, completions and man pages, which build them all): a run
/// does not pay for the other subcommands' definitions.
#[derive(Subcommand)]
#[command(defer = true)]
enum Command {
    /// Parse and check; write nothing
    Check {
        #[command(flatten)]
        input: Input,
        /// Value of `plugin.root` in config files
        #[arg(long, value_name = "PATH")]
        plugin_root: Option<String>,
    },
    /// Compile for one target or all of them
    Build(build::BuildArgs),
    /// Canonical formatting, comments kept
    Fmt(fmt::FmtArgs),
    /// Merge into the runtime's real file, keeping everything mcpc does not own
    Apply(deliver::ApplyArgs),
    /// Restore the files as they were before the last apply
    Rollback(deliver::RollbackArgs),
    /// The identity gate: does the runtime's file hold every declared server as declared?
    Verify(deliver::VerifyArgs),
    /// Print `.mcpc` source equivalent to a runtime's native file
    Import(import::ImportArgs),
    /// Resolve the unit's registry references and write `mcpc.lock` beside it
    Lock(lock::LockArgs),
    /// Write a published form of the servers: an MCP Registry `server.json` each
    Export(export::ExportArgs),
    /// Start servers, perform the MCP handshake, list their tools, time it
    Probe(probe::ProbeArgs),
    /// Language server on stdio: diagnostics, formatting, explain on hover
    Lsp,
    /// Print the page of a diagnostic code (all codes without one)
    Explain { code: Option<String> },
    /// The targets and what each can express; with PATHS, also the losses
    /// their `target NAME { lints { … } }` blocks accept
    Targets {
        /// `.mcpc` files or directories whose accepted losses to list
        paths: Vec<PathBuf>,
    },
    /// Print a shell's completion script (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// Write the man pages (`mcpc.1`, `mcpc-build.1`, …) into a directory
    Man(completions::ManArgs),
}

// Inputs and diagnostics options shared by the commands that compile.
// Not a doc comment: a flattened struct's doc becomes the about of each
// subcommand that flattens it, since their arguments are built last
// (`defer` on `Command`).
#[derive(Args)]
pub(crate) struct Input {
    /// `.mcpc` files or directories (every `.mcpc` file below, sorted); default: the current directory
    paths: Vec<PathBuf>,
    /// How to print diagnostics
    #[arg(long, value_enum, default_value = "human")]
    message_format: MessageFormat,
    /// Make a lint an error
    #[arg(long, value_name = "LINT")]
    deny: Vec<String>,
    /// Make a lint a warning
    #[arg(long, value_name = "LINT")]
    warn: Vec<String>,
    /// Silence a lint
    #[arg(long, value_name = "LINT")]
    allow: Vec<String>,
}

/// A usage or I/O problem: printed as `error: …`, exit code 2.
#[derive(Debug)]
pub(crate) struct UsageError(pub String);

impl UsageError {
    /// A usage or I/O problem with a code of the registry, printed as
    /// `error[code]: …` (`mcpc explain code` tells more).
    pub(crate) fn coded(code: Code, message: impl std::fmt::Display) -> UsageError {
        UsageError(format!("[{code}]: {message}"))
    }

    /// How `main` prints it: file names, OS errors and text quoted from
    /// files go through [`diag::sanitize`], so no escape sequence reaches
    /// the terminal.
    fn render(&self) -> String {
        let coded = Code::ALL
            .iter()
            .any(|c| self.0.starts_with(&format!("[{c}]: ")));
        let text = diag::sanitize(&self.0);
        if coded {
            format!("error{text}")
        } else {
            format!("error: {text}")
        }
    }
}

/// A file of a runtime that mcpc cannot read or edit safely.
impl From<crate::deliver::DeliverError> for UsageError {
    fn from(e: crate::deliver::DeliverError) -> UsageError {
        match e.code {
            Some(code) => UsageError::coded(code, format!("`{}`: {}", e.path, e.message)),
            None => UsageError(format!("`{}`: {}", e.path, e.message)),
        }
    }
}

impl Input {
    fn levels(&self) -> Result<LintLevels, UsageError> {
        let mut levels = LintLevels::default();
        for (names, level) in [
            (&self.allow, diag::Level::Allow),
            (&self.warn, diag::Level::Warn),
            (&self.deny, diag::Level::Deny),
        ] {
            for name in names {
                match Code::from_name(name) {
                    Some(code) if code.is_lint() => levels.set(code, level),
                    Some(_) => {
                        return Err(UsageError(format!(
                            "`{name}` is an error, not a lint; its level cannot be changed"
                        )));
                    }
                    None => {
                        let hint = diag::nearest(name, Code::lint_names())
                            .map(|n| format!(" (did you mean `{n}`?)"))
                            .unwrap_or_default();
                        return Err(UsageError(format!("unknown lint `{name}`{hint}")));
                    }
                }
            }
        }
        Ok(levels)
    }

    fn sources(&self) -> Result<SourceMap, UsageError> {
        files::load(&self.paths)
    }

    /// Prints a `--check` diff: on stdout, except under `sarif`, whose
    /// stdout holds the log alone.
    pub(crate) fn print_diff(&self, diff: &str) {
        match self.message_format {
            MessageFormat::Sarif => eprint!("{diff}"),
            _ => print!("{diff}"),
        }
    }

    /// The losses a plugin's `target NAME { lints { … } }` accepts, one line
    /// each on stderr, so that a silenced loss is still seen.
    fn report_accepted(&self, sources: &SourceMap, accepted: &[(Diagnostic, diag::ScopedLevel)]) {
        eprint!("{}", accepted_lines(sources, accepted));
    }

    /// Prints diagnostics in the chosen format and a summary line.
    fn report(&self, sources: &SourceMap, diagnostics: &[Diagnostic]) {
        let renderer = Renderer {
            sources,
            format: self.message_format,
            color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        // Formats for tools go to stdout (a workflow command is read
        // there too); the ones for people to stderr.
        let text = renderer.render_all(diagnostics);
        match self.message_format {
            MessageFormat::Json | MessageFormat::Github | MessageFormat::Sarif => print!("{text}"),
            MessageFormat::Human | MessageFormat::Short => eprint!("{text}"),
        }
        let errors = diag::count_errors(diagnostics);
        let warnings = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        let files = sources.files().count();
        say(format_args!(
            "{}: {files} file{}, {errors} error{}, {warnings} warning{}",
            if errors > 0 { "failed" } else { "checked" },
            plural(files),
            plural(errors),
            plural(warnings)
        ));
    }
}

/// Prints a line to stderr in one write (`eprintln!` writes each piece of
/// its format on its own: stderr is unbuffered).
pub(crate) fn say(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut text = line.to_string();
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `--target T` for the commands that take one runtime.
pub(crate) fn parse_target(text: &str) -> Result<Target, String> {
    Target::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        let hint = diag::nearest(text, names.iter().copied())
            .map(|n| format!("did you mean `{n}`? "))
            .unwrap_or_default();
        format!(
            "unknown-target: `{text}` is not a target; {hint}expected one of {}",
            names.join(", ")
        )
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", e.render());
            USAGE
        }
    };
    ExitCode::from(code)
}

fn run(command: Command) -> Result<u8, UsageError> {
    match command {
        Command::Check { input, plugin_root } => {
            let plan = Plan {
                targets: Vec::new(),
                emit: Emit::Config,
                workspace: None,
                plugin_root,
                user_scope: false,
            };
            let mut c = crate::Compilation::new(input.sources()?, input.levels()?);
            // The backends run for what they report.
            c.check_targets(&plan);
            let (sources, diagnostics) = c.finish();
            input.report(&sources, &diagnostics);
            Ok(if diag::count_errors(&diagnostics) > 0 {
                FAILED
            } else {
                OK
            })
        }
        Command::Build(args) => build::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Apply(args) => deliver::apply(args),
        Command::Rollback(args) => deliver::rollback(args),
        Command::Verify(args) => deliver::verify(args),
        Command::Import(args) => import::run(args),
        Command::Lock(args) => lock::run(args),
        Command::Export(args) => export::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Lsp => lsp::run(),
        Command::Targets { paths } => {
            print!("{}", targets_table());
            if paths.is_empty() {
                return Ok(OK);
            }
            let plan = Plan {
                targets: Vec::new(),
                emit: Emit::Config,
                workspace: None,
                plugin_root: None,
                user_scope: false,
            };
            let mut c = crate::Compilation::new(files::load(&paths)?, LintLevels::default());
            // Front-end errors are shown; a target's own errors are `build`'s
            // business, not this listing's.
            if c.fails() {
                let (sources, diagnostics) = c.finish();
                let text = Renderer {
                    sources: &sources,
                    format: MessageFormat::Human,
                    color: false,
                }
                .render_all(&diagnostics);
                eprint!("{text}");
                return Ok(FAILED);
            }
            c.build_each(&plan);
            let accepted = c.accepted();
            let (sources, _) = c.finish();
            println!("losses accepted in this unit (`target NAME {{ lints {{ … }} }}`):");
            match accepted_lines(&sources, &accepted) {
                lines if lines.is_empty() => println!("  none"),
                lines => print!(
                    "{}",
                    lines
                        .lines()
                        .map(|l| format!("  {l}\n"))
                        .collect::<String>()
                ),
            }
            Ok(OK)
        }
        Command::Completions(args) => completions::completions(args, Cli::command()),
        Command::Man(args) => completions::man(args, Cli::command()),
    }
}

fn explain(code: Option<&str>) -> Result<u8, UsageError> {
    let Some(name) = code else {
        for code in Code::ALL {
            let kind = match code.kind() {
                diag::Kind::Error => "error".to_owned(),
                diag::Kind::Lint(level) => format!("lint [{}]", level.name()),
            };
            println!("{:<24} {kind}", code.name());
        }
        return Ok(OK);
    };
    match Code::from_name(name) {
        Some(code) => {
            print!("{}", code.explanation());
            Ok(OK)
        }
        None => {
            let hint = diag::nearest(name, Code::ALL.iter().map(|c| c.name()))
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            Err(UsageError(format!(
                "unknown code `{name}`{hint}; `mcpc explain` lists them"
            )))
        }
    }
}

/// Where each target writes, as the Markdown table in README.md and
/// docs/language.md (a test keeps both in step with the backends).
pub fn files_table() -> String {
    let mut out = String::from(
        "| target | project scope | user scope | env reference | package | proven against its real CLI |\n|---|---|---|---|---|---|\n",
    );
    for &target in Target::ALL {
        let backend = target.backend();
        let files = backend.managed_files();
        let list = |f: &dyn Fn(&crate::backends::ManagedFile) -> String| {
            files.iter().map(f).collect::<Vec<_>>().join(" + ")
        };
        let caps = backend.capabilities();
        let project = if files.iter().all(|f| f.user.user_only) {
            "none (user scope only)".to_owned()
        } else {
            list(&|f| format!("`{}`", f.project_path))
        };
        out.push_str(&format!(
            "| `{target}` | {project} | {} | {} | {} | {} |\n",
            list(&|f| f.user.describe()),
            backend.env_reference(),
            caps.package,
            caps.proven
        ));
    }
    out
}

/// `accepted: FILE:LINE:COL: MESSAGE (by `CODE = allow` at FILE:LINE:COL)` for each
/// loss accepted on purpose.
pub(crate) fn accepted_lines(
    sources: &SourceMap,
    accepted: &[(Diagnostic, diag::ScopedLevel)],
) -> String {
    let at = |span: crate::source::Span| {
        let file = sources.get(span.file);
        let (line, col) = file.line_col(span.start as usize);
        format!("{}:{line}:{col}", file.name)
    };
    accepted
        .iter()
        .map(|(d, by)| {
            format!(
                "accepted: {}: {} (by `{} = allow` at {})\n",
                at(d.primary.span),
                d.message,
                by.code,
                at(by.at)
            )
        })
        .collect()
}

/// SPEC §3's table, generated from the backends themselves.
pub fn targets_table() -> String {
    let mut out = String::new();
    for &target in Target::ALL {
        let caps = target.backend().capabilities();
        out.push_str(&format!(
            "{target}\n  config file: {}\n  package:     {}\n  proven:      {}\n",
            caps.config_file,
            caps.package,
            match caps.proven {
                "documented" => "documented (not yet proven against the real CLI)".to_owned(),
                version => format!("against its real CLI, version {version} (e2e tier)"),
            }
        ));
        for (feature, lowering) in target.backend().capability_rows() {
            out.push_str(&format!("  {feature:<26} {lowering}\n"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Subcommands' arguments are deferred (built when the subcommand
    /// runs); help, completions and man pages build them all, and each
    /// subcommand keeps its own about through that (a flattened struct's
    /// doc comment would take its place), its arguments' help, and its
    /// place in the completions.
    #[test]
    fn building_the_deferred_arguments_keeps_every_about() {
        let unbuilt = Cli::command();
        let mut cli = Cli::command();
        let help = cli.render_long_help().to_string();
        let mut fish = Vec::new();
        let shell = clap_complete::Shell::Fish;
        clap_complete::generate(shell, &mut Cli::command(), "mcpc", &mut fish);
        let fish = String::from_utf8(fish).unwrap();
        cli.build();
        let mut flags = 0;
        for sub in cli.get_subcommands_mut().filter(|s| s.get_name() != "help") {
            let name = sub.get_name().to_owned();
            let was = unbuilt.find_subcommand(&name).unwrap();
            let about = sub.get_about().map(|a| a.to_string());
            assert_eq!(about, was.get_about().map(|a| a.to_string()), "{name}");
            let long = sub.get_long_about().map(|a| a.to_string());
            assert_eq!(long, was.get_long_about().map(|a| a.to_string()));
            let about = about.expect("every subcommand has an about");
            let own_help = sub.render_long_help().to_string();
            assert!(help.contains(&about), "`--help` lost {about:?}");
            assert!(own_help.starts_with(&about), "`{name} --help`: {own_help}");
            let offered = format!("-a \"{name}\" -d '{}'", about.replace('\'', "\\'"));
            assert!(fish.contains(&offered), "fish completion lost {offered}");
            for arg in sub.get_arguments().filter(|a| a.get_id() != "help") {
                if let Some(text) = arg.get_help() {
                    let text = text.to_string();
                    assert!(own_help.contains(&text), "`{name} --help` lost {text:?}");
                }
                if let Some(long) = arg.get_long() {
                    flags += 1;
                    let from = format!("using_subcommand {name}\"");
                    let flag = format!("-l {long}");
                    let found = fish.lines().any(|l| {
                        l.contains(&from) && (l.contains(&format!("{flag} ")) || l.ends_with(&flag))
                    });
                    assert!(found, "fish completion lost `{name} --{long}`");
                }
            }
        }
        assert!(flags > 20, "the subcommands' flags were built ({flags})");
    }
}
