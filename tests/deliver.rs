//! `mcpc apply`, `verify`, `rollback` and `import` on realistic existing
//! configurations: every byte the user owned survives, managed servers follow
//! the source, hand edits are conflicts, rollback restores exactly.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Project(PathBuf);

impl Project {
    fn new(name: &str) -> Project {
        let dir = std::env::temp_dir().join(format!("mcpc-deliver-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Project(dir)
    }
    fn path(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
    fn write(&self, p: &str, text: &str) {
        let path = self.path(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    fn read(&self, p: &str) -> String {
        fs::read_to_string(self.path(p)).unwrap()
    }
    fn mcpc(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcpc"));
        cmd.args(args).current_dir(&self.0).env("NO_COLOR", "1");
        for var in [
            "CODEX_HOME",
            "HERMES_HOME",
            "CLAUDE_CONFIG_DIR",
            "GEMINI_CLI_HOME",
            "COPILOT_HOME",
            "XDG_CONFIG_HOME",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SOURCE: &str = r#"plugin "acme" {
  version = "1.0.0"
  server "docs" {
    url = "https://docs.acme.dev/mcp"
    headers { Authorization = "Bearer ${secret.DOCS_TOKEN}" }
    tools { deny = ["drop_index"] }
  }
  server "search" {
    command = "npx"
    args    = ["-y", "@acme/search-mcp@2.0.0"]
    env { SEARCH_KEY = secret.SEARCH_KEY }
  }
}
"#;

/// `SOURCE` as far as `target` can express it: opencode, Copilot CLI, Amp
/// and Auggie cannot deny a tool, and Auggie cannot take a header from the
/// environment.
fn source_for(target: &str) -> String {
    let mut source = SOURCE.to_owned();
    if matches!(
        target,
        "opencode" | "copilot" | "amp" | "auggie" | "cursor" | "vscode"
    ) {
        source = source.replace("    tools { deny = [\"drop_index\"] }\n", "");
    }
    if target == "auggie" {
        source = source.replace(
            "headers { Authorization = \"Bearer ${secret.DOCS_TOKEN}\" }",
            "headers { \"X-Client\" = \"mcpc\" }",
        );
    }
    source
}

/// The full cycle for one runtime's file: `existing` is what the user had.
fn cycle(target: &str, file: &str, existing: &str, user_marker: &str) {
    let p = Project::new(target);
    let source = source_for(target);
    p.write("src/acme.mcpc", &source);
    p.write(file, existing);
    let apply = |p: &Project| p.mcpc(&["apply", "src", "--target", target], &[]);

    let out = apply(&p);
    assert_eq!(out.status.code(), Some(0), "{target}: {}", stderr(&out));
    let first = p.read(file);
    assert!(
        first.contains(user_marker),
        "{target}: the user's content is gone:\n{first}"
    );
    assert!(
        first.contains("docs") && first.contains("search"),
        "{target}: servers missing:\n{first}"
    );
    let out = p.mcpc(&["verify", "src", "--target", target], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{target}: verify after apply: {}{}",
        stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );

    // Idempotent: a second apply changes no byte.
    assert_eq!(apply(&p).status.code(), Some(0));
    assert_eq!(
        p.read(file),
        first,
        "{target}: the second apply changed the file"
    );

    // The source changes: `search` goes, `docs` moves.
    p.write("src/acme.mcpc", &source.replace("docs.acme.dev", "docs2.acme.dev").replace(
        "  server \"search\" {\n    command = \"npx\"\n    args    = [\"-y\", \"@acme/search-mcp@2.0.0\"]\n    env { SEARCH_KEY = secret.SEARCH_KEY }\n  }\n",
        "",
    ));
    assert_eq!(apply(&p).status.code(), Some(0));
    let second = p.read(file);
    assert!(
        second.contains("docs2.acme.dev")
            && !second.contains("search-mcp")
            && second.contains(user_marker),
        "{target}:\n{second}"
    );

    // A hand edit of a managed server is a conflict, left alone.
    let edited = second.replace("docs2.acme.dev", "docs3.acme.dev");
    p.write(file, &edited);
    let out = p.mcpc(&["verify", "src", "--target", target], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("drifted  docs (differs in url)"),
        "{target}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = apply(&p);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{target}: a conflict must fail the apply"
    );
    assert!(
        stderr(&out).contains("conflict: server `docs`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        p.read(file),
        edited,
        "{target}: a conflicting entry was overwritten"
    );
    let out = p.mcpc(&["rollback", "--target", target], &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "rollback must refuse to lose the hand edit"
    );

    // With --force the source wins; then rollback walks back, and --all
    // restores the user's original file exactly.
    assert_eq!(
        p.mcpc(&["apply", "src", "--target", target, "--force"], &[])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(p.read(file), second);
    assert_eq!(
        p.mcpc(&["rollback", "--target", target, "--force"], &[])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(p.read(file), edited);
    let out = p.mcpc(&["rollback", "--target", target, "--all", "--force"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        p.read(file),
        existing,
        "{target}: rollback --all did not restore the original byte for byte"
    );
    assert_eq!(
        p.mcpc(&["rollback", "--target", target], &[]).status.code(),
        Some(1),
        "nothing left to roll back"
    );
}

/// VS Code's `mcp.json` as people write it: comments, trailing commas, a
/// server of their own with an input of their own.
const VSCODE_USER: &str = r#"{
  // Inputs VS Code prompts for.
  "inputs": [
    {
      "type": "promptString",
      "id": "my-key", // mine
      "description": "My key",
      "password": true,
    },
  ],
  /* my servers */
  "servers": {
    "mine": {
      "type": "stdio",
      "command": "my-tool",
      "env": { "KEY": "${input:my-key}", },
    },
  },
}
"#;

#[test]
fn vscode_mcp_json_with_comments_trailing_commas_and_inputs() {
    cycle(
        "vscode",
        ".vscode/mcp.json",
        VSCODE_USER,
        r#""id": "my-key", // mine"#,
    );
}

#[test]
fn cursor_mcp_json_with_comments_and_trailing_commas() {
    cycle(
        "cursor",
        ".cursor/mcp.json",
        "{\n  // Cursor's servers\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"my-tool\", \"args\": [\"--x\",], }, // keep\n  },\n}\n",
        "\"mine\": { \"command\": \"my-tool\", \"args\": [\"--x\",], }, // keep",
    );
}

/// The inputs of a VS Code file, by id.
fn input_ids(text: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(&mcpc::import::without_trailing_commas(
        &strip_comments(text),
    ))
    .unwrap_or_else(|e| panic!("{e}:\n{text}"));
    doc["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// JSONC without `//` and `/* */` comments (none inside strings here).
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = &r[r.find('\n').unwrap_or(r.len())..];
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = &r[r.find("*/").map_or(r.len(), |e| e + 2)..];
        } else if rest.starts_with('"') {
            let end = rest[1..].find('"').map_or(rest.len(), |e| e + 2);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// VS Code's inputs follow the secrets: one password prompt per secret,
/// merged by id beside the user's own, removed with the last server that
/// reads it; `secrets = env` writes `${env:…}` instead, and `verify` tells
/// the two apart.
#[test]
fn vscode_inputs_are_merged_by_id_and_follow_the_secrets() {
    let p = Project::new("vscode-inputs");
    let source = source_for("vscode");
    p.write("src/acme.mcpc", &source);
    p.write(".vscode/mcp.json", VSCODE_USER);
    let apply = |p: &Project, extra: &[&str]| {
        let mut args = vec!["apply", "src", "--target", "vscode"];
        args.extend(extra);
        p.mcpc(&args, &[])
    };
    let verify = |p: &Project| {
        let out = p.mcpc(&["verify", "src", "--target", "vscode"], &[]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let out = apply(&p, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = p.read(".vscode/mcp.json");
    assert_eq!(
        input_ids(&text),
        ["my-key", "DOCS_TOKEN", "SEARCH_KEY"],
        "{text}"
    );
    assert!(
        text.contains(r#""SEARCH_KEY": "${input:SEARCH_KEY}""#),
        "{text}"
    );
    assert!(
        text.contains(r#""Authorization": "Bearer ${input:DOCS_TOKEN}""#),
        "{text}"
    );
    assert_eq!(verify(&p).0, Some(0), "{}", verify(&p).1);

    // The input a server reads, gone or made visible: drifted.
    // (mcpc's inputs only: the user's ends in a trailing comma)
    let without = text.replace("\"password\": true\n", "\"password\": false\n");
    p.write(".vscode/mcp.json", &without);
    let (code, stdout) = verify(&p);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("drifted  search (differs in env)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("drifted  docs (differs in headers)"),
        "{stdout}"
    );
    // ... and a hand edit of an input mcpc wrote is a conflict.
    let out = apply(&p, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("conflict: input `DOCS_TOKEN`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.read(".vscode/mcp.json"), without);
    assert_eq!(apply(&p, &["--force"]).status.code(), Some(0));
    assert_eq!(p.read(".vscode/mcp.json"), text);

    // `search` goes: its input goes with it, the user's stays.
    let no_search = source.replace(
        "  server \"search\" {\n    command = \"npx\"\n    args    = [\"-y\", \"@acme/search-mcp@2.0.0\"]\n    env { SEARCH_KEY = secret.SEARCH_KEY }\n  }\n",
        "",
    );
    p.write("src/acme.mcpc", &no_search);
    assert_eq!(apply(&p, &[]).status.code(), Some(0));
    let text = p.read(".vscode/mcp.json");
    assert_eq!(input_ids(&text), ["my-key", "DOCS_TOKEN"], "{text}");
    assert!(text.contains(r#""id": "my-key", // mine"#), "{text}");

    // `secrets = env`: `${env:…}`, and mcpc's inputs are taken out.
    let env = no_search.replacen(
        "  server \"docs\"",
        "  target vscode { secrets = env }\n  server \"docs\"",
        1,
    );
    p.write("src/acme.mcpc", &env);
    assert_eq!(verify(&p).0, Some(1), "an input is not `${{env:…}}`");
    let out = apply(&p, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = p.read(".vscode/mcp.json");
    assert_eq!(input_ids(&text), ["my-key"], "{text}");
    assert!(text.contains(r#""Bearer ${env:DOCS_TOKEN}""#), "{text}");
    assert_eq!(verify(&p).0, Some(0), "{}", verify(&p).1);

    // A user's input of the same id as a secret is theirs: a conflict.
    p.write("src/acme.mcpc", &no_search);
    let theirs = text.replacen(r#""id": "my-key""#, r#""id": "DOCS_TOKEN""#, 1);
    p.write(".vscode/mcp.json", &theirs);
    let out = apply(&p, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("input `DOCS_TOKEN`") && stderr(&out).contains("not written by mcpc"),
        "{}",
        stderr(&out)
    );

    // Rollback walks every apply back to the user's file, byte for byte.
    let out = p.mcpc(&["rollback", "--target", "vscode", "--all", "--force"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(p.read(".vscode/mcp.json"), VSCODE_USER);
}

#[test]
fn opencode_json_with_schema_and_other_settings() {
    cycle(
        "opencode",
        "opencode.json",
        "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"theme\": \"tokyonight\",\n  \"mcp\": {\n    \"mine\": { \"type\": \"local\", \"command\": [\"my-tool\", \"--fast\"], \"enabled\": true }\n  },\n  \"autoupdate\": false\n}\n",
        "\"mine\": { \"type\": \"local\", \"command\": [\"my-tool\", \"--fast\"], \"enabled\": true }",
    );
}

#[test]
fn qwen_settings_with_comments_and_excluded_servers() {
    cycle(
        "qwen",
        ".qwen/settings.json",
        "// Qwen settings\n{\n  \"model\": { \"name\": \"qwen3-coder-plus\" },\n  \"mcpServers\": {\n    // mine\n    \"mine\": { \"httpUrl\": \"https://mine.example/mcp\" }\n  },\n  \"mcp\": { \"excluded\": [\"old\"] }\n}\n",
        "// mine\n    \"mine\": { \"httpUrl\": \"https://mine.example/mcp\" }",
    );
}

#[test]
fn copilot_github_mcp_json() {
    cycle(
        "copilot",
        ".github/mcp.json",
        "{\n  \"mcpServers\": {\n    \"mine\": {\n      \"type\": \"local\",\n      \"command\": \"my-tool\",\n      \"args\": [\"--fast\"],\n      \"tools\": [\"*\"]\n    }\n  }\n}\n",
        "\"tools\": [\"*\"]",
    );
}

#[test]
fn droid_mcp_json() {
    cycle(
        "droid",
        ".factory/mcp.json",
        "{\n\t\"mcpServers\": {\n\t\t\"mine\": {\"type\": \"stdio\", \"command\": \"my-tool\", \"disabledTools\": [\"rm\"]}\n\t}\n}\n",
        "\"mine\": {\"type\": \"stdio\", \"command\": \"my-tool\", \"disabledTools\": [\"rm\"]}",
    );
}

#[test]
fn amp_settings_with_flat_dotted_keys() {
    cycle(
        "amp",
        ".amp/settings.json",
        "{\n  \"amp.dangerouslyAllowAll\": false,\n  \"amp.mcpServers\": {\n    \"mine\": { \"command\": \"my-tool\", \"args\": [\"--fast\"] }\n  },\n  \"amp.notifications.enabled\": true\n}\n",
        "\"amp.notifications.enabled\": true",
    );
}

#[test]
fn auggie_settings_without_servers_yet() {
    cycle(
        "auggie",
        ".augment/settings.json",
        "{\n  \"model\": \"sonnet\",\n  \"indexing\": { \"enabled\": true }\n}\n",
        "\"indexing\": { \"enabled\": true }",
    );
}

#[test]
fn codex_config_with_comments_and_profiles() {
    cycle(
        "codex",
        ".codex/config.toml",
        "# Personal Codex config.\nmodel = \"o3\"   # keep\n\n[mcp_servers.mine]  # mine, hands off\ncommand = \"my-tool\"\nargs = [\"--fast\"]\n\n[profiles.quick]\nmodel = \"o4-mini\"\n",
        "[mcp_servers.mine]  # mine, hands off\ncommand = \"my-tool\"\nargs = [\"--fast\"]\n",
    );
}

#[test]
fn claude_mcp_json_with_odd_formatting() {
    cycle(
        "claude-code",
        ".mcp.json",
        "{\n    \"mcpServers\" : {\n        \"mine\": {\"command\": \"my-tool\",   \"args\": [\"--fast\"]}\n    }\n}\n",
        "\"mine\": {\"command\": \"my-tool\",   \"args\": [\"--fast\"]}",
    );
}

#[test]
fn hermes_config_with_comments_and_other_settings() {
    cycle(
        "hermes",
        ".hermes/config.yaml",
        "# Hermes\nmodel:\n  default: gpt-x   # keep me\nmcp_servers:\n  mine:\n    command: my-tool   # mine\n    args: [--fast]\ndisplay:\n  compact: true\n",
        "  mine:\n    command: my-tool   # mine\n    args: [--fast]\n",
    );
}

#[test]
fn gemini_settings_with_comments() {
    cycle(
        "gemini",
        ".gemini/settings.json",
        "{\n  // my settings\n  \"theme\": \"GitHub\",\n  \"mcpServers\": {\n    \"mine\": { \"command\": \"my-tool\" }\n  },\n  \"mcp\": { \"excluded\": [\"old\"] }\n}\n",
        "// my settings",
    );
}

#[test]
fn claude_settings_keep_the_users_rules() {
    let p = Project::new("claude-settings");
    p.write("src/acme.mcpc", SOURCE);
    let settings = "{\n  \"permissions\": {\n    \"allow\": [\"Bash(ls:*)\"],\n    \"deny\": [\"Bash(rm:*)\"]\n  }\n}\n";
    p.write(".claude/settings.json", settings);
    assert_eq!(
        p.mcpc(&["apply", "src", "--target", "claude-code"], &[])
            .status
            .code(),
        Some(0)
    );
    let after = p.read(".claude/settings.json");
    assert_eq!(
        after,
        "{\n  \"permissions\": {\n    \"allow\": [\"Bash(ls:*)\"],\n    \"deny\": [\"Bash(rm:*)\", \"mcp__docs__drop_index\"]\n  }\n}\n"
    );
    assert_eq!(
        p.mcpc(&["rollback", "--target", "claude-code"], &[])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(p.read(".claude/settings.json"), settings);
    assert!(
        !p.path(".mcp.json").exists(),
        "a file apply created is removed by rollback"
    );
}

/// VS Code's user `mcp.json` (under `$XDG_CONFIG_HOME` on Linux) gets the
/// same inputs, merged beside the user's own; verify and rollback in user
/// scope see them.
#[test]
fn vscode_user_scope_merges_inputs_into_the_profile_file() {
    let p = Project::new("vscode-user");
    p.write("src/acme.mcpc", &source_for("vscode"));
    let home = p.path("home");
    let xdg = p.path("xdg");
    fs::create_dir_all(&home).unwrap();
    let file = xdg.join("Code/User/mcp.json");
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, VSCODE_USER).unwrap();
    let env: &[(&str, &Path)] = &[("HOME", &home), ("XDG_CONFIG_HOME", &xdg)];
    let run = |cmd: &[&str]| {
        let mut args = cmd.to_vec();
        args.extend(["--target", "vscode", "--scope", "user"]);
        p.mcpc(&args, env)
    };
    let out = run(&["apply", "src"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(&file).unwrap();
    assert_eq!(
        input_ids(&text),
        ["my-key", "DOCS_TOKEN", "SEARCH_KEY"],
        "{text}"
    );
    assert_eq!(run(&["verify", "src"]).status.code(), Some(0));
    let out = run(&["rollback"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&file).unwrap(), VSCODE_USER);
}

#[test]
fn user_scope_follows_the_runtimes_own_variables() {
    let p = Project::new("user-scope");
    p.write("src/acme.mcpc", SOURCE);
    let home = p.path("home");
    fs::create_dir_all(&home).unwrap();
    let codex_home = p.path("elsewhere/codex");
    fs::create_dir_all(&codex_home).unwrap();
    let out = p.mcpc(
        &[
            "apply",
            "src",
            "--target",
            "codex",
            "--scope",
            "user",
            "--root",
            home.to_str().unwrap(),
        ],
        &[("CODEX_HOME", &codex_home)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::read_to_string(codex_home.join("config.toml"))
            .unwrap()
            .contains("[mcp_servers.docs]")
    );
    let hermes_home = p.path("hermes-home");
    let out = p.mcpc(
        &["apply", "src", "--target", "hermes", "--scope", "user"],
        &[("HOME", &home), ("HERMES_HOME", &hermes_home)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(hermes_home.join("config.yaml").exists());
    let out = p.mcpc(
        &["apply", "src", "--target", "claude-code", "--scope", "user"],
        &[("HOME", &home)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::read_to_string(home.join(".claude.json"))
            .unwrap()
            .contains("\"docs\"")
    );
    assert!(home.join(".claude/settings.json").exists());
    let out = p.mcpc(
        &[
            "verify",
            "src",
            "--target",
            "claude-code",
            "--scope",
            "user",
        ],
        &[("HOME", &home)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn malformed_files_and_missing_directories_are_io_errors() {
    let p = Project::new("malformed");
    p.write("src/acme.mcpc", SOURCE);
    let broken = "{\n  \"mcpServers\": {\n    \"mine\": {\"command\": \"x\",}\n  }\n}\n";
    p.write(".gemini/settings.json", broken);
    let out = p.mcpc(&["apply", "src", "--target", "gemini"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));
    assert_eq!(p.read(".gemini/settings.json"), broken);
    assert!(
        !p.path(".mcpc").exists(),
        "nothing may be written for a malformed file"
    );
    let out = p.mcpc(
        &["apply", "src", "--target", "codex", "--root", "no/such/dir"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"));
    let out = p.mcpc(&["apply", "src", "--target", "hermes", "--dry-run"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("+mcp_servers:"));
    assert!(!p.path(".hermes").exists(), "--dry-run wrote a file");
}

#[test]
fn killing_apply_leaves_the_old_or_the_new_file() {
    let p = Project::new("kill");
    let mut big = String::from("plugin \"big\" {\n  version = \"1.0.0\"\n");
    for i in 0..400 {
        big.push_str(&format!(
            "  server \"s{i}\" {{ url = \"https://s{i}.acme.dev/mcp\" }}\n"
        ));
    }
    big.push_str("}\n");
    p.write("src/big.mcpc", &big);
    let old = "# keep\n[other]\nx = 1\n";
    p.write(".codex/config.toml", old);
    let new = {
        let q = Project::new("kill-ref");
        q.write("src/big.mcpc", &big);
        q.write(".codex/config.toml", old);
        assert_eq!(
            q.mcpc(&["apply", "src", "--target", "codex"], &[])
                .status
                .code(),
            Some(0)
        );
        q.read(".codex/config.toml")
    };
    for i in 0..25u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(["apply", "src", "--target", "codex"])
            .current_dir(&p.0)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(300 * i));
        let _ = child.kill();
        let _ = child.wait();
        let now = p.read(".codex/config.toml");
        assert!(
            now == old || now == new,
            "a killed apply left a partial file ({} bytes)",
            now.len()
        );
        if now == new {
            p.write(".codex/config.toml", old);
            let _ = fs::remove_dir_all(p.path(".mcpc"));
        }
    }
}

#[test]
fn import_prints_source_without_secret_values() {
    let p = Project::new("import");
    p.write(
        "codex.toml",
        "[mcp_servers.gh]\ncommand = \"github-mcp\"\nenv_vars = [\"GITHUB_TOKEN\"]\n[mcp_servers.gh.env]\nGH_HOST = \"github.com\"\nAPI_KEY = \"sk-live-0123456789abcdef\"\n\n[mcp_servers.api]\nurl = \"https://api.acme.dev/mcp\"\nbearer_token_env_var = \"API_TOKEN\"\ntool_timeout_sec = 90\nenabled_tools = [\"read\"]\n",
    );
    let out = p.mcpc(&["import", "--from", "codex", "codex.toml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The import is formatted (`=` aligned): compare with spaces squashed.
    let source = String::from_utf8_lossy(&out.stdout)
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        !source.contains("sk-live") && !stderr(&out).contains("sk-live"),
        "a secret value was printed"
    );
    assert!(
        source.contains("GITHUB_TOKEN = secret.GITHUB_TOKEN"),
        "{source}"
    );
    assert!(source.contains("API_KEY = secret.API_KEY"), "{source}");
    assert!(
        source.contains("Authorization = \"Bearer ${secret.API_TOKEN}\""),
        "{source}"
    );
    assert!(
        source.contains("tool_timeout = 90s") && source.contains("tools { allow = [\"read\"] }"),
        "{source}"
    );
    assert!(
        stderr(&out).contains("warning[plaintext-secret]"),
        "{}",
        stderr(&out)
    );
    p.write("imported.mcpc", &source);
    let out = p.mcpc(&["check", "imported.mcpc"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the imported source must check clean: {}",
        stderr(&out)
    );
    p.write(
        "claude.json",
        "{\"mcpServers\": {\"gh\": {\"command\": \"gh-mcp\", \"args\": [\"--token=ghp_0123456789abcdefghijABCDEFGHIJ012345\"]}}}",
    );
    let out = p.mcpc(&["import", "--from", "claude-code", "claude.json"], &[]);
    let all = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert!(
        !all.contains("0123456789abcdef"),
        "import printed a token:\n{all}"
    );
    assert!(all.contains("\"--token=${secret.GH_TOKEN}\""), "{all}");
    p.write("bad.toml", "[mcp_servers.x\ncommand = 1\n");
    let out = p.mcpc(&["import", "--from", "codex", "bad.toml"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_workspace_applies_to_its_own_runtime_only() {
    let p = Project::new("workspace");
    p.write(
        "src/acme.mcpc",
        &format!("{SOURCE}\nworkspace \"dev\" {{ runtime = hermes plugins = [\"acme\"] }}\n"),
    );
    assert_eq!(
        p.mcpc(&["apply", "src", "--target", "codex"], &[])
            .status
            .code(),
        Some(0)
    );
    let before = p.read(".codex/config.toml");
    let out = p.mcpc(
        &["apply", "src", "--target", "codex", "--workspace", "dev"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("workspace `dev` runs hermes, not codex"),
        "{}",
        stderr(&out)
    );
    assert_eq!(p.read(".codex/config.toml"), before, "servers were removed");
    let out = p.mcpc(
        &["apply", "src", "--target", "hermes", "--workspace", "dev"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(p.read(".hermes/config.yaml").contains("docs:"));
}

/// One project applied for every target: each writes its own file, no
/// file is written by two targets, and each verifies. Copilot CLI reads
/// Claude Code's `.mcp.json` instead of its own file and Qwen Code merges
/// it: `verify` accepts that while they see exactly what was declared for
/// them, and reports it once `.mcp.json` holds something else.
#[test]
fn every_target_applied_into_one_project() {
    let p = Project::new("all-targets");
    // Zed, Claude Desktop and Antigravity reference no environment, so the
    // secret-reading servers leave them out and `plain` is theirs too;
    // Windsurf, Claude Desktop, Antigravity and Goose have a user file only.
    let no_env = ["zed", "claude-desktop", "antigravity"];
    let user_only = ["windsurf", "claude-desktop", "antigravity", "goose"];
    let with_env: Vec<String> = mcpc::Target::ALL
        .iter()
        .map(|t| t.name())
        .filter(|t| !no_env.contains(t))
        .map(|t| format!("\"{t}\""))
        .collect();
    let with_env = with_env.join(", ");
    let all = |extra: &str| {
        format!(
            "plugin \"acme\" {{\n  version = \"1.0.0\"\n  server \"plain\" {{\n    command = \"npx\"\n    args = [\"-y\", \"@acme/plain-mcp@1.0.0\"]\n  }}\n  server \"search\" {{\n    command = \"npx\"\n    args = [\"-y\", \"@acme/search-mcp@2.0.0\"]\n    env {{ SEARCH_KEY = secret.SEARCH_KEY }}\n    targets = [{with_env}]\n  }}\n  server \"docs\" {{\n    url = \"https://docs.acme.dev/mcp\"\n    headers {{ Authorization = \"Bearer ${{secret.DOCS_TOKEN}}\" }}\n    targets = [\"claude-code\", \"codex\", \"hermes\", \"gemini\", \"opencode\", \"qwen\", \"copilot\", \"droid\", \"amp\"]\n  }}\n{extra}}}\n"
        )
    };
    p.write("src/acme.mcpc", &all(""));
    assert_eq!(mcpc::Target::ALL.len(), 19);
    let targets: Vec<&str> = mcpc::Target::ALL
        .iter()
        .map(|t| t.name())
        .filter(|t| !user_only.contains(t))
        .collect();
    let mut files: Vec<String> = Vec::new();
    for &t in &targets {
        let out = p.mcpc(&["apply", "src", "--target", t], &[]);
        assert_eq!(out.status.code(), Some(0), "{t}: {}", stderr(&out));
        let ledger = p.read(&format!(".mcpc/{t}/ledger.json"));
        let value: serde_json::Value = serde_json::from_str(&ledger).unwrap();
        for path in value["files"].as_object().unwrap().keys() {
            assert!(
                !files.contains(path),
                "{t} writes `{path}`, which another target wrote"
            );
            files.push(path.clone());
        }
    }
    for t in user_only {
        let out = p.mcpc(&["apply", "src", "--target", t], &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{t} has no project file: {}",
            stderr(&out)
        );
    }
    assert!(files.len() >= targets.len(), "{files:?}");
    let verify = |t: &str| {
        let out = p.mcpc(&["verify", "src", "--target", t], &[]);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    for &t in &targets {
        let (code, stdout) = verify(t);
        assert_eq!(
            code,
            Some(0),
            "{t}: verify in the shared project:\n{stdout}"
        );
        assert!(!stdout.contains("clash"), "{t}: {stdout}");
    }

    // A server for Claude Code only: Copilot CLI (reading `.mcp.json`
    // instead of its own file) and Qwen Code (merging it, `url` as SSE)
    // would see it.
    p.write(
        "src/acme.mcpc",
        &all("  server \"only-claude\" {\n    url = \"https://only.acme.dev/mcp\"\n    targets = [\"claude-code\"]\n  }\n"),
    );
    let out = p.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (code, stdout) = verify("copilot");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("clash    Copilot CLI reads `.mcp.json` (written for claude-code) instead of `.github/mcp.json`"),
        "{stdout}"
    );
    let (code, stdout) = verify("qwen");
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "clash    Qwen Code also loads `only-claude` from `.mcp.json` (written for claude-code)"
        ),
        "{stdout}"
    );
    for t in [
        "codex", "hermes", "gemini", "opencode", "droid", "amp", "auggie",
    ] {
        assert_eq!(verify(t).0, Some(0), "{t} reads no other runtime's file");
    }
}

/// droid and Auggie drop every server when one entry is malformed:
/// `verify` names the entry and says so, even when the entry is the user's.
#[test]
fn verify_names_an_entry_that_would_make_the_runtime_drop_everything() {
    for (target, file, bad) in [
        (
            "droid",
            ".factory/mcp.json",
            "{\"mcpServers\": {\"bad\": {\"url\": \"https://x.example/mcp\", \"type\": \"streamable-http\"}}}\n",
        ),
        (
            "auggie",
            ".augment/settings.json",
            "{\"mcpServers\": {\"bad\": {\"command\": \"x\", \"args\": \"--flag\"}}}\n",
        ),
        (
            "opencode",
            "opencode.json",
            "{\"mcp\": {\"bad\": {\"type\": \"local\", \"command\": \"x --flag\"}}}\n",
        ),
    ] {
        let p = Project::new(&format!("fragile-{target}"));
        p.write("src/acme.mcpc", &source_for("auggie"));
        p.write(file, bad);
        let out = p.mcpc(&["verify", "src", "--target", target], &[]);
        assert_eq!(out.status.code(), Some(2), "{target}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("server `bad`")
                && err.contains("drops every server when one entry is malformed"),
            "{target}: {err}"
        );
    }
}

/// Issue #15 (1): a backup record shipped in a cloned repository cannot
/// make rollback write, copy or delete a file mcpc does not manage here.
#[test]
fn rollback_refuses_a_forged_backup_record() {
    let p = Project::new("forged-backup");
    p.write("src/acme.mcpc", SOURCE);
    let victim = p.path("home/.bash_profile");
    let empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let forge = |p: &Project, files: &str| {
        p.write("rogue", "echo pwned\n");
        p.write(
            ".mcpc/claude-code/backup/1/backup.json",
            &format!("{{\"files\": [{files}], \"ledger\": null}}"),
        );
    };
    // A path outside what the target manages, with the empty file's hash.
    forge(
        &p,
        &format!(
            "{{\"path\": \"{}\", \"stored\": \"../../../../rogue\", \"written\": \"{empty_sha}\"}}",
            victim.display()
        ),
    );
    let out = p.mcpc(&["rollback", "--target", "claude-code", "--force"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a file mcpc manages here"),
        "{}",
        stderr(&out)
    );
    assert!(!victim.exists());
    // A managed path, but `stored` outside the backup directory.
    let secret = p.path("home/secret.txt");
    p.write("home/secret.txt", "api-key\n");
    // The root is canonical: name the managed file the way mcpc does.
    let root = p.0.canonicalize().unwrap();
    forge(
        &p,
        &format!(
            "{{\"path\": \"{}\", \"stored\": \"{}\", \"written\": \"{empty_sha}\"}}",
            root.join(".mcp.json").display(),
            secret.display()
        ),
    );
    let out = p.mcpc(&["rollback", "--target", "claude-code", "--force"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a file of the backup"),
        "{}",
        stderr(&out)
    );
    assert!(
        !p.path(".mcp.json").exists(),
        "the secret was copied into the repository"
    );
    // A missing file never matches the recorded hash (not even the empty one).
    forge(
        &p,
        &format!(
            "{{\"path\": \"{}\", \"stored\": null, \"written\": \"{empty_sha}\"}}",
            root.join(".mcp.json").display()
        ),
    );
    let out = p.mcpc(&["rollback", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("edited after the last apply"),
        "{}",
        stderr(&out)
    );
}

/// Issue #15 (7): backups and the ledger are private from the start, and a
/// 0600 runtime file stays 0600.
#[test]
fn state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::new("private-state");
    p.write("src/acme.mcpc", SOURCE);
    p.write(
        ".mcp.json",
        "{\"mcpServers\": {\"mine\": {\"command\": \"x\", \"env\": {\"K\": \"sk-live\"}}}}\n",
    );
    fs::set_permissions(p.path(".mcp.json"), fs::Permissions::from_mode(0o600)).unwrap();
    let out = p.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mode = |rel: &str| fs::metadata(p.path(rel)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(".mcp.json"), 0o600);
    assert_eq!(mode(".mcpc/claude-code/ledger.json"), 0o600);
    assert_eq!(mode(".mcpc/claude-code/backup/1"), 0o700);
    assert_eq!(mode(".mcpc/claude-code/backup/1/backup.json"), 0o600);
    for entry in fs::read_dir(p.path(".mcpc/claude-code/backup/1")).unwrap() {
        let m = entry.unwrap().metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o600);
    }
}

/// Issue #15 (16): a 100,000-deep runtime file is a coded error for
/// `apply`, `verify` and `import`, never an abort, and nothing is written.
#[test]
fn a_file_nested_100000_deep_is_a_coded_error() {
    let n = 100_000;
    let cases = [
        (
            "claude-code",
            ".mcp.json",
            format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "gemini",
            ".gemini/settings.json",
            format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n)),
        ),
        (
            "codex",
            ".codex/config.toml",
            format!("x = {}{}\n", "[".repeat(n), "]".repeat(n)),
        ),
        (
            "hermes",
            ".hermes/config.yaml",
            format!(
                "mcp_servers: {{\"a\": {}{}}}\n",
                "[".repeat(n),
                "]".repeat(n)
            ),
        ),
    ];
    for (target, file, text) in cases {
        let p = Project::new(&format!("deep-{target}"));
        p.write("src/acme.mcpc", &source_for(target));
        p.write(file, &text);
        let runs: [&[&str]; 4] = [
            &["apply", "src", "--target", target],
            &["verify", "src", "--target", target],
            &["import", "--from", target, file],
            &["import", file],
        ];
        for args in runs {
            let out = p.mcpc(args, &[]);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("error[nesting-too-deep]: `"),
                "{args:?}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).len() < 2_000,
                "{args:?}: the message repeats the file"
            );
        }
        assert_eq!(p.read(file), text, "{target}: the file was changed");
        assert!(!p.path(&format!(".mcpc/{target}/ledger.json")).exists());
    }
}

/// The names of every file below `dir` (links not followed), relative.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            }
            out.push(
                entry
                    .path()
                    .strip_prefix(dir)
                    .unwrap()
                    .display()
                    .to_string(),
            );
        }
    }
    out.sort();
    out
}

/// Issue #15 (8): in project scope a link leading out of the project (a
/// `.codex` directory linked to the user's, a `.mcp.json` linked to a
/// private file, a linked `.mcpc`) is a coded error naming the real path,
/// and nothing is written anywhere.
#[test]
fn a_link_out_of_the_project_is_refused_and_nothing_is_written() {
    use std::os::unix::fs::symlink;
    let outside = Project::new("links-outside");
    outside.write(".codex/config.toml", "# the user's own\nmodel = \"o3\"\n");
    outside.write(
        "private.json",
        "{\"mcpServers\": {\"bank\": {\"command\": \"x\", \"env\": {\"K\": \"sk-live\"}}}}\n",
    );
    let real_outside = outside.0.canonicalize().unwrap();
    let cases: [(&str, &str, &str, PathBuf, PathBuf); 3] = [
        (
            "codex",
            ".codex",
            ".codex/config.toml",
            outside.path(".codex"),
            real_outside.join(".codex/config.toml"),
        ),
        (
            "claude-code",
            ".mcp.json",
            ".mcp.json",
            outside.path("private.json"),
            real_outside.join("private.json"),
        ),
        (
            "claude-code",
            ".mcpc",
            ".mcpc/claude-code",
            outside.path("state"),
            real_outside.join("state/claude-code"),
        ),
    ];
    for (target, link, named, to, real) in cases {
        let p = Project::new(&format!("links-out-{}", link.trim_start_matches('.')));
        p.write("src/acme.mcpc", &source_for(target));
        symlink(&to, p.path(link)).unwrap();
        let before_outside = tree(&outside.0);
        let before = tree(&p.0);
        for args in [
            vec!["apply", "src", "--target", target],
            vec!["rollback", "--target", target],
        ] {
            let out = p.mcpc(&args, &[]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{link} {args:?}: {err}");
            assert!(
                err.contains(&format!(
                    "error[outside-root]: `{named}` leads to `{}`",
                    real.display()
                )),
                "{link} {args:?}: {err}"
            );
            assert!(err.contains("help: "), "{err}");
            assert_eq!(tree(&outside.0), before_outside, "{link}: written outside");
            assert_eq!(tree(&p.0), before, "{link}: written inside");
        }
        assert_eq!(
            outside.read(".codex/config.toml"),
            "# the user's own\nmodel = \"o3\"\n"
        );
        assert!(outside.read("private.json").contains("sk-live"));
    }
}

/// A link that passes through a directory that does not exist and then
/// climbs (`nowhere/../../other/.codex`) reads, as text, as a path in the
/// project; once a write makes `nowhere`, it leads out. `apply` refuses
/// it and writes nothing, in the project or out of it.
#[test]
fn a_link_that_climbs_out_through_a_missing_directory_is_refused() {
    use std::os::unix::fs::symlink;
    let outside = Project::new("climb-outside");
    outside.write(".codex/config.toml", "# the user's own\nmodel = \"o3\"\n");
    let p = Project::new("climb-project");
    p.write("src/acme.mcpc", &source_for("codex"));
    let name = outside.0.file_name().unwrap().to_str().unwrap();
    symlink(format!("nowhere/../../{name}/.codex"), p.path(".codex")).unwrap();
    let before_outside = tree(&outside.0);
    let before = tree(&p.0);
    let out = p.mcpc(&["apply", "src", "--target", "codex"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("error[outside-root]"), "{err}");
    assert_eq!(tree(&outside.0), before_outside, "written outside");
    assert_eq!(tree(&p.0), before, "written inside");
    assert!(!p.path("nowhere").exists());
}

/// Issue #15 (8): a link that stays inside the project is written through
/// (apply says which real file), and rollback restores that file: the link
/// stays a link.
#[test]
fn a_link_inside_the_project_is_written_through_and_stays_a_link() {
    use std::os::unix::fs::symlink;
    let p = Project::new("links-inside");
    p.write("src/acme.mcpc", SOURCE);
    let original = "{\n  \"mcpServers\": {\"mine\": {\"command\": \"my-tool\"}}\n}\n";
    p.write("config/mcp.json", original);
    symlink("config/mcp.json", p.path(".mcp.json")).unwrap();
    let out = p.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let real = p.0.canonicalize().unwrap().join("config/mcp.json");
    assert!(
        err.contains(&format!("is a link: writing {}", real.display())),
        "{err}"
    );
    let is_link = |p: &Project| {
        fs::symlink_metadata(p.path(".mcp.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    };
    assert!(is_link(&p), "apply replaced the link by a file");
    let written = p.read("config/mcp.json");
    assert!(
        written.contains("\"docs\"") && written.contains("my-tool"),
        "{written}"
    );
    let out = p.mcpc(&["verify", "src", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = p.mcpc(&["rollback", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(is_link(&p), "rollback replaced the link by a file");
    assert_eq!(p.read("config/mcp.json"), original);
}

/// The server names of a JSON runtime file's `mcpServers`.
fn json_servers(text: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut names: Vec<String> = v["mcpServers"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Issue #15 (9): another program replacing the file while apply runs
/// (as editors and tools do: a new file renamed over the old one) never
/// loses its edit: apply either worked from it, or stops with exit 2 and
/// leaves it. 100 runs, the program writing again and again through each.
#[test]
fn edits_made_while_apply_runs_are_never_lost() {
    let p = Project::new("concurrent-edit");
    p.write("src/acme.mcpc", SOURCE);
    let file = p.path(".mcp.json");
    let (mut stopped, mut lost) = (0, Vec::new());
    for run in 0..100u64 {
        let edit = |k: u64| {
            let tmp = p.path(&format!(".mcp.json.editor-{k}"));
            fs::write(
                &tmp,
                format!(
                    "{{\"mcpServers\": {{\"mine\": {{\"command\": \"x\"}}}}, \"edit\": {k}}}\n"
                ),
            )
            .unwrap();
            fs::rename(&tmp, &file).unwrap();
        };
        edit(0);
        let _ = fs::remove_dir_all(p.path(".mcpc"));
        let mut apply = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(["apply", "src", "--target", "claude-code"])
            .current_dir(&p.0)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Start a little later each run, so the edits fall on every step.
        std::thread::sleep(std::time::Duration::from_micros(200 * (run % 50)));
        let mut last = 0;
        while apply.try_wait().unwrap().is_none() {
            last += 1;
            edit(last);
        }
        let out = apply.wait_with_output().unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if code == Some(2) {
            assert!(
                String::from_utf8_lossy(&out.stderr).contains("changed while mcpc was applying"),
                "run {run}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            stopped += 1;
        }
        let now: serde_json::Value = serde_json::from_str(&p.read(".mcp.json")).unwrap();
        if now["edit"] != last {
            lost.push((run, last, now["edit"].clone()));
        }
    }
    assert!(
        lost.is_empty(),
        "edits lost (run, last edit, edit in the file): {lost:?}"
    );
    eprintln!("{stopped} of 100 applies stopped on a concurrent edit");
}

/// Issue #15 (9): two applies at once, of different sources, run one after
/// the other: the file and the ledger agree (no server nothing owns).
#[test]
fn two_concurrent_applies_leave_file_and_ledger_agreeing() {
    let p = Project::new("concurrent-apply");
    p.write(
        "a/a.mcpc",
        "plugin \"p\" {\n  version = \"1.0.0\"\n  server \"alpha\" { command = \"a\" }\n}\n",
    );
    p.write(
        "b/b.mcpc",
        "plugin \"p\" {\n  version = \"1.0.0\"\n  server \"beta\" { command = \"b\" }\n}\n",
    );
    for run in 0..20 {
        let spawn = |dir: &str| {
            Command::new(env!("CARGO_BIN_EXE_mcpc"))
                .args(["apply", dir, "--target", "claude-code"])
                .current_dir(&p.0)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("a"), spawn("b"));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "run {run}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let in_file = json_servers(&p.read(".mcp.json"));
        let ledger: serde_json::Value =
            serde_json::from_str(&p.read(".mcpc/claude-code/ledger.json")).unwrap();
        let owned: Vec<String> = ledger["files"][".mcp.json"]["servers"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(in_file, owned, "run {run}: file and ledger disagree");
        assert!(
            in_file == ["alpha"] || in_file == ["beta"],
            "run {run}: {in_file:?}"
        );
    }
}

/// Issue #15 (10): `rollback --all` never drops a hand edit made between
/// two applies; it says so and exits 1, and `--force` goes back anyway.
#[test]
fn rollback_all_keeps_a_hand_edit_made_between_two_applies() {
    let p = Project::new("rollback-between");
    let original = "{\n  \"mcpServers\": {}\n}\n";
    p.write(".mcp.json", original);
    p.write("src/acme.mcpc", SOURCE);
    let apply = |p: &Project| p.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
    assert_eq!(apply(&p).status.code(), Some(0));
    // By hand, between the applies: a server of the user's own.
    let edited = p.read(".mcp.json").replacen(
        "\"mcpServers\": {",
        "\"mcpServers\": {\n    \"mine\": {\"command\": \"my-tool\"},",
        1,
    );
    p.write(".mcp.json", &edited);
    p.write(
        "src/acme.mcpc",
        &SOURCE.replace("@acme/search-mcp@2.0.0", "@acme/search-mcp@2.1.0"),
    );
    assert_eq!(apply(&p).status.code(), Some(0));
    let after = p.read(".mcp.json");
    assert!(
        after.contains("my-tool") && after.contains("2.1.0"),
        "{after}"
    );
    let out = p.mcpc(&["rollback", "--all", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`") && stderr(&out).contains("was edited between two applies"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        p.read(".mcp.json"),
        after,
        "a refused rollback changed the file"
    );
    // One step back keeps the edit.
    let out = p.mcpc(&["rollback", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(p.read(".mcp.json"), edited);
    // Re-apply, then --force goes all the way back.
    assert_eq!(apply(&p).status.code(), Some(0));
    let out = p.mcpc(
        &["rollback", "--all", "--force", "--target", "claude-code"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(p.read(".mcp.json"), original);
}

/// `tests/golden/deliver/<case>/stderr.txt`: what apply prints for a
/// delivery error, the temporary directories named `<project>` and
/// `<outside>` (`MCPC_BLESS=1` rewrites it).
#[test]
fn golden_delivery_errors() {
    use std::os::unix::fs::symlink;
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/deliver");
    let p = Project::new("golden-outside-root");
    let outside = Project::new("golden-outside-root-home");
    outside.write(".codex/config.toml", "model = \"o3\"\n");
    p.write("src/acme.mcpc", &source_for("codex"));
    symlink(outside.path(".codex"), p.path(".codex")).unwrap();
    let out = p.mcpc(&["apply", "src", "--target", "codex"], &[]);
    let got = format!(
        "exit: {}\n{}",
        out.status.code().unwrap_or(-1),
        stderr(&out)
    )
    .replace(
        &p.0.canonicalize().unwrap().display().to_string(),
        "<project>",
    )
    .replace(
        &outside.0.canonicalize().unwrap().display().to_string(),
        "<outside>",
    );
    let path = golden.join("outside-root/stderr.txt");
    if std::env::var_os("MCPC_BLESS").is_some() {
        fs::write(&path, &got).unwrap();
    }
    assert_eq!(fs::read_to_string(&path).unwrap_or_default(), got);
}

/// Issue #14 (4): the ledger names files relative to the root, so applies
/// in two clones write the same ledger bytes; an old ledger with absolute
/// paths (from another clone) is still understood, and rewritten.
#[test]
fn ledgers_of_two_clones_are_identical_and_old_ledgers_are_read() {
    let (a, b) = (Project::new("clone-a"), Project::new("clone-b"));
    for p in [&a, &b] {
        p.write("src/acme.mcpc", SOURCE);
        p.write(".claude/settings.json", "{\"model\": \"opus\"}\n");
        let out = p.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let ledger = a.read(".mcpc/claude-code/ledger.json");
    assert_eq!(ledger, b.read(".mcpc/claude-code/ledger.json"));
    let value: serde_json::Value = serde_json::from_str(&ledger).unwrap();
    let mut keys: Vec<&String> = value["files"].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, [".claude/settings.json", ".mcp.json"], "{ledger}");
    assert!(!ledger.contains(&a.0.display().to_string()));

    // A version 1 ledger, written in clone a, committed, read in clone b.
    let root_a = a.0.canonicalize().unwrap();
    let mut old = value.clone();
    old["version"] = 1.into();
    let files = old["files"].as_object_mut().unwrap();
    let moved: serde_json::Map<String, serde_json::Value> = files
        .iter()
        .map(|(k, v)| (root_a.join(k).display().to_string(), v.clone()))
        .collect();
    *files = moved;
    b.write(
        ".mcpc/claude-code/ledger.json",
        &serde_json::to_string_pretty(&old).unwrap(),
    );
    // `search` is no longer declared: owned, per the old ledger, so removed.
    let without_search = SOURCE
        .split("  server \"search\"")
        .next()
        .unwrap()
        .to_owned()
        + "}\n";
    b.write("src/acme.mcpc", &without_search);
    let out = b.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("remove server `search`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(json_servers(&b.read(".mcp.json")), ["docs"]);
    let rewritten = b.read(".mcpc/claude-code/ledger.json");
    assert!(rewritten.contains("\"version\": 2"), "{rewritten}");
    assert!(
        !rewritten.contains(&root_a.display().to_string()),
        "{rewritten}"
    );
}

/// Issue #14 (4): backups are pruned to 10, `--keep-backups N` keeps N,
/// and `.mcpc/.gitignore` makes git see the ledger, never the backups or
/// the lock (checked with git itself).
#[test]
fn backups_are_bounded_and_only_the_ledger_is_committed() {
    let p = Project::new("prune");
    let version = |i: usize| SOURCE.replace("2.0.0", &format!("2.0.{}", i + 1));
    let apply = |p: &Project, extra: &[&str]| {
        let mut args = vec!["apply", "src", "--target", "claude-code"];
        args.extend_from_slice(extra);
        let out = p.mcpc(&args, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    };
    let count = |p: &Project| {
        fs::read_dir(p.path(".mcpc/claude-code/backup"))
            .unwrap()
            .count()
    };
    for i in 0..12 {
        p.write("src/acme.mcpc", &version(i));
        apply(&p, &[]);
    }
    assert_eq!(count(&p), 10);
    for i in 12..15 {
        p.write("src/acme.mcpc", &version(i));
        apply(&p, &["--keep-backups", "2"]);
    }
    assert_eq!(count(&p), 2);
    let out = p.mcpc(
        &[
            "apply",
            "src",
            "--target",
            "claude-code",
            "--keep-backups",
            "0",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // rollback --all goes back as far as the backups kept.
    let out = p.mcpc(&["rollback", "--all", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("rolled back 2 applies"),
        "{}",
        stderr(&out)
    );
    assert!(p.read(".mcp.json").contains("@acme/search-mcp@2.0.13\""));

    p.write("src/acme.mcpc", &version(20));
    apply(&p, &[]);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&p.0)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q"]);
    let listed = git(&["ls-files", "--others", "--exclude-standard", ".mcpc"]);
    let mut listed: Vec<&str> = listed.lines().collect();
    listed.sort();
    assert_eq!(
        listed,
        [".mcpc/.gitignore", ".mcpc/claude-code/ledger.json"],
        "what git would commit of .mcpc/"
    );
    assert!(p.path(".mcpc/lock").exists() && p.path(".mcpc/claude-code/backup").exists());
}

/// Issue #15 (19): a temporary file left by a killed mcpc is removed by
/// the next write of that file; one of a running process is kept.
#[test]
fn temporary_files_of_a_killed_mcpc_are_cleaned_up() {
    let p = Project::new("stale-temp");
    p.write("src/acme.mcpc", SOURCE);
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let live = std::process::id();
    // Named as mcpc names them: `.<file name>.mcpc-tmp.<pid>`.
    for stale in [
        format!("..mcp.json.mcpc-tmp.{dead}"),
        format!(".mcpc/claude-code/.ledger.json.mcpc-tmp.{dead}"),
    ] {
        p.write(&stale, "half a file");
    }
    let running = format!("..mcp.json.mcpc-tmp.{live}");
    p.write(&running, "a concurrent write");
    let out = p.mcpc(&["apply", "src", "--target", "claude-code"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let left: Vec<String> = tree(&p.0)
        .into_iter()
        .filter(|f| f.contains(".mcpc-tmp."))
        .collect();
    assert_eq!(left, [running], "temporary files left");
}
