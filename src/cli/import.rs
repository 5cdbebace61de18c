//! `mcpc import [--from T] FILE`: the migration path. Reads a runtime's
//! native file with that target's backend and prints equivalent `.mcpc`
//! source, formatted; every field it cannot carry is named in a warning with
//! its line, and the source is checked for the runtime it came from.

use super::{OK, UsageError};
use crate::backends::{Emit, Plan, Target};
use crate::diag::{self, Code, MessageFormat, Severity, ci};
use crate::import::{self, Detected};
use crate::source::{SourceFile, SourceMap};
use clap::Args;
use std::fs;
use std::path::PathBuf;

/// What `--from` names: a runtime, or a published format.
#[derive(Clone, Copy, Debug)]
pub(crate) enum From {
    Runtime(Target),
    /// An MCP Registry `server.json`, API answer or listing page.
    ServerJson,
    /// An MCP Bundle's `manifest.json`.
    Mcpb,
}

fn parse_from(text: &str) -> Result<From, String> {
    match text {
        "server-json" => Ok(From::ServerJson),
        "mcpb" => Ok(From::Mcpb),
        _ => super::parse_target(text)
            .map(From::Runtime)
            .map_err(|e| format!("{e}, server-json, mcpb")),
    }
}

#[derive(Args)]
pub(crate) struct ImportArgs {
    #[arg(long = "from", value_name = "FORMAT", value_parser = parse_from, help = from_help())]
    from: Option<From>,
    /// The file: `.mcp.json`, `.codex/config.toml`, `config.yaml`, `settings.json`, …; with `--registry`, the entry as `NAME@VERSION`
    file: PathBuf,
    /// Print a declaration that references the registry entry `NAME@VERSION` of the registry at URL (fetched once, to check it)
    #[arg(long, value_name = "URL", conflicts_with = "from")]
    registry: Option<String>,
    /// With `--registry`: longest the request may take (`30s`, `500ms`, `2m`)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = super::lock::parse_duration, requires = "registry")]
    timeout: std::time::Duration,
    /// The name of the plugin to declare
    #[arg(long, value_name = "NAME", default_value = "imported")]
    plugin: String,
    /// How to print diagnostics (on stderr, SARIF's log included: the source goes to stdout)
    #[arg(long, value_enum, default_value = "human")]
    message_format: MessageFormat,
}

/// `--from`'s help: every format, as targets are added.
fn from_help() -> String {
    let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
    format!(
        "The file's format: a runtime ({}), `server-json` (an MCP Registry entry or listing) or `mcpb` (an MCP Bundle's manifest.json); default: a runtime, detected from the content (and the file's name when several runtimes share a format)",
        names.join(", ")
    )
}

pub(crate) fn run(args: ImportArgs) -> Result<u8, UsageError> {
    if let Some(base) = &args.registry {
        return reference(&args, base);
    }
    let raw = fs::read_to_string(&args.file)
        .map_err(|e| UsageError(format!("cannot read `{}`: {e}", args.file.display())))?;
    let file = args.file.display().to_string();
    let from = match args.from {
        Some(From::Runtime(t)) => t,
        Some(From::ServerJson) => {
            let docs = crate::registry::server_json::documents(&raw).map(|docs| {
                docs.iter()
                    .map(crate::registry::server_json::import)
                    .collect()
            });
            return published(&args, &file, "server.json", docs);
        }
        Some(From::Mcpb) => {
            let docs =
                crate::registry::mcpb::parse(&raw).map(|m| vec![crate::registry::mcpb::import(&m)]);
            return published(&args, &file, "MCP Bundle manifest", docs);
        }
        None if crate::emit::json_doc::too_deep(&raw, crate::emit::json_doc::MAX_DEPTH)
            .is_some() =>
        {
            // Before any reader: some are slow on such a file.
            return Err(UsageError::coded(
                crate::diag::Code::NestingTooDeep,
                format!(
                    "`{file}`: nesting deeper than {} levels",
                    crate::emit::json_doc::MAX_DEPTH
                ),
            ));
        }
        None => match detect(&file, &raw) {
            Ok(t) => t,
            Err(message) => {
                eprintln!("error[ambiguous-format]: {}", diag::sanitize(&message));
                return Ok(super::USAGE);
            }
        },
    };
    let text = import::prepare(from, &raw);
    let backend = from.backend();
    let primary = backend.managed_files()[0];
    // Say which line is broken before the backend's own reader does.
    crate::deliver::parse(primary.format, &text, &file)?;
    let servers = import::read_as(from, &text)
        .map_err(|e| {
            UsageError::coded(
                Code::InvalidValue,
                format!(
                    "`{file}` is not a {from} configuration: {e}\n  help: fix that entry, or name the runtime the file is for with `--from`"
                ),
            )
        })?;
    if servers.is_empty() {
        let hint = match import::detect(&file, &raw) {
            Detected::One(t) if t != from => format!("; it reads as a {t} file: `--from {t}`"),
            _ => String::new(),
        };
        return Err(UsageError(format!(
            "`{file}` holds no {from} server (nothing where {from} keeps its servers){hint}"
        )));
    }
    let source = import::to_source(&args.plugin, from, &file, &servers);
    // (line, code, message, help) for each finding.
    let mut warnings: Vec<(Option<usize>, Code, String, &str)> = source
        .warnings
        .iter()
        .map(|w| {
            let help = "set the variable in the runtime's environment";
            (None, Code::PlaintextSecret, w.clone(), help)
        })
        .collect();
    for d in import::dropped_fields(from, &text) {
        warnings.push((
            d.line,
            Code::LossyLowering,
            format!(
                "server `{}`: `{}` is not carried into the declaration (mcpc has no equivalent of this {from} field); it is dropped",
                d.server, d.field
            ),
            "keep it in the runtime's own settings, or express it with mcpc's fields (`tools`, `enabled`, timeouts)",
        ));
    }
    for u in import::unknown_transports(from, &text) {
        let known: Vec<String> = u.known.iter().map(|k| format!("\"{k}\"")).collect();
        warnings.push((
            u.line,
            Code::LossyLowering,
            format!(
                "server `{}`: `{}` is \"{}\", which is no transport {from} knows ({}); imported as `{}` from its {}",
                u.server,
                u.field,
                u.value,
                known.join(", "),
                u.read.name(),
                if u.read == crate::ir::Transport::Stdio { "`command`" } else { "`url`" },
            ),
            "check the entry: set `transport` in the imported source to what the server speaks",
        ));
    }
    let formatted = crate::format::format(crate::source::FileId(0), &source.text)
        .unwrap_or_else(|_| source.text.clone());
    for problem in check_for(from, &formatted) {
        warnings.push((
            None,
            Code::LossyLowering,
            format!("the imported source does not check clean for {from}: {problem}"),
            "edit the imported source as the error says",
        ));
    }
    print_warnings(args.message_format, &file, &warnings);
    print!("{formatted}");
    eprintln!(
        "imported {} server{} from {file} ({from})",
        servers.len(),
        if servers.len() == 1 { "" } else { "s" },
    );
    Ok(OK)
}

