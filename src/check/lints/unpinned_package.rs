//! `unpinned-package` [warn]: a package runner (`npx`, `bunx`, `pnpm dlx`,
//! `uvx`, `pipx run`) starting a package without an exact version, or with
//! `@latest`; a container image without a tag or digest.
//!
//! Why: an unpinned server changes under you.
//! Example: `args = ["-y", "@acme/docs-mcp"]`.
//! Instead: `args = ["-y", "@acme/docs-mcp@1.4.0"]`.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Server, Str};
use crate::source::Spanned;

#[derive(Clone, Copy)]
enum Ecosystem {
    Npm,
    Python,
    Container,
}

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let f = &server.fields;
    let Some(command) = f.command.as_ref().and_then(|c| c.value.as_literal()) else {
        return;
    };
    let program = command.rsplit('/').next().unwrap_or(&command).to_owned();
    let args: &[Spanned<Str>] = f.args.as_ref().map_or(&[], |a| &a.value);
    let first = args.first().and_then(|a| a.value.as_literal());
    let (ecosystem, rest) = match (program.as_str(), first.as_deref()) {
        ("npx" | "bunx", _) => (Ecosystem::Npm, args),
        ("pnpm" | "yarn", Some("dlx")) => (Ecosystem::Npm, &args[1..]),
        ("uvx", _) => (Ecosystem::Python, args),
        ("uv", Some("tool")) if args.len() > 1 => (Ecosystem::Python, &args[2..]),
        ("pipx", Some("run")) => (Ecosystem::Python, &args[1..]),
        ("docker" | "podman", Some("run")) => (Ecosystem::Container, &args[1..]),
        _ => return,
    };
    let Some(package) = package_arg(ecosystem, rest) else {
        return;
    };
    let Some(spec) = package.value.as_literal() else {
        return;
    };
    if let Some(problem) = unpinned(ecosystem, &spec) {
        let example = match ecosystem {
            Ecosystem::Npm => "`name@1.2.3`",
            Ecosystem::Python => "`name==1.2.3`",
            Ecosystem::Container => "`image:1.2.3` or `image@sha256:…`",
        };
        sink.push(
            Diagnostic::new(
                Code::UnpinnedPackage,
                package.span,
                format!("`{spec}` {problem}"),
            )
            .with_label("unpinned")
            .with_help(format!("pin an exact version, such as {example}")),
        );
    }
}

/// Flags that take a value, so the value is not mistaken for the package.
const VALUE_FLAGS: &[&str] = &[
    "-p",
    "--package",
    "--from",
    "--with",
    "--python",
    "--index-url",
    "--extra-index-url",
    "--spec",
    "-e",
    "--env",
    "-v",
    "--volume",
    "--name",
    "--network",
    "-w",
    "--workdir",
    "--entrypoint",
    "--mount",
    "-u",
    "--user",
    "--env-file",
    "--platform",
    "-c",
    "--call",
];

/// The argument naming the package: the value of `--package`/`--from`/
/// `--spec` when given, else the first argument that is not a flag.
fn package_arg(ecosystem: Ecosystem, args: &[Spanned<Str>]) -> Option<&Spanned<Str>> {
    let mut i = 0;
    while i < args.len() {
        let text = args[i].value.as_literal().unwrap_or_default();
        if let Some((flag, _)) = text.split_once('=')
            && matches!(flag, "--package" | "--from" | "--spec")
        {
            return None; // `--from=pkg==1.0`: judged too rarely to parse
        }
        if matches!(&*text, "-p" | "--package" | "--from" | "--spec")
            && !matches!(ecosystem, Ecosystem::Container)
        {
            return args.get(i + 1);
        }
        if text.starts_with('-') {
            i += if VALUE_FLAGS.contains(&&*text) { 2 } else { 1 };
            continue;
        }
        return Some(&args[i]);
    }
    None
}

fn unpinned(ecosystem: Ecosystem, spec: &str) -> Option<&'static str> {
    match ecosystem {
        Ecosystem::Npm => {
            // After the first character: a scope's `@` is not the version's.
            let first = spec.chars().next().map_or(0, char::len_utf8);
            let version = spec[first..].split_once('@').map(|(_, v)| v);
            match version {
                None => Some("has no version"),
                Some("latest") => Some("is pinned to `latest`, which moves"),
                Some(v) if !is_exact(v) => Some("has a version range, not an exact version"),
                _ => None,
            }
        }
        Ecosystem::Python => {
            let version = spec
                .split_once("==")
                .or_else(|| spec.split_once('@'))
                .map(|(_, v)| v);
            match version {
                None => Some("has no version"),
                Some("latest") => Some("is pinned to `latest`, which moves"),
                Some(v) if !is_exact(v) => Some("has a version range, not an exact version"),
                _ => None,
            }
        }
        Ecosystem::Container => {
            if spec.contains("@sha256:") {
                return None;
            }
            let last = spec.rsplit('/').next().unwrap_or(spec);
            match last.split_once(':') {
                None => Some("has no tag or digest"),
                Some((_, "latest")) => Some("is tagged `latest`, which moves"),
                _ => None,
            }
        }
    }
}

/// `1.2.3`, `1.2.3-rc.1`, `0.3.1`: digits and dots with no range operator.
pub(crate) fn is_exact(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    core.split('.').count() >= 2
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            unpinned(Ecosystem::Npm, "@molecule-ai/platform-mcp@1.4.0"),
            None
        );
        assert!(unpinned(Ecosystem::Npm, "@molecule-ai/platform-mcp").is_some());
        assert!(unpinned(Ecosystem::Npm, "docs-mcp@latest").is_some());
        assert!(unpinned(Ecosystem::Npm, "docs-mcp@^1.2.0").is_some());
        assert_eq!(unpinned(Ecosystem::Python, "seo-mcp==0.3.1"), None);
        assert!(unpinned(Ecosystem::Python, "seo-mcp>=0.3").is_some());
        assert!(unpinned(Ecosystem::Python, "seo-mcp").is_some());
        assert_eq!(
            unpinned(Ecosystem::Container, "ghcr.io/acme/mcp:1.0.0"),
            None
        );
        assert_eq!(
            unpinned(Ecosystem::Container, "localhost:5000/mcp@sha256:abc"),
            None
        );
        assert!(unpinned(Ecosystem::Container, "localhost:5000/mcp").is_some());
        assert!(unpinned(Ecosystem::Container, "acme/mcp:latest").is_some());
        // A first character of several bytes (found by the fuzz pipeline
        // target: a BOM) is skipped whole.
        assert!(unpinned(Ecosystem::Npm, "\u{feff}docs-mcp").is_some());
        assert_eq!(unpinned(Ecosystem::Npm, "é@1.0.0"), None);
    }
}
