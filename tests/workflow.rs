//! The team workflow (issue #14): several targets in one command, builds
//! that keep the other targets' output, the `apply --check` gate, and
//! `import` of every format mcpc writes.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("mcpc-workflow-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn write(&self, path: &str, text: &str) {
        let p = self.0.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    /// Writes `p.mcpc`: plugin `acme` with `servers` servers, the `i`th
    /// as `server(i)` writes it.
    fn plugin(&self, servers: usize, server: impl Fn(usize) -> String) {
        let mut source = String::from("plugin \"acme\" {\n  version = \"1.0.0\"\n");
        (0..servers).for_each(|i| source.push_str(&server(i)));
        self.write("p.mcpc", &(source + "}\n"));
    }
    fn exists(&self, path: &str) -> bool {
        self.0.join(path).exists()
    }
    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.0.join(path)).unwrap()
    }
    fn run(&self, args: &[&str]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .env_remove("CODEX_HOME")
            .env_remove("HERMES_HOME")
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("GEMINI_CLI_HOME")
            .output()
            .unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn code(&self, want: i32) -> &Run {
        assert_eq!(self.code, Some(want), "{self:#?}");
        self
    }

    /// Asserts that stderr says `text`.
    #[track_caller]
    fn says(&self, text: &str) -> &Run {
        assert!(self.stderr.contains(text), "{}", self.stderr);
        self
    }
}

/// A deny-list: built for the four targets that can deny a tool and run
/// here end to end (opencode, Copilot CLI, Amp and Auggie cannot).
const DOCS: &str = r#"plugin "acme" {
  version = "1.0.0"
  targets = ["claude-code", "codex", "hermes", "gemini"]
  server "docs" {
    url = "https://docs.acme.dev/mcp"
    tools { deny = ["drop"] }
  }
}
"#;

/// Every target can express DOCS except Claude Code, which has no allow-list.
const ALLOW_LIST: &str = r#"plugin "acme" {
  version = "1.0.0"
  server "docs" {
    url = "https://docs.acme.dev/mcp"
    tools { allow = ["search"] }
  }
}
"#;

