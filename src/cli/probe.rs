//! `mcpc probe` and `verify --probe`: start a server as its runtime would,
//! perform the MCP handshake (`initialize`, `tools/list`) and time it.
//!
//! Values are the neutral ones a runtime's file holds (`${NAME}` for
//! variables), resolved against this process's environment, as the runtime
//! resolves them against its own.

use crate::backends::ServerSpec;
use crate::ir::Transport;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PROTOCOL: &str = "2025-06-18";

// `mcpc probe`'s arguments (not a doc comment: it would be the about).
#[derive(clap::Args)]
pub(crate) struct ProbeArgs {
    #[command(flatten)]
    input: super::Input,
    /// Probe only this server
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Probe the servers as this runtime sees them (its `target` overrides applied)
    #[arg(long, value_name = "T", value_parser = super::parse_target)]
    target: Option<crate::backends::Target>,
    /// Value of `plugin.root`
    #[arg(long, value_name = "PATH")]
    plugin_root: Option<String>,
    /// Time allowed for each server's handshake, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    timeout: u64,
}

pub(crate) fn run(args: ProbeArgs) -> Result<u8, super::UsageError> {
    let mut c = crate::Compilation::new(args.input.sources()?, args.input.levels()?);
    let levels = c.levels();
    let diagnostics = c.take_diagnostics(&levels);
    args.input.report(&c.sources, &diagnostics);
    if crate::diag::count_errors(&diagnostics) > 0 {
        return Ok(super::FAILED);
    }
    let mut specs = Vec::new();
    // Each server's URL as written in the source (`${secret.X}`), for messages.
    let mut written = Vec::new();
    for plugin in &c.unit.plugins {
        let servers: Vec<crate::ir::Server> = match args.target {
            Some(t) => plugin
                .servers_for(t)
                .into_iter()
                .map(|s| s.into_owned())
                .collect(),
            None => plugin.servers.clone(),
        };
        for s in servers
            .iter()
            .filter(|s| args.server.as_deref().is_none_or(|n| n == s.name.value))
        {
            specs.push(ServerSpec::from_ir(s, args.plugin_root.as_deref()));
            written.push(s.fields.url.as_ref().map(|u| u.value.display()));
        }
    }
    if let Some(name) = &args.server
        && specs.is_empty()
    {
        return Err(super::UsageError(format!("no server named `{name}`")));
    }
    let mut results = probe_all(&specs, Duration::from_secs(args.timeout));
    for ((spec, url), result) in specs.iter().zip(&written).zip(&mut results) {
        if let (Some(neutral), Some(url), Some(error)) = (
            &spec.url,
            url,
            result.as_mut().and_then(|r| r.error.as_mut()),
        ) {
            *error = error.replace(neutral.as_str(), url);
        }
    }
    let mut failed = 0;
    for (spec, result) in specs.iter().zip(&results) {
        print_line(spec, result.as_ref());
        failed += usize::from(result.as_ref().is_some_and(|r| !r.ok()));
    }
    eprintln!(
        "probed {} server{}: {failed} failed",
        specs.len(),
        if specs.len() == 1 { "" } else { "s" }
    );
    Ok(if failed > 0 { super::FAILED } else { super::OK })
}

/// Probes servers in parallel; `None` for disabled ones.
pub(crate) fn probe_all(specs: &[ServerSpec], timeout: Duration) -> Vec<Option<Probe>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| scope.spawn(move || spec.enabled.then(|| probe(spec, timeout))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(None))
            .collect()
    })
}

fn print_line(spec: &ServerSpec, result: Option<&Probe>) {
    match result {
        None => println!("{:<8} {}", "disabled", spec.name),
        Some(r) if r.ok() => println!(
            "{:<8} {:<24} {:>6} ms  {} tool{}",
            "ok",
            spec.name,
            r.millis,
            r.tools.len(),
            if r.tools.len() == 1 { "" } else { "s" }
        ),
        Some(r) => println!(
            "{:<8} {:<24} {:>6} ms  {}",
            "failed",
            spec.name,
            r.millis,
            r.error.as_deref().unwrap_or_default()
        ),
    }
}

/// What one probe found.
#[derive(Debug)]
pub(crate) struct Probe {
    pub millis: u64,
    pub tools: Vec<String>,
    pub error: Option<String>,
}

