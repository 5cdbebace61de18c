//! A lint the levels in force allow is dropped as soon as it is pushed
//! (`Sink::drop_allowed`): each reader of the diagnostics behaves as it did
//! when the sink kept it until `finish`. The levels come from the registry
//! defaults, `policy { lints { … } }` and the command line, in that order.

use mcpc::Compilation;
use mcpc::backends::Plan;
use mcpc::diag::{Code, Diagnostic, Level, LintLevels, Severity};
use mcpc::source::{FileId, SourceFile, SourceMap};
use std::process::Command;

/// `missing-tool-filter` (allowed by default) on `docs`; a literal secret
/// in `API_KEY` (`plaintext-secret`, denied by default).
const PLUGIN: &str = r#"plugin "acme" {
  version = "1.0.0"
  targets = ["claude-code"]
  server "docs" {
    command = "docs-mcp"
    env { API_KEY = "sk-live-0123456789abcdef0123" }
  }
}
"#;

fn sources(policy: &str) -> SourceMap {
    let mut map = SourceMap::new();
    map.add(SourceFile::new("plugin.mcpc", format!("{PLUGIN}{policy}")));
    map
}

fn levels(pairs: &[(Code, Level)]) -> LintLevels {
    let mut levels = LintLevels::default();
    for &(code, level) in pairs {
        levels.set(code, level);
    }
    levels
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<(Code, Severity)> {
    diagnostics.iter().map(|d| (d.code, d.severity)).collect()
}

/// A policy, command-line levels, and what `finish` gives.
type Case<'a> = (&'a str, &'a [(Code, Level)], Vec<(Code, Severity)>);

const WARN_POLICY: &str = "policy \"org\" { lints { missing-tool-filter = warn } }\n";
const ALLOW_POLICY: &str = "policy \"org\" { lints { plaintext-secret = allow } }\n";

#[test]
fn finish_and_fails_level_an_allowed_lint_as_before() {
    let filter = (Code::MissingToolFilter, Severity::Warning);
    let secret = (Code::PlaintextSecret, Severity::Error);
    let cases: [Case; 6] = [
        ("", &[], vec![secret]),
        (WARN_POLICY, &[], vec![filter, secret]),
        (
            WARN_POLICY,
            &[(Code::MissingToolFilter, Level::Allow)],
            vec![secret],
        ),
        (
            "",
            &[(Code::MissingToolFilter, Level::Warn)],
            vec![filter, secret],
        ),
        ("", &[(Code::PlaintextSecret, Level::Allow)], vec![]),
        (ALLOW_POLICY, &[], vec![]),
    ];
    for (policy, cli, expected) in cases {
        let mut c = Compilation::new(sources(policy), levels(cli));
        c.check_targets(&Plan::default());
        assert_eq!(c.fails(), !expected.is_empty(), "{policy:?} {cli:?}");
        let (sources, diagnostics) = c.finish();
        assert_eq!(codes(&diagnostics), expected, "{policy:?} {cli:?}");
        // An allowed literal secret is masked all the same.
        let text = &sources.get(FileId(0)).text;
        assert!(!text.contains("sk-live"), "{policy:?} {cli:?}: {text}");
    }
}

/// The language server's path: files lowered one at a time, then the unit.
#[test]
fn a_unit_from_files_levels_an_allowed_lint_as_before() {
    for (policy, expected) in [("", 1), (WARN_POLICY, 2)] {
        let map = sources(policy);
        let file = mcpc::LoweredFile::new(FileId(0), &map.get(FileId(0)).text, |_| {});
        let c = Compilation::from_files(map, [file], LintLevels::default());
        assert_eq!(c.finish().1.len(), expected, "{policy:?}");
    }
}

/// A `target NAME { lints { … } }` entry that allows a backend's lint still
/// lists the loss as accepted (`build` and `targets` print it).
#[test]
fn a_loss_allowed_for_one_target_is_still_accepted() {
    let text = include_str!("golden/ok/accepted-loss/plugin.mcpc");
    for cli in [vec![], vec![(Code::MissingToolFilter, Level::Allow)]] {
        let mut map = SourceMap::new();
        map.add(SourceFile::new("plugin.mcpc", text));
        let mut c = Compilation::new(map, levels(&cli));
        c.build_each(&Plan::default());
        let accepted = c.accepted();
        assert!(!accepted.is_empty(), "{cli:?}");
        assert!(
            accepted
                .iter()
                .all(|(d, s)| d.code == Code::LossyLowering && s.level == Level::Allow)
        );
    }
}

/// The machine-readable formats show an allowed lint once a level makes it
/// a warning, and not before.
#[test]
fn message_formats_show_an_allowed_lint_only_when_levelled_up() {
    let dir = std::env::temp_dir().join(format!("mcpc-allowed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("plugin.mcpc");
    std::fs::write(
        &file,
        PLUGIN.replace("sk-live-0123456789abcdef0123", "${secret.KEY}"),
    )
    .unwrap();
    for format in ["json", "short", "sarif", "github"] {
        for (extra, shown) in [(None, false), (Some("--warn"), true)] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcpc"));
            cmd.args(["check", file.to_str().unwrap(), "--message-format", format]);
            if let Some(flag) = extra {
                cmd.args([flag, "missing-tool-filter"]);
            }
            let out = cmd.env("NO_COLOR", "1").output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{format} {extra:?}");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                all.contains("has no tool allow-list"),
                shown,
                "{format} {extra:?}: {all}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
