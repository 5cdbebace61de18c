//! `--message-format github` and `--message-format sarif` on every golden
//! error case, through the real binary: each workflow command is parsed back
//! with the runner's unescaping rules and must say what the `json` format
//! says; each SARIF log must validate against the official SARIF 2.1.0
//! schema (vendored in `tests/fixtures/sarif/`) and hold the same results.

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn golden_err() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/err");
    let mut cases: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcpc-formats-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn mcpc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// `mcpc build CASE <args> --message-format FORMAT`, run from the case's
/// directory so that file names are as the golden files have them (`mcpc
/// fmt --check` for a case whose args say `--fmt`).
fn build(case: &Path, format: &str) -> Output {
    let args = fs::read_to_string(case.join("args")).unwrap_or_default();
    if args.split_whitespace().any(|w| w == "--fmt") {
        return mcpc(case, &["fmt", "--check", "--message-format", format]);
    }
    let mut argv: Vec<&str> = vec!["build"];
    argv.extend(args.split_whitespace());
    if !argv.contains(&"--target") && !argv.contains(&"--workspace") {
        argv.extend(["--target", "all"]);
    }
    // A directory of its own: tests build the same case at the same time,
    // and a build writes the targets that succeed.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = tmp(&format!("out-{run}"));
    let out = out.to_str().unwrap().to_owned();
    argv.extend(["--out", &out, "--message-format", format]);
    let output = mcpc(case, &argv);
    let _ = fs::remove_dir_all(&out);
    output
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// The runner's reading of `::command k=v,…::data` (actions/runner
/// `ActionCommand.TryParseV2`, unescaping as `UnescapeProperty`/`UnescapeData`).
#[derive(Debug)]
struct WorkflowCommand {
    command: String,
    properties: Vec<(String, String)>,
    data: String,
}

impl WorkflowCommand {
    fn parse(line: &str) -> WorkflowCommand {
        let rest = line.strip_prefix("::").expect("starts with ::");
        let end = rest.find("::").expect("a second ::");
        let (head, data) = (&rest[..end], &rest[end + 2..]);
        let (command, props) = head.split_once(' ').unwrap_or((head, ""));
        let properties = props
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').expect("key=value");
                (k.to_owned(), unescape(v, true))
            })
            .collect();
        assert!(!data.contains('\n') && !data.contains('\r'), "{line:?}");
        WorkflowCommand {
            command: command.to_owned(),
            properties,
            data: unescape(data, false),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn unescape(text: &str, property: bool) -> String {
    let mut out = text.replace("%0D", "\r").replace("%0A", "\n");
    if property {
        out = out.replace("%3A", ":").replace("%2C", ",");
    }
    out.replace("%25", "%")
}

fn json_records(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn github_annotations_say_what_json_says_on_every_golden_error() {
    let mut cases = 0;
    for case in golden_err() {
        let json = build(&case, "json");
        let github = build(&case, "github");
        assert_eq!(json.status.code(), Some(1), "{}", case.display());
        assert_eq!(github.status.code(), Some(1), "{}", case.display());
        let records = json_records(&json);
        let text = stdout(&github);
        let commands: Vec<WorkflowCommand> = text.lines().map(WorkflowCommand::parse).collect();
        assert!(!records.is_empty(), "{}", case.display());
        assert_eq!(records.len(), commands.len(), "{}: {text}", case.display());
        for (r, c) in records.iter().zip(&commands) {
            let name = case.display();
            assert_eq!(c.command, r["severity"].as_str().unwrap(), "{name}");
            assert_eq!(c.get("title"), r["code"].as_str(), "{name}");
            assert_eq!(c.get("file"), r["file"].as_str(), "{name}");
            let num = |k: &str| r[k].as_u64().unwrap().to_string();
            assert_eq!(c.get("line"), Some(num("line").as_str()), "{name}");
            assert_eq!(c.get("endLine"), Some(num("end_line").as_str()), "{name}");
            if r["line"] == r["end_line"] {
                assert_eq!(c.get("col"), Some(num("column").as_str()), "{name}");
                assert_eq!(
                    c.get("endColumn"),
                    Some(num("end_column").as_str()),
                    "{name}"
                );
            } else {
                assert_eq!(c.get("col"), None, "{name}: the runner drops it");
            }
            let message = r["message"].as_str().unwrap();
            assert!(c.data.starts_with(message), "{name}: {:?}", c.data);
            if let Some(help) = r["help"].as_str() {
                assert!(c.data.ends_with(&format!("\nhelp: {help}")), "{name}");
            }
            for label in r["labels"].as_array().unwrap() {
                let note = format!(
                    "\nnote: {}:{}:{}:",
                    label["file"].as_str().unwrap(),
                    label["line"],
                    label["column"]
                );
                assert!(c.data.contains(&note), "{name}: {note:?} in {:?}", c.data);
            }
        }
        cases += 1;
    }
    assert!(cases >= 40, "only {cases} golden error cases");
}

fn sarif_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let schema: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, log: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn sarif_logs_validate_against_the_official_schema_on_every_golden_error() {
    let validator = sarif_validator();
    for case in golden_err() {
        let name = case.display().to_string();
        let json = build(&case, "json");
        let sarif = build(&case, "sarif");
        assert_eq!(sarif.status.code(), Some(1), "{name}");
        let log: Value = serde_json::from_str(&stdout(&sarif)).expect("stdout is one JSON log");
        assert_valid(&validator, &log, &name);
        // The validator is no rubber stamp: a level SARIF does not know fails.
        let mut wrong = log.clone();
        wrong["runs"][0]["results"][0]["level"] = "fatal".into();
        assert!(!validator.is_valid(&wrong), "{name}");
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        let records = json_records(&json);
        assert_eq!(results.len(), records.len(), "{name}");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for (result, r) in results.iter().zip(&records) {
            assert_eq!(result["ruleId"], r["code"], "{name}");
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], r["code"], "{name}");
            assert_eq!(result["level"], r["severity"], "{name}");
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uri"], r["file"], "{name}");
            let region = &location["region"];
            assert_eq!(region["startLine"], r["line"], "{name}");
            assert_eq!(region["startColumn"], r["column"], "{name}");
            assert_eq!(region["endLine"], r["end_line"], "{name}");
            assert_eq!(region["endColumn"], r["end_column"], "{name}");
            let text = result["message"]["text"].as_str().unwrap();
            assert!(text.starts_with(r["message"].as_str().unwrap()), "{name}");
            let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
            assert_eq!(related, r["labels"].as_array().unwrap().len(), "{name}");
        }
    }
}

/// A file name and a message holding every character the workflow-command
/// rules escape: the runner must read back exactly what mcpc meant.
#[test]
fn github_escapes_names_and_messages() {
    let dir = tmp("escape");
    let name = "odd, name: 100%.mcpc";
    fs::write(dir.join(name), "plugin \"a\" {\n  version = \"1.0.0\"\n  frobnicate = 1\n  server \"s\" { command = \"x\" }\n}\n").unwrap();
    let o = mcpc(&dir, &["check", name, "--message-format", "github"]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(
        text.starts_with("::error file=odd%2C name%3A 100%25.mcpc,line=3,col=3,"),
        "{text}"
    );
    let c = WorkflowCommand::parse(text.lines().next().unwrap());
    assert_eq!(c.get("file"), Some(name));
    assert_eq!(c.get("title"), Some("unknown-attribute"));
    assert!(c.data.contains("`frobnicate`"), "{:?}", c.data);
    fs::remove_dir_all(&dir).unwrap();
}

/// Every command that diagnoses takes both formats; stdout stays a valid
/// SARIF log even when `--check` has a diff to show.
#[test]
fn every_diagnosing_command_takes_both_formats() {
    let validator = sarif_validator();
    let dir = tmp("commands");
    fs::write(dir.join("broken.mcpc"), "plugin \"a\" {\n  version = \n}\n").unwrap();
    let commands: [&[&str]; 5] = [
        &["check", "broken.mcpc"],
        &["build", "broken.mcpc", "--target", "all", "--check"],
        &["fmt", "broken.mcpc", "--check"],
        &["apply", "broken.mcpc", "--target", "codex", "--dry-run"],
        &["verify", "broken.mcpc", "--target", "codex"],
    ];
    for args in commands {
        let mut github: Vec<&str> = args.to_vec();
        github.extend(["--message-format", "github"]);
        let o = mcpc(&dir, &github);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stdout(&o).starts_with("::error file=broken.mcpc,line=3,col=1,endLine=3,endColumn=2,title=syntax-error::expected a value, found `}`%0Ahelp: "),
            "{args:?}: {}",
            stdout(&o)
        );
        let mut sarif: Vec<&str> = args.to_vec();
        sarif.extend(["--message-format", "sarif"]);
        let o = mcpc(&dir, &sarif);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let log: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_valid(&validator, &log, &format!("{args:?}"));
        assert_eq!(log["runs"][0]["results"][0]["ruleId"], "syntax-error");
    }

    // A clean input still gives a log (with no results) for the upload.
    fs::write(
        dir.join("broken.mcpc"),
        "plugin \"a\" {\n  version = \"1\"\n}\n",
    )
    .unwrap();
    let o = mcpc(
        &dir,
        &["fmt", "broken.mcpc", "--check", "--message-format", "sarif"],
    );
    let log: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_valid(&validator, &log, "fmt on a clean file");
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));

    // import: the source on stdout, the log on stderr.
    fs::write(
        dir.join(".mcp.json"),
        r#"{"mcpServers":{"s":{"command":"x","env":{"API_TOKEN":"sk-live-0123456789abcdef"}}}}"#,
    )
    .unwrap();
    let o = mcpc(
        &dir,
        &[
            "import",
            "--from",
            "claude-code",
            ".mcp.json",
            "--message-format",
            "sarif",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("plugin \"imported\""));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(!stderr.contains("sk-live-0123456789abcdef"));
    let log_text = &stderr[..stderr.rfind("}\n").unwrap() + 2];
    let log: Value = serde_json::from_str(log_text).unwrap();
    assert_valid(&validator, &log, "import");
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "plaintext-secret");
    fs::remove_dir_all(&dir).unwrap();
}
