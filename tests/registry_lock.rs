//! Registry references, `mcpc lock` and its failures, against a registry
//! on loopback: a `TcpListener` thread answering the registry API
//! (`GET /v0.1/servers/{name}/versions/{version}` with `{"server": …,
//! "_meta": …}`). The documents it serves are the fixtures in
//! `tests/fixtures/registry/` (written after the MCP Registry's published
//! examples, `docs/reference/server-json/generic-server-json.md` of
//! `modelcontextprotocol/registry`, and validated against its published
//! schema by tests/registry.rs). No test reaches the internet: every
//! proxy variable is removed, and every URL is on 127.0.0.1.

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn fixture(name: &str) -> String {
    fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/registry")
            .join(name),
    )
    .unwrap()
}

/// The registry API's answer for a document.
fn answer(doc: &str) -> String {
    format!(
        r#"{{"server": {doc}, "_meta": {{"io.modelcontextprotocol.registry/official": {{"status": "active", "isLatest": true}}}}}}"#
    )
}

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn json(body: String) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            delay: Duration::ZERO,
        }
    }
    fn status(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/html".into())],
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }
}

/// A registry on 127.0.0.1: each request path gets its reply (404
/// otherwise); `hits` counts requests.
struct Registry {
    base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
}

impl Registry {
    fn start() -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (r, h) = (routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h) = (r.clone(), h.clone());
                std::thread::spawn(move || serve(stream, &r, &h));
            }
        });
        Registry { base, routes, hits }
    }

    fn route(&self, name: &str, version: &str, reply: Reply) {
        let path = format!(
            "/v0.1/servers/{}/versions/{version}",
            name.replace('/', "%2F")
        );
        self.routes.lock().unwrap().insert(path, reply);
    }

    fn serve_doc(&self, file: &str) {
        let doc = fixture(file);
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        self.route(
            v["name"].as_str().unwrap(),
            v["version"].as_str().unwrap(),
            Reply::json(answer(&doc)),
        );
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, routes: &Mutex<HashMap<String, Reply>>, hits: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let read_head = |reader: &mut BufReader<TcpStream>| {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                break;
            }
        }
        Some(line)
    };
    let Some(mut line) = read_head(&mut reader) else {
        return;
    };
    // As a proxy: a `CONNECT` tunnel, then the request inside it.
    if line.starts_with("CONNECT ") {
        let mut out = stream.try_clone().unwrap();
        let _ = out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
        match read_head(&mut reader) {
            Some(inner) => line = inner,
            None => return,
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let target = line.split(' ').nth(1).unwrap_or_default();
    // An absolute URI (a request through a proxy) names its path after the host.
    let path = match target.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]).to_owned(),
        None => target.to_owned(),
    };
    let reply = routes
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Reply::status(404, "not found"));
    std::thread::sleep(reply.delay);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(reply.body.as_bytes());
}

struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        let dir = std::env::temp_dir().join(format!("mcpc-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("unit")).unwrap();
        Tmp(dir)
    }
    fn unit(&self) -> PathBuf {
        self.0.join("unit")
    }
    fn write(&self, source: &str) {
        fs::write(self.unit().join("main.mcpc"), source).unwrap();
    }
    fn lock_path(&self) -> PathBuf {
        self.unit().join("mcpc.lock")
    }
    fn mcpc(&self, args: &[&str]) -> Output {
        self.mcpc_env(args, &[])
    }
    fn mcpc_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mcpc"));
        c.args(args)
            .current_dir(self.unit())
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.0.join("cache"))
            .env("HOME", &self.0);
        for var in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
        ] {
            c.env_remove(var);
        }
        c.envs(env.iter().copied());
        c.output().unwrap()
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

