//! `mcpc import --from T FILE`: the migration path. Reads a runtime's native
//! file with that target's backend and prints equivalent `.mcpc` source.

use super::{OK, UsageError};
use crate::backends::Target;
use crate::deliver;
use crate::diag::MessageFormat;
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
    /// How to print diagnostics (on stderr; the source goes to stdout)
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
    for warning in &source.warnings {
        match args.message_format {
            MessageFormat::Json => eprintln!(
                "{}",
                serde_json::json!({"severity": "warning", "code": "plaintext-secret", "message": warning, "file": file, "labels": [], "help": "set the variable in the runtime's environment"})
            ),
            _ => eprintln!("{file}: warning[plaintext-secret]: {warning}"),
        }
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
