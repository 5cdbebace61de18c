//! `mcpc fmt [PATHS…] [--check]`.

use super::files::write_atomic;
use super::{FAILED, Input, OK, UsageError};
use crate::diag::MessageFormat;
use clap::Args;
use std::path::Path;

#[derive(Args)]
pub(crate) struct FmtArgs {
    #[command(flatten)]
    input: Input,
    /// Write nothing; print a diff of what would change and exit 1 if anything would
    #[arg(long)]
    check: bool,
}

pub(crate) fn run(args: FmtArgs) -> Result<u8, UsageError> {
    let sources = args.input.sources()?;
    let mut diagnostics = Vec::new();
    let mut changed = Vec::new();
    for (id, file) in sources.files() {
        match crate::format::format(id, &file.text) {
            Err(errors) => diagnostics.extend(errors),
            Ok(formatted) if formatted != file.text => {
                if args.check {
                    let diff = similar::TextDiff::from_lines(&file.text, &formatted);
                    args.input.print_diff(&format!(
                        "{}",
                        diff.unified_diff()
                            .header(&format!("a/{}", file.name), &format!("b/{}", file.name))
                    ));
                } else {
                    write_atomic(Path::new(&file.name), formatted.as_bytes())?;
                }
                changed.push(file.name.clone());
            }
            Ok(_) => {}
        }
    }
    if !diagnostics.is_empty() || args.input.message_format == MessageFormat::Sarif {
        args.input.report(&sources, &diagnostics);
    }
    let n = changed.len();
    let files = if n == 1 { "file" } else { "files" };
    let refused = {
        let mut ids: Vec<_> = diagnostics.iter().map(|d| d.primary.span.file).collect();
        ids.dedup();
        ids.len()
    };
    if refused > 0 {
        eprintln!(
            "{refused} file{} not formatted (left as {})",
            if refused == 1 { "" } else { "s" },
            if refused == 1 { "it is" } else { "they are" }
        );
    }
    match (args.check, n) {
        (_, 0) if refused > 0 => {}
        (_, 0) => eprintln!("formatted: nothing to change"),
        (true, _) => eprintln!("{n} {files} would be reformatted"),
        (false, _) => eprintln!("reformatted {n} {files}"),
    }
    let failed = !diagnostics.is_empty() || (args.check && n > 0);
    Ok(if failed { FAILED } else { OK })
}
