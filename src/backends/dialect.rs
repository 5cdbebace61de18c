//! The JSON family as data: most runtimes keep a JSON map of server name →
//! entry and differ only in where the map lives, what its keys are called,
//! how a transport is tagged and how a variable is spelled. A [`Dialect`]
//! says all of that; [`JsonRuntime`] adds the few behaviours no table can
//! say, and every `JsonRuntime` is a [`Backend`] through the one
//! implementation here (build, read, approximate, managed files, user
//! scope).
//!
//! The model is rustc's target specs: a family base
//! ([`Dialect::mcp_servers_family`]) and, per runtime, a module that sets
//! the fields that differ (`..Dialect::mcp_servers_family(…)`).

use super::lowering::{Fields, Vars, check_package_name, no_package, render_entries, tool_names};
use super::{
    Backend, Capabilities, Cx, ManagedFile, NativeFile, Owned, PluginServers, ServerSpec, Target,
};
use crate::emit::{self, Number};
use crate::ir::{Ref, Server, Transport};
use serde_json::{Map, Value};

/// One runtime of the JSON family, as data.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    pub target: Target,
    /// The runtime's product name, for messages: `Claude Code`.
    pub runtime: &'static str,
    /// The files `apply` merges into, each with its place in user scope.
    /// The first holds the servers, at its first `Owned::Servers` path.
    pub files: &'static [ManagedFile],
    /// The keys of one entry, in the order they are written. A field with
    /// no key here is in [`Gaps`] (or handled by the runtime's code).
    pub keys: &'static [Key],
    /// The value of `Key::Type` for each transport (`None`: not written).
    pub tags: Tags,
    /// How and where variables are expanded.
    pub vars: Vars,
    /// Disabled servers are listed by name at this key path of the first
    /// file (Gemini's `mcp.excluded`), besides any `Key::Enabled`.
    pub disabled_list: Option<&'static [&'static str]>,
    /// What the runtime cannot express, and how that is reported.
    pub gaps: Gaps,
    /// One malformed entry makes the runtime drop every server (droid,
    /// Auggie): `read` names the entry and says so.
    pub fragile: bool,
    /// Other runtimes' files this runtime also loads servers from, read in
    /// this runtime's own dialect (`verify` reports a server seen twice or
    /// misread there).
    pub also_reads: &'static [AlsoRead],
    /// `mcpc targets`.
    pub capabilities: Capabilities,
}

