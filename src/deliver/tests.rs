use super::*;
use crate::Compilation;
use crate::backends::Plan;
use crate::diag::LintLevels;
use crate::source::{SourceFile, SourceMap};

fn desired_for(target: Target, source: &str) -> BTreeMap<String, Value> {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("t.mcpc", source));
    let mut c = Compilation::new(sources, LintLevels::default());
    let files = c.build(&Plan {
        targets: vec![target],
        ..Plan::default()
    });
    let (_, diags) = c.finish();
    assert!(crate::diag::count_errors(&diags) == 0, "{diags:?}");
    desired(target, &files).unwrap()
}

const SOURCE: &str = r#"plugin "p" {
  version = "1.0.0"
  server "docs" {
    url = "https://docs.acme.dev/mcp"
    headers { Authorization = "Bearer ${secret.DOCS_TOKEN}" }
    tools { deny = ["drop"] }
  }
  server "local" { command = "local-mcp" }
}
"#;

/// Applies `desired` to `text` (one file), returning the plan.
fn apply_once(
    target: Target,
    text: Option<&str>,
    desired: &BTreeMap<String, Value>,
    ledger: &Ledger,
    force: bool,
) -> Result<ApplyPlan, DeliverError> {
    let files = target.backend().managed_files();
    let currents: Vec<Current> = files
        .iter()
        .map(|f| Current {
            file: f,
            path: format!("/home/u/{}", f.project_path),
            text: if f.project_path == files[0].project_path {
                text.map(str::to_owned)
            } else {
                None
            },
        })
        .collect();
    plan_apply(target, &currents, desired, ledger, force)
}

fn new_text(plan: &ApplyPlan, suffix: &str) -> String {
    plan.edits
        .iter()
        .find(|e| e.path.ends_with(suffix))
        .map(|e| e.new.clone())
        .unwrap_or_default()
}

#[test]
fn codex_keeps_comments_and_the_users_servers_and_is_idempotent() {
    let user = "# personal settings\nmodel = \"o3\"\n\n[mcp_servers.mine] # hand-written\ncommand = \"my-tool\"\n";
    let want = desired_for(Target::Codex, SOURCE);
    let first = apply_once(Target::Codex, Some(user), &want, &Ledger::default(), false).unwrap();
    assert!(first.conflicts.is_empty());
    let text = new_text(&first, "config.toml");
    assert!(text.starts_with(user), "user bytes moved:\n{text}");
    assert!(text.contains("bearer_token_env_var = \"DOCS_TOKEN\""));
    let again = apply_once(Target::Codex, Some(&text), &want, &first.ledger, false).unwrap();
    assert!(
        again.edits.is_empty(),
        "second apply changed bytes: {:?}",
        again.actions
    );
    assert_eq!(again.ledger, first.ledger);
    // The source drops `local`: mcpc removes it, and only it.
    let fewer = desired_for(
        Target::Codex,
        &SOURCE.replace("  server \"local\" { command = \"local-mcp\" }\n", ""),
    );
    let third = apply_once(Target::Codex, Some(&text), &fewer, &first.ledger, false).unwrap();
    let text3 = new_text(&third, "config.toml");
    assert!(
        !text3.contains("local-mcp")
            && text3.contains("[mcp_servers.mine] # hand-written")
            && text3.contains("[mcp_servers.docs]"),
        "{text3}"
    );
}

#[test]
fn hand_edits_are_conflicts_unless_forced() {
    let want = desired_for(Target::Hermes, SOURCE);
    let first = apply_once(
        Target::Hermes,
        Some("model: x\n"),
        &want,
        &Ledger::default(),
        false,
    )
    .unwrap();
    let text = new_text(&first, "config.yaml");
    let edited = text.replace("command: \"local-mcp\"", "command: \"local-mcp-v2\"");
    let second = apply_once(Target::Hermes, Some(&edited), &want, &first.ledger, false).unwrap();
    assert!(second.edits.is_empty());
    assert_eq!(second.conflicts.len(), 1, "{:?}", second.conflicts);
    assert!(
        second.conflicts[0].contains("`local`") && second.conflicts[0].contains("edited by hand")
    );
    let forced = apply_once(Target::Hermes, Some(&edited), &want, &first.ledger, true).unwrap();
    assert_eq!(new_text(&forced, "config.yaml"), text);
}

#[test]
fn a_users_server_of_the_same_name_is_not_taken_over() {
    let user = "{\n  \"mcpServers\": {\n    \"local\": {\"command\": \"theirs\"}\n  }\n}\n";
    let want = desired_for(Target::Gemini, SOURCE);
    let plan = apply_once(Target::Gemini, Some(user), &want, &Ledger::default(), false).unwrap();
    assert_eq!(plan.conflicts.len(), 1);
    let text = new_text(&plan, "settings.json");
    assert!(text.contains("\"command\": \"theirs\""), "{text}");
    assert!(
        !plan
            .ledger
            .files
            .values()
            .any(|f| f.servers.contains_key("local"))
    );
}

