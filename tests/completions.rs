//! `mcpc --version`, `mcpc completions SHELL` and `mcpc man`, through the
//! real binary; bash's completion is exercised in a real bash.

use std::fs;
use std::process::Command;

fn mcpc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(args: &[&str]) -> String {
    let o = mcpc(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn version_names_the_commit() {
    let text = stdout(&["--version"]);
    let expected_start = format!("mcpc {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected_start), "{text}");
    let commit = text[expected_start.len()..]
        .trim_end()
        .trim_end_matches(')');
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match head {
        Ok(o) if o.status.success() => {
            assert_eq!(
                commit,
                String::from_utf8(o.stdout).unwrap().trim(),
                "{text}"
            )
        }
        _ => assert!(commit == "unknown" || commit.len() == 12, "{text}"),
    }
}

/// What bash offers after typing `words` (the last one partial).
fn bash_complete(script: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n_mcpc mcpc '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let o = Command::new("bash")
        .args(["-c", &program])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_values() {
    let script = stdout(&["completions", "bash"]);
    let offered = bash_complete(&script, &["mcpc", "bui"]);
    assert_eq!(offered, ["build"]);
    let offered = bash_complete(&script, &["mcpc", "build", "--message-format", ""]);
    for format in ["human", "short", "json", "github", "sarif"] {
        assert!(offered.iter().any(|o| o == format), "{offered:?}");
    }
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&["completions", shell]);
        for sub in [
            "check",
            "build",
            "apply",
            "verify",
            "import",
            "fmt",
            "completions",
        ] {
            assert!(script.contains(sub), "{shell}: {sub}");
        }
    }
    let o = mcpc(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_pages_for_the_command_and_each_subcommand() {
    let dir = std::env::temp_dir().join(format!("mcpc-man-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let o = mcpc(&["man", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success());
    let top = fs::read_to_string(dir.join("mcpc.1")).unwrap();
    assert!(top.contains(".TH mcpc 1"), "{top}");
    for sub in [
        "check", "build", "fmt", "apply", "rollback", "verify", "import", "probe",
    ] {
        let page = fs::read_to_string(dir.join(format!("mcpc-{sub}.1"))).unwrap();
        assert!(page.contains(&format!(".TH mcpc-{sub} 1")), "{sub}");
        assert!(
            top.contains(&format!("mcpc\\-{sub}(1)")),
            "{sub} listed in mcpc.1"
        );
    }
    let build = fs::read_to_string(dir.join("mcpc-build.1")).unwrap();
    assert!(build.contains("\\fBmcpc build\\fR"), "{build}");
    assert!(build.contains("sarif"), "{build}");
    // Rendered by a real roff (UTF-8 input through preconv, as man does),
    // when there is one: no warnings.
    let groff = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .arg(dir.join("mcpc-build.1"))
        .output();
    if groff.is_err() && std::env::var_os("CI").is_some() {
        panic!("groff is missing; .ci/run installs it (Debian's groff-base)");
    }
    if let Ok(o) = groff {
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    fs::remove_dir_all(&dir).unwrap();
}