/// A finding of `import`: (line, code, message, help).
type Warning<'a> = (Option<usize>, Code, String, &'a str);

fn print_warnings(format: MessageFormat, file: &str, warnings: &[Warning]) {
    let findings: Vec<ci::Finding> = warnings
        .iter()
        .map(|(line, code, message, help)| ci::Finding {
            code: code.name(),
            severity: Severity::Warning,
            message,
            file,
            region: line.map(|line| ci::Region {
                line,
                column: 1,
                end_line: line,
                end_column: 1,
            }),
            related: Vec::new(),
            help: Some(help),
        })
        .collect();
    for ((line, code, message, help), finding) in warnings.iter().zip(&findings) {
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        match format {
            MessageFormat::Json => eprintln!(
                "{}",
                serde_json::json!({"severity": "warning", "code": code.name(), "message": message, "file": file, "line": line, "labels": [], "help": help})
            ),
            MessageFormat::Github => eprint!("{}", ci::github(finding)),
            MessageFormat::Sarif => {}
            MessageFormat::Human | MessageFormat::Short => eprintln!(
                "{}{at}: warning[{code}]: {}",
                diag::sanitize(file),
                diag::sanitize(message)
            ),
        }
    }
    if format == MessageFormat::Sarif {
        // stdout carries the source, so the log goes to stderr.
        eprint!("{}", ci::sarif(&findings));
    }
}

/// The servers of published documents (`server.json`, MCP Bundle
/// manifests) as one plugin, with every field not carried named by path.
fn published(
    args: &ImportArgs,
    file: &str,
    what: &str,
    parsed: Result<Vec<crate::registry::Imported>, String>,
) -> Result<u8, UsageError> {
    let docs = parsed.map_err(|e| UsageError(format!("`{file}` is not a valid {what}: {e}")))?;
    let mut origin = import::Origin {
        format: what.to_owned(),
        ..import::Origin::default()
    };
    let single = docs.len() == 1;
    let mut servers = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for mut doc in docs {
        // A listing may hold two entries with one short name.
        for server in &mut doc.servers {
            server.name = crate::registry::unique_name(&mut taken, &server.name, "2");
        }
        if single {
            origin.version = doc.version;
            origin.description = doc.description;
            origin.homepage = doc.homepage;
            origin.license = doc.license;
            origin.author = doc.author;
        }
        origin.secrets.extend(doc.secrets);
        servers.extend(doc.servers);
        for note in doc.notes {
            warnings.push((
                None,
                Code::LossyLowering,
                format!("`{}`: {}", note.path, note.message),
                "declare it by hand if the runtimes need it",
            ));
        }
    }
    let source = import::to_source_from(&args.plugin, &origin, file, &servers);
    for w in &source.warnings {
        warnings.push((
            None,
            Code::PlaintextSecret,
            w.clone(),
            "set the variable in the runtime's environment",
        ));
    }
    let formatted = crate::format::format(crate::source::FileId(0), &source.text)
        .unwrap_or_else(|_| source.text.clone());
    print_warnings(args.message_format, file, &warnings);
    print!("{formatted}");
    eprintln!(
        "imported {} server{} from {file} ({what})",
        servers.len(),
        if servers.len() == 1 { "" } else { "s" },
    );
    Ok(OK)
}