#[test]
fn claude_settings_lists_keep_the_users_items() {
    let want = desired_for(Target::ClaudeCode, SOURCE);
    let files = Target::ClaudeCode.backend().managed_files();
    let settings =
        "{\n  \"permissions\": {\n    \"deny\": [\"Bash(rm:*)\"]\n  },\n  \"model\": \"opus\"\n}\n";
    let currents = vec![
        Current {
            file: &files[0],
            path: "/p/.mcp.json".into(),
            text: None,
        },
        Current {
            file: &files[1],
            path: "/p/.claude/settings.json".into(),
            text: Some(settings.into()),
        },
    ];
    let plan = plan_apply(
        Target::ClaudeCode,
        &currents,
        &want,
        &Ledger::default(),
        false,
    )
    .unwrap();
    let s = new_text(&plan, "settings.json");
    let v = parse(Format::Json, &s, "").unwrap();
    assert_eq!(
        v["permissions"]["deny"],
        serde_json::json!(["Bash(rm:*)", "mcp__docs__drop"])
    );
    assert_eq!(v["model"], "opus");
    // Dropping the deny-list removes only mcpc's item.
    let without = desired_for(
        Target::ClaudeCode,
        &SOURCE.replace("    tools { deny = [\"drop\"] }\n", ""),
    );
    let currents = vec![
        Current {
            file: &files[0],
            path: "/p/.mcp.json".into(),
            text: Some(new_text(&plan, ".mcp.json")),
        },
        Current {
            file: &files[1],
            path: "/p/.claude/settings.json".into(),
            text: Some(s),
        },
    ];
    let plan2 = plan_apply(Target::ClaudeCode, &currents, &without, &plan.ledger, false).unwrap();
    assert_eq!(new_text(&plan2, "settings.json"), settings);
}

#[test]
fn malformed_files_are_reported_with_their_line() {
    let want = desired_for(Target::Gemini, SOURCE);
    let err = apply_once(
        Target::Gemini,
        Some("{\n  \"a\": 1\n  \"b\": 2\n}\n"),
        &want,
        &Ledger::default(),
        false,
    )
    .unwrap_err();
    assert!(err.message.starts_with("line 3:"), "{}", err.message);
    let err = apply_once(
        Target::Codex,
        Some("[mcp_servers\n"),
        &desired_for(Target::Codex, SOURCE),
        &Ledger::default(),
        false,
    )
    .unwrap_err();
    assert!(err.message.contains("line 1"), "{}", err.message);
}

#[test]
fn goose_keeps_the_users_config_and_survives_goose_rewriting_it() {
    const GOOSE: &str = r#"plugin "p" {
  version = "1.0.0"
  server "docs" {
    url = "https://docs.acme.dev/mcp"
    headers { Authorization = "Bearer ${secret.DOCS_TOKEN}" }
  }
  server "local" {
    command = "local-mcp"
    env { LOCAL_KEY = secret.LOCAL_KEY }
    tool_timeout = 30s
  }
}
"#;
    let user = "# goose settings\nGOOSE_PROVIDER: openai   # mine\nextensions:\n  developer:\n    bundled: true\n    display_name: Developer\n    enabled: true\n    name: developer\n    timeout: 300\n    type: builtin\nGOOSE_MODEL: gpt-4.1\n";
    let want = desired_for(Target::Goose, GOOSE);
    let first = apply_once(Target::Goose, Some(user), &want, &Ledger::default(), false).unwrap();
    let text = new_text(&first, "config.yaml");
    assert!(text.starts_with("# goose settings\nGOOSE_PROVIDER: openai   # mine\n"));
    let read = Target::Goose
        .backend()
        .read(&|_| Some(text.clone()))
        .unwrap();
    let names: Vec<&str> = read.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["docs", "local"], "{text}");
    let v: Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(v["extensions"]["developer"]["type"], "builtin");
    assert_eq!(v["GOOSE_MODEL"], "gpt-4.1");

    // Goose saves its config by serializing the whole file again: the
    // entries mcpc wrote are still its own afterwards.
    let rewritten = serde_norway::to_string(&v).unwrap();
    let again = apply_once(Target::Goose, Some(&rewritten), &want, &first.ledger, false).unwrap();
    assert!(again.conflicts.is_empty(), "{:?}", again.conflicts);
    assert!(again.edits.is_empty());

    // Nothing declared any more: mcpc takes out exactly what it added.
    let none = BTreeMap::from([(
        ".config/goose/config.yaml".to_owned(),
        Value::Object(Default::default()),
    )]);
    let removed = apply_once(Target::Goose, Some(&text), &none, &first.ledger, false).unwrap();
    assert_eq!(new_text(&removed, "config.yaml"), user);
}