impl Probe {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Probes one server; `timeout` bounds the whole handshake.
///
/// The error never holds a resolved variable's value (a secret is one):
/// messages name values as declared, and every value resolved for this
/// server is redacted from what the server or the HTTP library said.
pub(crate) fn probe(spec: &ServerSpec, timeout: Duration) -> Probe {
    let start = Instant::now();
    let mut secrets = Redactor::default();
    let result = match spec.transport {
        Transport::Stdio => stdio(spec, timeout, &mut secrets),
        Transport::Http => http(spec, timeout, &mut secrets),
        Transport::Sse => {
            Err("not probed: probing the legacy SSE transport is not supported yet".to_owned())
        }
    }
    .map_err(|e| secrets.clean(&e));
    let millis = start.elapsed().as_millis() as u64;
    match result {
        Ok(tools) => {
            let missing: Vec<&String> = spec
                .allow
                .iter()
                .flatten()
                .filter(|t| !tools.contains(t))
                .collect();
            let error = (!missing.is_empty()).then(|| {
                let names: Vec<String> = missing.iter().map(|t| format!("`{t}`")).collect();
                format!(
                    "allowed tools the server does not offer: {}",
                    names.join(", ")
                )
            });
            Probe {
                millis,
                tools,
                error,
            }
        }
        Err(error) => Probe {
            millis,
            tools: Vec::new(),
            error: Some(error),
        },
    }
}

/// The values resolved for one server, to be kept out of every message.
#[derive(Default)]
struct Redactor {
    values: Vec<String>,
}

impl Redactor {
    /// `${NAME}` and `${NAME:-default}` from this process's environment;
    /// remembers each value taken from the environment.
    fn resolve(&mut self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..]
                .find('}')
                .ok_or_else(|| format!("unterminated `${{` in `{text}`"))?
                + start;
            let inner = &rest[start + 2..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            // A secret VS Code prompts for (`${input:NAME}`): from mcpc its
            // value comes from the environment.
            let name = name.strip_prefix("input:").unwrap_or(name);
            let name = name.strip_suffix('!').unwrap_or(name);
            match (std::env::var(name).ok().filter(|v| !v.is_empty()), default) {
                (Some(v), _) => {
                    out.push_str(&v);
                    self.values.push(v);
                }
                (None, Some(d)) => out.push_str(d),
                (None, None) => return Err(format!("environment variable `{name}` is not set")),
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `text` with every resolved value replaced by `***` (longest first,
    /// so a value containing another goes whole) and control characters
    /// escaped, so a server cannot drive the terminal.
    fn clean(&self, text: &str) -> String {
        let mut values: Vec<&String> = self.values.iter().collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut text = text.to_owned();
        for v in values {
            text = text.replace(v.as_str(), "***");
        }
        crate::diag::sanitize(&text).into_owned()
    }
}

fn initialize() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": PROTOCOL,
        "capabilities": {},
        "clientInfo": {"name": "mcpc", "version": env!("CARGO_PKG_VERSION")},
    }})
}

fn initialized() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

fn tools_list(id: u64, cursor: Option<&str>) -> Value {
    let params = match cursor {
        Some(c) => json!({"cursor": c}),
        None => json!({}),
    };
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params})
}

/// The result of a response, or its error in words.
fn result_of(response: &Value) -> Result<&Value, String> {
    if let Some(error) = response.get("error") {
        return Err(format!(
            "the server answered with an error: {}",
            error.get("message").and_then(Value::as_str).unwrap_or("?")
        ));
    }
    response
        .get("result")
        .ok_or_else(|| "the server sent a response without a result".to_owned())
}

