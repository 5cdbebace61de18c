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

use super::lowering::{Fields, Vars, check_package_name, no_package, render_entries};
use super::{
    Backend, Capabilities, Contents, Cx, Format, ManagedFile, NativeFile, Owned, PluginServers,
    ServerSpec, Target, UserFile,
};
use crate::emit::{self, Number};
use crate::ir::{Plugin, Ref, SecretForm, Server, Transport};
use foldhash::HashMap;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// One value of a server's entry, serialized as it stands: text the
/// server's source holds is borrowed from it, not copied.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Field<'a> {
    Text(Cow<'a, str>),
    /// Text of the dialect's own (a transport tag), never allocated.
    Static(&'static str),
    List(Vec<Cow<'a, str>>),
    Map(Pairs<'a>),
    Number(Number),
    Bool(bool),
}

/// The entries of an `env` or `headers` map, in order.
pub(super) struct Pairs<'a>(Vec<(&'a str, Cow<'a, str>)>);

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        emit::serialize_pairs(&self.0, serializer)
    }
}

/// A server's entry: its keys (the dialect's, never allocated) in the
/// dialect's order.
#[derive(Default)]
pub(super) struct Entry<'a>(Vec<(&'static str, Field<'a>)>);

impl<'a> Entry<'a> {
    /// Sets `key`; a key already there takes the new value in its place.
    fn set(&mut self, key: &'static str, value: Field<'a>) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => *old = value,
            None => self.0.push((key, value)),
        }
    }
}

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        emit::serialize_pairs(&self.0, serializer)
    }
}

/// Server name → entry, in order. A name given again keeps its place and
/// takes the new entry, as a key of a JSON object does. The names are the
/// servers' own, borrowed.
#[derive(Default)]
pub(super) struct Servers<'a> {
    map: Vec<(&'a str, Entry<'a>)>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Servers<'a> {
    fn with_capacity(n: usize) -> Servers<'a> {
        Servers {
            map: Vec::with_capacity(n),
            index: HashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }

    fn insert(&mut self, name: &'a str, entry: Entry<'a>) {
        match self.index.get(name) {
            Some(&i) => self.map[i].1 = entry,
            None => {
                self.index.insert(name, self.map.len());
                self.map.push((name, entry));
            }
        }
    }
}

impl Serialize for Servers<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        emit::serialize_pairs(&self.map, serializer)
    }
}

/// What a JSON-family document holds besides its objects.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Part<S> {
    Servers(S),
    List(Vec<String>),
    Prompts(Prompts),
}

/// A JSON-family document, written without a `Value` tree.
pub(super) type Document<'a, S = Servers<'a>> = emit::Node<Part<S>>;

/// One runtime of the JSON family, as data.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    pub target: Target,
    /// The runtime's product name, for messages: `Claude Code`.
    pub runtime: &'static str,
    /// The files `apply` merges into, each with its place in user scope.
    /// The first holds the servers, at its first `Owned::Servers` path.
    pub files: &'static [ManagedFile],
    /// The keys of one entry, in the order they are written, then
    /// `extra_keys`. A field with no key here is in [`Gaps`] (or handled by
    /// the runtime's code); `Key::Cwd` is left out when `gaps.cwd` is set.
    pub keys: &'static [Key],
    pub extra_keys: &'static [Key],
    /// The url's key per transport (Qwen: `httpUrl` for streamable HTTP,
    /// `url` for SSE).
    pub url: UrlKeys,
    /// A key the runtime still reads as the streamable-HTTP url, winning
    /// over the others (Gemini's deprecated `httpUrl`); read, never written.
    pub legacy_http_url: Option<&'static str>,
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
    /// The url, under the key [`Dialect::url`] gives for the transport.
    Url,
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
    pub const URL: Key = Key::Url;
    pub const HEADERS: Key = Key::Headers("headers");
}

/// The url's key for streamable HTTP and for SSE.
#[derive(Clone, Copy, Debug)]
pub struct UrlKeys {
    pub http: &'static str,
    pub sse: &'static str,
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

    /// No `type` key at all.
    pub const NONE: Tags = Tags {
        stdio: None,
        http: None,
        sse: None,
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
    /// both texts `{server}` stands for the server's name and `{target}`
    /// for the target's.
    Lossy {
        message: &'static str,
        help: &'static str,
    },
}

impl Gap {
    /// No per-server tool-call timeout. (`{target}` stands for the target.)
    pub const NO_TOOL_TIMEOUT: Gap = Gap::Lossy {
        message: "{target} has no per-server tool timeout (server `{server}`)",
        help: "remove `tool_timeout` for {target}, or allow `lossy-lowering`",
    };
    /// No per-server start-up timeout.
    pub const NO_STARTUP_TIMEOUT: Gap = Gap::Lossy {
        message: "{target} has no per-server start-up timeout (server `{server}`)",
        help: "remove `startup_timeout` for {target}, or allow `lossy-lowering`",
    };

