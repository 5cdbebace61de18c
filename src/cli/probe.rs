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

/// `mcpc probe`.
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
        }
    }
    if let Some(name) = &args.server
        && specs.is_empty()
    {
        return Err(super::UsageError(format!("no server named `{name}`")));
    }
    let results = probe_all(&specs, Duration::from_secs(args.timeout));
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
pub(crate) fn probe(spec: &ServerSpec, timeout: Duration) -> Probe {
    let start = Instant::now();
    let result = match spec.transport {
        Transport::Stdio => stdio(spec, timeout),
        Transport::Http => http(spec, timeout),
        Transport::Sse => {
            Err("not probed: probing the legacy SSE transport is not supported yet".to_owned())
        }
    };
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

/// `${NAME}` and `${NAME:-default}` from this process's environment.
fn resolve(text: &str) -> Result<String, String> {
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
        match (std::env::var(name).ok().filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(format!("environment variable `{name}` is not set")),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
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

fn stdio(spec: &ServerSpec, timeout: Duration) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + timeout;
    let command = resolve(spec.command.as_deref().unwrap_or_default())?;
    let mut cmd = Command::new(&command);
    for arg in &spec.args {
        cmd.arg(resolve(arg)?);
    }
    for (k, v) in &spec.env {
        cmd.env(k, resolve(v)?);
    }
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(resolve(cwd)?);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (etx, erx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = etx.send(text);
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
    let _ = child.kill();
    let _ = child.wait();
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

/// A stdio server's pipes, for one handshake.
struct StdioSession {
    stdin: std::process::ChildStdin,
    rx: mpsc::Receiver<String>,
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
                Ok(line) => line,
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

fn http(spec: &ServerSpec, timeout: Duration) -> Result<Vec<String>, String> {
    let url = resolve(spec.url.as_deref().unwrap_or_default())?;
    let mut headers = Vec::new();
    for (k, v) in &spec.headers {
        headers.push((k.clone(), resolve(v)?));
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
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
            .map_err(|e| format!("cannot reach {url}: {e}"))?;
        let status = response.status().as_u16();
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
        let reader = BufReader::new(response.body_mut().as_reader());
        if !sse {
            return serde_json::from_reader(reader)
                .map(Some)
                .map_err(|e| format!("the server sent invalid JSON: {e}"));
        }
        // Server-sent events: the response is the `data:` carrying our id.
        for line in reader.lines() {
            let line = line.map_err(|e| format!("the event stream broke: {e}"))?;
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
        assert_eq!(resolve("a-${MCPC_PROBE_UNSET_VAR:-b}-c").unwrap(), "a-b-c");
        assert!(
            resolve("${MCPC_PROBE_UNSET_VAR}")
                .unwrap_err()
                .contains("is not set")
        );
        assert_eq!(resolve("plain").unwrap(), "plain");
    }
}