fn manifest_targets(d: &Dir, out: &str) -> Vec<String> {
    let m: serde_json::Value =
        serde_json::from_str(&d.read(&format!("{out}/mcpc-delivery.json"))).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["target"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_build_keeps_the_output_of_the_targets_it_did_not_build() {
    let d = Dir::new("keep");
    d.write("p.mcpc", DOCS);
    d.run(&["build", "--target", "codex", "--out", "o"]).code(0);
    d.run(&["build", "--target", "gemini", "--out", "o"])
        .code(0);
    assert!(d.exists("o/codex/.codex/config.toml"), "codex output lost");
    assert!(d.exists("o/gemini/.gemini/settings.json"));
    assert_eq!(
        manifest_targets(&d, "o"),
        [
            "codex:codex/.codex/config.toml",
            "gemini:gemini/.gemini/settings.json"
        ]
    );
    // The kept half is still up to date, and --check of one target agrees.
    d.run(&["build", "--target", "codex", "--out", "o", "--check"])
        .code(0);
    // Rebuilding gemini alone replaces only gemini's entry.
    d.write("p.mcpc", &DOCS.replace("docs.acme.dev", "help.acme.dev"));
    d.run(&["build", "--target", "gemini", "--out", "o"])
        .code(0);
    assert!(
        d.read("o/gemini/.gemini/settings.json")
            .contains("help.acme.dev")
    );
    assert!(
        d.read("o/codex/.codex/config.toml")
            .contains("docs.acme.dev")
    );
    assert_eq!(manifest_targets(&d, "o").len(), 2);
}

#[test]
fn targets_as_a_list_repeated_or_all_on_build() {
    let d = Dir::new("list");
    d.write("p.mcpc", DOCS);
    d.run(&[
        "build",
        "--target",
        "codex,gemini",
        "--target",
        "hermes",
        "--out",
        "o",
    ])
    .code(0);
    assert_eq!(
        manifest_targets(&d, "o"),
        [
            "codex:codex/.codex/config.toml",
            "gemini:gemini/.gemini/settings.json",
            "hermes:hermes/.hermes/config.yaml"
        ]
    );
    let bad = d.run(&["build", "--target", "codex,nope"]);
    bad.code(2);
    assert!(bad.stderr.contains("or `all`"), "{}", bad.stderr);
}

#[test]
fn one_targets_error_does_not_stop_the_others_unless_strict() {
    let d = Dir::new("isolate");
    d.write("p.mcpc", ALLOW_LIST);
    let run = d.run(&["build", "--target", "all", "--out", "o"]);
    run.code(1);
    run.says("error[unsupported-feature]");
    run.says("claude-code: not built");
    for f in [
        "codex/.codex/config.toml",
        "gemini/.gemini/settings.json",
        "hermes/.hermes/config.yaml",
    ] {
        assert!(d.exists(&format!("o/{f}")), "{f} not written");
    }
    assert!(!d.exists("o/claude-code"));
    d.run(&["build", "--target", "all", "--out", "strict", "--strict"])
        .code(1);
    assert!(
        !d.exists("strict"),
        "--strict wrote output despite an error"
    );
    // Front-end errors stop every target.
    d.write("p.mcpc", "plugin \"acme\" { version = \"1.0\" }\n");
    d.run(&["build", "--target", "all", "--out", "front"])
        .code(1);
    assert!(!d.exists("front"));
}

/// `--strict` writes every file or none: a file that cannot be written
/// stops the others too, those made ready before it included (a config
/// file spooled to disk, Claude Code's settings file held in memory, the
/// directories made for them), and the manifest is one of them. Without
/// `--strict` the targets before it are written.
#[test]
fn a_strict_build_that_cannot_write_a_file_writes_none() {
    let d = Dir::new("strict-io");
    d.write("p.mcpc", DOCS);
    d.run(&["build", "--target", "all", "--out", "o"]).code(0);
    let hermes = d.read("o/hermes/.hermes/config.yaml");
    let manifest = d.read("o/mcpc-delivery.json");
    d.write(
        "p.mcpc",
        &DOCS
            .replace("docs.acme.dev", "docs2.acme.dev")
            .replace("\"drop\"", "\"drop_all\""),
    );
    // Claude Code's files come first, made again with their directories;
    // Codex's directory cannot be made.
    fs::remove_dir_all(d.0.join("o/claude-code")).unwrap();
    fs::remove_dir_all(d.0.join("o/codex")).unwrap();
    d.write("o/codex", "not a directory\n");
    let strict = d.run(&["build", "--target", "all", "--out", "o", "--strict"]);
    strict.code(2);
    strict.says("o/codex/.codex/config.toml");
    let untouched = |d: &Dir| {
        assert!(
            !d.exists("o/claude-code"),
            "a directory made for --strict is left"
        );
        assert_eq!(d.read("o/hermes/.hermes/config.yaml"), hermes);
        assert_eq!(temporary_files(&d.0.join("o")), Vec::<PathBuf>::new());
    };
    untouched(&d);
    assert_eq!(d.read("o/mcpc-delivery.json"), manifest);
    // The manifest cannot be written: a directory is in its place.
    fs::remove_file(d.0.join("o/codex")).unwrap();
    fs::remove_file(d.0.join("o/mcpc-delivery.json")).unwrap();
    fs::create_dir(d.0.join("o/mcpc-delivery.json")).unwrap();
    let strict = d.run(&["build", "--target", "all", "--out", "o", "--strict"]);
    strict.code(2);
    strict.says("o/mcpc-delivery.json");
    untouched(&d);
    assert!(!d.exists("o/codex"));
    // Without it, what comes before the failed file is written.
    fs::remove_dir(d.0.join("o/mcpc-delivery.json")).unwrap();
    d.write("o/codex", "not a directory\n");
    d.run(&["build", "--target", "claude-code,codex", "--out", "o"])
        .code(2);
    assert!(d.read("o/claude-code/.mcp.json").contains("docs2.acme.dev"));
}

/// Every file under `dir` whose name is a temporary file's.
fn temporary_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            found.extend(temporary_files(&path));
        } else if path.to_string_lossy().contains(".mcpc-tmp.") {
            found.push(path);
        }
    }
    found
}