    /// No SSE setting: a remote tries streamable HTTP, then SSE.
    pub const SSE_AS_HTTP: Gap = Gap::Lossy {
        message: "{target} has no SSE setting (server `{server}`); its remote servers try streamable HTTP first, then SSE",
        help: "allow `lossy-lowering`, or drop `transport = sse` for {target}",
    };

    fn text(text: &str, target: Target, server: &str) -> String {
        text.replace("{target}", target.name())
            .replace("{server}", server)
    }
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
    /// Neither timeout: both dropped with `lossy-lowering`.
    pub const NO_TIMEOUTS: Gaps = Gaps {
        tool_timeout: Some(Gap::NO_TOOL_TIMEOUT),
        startup_timeout: Some(Gap::NO_STARTUP_TIMEOUT),
        ..Gaps::NONE
    };

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
    /// While that file exists the runtime ignores its own project file
    /// (Copilot CLI: `.mcp.json` *or* `.github/mcp.json`); otherwise the
    /// two are merged, the runtime's own file winning by name (Qwen Code).
    pub shadows: bool,
    /// Whether the runtime expands `${VAR}` in entries read from that file
    /// (Qwen Code 0.24.4 does in its own settings, not in `.mcp.json`).
    pub expands_vars: bool,
}

impl Dialect {
    /// The base of the `mcpServers` family (Claude Code's shape): `type`,
    /// `command` + `args`, `env`, `cwd`, `url`, `headers`, `${VAR}`
    /// everywhere. `files` names the runtime's file(s); a runtime module
    /// overrides what differs.
    pub const fn mcp_servers_family(
        target: Target,
        runtime: &'static str,
        capabilities: Capabilities,
    ) -> Dialect {
        Dialect {
            target,
            runtime,
            files: &[],
            keys: &[
                Key::TYPE,
                Key::COMMAND,
                Key::ARGS,
                Key::ENV,
                Key::CWD,
                Key::URL,
                Key::HEADERS,
            ],
            extra_keys: &[],
            url: UrlKeys {
                http: "url",
                sse: "url",
            },
            tags: Tags::NAMES,
            vars: Vars::DOLLAR,
            disabled_list: None,
            gaps: Gaps::NONE,
            fragile: false,
            also_reads: &[],
            legacy_http_url: None,
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
                Owned::Items(_) | Owned::Inputs(_) => None,
            })
            .expect("a dialect's first file holds its servers")
    }

    /// The keys of an entry, in order.
    pub fn entry_keys(&self) -> impl Iterator<Item = &'static Key> + '_ {
        self.keys
            .iter()
            .chain(self.extra_keys)
            .filter(|k| !matches!(k, Key::Cwd(_)) || self.gaps.cwd.is_none())
    }

    fn has(&self, pred: fn(&Key) -> bool) -> bool {
        self.entry_keys().any(pred)
    }

