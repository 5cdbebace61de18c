//! `mcpc import --from T FILE`: the migration path. Reads a runtime's native
//! file with that target's backend and prints equivalent `.mcpc` source.

use super::{OK, UsageError};
use crate::backends::Target;
use crate::deliver;
use crate::diag::{Code, MessageFormat, Severity, ci};
use clap::Args;
use std::fs;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// The runtime whose file this is
    #[arg(long = "from", value_name = "T", value_parser = super::parse_target)]
    from: Target,
    /// The file: `.mcp.json`, `config.toml`, `config.yaml` or `settings.json`
    file: PathBuf,
    /// The name of the plugin to declare
    #[arg(long, value_name = "NAME", default_value = "imported")]
    plugin: String,
    /// How to print diagnostics (on stderr, SARIF's log included: the source goes to stdout)
    #[arg(long, value_enum, default_value = "human")]
    message_format: MessageFormat,
}

pub(crate) fn run(args: ImportArgs) -> Result<u8, UsageError> {
    let text = fs::read_to_string(&args.file)
        .map_err(|e| UsageError(format!("cannot read `{}`: {e}", args.file.display())))?;
    let backend = args.from.backend();
    let primary = backend.managed_files()[0];
    // Say which line is broken before the backend's own reader does.
    deliver::parse(primary.format, &text, &args.file.display().to_string())
        .map_err(|e| UsageError(format!("`{}`: {}", e.path, e.message)))?;
    let lookup = |path: &str| (path == primary.project_path).then(|| text.clone());
    let servers = backend.read(&lookup).map_err(|e| {
        UsageError(format!(
            "`{}` is not a {} configuration: {e}",
            args.file.display(),
            args.from
        ))
    })?;
    let source = crate::import::to_source(
        &args.plugin,
        args.from,
        &args.file.display().to_string(),
        &servers,
    );
    let file = args.file.display().to_string();
    let help = "set the variable in the runtime's environment";
    let findings: Vec<ci::Finding> = source
        .warnings
        .iter()
        .map(|warning| ci::Finding {
            code: Code::PlaintextSecret.name(),
            severity: Severity::Warning,
            message: warning,
            file: &file,
            region: None,
            related: Vec::new(),
            help: Some(help),
        })
        .collect();
    for (warning, finding) in source.warnings.iter().zip(&findings) {
        match args.message_format {
            MessageFormat::Json => eprintln!(
                "{}",
                serde_json::json!({"severity": "warning", "code": "plaintext-secret", "message": warning, "file": file, "labels": [], "help": help})
            ),
            MessageFormat::Github => eprint!("{}", ci::github(finding)),
            MessageFormat::Sarif => {}
            MessageFormat::Human | MessageFormat::Short => {
                eprintln!("{file}: warning[plaintext-secret]: {warning}")
            }
        }
    }
    if args.message_format == MessageFormat::Sarif {
        // stdout carries the source, so the log goes to stderr.
        eprint!("{}", ci::sarif(&findings));
    }
    print!("{}", source.text);
    eprintln!(
        "imported {} server{} from {}",
        servers.len(),
        if servers.len() == 1 { "" } else { "s" },
        args.file.display()
    );
    Ok(OK)
}
