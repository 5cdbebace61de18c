//! `.pre-commit-hooks.yaml` under the real pre-commit (PyPI, pinned in
//! scripts/tools.sh): `pre-commit try-repo` of this checkout on a sample
//! repository. A clean repository passes every hook; a broken declaration
//! fails `mcpc-check` with its diagnostic; a declaration changed without
//! rebuilding fails `mcpc-build-check` with the diff; a misformatted file
//! fails `mcpc-fmt` and is formatted.

mod sample_repo;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sample_repo::{BROKEN, DECLARATION, Repo, path_with_mcpc, text};

/// The pre-commit to run: `$PRE_COMMIT`, the one scripts/tools.sh
/// installed, or one on PATH. None: skip loudly, except under CI.
fn pre_commit() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("PRE_COMMIT").map(PathBuf::from),
        Some(root.join(".tools/py/bin/pre-commit")),
        Some(PathBuf::from("pre-commit")),
    ];
    for candidate in candidates.into_iter().flatten() {
        let ok = Command::new(&candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(candidate);
        }
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "pre-commit is not installed: run scripts/tools.sh (CI must run these tests)"
    );
    eprintln!(
        "\n*** SKIPPED: pre-commit is not installed; run scripts/tools.sh to test .pre-commit-hooks.yaml ***\n"
    );
    None
}

/// `pre-commit try-repo <this checkout> HOOK --all-files` in the sample.
fn try_repo(pre_commit: &Path, repo: &Repo, hook: Option<&str>) -> Output {
    let home = repo.dir.with_extension("pre-commit-home");
    let mut cmd = Command::new(pre_commit);
    cmd.args(["try-repo", env!("CARGO_MANIFEST_DIR")]);
    cmd.args(hook);
    cmd.args(["--all-files", "--color", "never"])
        .current_dir(&repo.dir)
        .env("PATH", path_with_mcpc())
        .env("PRE_COMMIT_HOME", &home)
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(home);
    out
}

#[test]
fn hooks_pass_a_clean_repository_and_fail_each_problem_with_its_message() {
    let Some(pre_commit) = pre_commit() else {
        return;
    };

    let repo = Repo::new("precommit");
    let clean = try_repo(&pre_commit, &repo, None);
    let out = text(&clean);
    assert!(clean.status.success(), "{out}");
    for name in ["mcpc check", "mcpc fmt", "mcpc build --check"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(name) && l.ends_with("Passed")),
            "hook `{name}` did not pass:\n{out}"
        );
    }

    // A broken declaration: mcpc-check fails, showing the diagnostic.
    repo.write("plugin.mcpc", BROKEN);
    let broken = try_repo(&pre_commit, &repo, Some("mcpc-check"));
    let out = text(&broken);
    assert!(!broken.status.success(), "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("unknown-attribute"), "{out}");
    assert!(out.contains("did you mean `command`?"), "{out}");
    assert!(out.contains("plugin.mcpc:5:"), "{out}");

    // The declaration changed, the generated files not rebuilt: the diff.
    repo.write("plugin.mcpc", &DECLARATION.replace("\".\"]", "\"docs\"]"));
    repo.git(&["add", "-A"]);
    let stale = try_repo(&pre_commit, &repo, Some("mcpc-build-check"));
    let out = text(&stale);
    assert!(!stale.status.success(), "{out}");
    assert!(out.contains("--- a/claude-code/.mcp.json"), "{out}");
    assert!(out.contains("+++ b/claude-code/.mcp.json"), "{out}");
    assert!(out.contains("+        \"docs\""), "{out}");
    assert!(out.contains("-        \".\""), "{out}");

    // A misformatted file: mcpc-fmt formats it and fails the commit.
    repo.write(
        "plugin.mcpc",
        &DECLARATION.replace("version = ", "version="),
    );
    let unformatted = try_repo(&pre_commit, &repo, Some("mcpc-fmt"));
    let out = text(&unformatted);
    assert!(!unformatted.status.success(), "{out}");
    assert!(out.contains("files were modified by this hook"), "{out}");
    assert_eq!(repo.read("plugin.mcpc"), DECLARATION);
}