    /// The url's key for a transport.
    fn url_key(&self, t: Transport) -> &'static str {
        if t == Transport::Sse {
            self.url.sse
        } else {
            self.url.http
        }
    }

    /// A document holding `servers` at the servers path (and the disabled
    /// list, when not empty).
    pub(super) fn document<'a, S>(&self, servers: S, disabled: Vec<String>) -> Document<'a, S> {
        let mut doc = Document::object();
        doc.put(self.servers_path(), Document::Leaf(Part::Servers(servers)));
        if let Some(path) = self.disabled_list
            && !disabled.is_empty()
        {
            doc.put(path, Document::Leaf(Part::List(disabled)));
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
        let prompts = self.files[0]
            .inputs_path()
            .map(|p| password_prompts(&doc, p));
        let map = map
            .as_object()
            .ok_or_else(|| format!("{path}: `{}` is not an object", servers.join(".")))?;
        map.iter()
            .map(|(name, entry)| {
                let read = self.read_entry(name, entry, &disabled).map(|mut spec| {
                    if let Some(prompts) = &prompts {
                        spec.for_each_value(|v| mark_other_inputs(v, prompts));
                    }
                    spec
                });
                read.map_err(|e| {
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
        let neutral = |v: &str| self.vars.to_neutral(v);
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
        for key in self.entry_keys() {
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
                Key::Url => {
                    spec.url = match string(self.url.http)? {
                        Some(u) => Some(u),
                        None => string(self.url.sse)?,
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
        if let Some(url) = self.legacy_http_url.map(string).transpose()?.flatten() {
            spec.url = Some(url);
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
        let tag = self.entry_keys().find_map(|k| match k {
            Key::Type(k) => entry.get(*k),
            _ => None,
        });
        let t = &self.tags;
        if self.legacy_http_url.is_some_and(|k| entry.contains_key(k)) {
            return Ok(Transport::Http);
        }
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
        if self.has(|k| matches!(k, Key::Url)) {
            if entry.contains_key(self.url.http) {
                return Ok(Transport::Http);
            }
            if entry.contains_key(self.url.sse) {
                return Ok(Transport::Sse);
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
        // A filter the runtime cannot say was built only because the
        // plugin's `target` block accepts leaving it out.
        let folds = self.has(|k| matches!(k, Key::Allow(_))) && spec.allow.is_some();
        if g.deny.is_some() && !folds {
            spec.deny = None;
        }
        if g.allow.is_some() {
            spec.allow = None;
        }
        self.vars.project_root.approximate(spec);
    }
}

impl Dialect {
    /// How a remote server of transport `t` is written: `type: "http" + url`.
    fn remote_row(&self, t: Transport) -> String {
        if !self.has(|k| matches!(k, Key::Url)) {
            return "unsupported".to_owned();
        }
        let tag = self
            .tags
            .of(t)
            .filter(|_| self.has(|k| matches!(k, Key::Type(_))));
        match tag {
            Some(tag) => format!("type: \"{tag}\" + {}", self.url_key(t)),
            None => format!("{} (no type)", self.url_key(t)),
        }
    }

    /// The name of the first key `pick` accepts, as `mcpc targets` shows it.
    fn key_row(&self, pick: fn(&Key) -> Option<String>, gap: Option<Gap>) -> String {
        match (gap, self.entry_keys().find_map(pick)) {
            (Some(Gap::Unsupported(what)), _) => format!("unsupported: {what}"),
            (Some(Gap::Lossy { message, .. }), _) => format!(
                "lossy: {}",
                Gap::text(
                    &message.replace(" (server `{server}`)", ""),
                    self.target,
                    ""
                )
            ),
            (None, Some(name)) => name,
            (None, None) => "unsupported".to_owned(),
        }
    }

    /// The rows of `mcpc targets`, from the data.
    pub fn rows(&self) -> Vec<(String, String)> {
        fn timeout(name: &str, per: u64) -> Option<String> {
            Some(format!("{name} ({})", if per == 1 { "ms" } else { "s" }))
        }
        let v = &self.vars;
        let everywhere = if v.expanded == Fields::ALL {
            String::new()
        } else {
            format!(
                " (expanded in {} only)",
                super::lowering::expanded_list(v.expanded)
            )
        };
        let allow = self.entry_keys().find_map(|k| match k {
            Key::Allow(n) => Some(*n),
            _ => None,
        });
        let deny_gap = self.key_row(|_| None, self.gaps.deny);
        let mut rows = vec![
            (
                "env.X / secret.X",
                format!("{}{everywhere}", v.spelling.write("X")),
            ),
            (
                "${env.X:-d}",
                if v.defaults { "${X:-d}" } else { "unsupported" }.to_owned(),
            ),
            (
                "plugin.root",
                match v.plugin_root {
                    Some(var) => format!("{var} (packages), --plugin-root (config)"),
                    None => "--plugin-root (config)".to_owned(),
                },
            ),
            (
                "cwd",
                self.key_row(
                    |k| match k {
                        Key::Cwd(n) => Some((*n).to_owned()),
                        _ => None,
                    },
                    self.gaps.cwd,
                ),
            ),
            ("url (streamable HTTP)", self.remote_row(Transport::Http)),
            (
                "transport = sse",
                match self.gaps.sse {
                    Some(_) => self.key_row(|_| None, self.gaps.sse),
                    None => self.remote_row(Transport::Sse),
                },
            ),
            (
                "tools.allow",
                self.key_row(
                    |k| match k {
                        Key::Allow(n) => Some((*n).to_owned()),
                        _ => None,
                    },
                    self.gaps.allow,
                ),
            ),
            (
                "tools.deny",
                match (self.has(|k| matches!(k, Key::Deny(_))), allow) {
                    (false, Some(allow)) => format!("{allow} = allow − deny; else {deny_gap}"),
                    _ => self.key_row(
                        |k| match k {
                            Key::Deny(n) => Some((*n).to_owned()),
                            _ => None,
                        },
                        self.gaps.deny,
                    ),
                },
            ),
            (
                "tool_timeout",
                self.key_row(
                    |k| match k {
                        Key::ToolTimeout(n, per) => timeout(n, *per),
                        _ => None,
                    },
                    self.gaps.tool_timeout,
                ),
            ),
            (
                "startup_timeout",
                self.key_row(
                    |k| match k {
                        Key::StartupTimeout(n, per) => timeout(n, *per),
                        _ => None,
                    },
                    self.gaps.startup_timeout,
                ),
            ),
            (
                "enabled = false",
                match self.disabled_list {
                    Some(path) => path.join("."),
                    None => self.key_row(
                        |k| match k {
                            Key::Enabled(n) => Some(format!("{n}: false")),
                            Key::Disabled(n) => Some(format!("{n}: true")),
                            _ => None,
                        },
                        self.gaps.disabled,
                    ),
                },
            ),
        ];
        if self.fragile {
            rows.push((
                "one malformed entry",
                format!("{} drops every server: mcpc writes only entries it has checked, and `verify` names the bad one", self.runtime),
            ));
        }
        let mut rows: Vec<(String, String)> =
            rows.drain(..).map(|(f, l)| (f.to_owned(), l)).collect();
        for a in self.also_reads {
            let how = if a.shadows {
                format!(
                    "instead of {} while it exists; `verify` reports it",
                    self.file()
                )
            } else {
                format!(
                    "merged, {} winning by name; `verify` reports what it adds",
                    self.file()
                )
            };
            rows.push((format!("also reads {}", a.project_path), how));
        }
        rows
    }
}

/// A map `mcpServers` at the top of the file: what most runtimes own.
pub const MCP_SERVERS: &[Owned] = &[Owned::Servers(&["mcpServers"])];

/// A JSON file `apply` merges into.
pub const fn json_file(
    project_path: &'static str,
    owned: &'static [Owned],
    user: UserFile,
) -> ManagedFile {
    ManagedFile {
        project_path,
        format: Format::Json,
        owned,
        user,
    }
}

/// A JSONC file (comments and trailing commas accepted by its runtime).
pub const fn jsonc_file(
    project_path: &'static str,
    owned: &'static [Owned],
    user: UserFile,
) -> ManagedFile {
    ManagedFile {
        format: Format::Jsonc,
        ..json_file(project_path, owned, user)
    }
}

/// Proven against the real CLI `version` by the e2e tier
/// (`tests/e2e/visibility.py` drives it).
pub const fn proven(
    config_file: &'static str,
    package: &'static str,
    version: &'static str,
) -> Capabilities {
    Capabilities {
        config_file,
        package,
        proven: version,
        rows: &[],
    }
}

/// `documented`: not yet proven against the runtime's real CLI.
pub const fn documented(config_file: &'static str, package: &'static str) -> Capabilities {
    Capabilities {
        config_file,
        package,
        proven: "documented",
        rows: &[],
    }
}

fn pointer<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, k| v.get(k))
}

/// A runtime of the JSON family: its dialect, and the few behaviours no
/// table can say. Each method has the family's behaviour as its default.
pub(super) trait JsonRuntime: Sync {
    const DIALECT: &'static Dialect;

    fn dialect(&self) -> &'static Dialect {
        Self::DIALECT
    }

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

    /// See [`Backend::reads_agent_plugins`].
    fn reads_agent_plugins(&self) -> bool {
        false
    }

    /// See [`Backend::marketplace`].
    fn marketplace(&self, _plugins: &[&Plugin]) -> Option<NativeFile> {
        None
    }

    /// Rows of `mcpc targets` for what `check` and `package` do.
    fn notes(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// One server as an entry of `r`'s dialect, reporting what it cannot say.
pub(super) fn entry<'s, R: JsonRuntime + ?Sized>(r: &R, s: &'s Server, cx: &mut Cx) -> Entry<'s> {
    let d = r.dialect();
    r.check(s, cx);
    report_gaps(d, s, cx);
    let f = &s.fields;
    let vars = &d.vars;
    let transport = f.transport_kind();
    let text = |cx: &mut Cx, v: &'s Option<crate::source::Spanned<crate::ir::Str>>, field| {
        v.as_ref().and_then(|v| cx.render(s, v, vars, field))
    };
    // Without the files, every value is still rendered (for what it
    // reports) but none is kept.
    let keep = cx.keeps_files();
    let args = |cx: &mut Cx, room: usize| -> Vec<Cow<'s, str>> {
        let all = f.args.as_ref().map_or(&[][..], |a| &a.value[..]);
        let mut out = Vec::with_capacity(if keep { room + all.len() } else { 0 });
        out.extend(
            all.iter()
                .filter_map(|a| cx.render(s, a, vars, Fields::ARGS))
                .filter(|_| keep),
        );
        out
    };
    let has_deny = d.has(|k| matches!(k, Key::Deny(_)));
    let room = if keep { d.entry_keys().count() } else { 0 };
    let mut m = Entry(Vec::with_capacity(room));
    let mut set = |k: &'static str, v: Field<'s>| {
        if keep {
            m.set(k, v);
        }
    };
    for key in d.entry_keys() {
        match *key {
            Key::Type(k) => {
                if let Some(tag) = d.tags.of(transport) {
                    set(k, Field::Static(tag));
                }
            }
            Key::Command(k) => {
                if let Some(c) = text(cx, &f.command, Fields::COMMAND) {
                    set(k, Field::Text(c));
                }
            }
            Key::Argv(k) => {
                if let Some(c) = text(cx, &f.command, Fields::COMMAND) {
                    let mut argv = args(cx, 1);
                    if keep {
                        argv.insert(0, c);
                    }
                    set(k, Field::List(argv));
                }
            }
            Key::Args(k) => {
                let args = args(cx, 0);
                if !args.is_empty() {
                    set(k, Field::List(args));
                }
            }
            Key::Env(k) => {
                let env = render_entries(cx, s, &f.env, vars, Fields::ENV);
                if !env.is_empty() {
                    set(k, Field::Map(Pairs(env)));
                }
            }
            Key::Cwd(k) => {
                if let Some(c) = text(cx, &f.rare().cwd, Fields::CWD) {
                    set(k, Field::Text(c));
                }
            }
            Key::Url => {
                if let Some(u) = text(cx, &f.url, Fields::URL) {
                    set(d.url_key(transport), Field::Text(u));
                }
            }
            Key::Headers(k) => {
                let headers = render_entries(cx, s, &f.headers, vars, Fields::HEADERS);
                if !headers.is_empty() {
                    set(k, Field::Map(Pairs(headers)));
                }
            }
            Key::ToolTimeout(k, per) => {
                if let Some(t) = &f.rare().tool_timeout {
                    set(k, Field::Number(Number::from_millis(t.value, per)));
                }
            }
            Key::StartupTimeout(k, per) => {
                if let Some(t) = &f.rare().startup_timeout {
                    set(k, Field::Number(Number::from_millis(t.value, per)));
                }
            }
            Key::Enabled(k) => {
                if !f.is_enabled() {
                    set(k, Field::Bool(false));
                }
            }
            Key::Disabled(k) => {
                if !f.is_enabled() {
                    set(k, Field::Bool(true));
                }
            }
            Key::Description(k) => {
                if let Some(t) = f.rare().description.as_ref().filter(|_| keep) {
                    set(k, Field::Text(Cow::Borrowed(&t.value)));
                }
            }
            Key::Allow(k) => {
                if let Some(allow) = f.rare().tools.allow.as_ref().filter(|_| keep) {
                    let denied = |t: &str| {
                        !has_deny
                            && f.rare()
                                .tools
                                .deny
                                .iter()
                                .flat_map(|d| &d.value)
                                .any(|d| d.value == t)
                    };
                    let allow = allow.value.iter().map(|t| t.value.as_str());
                    let allow = allow.filter(|t| !denied(t)).map(Cow::Borrowed);
                    set(k, Field::List(allow.collect()));
                }
            }
            Key::Deny(k) => {
                if let Some(deny) = f.rare().tools.deny.as_ref().filter(|_| keep) {
                    let deny = deny.value.iter().map(|t| Cow::Borrowed(t.value.as_str()));
                    set(k, Field::List(deny.collect()));
                }
            }
        }
    }
    m
}

/// Reports each field of `s` that the dialect has a gap for.
fn report_gaps(d: &Dialect, s: &Server, cx: &mut Cx) {
    let f = &s.fields;
    // Every gap is of a rare attribute (read below through `rare()`): a
    // server that sets none has none (most servers, once per target).
    if !f.has_rare() {
        return;
    }
    let has_allow = d.has(|k| matches!(k, Key::Allow(_)));
    let deny_folds = has_allow && f.rare().tools.allow.is_some();
    let sse = f
        .rare()
        .transport
        .as_ref()
        .filter(|_| f.transport_kind() == Transport::Sse);
    // The tool filters: a loss a `target` block may accept.
    let filters = [
        (d.gaps.allow, f.rare().tools.allow.as_ref().map(|a| a.span)),
        (
            d.gaps.deny.filter(|_| !deny_folds),
            f.rare()
                .tools
                .deny
                .as_ref()
                .filter(|l| !l.value.is_empty())
                .map(|l| l.span),
        ),
    ];
    let others = [
        (d.gaps.cwd, f.rare().cwd.as_ref().map(|c| c.span)),
        (d.gaps.sse, sse.map(|t| t.span)),
        (
            d.gaps.tool_timeout,
            f.rare().tool_timeout.as_ref().map(|t| t.span),
        ),
        (
            d.gaps.startup_timeout,
            f.rare().startup_timeout.as_ref().map(|t| t.span),
        ),
        (
            d.gaps.disabled.filter(|_| !f.is_enabled()),
            f.rare().enabled.as_ref().map(|e| e.span),
        ),
    ];
    let (t, name) = (d.target, s.name.value.as_str());
    let tagged = filters.into_iter().map(|g| (g, true));
    for ((gap, span), filter) in tagged.chain(others.into_iter().map(|g| (g, false))) {
        let (Some(gap), Some(span)) = (gap, span) else {
            continue;
        };
        match gap {
            Gap::Unsupported(what) if filter => cx.unsupported_filter(s, span, what),
            Gap::Unsupported(what) => cx.unsupported(s, span, what),
            Gap::Lossy { message, help } => {
                cx.lossy(span, Gap::text(message, t, name), &Gap::text(help, t, name))
            }
        }
    }
}

/// The `{name: entry}` map of these servers.
pub(super) fn entries<'s, R: JsonRuntime + ?Sized>(
    r: &R,
    servers: impl IntoIterator<Item = &'s Server>,
    cx: &mut Cx,
) -> Servers<'s> {
    let servers = servers.into_iter();
    let mut out = Servers::with_capacity(servers.size_hint().0);
    add_entries(r, servers, cx, &mut out);
    out
}

/// Adds the entries of these servers to `out`.
fn add_entries<'s, R: JsonRuntime + ?Sized>(
    r: &R,
    servers: impl IntoIterator<Item = &'s Server>,
    cx: &mut Cx,
    out: &mut Servers<'s>,
) {
    for s in servers {
        let entry = entry(r, s, cx);
        if cx.keeps_files() {
            out.insert(&s.name.value, entry);
        }
    }
}

impl<R: JsonRuntime> Backend for R {
    fn target(&self) -> Target {
        self.dialect().target
    }

    fn capabilities(&self) -> Capabilities {
        self.dialect().capabilities
    }

    /// Written by hand (`capabilities.rows`), or else derived from the
    /// dialect, so the table cannot disagree with the output.
    fn capability_rows(&self) -> Vec<(String, String)> {
        let d = self.dialect();
        let mut rows: Vec<(String, String)> = d
            .capabilities
            .rows
            .iter()
            .map(|(f, l)| ((*f).to_owned(), (*l).to_owned()))
            .collect();
        if rows.is_empty() {
            rows = d.rows();
        }
        rows.extend(
            self.notes()
                .iter()
                .map(|(f, l)| ((*f).to_owned(), (*l).to_owned())),
        );
        rows
    }

    fn env_reference(&self) -> String {
        let v = &self.dialect().vars;
        if v.expanded == Fields::NONE {
            return "none (references refused)".to_owned();
        }
        let mut text = format!("`{}`", v.spelling.write("X"));
        if v.bare_dollar {
            text.push_str(" or `$X`");
        }
        if v.expanded != Fields::ALL {
            text.push_str(&format!(
                " in {} only",
                super::lowering::expanded_list(v.expanded)
            ));
        }
        if self.prompts_for_secrets() {
            text.push_str("; secrets `${input:X}` (or `${env:X}`)");
        }
        text
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let d = self.dialect();
        let servers: Vec<&Server> = plugins
            .iter()
            .flat_map(|p| p.servers.iter().map(|s| s.as_ref()))
            .collect();
        let disabled = servers
            .iter()
            .filter(|s| cx.keeps_files() && !s.fields.is_enabled())
            .map(|s| s.name.value.clone())
            .collect();
        let names = servers.iter().map(|s| s.name.value.as_str());
        // `inputs` is added after the streamed entries, as a key of its own.
        let apart = d.files[0].inputs_path().and_then(|p| p.first()) != d.servers_path().first();
        if cx.keeps_files() && apart && cx.distinct(names) {
            let mut files = vec![NativeFile {
                path: d.file(),
                contents: streamed(self, plugins, disabled, cx),
            }];
            files.extend(self.side_files(&servers, cx));
            return files;
        }
        let mut map = Servers::default();
        for p in plugins {
            cx.prompt = prompts_in(self, p);
            add_entries(self, p.servers.iter().map(|s| s.as_ref()), cx, &mut map);
        }
        cx.prompt = false;
        let mut doc = d.document(map, disabled);
        put_prompts(d, &mut doc, cx);
        let mut files = vec![NativeFile {
            path: d.file(),
            contents: cx.streamed(d.file(), |out| emit::json_to(&doc, out)),
        }];
        files.extend(self.side_files(&servers, cx));
        files
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        JsonRuntime::package(self, p, cx)
    }

    fn marketplace(&self, plugins: &[&Plugin]) -> Option<NativeFile> {
        JsonRuntime::marketplace(self, plugins)
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

    fn reads_agent_plugins(&self) -> bool {
        JsonRuntime::reads_agent_plugins(self)
    }

    fn transport_field(&self) -> Option<(&'static str, Vec<&'static str>)> {
        let d = self.dialect();
        let field = d.entry_keys().find_map(|k| match k {
            Key::Type(k) => Some(*k),
            _ => None,
        })?;
        let t = &d.tags;
        let known: Vec<&'static str> = [t.stdio, t.http, t.sse].into_iter().flatten().collect();
        (!known.is_empty()).then_some((field, known))
    }

    fn clashes(
        &self,
        declared: &[ServerSpec],
        file: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        let d = self.dialect();
        let mut out = Vec::new();
        for a in d.also_reads {
            let Some(text) = file(a.project_path) else {
                continue;
            };
            let (them, owner) = (a.project_path, a.written_by);
            let seen = match d.read_servers(&text, a.servers, them) {
                Ok(seen) => seen,
                Err(e) => {
                    out.push(format!(
                        "{} also loads `{them}` and cannot read it: {e}",
                        d.runtime
                    ));
                    continue;
                }
            };
            let mut seen: Vec<ServerSpec> = seen.into_iter().map(ServerSpec::normalized).collect();
            for spec in &mut seen {
                d.approximate(spec);
            }
            if a.shadows {
                let names: Vec<&str> = seen.iter().map(|s| s.name.as_str()).collect();
                let same =
                    declared.len() == seen.len() && declared.iter().all(|want| seen.contains(want));
                if !same {
                    out.push(format!(
                        "{} reads `{them}` (written for {owner}) instead of `{}` while it exists: it sees [{}], not the servers mcpc wrote for {}",
                        d.runtime,
                        d.file(),
                        names.join(", "),
                        d.target
                    ));
                }
                continue;
            }
            let theirs = owner.backend().read(&|p| (p == them).then(|| text.clone()));
            for s in &seen {
                if declared.iter().any(|want| want.name == s.name) {
                    continue; // its own file wins by name
                }
                let meant = theirs
                    .as_ref()
                    .ok()
                    .and_then(|t| t.iter().find(|t| t.name == s.name));
                // Qwen Code 0.24.4 reads the entry as Claude Code means it
                // (`type: "http"` + `url` is streamable HTTP), but expands
                // no `${VAR}` in that file: a reference reaches the server
                // as its literal text.
                let literal = meant.is_some_and(|m| {
                    !a.expands_vars
                        && m.env
                            .iter()
                            .chain(&m.headers)
                            .map(|(_, v)| v)
                            .chain(&m.args)
                            .chain(&m.command)
                            .chain(&m.url)
                            .any(|v| v.contains("${"))
                });
                let misread = if literal {
                    format!(
                        ", and passes its `${{…}}` references to the server unexpanded ({} expands none in `{them}`)",
                        d.runtime
                    )
                } else {
                    String::new()
                };
                out.push(format!(
                    "{} also loads `{}` from `{them}` (written for {owner}){misread}",
                    d.runtime, s.name
                ));
            }
        }
        out
    }
}

/// The servers' file of `config`, each entry written as it is made (no
/// entry map is kept): for servers whose names are all distinct, so that
/// no entry takes another's place. The same bytes as the map's document.
fn streamed<R: JsonRuntime>(
    r: &R,
    plugins: &[PluginServers],
    disabled: Vec<String>,
    cx: &mut Cx,
) -> Contents {
    let d = r.dialect();
    let Some(mut out) = cx.output(d.file()) else {
        return Contents::Text(String::new());
    };
    let cx = std::cell::RefCell::new(cx);
    let entries = plugins.iter().flat_map(|p| {
        cx.borrow_mut().prompt = prompts_in(r, p);
        let cx = &cx;
        p.servers.iter().map(move |s| {
            let s = s.as_ref();
            (s.name.value.as_str(), entry(r, s, &mut cx.borrow_mut()))
        })
    });
    let doc = d.document(emit::Streamed::new(entries), disabled);
    // The prompted secrets are known once the entries are written.
    let inputs = || {
        let mut more: Document = Document::object();
        let mut cx = cx.borrow_mut();
        cx.prompt = false;
        put_prompts(d, &mut more, &mut cx);
        more
    };
    emit::json_to(&emit::Then::new(&doc, inputs), &mut out);
    cx.into_inner().prompt = false;
    out.finish()
}

/// Whether `r` prompts for the secrets of `p`'s servers (unless the
/// plugin's `target` block says they come from the environment).
fn prompts_in<R: JsonRuntime>(r: &R, p: &PluginServers) -> bool {
    r.prompts_for_secrets()
        && p.plugin.secrets_for(r.dialect().target).map(|s| s.value) != Some(SecretForm::Env)
}

/// Puts the `inputs` of the secrets prompted for so far into `doc`, if the
/// dialect has them and there are any.
fn put_prompts<S>(d: &Dialect, doc: &mut Document<'_, S>, cx: &mut Cx) {
    if let Some(path) = d.files[0].inputs_path()
        && !cx.prompted.is_empty()
    {
        let prompted = Prompts(std::mem::take(&mut cx.prompted));
        doc.put(path, Document::Leaf(Part::Prompts(prompted)));
    }
}

/// VS Code's `inputs` for the prompted secrets (name → the first server
/// reading it), by name: a `promptString` with `password: true`, its id
/// the secret's name, so VS Code keeps the value in its secret storage.
/// Each prompt is written as it is made (a `Value` object per secret was a
/// sixth of a build's peak memory at scale).
pub(super) struct Prompts(std::collections::BTreeMap<String, String>);

impl Serialize for Prompts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Prompt<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            id: &'a str,
            description: Description<'a>,
            password: bool,
        }
        struct Description<'a>(&'a str, &'a str);
        impl Serialize for Description<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let Description(name, server) = self;
                serializer.collect_str(&format_args!("{name} (secret of MCP server {server})"))
            }
        }
        serializer.collect_seq(self.0.iter().map(|(name, server)| Prompt {
            kind: "promptString",
            id: name,
            description: Description(name, server),
            password: true,
        }))
    }
}

