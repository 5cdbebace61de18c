//! The project's own examples (`examples/`, shown in the README) build for
//! every target in every emit mode: config files and packages.

use std::path::Path;
use std::process::Command;

fn build(emit: &str, out: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args([
            "build", "examples", "--target", "all", "--emit", emit, "--out",
        ])
        .arg(out)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_examples_build_in_every_emit_mode() {
    let out = std::env::temp_dir().join(format!("mcpc-examples-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    for emit in ["config", "package"] {
        let dir = out.join(emit);
        let (code, stderr) = build(emit, &dir);
        assert_eq!(code, 0, "--emit {emit}:\n{stderr}");
        assert!(!stderr.contains("error["), "--emit {emit}:\n{stderr}");
        if emit == "package" {
            // The deny-list a Claude Code plugin cannot ship is said, with the
            // exact settings rule that replaces it.
            assert!(
                stderr.contains("accepted: examples/molecule/platform.mcpc")
                    && stderr.contains("packaged without it")
                    && stderr
                        .contains("\"mcp__plugin_molecule-platform_platform__delete_workspace\""),
                "{stderr}"
            );
        } else {
            // Config still denies the tool in Claude Code's settings.
            let settings =
                std::fs::read_to_string(dir.join("claude-code/.claude/settings.json")).unwrap();
            assert!(
                settings.contains("mcp__platform__delete_workspace"),
                "{settings}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}