/// A config file is written to disk as its backend makes it, before the
/// target's errors are known: a target that fails leaves no trace of this
/// build (no temporary file, no directory made for it), and its earlier
/// output is kept byte for byte.
#[test]
fn a_failed_target_leaves_its_earlier_output_and_nothing_else() {
    let d = Dir::new("spooled");
    d.write("p.mcpc", DOCS);
    d.run(&["build", "--target", "all", "--out", "o"]).code(0);
    let earlier = d.read("o/claude-code/.mcp.json");
    d.write("p.mcpc", ALLOW_LIST);
    let run = d.run(&["build", "--target", "all", "--out", "o"]);
    run.code(1);
    run.says("claude-code: not built");
    assert_eq!(d.read("o/claude-code/.mcp.json"), earlier);
    assert!(
        d.read("o/codex/.codex/config.toml")
            .contains("enabled_tools")
    );
    assert_eq!(temporary_files(&d.0.join("o")), Vec::<PathBuf>::new());
    // Into a fresh directory: the failed target's directories are not made.
    d.run(&["build", "--target", "claude-code,codex", "--out", "fresh"])
        .code(1);
    assert!(d.exists("fresh/codex/.codex/config.toml"));
    assert!(!d.exists("fresh/claude-code"));
    assert_eq!(temporary_files(&d.0.join("fresh")), Vec::<PathBuf>::new());
    // Only the failing target: nothing at all, nor the directories made
    // above the output directory for it; those there before stay.
    d.run(&["build", "--target", "claude-code", "--out", "none"])
        .code(1);
    assert!(!d.exists("none"));
    d.run(&["build", "--target", "claude-code", "--out", "a/b/none"])
        .code(1);
    assert!(!d.exists("a"));
    d.write("kept/file", "");
    d.run(&["build", "--target", "claude-code", "--out", "kept/b/none"])
        .code(1);
    assert!(d.exists("kept/file") && !d.exists("kept/b"));
    d.run(&["build", "--target", "codex", "--out", "c/d/out"])
        .code(0);
    assert!(d.exists("c/d/out/codex/.codex/config.toml"));
}

/// A target's directory that is a link inside the output directory, to
/// directories not there yet: a failed build drops those it made; one that
/// succeeds writes through the link.
#[test]
fn a_failed_target_behind_a_link_drops_the_directories_it_made() {
    let d = Dir::new("link-inside");
    d.write("p.mcpc", ALLOW_LIST);
    fs::create_dir_all(d.0.join("o")).unwrap();
    std::os::unix::fs::symlink("x/y/z", d.0.join("o/claude-code")).unwrap();
    std::os::unix::fs::symlink("u/v", d.0.join("o/codex")).unwrap();
    d.run(&["build", "--target", "claude-code", "--out", "o"])
        .code(1);
    assert!(
        !d.exists("o/x"),
        "the directories made behind the link stay"
    );
    d.run(&["build", "--target", "codex", "--out", "o"]).code(0);
    assert!(d.read("o/u/v/.codex/config.toml").contains("enabled_tools"));
    assert_eq!(temporary_files(&d.0.join("o")), Vec::<PathBuf>::new());
}

/// At scale the targets are built side by side: the same holds, and each
/// target's files are what building that target alone writes (one target
/// is built on this thread); `--check` then finds the directory up to date.
#[test]
fn targets_built_side_by_side_write_what_each_alone_writes() {
    let d = Dir::new("side-by-side");
    d.plugin(300, |i| format!("  server \"docs-{i}\" {{\n    url = \"https://docs{i}.acme.dev/mcp\"\n    tools {{ allow = [\"search\"] }}\n  }}\n"));
    let run = d.run(&["build", "--target", "all", "--out", "all"]);
    run.code(1);
    run.says("claude-code: not built");
    assert!(!d.exists("all/claude-code"));
    assert_eq!(temporary_files(&d.0.join("all")), Vec::<PathBuf>::new());
    let built = manifest_targets(&d, "all");
    assert!(built.len() > 5, "{built:?}");
    for entry in &built {
        let (target, path) = entry.split_once(':').unwrap();
        d.run(&["build", "--target", target, "--out", target])
            .code(0);
        assert!(
            d.read(&format!("all/{path}")) == d.read(&format!("{target}/{path}")),
            "{path} differs from {target} built alone"
        );
    }
    let check = d.run(&["build", "--target", "all", "--out", "all", "--check"]);
    check.code(1);
    assert!(check.stderr.contains("up to date: all"), "{check:#?}");
}