/// A Zed settings file as people write it: comments, other settings,
/// trailing commas (Zed reads its settings leniently).
const ZED_SETTINGS: &str = r#"// Zed settings
//
// For information on how to configure Zed, see the Zed documentation.
{
  "theme": {
    "mode": "system",
    "light": "One Light",
    "dark": "One Dark", // my favourite
  },
  /* fonts */
  "buffer_font_size": 15,
  "context_servers": {
    "mine": {
      "command": "my-mcp",
      "args": ["--verbose",],
    },
  },
  "languages": { "Rust": { "tab_size": 4, }, },
}
"#;

#[test]
fn zed_settings_keep_comments_trailing_commas_and_other_keys() {
    const ZED: &str = r#"plugin "p" {
  version = "1.0.0"
  server "local" { command = "local-mcp" args = ["--x"] }
}
"#;
    let want = desired_for(Target::Zed, ZED);
    let first = apply_once(
        Target::Zed,
        Some(ZED_SETTINGS),
        &want,
        &Ledger::default(),
        false,
    )
    .unwrap();
    let text = new_text(&first, "settings.json");
    // Only the new entry was spliced in, before the user's trailing comma.
    let added = text.replace(
        ",\n    \"local\": {\n      \"command\": \"local-mcp\",\n      \"args\": [\n        \"--x\"\n      ]\n    }",
        "",
    );
    assert_eq!(added, ZED_SETTINGS, "{text}");
    let read = Target::Zed.backend().read(&|_| Some(text.clone())).unwrap();
    let names: Vec<&str> = read.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["mine", "local"]);
    // Declared again: nothing to do. Declared no more: the bytes come back.
    let again = apply_once(Target::Zed, Some(&text), &want, &first.ledger, false).unwrap();
    assert!(again.edits.is_empty() && again.conflicts.is_empty());
    let none = BTreeMap::from([(
        ".zed/settings.json".to_owned(),
        Value::Object(Default::default()),
    )]);
    let removed = apply_once(Target::Zed, Some(&text), &none, &first.ledger, false).unwrap();
    assert_eq!(new_text(&removed, "settings.json"), ZED_SETTINGS);
}

#[test]
fn jsonc_apps_take_trailing_commas_and_strict_runtimes_refuse_them_with_the_line() {
    let file = |key: &str| {
        format!(
            "{{\n  // mine\n  \"{key}\": {{\n    \"mine\": {{ \"command\": \"x\", }},\n  }},\n}}\n"
        )
    };
    let user = file("mcpServers");
    for target in [Target::Cursor, Target::Amp, Target::Auggie] {
        let Some(Owned::Servers([key])) = target.backend().managed_files()[0].owned.first() else {
            panic!("{target}: one top-level servers key");
        };
        let user = file(key);
        let user = user.as_str();
        let want = desired_for(target, SOURCE_STDIO);
        let plan = apply_once(target, Some(user), &want, &Ledger::default(), false)
            .unwrap_or_else(|e| panic!("{target}: {}", e.message));
        let text = plan.edits[0].new.clone();
        assert!(text.contains("// mine") && text.contains("\"mine\": { \"command\": \"x\", }"));
        let read = target.backend().read(&|_| Some(text.clone())).unwrap();
        assert_eq!(read.len(), 2, "{target}: {text}");
    }
    let vscode =
        "{\n  \"servers\": {\n    \"mine\": { \"command\": \"x\" },\n  },\n  \"inputs\": [],\n}\n";
    let want = desired_for(Target::Vscode, SOURCE_STDIO);
    let plan = apply_once(
        Target::Vscode,
        Some(vscode),
        &want,
        &Ledger::default(),
        false,
    )
    .unwrap();
    assert!(plan.edits[0].new.contains("\"inputs\": [],\n}"));
    // Claude Code reads `.mcp.json` as strict JSON: refused, with the line.
    let err = apply_once(
        Target::ClaudeCode,
        Some(&user),
        &desired_for(Target::ClaudeCode, SOURCE_STDIO),
        &Ledger::default(),
        false,
    )
    .unwrap_err();
    assert!(
        err.message.starts_with("line 4: a trailing comma"),
        "{}",
        err.message
    );
}

const SOURCE_STDIO: &str = r#"plugin "p" {
  version = "1.0.0"
  server "local" { command = "local-mcp" }
}
"#;