/// Pages through `tools/list` with `call` (request → response).
fn list_tools(mut call: impl FnMut(Value) -> Result<Value, String>) -> Result<Vec<String>, String> {
    let mut tools = Vec::new();
    let mut cursor: Option<String> = None;
    for id in 2..52 {
        let response = call(tools_list(id, cursor.as_deref()))?;
        let result = result_of(&response)?;
        for tool in result
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = tool.get("name").and_then(Value::as_str) {
                tools.push(name.to_owned());
            }
        }
        cursor = result
            .get("nextCursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    Ok(tools)
}

/// The most one message from a stdio server may hold, and the most read
/// from its output in one probe: a server cannot make mcpc hold more.
const MESSAGE_CAP: usize = 8 << 20;
const OUTPUT_CAP: u64 = 64 << 20;
/// How much of a server's standard error is kept (its end).
const STDERR_CAP: usize = 64 << 10;

fn mib(bytes: u64) -> u64 {
    bytes >> 20
}

fn stdio(
    spec: &ServerSpec,
    timeout: Duration,
    secrets: &mut Redactor,
) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + timeout;
    let declared = spec.command.as_deref().unwrap_or_default();
    let command = secrets.resolve(declared)?;
    let mut cmd = Command::new(&command);
    for arg in &spec.args {
        cmd.arg(secrets.resolve(arg)?);
    }
    for (k, v) in &spec.env {
        cmd.env(k, secrets.resolve(v)?);
    }
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(secrets.resolve(cwd)?);
    }
    // Its own process group, so that what it forks ends with it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{declared}`: {e}"))?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    // A small queue: the reader waits rather than piling messages up.
    let (tx, rx) = mpsc::sync_channel::<Result<String, String>>(2);
    std::thread::spawn(move || read_messages(stdout, &tx));
    let (etx, erx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let _ = etx.send(read_tail(stderr));
    });
    let mut session = StdioSession {
        stdin,
        rx,
        deadline,
        timeout,
    };
    let result = (|| {
        result_of(&session.call(initialize())?)?;
        session.send(&initialized())?;
        list_tools(|request| session.call(request))
    })();
    end(&mut child);
    result.map_err(|e| match erx.recv_timeout(Duration::from_millis(200)) {
        Ok(text) if !text.trim().is_empty() => {
            let last = text.trim().lines().last().unwrap_or_default();
            format!(
                "{e} (stderr: {})",
                last.chars().take(200).collect::<String>()
            )
        }
        _ => e,
    })
}