/// Links in the output directory (a cloned repository's) may lead two
/// targets' files to one real file: the second put there is refused, in
/// target order, on one thread (a few servers) and built side by side (300:
/// each target's temporary file has its own name, so none takes another's).
/// The file holds the first target's build; nothing is left half-made.
#[test]
fn two_targets_led_to_one_file_write_the_first_and_refuse_the_second() {
    for servers in [2, 300] {
        let d = Dir::new(&format!("one-file-{servers}"));
        d.plugin(servers, |i| {
            format!(
                "  server \"docs-{i}\" {{\n    command = \"npx\"\n    args = [\"docs-{i}\"]\n  }}\n"
            )
        });
        d.run(&["build", "--target", "gemini", "--out", "alone"])
            .code(0);
        for run in 0..3 {
            let out = format!("o{run}");
            fs::create_dir_all(d.0.join(&out).join("shared")).unwrap();
            for target in ["gemini", "qwen"] {
                fs::create_dir_all(d.0.join(&out).join(target)).unwrap();
                std::os::unix::fs::symlink(
                    "../shared",
                    d.0.join(&out).join(format!("{target}/.{target}")),
                )
                .unwrap();
            }
            let one = "two files of the build are one: `gemini/.gemini/settings.json` and `qwen/.qwen/settings.json` both lead to";
            let check = d.run(&["build", "--target", "all", "--out", &out, "--check"]);
            check.code(2);
            check.says(one);
            let built = d.run(&["build", "--target", "all", "--out", &out]);
            built.code(2);
            built.says(one);
            assert!(
                d.read(&format!("{out}/shared/settings.json"))
                    == d.read("alone/gemini/.gemini/settings.json"),
                "{servers} servers, run {run}: the shared file is not gemini's"
            );
            assert_eq!(temporary_files(&d.0.join(&out)), Vec::<PathBuf>::new());
        }
    }
    // A package's files are made whole before they are written: the same.
    let d = Dir::new("one-file-package");
    d.plugin(1, |_| {
        "  server \"docs\" { url = \"https://docs.acme.dev/mcp\" }\n".into()
    });
    fs::create_dir_all(d.0.join("o/acme/.claude-plugin")).unwrap();
    std::os::unix::fs::symlink(".claude-plugin", d.0.join("o/acme/.codex-plugin")).unwrap();
    let built = d.run(&[
        "build", "--target", "all", "--emit", "package", "--out", "o",
    ]);
    built.code(2);
    built.says("two files of the build are one: `acme/.claude-plugin/plugin.json` and `acme/.codex-plugin/plugin.json`");
    assert!(
        d.read("o/acme/.claude-plugin/plugin.json")
            .contains("\"name\"")
    );
    assert_eq!(temporary_files(&d.0.join("o")), Vec::<PathBuf>::new());
}

