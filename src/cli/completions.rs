//! `mcpc completions SHELL` and `mcpc man --out DIR`: both generated from
//! the clap definition itself, so they cannot fall behind the flags.

use super::files::write_atomic;
use super::{OK, UsageError};
use clap::Args;
use clap_complete::Shell;
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args)]
pub(crate) struct ManArgs {
    /// Directory to write the pages into
    #[arg(long, value_name = "DIR", default_value = "man")]
    out: PathBuf,
}

pub(crate) fn completions(args: CompletionsArgs, mut cli: clap::Command) -> Result<u8, UsageError> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cli, "mcpc", &mut out);
    print!("{}", String::from_utf8_lossy(&out));
    Ok(OK)
}

/// One page for `mcpc` and one per subcommand (`mcpc-build.1`, …), the way
/// git and cargo ship theirs.
pub(crate) fn man(args: ManArgs, cli: clap::Command) -> Result<u8, UsageError> {
    let mut pages = vec![("mcpc".to_owned(), cli.clone())];
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("mcpc-{}", sub.get_name());
        let bin = format!("mcpc {}", sub.get_name());
        pages.push((name.clone(), sub.clone().name(name).bin_name(bin)));
    }
    for (name, command) in &pages {
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone())
            .source(format!("mcpc {}", super::VERSION))
            .render(&mut page)
            .map_err(|e| UsageError(format!("cannot render `{name}.1`: {e}")))?;
        write_atomic(&args.out.join(format!("{name}.1")), &page)?;
    }
    eprintln!("wrote {} man pages to {}", pages.len(), args.out.display());
    Ok(OK)
}