/// The ids of `inputs` that are password prompts, as mcpc writes them.
fn password_prompts(doc: &Value, path: &[&str]) -> Vec<String> {
    pointer(doc, path)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|i| {
            i.get("type").and_then(Value::as_str) == Some("promptString")
                && i.get("password") == Some(&Value::Bool(true))
        })
        .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// `${input:ID}` of a neutral value stays as it is when `ID` is a password
/// prompt of the file; any other (undefined, or shown as typed) becomes
/// `${input:ID!}`, which no declaration spells, so `verify` says drifted
/// and `import` still takes it for a secret.
fn mark_other_inputs(text: &mut String, prompts: &[String]) {
    if !text.contains("${input:") {
        return;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("${input:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "${input:".len()..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let id = &after[..end];
        if prompts.iter().any(|p| p == id) {
            out.push_str(&format!("${{input:{id}}}"));
        } else {
            out.push_str(&format!("${{input:{id}!}}"));
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    *text = out;
}

/// A package cannot ship a disabled server: `lossy-lowering`, and `true`
/// when `s` is left out.
pub(super) fn leave_out_disabled(cx: &mut Cx, s: &Server, package: &str, help: &str) -> bool {
    if s.fields.is_enabled() {
        return false;
    }
    let at = s
        .fields
        .rare()
        .enabled
        .as_ref()
        .map_or(s.name.span, |e| e.span);
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
    let mut servers = Servers::default();
    let mut settings: Vec<Value> = Vec::new();
    let mut seen: foldhash::HashSet<String> = foldhash::HashSet::default();
    for s in &p.servers {
        if leave_out_disabled(cx, s, &format!("{target} extension"), disable_help) {
            continue;
        }
        let entry = entry(r, s, cx);
        if !cx.keeps_files() {
            continue;
        }
        servers.insert(&s.name.value, entry);
        for reference in referenced(s) {
            let (name, sensitive) = match reference {
                Ref::Secret { name } => (name, true),
                Ref::Env { name, .. } => (name, false),
                Ref::PluginRoot | Ref::ProjectRoot => continue,
            };
            if seen.insert(name.clone()) {
                settings.push(serde_json::json!({
                    "name": name,
                    "description": format!("Value of {name} for server {}", s.name),
                    "envVar": name,
                    "sensitive": sensitive,
                }));
            }
        }
    }
    #[derive(Serialize)]
    struct Extension<'a> {
        name: &'a str,
        version: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
        #[serde(rename = "mcpServers")]
        servers: Servers<'a>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        settings: Vec<Value>,
    }
    let plugin = p.plugin;
    let ext = Extension {
        name: &plugin.name.value,
        version: plugin.version.as_ref().map_or("0.0.0", |v| &v.value),
        description: plugin.description.as_ref().map(|d| d.value.as_str()),
        servers,
        settings,
    };
    vec![NativeFile {
        path: manifest,
        contents: cx.written(|| emit::json(&ext)),
    }]
}

/// Every variable a server's values read, in order of appearance.
fn referenced(s: &Server) -> Vec<Ref> {
    let f = &s.fields;
    let mut values: Vec<&crate::ir::Str> = Vec::new();
    values.extend(f.command.iter().map(|v| &v.value));
    values.extend(f.args.iter().flat_map(|a| &a.value).map(|v| &v.value));
    values.extend(f.rare().cwd.iter().chain(&f.url).map(|v| &v.value));
    for entries in [&f.env, &f.headers].into_iter().flatten() {
        values.extend(entries.value.iter().map(|e| &e.value.value));
    }
    values
        .iter()
        .flat_map(|v| v.refs())
        .map(|r| r.value.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prompts are the bytes of the `Value` objects they replace (key
    /// order, escapes), empty or not.
    #[test]
    fn prompts_write_what_their_value_objects_would() {
        for pairs in [vec![], vec![("API_KEY", "one"), ("B\"Q", "two\\n")]] {
            let prompted: std::collections::BTreeMap<String, String> = pairs
                .iter()
                .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
                .collect();
            let want: Vec<Value> = prompted
                .iter()
                .map(|(name, server)| {
                    serde_json::json!({
                        "type": "promptString",
                        "id": name,
                        "description": format!("{name} (secret of MCP server {server})"),
                        "password": true,
                    })
                })
                .collect();
            let mut doc: Document = Document::object();
            doc.put(
                &["inputs"],
                Document::Leaf(Part::Prompts(Prompts(prompted))),
            );
            assert_eq!(
                emit::json(&doc),
                emit::json(&serde_json::json!({"inputs": want}))
            );
        }
    }
}