/// A build interrupted (SIGTERM, SIGINT) while its files are being
/// written removes its temporary files, then ends as the signal ends a
/// process; the output directory holds no hidden leftover.
#[test]
fn an_interrupted_build_leaves_no_temporary_file() {
    use nix::sys::signal::{Signal, kill};
    use std::os::unix::process::ExitStatusExt;
    let d = Dir::new("interrupted");
    d.plugin(20_000, |i| format!("  server \"docs-{i}\" {{\n    command = \"npx\"\n    args = [\"docs-{i}@1.0.0\", \"--stdio\"]\n  }}\n"));
    for (signal, out) in [(Signal::SIGTERM, "term"), (Signal::SIGINT, "int")] {
        let mut build = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(["build", "--target", "all", "--out", out])
            .current_dir(&d.0)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Interrupted once a temporary file is there to be left.
        let started = std::time::Instant::now();
        while !d.exists(out) || temporary_files(&d.0.join(out)).is_empty() {
            assert!(
                build.try_wait().unwrap().is_none(),
                "the build ended before it could be interrupted"
            );
            assert!(started.elapsed().as_secs() < 120, "no temporary file");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        kill(nix::unistd::Pid::from_raw(build.id() as i32), signal).unwrap();
        let status = build.wait().unwrap();
        assert_eq!(status.signal(), Some(signal as i32), "{status:?}");
        assert_eq!(temporary_files(&d.0.join(out)), Vec::<PathBuf>::new());
        // Ended while writing, not at the end of the build.
        assert!(!d.exists(&format!("{out}/mcpc-delivery.json")));
    }
    // Started with SIGHUP ignored (as `nohup` starts it), it stays so: the
    // build goes on to its end.
    let mut build = Command::new("sh")
        .args(["-c", "trap '' HUP; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_mcpc"))
        .args(["build", "--target", "all", "--out", "hup"])
        .current_dir(&d.0)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while !d.exists("hup") || temporary_files(&d.0.join("hup")).is_empty() {
        assert!(build.try_wait().unwrap().is_none(), "the build ended first");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    kill(
        nix::unistd::Pid::from_raw(build.id() as i32),
        Signal::SIGHUP,
    )
    .unwrap();
    let status = build.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(d.read("hup/claude-code/.mcp.json").contains("docs-19999"));
}

/// `--strict` puts its files in place before it shows the diagnostics: a
/// report blocked on a full pipe holds no temporary file (an interrupt is
/// acted on at a step of writing, and the report is none).
#[test]
fn a_strict_build_puts_its_files_before_its_report() {
    use std::io::Read;
    let d = Dir::new("strict-report");
    // Warnings (names not portable, packages not pinned) well past what a
    // pipe holds, and no error.
    d.plugin(400, |i| {
        format!(
            "  server \"docs_{i}\" {{\n    command = \"npx\"\n    args = [\"docs-{i}\"]\n  }}\n"
        )
    });
    let mut build = Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args(["build", "--strict", "--target", "all", "--out", "o"])
        .current_dir(&d.0)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = build.stderr.take().unwrap();
    let mut first = [0u8; 1];
    stderr.read_exact(&mut first).unwrap();
    // The report has begun (and stops at the full pipe): the files are in
    // place, none is left in a temporary one.
    assert_eq!(temporary_files(&d.0.join("o")), Vec::<PathBuf>::new());
    assert!(d.read("o/claude-code/.mcp.json").contains("docs_399"));
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("unpinned-package"), "{rest}");
    assert_eq!(build.wait().unwrap().code(), Some(0));
}

#[test]
fn apply_check_verify_and_rollback_take_several_targets() {
    let d = Dir::new("deliver");
    d.write("p.mcpc", DOCS);
    let gate = d.run(&["apply", "--check", "--target", "all"]);
    gate.code(1);
    for file in [
        ".mcp.json",
        ".codex/config.toml",
        ".hermes/config.yaml",
        ".gemini/settings.json",
    ] {
        assert!(
            gate.stdout.contains(&format!("{file}\n")),
            "no diff for {file}:\n{}",
            gate.stdout
        );
        assert!(!d.exists(file), "--check wrote {file}");
    }
    d.run(&["apply", "--target", "codex,gemini"]).code(0);
    assert!(d.exists(".codex/config.toml") && d.exists(".gemini/settings.json"));
    assert!(!d.exists(".mcp.json"));
    d.run(&[
        "apply", "--check", "--target", "codex", "--target", "gemini",
    ])
    .code(0);
    let gate = d.run(&["apply", "--check", "--target", "all"]);
    gate.code(1);
    assert!(gate.stdout.contains(".mcp.json"), "{}", gate.stdout);
    assert!(
        !gate.stdout.contains(".codex/config.toml"),
        "{}",
        gate.stdout
    );
    d.run(&["apply", "--target", "all"]).code(0);
    d.run(&["apply", "--check", "--target", "all"]).code(0);
    let verified = d.run(&["verify", "--target", "all"]);
    verified.code(0);
    assert_eq!(
        verified.stdout.matches("present  docs").count(),
        4,
        "{}",
        verified.stdout
    );
    // A hand edit in one runtime's file fails the gate.
    let codex = d
        .read(".codex/config.toml")
        .replace("docs.acme.dev", "evil.example");
    d.write(".codex/config.toml", &codex);
    let gate = d.run(&["apply", "--check", "--target", "all"]);
    gate.code(1);
    d.run(&["verify", "--target", "codex,hermes"]).code(1);
    d.run(&["rollback", "--target", "hermes,claude-code"])
        .code(0);
    assert!(!d.exists(".hermes/config.yaml") && !d.exists(".mcp.json"));
    assert!(d.exists(".gemini/settings.json"));
    d.run(&["apply"]).code(2);
}
