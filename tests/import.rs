//! `mcpc import` without loss, for every target's format: each field of a
//! native file is carried into the declaration (building it back for the
//! same runtime gives the same servers) or named in a `lossy-lowering`
//! warning with its line. The loops run over `Target::ALL`, so a new
//! target's reader is walked as soon as it exists.

use mcpc::Compilation;
use mcpc::backends::{Plan, ServerSpec, Target};
use mcpc::diag::{Code, Level, LintLevels, Severity};
use mcpc::import;
use mcpc::source::{SourceFile, SourceMap};
use std::collections::BTreeMap;

/// Servers with every feature mcpc has: for each, its required line, then
/// optional lines. [`rich_for`] keeps, per target, each optional line the
/// target can express, so each target writes every field it has.
const FEATURES: &[(&str, &str, &[&str])] = &[
    (
        "local",
        r#"command = "npx""#,
        &[
            r#"description = "Local tools""#,
            r#"args = ["-y", "local-mcp@1.2.3", "--mode=fast"]"#,
            "env { API_TOKEN = secret.API_TOKEN }",
            "env { REGION = env.REGION }",
            r#"env { PLAIN = "v" }"#,
            r#"tools { deny = ["drop", "rm"] }"#,
            r#"tools { allow = ["read", "list"] }"#,
            "tool_timeout = 45s",
            "startup_timeout = 20s",
            r#"cwd = "sub""#,
        ],
    ),
    (
        "remote",
        r#"url = "https://remote.acme.dev/mcp""#,
        &[
            r#"headers { Authorization = "Bearer ${secret.REMOTE_TOKEN}" }"#,
            r#"headers { "X-Tenant" = env.TENANT }"#,
            r#"headers { "X-Plain" = "p" }"#,
            "tool_timeout = 2m",
        ],
    ),
    (
        "events",
        r#"url = "https://events.acme.dev/sse""#,
        &["transport = sse"],
    ),
    ("off", r#"command = "off-mcp""#, &["enabled = false"]),
];

fn declaration(servers: &[(&str, Vec<&str>)]) -> String {
    let mut out = String::from("plugin \"rich\" {\n  version = \"1.0.0\"\n");
    for (name, lines) in servers {
        out.push_str(&format!("  server \"{name}\" {{\n"));
        for line in lines {
            out.push_str(&format!("    {line}\n"));
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// The richest declaration of [`FEATURES`] that `target` builds exactly
/// (no lossy lowering: what is written is what was declared).
fn rich_for(target: Target) -> String {
    let mut servers: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, required, optional) in FEATURES {
        servers.push((name, vec![*required]));
        if build_exact(&declaration(&servers), target).is_none() {
            servers.pop();
            continue;
        }
        for line in *optional {
            servers.last_mut().unwrap().1.push(line);
            if build_exact(&declaration(&servers), target).is_none() {
                servers.last_mut().unwrap().1.pop();
            }
        }
    }
    declaration(&servers)
}

fn build_exact(source: &str, target: Target) -> Option<BTreeMap<String, String>> {
    build_with(source, target, LintLevels::default())
}

/// The files of one target for `source`, by project path; `None` when the
/// target cannot express it.
fn build(source: &str, target: Target) -> Option<BTreeMap<String, String>> {
    let mut levels = LintLevels::default();
    levels.set(Code::LossyLowering, Level::Allow);
    build_with(source, target, levels)
}

fn build_with(
    source: &str,
    target: Target,
    levels: LintLevels,
) -> Option<BTreeMap<String, String>> {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("in.mcpc", source));
    let mut c = Compilation::new(sources, levels);
    let files = c.build(&Plan {
        targets: vec![target],
        ..Plan::default()
    });
    let (_, diagnostics) = c.finish();
    if diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error || d.code == Code::LossyLowering)
    {
        return None;
    }
    let prefix = format!("{}/", target.name());
    Some(
        files
            .into_iter()
            .map(|f| {
                (
                    f.path.strip_prefix(&prefix).unwrap().to_owned(),
                    f.text().to_owned(),
                )
            })
            .collect(),
    )
}

fn servers_path(target: Target) -> &'static str {
    target.backend().managed_files()[0].project_path
}

fn sorted(mut specs: Vec<ServerSpec>) -> Vec<ServerSpec> {
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    specs
}

