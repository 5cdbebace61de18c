//! The real binary in a temporary directory: exit codes, output formats,
//! files written (or not), `--check` drift detection, determinism.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("mcpc-cli-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Tmp(dir)
    }
    fn write(&self, path: &str, text: &str) {
        let p = self.0.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    fn mcpc(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(args)
            .current_dir(&self.0)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const BAD: &str = r#"plugin "acme" {
  version = "1.0"
  server "docs" {
    url = "http://docs.acme.dev/mcp"
  }
}
"#;

#[test]
fn check_examples_succeeds() {
    let t = Tmp::new("check-ok");
    let out = t.mcpc(&["check", examples().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("0 errors"));
}

#[test]
fn json_diagnostics_have_the_documented_fields() {
    let t = Tmp::new("json");
    t.write("bad.mcpc", BAD);
    let out = t.mcpc(&["check", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let version = &lines[0];
    assert_eq!(version["code"], "invalid-value");
    assert_eq!(version["severity"], "error");
    assert_eq!(version["file"], "bad.mcpc");
    assert_eq!(
        (version["line"].as_u64(), version["column"].as_u64()),
        (Some(2), Some(13))
    );
    assert_eq!(
        (version["end_line"].as_u64(), version["end_column"].as_u64()),
        (Some(2), Some(18))
    );
    assert!(version["help"].as_str().unwrap().contains("1.0.0"));
    assert!(version["labels"].is_array());
    assert_eq!(lines[1]["code"], "insecure-url");
    assert_eq!(lines[1]["line"].as_u64(), Some(4));
}

#[test]
fn short_format_and_lint_flags() {
    let t = Tmp::new("short");
    t.write("bad.mcpc", BAD);
    let out = t.mcpc(&[
        "check",
        "--message-format",
        "short",
        "--warn",
        "insecure-url",
    ]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.mcpc:2:13: error[invalid-value]: `1.0` is not a semantic version"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.mcpc:4:11: warning[insecure-url]:"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
    let out = t.mcpc(&["check", "--deny", "no-such-lint"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown lint `no-such-lint`"));
    let out = t.mcpc(&["check", "--allow", "syntax-error"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn warnings_only_exit_zero() {
    let t = Tmp::new("warn");
    t.write("p.mcpc", "plugin \"p\" { version = \"1.0.0\" }\n");
    let out = t.mcpc(&["check", "p.mcpc"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("warning[empty-plugin]"));
}

#[test]
fn io_errors_exit_two() {
    let t = Tmp::new("io");
    let out = t.mcpc(&["check", "missing.mcpc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read `missing.mcpc`"));
}

#[test]
fn build_is_deterministic_and_check_detects_drift() {
    let t = Tmp::new("build");
    t.write(
        "src/p.mcpc",
        &fs::read_to_string(examples().join("molecule/platform.mcpc")).unwrap(),
    );
    let out = t.mcpc(&["build", "src", "--target", "all", "--out", "a"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = t.mcpc(&["build", "src", "--target", "all", "--out", "b"]);
    assert_eq!(out.status.code(), Some(0));
    for f in [
        "codex/.codex/config.toml",
        "claude-code/.mcp.json",
        "hermes/.hermes/config.yaml",
        "gemini/.gemini/settings.json",
        "mcpc-delivery.json",
    ] {
        let a = fs::read(t.0.join("a").join(f)).unwrap();
        assert_eq!(
            a,
            fs::read(t.0.join("b").join(f)).unwrap(),
            "{f} differs between builds"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(t.0.join("a/mcpc-delivery.json")).unwrap()).unwrap();
    let codex = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["target"] == "codex")
        .unwrap();
    assert_eq!(codex["path"], "codex/.codex/config.toml");
    assert_eq!(codex["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(codex["servers"], serde_json::json!(["platform", "docs"]));

    let out = t.mcpc(&["build", "src", "--target", "all", "--out", "a", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).is_empty());

    let edited = fs::read_to_string(t.0.join("src/p.mcpc"))
        .unwrap()
        .replace("tool_timeout = 2m", "tool_timeout = 3m");
    t.write("src/p.mcpc", &edited);
    let before = fs::read(t.0.join("a/hermes/.hermes/config.yaml")).unwrap();
    let out = t.mcpc(&["build", "src", "--target", "all", "--out", "a", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let diff = text(&out.stdout);
    assert!(
        diff.contains("-    timeout: 120\n+    timeout: 180\n"),
        "{diff}"
    );
    assert!(diff.contains("+++ b/claude-code/.mcp.json"), "{diff}");
    // The manifest's digests changed with the files, and it comes last.
    assert!(
        diff.trim_end()
            .rsplit("+++ ")
            .next()
            .unwrap()
            .starts_with("b/mcpc-delivery.json"),
        "{diff}"
    );
    assert_eq!(
        fs::read(t.0.join("a/hermes/.hermes/config.yaml")).unwrap(),
        before,
        "--check wrote a file"
    );
}

#[test]
fn a_failing_build_writes_nothing() {
    let t = Tmp::new("fail");
    t.write("bad.mcpc", BAD);
    let out = t.mcpc(&["build", "--target", "codex"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!t.0.join("mcpc-out").exists());
}

#[test]
fn stale_outputs_are_removed_on_rebuild() {
    let t = Tmp::new("stale");
    t.write("p.mcpc", "plugin \"p\" { version = \"1.0.0\" server \"s\" { url = \"https://s.acme.dev/mcp\" tools { deny = [\"x\"] } } }\n");
    assert_eq!(
        t.mcpc(&["build", "p.mcpc", "--target", "claude-code"])
            .status
            .code(),
        Some(0)
    );
    assert!(
        t.0.join("mcpc-out/claude-code/.claude/settings.json")
            .exists()
    );
    t.write(
        "p.mcpc",
        "plugin \"p\" { version = \"1.0.0\" server \"s\" { url = \"https://s.acme.dev/mcp\" } }\n",
    );
    let out = t.mcpc(&["build", "p.mcpc", "--target", "claude-code", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("+++ /dev/null"));
    assert_eq!(
        t.mcpc(&["build", "p.mcpc", "--target", "claude-code"])
            .status
            .code(),
        Some(0)
    );
    assert!(
        !t.0.join("mcpc-out/claude-code/.claude/settings.json")
            .exists()
    );
}

#[test]
fn workspace_builds_its_runtime_only() {
    let t = Tmp::new("ws");
    let out = t.mcpc(&[
        "build",
        examples().to_str().unwrap(),
        "--workspace",
        "seo-agent",
        "--out",
        "o",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let yaml = fs::read_to_string(t.0.join("o/hermes/.hermes/config.yaml")).unwrap();
    assert!(
        yaml.contains("  seo:\n") && yaml.contains("  platform:\n") && !yaml.contains("everything")
    );
    assert!(!t.0.join("o/codex").exists());
    let out = t.mcpc(&["build", examples().to_str().unwrap(), "--workspace", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`seo-agent`"));
}

#[test]
fn explain_and_targets() {
    let t = Tmp::new("explain");
    let out = t.mcpc(&["explain", "duplicate-server"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("# duplicate-server"));
    let out = t.mcpc(&["explain", "duplicate-servr"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `duplicate-server`?"));
    let out = t.mcpc(&["targets"]);
    let table = text(&out.stdout);
    let names = mcpc::Target::ALL.iter().map(|t| t.name());
    for t in names.chain([
        "bearer_token_env_var",
        "includeTools",
        "{env:X}",
        "httpUrl",
        "amp.mcpServers",
        "disabledTools",
        "proven:      against its real CLI, version 0.169.0",
        "proven:      documented",
    ]) {
        assert!(table.contains(t), "{t} missing from `mcpc targets`");
    }
}

#[test]
fn a_literal_secret_is_never_printed() {
    let t = Tmp::new("secret");
    let token = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
    t.write(
        "s.mcpc",
        &format!("plugin \"p\" {{\n  version = \"1.0\"\n  server \"gh\" {{\n    comand = \"x\"\n    env {{ GITHUB_TOKEN = \"{token}\" }}\n    args = [\"--t\", \"{token}\"]\n  }}\n}}\n"),
    );
    for extra in [&[][..], &["--allow", "plaintext-secret"][..]] {
        for format in ["human", "short", "json"] {
            let mut args = vec!["check", "s.mcpc", "--message-format", format];
            args.extend_from_slice(extra);
            let out = t.mcpc(&args);
            let all = text(&out.stdout) + &text(&out.stderr);
            assert!(
                !all.contains("0123456789abcdef"),
                "{format} {extra:?} printed the token:\n{all}"
            );
            assert_eq!(out.status.code(), Some(1));
        }
    }
}

#[test]
fn columns_after_a_masked_non_ascii_secret_are_those_of_the_text_as_written() {
    let t = Tmp::new("secret-columns");
    let line = "    env { API_TOKEN = \"pässwörd-0123456789abcdef\" } comand = \"x\"";
    t.write(
        "s.mcpc",
        &format!("plugin \"p\" {{\n  version = \"1.0\"\n  server \"s\" {{\n{line}\n  }}\n}}\n"),
    );
    let out = t.mcpc(&["check", "s.mcpc", "--message-format", "json"]);
    assert!(!text(&out.stdout).contains("0123456789abcdef"));
    let records: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Columns count characters from one, in the line as the user wrote it.
    let column = |byte: usize| line[..byte].chars().count() as u64 + 1;
    let quote = line.find('"').unwrap();
    let after_quote = line.rfind("\" }").unwrap() + 1;
    let attr = line.find("comand").unwrap();
    let find = |code: &str| {
        records
            .iter()
            .find(|r| r["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {records:?}"))
    };
    let secret = find("plaintext-secret");
    assert_eq!(
        (secret["line"].as_u64(), secret["column"].as_u64()),
        (Some(4), Some(column(quote)))
    );
    assert_eq!(secret["end_column"].as_u64(), Some(column(after_quote)));
    let unknown = find("unknown-attribute");
    assert_eq!(unknown["column"].as_u64(), Some(column(attr)));
}

#[test]
fn probe_lists_tools_times_them_and_reports_failures() {
    let t = Tmp::new("probe");
    let server = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_mcp.py");
    let s = server.display();
    t.write(
        "p.mcpc",
        &format!(
            r#"plugin "p" {{
  version = "1.0.0"
  server "good" {{ command = "python3" args = ["{s}"] tools {{ allow = ["add", "echo"] }} }}
  server "picky" {{ command = "python3" args = ["{s}", "--picky"] tools {{ allow = ["add", "missing"] }} }}
  server "broken" {{ command = "python3" args = ["{s}", "--fail"] }}
  server "slow" {{ command = "python3" args = ["{s}", "--hang"] }}
  server "off" {{ command = "python3" args = ["{s}", "--off"] enabled = false }}
}}
"#
        ),
    );
    let out = t.mcpc(&[
        "probe",
        "p.mcpc",
        "--timeout",
        "3",
        "--allow",
        "duplicate-launch",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let line = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}: {stdout}"))
            .to_owned()
    };
    assert!(
        line("good").starts_with("ok") && line("good").ends_with("2 tools"),
        "{stdout}"
    );
    assert!(
        line("picky").contains("allowed tools the server does not offer: `missing`"),
        "{stdout}"
    );
    assert!(
        line("broken").contains("the server exited") && line("broken").contains("failing as asked"),
        "{stdout}"
    );
    assert!(line("slow").contains("no answer within 3 s"), "{stdout}");
    assert!(stdout.contains("disabled off"), "{stdout}");
    let out = t.mcpc(&[
        "probe",
        "p.mcpc",
        "--server",
        "good",
        "--allow",
        "duplicate-launch",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = t.mcpc(&[
        "probe",
        "p.mcpc",
        "--server",
        "nope",
        "--allow",
        "duplicate-launch",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fmt_rewrites_and_check_reports() {
    let t = Tmp::new("fmt");
    let messy =
        "plugin \"p\" {\nversion=\"1.0.0\" // keep\n  server \"s\" { command = \"x\"  }\n}\n";
    t.write("p.mcpc", messy);
    let out = t.mcpc(&["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("+  version = \"1.0.0\" // keep"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        fs::read_to_string(t.0.join("p.mcpc")).unwrap(),
        messy,
        "--check wrote"
    );
    assert_eq!(t.mcpc(&["fmt"]).status.code(), Some(0));
    assert_eq!(
        fs::read_to_string(t.0.join("p.mcpc")).unwrap(),
        "plugin \"p\" {\n  version = \"1.0.0\" // keep\n  server \"s\" { command = \"x\" }\n}\n"
    );
    assert_eq!(t.mcpc(&["fmt", "--check"]).status.code(), Some(0));
    t.write("bad.mcpc", "plugin \"p\" { version = }\n");
    let out = t.mcpc(&["fmt", "bad.mcpc"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("syntax-error"));
    assert_eq!(
        fs::read_to_string(t.0.join("bad.mcpc")).unwrap(),
        "plugin \"p\" { version = }\n"
    );
}

#[test]
fn readme_and_language_guide_show_where_each_target_writes() {
    let table = mcpc::cli::files_table();
    for doc in ["README.md", "docs/language.md"] {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
        assert!(
            text.contains(&table),
            "{doc}: the table of target files is out of date; it should read:\n{table}"
        );
    }
}

#[test]
fn an_unknown_target_gets_a_did_you_mean() {
    let t = Tmp::new("unknown-target");
    t.write(
        "p.mcpc",
        "plugin \"p\" {\n  version = \"1.0.0\"\n  server \"s\" { command = \"x\" }\n}\n",
    );
    for args in [
        &["build", "p.mcpc", "--target", "opencod"][..],
        &["apply", "p.mcpc", "--target", "copilt"][..],
        &["import", "--from", "augie", "p.mcpc"][..],
    ] {
        let out = t.mcpc(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("unknown-target"), "{args:?}: {err}");
        let want = match args[0] {
            "build" => "did you mean `opencode`?",
            "apply" => "did you mean `copilot`?",
            _ => "did you mean `auggie`?",
        };
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

/// Issue #15, item 5: 100,000 nested lists or blocks are one
/// `nesting-too-deep` error (exit 1) for `check`, `fmt` and `build`, never a
/// stack overflow; `fmt` leaves the file as it was and `build` writes nothing.
#[test]
fn deep_nesting_is_an_error_not_an_abort() {
    let t = Tmp::new("deep");
    let lists = format!("plugin \"p\" {{ x = {} }}\n", "[".repeat(100_000));
    let blocks = "a {".repeat(100_000);
    for text in [lists, blocks] {
        t.write("deep.mcpc", &text);
        for args in [
            &["check", "deep.mcpc"][..],
            &["fmt", "deep.mcpc"],
            &["build", "deep.mcpc", "--target", "all", "--out", "out"],
        ] {
            let out = t.mcpc(args);
            let stderr = crate::text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
            assert!(stderr.contains("nesting-too-deep"), "{args:?}: {stderr}");
            assert_eq!(fs::read_to_string(t.0.join("deep.mcpc")).unwrap(), text);
            assert!(!t.0.join("out").exists(), "build wrote files");
        }
    }
}

/// `target NAME { lints { lossy-lowering = allow } }`: the filter Claude Code
/// cannot say is left out for it alone, the loss is listed by `build`,
/// `apply`, `verify` and `targets PATHS`, and verify agrees with the file.
#[test]
fn a_loss_accepted_for_one_target_is_built_listed_and_verified() {
    let t = Tmp::new("accepted-loss");
    let source = r#"plugin "acme" {
  version = "1.0.0"
  server "docs" {
    command = "docs-mcp"
    tools { allow = ["search"] }
  }
  target claude-code {
    lints { lossy-lowering = allow }
  }
}
"#;
    t.write("p.mcpc", source);
    let accepted = "accepted: p.mcpc:5:21: claude-code cannot express a tool allow-list";
    let out = t.mcpc(&[
        "build",
        "p.mcpc",
        "--target",
        "claude-code,codex",
        "--out",
        "o",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(accepted),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("(by `lossy-lowering = allow` at p.mcpc:8:13)"),
        "{}",
        text(&out.stderr)
    );
    let claude: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(t.0.join("o/claude-code/.mcp.json")).unwrap())
            .unwrap();
    assert_eq!(
        claude["mcpServers"]["docs"],
        serde_json::json!({"type": "stdio", "command": "docs-mcp"})
    );
    // Codex can say the filter, and keeps it.
    let codex = fs::read_to_string(t.0.join("o/codex/.codex/config.toml")).unwrap();
    let codex: toml::Value = toml::from_str(&codex).unwrap();
    assert_eq!(
        codex["mcp_servers"]["docs"]["enabled_tools"],
        toml::Value::Array(vec!["search".into()])
    );

    let out = t.mcpc(&["targets", "p.mcpc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listing = text(&out.stdout);
    let tail = listing
        .split("losses accepted in this unit")
        .nth(1)
        .expect("a section of accepted losses");
    assert!(tail.contains(accepted), "{listing}");

    fs::create_dir_all(t.0.join("r")).unwrap();
    let scope = [
        "--target",
        "claude-code",
        "--scope",
        "project",
        "--root",
        "r",
    ];
    let out = t.mcpc(&[&["apply", "p.mcpc"][..], &scope].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(accepted));
    let out = t.mcpc(&[&["verify", "p.mcpc"][..], &scope].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("present  docs"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains(accepted));

    // Without the block, the same source is an error and nothing is listed.
    t.write(
        "p.mcpc",
        &source.replace("    lints { lossy-lowering = allow }\n", ""),
    );
    let out = t.mcpc(&["build", "p.mcpc", "--target", "claude-code", "--out", "o2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[unsupported-feature]"));
    assert!(!text(&out.stderr).contains("accepted:"));
    assert!(!t.0.join("o2/claude-code").exists());
    let out = t.mcpc(&["targets", "p.mcpc"]);
    assert!(text(&out.stdout).ends_with("`target NAME { lints { … } }`):\n  none\n"));
}

/// `project.root` is the project's directory: `.` for runtimes that start
/// servers there, `${workspaceFolder}` for VS Code, refused in a user-scope
/// file; and VS Code's `${workspaceFolder}` imports back as `project.root`.
#[test]
fn project_root_is_written_per_runtime_and_refused_in_user_scope() {
    let t = Tmp::new("project-root");
    t.write(
        "p.mcpc",
        r#"plugin "repo" {
  version = "1.0.0"
  server "lint" {
    command = "${project.root}/tools/lint-mcp"
  }
}
"#,
    );
    fs::create_dir_all(t.0.join("proj")).unwrap();
    fs::create_dir_all(t.0.join("home")).unwrap();
    let project = ["--scope", "project", "--root", "proj"];
    let out = t.mcpc(
        &[
            &["apply", "p.mcpc", "--target", "vscode,codex"][..],
            &project,
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let vscode = fs::read_to_string(t.0.join("proj/.vscode/mcp.json")).unwrap();
    let vscode: serde_json::Value = serde_json::from_str(&vscode).unwrap();
    assert_eq!(
        vscode["servers"]["lint"]["command"],
        "${workspaceFolder}/tools/lint-mcp"
    );
    let codex = fs::read_to_string(t.0.join("proj/.codex/config.toml")).unwrap();
    let codex: toml::Value = toml::from_str(&codex).unwrap();
    assert_eq!(
        codex["mcp_servers"]["lint"]["command"].as_str(),
        Some("./tools/lint-mcp")
    );
    let out = t.mcpc(
        &[
            &["verify", "p.mcpc", "--target", "vscode,codex"][..],
            &project,
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    let out = t.mcpc(&["import", "--from", "vscode", "proj/.vscode/mcp.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(r#"command = "${project.root}/tools/lint-mcp""#),
        "{}",
        text(&out.stdout)
    );

    let user = ["--scope", "user", "--root", "home"];
    let out = t.mcpc(&[&["apply", "p.mcpc", "--target", "codex"][..], &user].concat());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot express `project.root` in a user-scope file"),
        "{}",
        text(&out.stderr)
    );
    assert!(!t.0.join("home/.codex/config.toml").exists());
}

/// `mcpc build --emit package` (target by target) writes the same package
/// as the golden case, Agent Plugins files included; a later build of one
/// reader into the same directory writes no pair that the other reader's
/// view contradicts; and with `--deny lossy-lowering` a gap fails the
/// readers, whose files are then not written.
#[test]
fn package_build_writes_agent_plugins_only_when_every_reader_agrees() {
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ok/package-agent-plugins");
    let t = Tmp::new("agent-plugins");
    let source = golden.join("p.mcpc");
    let out = t.mcpc(&[
        "build",
        source.to_str().unwrap(),
        "--target",
        "all",
        "--emit",
        "package",
        "--out",
        "pkg",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for file in [
        "plugin.json",
        "mcp.json",
        "qwen-extension.json",
        "codex.mcp.json",
    ] {
        assert_eq!(
            fs::read_to_string(t.0.join("pkg/acme-portable").join(file)).unwrap(),
            fs::read_to_string(golden.join("out/acme-portable").join(file)).unwrap(),
            "{file}"
        );
    }

    // Codex sees another server than Qwen: neither a full build nor a
    // Codex-only build into the same directory writes the pair.
    t.write(
        "split.mcpc",
        r#"plugin "split" {
  version = "1.0.0"
  targets = ["codex", "qwen"]
  server "s" { command = "acme" }
  target codex {
    server "s" { args = ["--codex"] }
  }
}
"#,
    );
    for target in ["all", "codex"] {
        let out = t.mcpc(&[
            "build",
            "split.mcpc",
            "--target",
            target,
            "--emit",
            "package",
            "--out",
            "split",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("see different servers"),
            "{target}: {}",
            text(&out.stderr)
        );
        assert!(t.0.join("split/split/codex.mcp.json").exists());
        assert!(!t.0.join("split/split/plugin.json").exists(), "{target}");
        assert!(!t.0.join("split/split/mcp.json").exists(), "{target}");
    }

    let secret = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ok/package/p.mcpc");
    let out = t.mcpc(&[
        "build",
        secret.to_str().unwrap(),
        "--target",
        "all",
        "--emit",
        "package",
        "--out",
        "denied",
        "--deny",
        "lossy-lowering",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        t.0.join("denied/acme-local/.claude-plugin/plugin.json")
            .exists()
    );
    assert!(!t.0.join("denied/acme-local/qwen-extension.json").exists());
    assert!(!t.0.join("denied/acme-local/codex.mcp.json").exists());
    assert!(!t.0.join("denied/acme-local/plugin.json").exists());
}

/// Issue #15, item 19: a hostile file — escape sequences and a BEL in its
/// name and in its contents next to an error — prints no escape sequence
/// in the human or short format, nor in a usage error naming the file.
#[test]
fn diagnostics_print_no_terminal_escapes() {
    let t = Tmp::new("escapes");
    let name = "x\u{1b}[2J\u{7}.mcpc";
    t.write(
        name,
        "plugin \"p\" {\n  version = \"1.0.0\"\n  // \u{1b}]0;pwned\u{7}\u{1b}[31m\n  colour = \"red\"\n}\n",
    );
    for format in ["human", "short"] {
        let out = t.mcpc(&["check", "--message-format", format, name]);
        let stderr = crate::text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.contains("unknown-attribute"), "{format}: {stderr}");
        assert!(
            stderr.contains("x\\u{1b}[2J\\u{7}.mcpc"),
            "{format}: {stderr}"
        );
        assert!(
            !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
            "{format}: {stderr:?}"
        );
    }
    let out = t.mcpc(&["check", "missing\u{1b}[2J.mcpc"]);
    let stderr = crate::text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing\\u{1b}[2J.mcpc"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// A cloned repository can ship its `mcpc-out`, or a directory in it, as a
/// link into the user's own configuration; `build` writes, reads (`--check`)
/// and removes (stale files) nothing through a link out of the directory.
#[cfg(unix)]
#[test]
fn build_writes_reads_and_removes_nothing_through_a_link_out_of_its_directory() {
    use std::os::unix::fs::symlink;
    const OWN: &str = "{ \"the user's own\": true }\n";
    let build = |repo: &Tmp, check: bool| {
        let mut args = vec!["build", "p.mcpc", "--target", "claude-code"];
        if check {
            args.push("--check");
        }
        repo.mcpc(&args)
    };
    let home = Tmp::new("links-home");
    home.write(".mcp.json", OWN);
    home.write(".claude/settings.json", OWN);

    // `mcpc-out/claude-code` and `mcpc-out` itself, each a link to the home.
    for link in ["mcpc-out/claude-code", "mcpc-out"] {
        let repo = Tmp::new("links-repo");
        repo.write("p.mcpc", SERVER);
        fs::create_dir_all(repo.0.join("mcpc-out")).unwrap();
        let at = repo.0.join(link);
        let _ = fs::remove_dir(&at);
        symlink(&home.0, &at).unwrap();
        let out = build(&repo, false);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{link}: {stderr}");
        assert!(
            stderr.contains("error[outside-root]: `mcpc-out/"),
            "{link}: {stderr}"
        );
        assert!(stderr.contains("help: remove the link"), "{stderr}");
        assert_eq!(fs::read_to_string(home.0.join(".mcp.json")).unwrap(), OWN);
        assert!(
            !home.0.join("claude-code").exists(),
            "{link}: written into the home"
        );
        assert!(
            !home.0.join(MANIFEST_NAME).exists(),
            "{link}: manifest in the home"
        );
    }

    // A previous manifest naming a file behind a link out of the
    // directory: `--check` does not read it, the build does not remove it.
    let repo = Tmp::new("links-stale");
    repo.write("p.mcpc", SERVER);
    repo.write(
        &format!("mcpc-out/{MANIFEST_NAME}"),
        r#"{"files": [{"path": "claude-code/.claude/settings.json", "target": "claude-code"}]}"#,
    );
    fs::create_dir_all(repo.0.join("mcpc-out/claude-code")).unwrap();
    symlink(
        home.0.join(".claude"),
        repo.0.join("mcpc-out/claude-code/.claude"),
    )
    .unwrap();
    let out = build(&repo, true);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("the user's own"),
        "{}",
        text(&out.stdout)
    );
    let out = build(&repo, false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("not removed (stale)"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(home.0.join(".claude/settings.json")).unwrap(),
        OWN
    );
    assert!(repo.0.join("mcpc-out/claude-code/.mcp.json").is_file());

    // A link that stays inside the directory is written through, and stays.
    let repo = Tmp::new("links-inside");
    repo.write("p.mcpc", SERVER);
    fs::create_dir_all(repo.0.join("mcpc-out/elsewhere")).unwrap();
    symlink("elsewhere", repo.0.join("mcpc-out/claude-code")).unwrap();
    let out = build(&repo, false);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(repo.0.join("mcpc-out/elsewhere/.mcp.json").is_file());
    assert!(
        fs::symlink_metadata(repo.0.join("mcpc-out/claude-code"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// `build` resolves each path from its output directory down and
/// remembers the directories it checked; a link met below one of them, in
/// any place, is still followed and refused when it leads out: the file
/// itself, a dangling one, a middle directory, the target's directory, the
/// manifest. A link as the file that stays inside is written through.
#[cfg(unix)]
#[test]
fn build_refuses_a_link_out_below_a_directory_it_already_checked() {
    use std::os::unix::fs::symlink;
    const OWN: &str = "the user's own\n";
    let home = Tmp::new("checked-home");
    home.write("config.toml", OWN);
    home.write(".codex/config.toml", OWN);
    home.write(MANIFEST_NAME, OWN);
    let links = [
        ("codex/.codex/config.toml", home.0.join("config.toml")),
        ("codex/.codex/config.toml", home.0.join("missing.toml")),
        ("codex/.codex", home.0.join(".codex")),
        ("codex", home.0.clone()),
        (MANIFEST_NAME, home.0.join(MANIFEST_NAME)),
    ];
    for (link, to) in links {
        let repo = Tmp::new("checked-repo");
        repo.write("p.mcpc", SERVER);
        // `claude-code` is built first: the directory is checked by then.
        fs::create_dir_all(repo.0.join("mcpc-out/claude-code")).unwrap();
        let at = repo.0.join("mcpc-out").join(link);
        fs::create_dir_all(at.parent().unwrap()).unwrap();
        symlink(&to, &at).unwrap();
        let out = repo.mcpc(&["build", "p.mcpc", "--target", "claude-code,codex"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{link}: {stderr}");
        assert!(stderr.contains("error[outside-root]"), "{link}: {stderr}");
        for own in ["config.toml", ".codex/config.toml", MANIFEST_NAME] {
            assert_eq!(fs::read_to_string(home.0.join(own)).unwrap(), OWN, "{link}");
        }
        assert!(!home.0.join("missing.toml").exists(), "{link}");
        assert!(!home.0.join("codex").exists(), "{link}");
    }

    let repo = Tmp::new("checked-inside");
    repo.write("p.mcpc", SERVER);
    repo.write("mcpc-out/kept.toml", "");
    fs::create_dir_all(repo.0.join("mcpc-out/codex/.codex")).unwrap();
    let at = repo.0.join("mcpc-out/codex/.codex/config.toml");
    symlink("../../kept.toml", &at).unwrap();
    let out = repo.mcpc(&["build", "p.mcpc", "--target", "claude-code,codex"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(fs::symlink_metadata(&at).unwrap().file_type().is_symlink());
    let kept = fs::read_to_string(repo.0.join("mcpc-out/kept.toml")).unwrap();
    assert!(kept.contains("[mcp_servers.s]"), "{kept}");
}

/// A link whose text passes through a directory that does not exist and
/// then climbs (`x/../../../..`) reads, as text, as a path below the
/// output directory; once a write makes `x`, it leads above it. `build`
/// (and `--check`) refuse it, for a directory in the output directory and
/// for the output directory itself, and write nothing outside.
#[cfg(unix)]
#[test]
fn build_refuses_a_link_that_climbs_out_through_a_missing_directory() {
    use std::os::unix::fs::symlink;
    const OWN: &str = "model = \"mine\"\n";
    // `home/src/evil` is the cloned repository, `home` the user's.
    for (link, to) in [
        ("src/evil/mcpc-out/codex", "x/../../../.."),
        ("src/evil/mcpc-out", "y/../../.."),
        // Not climbing: the manifest itself a link out, also with `--check`.
        (
            "src/evil/mcpc-out/mcpc-delivery.json",
            "../../../.codex/config.toml",
        ),
    ] {
        for check in [false, true] {
            let home = Tmp::new("climb-home");
            home.write(".codex/config.toml", OWN);
            home.write("src/evil/p.mcpc", SERVER);
            let at = home.0.join(link);
            fs::create_dir_all(at.parent().unwrap()).unwrap();
            symlink(to, &at).unwrap();
            let mut args = vec![
                "build",
                "src/evil/p.mcpc",
                "--target",
                "codex",
                "--out",
                "src/evil/mcpc-out",
            ];
            if check {
                args.push("--check");
            }
            let out = home.mcpc(&args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{link} {check}: {stderr}");
            assert!(stderr.contains("error[outside-root]"), "{link}: {stderr}");
            assert_eq!(
                fs::read_to_string(home.0.join(".codex/config.toml")).unwrap(),
                OWN,
                "{link} {check}: the user's file was written"
            );
            assert!(!home.0.join(MANIFEST_NAME).exists(), "{link} {check}");
            assert!(!home.0.join("codex").exists(), "{link} {check}");
        }
    }
}

/// A FIFO where an output file goes (an output directory unpacked from an
/// archive can hold one) is not opened to be compared or read, which would
/// wait for a writer forever: `build` and `--check` finish, and the build
/// puts a regular file in its place.
#[cfg(unix)]
#[test]
fn a_fifo_in_the_output_directory_does_not_hang_build() {
    let repo = Tmp::new("fifo");
    repo.write("p.mcpc", SERVER);
    let at = repo.0.join("mcpc-out/codex/.codex/config.toml");
    fs::create_dir_all(at.parent().unwrap()).unwrap();
    let made = Command::new("mkfifo").arg(&at).status().unwrap();
    assert!(made.success());
    for args in [
        &["build", "p.mcpc", "--target", "codex", "--check"][..],
        &["build", "p.mcpc", "--target", "codex"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(args)
            .current_dir(&repo.0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > std::time::Duration::from_secs(20) {
                let _ = child.kill();
                panic!("{args:?}: still running after 20 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let want = if args.contains(&"--check") { 1 } else { 0 };
        assert_eq!(status.code(), Some(want), "{args:?}");
    }
    assert!(fs::symlink_metadata(&at).unwrap().is_file());
}

const MANIFEST_NAME: &str = "mcpc-delivery.json";

/// One plugin with one remote server, for the tests of links in `--out`.
#[cfg(unix)]
const SERVER: &str =
    "plugin \"p\" { version = \"1.0.0\" server \"s\" { url = \"https://s.acme.dev/mcp\" } }\n";

/// A rebuild leaves each file that would not change as it is, its time of
/// change with it, and rewrites the others (also one of the same length).
#[test]
fn a_rebuild_rewrites_only_the_files_that_change() {
    let t = Tmp::new("rebuild");
    let source = |url: &str| {
        format!("plugin \"p\" {{ version = \"1.0.0\" server \"s\" {{ url = \"{url}\" }} }}\n")
    };
    t.write("p.mcpc", &source("https://s.acme.dev/mcp"));
    let build = || {
        let out = t.mcpc(&["build", "p.mcpc", "--target", "claude-code,codex"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    };
    build();
    let files = [
        "mcpc-out/claude-code/.mcp.json",
        "mcpc-out/codex/.codex/config.toml",
        "mcpc-out/mcpc-delivery.json",
    ];
    let long_ago =
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let age = |path: &str| {
        fs::File::options()
            .write(true)
            .open(t.0.join(path))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    };
    let modified = |path: &str| fs::metadata(t.0.join(path)).unwrap().modified().unwrap();
    files.iter().for_each(|f| age(f));
    // Nothing is written beside them either (no temporary file made and
    // removed): their directories keep their time of change.
    let dirs = ["mcpc-out/claude-code", "mcpc-out/codex/.codex", "mcpc-out"];
    let age_dir = |path: &str| {
        fs::File::open(t.0.join(path))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    };
    dirs.iter().for_each(|d| age_dir(d));
    build();
    for f in files.iter().chain(&dirs) {
        assert_eq!(modified(f), long_ago, "{f} was rewritten unchanged");
    }
    // The same length, another byte: rewritten.
    let json = t.0.join(files[0]);
    let written = fs::read_to_string(&json).unwrap();
    fs::write(&json, written.replacen("acme", "acmf", 1)).unwrap();
    age(files[0]);
    build();
    assert_eq!(fs::read_to_string(&json).unwrap(), written);
    assert_ne!(modified(files[0]), long_ago);
    // A change that reaches every file: each is rewritten.
    files.iter().for_each(|f| age(f));
    t.write("p.mcpc", &source("https://t.acme.dev/mcp"));
    build();
    for f in files {
        assert_ne!(modified(f), long_ago, "{f} was not rewritten");
    }
}
