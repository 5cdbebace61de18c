//! `mcpc export --format server-json`: a `server.json` per server, for
//! publishing to an MCP Registry.

use super::files::{OutDir, write_atomic};
use super::{FAILED, Input, OK, UsageError};
use crate::{Compilation, diag};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Format {
    /// The MCP Registry's server.json (schema 2025-12-11)
    ServerJson,
}

#[derive(Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    input: Input,
    /// The format to write
    #[arg(long, value_enum)]
    format: Format,
    /// Export only this plugin's servers (repeat for several)
    #[arg(long, value_name = "NAME")]
    plugin: Vec<String>,
    /// Output directory: `DIR/<plugin>/<server>/server.json`
    #[arg(long, value_name = "DIR", default_value = "mcpc-out/server-json")]
    out: PathBuf,
}

pub(crate) fn run(args: ExportArgs) -> Result<u8, UsageError> {
    let Format::ServerJson = args.format;
    let mut compilation = Compilation::new(args.input.sources()?, args.input.levels()?);
    for name in &args.plugin {
        if compilation.unit.plugin(name).is_none() {
            let names = compilation
                .unit
                .plugins
                .iter()
                .map(|p| p.name.value.as_str());
            let hint = diag::nearest(name, names)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            return Err(UsageError(format!("no plugin `{name}` in the unit{hint}")));
        }
    }
    let files = compilation.export_server_json(&args.plugin);
    let (sources, diagnostics) = compilation.finish();
    args.input.report(&sources, &diagnostics);
    if diag::count_errors(&diagnostics) > 0 {
        return Ok(FAILED);
    }
    let out = OutDir::new(&args.out)?;
    for file in &files {
        write_atomic(&out.inside(&file.path)?, file.text.as_bytes())?;
        eprintln!("wrote {}", args.out.join(&file.path).display());
    }
    Ok(OK)
}