/// Kills the server and everything in its process group, and reaps it.
fn end(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        use rustix::process::{Pid, Signal, kill_process_group};
        let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends each line of `stdout` to `tx`, or one error once a line exceeds
/// [`MESSAGE_CAP`] or the whole output [`OUTPUT_CAP`]; then stops reading.
fn read_messages(stdout: impl Read, tx: &mpsc::SyncSender<Result<String, String>>) {
    let mut reader = BufReader::new(stdout);
    let mut total = 0u64;
    loop {
        let mut line = Vec::new();
        let n = match (&mut reader)
            .take(MESSAGE_CAP as u64 + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        total += n as u64;
        let failure = if n > MESSAGE_CAP {
            Some(format!(
                "the server sent a message larger than {} MiB",
                mib(MESSAGE_CAP as u64)
            ))
        } else if total > OUTPUT_CAP {
            Some(format!(
                "the server wrote more than {} MiB before answering",
                mib(OUTPUT_CAP)
            ))
        } else {
            None
        };
        let message = match failure {
            Some(f) => Err(f),
            None => Ok(String::from_utf8_lossy(&line)
                .trim_end_matches(['\n', '\r'])
                .to_owned()),
        };
        let stop = message.is_err();
        if tx.send(message).is_err() || stop {
            return;
        }
    }
}

/// The last [`STDERR_CAP`] bytes of `stderr`, read to its end.
fn read_tail(mut stderr: impl Read) -> String {
    let mut kept: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    while let Ok(n) = stderr.read(&mut chunk) {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        if kept.len() > 2 * STDERR_CAP {
            kept.drain(..kept.len() - STDERR_CAP);
        }
    }
    if kept.len() > STDERR_CAP {
        kept.drain(..kept.len() - STDERR_CAP);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// A stdio server's pipes, for one handshake.
struct StdioSession {
    stdin: std::process::ChildStdin,
    rx: mpsc::Receiver<Result<String, String>>,
    deadline: Instant,
    timeout: Duration,
}

impl StdioSession {
    fn send(&mut self, message: &Value) -> Result<(), String> {
        writeln!(self.stdin, "{message}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("the server closed its input: {e}"))
    }

    /// Sends a request and waits for its response, answering any request
    /// the server makes meanwhile with "not supported".
    fn call(&mut self, request: Value) -> Result<Value, String> {
        let id = request["id"].clone();
        self.send(&request)?;
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            let line = match self.rx.recv_timeout(left) {
                Ok(line) => line?,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!("no answer within {} s", self.timeout.as_secs()));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the server exited".to_owned());
                }
            };
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if message.get("id") == Some(&id) && message.get("method").is_none() {
                return Ok(message);
            }
            if let (Some(rid), Some(_)) = (message.get("id"), message.get("method")) {
                let reply = json!({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "not supported by mcpc probe"}});
                self.send(&reply)?;
            }
        }
    }
}

/// The proxy a request to `url` goes through: the environment's
/// (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, minus `NO_PROXY`) for an
/// `https://` URL only, where the proxy carries a TLS tunnel (`CONNECT
/// host:port`) and never sees the path, the headers or the body. A
/// plain-`http://` URL (a loopback server, or one whose `insecure-url` is
/// allowed) is always reached directly: through a proxy its declared
/// headers and any secret in its URL would travel in the clear, and a
/// proxy would resolve `127.0.0.1` as its own host.
fn proxy_for(url: &str) -> Option<ureq::Proxy> {
    let https = url::Url::parse(url).is_ok_and(|u| u.scheme() == "https");
    https.then(ureq::Proxy::try_from_env).flatten()
}

/// The most read from one HTTP response body.
const BODY_CAP: u64 = 8 << 20;

fn http(
    spec: &ServerSpec,
    timeout: Duration,
    secrets: &mut Redactor,
) -> Result<Vec<String>, String> {
    let declared = spec.url.as_deref().unwrap_or_default();
    let url = secrets.resolve(declared)?;
    let mut headers = Vec::new();
    for (k, v) in &spec.headers {
        headers.push((k.clone(), secrets.resolve(v)?));
    }
    // Redirects are never followed: the declared headers (credentials)
    // go to the declared origin only, and a redirect is reported.
    let proxy = proxy_for(&url);
    let via = proxy
        .as_ref()
        .map(|p| format!(" (through the proxy {} from the environment)", p.host()))
        .unwrap_or_default();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(proxy)
        .build()
        .into();
    let mut session: Option<String> = None;
    let mut post = |message: &Value, expect_reply: bool| -> Result<Option<Value>, String> {
        let mut request = agent
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(s) = &session {
            request = request
                .header("mcp-session-id", s)
                .header("mcp-protocol-version", PROTOCOL);
        }
        for (k, v) in &headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let mut response = request
            .send(message.to_string())
            .map_err(|e| format!("cannot reach {declared}{via}: {e}"))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            let to = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url::Url::parse(&url).ok()?.join(l).ok())
                .and_then(|u| u.host_str().map(str::to_owned));
            return Err(match to {
                Some(host) => format!(
                    "HTTP {status}: redirected to {host}; mcpc probe does not follow redirects, declare the final URL"
                ),
                None => format!("HTTP {status}: a redirect, which mcpc probe does not follow"),
            });
        }
        if let Some(id) = response
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
        {
            session = Some(id.to_owned());
        }
        if !(200..300).contains(&status) {
            let hint = if status == 401 || status == 403 {
                " (the server refused the credentials)"
            } else {
                ""
            };
            return Err(format!("HTTP {status}{hint}"));
        }
        if !expect_reply {
            return Ok(None);
        }
        let sse = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"));
        let too_large = || {
            format!(
                "the server sent a response larger than {} MiB",
                mib(BODY_CAP)
            )
        };
        if !sse {
            let body = response
                .body_mut()
                .with_config()
                .limit(BODY_CAP)
                .read_to_vec()
                .map_err(|e| match e {
                    ureq::Error::BodyExceedsLimit(_) => too_large(),
                    e => format!("the response broke off: {e}"),
                })?;
            return serde_json::from_slice(&body)
                .map(Some)
                .map_err(|e| format!("the server sent invalid JSON: {e}"));
        }
        let reader = BufReader::new(response.body_mut().with_config().limit(BODY_CAP).reader());
        // Server-sent events: the response is the `data:` carrying our id.
        for line in reader.lines() {
            let line = line.map_err(|e| {
                let limit = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                    .is_some_and(|inner| matches!(inner, ureq::Error::BodyExceedsLimit(_)));
                if limit {
                    too_large()
                } else {
                    format!("the event stream broke: {e}")
                }
            })?;
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(value) = serde_json::from_str::<Value>(data.trim())
                && value.get("id") == message.get("id")
            {
                return Ok(Some(value));
            }
        }
        Err("the event stream ended without a response".to_owned())
    };
    result_of(&post(&initialize(), true)?.unwrap_or_default())?;
    post(&initialized(), false)?;
    list_tools(|request| post(&request, true).map(Option::unwrap_or_default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_variables_and_defaults() {
        let mut r = Redactor::default();
        assert_eq!(
            r.resolve("a-${MCPC_PROBE_UNSET_VAR:-b}-c").unwrap(),
            "a-b-c"
        );
        assert!(
            r.resolve("${MCPC_PROBE_UNSET_VAR}")
                .unwrap_err()
                .contains("is not set")
        );
        assert_eq!(r.resolve("plain").unwrap(), "plain");
        // A default is written in the declaration: nothing to hide.
        assert!(r.values.is_empty());
    }
}
