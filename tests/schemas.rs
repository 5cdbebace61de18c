//! The editors' files against the schemas their vendors publish (vendored
//! in `tests/fixtures/schemas/`, sources and versions in its README): every
//! golden ok case and every example, built for VS Code and for Zed, must
//! validate; a target that reports an error for a case builds nothing and
//! is skipped, and each schema must see enough files to mean something.

use mcpc::Compilation;
use mcpc::backends::{Emit, Plan, Target};
use mcpc::diag::{Code, Level, LintLevels, Severity};
use mcpc::source::{SourceFile, SourceMap};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemas")
        .join(name);
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// VS Code's `mcp.json` schema.
fn vscode() -> jsonschema::Validator {
    validator(&fixture("vscode-mcp.schema.json"))
}

/// Zed's `context_servers`, and each variant alone: the schema, like Zed's
/// untagged reader, takes any object as an extension's server, so an entry
/// mcpc writes must also be a valid stdio (`command`) or HTTP (`url`) one.
fn zed() -> (
    jsonschema::Validator,
    jsonschema::Validator,
    jsonschema::Validator,
) {
    let schema = fixture("zed-context-servers.schema.json");
    let variant = |i: usize| {
        let mut v = schema["definitions"]["ContextServerSettingsContent"]["anyOf"][i].clone();
        v["definitions"] = schema["definitions"].clone();
        validator(&v)
    };
    (validator(&schema), variant(0), variant(1))
}

fn zed_errors(
    z: &(
        jsonschema::Validator,
        jsonschema::Validator,
        jsonschema::Validator,
    ),
    doc: &Value,
) -> Vec<String> {
    let mut out = errors(&z.0, doc);
    for (name, entry) in doc["context_servers"].as_object().into_iter().flatten() {
        let variant = if entry.get("url").is_some() {
            &z.2
        } else {
            &z.1
        };
        out.extend(
            errors(variant, entry)
                .into_iter()
                .map(|e| format!("{name}: {e}")),
        );
    }
    out
}

fn add_dir(map: &mut SourceMap, dir: &Path) {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            add_dir(map, &p);
        } else if p.extension().is_some_and(|e| e == "mcpc") {
            map.add(SourceFile::new(
                p.display().to_string(),
                fs::read_to_string(&p).unwrap(),
            ));
        }
    }
}

/// Every golden ok case (config cases) and every example, by name.
fn cases() -> Vec<(String, SourceMap, Option<&'static str>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("tests/golden/ok"))
        .unwrap()
        .chain(fs::read_dir(root.join("examples")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let args = fs::read_to_string(dir.join("args")).unwrap_or_default();
        if args.contains("--emit package") || args.contains("--workspace") {
            continue;
        }
        let mut map = SourceMap::new();
        add_dir(&mut map, &dir);
        let plugin_root = args.contains("--plugin-root").then_some("/opt/acme-local");
        out.push((dir.display().to_string(), map, plugin_root));
    }
    out
}

/// `target`'s servers file for the case, parsed; `None` when the target
/// reports an error for it.
fn built(sources: &SourceMap, target: Target, plugin_root: Option<&str>) -> Option<Value> {
    let mut levels = LintLevels::default();
    levels.set(Code::LossyLowering, Level::Allow);
    let mut c = Compilation::new(SourceMap::clone_files(sources), levels);
    let plan = Plan {
        targets: vec![target],
        emit: Emit::Config,
        plugin_root: plugin_root.map(str::to_owned),
        ..Plan::default()
    };
    let files = c.build(&plan);
    let (_, diagnostics) = c.finish();
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    let path = format!(
        "{}/{}",
        target.name(),
        target.backend().managed_files()[0].project_path
    );
    let file = files.into_iter().find(|f| f.path == path)?;
    // Both read JSONC; mcpc writes strict JSON, which a JSON parser takes.
    Some(serde_json::from_str(file.text()).unwrap_or_else(|e| panic!("{path}: {e}")))
}

#[test]
fn every_case_built_for_vscode_validates_against_its_schema() {
    let v = vscode();
    let (mut checked, mut inputs) = (0, 0);
    for (label, sources, root) in cases() {
        let Some(doc) = built(&sources, Target::Vscode, root) else {
            continue;
        };
        let found = errors(&v, &doc);
        assert!(found.is_empty(), "{label}: {found:#?}\n{doc:#}");
        checked += 1;
        inputs += doc["inputs"].as_array().map_or(0, Vec::len);
    }
    assert!(checked >= 12, "only {checked} cases built for vscode");
    assert!(inputs >= 10, "only {inputs} inputs validated");
}

#[test]
fn every_case_built_for_zed_validates_against_its_schema() {
    let z = zed();
    let mut checked = 0;
    for (label, sources, root) in cases() {
        let Some(doc) = built(&sources, Target::Zed, root) else {
            continue;
        };
        let found = zed_errors(&z, &doc);
        assert!(found.is_empty(), "{label}: {found:#?}\n{doc:#}");
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} cases built for zed");
}

/// The schemas refuse what the apps refuse: the checks above can fail.
#[test]
fn the_schemas_reject_files_the_apps_would_reject() {
    let v = vscode();
    for bad in [
        // a url on a stdio entry
        r#"{"servers": {"x": {"type": "stdio", "command": "x", "url": "https://a.dev"}}}"#,
        // a url that is not http(s)
        r#"{"servers": {"x": {"type": "http", "url": "ftp://a.dev/mcp"}}}"#,
        // an input with no description, and a password that is a string
        r#"{"inputs": [{"type": "promptString", "id": "T", "password": "yes"}]}"#,
        // mcpServers is Cursor's key, not VS Code's
        r#"{"mcpServers": {}}"#,
    ] {
        let doc: Value = serde_json::from_str(bad).unwrap();
        assert!(!errors(&v, &doc).is_empty(), "accepted: {bad}");
    }
    let z = zed();
    for bad in [
        r#"{"context_servers": {"x": {"command": 7}}}"#,
        r#"{"context_servers": {"x": {"url": "https://a.dev/mcp", "headers": {"A": 1}}}}"#,
        r#"{"context_servers": {"x": {"command": "x", "enabled": "no"}}}"#,
        r#"{"context_servers": []}"#,
    ] {
        let doc: Value = serde_json::from_str(bad).unwrap();
        assert!(!zed_errors(&z, &doc).is_empty(), "accepted: {bad}");
    }
}