/// Native text → import → build for the same target → read: the servers
/// are the ones the native file had.
#[track_caller]
fn assert_round_trip(target: Target, native: &str) -> import::Imported {
    let text = import::prepare(target, native);
    let first = sorted(import::read_as(target, &text).expect("the native file reads"));
    assert!(!first.is_empty(), "{target}: nothing read from\n{native}");
    let imported = import::to_source("imported", target, "native", &first);
    let files = build(&imported.text, target)
        .unwrap_or_else(|| panic!("{target}: the import does not build:\n{}", imported.text));
    let again = sorted(
        target
            .backend()
            .read(&|p| files.get(p).cloned())
            .expect("the rebuilt file reads"),
    );
    assert_eq!(
        again, first,
        "{target}: import lost something:\n{}",
        imported.text
    );
    imported
}

/// Adds foreign fields to every server entry of a native file: fields no
/// reader can know, which the import must name.
fn with_foreign_fields(target: Target, native: &str) -> String {
    edit_entries(target, native, &|entry| {
        entry.insert("mcpcForeignFlag".into(), serde_json::json!(true));
        entry.insert("mcpc_foreign_note".into(), serde_json::json!("kept?"));
    })
}

/// A native file with every server entry changed by `edit`.
fn edit_entries(
    target: Target,
    native: &str,
    edit: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>),
) -> String {
    let file = target.backend().managed_files()[0];
    let path: Vec<&str> = file
        .owned
        .iter()
        .find_map(|o| match o {
            mcpc::backends::Owned::Servers(p) => Some(p.to_vec()),
            _ => None,
        })
        .unwrap();
    let mut doc: serde_json::Value = match file.format {
        mcpc::backends::Format::Json | mcpc::backends::Format::Jsonc => {
            serde_json::from_str(native).unwrap()
        }
        mcpc::backends::Format::Toml => toml::from_str(native).unwrap(),
        mcpc::backends::Format::Yaml => serde_norway::from_str(native).unwrap(),
    };
    let servers = path
        .iter()
        .try_fold(&mut doc, |v, k| v.get_mut(*k))
        .and_then(|v| v.as_object_mut())
        .unwrap();
    for entry in servers.values_mut() {
        edit(entry.as_object_mut().unwrap());
    }
    match file.format {
        mcpc::backends::Format::Json | mcpc::backends::Format::Jsonc => {
            serde_json::to_string_pretty(&doc).unwrap()
        }
        mcpc::backends::Format::Toml => toml::to_string(&doc).unwrap(),
        mcpc::backends::Format::Yaml => serde_norway::to_string(&doc).unwrap(),
    }
}

/// The field walk: for every target, every field its writer puts in a file
/// is carried (round trip), and every field its reader does not read is
/// named with its line — none is dropped in silence.
#[test]
fn every_field_of_every_format_is_carried_or_named() {
    let mut walked = 0;
    for &target in Target::ALL {
        let rich = rich_for(target);
        let Some(files) = build(&rich, target) else {
            panic!("{target} cannot express\n{rich}");
        };
        let native = &files[servers_path(target)];
        assert_round_trip(target, native);
        // What the writer wrote, the reader reads: nothing is "dropped".
        let dropped = import::dropped_fields(target, &import::prepare(target, native));
        let unexplained: Vec<_> = dropped
            .iter()
            .filter(|d| !mcpc_writes_without_reading(target, &d.field))
            .collect();
        assert!(
            unexplained.is_empty(),
            "{target}: fields mcpc writes but does not read back: {unexplained:?}"
        );
        let foreign = with_foreign_fields(target, native);
        assert_round_trip(target, &foreign);
        let dropped = import::dropped_fields(target, &import::prepare(target, &foreign));
        let servers = sorted(import::read_as(target, &import::prepare(target, native)).unwrap());
        // Every server the rich declaration holds for this target comes back.
        let declared = rich.matches("\n  server \"").count();
        assert!(
            declared >= 2 && servers.len() == declared,
            "{target}: only {servers:?} from\n{rich}"
        );
        for server in servers.iter().map(|s| s.name.as_str()) {
            for field in ["mcpcForeignFlag", "mcpc_foreign_note"] {
                let d = dropped
                    .iter()
                    .find(|d| d.server == server && d.field == field)
                    .unwrap_or_else(|| {
                        panic!("{target}: `{field}` of `{server}` dropped in silence: {dropped:?}\n{foreign}")
                    });
                let line = d
                    .line
                    .unwrap_or_else(|| panic!("{target}: no line for {d:?}"));
                assert!(
                    foreign.lines().nth(line - 1).unwrap().contains(field),
                    "{target}: line {line} of {d:?} is not the field's:\n{foreign}"
                );
            }
        }
        walked += 1;
    }
    assert_eq!(walked, Target::ALL.len());
}