/// One key of an entry, with the name the runtime gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// The transport tag (values in [`Dialect::tags`]).
    Type(&'static str),
    /// The program, a string (arguments under `Key::Args`).
    Command(&'static str),
    /// Program and arguments in one array (opencode).
    Argv(&'static str),
    Args(&'static str),
    Env(&'static str),
    Cwd(&'static str),
    /// The url, under a key that may depend on the transport (Qwen:
    /// `httpUrl` for streamable HTTP, `url` for SSE).
    Url {
        http: &'static str,
        sse: &'static str,
    },
    Headers(&'static str),
    /// Tool-call timeout, in units of this many milliseconds.
    ToolTimeout(&'static str, u64),
    /// Start-up timeout, in units of this many milliseconds.
    StartupTimeout(&'static str, u64),
    /// `false` when the server is disabled.
    Enabled(&'static str),
    /// `true` when the server is disabled.
    Disabled(&'static str),
    Description(&'static str),
    /// Tool allow-list; without a `Key::Deny`, written as allow − deny.
    Allow(&'static str),
    Deny(&'static str),
}

impl Key {
    /// The commonest spellings.
    pub const TYPE: Key = Key::Type("type");
    pub const COMMAND: Key = Key::Command("command");
    pub const ARGS: Key = Key::Args("args");
    pub const ENV: Key = Key::Env("env");
    pub const CWD: Key = Key::Cwd("cwd");
    pub const URL: Key = Key::Url {
        http: "url",
        sse: "url",
    };
    pub const HEADERS: Key = Key::Headers("headers");
}

/// The `type` value per transport.
#[derive(Clone, Copy, Debug)]
pub struct Tags {
    pub stdio: Option<&'static str>,
    pub http: Option<&'static str>,
    pub sse: Option<&'static str>,
}

impl Tags {
    /// `stdio`, `http`, `sse`: mcpc's own names.
    pub const NAMES: Tags = Tags {
        stdio: Some("stdio"),
        http: Some("http"),
        sse: Some("sse"),
    };

    fn of(&self, t: Transport) -> Option<&'static str> {
        match t {
            Transport::Stdio => self.stdio,
            Transport::Http => self.http,
            Transport::Sse => self.sse,
        }
    }
}

/// A field the runtime cannot carry.
#[derive(Clone, Copy, Debug)]
pub enum Gap {
    /// `unsupported-feature`: "… cannot express {what}".
    Unsupported(&'static str),
    /// `lossy-lowering`, the field is dropped (or SSE becomes HTTP). In
    /// both texts `{server}` stands for the server's name.
    Lossy {
        message: &'static str,
        help: &'static str,
    },
}

/// What a runtime cannot express. `None`: expressible (by a key, or by
/// the runtime's own code).
#[derive(Clone, Copy, Debug)]
pub struct Gaps {
    pub cwd: Option<Gap>,
    pub sse: Option<Gap>,
    pub allow: Option<Gap>,
    /// Reported only when the deny-list cannot be folded into an allow-list.
    pub deny: Option<Gap>,
    pub tool_timeout: Option<Gap>,
    pub startup_timeout: Option<Gap>,
    pub disabled: Option<Gap>,
}

impl Gaps {
    pub const NONE: Gaps = Gaps {
        cwd: None,
        sse: None,
        allow: None,
        deny: None,
        tool_timeout: None,
        startup_timeout: None,
        disabled: None,
    };
}

/// Another file a runtime loads servers from (Copilot CLI and Qwen Code
/// read a workspace `.mcp.json`).
#[derive(Clone, Copy, Debug)]
pub struct AlsoRead {
    pub project_path: &'static str,
    /// The key path of the servers map in it.
    pub servers: &'static [&'static str],
    /// Which target writes that file.
    pub written_by: Target,
}

impl Dialect {
    /// The base of the `mcpServers` family (Claude Code's shape): `type`,
    /// `command` + `args`, `env`, `cwd`, `url`, `headers`, `${VAR}`
    /// everywhere. `files` names the runtime's file(s); a runtime module
    /// overrides what differs.
    pub const fn mcp_servers_family(
        target: Target,
        runtime: &'static str,
        files: &'static [ManagedFile],
        capabilities: Capabilities,
    ) -> Dialect {
        Dialect {
            target,
            runtime,
            files,
            keys: &[
                Key::TYPE,
                Key::COMMAND,
                Key::ARGS,
                Key::ENV,
                Key::CWD,
                Key::URL,
                Key::HEADERS,
            ],
            tags: Tags::NAMES,
            vars: Vars::DOLLAR,
            disabled_list: None,
            gaps: Gaps::NONE,
            fragile: false,
            also_reads: &[],
            capabilities,
        }
    }

    /// The project path of the servers file.
    pub fn file(&self) -> &'static str {
        self.files[0].project_path
    }

    /// The key path of the servers map.
    pub fn servers_path(&self) -> &'static [&'static str] {
        self.files[0]
            .owned
            .iter()
            .find_map(|o| match o {
                Owned::Servers(p) => Some(*p),
                Owned::Items(_) => None,
            })
            .expect("a dialect's first file holds its servers")
    }

    fn has(&self, pred: fn(&Key) -> bool) -> bool {
        self.keys.iter().any(pred)
    }

    /// A document holding `servers` at the servers path (and the disabled
    /// list, when not empty).
    pub fn document(&self, servers: Map<String, Value>, disabled: Vec<String>) -> Value {
        let mut doc = Value::Object(Map::new());
        put(&mut doc, self.servers_path(), Value::Object(servers));
        if let Some(path) = self.disabled_list
            && !disabled.is_empty()
        {
            put(&mut doc, path, disabled.into());
        }
        doc
    }

    /// Reads one file of this dialect: the servers at `servers`.
    pub fn read_servers(
        &self,
        text: &str,
        servers: &[&str],
        path: &str,
    ) -> Result<Vec<ServerSpec>, String> {
        let doc: Value = emit::json_with_comments(text).map_err(|e| format!("{path}: {e}"))?;
        let disabled: Vec<String> = self
            .disabled_list
            .and_then(|p| pointer(&doc, p))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let Some(map) = pointer(&doc, servers) else {
            return Ok(Vec::new());
        };
        let map = map
            .as_object()
            .ok_or_else(|| format!("{path}: `{}` is not an object", servers.join(".")))?;
        map.iter()
            .map(|(name, entry)| {
                self.read_entry(name, entry, &disabled).map_err(|e| {
                    let all = if self.fragile {
                        format!(
                            " ({} drops every server when one entry is malformed)",
                            self.target
                        )
                    } else {
                        String::new()
                    };
                    format!("{path}: server `{name}`: {e}{all}")
                })
            })
            .collect()
    }

    fn read_entry(
        &self,
        name: &str,
        entry: &Value,
        disabled: &[String],
    ) -> Result<ServerSpec, String> {
        let entry = entry.as_object().ok_or("not an object")?;
        let neutral = |v: &str| self.vars.spelling.to_neutral(v);
        let string = |key: &str| -> Result<Option<String>, String> {
            match entry.get(key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(neutral(s))),
                Some(_) => Err(format!("`{key}` is not a string")),
            }
        };
        let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
            match entry.get(key) {
                None => Ok(None),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(neutral)
                            .ok_or(format!("`{key}` holds a non-string"))
                    })
                    .collect::<Result<_, _>>()
                    .map(Some),
                Some(_) => Err(format!("`{key}` is not an array")),
            }
        };
        let pairs = |key: &str| -> Result<Vec<(String, String)>, String> {
            match entry.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Object(m)) => m
                    .iter()
                    .map(|(k, v)| match v {
                        Value::String(s) => Ok((k.clone(), neutral(s))),
                        _ => Err(format!("`{key}.{k}` is not a string")),
                    })
                    .collect(),
                Some(_) => Err(format!("`{key}` is not an object")),
            }
        };
        let millis = |key: &str, per: u64| -> Result<Option<u64>, String> {
            match entry.get(key) {
                None => Ok(None),
                Some(v) => serde_json::from_value::<Number>(v.clone())
                    .map(|n| Some(n.to_millis(per)))
                    .map_err(|_| format!("`{key}` is not a number")),
            }
        };
        let mut spec = ServerSpec::new(name, self.read_transport(entry)?);
        for key in self.keys {
            match *key {
                Key::Type(_) => {}
                Key::Command(k) => spec.command = string(k)?,
                Key::Argv(k) => {
                    if let Some(argv) = strings(k)? {
                        let mut argv = argv.into_iter();
                        spec.command = argv.next();
                        spec.args = argv.collect();
                    }
                }
                Key::Args(k) => spec.args = strings(k)?.unwrap_or_default(),
                Key::Env(k) => spec.env = pairs(k)?,
                Key::Cwd(k) => spec.cwd = string(k)?,
                Key::Url { http, sse } => {
                    spec.url = match string(http)? {
                        Some(u) => Some(u),
                        None => string(sse)?,
                    }
                }
                Key::Headers(k) => spec.headers = pairs(k)?,
                Key::ToolTimeout(k, per) => spec.tool_timeout_ms = millis(k, per)?,
                Key::StartupTimeout(k, per) => spec.startup_timeout_ms = millis(k, per)?,
                Key::Enabled(k) => {
                    spec.enabled &= entry.get(k) != Some(&Value::Bool(false));
                }
                Key::Disabled(k) => spec.enabled &= entry.get(k) != Some(&Value::Bool(true)),
                Key::Description(_) => {}
                Key::Allow(k) => spec.allow = strings(k)?,
                Key::Deny(k) => spec.deny = strings(k)?,
            }
        }
        if disabled.iter().any(|d| d == name) {
            spec.enabled = false;
        }
        if spec.command.is_none() && spec.url.is_none() {
            return Err("neither a command nor a url".to_owned());
        }
        Ok(spec.normalized())
    }

    /// The transport an entry has for this runtime.
    fn read_transport(&self, entry: &Map<String, Value>) -> Result<Transport, String> {
        let tag = self.keys.iter().find_map(|k| match k {
            Key::Type(k) => entry.get(*k),
            _ => None,
        });
        let t = &self.tags;
        if let Some(tag) = tag {
            let tag = tag.as_str().ok_or("`type` is not a string")?;
            if Some(tag) == t.sse && t.sse != t.http {
                return Ok(Transport::Sse);
            } else if Some(tag) == t.http {
                return Ok(Transport::Http);
            } else if Some(tag) == t.stdio {
                return Ok(Transport::Stdio);
            } else if self.fragile {
                return Err(format!("unknown `type` \"{tag}\""));
            }
        }
        for key in self.keys {
            if let Key::Url { http, sse } = *key {
                if entry.contains_key(http) {
                    return Ok(Transport::Http);
                }
                if entry.contains_key(sse) {
                    return Ok(Transport::Sse);
                }
            }
        }
        Ok(Transport::Stdio)
    }

    /// The declaration as this runtime will see it: what it drops is
    /// dropped, and SSE it can only reach as HTTP becomes HTTP.
    pub fn approximate(&self, spec: &mut ServerSpec) {
        let g = &self.gaps;
        if g.cwd.is_some() {
            spec.cwd = None;
        }
        if g.startup_timeout.is_some() {
            spec.startup_timeout_ms = None;
        }
        if g.tool_timeout.is_some() {
            spec.tool_timeout_ms = None;
        }
        if matches!(g.sse, Some(Gap::Lossy { .. })) && spec.transport == Transport::Sse {
            spec.transport = Transport::Http;
        }
    }
}

/// Sets `value` at a key path, creating objects on the way.
fn put(doc: &mut Value, path: &[&str], value: Value) {
    let mut at = doc;
    for (i, key) in path.iter().enumerate() {
        let Value::Object(map) = at else { return };
        if i + 1 == path.len() {
            map.insert((*key).to_owned(), value);
            return;
        }
        at = map
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn pointer<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

/// A runtime of the JSON family: its dialect, and the few behaviours no
/// table can say. Each method has the family's behaviour as its default.
pub(super) trait JsonRuntime: Sync {
    fn dialect(&self) -> &'static Dialect;

    /// Checks of one server that no table can say (Claude Code's own
    /// credentials, Auggie's argument splitting).
    fn check(&self, _server: &Server, _cx: &mut Cx) {}

    /// Files besides the servers file, from the same servers (Claude
    /// Code's settings).
    fn side_files(&self, _servers: &[&Server], _cx: &mut Cx) -> Vec<NativeFile> {
        Vec::new()
    }

    /// Reads back what `side_files` wrote, into the servers read.
    fn read_side(
        &self,
        _file: &dyn Fn(&str) -> Option<String>,
        _servers: &mut [ServerSpec],
    ) -> Result<(), String> {
        Ok(())
    }

    /// This runtime's files of one plugin's package.
    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        no_package(cx, p, self.dialect().runtime);
        Vec::new()
    }
}

/// One server as an entry of `r`'s dialect, reporting what it cannot say.
pub(super) fn entry<R: JsonRuntime + ?Sized>(r: &R, s: &Server, cx: &mut Cx) -> Value {
    let d = r.dialect();
    r.check(s, cx);
    report_gaps(d, s, cx);
    let f = &s.fields;
    let vars = &d.vars;
    let transport = f.transport_kind();
    let text = |cx: &mut Cx, v: &Option<crate::source::Spanned<crate::ir::Str>>, field| {
        v.as_ref().and_then(|v| cx.render(s, v, vars, field))
    };
    let args = |cx: &mut Cx| -> Vec<String> {
        f.args
            .iter()
            .flat_map(|a| &a.value)
            .filter_map(|a| cx.render(s, a, vars, Fields::ARGS))
            .collect()
    };
    let has_deny = d.has(|k| matches!(k, Key::Deny(_)));
    let mut m = Map::new();
    let mut set = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    for key in d.keys {
        match *key {
            Key::Type(k) => {
                if let Some(tag) = d.tags.of(transport) {
                    set(k, tag.into());
                }
            }
            Key::Command(k) => {
                if let Some(c) = text(cx, &f.command, Fields::COMMAND) {
                    set(k, c.into());
                }
            }
            Key::Argv(k) => {
                if let Some(c) = text(cx, &f.command, Fields::COMMAND) {
                    let mut argv = vec![c];
                    argv.extend(args(cx));
                    set(k, argv.into());
                }
            }
            Key::Args(k) => {
                let args = args(cx);
                if !args.is_empty() {
                    set(k, args.into());
                }
            }
            Key::Env(k) => {
                let env = render_entries(cx, s, &f.env, vars, Fields::ENV);
                if !env.is_empty() {
                    set(k, object(env));
                }
            }
            Key::Cwd(k) => {
                if let Some(c) = text(cx, &f.cwd, Fields::CWD) {
                    set(k, c.into());
                }
            }
            Key::Url { http, sse } => {
                if let Some(u) = text(cx, &f.url, Fields::URL) {
                    set(
                        if transport == Transport::Sse {
                            sse
                        } else {
                            http
                        },
                        u.into(),
                    );
                }
            }
            Key::Headers(k) => {
                let headers = render_entries(cx, s, &f.headers, vars, Fields::HEADERS);
                if !headers.is_empty() {
                    set(k, object(headers));
                }
            }
            Key::ToolTimeout(k, per) => {
                if let Some(t) = &f.tool_timeout {
                    set(k, number(t.value, per));
                }
            }
            Key::StartupTimeout(k, per) => {
                if let Some(t) = &f.startup_timeout {
                    set(k, number(t.value, per));
                }
            }
            Key::Enabled(k) => {
                if !f.is_enabled() {
                    set(k, false.into());
                }
            }
            Key::Disabled(k) => {
                if !f.is_enabled() {
                    set(k, true.into());
                }
            }
            Key::Description(k) => {
                if let Some(t) = &f.description {
                    set(k, t.value.clone().into());
                }
            }
            Key::Allow(k) => {
                if let Some(mut allow) = tool_names(&f.tools.allow) {
                    if !has_deny {
                        let deny = tool_names(&f.tools.deny).unwrap_or_default();
                        allow.retain(|t| !deny.contains(t));
                    }
                    set(k, allow.into());
                }
            }
            Key::Deny(k) => {
                if let Some(deny) = tool_names(&f.tools.deny) {
                    set(k, deny.into());
                }
            }
        }
    }
    Value::Object(m)
}

fn object(map: emit::OrderedMap<String>) -> Value {
    Value::Object(map.0.into_iter().map(|(k, v)| (k, v.into())).collect())
}

fn number(ms: u64, per: u64) -> Value {
    serde_json::to_value(Number::from_millis(ms, per)).expect("numbers serialize")
}

/// Reports each field of `s` that the dialect has a gap for.
fn report_gaps(d: &Dialect, s: &Server, cx: &mut Cx) {
    let f = &s.fields;
    let has_allow = d.has(|k| matches!(k, Key::Allow(_)));
    let deny_folds = has_allow && f.tools.allow.is_some();
    let sse = f
        .transport
        .as_ref()
        .filter(|_| f.transport_kind() == Transport::Sse);
    let spans = [
        (d.gaps.cwd, f.cwd.as_ref().map(|c| c.span)),
        (d.gaps.sse, sse.map(|t| t.span)),
        (d.gaps.allow, f.tools.allow.as_ref().map(|a| a.span)),
        (
            d.gaps.deny.filter(|_| !deny_folds),
            f.tools
                .deny
                .as_ref()
                .filter(|l| !l.value.is_empty())
                .map(|l| l.span),
        ),
        (d.gaps.tool_timeout, f.tool_timeout.as_ref().map(|t| t.span)),
        (
            d.gaps.startup_timeout,
            f.startup_timeout.as_ref().map(|t| t.span),
        ),
        (
            d.gaps.disabled.filter(|_| !f.is_enabled()),
            f.enabled.as_ref().map(|e| e.span),
        ),
    ];
    for (gap, span) in spans {
        let (Some(gap), Some(span)) = (gap, span) else {
            continue;
        };
        match gap {
            Gap::Unsupported(what) => cx.unsupported(s, span, what),
            Gap::Lossy { message, help } => {
                let name = s.name.value.as_str();
                cx.lossy(
                    span,
                    message.replace("{server}", name),
                    &help.replace("{server}", name),
                )
            }
        }
    }
}

/// The `{name: entry}` map of these servers.
pub(super) fn entries<'s, R: JsonRuntime + ?Sized>(
    r: &R,
    servers: impl IntoIterator<Item = &'s Server>,
    cx: &mut Cx,
) -> Map<String, Value> {
    let mut out = Map::new();
    for s in servers {
        out.insert(s.name.value.clone(), entry(r, s, cx));
    }
    out
}

impl<R: JsonRuntime> Backend for R {
    fn target(&self) -> Target {
        self.dialect().target
    }

    fn capabilities(&self) -> Capabilities {
        self.dialect().capabilities
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let d = self.dialect();
        let servers: Vec<&Server> = plugins
            .iter()
            .flat_map(|p| p.servers.iter().map(|s| s.as_ref()))
            .collect();
        let disabled = servers
            .iter()
            .filter(|s| !s.fields.is_enabled())
            .map(|s| s.name.value.clone())
            .collect();
        let map = entries(self, servers.iter().copied(), cx);
        let mut files = vec![NativeFile {
            path: d.file(),
            contents: emit::json(&d.document(map, disabled)),
        }];
        files.extend(self.side_files(&servers, cx));
        files
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        JsonRuntime::package(self, p, cx)
    }

    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String> {
        let d = self.dialect();
        let path = d.file();
        let text = file(path).ok_or_else(|| format!("no `{path}`"))?;
        let mut servers = d.read_servers(&text, d.servers_path(), path)?;
        self.read_side(file, &mut servers)?;
        Ok(servers.into_iter().map(ServerSpec::normalized).collect())
    }

    fn approximate(&self, spec: &mut ServerSpec) {
        self.dialect().approximate(spec);
    }

    fn managed_files(&self) -> &'static [ManagedFile] {
        self.dialect().files
    }

    fn also_reads(
        &self,
        file: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<(&'static str, Target, Result<Vec<ServerSpec>, String>)> {
        let d = self.dialect();
        d.also_reads
            .iter()
            .filter_map(|a| {
                let text = file(a.project_path)?;
                Some((
                    a.project_path,
                    a.written_by,
                    d.read_servers(&text, a.servers, a.project_path),
                ))
            })
            .collect()
    }
}

/// A package cannot ship a disabled server: `lossy-lowering`, and `true`
/// when `s` is left out.
pub(super) fn leave_out_disabled(cx: &mut Cx, s: &Server, package: &str, help: &str) -> bool {
    if s.fields.is_enabled() {
        return false;
    }
    let at = s.fields.enabled.as_ref().map_or(s.name.span, |e| e.span);
    cx.lossy(
        at,
        format!("disabled server `{}` is left out of the {package}", s.name),
        help,
    );
    true
}

/// A Gemini-style extension (`gemini-extension.json`,
/// `qwen-extension.json`): the servers, and a setting for each variable
/// they read (`sensitive` for secrets, which the runtime keeps in its
/// keychain).
pub(super) fn extension<R: JsonRuntime + ?Sized>(
    r: &R,
    p: &PluginServers,
    cx: &mut Cx,
    manifest: &'static str,
    disable_help: &str,
) -> Vec<NativeFile> {
    let target = r.dialect().target;
    check_package_name(cx, p.plugin);
    let mut servers = Map::new();
    let mut settings: Vec<Value> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for s in &p.servers {
        if leave_out_disabled(cx, s, &format!("{target} extension"), disable_help) {
            continue;
        }
        servers.insert(s.name.value.clone(), entry(r, s, cx));
        for reference in referenced(s) {
            let (name, sensitive) = match reference {
                Ref::Secret { name } => (name, true),
                Ref::Env { name, .. } => (name, false),
                Ref::PluginRoot => continue,
            };
            if !seen.contains(&name) {
                settings.push(serde_json::json!({
                    "name": name,
                    "description": format!("Value of {name} for server {}", s.name),
                    "envVar": name,
                    "sensitive": sensitive,
                }));
                seen.push(name);
            }
        }
    }
    let plugin = p.plugin;
    let mut ext = Map::new();
    ext.insert("name".into(), plugin.name.value.clone().into());
    let version = plugin.version.as_ref().map_or("0.0.0", |v| &v.value);
    ext.insert("version".into(), version.into());
    if let Some(d) = &plugin.description {
        ext.insert("description".into(), d.value.clone().into());
    }
    ext.insert("mcpServers".into(), Value::Object(servers));
    if !settings.is_empty() {
        ext.insert("settings".into(), settings.into());
    }
    vec![NativeFile {
        path: manifest,
        contents: emit::json(&Value::Object(ext)),
    }]
}

/// Every variable a server's values read, in order of appearance.
fn referenced(s: &Server) -> Vec<Ref> {
    let f = &s.fields;
    let mut values: Vec<&crate::ir::Str> = Vec::new();
    values.extend(f.command.iter().map(|v| &v.value));
    values.extend(f.args.iter().flat_map(|a| &a.value).map(|v| &v.value));
    values.extend(f.cwd.iter().chain(&f.url).map(|v| &v.value));
    for entries in [&f.env, &f.headers].into_iter().flatten() {
        values.extend(entries.value.iter().map(|e| &e.value.value));
    }
    values
        .iter()
        .flat_map(|v| v.refs())
        .map(|r| r.value.clone())
        .collect()
}
