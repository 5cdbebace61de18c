//! End-to-end: the real Codex CLI (npm `@openai/codex`, installed by
//! `scripts/install-runtimes.sh`) reads every golden config output and
//! `codex mcp list --json` / `codex mcp get --json` must show exactly the
//! declared servers. This catches what our own readers cannot: a backend
//! writing a field Codex silently ignores.
//!
//! `MCPC_E2E=skip` skips it locally; under CI (`CI` set) a missing runtime
//! fails the test instead of skipping.

use mcpc::Compilation;
use mcpc::backends::{Emit, Plan, ServerSpec, Target};
use mcpc::diag::{Code, Level, LintLevels};
use mcpc::ir::Transport;
use mcpc::source::{SourceFile, SourceMap};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn codex() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("MCPC_RUNTIMES").map_or(root.join(".runtimes"), PathBuf::from);
    let bin = dir.join("node_modules/.bin/codex");
    bin.exists().then_some(bin)
}

fn run(bin: &Path, home: &Path, args: &[&str]) -> Value {
    let out = Command::new(bin)
        .args(args)
        .env("CODEX_HOME", home.join(".codex"))
        .env("HOME", home)
        .env("OPENAI_API_KEY", "not-used")
        .stdin(Stdio::null())
        .output()
        .expect("codex runs");
    assert!(
        out.status.success(),
        "codex {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("codex prints JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(v: &Value, wrap: bool) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = v.as_str().unwrap_or_default();
                    (
                        k.clone(),
                        if wrap {
                            format!("${{{v}}}")
                        } else {
                            v.to_owned()
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What Codex says it loaded, in the neutral model.
fn listed(bin: &Path, home: &Path) -> Vec<ServerSpec> {
    let list = run(bin, home, &["mcp", "list", "--json"]);
    let mut out = Vec::new();
    for entry in list.as_array().expect("a list") {
        let name = entry["name"].as_str().unwrap();
        let t = &entry["transport"];
        let transport = if t["type"] == "stdio" {
            Transport::Stdio
        } else {
            Transport::Http
        };
        let mut spec = ServerSpec::new(name, transport);
        spec.command = t["command"].as_str().map(str::to_owned);
        spec.args = strings(&t["args"]);
        spec.cwd = t["cwd"].as_str().map(str::to_owned);
        spec.env = pairs(&t["env"], false);
        spec.env.extend(
            strings(&t["env_vars"])
                .into_iter()
                .map(|v| (v.clone(), format!("${{{v}}}"))),
        );
        spec.url = t["url"].as_str().map(str::to_owned);
        spec.headers = pairs(&t["http_headers"], false);
        spec.headers.extend(pairs(&t["env_http_headers"], true));
        if let Some(var) = t["bearer_token_env_var"].as_str() {
            spec.headers
                .push(("authorization".into(), format!("Bearer ${{{var}}}")));
        }
        spec.enabled = entry["enabled"].as_bool().unwrap_or(true);
        let secs = |v: &Value| v.as_f64().map(|s| (s * 1000.0).round() as u64);
        spec.startup_timeout_ms = secs(&entry["startup_timeout_sec"]);
        spec.tool_timeout_ms = secs(&entry["tool_timeout_sec"]);
        let detail = run(bin, home, &["mcp", "get", name, "--json"]);
        spec.allow = detail["enabled_tools"]
            .as_array()
            .map(|_| strings(&detail["enabled_tools"]));
        spec.deny = detail["disabled_tools"]
            .as_array()
            .map(|_| strings(&detail["disabled_tools"]));
        out.push(spec.normalized());
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn codex_loads_every_golden_config_as_declared() {
    if std::env::var_os("MCPC_E2E").is_some_and(|v| v == "skip") {
        eprintln!("MCPC_E2E=skip: the Codex end-to-end test is skipped");
        return;
    }
    let Some(bin) = codex() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "Codex is not installed: run scripts/install-runtimes.sh"
        );
        eprintln!(
            "Codex is not installed (scripts/install-runtimes.sh); skipped locally, required under CI"
        );
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ok");
    let mut checked = 0;
    for case in [
        "every-feature",
        "target-overrides",
        "examples",
        "plugin-root-config",
    ] {
        let dir = root.join(case);
        let mut paths = Vec::new();
        for sub in [dir.clone(), dir.join("molecule"), dir.join("hello")] {
            if let Ok(entries) = fs::read_dir(&sub) {
                paths.extend(
                    entries
                        .map(|e| e.unwrap().path())
                        .filter(|p| p.extension().is_some_and(|e| e == "mcpc")),
                );
            }
        }
        paths.sort();
        let mut sources = SourceMap::new();
        for p in &paths {
            sources.add(SourceFile::new(
                p.display().to_string(),
                fs::read_to_string(p).unwrap(),
            ));
        }
        let mut levels = LintLevels::default();
        levels.set(Code::LossyLowering, Level::Allow);
        let plugin_root = (case == "plugin-root-config").then(|| "/opt/acme-local".to_owned());
        let plan = Plan {
            targets: vec![Target::Codex],
            emit: Emit::Config,
            workspace: None,
            plugin_root: plugin_root.clone(),
        };
        let mut c = Compilation::new(sources, levels);
        let files = c.build(&plan);
        let mut expected: Vec<ServerSpec> = c
            .unit
            .plugins
            .iter()
            .flat_map(|p| p.servers_for(Target::Codex))
            .map(|s| ServerSpec::from_ir(&s, plugin_root.as_deref()))
            .collect();
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        let home =
            std::env::temp_dir().join(format!("mcpc-e2e-codex-{case}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&home);
        for f in &files {
            let path = home.join(f.path.strip_prefix("codex/").unwrap());
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, &f.contents).unwrap();
        }
        let seen = listed(&bin, &home);
        let _ = fs::remove_dir_all(&home);
        assert_eq!(
            seen, expected,
            "{case}: what Codex loaded differs from the declaration"
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}