/// Fields a writer emits for the runtime's sake that mcpc's model does not
/// hold (and so the import names): a server's description.
fn mcpc_writes_without_reading(target: Target, field: &str) -> bool {
    // Goose serializes every field of an entry when it saves its config;
    // mcpc writes the same complete entry (docs/targets.md), so a remote's
    // empty `envs`, a `timeout: null` or `bundled` (a flag of Goose's UI)
    // are written without meaning anything to read.
    let goose_defaults =
        target == Target::Goose && matches!(field, "bundled" | "envs" | "env_keys" | "timeout");
    field == "description" || goose_defaults
}

/// The text with each run of spaces as one (the formatter aligns `=`).
fn squash(text: &str) -> String {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The real binary on one native file, in a directory of its own.
fn import_file(name: &str, text: &str, args: &[&str]) -> Run {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mcpc-import-{}-{n}", std::process::id()));
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .arg("import")
        .args(args)
        .arg(name)
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Formats the imported source and checks it for `target`, with the real
/// binary: both must be clean.
#[track_caller]
fn assert_fmt_and_check_clean(source: &str, target: &str) {
    let dir =
        std::env::temp_dir().join(format!("mcpc-import-clean-{}-{target}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("imported.mcpc"), source).unwrap();
    for args in [
        vec!["fmt", "--check", "imported.mcpc"],
        vec!["check", "imported.mcpc"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(&args)
            .current_dir(&dir)
            .output()
            .unwrap();
        let errors = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && (args[0] == "fmt" || errors.contains(" 0 errors, 0 warnings")),
            "{args:?} on the import for {target}:\n{errors}\n{source}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gemini_http_url_variables_and_trailing_commas() {
    let native = r#"{
  // Gemini's own comments and trailing commas
  "mcpServers": {
    "x": {"httpUrl": "https://a.example/mcp", "headers": {"Authorization": "Bearer $X_TOKEN",},},
    "y": {
      "command": "npx",
      "args": ["-y", "y-mcp@1.0.0",],
      "env": {"ACME_TOKEN": "$ACME_TOKEN", "REGION": "${REGION}", "HOME_DIR": "$HOME/y"},
      "trust": true,
      "timeout": 30000,
    },
  },
}"#;
    let run = import_file("settings.json", native, &["--from", "gemini"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let source = &squash(&run.stdout);
    assert!(
        source.contains(r#"url = "https://a.example/mcp""#),
        "httpUrl lost:\n{source}"
    );
    assert!(
        source.contains(r#"Authorization = "Bearer ${secret.X_TOKEN}""#),
        "{source}"
    );
    assert!(
        source.contains("ACME_TOKEN = secret.ACME_TOKEN"),
        "{source}"
    );
    assert!(source.contains("REGION = env.REGION"), "{source}");
    assert!(source.contains(r#""${env.HOME}/y""#), "{source}");
    assert!(source.contains("tool_timeout = 30s"), "{source}");
    assert!(
        !run.stderr.contains("plaintext-secret"),
        "a reference read as a literal:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("settings.json:9: warning[lossy-lowering]: server `y`: `trust`"),
        "{}",
        run.stderr
    );
    assert_fmt_and_check_clean(&run.stdout, "gemini");
    assert_round_trip(Target::Gemini, native);
}

#[test]
fn the_format_is_detected_or_the_ambiguity_is_an_error() {
    let servers = r#"{"mcpServers": {"x": {"command": "x-mcp"}}}"#;
    let run = import_file(".gemini/settings.json", servers, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("read as a gemini file"),
        "{}",
        run.stderr
    );
    let run = import_file(".mcp.json", servers, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("read as a claude-code file"),
        "{}",
        run.stderr
    );
    let run = import_file(
        ".codex/config.toml",
        "[mcp_servers.x]\ncommand = \"x-mcp\"\n",
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("targets = [\"codex\"]"),
        "{}",
        run.stdout
    );
    let run = import_file(
        "config.yaml",
        "mcp_servers:\n  x:\n    command: x-mcp\n",
        &[],
    );
    assert!(
        run.stdout.contains("targets = [\"hermes\"]"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    // Two runtimes read this shape and the name says nothing.
    let run = import_file("servers.json", servers, &[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("error[ambiguous-format]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("claude-code") && run.stderr.contains("gemini"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
    let run = import_file("notes.json", r#"{"theme": "dark"}"#, &[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("error[ambiguous-format]"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_file_of_another_runtime_is_not_zero_servers() {
    let opencode = r#"{"$schema": "https://opencode.ai/config.json", "mcp": {"x": {"type": "local", "command": ["x-mcp"]}}}"#;
    let run = import_file("opencode.json", opencode, &["--from", "gemini"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("holds no gemini server"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("imported 0"), "{}", run.stderr);
}

#[test]
fn help_lists_every_format() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args(["import", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for &target in Target::ALL {
        assert!(
            help.contains(target.name()),
            "`{target}` missing from:\n{help}"
        );
    }
}

#[test]
fn codex_and_claude_fields_are_carried_or_named() {
    let codex = r#"# a hand-written Codex file
[mcp_servers.gh]
command = "github-mcp"
env_vars = ["GITHUB_TOKEN"]
startup_timeout_sec = 20
tool_timeout_sec = 90
enabled = false
required = true
disabled_tools = ["delete_repo"]

[mcp_servers.gh.tools.search]
approval_mode = "approve"

[mcp_servers.api]
url = "https://api.acme.dev/mcp"
bearer_token_env_var = "API_TOKEN"
env_http_headers = { "X-Tenant" = "TENANT" }
enabled_tools = ["read"]
"#;
    let run = import_file("config.toml", codex, &["--from", "codex"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for (field, line) in [("required", 8), ("tools", 11)] {
        let needle = format!("config.toml:{line}: warning[lossy-lowering]: server `gh`: `{field}`");
        assert!(run.stderr.contains(&needle), "{needle}:\n{}", run.stderr);
    }
    let source = squash(&run.stdout);
    assert!(source.contains("enabled = false"), "{source}");
    assert!(source.contains("startup_timeout = 20s"), "{source}");
    assert_fmt_and_check_clean(&run.stdout, "codex");
    assert_round_trip(Target::Codex, codex);

    let claude = r#"{"mcpServers": {
  "a": {"type": "http", "url": "https://a.acme.dev/mcp", "headers": {"Authorization": "Bearer ${A_TOKEN}"}, "oauth": {"clientId": "x"}},
  "b": {"command": "b-mcp", "args": ["--x"], "env": {"B_KEY": "${B_KEY:-none}"}, "timeout": 5000}
}}"#;
    let run = import_file(".mcp.json", claude, &["--from", "claude-code"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(".mcp.json:2: warning[lossy-lowering]: server `a`: `oauth`"),
        "{}",
        run.stderr
    );
    assert_fmt_and_check_clean(&run.stdout, "claude-code");
    assert_round_trip(Target::ClaudeCode, claude);
}

/// `tests/golden/import/<case>/`: a native file, `args` (the import's
/// arguments), and the expected `stdout.txt` and `stderr.txt` (its first
/// line the exit code). `MCPC_BLESS=1` rewrites the expectations. Each file
/// that imports also round-trips exactly.
#[test]
fn golden_imports() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/import");
    let bless = std::env::var_os("MCPC_BLESS").is_some();
    let mut problems = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    for case in &cases {
        let args = std::fs::read_to_string(case.join("args")).unwrap();
        let args: Vec<&str> = args.split_whitespace().collect();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .arg("import")
            .args(&args)
            .current_dir(case)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = format!(
            "exit: {}\n{}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr)
        );
        for (name, got) in [("stdout.txt", &stdout), ("stderr.txt", &stderr)] {
            let path = case.join(name);
            if bless {
                std::fs::write(&path, got).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(got.as_str()) {
                problems.push(format!("{}: {name} differs; got:\n{got}", case.display()));
            }
        }
        if out.status.success() {
            let file = args.last().unwrap();
            let native = std::fs::read_to_string(case.join(file)).unwrap();
            let import::Detected::One(target) = import::detect(file, &native) else {
                panic!("{}: not detected", case.display());
            };
            assert_round_trip(target, &native);
            assert_fmt_and_check_clean(&stdout, target.name());
        }
    }
    assert!(cases.len() >= 5, "{cases:?}");
    assert!(
        problems.is_empty(),
        "{}\nIf the new output is right: MCPC_BLESS=1 cargo test --test import",
        problems.join("\n")
    );
}

/// Issue #15, items 17 and 18: control characters in a native file are written as
/// escapes mcpc's own grammar reads (`\u{7}`), so the import round-trips
/// instead of giving a source that does not parse; and the YAML writer escapes
/// U+0085 and U+2028, so Hermes reads back what was written.
#[test]
fn control_characters_import_as_escapes_mcpc_reads() {
    let native = "mcp_servers:\n  x:\n    command: \"a\\u0007b\\u0085c\"\n    args: [\"tab\\there\", \"\\u2028\"]\n";
    let imported = assert_round_trip(Target::Hermes, native);
    assert!(
        imported.text.contains(r#"command = "a\u{7}b\u{85}c""#),
        "{}",
        imported.text
    );
    assert!(
        imported.text.contains(r#""tab\there""#),
        "{}",
        imported.text
    );
}

/// VS Code's own references: `${input:id}` (a prompted value, kept in its
/// secret storage) becomes a `secret.` reference, `${env:NAME}` an `env.`
/// one, `${workspaceFolder}` `project.root`; the import checks clean for
/// VS Code and builds back to the same references.
#[test]
fn vscode_inputs_env_and_workspace_folder_become_references() {
    let native = r#"{
  "inputs": [{"type": "promptString", "id": "api-key", "description": "API key", "password": true}],
  "servers": {
    "x": {
      "type": "stdio",
      "command": "${workspaceFolder}/bin/x-mcp",
      "env": {"API_KEY": "${input:api-key}", "REGION": "${env:REGION}"},
    },
  },
}"#;
    let run = import_file("mcp.json", native, &["--from", "vscode"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let source = &squash(&run.stdout);
    assert!(source.contains("API_KEY = secret.API_KEY"), "{source}");
    assert!(source.contains("REGION = env.REGION"), "{source}");
    assert!(
        source.contains(r#"command = "${project.root}/bin/x-mcp""#),
        "{source}"
    );
    assert!(!source.contains("input:"), "{source}");
    assert_fmt_and_check_clean(&run.stdout, "vscode");
}

/// The inputs mcpc writes for VS Code (id = the secret's name, any case)
/// import back to the same `secret.` references, and build back to the
/// same file; an input the file does not define, or one shown as typed,
/// still imports as a secret, which the rebuilt file prompts for.
#[test]
fn vscode_inputs_mcpc_wrote_round_trip_and_odd_ones_become_prompts() {
    let native = r#"{
  "servers": {
    "x": {
      "type": "http",
      "url": "https://x.acme.dev/mcp",
      "headers": {"Authorization": "Bearer ${input:X_TOKEN}", "X-Tenant": "${input:Tenant_key}"}
    }
  },
  "inputs": [
    {"type": "promptString", "id": "X_TOKEN", "description": "X_TOKEN (secret of MCP server x)", "password": true},
    {"type": "promptString", "id": "Tenant_key", "description": "Tenant_key (secret of MCP server x)", "password": true}
  ]
}"#;
    let imported = assert_round_trip(Target::Vscode, native);
    let source = squash(&imported.text);
    assert!(
        source.contains(r#"Authorization = "Bearer ${secret.X_TOKEN}""#),
        "{source}"
    );
    assert!(source.contains("X-Tenant = secret.Tenant_key"), "{source}");

    let odd = r#"{
  "servers": {"y": {"type": "stdio", "command": "y-mcp",
    "env": {"A": "${input:undefined-one}", "B": "${input:shown}"}}},
  "inputs": [{"type": "promptString", "id": "shown", "description": "typed in the clear"}]
}"#;
    let read = import::read_as(Target::Vscode, odd).expect("reads");
    // Neither is as mcpc declares a secret: `verify` would say drifted.
    assert_eq!(
        read[0].env,
        [
            ("A".to_owned(), "${input:undefined-one!}".to_owned()),
            ("B".to_owned(), "${input:shown!}".to_owned())
        ]
    );
    let imported = import::to_source("imported", Target::Vscode, "native", &read);
    let source = squash(&imported.text);
    assert!(source.contains("A = secret.UNDEFINED_ONE"), "{source}");
    assert!(source.contains("B = secret.shown"), "{source}");
    let files = build(&imported.text, Target::Vscode).expect("builds");
    let rebuilt = &files[".vscode/mcp.json"];
    assert!(rebuilt.contains(r#""B": "${input:shown}""#), "{rebuilt}");
    assert!(rebuilt.contains(r#""id": "UNDEFINED_ONE""#), "{rebuilt}");
}

/// Issue #15, item 17: a transport tag the runtime does not know
/// (`"type": "websocket"`) is never read as HTTP in silence. For every
/// format: a `lossy-lowering` warning with the line that names the field,
/// the value (terminal escapes in it shown as `\u{1b}`) and what it was
/// imported as; or, where the runtime itself skips such an entry (Goose),
/// an `invalid-value` error naming the value. A runtime with no transport field names the
/// field as dropped.
#[test]
fn an_unknown_transport_tag_is_a_coded_warning_in_every_format() {
    let source = declaration(&[("remote", vec![r#"url = "https://remote.acme.dev/mcp""#])]);
    for &target in Target::ALL {
        let Some(files) = build(&source, target) else {
            continue;
        };
        let path = servers_path(target);
        let field = target
            .backend()
            .transport_field()
            .map_or("type", |(f, _)| f);
        let native = edit_entries(target, &files[path], &|entry| {
            entry.insert(field.into(), serde_json::json!("websocket\u{1b}[2J\u{7}"));
        });
        let run = import_file(path, &native, &["--from", target.name()]);
        assert!(
            !run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{7}'),
            "{target}: a raw escape on the terminal:\n{}",
            run.stderr
        );
        if run.code != Some(0) {
            assert!(
                run.stderr.contains("error[invalid-value]")
                    && run.stderr.contains("websocket\\u{1b}[2J\\u{7}"),
                "{target}: the error has no code or does not name the value:\n{}",
                run.stderr
            );
            continue;
        }
        let warning = run
            .stderr
            .lines()
            .find(|l| l.contains("warning[lossy-lowering]") && l.contains(&format!("`{field}`")))
            .unwrap_or_else(|| panic!("{target}: `{field}` not named:\n{}", run.stderr));
        let line = native
            .lines()
            .position(|l| l.contains("websocket"))
            .unwrap()
            + 1;
        assert!(
            warning.starts_with(&format!("{path}:{line}: ")),
            "{target}: not at line {line}: {warning}"
        );
        if target.backend().transport_field().is_some() {
            assert!(
                warning.contains(r#""websocket\u{1b}[2J\u{7}""#) && warning.contains("as `http`"),
                "{target}: {warning}"
            );
        }
    }
}

/// Found by the fuzz `import` target (fuzz/regressions/import/): a header
/// named `0Authorization`, or a server named `9s` whose `Authorization` is
/// a literal token, made `secret.0AUTHORIZATION` / `secret.9S_TOKEN`, which
/// mcpc's parser rejects (a name cannot start with a digit). The names now
/// start with `_`, and the imported source builds.
#[test]
fn a_secret_name_never_starts_with_a_digit() {
    let native = "mcp_servers:\n  docs:\n    url: \"https://docs.example/mcp\"\n    headers:\n      0Authorization: \"Bearer abc\"\n  9s:\n    url: \"https://nine.example/mcp\"\n    headers:\n      Authorization: \"Bearer abc\"\n";
    let read =
        import::read_as(Target::Hermes, &import::prepare(Target::Hermes, native)).expect("reads");
    let imported = import::to_source("imported", Target::Hermes, "native", &read);
    let source = squash(&imported.text);
    assert!(source.contains("secret._0AUTHORIZATION"), "{source}");
    assert!(source.contains("secret._9S_TOKEN"), "{source}");
    assert!(!source.contains("abc"), "{source}");
    build(&imported.text, Target::Hermes).expect("the imported source builds");
}