/// `--from` left out: the one runtime whose reader finds servers in it.
fn detect(file: &str, text: &str) -> Result<Target, String> {
    match import::detect(file, text) {
        Detected::One(t) => {
            eprintln!("{file}: read as a {t} file (pass `--from` to choose)");
            Ok(t)
        }
        Detected::None => Err(format!(
            "`{file}` is no format mcpc reads (no runtime's reader finds a server in it); pass `--from T`"
        )),
        Detected::Several(ts) => {
            let names: Vec<&str> = ts.iter().map(|t| t.name()).collect();
            Err(format!(
                "`{file}` reads as a file of {}; pass `--from` with one of them",
                names.join(", ")
            ))
        }
    }
}

/// The errors of the imported source when built for its runtime, in the
/// short format.
fn check_for(target: Target, text: &str) -> Vec<String> {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("imported.mcpc", text));
    let plan = Plan {
        targets: vec![target],
        emit: Emit::Config,
        ..Plan::default()
    };
    let (sources, diagnostics, _) = crate::compile(sources, diag::LintLevels::default(), &plan);
    let renderer = diag::Renderer {
        sources: &sources,
        format: MessageFormat::Short,
        color: false,
    };
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| renderer.render(d).trim_end().to_owned())
        .collect()
}

/// `mcpc import --registry URL NAME@VERSION`: a plugin whose server
/// references the entry (its launch line stays in the registry and the
/// lock, not copied into the source). The entry is fetched (or taken from
/// the cache) to check that it exists and to choose a package when it has
/// several.
fn reference(args: &ImportArgs, base: &str) -> Result<u8, UsageError> {
    use crate::registry::lock::{self, DEFAULT_REGISTRY};
    let base = super::lock::checked_base(base)?;
    let wanted = args.file.to_string_lossy();
    let (name, version) = wanted
        .rsplit_once('@')
        .filter(|(n, v)| lock::is_entry_name(n) && lock::is_entry_version(v))
        .ok_or_else(|| {
            UsageError(format!(
                "`{wanted}` is not `NAME@VERSION` (such as `io.github.acme/github@0.9.1`)"
            ))
        })?;
    let cache = super::lock::Cache::locate();
    let entry = match cache.as_ref().and_then(|c| c.get(&base, name, version)) {
        Some(entry) => entry,
        None => match super::lock::Client::new(args.timeout).entry(&base, name, version) {
            Ok(entry) => {
                if let Some(cache) = &cache
                    && let Err(e) = cache.put(&entry)
                {
                    eprintln!("warning: the registry cache was not updated: {e}");
                }
                entry
            }
            Err(failure) => {
                eprintln!("{}", failure.render());
                return Ok(super::FAILED);
            }
        },
    };
    let doc = lock::validate(&entry.server).map_err(|e| UsageError(e.to_string()))?;
    let mut kinds: Vec<&str> = doc
        .packages
        .iter()
        .map(|p| p.registry_type.as_str())
        .filter(|k| lock::PACKAGE_KINDS.contains(k))
        .collect();
    if !doc.remotes.is_empty() {
        kinds.push("remote");
    }
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = format!(
        "// References {name}@{version} of the registry at {base}, by `mcpc import`.\n// Run `mcpc lock` next: the launch line comes from the lock.\nplugin {} {{\n  version = \"0.1.0\"\n  description = {}\n",
        quote(&args.plugin),
        quote(&doc.description)
    );
    if base != DEFAULT_REGISTRY {
        out.push_str(&format!("  registry = {}\n", quote(&base)));
    }
    out.push_str(&format!(
        "\n  server {} {{\n    registry {{\n      name    = {}\n      version = {}\n",
        quote(&crate::registry::server_name(name)),
        quote(name),
        quote(version)
    ));
    match kinds.as_slice() {
        [] => eprintln!(
            "warning: `{name}@{version}` has no package or remote mcpc can launch; `mcpc import --from server-json` says why"
        ),
        [_] => {}
        [first, ..] => out.push_str(&format!(
            "      // The entry also offers: {}.\n      package = {}\n",
            kinds[1..].join(", "),
            quote(first)
        )),
    }
    out.push_str("    }\n  }\n}\n");
    let formatted =
        crate::format::format(crate::source::FileId(0), &out).unwrap_or_else(|_| out.clone());
    print!("{formatted}");
    eprintln!("referenced {name}@{version} (sha256 {})", entry.sha256);
    Ok(OK)
}