/// `tests/golden/registry/<case>/stderr.txt`: what mcpc prints for one
/// code, each loopback registry's address written `<registry>` (and
/// `<elsewhere>`); `MCPC_BLESS=1` rewrites it. tests/golden.rs counts these
/// pages towards every code having a case.
fn golden(case: &str, out: &Output, names: &[(&str, &str)]) {
    let mut got = format!(
        "exit: {}\n{}",
        out.status.code().unwrap_or(-1),
        text(&out.stderr)
    );
    for (from, to) in names {
        got = got.replace(from, to);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/registry")
        .join(case)
        .join("stderr.txt");
    if std::env::var_os("MCPC_BLESS").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &got).unwrap();
    }
    assert_eq!(
        fs::read_to_string(&path).unwrap_or_default(),
        got,
        "{case}: MCPC_BLESS=1 cargo test --test registry_lock if the new output is right"
    );
}

fn brave(base: &str) -> String {
    format!(
        r#"plugin "search" {{
  version  = "1.0.0"
  registry = "{base}"
  server "brave" {{
    registry {{
      name    = "io.modelcontextprotocol/brave-search"
      version = "1.0.2"
    }}
    tools {{ deny = ["brave_local_search"] }}
  }}
}}
"#
    )
}

#[test]
fn lock_then_build_offline_gives_the_entrys_exact_launch_line() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    let t = Tmp::new("build");
    t.write(&brave(&reg.base));

    let out = t.mcpc(&["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lock_text = fs::read_to_string(t.lock_path()).unwrap();
    let lock: serde_json::Value = serde_json::from_str(&lock_text).unwrap();
    let entry = &lock["entries"][0];
    assert_eq!(entry["name"], "io.modelcontextprotocol/brave-search");
    assert_eq!(entry["requested"], "1.0.2");
    assert_eq!(entry["version"], "1.0.2");
    assert_eq!(entry["registry"], reg.base.as_str());
    // The digest is of the document the registry served, not of the lock's layout.
    let served: serde_json::Value =
        serde_json::from_str(&fixture("brave-search.server.json")).unwrap();
    assert_eq!(
        entry["sha256"].as_str().unwrap(),
        mcpc::registry::lock::digest(&served)
    );
    assert_eq!(entry["server"], served);
    assert_eq!(reg.hits(), 1);

    // A second lock: same bytes, no request (the lock already holds it).
    assert_eq!(t.mcpc(&["lock"]).status.code(), Some(0));
    assert_eq!(fs::read_to_string(t.lock_path()).unwrap(), lock_text);
    assert_eq!(reg.hits(), 1);
    let check = t.mcpc(&["lock", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));

    // The build reads the lock only: no request.
    let out = t.mcpc(&["build", "--target", "claude-code,codex", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(reg.hits(), 1);
    let mcp: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(t.unit().join("out/claude-code/.mcp.json")).unwrap(),
    )
    .unwrap();
    let server = &mcp["mcpServers"]["brave"];
    assert_eq!(server["command"], "npx");
    assert_eq!(
        server["args"],
        serde_json::json!(["-y", "@modelcontextprotocol/server-brave-search@1.0.2"])
    );
    assert_eq!(server["env"]["BRAVE_API_KEY"], "${BRAVE_API_KEY}");
    let codex = fs::read_to_string(t.unit().join("out/codex/.codex/config.toml")).unwrap();
    let codex: toml::Table = toml::from_str(&codex).unwrap();
    let brave = &codex["mcp_servers"]["brave"];
    assert_eq!(brave["command"].as_str(), Some("npx"));
    // The entry marks the key secret: Codex passes it by name, never a value.
    assert_eq!(
        brave["env_vars"].as_array().unwrap()[0].as_str(),
        Some("BRAVE_API_KEY")
    );
    assert_eq!(
        brave["disabled_tools"].as_array().unwrap()[0].as_str(),
        Some("brave_local_search")
    );
}

#[test]
fn a_second_lock_of_the_same_versions_needs_no_network_and_offline_needs_the_cache() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    let t = Tmp::new("cache");
    t.write(&brave(&reg.base));
    assert_eq!(t.mcpc(&["lock"]).status.code(), Some(0));
    let first = fs::read_to_string(t.lock_path()).unwrap();
    fs::remove_file(t.lock_path()).unwrap();
    // The registry now fails every request: the cache answers.
    reg.routes.lock().unwrap().clear();
    let out = t.mcpc(&["lock", "--offline"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("1 from the cache"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fs::read_to_string(t.lock_path()).unwrap(), first);
    assert_eq!(reg.hits(), 1);

    // A damaged cache object is a miss, not a launch line.
    let objects = t.0.join("cache/mcpc/registry/objects");
    for f in fs::read_dir(&objects).unwrap() {
        let path = f.unwrap().path();
        let tampered = fs::read_to_string(&path)
            .unwrap()
            .replace("server-brave-search", "evil");
        fs::write(path, tampered).unwrap();
    }
    fs::remove_file(t.lock_path()).unwrap();
    let out = t.mcpc(&["lock", "--offline"]);
    assert_eq!(out.status.code(), Some(1));
    golden("registry-not-cached", &out, &[(&reg.base, "<registry>")]);
    let err = text(&out.stderr);
    assert!(err.contains("registry-not-cached"), "{err}");
    assert!(
        err.contains("run `mcpc lock` once with network access"),
        "{err}"
    );
    assert!(!t.lock_path().exists(), "nothing is written on a failure");
    assert_eq!(reg.hits(), 1, "--offline never asks the registry");
}

#[test]
fn build_check_and_apply_without_the_entry_say_to_run_lock() {
    let t = Tmp::new("missing");
    t.write(&brave("https://registry.example.com"));
    fs::create_dir_all(t.unit().join("root")).unwrap();
    for args in [
        &["check"][..],
        &["build", "--target", "claude-code", "--out", "out"],
        &[
            "apply",
            "--target",
            "claude-code",
            "--root",
            "root",
            "--dry-run",
        ],
    ] {
        let out = t.mcpc(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        if args[0] == "build" {
            golden("lock-missing", &out, &[]);
        }
        let err = text(&out.stderr);
        assert!(err.contains("lock-missing"), "{args:?}: {err}");
        assert!(err.contains("run `mcpc lock`"), "{err}");
        assert!(!err.contains("missing-attribute"), "{err}");
    }
    assert!(!t.unit().join("out").exists());
    let out = t.mcpc(&["lock", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("lock-missing"));
}

#[test]
fn a_lock_that_does_not_match_the_source_fails_check_and_build() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    reg.serve_doc("filesystem.server.json");
    let t = Tmp::new("stale");
    let both = brave(&reg.base).replace(
        "  server \"brave\"",
        "  server \"fs\" {\n    registry {\n      name = \"io.modelcontextprotocol/filesystem\"\n      version = \"1.0.2\"\n      package = \"npm\"\n    }\n  }\n  server \"brave\"",
    );
    t.write(&both);
    let out = t.mcpc(&["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let locked = fs::read_to_string(t.lock_path()).unwrap();
    // Entries are sorted by name, whatever the source order.
    assert!(locked.find("brave-search").unwrap() < locked.find("/filesystem").unwrap());

    // The filesystem server is gone from the source: the lock is stale.
    t.write(&brave(&reg.base));
    for args in [
        &["lock", "--check"][..],
        &["build", "--target", "codex", "--out", "out"],
    ] {
        let out = t.mcpc(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        if args[0] == "build" {
            golden("lock-mismatch", &out, &[(&reg.base, "<registry>")]);
        }
        let err = text(&out.stderr);
        assert!(err.contains("lock-mismatch"), "{err}");
        assert!(
            err.contains("io.modelcontextprotocol/filesystem@1.0.2"),
            "{err}"
        );
    }
    assert_eq!(
        fs::read_to_string(t.lock_path()).unwrap(),
        locked,
        "--check writes nothing"
    );
    // `mcpc lock` brings it back in step, without a request.
    let hits = reg.hits();
    assert_eq!(t.mcpc(&["lock"]).status.code(), Some(0));
    assert_eq!(t.mcpc(&["lock", "--check"]).status.code(), Some(0));
    assert_eq!(reg.hits(), hits);

    // A new version in the source: --check says which.
    t.write(&brave(&reg.base).replace("\"1.0.2\"", "\"1.0.3\""));
    let out = t.mcpc(&["lock", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no entry for `io.modelcontextprotocol/brave-search@1.0.3`")
    );
    assert_eq!(reg.hits(), hits, "--check never uses the network");
}

#[test]
fn an_edited_lock_fails_its_digest_and_a_changed_entry_is_refused() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    let t = Tmp::new("digest");
    t.write(&brave(&reg.base));
    assert_eq!(t.mcpc(&["lock"]).status.code(), Some(0));
    let locked = fs::read_to_string(t.lock_path()).unwrap();

    // Someone edits the launch line inside the lock.
    fs::write(
        t.lock_path(),
        locked.replace("@modelcontextprotocol/server-brave-search", "evil-pkg"),
    )
    .unwrap();
    let out = t.mcpc(&["build", "--target", "claude-code", "--out", "out"]);
    assert_eq!(out.status.code(), Some(1));
    golden("lock-digest-mismatch", &out, &[(&reg.base, "<registry>")]);
    assert!(
        text(&out.stderr).contains("lock-digest-mismatch"),
        "{}",
        text(&out.stderr)
    );
    assert!(!t.unit().join("out").exists());

    // The registry now serves other content for the same version: `lock`
    // refuses it and keeps the lock as it was.
    fs::write(t.lock_path(), &locked).unwrap();
    let changed = fixture("brave-search.server.json").replace("Brave Search API Key", "Key");
    reg.route(
        "io.modelcontextprotocol/brave-search",
        "1.0.2",
        Reply::json(answer(&changed)),
    );
    let doctored: serde_json::Value = serde_json::from_str(&locked).unwrap();
    let mut doctored = doctored;
    // Damage the embedded document so that `lock` must fetch again.
    doctored["entries"][0]["server"]["title"] = "x".into();
    let damaged = serde_json::to_string_pretty(&doctored).unwrap();
    fs::write(t.lock_path(), &damaged).unwrap();
    // The cache would repair it; this test is about the registry.
    fs::remove_dir_all(t.0.join("cache")).unwrap();
    let out = t.mcpc(&["lock"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("lock-digest-mismatch"), "{err}");
    assert!(
        err.contains(&format!(
            "{}/v0.1/servers/io.modelcontextprotocol%2Fbrave-search/versions/1.0.2",
            reg.base
        )),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(t.lock_path()).unwrap(),
        damaged,
        "nothing written"
    );
}

/// `mcpc lock` against a registry answering `reply`: it fails with `code`,
/// names the URL, and writes no lock and no cache.
fn fails_with(name: &str, reply: Option<Reply>, base: Option<&str>, code: &str) -> String {
    fails_with_golden(name, reply, base, code, &[])
}

fn fails_with_golden(
    name: &str,
    reply: Option<Reply>,
    base: Option<&str>,
    code: &str,
    names: &[(&str, &str)],
) -> String {
    let reg = Registry::start();
    if let Some(reply) = reply {
        reg.route("io.modelcontextprotocol/brave-search", "1.0.2", reply);
    }
    let t = Tmp::new(name);
    let base = base.map_or(reg.base.clone(), str::to_owned);
    t.write(&brave(&base));
    let out = t.mcpc(&["lock", "--timeout", "1s", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let d = &lines[0];
    assert_eq!(d["code"], code, "{d}");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64()),
        (Some("main.mcpc"), Some(5)),
        "at the `registry` block: {d}"
    );
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "{base}/v0.1/servers/io.modelcontextprotocol%2Fbrave-search/versions/1.0.2"
        )),
        "the message names the URL: {message}"
    );
    assert!(!d["help"].as_str().unwrap_or_default().is_empty(), "{d}");
    let err = format!("{message}\n{}", d["help"].as_str().unwrap());
    if name == code.trim_start_matches("registry-") {
        let human = t.mcpc(&["lock", "--timeout", "1s"]);
        let mut all = vec![(base.as_str(), "<registry>")];
        all.extend_from_slice(names);
        golden(code, &human, &all);
    }
    assert!(!t.lock_path().exists(), "{code}: a lock was written");
    assert!(
        !t.0.join("cache/mcpc").exists(),
        "{code}: the cache was written"
    );
    err
}

#[test]
fn an_unreachable_registry() {
    // A port nobody listens on any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = fails_with(
        "unreachable",
        None,
        Some(&format!("http://127.0.0.1:{port}")),
        "registry-unreachable",
    );
    assert!(err.contains("HTTPS_PROXY"), "{err}");
}

#[test]
fn a_registry_that_does_not_answer_in_time() {
    let mut slow = Reply::json(answer(&fixture("brave-search.server.json")));
    slow.delay = Duration::from_secs(3);
    let err = fails_with("timeout", Some(slow), None, "registry-timeout");
    assert!(
        err.contains("within 1s") && err.contains("--timeout 2s"),
        "{err}"
    );
}

#[test]
fn an_http_error_status() {
    let err = fails_with(
        "http-error",
        Some(Reply::status(503, "<h1>down</h1>")),
        None,
        "registry-http-error",
    );
    assert!(
        err.contains("HTTP 503") && err.contains("try again later"),
        "{err}"
    );
    let err = fails_with(
        "http403",
        Some(Reply::status(403, "no")),
        None,
        "registry-http-error",
    );
    assert!(
        err.contains("HTTP 403") && err.contains("credentials"),
        "{err}"
    );
}

#[test]
fn a_version_the_registry_does_not_have() {
    let err = fails_with(
        "version-not-found",
        None,
        None,
        "registry-version-not-found",
    );
    assert!(
        err.contains("no `io.modelcontextprotocol/brave-search` version `1.0.2`"),
        "{err}"
    );
}

#[test]
fn an_answer_that_is_not_json() {
    let mut html = Reply::status(200, "<html>captive portal</html>");
    html.headers = vec![("content-type".into(), "text/html".into())];
    fails_with("not-json", Some(html), None, "registry-not-json");
    // JSON, but not the API's envelope.
    let err = fails_with(
        "noenvelope",
        Some(Reply::json("[1, 2]".into())),
        None,
        "registry-not-json",
    );
    assert!(err.contains("no `server` object"), "{err}");
}

#[test]
fn an_answer_that_is_not_a_valid_server_json() {
    let broken = fixture("brave-search.server.json").replace(
        "\"description\": \"MCP server for Brave Search API integration\",",
        "",
    );
    let err = fails_with(
        "invalid-entry",
        Some(Reply::json(answer(&broken))),
        None,
        "registry-invalid-entry",
    );
    assert!(err.contains("description"), "{err}");
    // Valid, but another entry than the one asked for.
    let other = fixture("filesystem.server.json");
    let err = fails_with(
        "other",
        Some(Reply::json(answer(&other))),
        None,
        "registry-invalid-entry",
    );
    assert!(
        err.contains("not `io.modelcontextprotocol/brave-search`"),
        "{err}"
    );
}

#[test]
fn a_redirect_to_another_host_is_not_followed() {
    let elsewhere = Registry::start();
    elsewhere.serve_doc("brave-search.server.json");
    // `localhost` is another host than `127.0.0.1`, for a URL's origin.
    let to = elsewhere.base.replace("127.0.0.1", "localhost")
        + "/v0.1/servers/io.modelcontextprotocol%2Fbrave-search/versions/1.0.2";
    let mut redirect = Reply::status(302, "");
    redirect.headers.push(("location".into(), to));
    let elsewhere_base = elsewhere.base.replace("127.0.0.1", "localhost");
    let err = fails_with_golden(
        "redirect",
        Some(redirect),
        None,
        "registry-redirect",
        &[(elsewhere_base.as_str(), "<elsewhere>")],
    );
    assert!(err.contains("localhost"), "{err}");
    assert_eq!(elsewhere.hits(), 0, "the other host was never asked");
}

#[test]
fn a_redirect_within_the_registry_is_followed() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    let mut redirect = Reply::status(301, "");
    redirect.headers.push((
        "location".into(),
        "/v0.1/servers/io.modelcontextprotocol%2Fbrave-search/versions/1.0.2".into(),
    ));
    reg.route("io.modelcontextprotocol/brave-search", "latest", redirect);
    let t = Tmp::new("samehost");
    t.write(&brave(&reg.base).replace("\"1.0.2\"", "\"latest\""));
    let out = t.mcpc(&["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lock: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(t.lock_path()).unwrap()).unwrap();
    // `latest` is pinned: the lock says which version it was.
    assert_eq!(lock["entries"][0]["requested"], "latest");
    assert_eq!(lock["entries"][0]["version"], "1.0.2");
    assert_eq!(reg.hits(), 2);
}

#[test]
fn a_registry_entry_fixes_the_launch_line_and_env_entries_win() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    reg.serve_doc("remote.server.json");
    let t = Tmp::new("override");
    let source = format!(
        r#"plugin "p" {{
  version  = "1.0.0"
  registry = "{}"
  server "brave" {{
    registry {{
      name    = "io.modelcontextprotocol/brave-search"
      version = "1.0.2"
    }}
    env {{ BRAVE_API_KEY = secret.TEAM_BRAVE_KEY }}
  }}
  server "docs" {{
    registry {{
      name    = "ai.molecule/docs"
      version = "2.0.0"
      package = "remote"
    }}
    headers {{ X-Client = "acme" }}
  }}
}}
"#,
        reg.base
    );
    t.write(&source);
    let out = t.mcpc(&["lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = t.mcpc(&["build", "--target", "claude-code", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mcp: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(t.unit().join("out/claude-code/.mcp.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        mcp["mcpServers"]["brave"]["env"]["BRAVE_API_KEY"],
        "${TEAM_BRAVE_KEY}"
    );
    let docs = &mcp["mcpServers"]["docs"];
    assert_eq!(docs["url"], "https://${TENANT_ID}.docs.molecule.ai/mcp");
    assert_eq!(docs["headers"]["Authorization"], "Bearer ${DOCS_TOKEN}");
    assert_eq!(docs["headers"]["X-Client"], "acme");

    // Without `package`, an entry with two remotes asks to choose.
    t.write(&source.replace("      package = \"remote\"\n", ""));
    let out = t.mcpc(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("several launch lines") && err.contains("package = \"remote\""),
        "{err}"
    );

    // A launch attribute of its own conflicts with the entry's.
    t.write(&source.replace(
        "    env { BRAVE_API_KEY",
        "    command = \"node\"\n    env { BRAVE_API_KEY",
    ));
    let out = t.mcpc(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("conflicting-attributes") && err.contains("cannot set `command`"),
        "{err}"
    );
}

#[test]
fn import_registry_prints_a_reference_that_locks_and_builds() {
    let reg = Registry::start();
    reg.serve_doc("filesystem.server.json");
    let t = Tmp::new("import");
    let out = t.mcpc(&[
        "import",
        "--registry",
        &reg.base,
        "io.modelcontextprotocol/filesystem@1.0.2",
        "--plugin",
        "files",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let source = text(&out.stdout);
    assert!(
        source.contains("name    = \"io.modelcontextprotocol/filesystem\""),
        "{source}"
    );
    assert!(
        source.contains(&format!("registry    = \"{}\"", reg.base)),
        "{source}"
    );
    assert!(
        source.contains("package = \"npm\""),
        "two packages: one is chosen: {source}"
    );
    // A reference, not a copy of the launch line.
    assert!(
        !source.contains("command") && !source.contains("npx"),
        "{source}"
    );
    t.write(&source);
    let out = t.mcpc(&["lock", "--offline"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "import fills the cache: {}",
        text(&out.stderr)
    );
    let out = t.mcpc(&["build", "--target", "codex", "--out", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fmt = t.mcpc(&["fmt", "--check"]);
    assert_eq!(fmt.status.code(), Some(0), "import prints formatted source");

    // An entry the registry lacks: the same code as for `lock`.
    let out = t.mcpc(&[
        "import",
        "--registry",
        &reg.base,
        "io.modelcontextprotocol/nothing@1.0.0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("error[registry-version-not-found]"));
    assert!(out.stdout.is_empty());
}

#[test]
fn the_schema_rules_mcpc_checks_agree_with_the_published_schema() {
    let schema: serde_json::Value = serde_json::from_str(&fixture("server.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let good: serde_json::Value = serde_json::from_str(&fixture("weather.server.json")).unwrap();
    let mut cases = vec![(good.clone(), true)];
    for (path, value) in [
        ("/description", serde_json::Value::Null),
        ("/name", "no-slash".into()),
        ("/packages/0/transport/type", "carrier-pigeon".into()),
        ("/description", "x".repeat(101).into()),
    ] {
        let mut bad = good.clone();
        if value.is_null() {
            bad.as_object_mut().unwrap().remove(&path[1..]);
        } else {
            *bad.pointer_mut(path).unwrap() = value;
        }
        cases.push((bad, false));
    }
    for (doc, valid) in cases {
        assert_eq!(validator.is_valid(&doc), valid, "{doc}");
        assert_eq!(mcpc::registry::lock::validate(&doc).is_ok(), valid, "{doc}");
    }
}

#[test]
fn https_proxy_and_no_proxy_are_honoured() {
    // The loopback registry doubles as the proxy; the registry's own
    // address, `localhost:1`, has nobody listening: only the proxy can answer.
    let proxy = Registry::start();
    proxy.serve_doc("brave-search.server.json");
    let t = Tmp::new("proxy");
    t.write(&brave("http://localhost:1"));
    let via = [("HTTPS_PROXY", proxy.base.as_str())];
    let out = t.mcpc_env(&["lock"], &via);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(proxy.hits(), 1, "the request went through the proxy");
    let lock: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(t.lock_path()).unwrap()).unwrap();
    assert_eq!(lock["entries"][0]["registry"], "http://localhost:1");

    // NO_PROXY names the registry's host: mcpc connects directly, and fails.
    fs::remove_file(t.lock_path()).unwrap();
    fs::remove_dir_all(t.0.join("cache")).unwrap();
    let out = t.mcpc_env(
        &["lock", "--message-format", "short"],
        &[via[0], ("NO_PROXY", "localhost")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("error[registry-unreachable]"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(proxy.hits(), 1, "NO_PROXY bypasses the proxy");
}

/// Two plugins naming different registries for one name and version: the
/// lock holds one entry per pair, so `mcpc lock` says so at the second
/// reference (instead of every build failing with `lock-mismatch`), and
/// writes nothing.
#[test]
fn one_name_and_version_from_two_registries_is_refused_by_lock() {
    let reg = Registry::start();
    reg.serve_doc("brave-search.server.json");
    let t = Tmp::new("two-registries");
    let other = "http://127.0.0.1:9";
    let second = brave(other)
        .replace("plugin \"search\"", "plugin \"search-too\"")
        .replace("server \"brave\"", "server \"brave-too\"");
    t.write(&format!("{}\n{second}", brave(&reg.base)));
    let out = t.mcpc(&["lock", "--message-format", "short"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("main.mcpc:17:5: error[lock-mismatch]")
            && stderr.contains(&format!(
                "is referenced from two registries, {} and {other}",
                reg.base
            )),
        "{stderr}"
    );
    assert!(!t.lock_path().exists(), "nothing is written on a failure");
}
