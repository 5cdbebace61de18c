//! The ecosystem's published forms through the real binary: MCP Registry
//! `server.json` and MCP Bundle `manifest.json` in (`import --from
//! server-json|mcpb`), `server.json` out (`export`). Every document, ours and
//! the fixtures, is validated against the published schema first.

use mcpc::backends::ServerSpec;
use mcpc::diag::{Code, LintLevels};
use mcpc::source::{SourceFile, SourceMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/registry")
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = fs::read_to_string(fixtures().join(name)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&value).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, file: &str, text: &str) {
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{file} fails its schema:\n{}",
        errors.join("\n")
    );
}

struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("mcpc-registry-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Tmp(dir)
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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn fixture_files(suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn every_fixture_is_valid_against_its_published_schema() {
    let server = schema("server.schema.json");
    for file in fixture_files(".server.json") {
        assert_valid(
            &server,
            &file.display().to_string(),
            &fs::read_to_string(&file).unwrap(),
        );
    }
    let manifest = schema("mcpb-manifest-v0.3.schema.json");
    for file in fixture_files(".manifest.json") {
        assert_valid(
            &manifest,
            &file.display().to_string(),
            &fs::read_to_string(&file).unwrap(),
        );
    }
}

/// Imports `file`, checks the source it prints, and returns (source,
/// import stderr, check stderr, check exit code).
fn import_and_check(t: &Tmp, from: &str, file: &Path) -> (String, String, String, i32) {
    let out = t.mcpc(&[
        "import",
        "--from",
        from,
        file.to_str().unwrap(),
        "--plugin",
        "imported",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let source = text(&out.stdout);
    fs::write(t.0.join("imported.mcpc"), &source).unwrap();
    // Compared with alignment folded: the printed source is formatted.
    let source = source
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("[ ", "[")
        .replace(", ]", "]");
    let check = t.mcpc(&[
        "check",
        "imported.mcpc",
        "--message-format",
        "short",
        "--plugin-root",
        "/opt/p",
    ]);
    (
        source,
        text(&out.stderr),
        text(&check.stderr),
        check.status.code().unwrap(),
    )
}

#[test]
fn imported_documents_are_valid_declarations_whose_only_errors_are_runtime_limits() {
    let t = Tmp::new("import-all");
    for (from, suffix) in [("server-json", ".server.json"), ("mcpb", ".manifest.json")] {
        for file in fixture_files(suffix) {
            let (source, _, check, _) = import_and_check(&t, from, &file);
            for line in check.lines().filter(|l| l.contains("error[")) {
                // A runtime that cannot express something is the compiler
                // doing its job; anything else is a broken import.
                assert!(
                    line.contains("error[unsupported-feature]"),
                    "{}: the imported source has a non-runtime error:\n{line}\n{source}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn an_npm_package_with_a_secret_builds_for_every_target_that_passes_variables() {
    let t = Tmp::new("brave");
    let (source, stderr, check, _) = import_and_check(
        &t,
        "server-json",
        &fixtures().join("brave-search.server.json"),
    );
    // Only the apps that expand no variable refuse the secret reference.
    let no_env = ["zed", "claude-desktop", "antigravity"];
    for line in check.lines().filter(|l| l.contains("error[")) {
        assert!(
            line.contains("error[unsupported-feature]")
                && no_env
                    .iter()
                    .any(|t| line.contains(&format!(" {t} cannot"))),
            "{line}\n{source}"
        );
    }
    assert!(
        source.contains(r#"args = ["-y", "@modelcontextprotocol/server-brave-search@1.0.2"]"#),
        "{source}"
    );
    assert!(
        source.contains("BRAVE_API_KEY = secret.BRAVE_API_KEY"),
        "{source}"
    );
    assert!(source.contains(r#"version = "1.0.2""#), "{source}");
    // Nothing is dropped without a word: the fields with no place are named.
    for field in [
        "`title`",
        "`repository`",
        "`packages[0].environmentVariables[0].description`",
    ] {
        assert!(stderr.contains(field), "{field} not reported:\n{stderr}");
    }
    let targets: Vec<&str> = mcpc::Target::ALL
        .iter()
        .map(|t| t.name())
        .filter(|t| !no_env.contains(t))
        .collect();
    let build = t.mcpc(&[
        "build",
        "imported.mcpc",
        "--target",
        &targets.join(","),
        "--out",
        "o",
    ]);
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
}

#[test]
fn a_secret_variable_is_a_secret_whatever_its_name() {
    let t = Tmp::new("remote");
    let (source, stderr, _, _) =
        import_and_check(&t, "server-json", &fixtures().join("remote.server.json"));
    // `docs_token` does not sound secret; the document says it is.
    assert!(
        source.contains(r#"Authorization = "Bearer ${secret.DOCS_TOKEN}""#),
        "{source}"
    );
    assert!(
        source.contains(r#"url = "https://${env.TENANT_ID}.docs.molecule.ai/mcp""#),
        "{source}"
    );
    assert!(source.contains("transport = sse"), "{source}");
    assert!(stderr.contains("imported 2 servers"), "{stderr}");
}

#[test]
fn oci_packages_pass_their_variables_into_the_container() {
    let t = Tmp::new("oci");
    let (source, stderr, _, _) = import_and_check(
        &t,
        "server-json",
        &fixtures().join("filesystem.server.json"),
    );
    assert!(
        source.contains(r#""run", "-i", "--rm", "--mount=type=bind,src=${env.SOURCE_PATH},dst=/project", "-e", "LOG_LEVEL", "docker.io/mcp/filesystem:1.0.2", "/project""#),
        "{source}"
    );
    assert!(source.contains(r#"server "filesystem-oci""#), "{source}");
    assert!(
        stderr.contains("takes its default `info` as its value"),
        "{stderr}"
    );
}

#[test]
fn a_bundle_manifest_keeps_its_launch_line_with_references() {
    let t = Tmp::new("mcpb");
    let (source, stderr, check, _) =
        import_and_check(&t, "mcpb", &fixtures().join("notes.manifest.json"));
    assert!(
        source.contains(r#"args = ["${plugin.root}/server/index.js", "--root", env.NOTES_DIR]"#),
        "{source}"
    );
    assert!(
        source.contains("NOTES_API_KEY = secret.API_KEY"),
        "{source}"
    );
    for field in [
        "`tools`",
        "`compatibility`",
        "`server.mcp_config.platform_overrides`",
    ] {
        assert!(stderr.contains(field), "{field} not reported:\n{stderr}");
    }
    // With a plugin root, Claude Code takes it as is.
    assert!(!check.contains("claude-code cannot"), "{check}");
    let package = t.mcpc(&[
        "build",
        "imported.mcpc",
        "--target",
        "claude-code",
        "--emit",
        "package",
        "--out",
        "p",
    ]);
    assert_eq!(package.status.code(), Some(0), "{}", text(&package.stderr));
}

#[test]
fn a_document_that_is_not_what_from_says_is_a_usage_error() {
    let t = Tmp::new("bad");
    fs::write(t.0.join("s.json"), r#"{"name":"a/b","version":"1"}"#).unwrap();
    let out = t.mcpc(&["import", "--from", "server-json", "s.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing field `description`"),
        "{}",
        text(&out.stderr)
    );
    let out = t.mcpc(&["import", "--from", "mcpb", "s.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = t.mcpc(&["import", "--from", "servr-json", "s.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("server-json, mcpb"),
        "{}",
        text(&out.stderr)
    );
}

fn unit(source: &str) -> mcpc::Compilation {
    let mut map = SourceMap::default();
    map.add(SourceFile::new("t.mcpc", source));
    mcpc::Compilation::new(map, LintLevels::default())
}

const PUBLISHED: &str = r#"plugin "acme" {
  version     = "2.3.0"
  description = "Acme tools"
  homepage    = "https://tools.acme.dev/mcp"
  server "files" {
    command = "npx"
    args = ["-y", "@acme/files-mcp@2.3.0", "--root", "/srv"]
    env {
      ACME_TOKEN = secret.ACME_TOKEN
      ACME_REGION = "eu"
      ACME_MODE = env.ACME_MODE
    }
  }
  server "py" {
    command = "uvx"
    args = ["acme-py==2.3.0"]
  }
  server "box" {
    command = "docker"
    args = ["run", "-i", "--rm", "-e", "ACME_TOKEN", "ghcr.io/acme/box:2.3.0"]
    env { ACME_TOKEN = secret.ACME_TOKEN }
  }
  server "api" {
    url = "https://api.acme.dev/mcp"
    transport = sse
    headers { Authorization = "Bearer ${secret.ACME_TOKEN}" }
  }
}
"#;

#[test]
fn exported_documents_pass_the_schema_and_import_back_to_the_same_servers() {
    let validator = schema("server.schema.json");
    let mut c = unit(PUBLISHED);
    let files = c.export_server_json(&[]);
    let declared: Vec<ServerSpec> = c.unit.plugins[0]
        .servers
        .iter()
        .map(|s| ServerSpec::from_ir(s, None))
        .collect();
    let (_, diagnostics) = c.finish();
    assert!(
        diagnostics
            .iter()
            .all(|d| d.severity != mcpc::diag::Severity::Error),
        "{diagnostics:?}"
    );
    assert_eq!(files.len(), 4);
    for (file, declared) in files.iter().zip(&declared) {
        assert_eq!(file.path, format!("acme/{}/server.json", declared.name));
        assert_valid(&validator, &file.path, &file.text);
        let doc = mcpc::registry::server_json::documents(&file.text)
            .unwrap()
            .remove(0);
        assert_eq!(doc.name, format!("dev.acme.tools/{}", declared.name));
        let mut back = mcpc::registry::server_json::import(&doc).servers.remove(0);
        back.name = declared.name.clone();
        assert_eq!(&back.normalized(), declared, "{}", file.text);
    }
}

#[test]
fn what_a_registry_entry_cannot_launch_is_an_error_at_its_span() {
    let cases = [
        (
            r#"command = "node" args = ["server.js"]"#,
            "runs `node` with no published package",
        ),
        (
            r#"command = "npx" args = ["-y", "@acme/x"]"#,
            "without an exact version",
        ),
        (
            r#"command = "npx" args = ["-y", "@acme/x@1.0.0"] cwd = "/srv""#,
            "in which directory",
        ),
        (
            r#"command = "npx" args = ["-y", "@acme/x@1.0.0", env.DIR]"#,
            "launch line is fixed",
        ),
    ];
    for (fields, expected) in cases {
        let source = format!(
            "plugin \"p\" {{\n  version = \"1.0.0\"\n  description = \"d\"\n  server \"s\" {{ {fields} }}\n}}\n"
        );
        let mut c = unit(&source);
        let files = c.export_server_json(&[]);
        let (_, diagnostics) = c.finish();
        assert!(
            files.is_empty(),
            "{fields}: nothing may be written on an error"
        );
        let error = diagnostics
            .iter()
            .find(|d| d.code == Code::UnsupportedFeature)
            .unwrap_or_else(|| panic!("{fields}: no error in {diagnostics:?}"));
        assert!(
            error.message.contains(expected),
            "{fields}: {}",
            error.message
        );
        assert!(error.help.is_some());
    }
}

#[test]
fn export_writes_one_file_per_server_and_refuses_unknown_plugins() {
    let t = Tmp::new("export");
    fs::write(t.0.join("p.mcpc"), PUBLISHED).unwrap();
    let out = t.mcpc(&["export", "--format", "server-json", "p.mcpc", "--out", "o"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let validator = schema("server.schema.json");
    for server in ["files", "py", "box", "api"] {
        let path = format!("o/acme/{server}/server.json");
        let written = fs::read_to_string(t.0.join(&path)).unwrap();
        assert_valid(&validator, &path, &written);
        assert!(
            !written.contains("ACME_TOKEN\": \""),
            "a secret has no value in {path}"
        );
    }
    let again = t.mcpc(&["export", "--format", "server-json", "p.mcpc", "--out", "o2"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        fs::read(t.0.join("o/acme/files/server.json")).unwrap(),
        fs::read(t.0.join("o2/acme/files/server.json")).unwrap(),
        "export is deterministic"
    );
    let unknown = t.mcpc(&[
        "export",
        "--format",
        "server-json",
        "p.mcpc",
        "--plugin",
        "acm",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("did you mean `acme`"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn a_plugin_name_never_leads_export_outside_its_directory() {
    let mut c = unit(
        "plugin \"../../evil\" {\n  version = \"1.0.0\"\n  description = \"d\"\n  server \"s\" { command = \"npx\" args = [\"-y\", \"a@1.0.0\"] }\n}\n",
    );
    let files = c.export_server_json(&[]);
    let (_, diagnostics) = c.finish();
    assert!(files.is_empty());
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == Code::UnsupportedFeature && d.message.contains("export directory")),
        "{diagnostics:?}"
    );
}

/// `export` keeps to its directory as `build` does: a plugin's directory
/// in it that a cloned repository ships as a link out of it is refused.
#[cfg(unix)]
#[test]
fn export_writes_nothing_through_a_link_out_of_its_directory() {
    let t = Tmp::new("export-link");
    let outside = Tmp::new("export-link-outside");
    fs::write(t.0.join("p.mcpc"), PUBLISHED).unwrap();
    fs::create_dir_all(t.0.join("o")).unwrap();
    std::os::unix::fs::symlink(&outside.0, t.0.join("o/acme")).unwrap();
    let out = t.mcpc(&["export", "--format", "server-json", "p.mcpc", "--out", "o"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[outside-root]: `o/acme/"), "{stderr}");
    assert_eq!(
        fs::read_dir(&outside.0).unwrap().count(),
        0,
        "written outside"
    );
}
