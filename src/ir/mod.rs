//! The typed, resolved model of a compilation unit. Every field keeps the
//! span it was written at, so checks and backends can point at it.

mod lower;
pub(crate) mod schema;
pub mod url;
mod values;

pub use lower::{lower, lower_block};

use crate::diag::{Code, Level};
use crate::source::{Span, Spanned};
use crate::target::Target;
use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;

/// `Clone`, like every IR type: a caller that keeps each file's lowered
/// share (see [`crate::LoweredFile`]) puts a unit together from copies.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    pub plugins: Vec<Plugin>,
    pub workspaces: Vec<Workspace>,
    pub policies: Vec<Policy>,
}

impl Unit {
    pub fn plugin(&self, name: &str) -> Option<&Plugin> {
        self.plugins.iter().find(|p| p.name.value == name)
    }

    pub fn workspace(&self, name: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|w| w.name.value == name)
    }

    /// Adds `other`'s items after this unit's.
    pub fn append(&mut self, other: Unit) {
        self.plugins.extend(other.plugins);
        self.workspaces.extend(other.workspaces);
        self.policies.extend(other.policies);
    }

    /// How many servers the unit declares.
    pub fn server_count(&self) -> usize {
        self.plugins.iter().map(|p| p.servers.len()).sum()
    }

    /// The policy, if there is exactly one (a second is an error).
    pub fn policy(&self) -> Option<&Policy> {
        self.policies.first()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginKind {
    Standard,
    Platform,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    User,
    Workspace,
    Org,
}

#[derive(Clone, Debug)]
pub struct Plugin {
    pub name: Spanned<String>,
    pub version: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub kind: Option<Spanned<PluginKind>>,
    pub scope: Option<Spanned<Scope>>,
    pub targets: Option<TargetList>,
    pub homepage: Option<Spanned<String>>,
    pub license: Option<Spanned<String>>,
    pub author: Option<Spanned<String>>,
    /// `registry = "https://…"`: the MCP Registry this plugin's `registry`
    /// references are resolved against (default: `mcpc lock`'s).
    pub registry: Option<Spanned<String>>,
    pub servers: Vec<Server>,
    pub overrides: Vec<Override>,
    /// `target NAME { lints { … } secrets = … }`, in source order.
    pub target_lints: Vec<TargetLints>,
    /// The whole `plugin` block.
    pub span: Span,
}

pub type TargetList = Spanned<Vec<Spanned<Target>>>;

impl Plugin {
    /// Whether this plugin is built for `target` (every target by default).
    pub fn builds_for(&self, target: Target) -> bool {
        targets_include(self.targets.as_ref(), target)
    }

    /// The servers built for `target`, with that target's overrides applied
    /// (borrowed when no override touches them). Linear: the overrides are
    /// indexed by server name once, not searched per server.
    pub fn servers_for(&self, target: Target) -> Vec<ServerView<'_>> {
        if !self.builds_for(target) {
            return Vec::new();
        }
        let by_server = self.overrides_by_server(|o| o.target.value == target);
        self.servers
            .iter()
            .filter_map(|s| {
                let found = by_server.get(s.name.value.as_str());
                is_built(s, found, target).then(|| match found {
                    Some(found) => ServerView::from(with_overrides(s, found)),
                    None => ServerView::Borrowed(s),
                })
            })
            .collect()
    }

    /// The names of the servers built for `target`, as [`Plugin::servers_for`]
    /// gives them, without laying the overrides over the servers: only an
    /// override's `targets` can change whether a server is built.
    pub fn server_names_for(&self, target: Target) -> Vec<&Spanned<String>> {
        if !self.builds_for(target) {
            return Vec::new();
        }
        let by_server = self.overrides_by_server(|o| o.target.value == target);
        self.servers
            .iter()
            .filter(|s| is_built(s, by_server.get(s.name.value.as_str()), target))
            .map(|s| &s.name)
            .collect()
    }

    /// The overrides that `keep` accepts, by the name of the server they
    /// override, each list in source order.
    pub fn overrides_by_server(
        &self,
        keep: impl Fn(&Override) -> bool,
    ) -> HashMap<&str, Vec<&Override>> {
        let mut out: HashMap<&str, Vec<&Override>> = HashMap::new();
        for o in self.overrides.iter().filter(|o| keep(o)) {
            out.entry(o.server.value.as_str()).or_default().push(o);
        }
        out
    }

    /// `secrets = …` of this plugin's `target` block for `target`.
    pub fn secrets_for(&self, target: Target) -> Option<Spanned<SecretForm>> {
        self.target_lints
            .iter()
            .filter(|t| t.target.value == target)
            .find_map(|t| t.secrets.clone())
    }

    /// `server` as `target` sees it: the `target` block's fields over the
    /// server's own.
    pub fn effective<'s>(&'s self, server: &'s Server, target: Target) -> Cow<'s, Server> {
        let overrides: Vec<&Override> = self
            .overrides
            .iter()
            .filter(|o| o.target.value == target && o.server.value == server.name.value)
            .collect();
        with_overrides(server, &overrides)
    }
}

/// A server as one target sees it: the server itself, or a copy with that
/// target's overrides laid over it. A `Cow<Server>` would do, but it is as
/// large as a `Server` even when it borrows one, and a target's servers are
/// one vector of these (at 100,000 servers, 65 MB for every target built).
#[derive(Clone, Debug)]
pub enum ServerView<'s> {
    Borrowed(&'s Server),
    Owned(Box<Server>),
}

impl ServerView<'_> {
    pub fn into_owned(self) -> Server {
        match self {
            ServerView::Borrowed(server) => server.clone(),
            ServerView::Owned(server) => *server,
        }
    }
}

impl std::ops::Deref for ServerView<'_> {
    type Target = Server;

    fn deref(&self) -> &Server {
        match self {
            ServerView::Borrowed(server) => server,
            ServerView::Owned(server) => server,
        }
    }
}

impl AsRef<Server> for ServerView<'_> {
    fn as_ref(&self) -> &Server {
        self
    }
}

impl<'s> From<Cow<'s, Server>> for ServerView<'s> {
    fn from(server: Cow<'s, Server>) -> ServerView<'s> {
        match server {
            Cow::Borrowed(server) => ServerView::Borrowed(server),
            Cow::Owned(server) => ServerView::Owned(Box::new(server)),
        }
    }
}

/// `server` with `overrides` (all of one target, in source order) laid
/// over its fields; borrowed when there are none.
pub fn with_overrides<'s>(server: &'s Server, overrides: &[&Override]) -> Cow<'s, Server> {
    if overrides.is_empty() {
        return Cow::Borrowed(server);
    }
    let mut fields = server.fields.clone();
    for o in overrides {
        fields = fields.overlay(&o.fields);
    }
    Cow::Owned(Server {
        name: server.name.clone(),
        fields,
    })
}

/// Whether `server` is built for `target`, given that target's overrides of
/// it in source order: the last one that sets `targets` wins, as when they
/// are laid over the server ([`with_overrides`]).
fn is_built(server: &Server, overrides: Option<&Vec<&Override>>, target: Target) -> bool {
    let targets = overrides
        .into_iter()
        .flatten()
        .rev()
        .find_map(|o| o.fields.targets.as_ref())
        .or(server.fields.targets.as_ref());
    targets_include(targets, target)
}

fn targets_include(list: Option<&TargetList>, target: Target) -> bool {
    list.is_none_or(|l| l.value.iter().any(|t| t.value == target))
}

/// `target NAME { lints { … } secrets = … }`: the levels of what NAME's
/// backend reports about this plugin (a loss accepted for one runtime),
/// and how NAME gets this plugin's secrets.
#[derive(Clone, Debug)]
pub struct TargetLints {
    pub target: Spanned<Target>,
    pub levels: Vec<(Spanned<Code>, Spanned<Level>)>,
    pub secrets: Option<Spanned<SecretForm>>,
}

/// `secrets = input | env` in a `target` block: how a runtime that can
/// prompt for a secret (VS Code's `inputs`) gets this plugin's secrets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretForm {
    /// Prompted once and kept in the runtime's secret storage (the
    /// default where the runtime can).
    Input,
    /// Taken from the environment the runtime starts with.
    Env,
}

/// `target NAME { server LABEL { … } }`.
#[derive(Clone, Debug)]
pub struct Override {
    pub target: Spanned<Target>,
    pub server: Spanned<String>,
    pub fields: ServerFields,
}

#[derive(Clone, Debug)]
pub struct Server {
    pub name: Spanned<String>,
    pub fields: ServerFields,
}

/// The attributes of a server; all optional, because a `target` override
/// sets only some. The ones most servers set are inline; the rest are in
/// one box, made when the first of them is set ([`ServerFields::rare`],
/// [`ServerFields::rare_mut`]): at 100,000 servers a `Server`'s own size
/// is a fifth of the IR, and most servers set only `command`, `args` and
/// `env`, or `url` and `headers` (and often `targets`).
#[derive(Clone, Debug, Default)]
pub struct ServerFields {
    pub command: Option<Spanned<Str>>,
    pub args: Option<Spanned<Vec<Spanned<Str>>>>,
    pub env: Option<Spanned<Vec<Entry>>>,
    pub url: Option<Spanned<Str>>,
    pub headers: Option<Spanned<Vec<Entry>>>,
    pub targets: Option<TargetList>,
    rare: Option<Box<RareFields>>,
}

/// The attributes few servers set; [`RareFields::NONE`] when none is.
#[derive(Clone, Debug, Default)]
pub struct RareFields {
    pub cwd: Option<Spanned<Str>>,
    pub transport: Option<Spanned<RemoteTransport>>,
    pub tools: Tools,
    pub startup_timeout: Option<Spanned<Millis>>,
    pub tool_timeout: Option<Spanned<Millis>>,
    pub enabled: Option<Spanned<bool>>,
    pub description: Option<Spanned<String>>,
    /// `registry { … }`: the launch line comes from this registry entry, as
    /// locked in `mcpc.lock`. Only in a plugin's own `server` block.
    /// Boxed: fewer servers still have one.
    pub registry: Option<Box<RegistryRef>>,
}

/// `registry { name = "io.github.acme/github"  version = "0.9.1" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// The entry's name in the registry (`namespace/name`).
    pub name: Spanned<String>,
    /// An exact version, or `latest` (which the lock pins).
    pub version: Spanned<String>,
    /// Which of the entry's packages or remotes: a `registryType` (`npm`,
    /// `pypi`, `oci`, `nuget`) or `remote`; needed when it has several.
    pub package: Option<Spanned<String>>,
    /// The `registry` keyword.
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Tools {
    pub allow: Option<Spanned<Vec<Spanned<String>>>>,
    pub deny: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A duration in milliseconds.
pub type Millis = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoteTransport {
    Http,
    Sse,
}

/// How a server is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Stdio,
    Http,
    Sse,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::Http => "http",
            Transport::Sse => "sse",
        }
    }
}

impl ServerFields {
    /// The rare attributes, all `None` when none is set.
    pub fn rare(&self) -> &RareFields {
        self.rare.as_deref().unwrap_or(&RareFields::NONE)
    }

    /// Whether any rare attribute may be set (none is when this is false).
    pub fn has_rare(&self) -> bool {
        self.rare.is_some()
    }

    /// The rare attributes to set one; boxed on the first.
    pub fn rare_mut(&mut self) -> &mut RareFields {
        self.rare.get_or_insert_default()
    }

    /// `over`'s fields replace these; the `env`, `headers` and `tools`
    /// blocks merge key by key.
    pub fn overlay(&self, over: &ServerFields) -> ServerFields {
        ServerFields {
            command: pick(&self.command, &over.command),
            args: pick(&self.args, &over.args),
            env: merge_entries(&self.env, &over.env),
            url: pick(&self.url, &over.url),
            headers: merge_entries(&self.headers, &over.headers),
            targets: pick(&self.targets, &over.targets),
            rare: match (&self.rare, &over.rare) {
                (base, None) => base.clone(),
                (base, Some(over)) => Some(Box::new(
                    base.as_deref().unwrap_or(&RareFields::NONE).overlay(over),
                )),
            },
        }
    }

    /// stdio when there is a `command` (or neither is set), else the remote
    /// transport.
    pub fn transport_kind(&self) -> Transport {
        match (&self.url, &self.rare().transport) {
            (Some(_), Some(t)) if t.value == RemoteTransport::Sse => Transport::Sse,
            (Some(_), _) if self.command.is_none() => Transport::Http,
            _ => Transport::Stdio,
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.rare().enabled.as_ref().is_none_or(|e| e.value)
    }
}

impl RareFields {
    /// None of them set: what [`ServerFields::rare`] reads without a box.
    pub const NONE: RareFields = RareFields {
        cwd: None,
        transport: None,
        tools: Tools {
            allow: None,
            deny: None,
        },
        startup_timeout: None,
        tool_timeout: None,
        enabled: None,
        description: None,
        registry: None,
    };

    /// Whether none of them is set (then a `ServerFields` keeps no box).
    pub fn is_none(&self) -> bool {
        let RareFields {
            cwd,
            transport,
            tools: Tools { allow, deny },
            startup_timeout,
            tool_timeout,
            enabled,
            description,
            registry,
        } = self;
        cwd.is_none()
            && transport.is_none()
            && allow.is_none()
            && deny.is_none()
            && startup_timeout.is_none()
            && tool_timeout.is_none()
            && enabled.is_none()
            && description.is_none()
            && registry.is_none()
    }

    fn overlay(&self, over: &RareFields) -> RareFields {
        RareFields {
            cwd: pick(&self.cwd, &over.cwd),
            transport: pick(&self.transport, &over.transport),
            tools: Tools {
                allow: pick(&self.tools.allow, &over.tools.allow),
                deny: pick(&self.tools.deny, &over.tools.deny),
            },
            startup_timeout: pick(&self.startup_timeout, &over.startup_timeout),
            tool_timeout: pick(&self.tool_timeout, &over.tool_timeout),
            enabled: pick(&self.enabled, &over.enabled),
            description: pick(&self.description, &over.description),
            // An override names no registry entry (lowering reports one).
            registry: self.registry.clone(),
        }
    }
}

fn pick<T: Clone>(base: &Option<T>, over: &Option<T>) -> Option<T> {
    over.clone().or_else(|| base.clone())
}

fn merge_entries(
    base: &Option<Spanned<Vec<Entry>>>,
    over: &Option<Spanned<Vec<Entry>>>,
) -> Option<Spanned<Vec<Entry>>> {
    match (base, over) {
        (Some(base), Some(over)) => {
            let mut merged = base.value.clone();
            for entry in &over.value {
                match merged.iter_mut().find(|e| e.key.value == entry.key.value) {
                    Some(existing) => *existing = entry.clone(),
                    None => merged.push(entry.clone()),
                }
            }
            Some(Spanned::new(merged, base.span))
        }
        _ => over.clone().or_else(|| base.clone()),
    }
}

/// `KEY = value` in an `env` or `headers` block.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Held in place up to 24 bytes (`HOME`, `Authorization`), as a
    /// literal part is.
    pub key: Spanned<compact_str::CompactString>,
    pub value: Spanned<Str>,
}

/// A string value: literal text and references, in order. One part is
/// held inline (most values are one literal or one reference).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Str {
    pub parts: Parts,
}

/// The parts of a [`Str`].
pub type Parts = smallvec::SmallVec<[Part; 1]>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Lit(compact_str::CompactString),
    /// Boxed, so that a part is the size of its text.
    Ref(Box<Spanned<Ref>>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    /// `env.NAME` or `${env.NAME:-default}`.
    Env {
        name: String,
        default: Option<String>,
    },
    /// `secret.NAME`: like `env`, and sensitive.
    Secret { name: String },
    /// `plugin.root`.
    PluginRoot,
    /// `project.root`: the directory of the project the file is for.
    ProjectRoot,
}

impl Ref {
    /// The environment variable it reads, if any.
    pub fn var(&self) -> Option<&str> {
        match self {
            Ref::Env { name, .. } | Ref::Secret { name } => Some(name),
            Ref::PluginRoot | Ref::ProjectRoot => None,
        }
    }

    /// How it is written in source, inside `${…}`.
    pub fn source_text(&self) -> String {
        match self {
            Ref::Env {
                name,
                default: None,
            } => format!("env.{name}"),
            Ref::Env {
                name,
                default: Some(d),
            } => format!("env.{name}:-{d}"),
            Ref::Secret { name } => format!("secret.{name}"),
            Ref::PluginRoot => "plugin.root".to_owned(),
            Ref::ProjectRoot => "project.root".to_owned(),
        }
    }
}

impl Str {
    pub fn literal(text: impl Into<compact_str::CompactString>) -> Str {
        Str {
            parts: smallvec::smallvec![Part::Lit(text.into())],
        }
    }

    /// The text, if it has no reference: borrowed when it is one part.
    pub fn as_literal(&self) -> Option<Cow<'_, str>> {
        match self.parts.as_slice() {
            [] => Some(Cow::Borrowed("")),
            [Part::Lit(text)] => Some(Cow::Borrowed(text)),
            parts => parts
                .iter()
                .map(|p| match p {
                    Part::Lit(text) => Some(text.as_str()),
                    Part::Ref(_) => None,
                })
                .collect::<Option<String>>()
                .map(Cow::Owned),
        }
    }

    /// The one reference, if the whole value is one reference.
    pub fn as_single_ref(&self) -> Option<&Spanned<Ref>> {
        match self.parts.as_slice() {
            [Part::Ref(r)] => Some(&**r),
            _ => None,
        }
    }

    pub fn refs(&self) -> impl Iterator<Item = &Spanned<Ref>> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref(r) => Some(&**r),
            Part::Lit(_) => None,
        })
    }

    /// The leading literal text (before any reference).
    pub fn literal_prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Lit(text)) => text,
            _ => "",
        }
    }

    /// The value as source text, for messages: `Bearer ${secret.TOKEN}`.
    pub fn display(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(t) => t.to_string(),
                Part::Ref(r) => format!("${{{}}}", r.value.source_text()),
            })
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct Workspace {
    pub name: Spanned<String>,
    pub runtime: Option<Spanned<Target>>,
    pub plugins: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub name: Spanned<String>,
    pub lints: Vec<(Spanned<Code>, Spanned<Level>)>,
    pub allow_commands: Option<Spanned<Vec<Spanned<String>>>>,
    pub allow_hosts: Option<Spanned<Vec<Spanned<String>>>>,
    pub allow_transports: Option<Spanned<Vec<Spanned<Transport>>>>,
}

#[cfg(test)]
mod tests {
    use crate::source::{SourceFile, SourceMap};
    use crate::target::Target;

    /// `server_names_for` names exactly the servers `servers_for` builds,
    /// an override's `targets` included.
    #[test]
    fn server_names_for_names_what_servers_for_builds() {
        let text = r#"plugin "p" {
  server "a" { command = "a" }
  server "b" {
    command = "b"
    targets = ["codex"]
  }
  server "c" { command = "c" }
  target codex {
    server "a" { targets = ["claude-code"] }
    server "c" { tool_timeout = 2m }
  }
  target claude-code {
    server "b" { targets = ["claude-code"] }
  }
}
"#;
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("p.mcpc", text));
        let (unit, _) = crate::lower_unit(&sources);
        let plugin = &unit.plugins[0];
        for &target in Target::ALL {
            let built: Vec<String> = plugin
                .servers_for(target)
                .iter()
                .map(|s| s.name.value.clone())
                .collect();
            let named: Vec<String> = plugin
                .server_names_for(target)
                .iter()
                .map(|n| n.value.clone())
                .collect();
            assert_eq!(named, built, "{target:?}");
        }
        let codex: Vec<&str> = plugin
            .server_names_for(Target::Codex)
            .iter()
            .map(|n| n.value.as_str())
            .collect();
        assert_eq!(codex, ["b", "c"]);
        assert_eq!(plugin.server_names_for(Target::ClaudeCode).len(), 3);
    }

    /// A `Server`'s own size is most of the IR at scale (100,000 servers
    /// in one `Vec`); the rare attributes are boxed to keep it small
    /// (each of the five `Str`s left holds its one part inline: 32 bytes).
    #[test]
    fn a_server_stays_small() {
        let size = std::mem::size_of::<super::Server>();
        assert!(size <= 320, "size_of::<Server>() is {size} bytes");
    }

    /// A server that sets only common attributes keeps no box of rare
    /// ones, an override that sets none adds none, and one that sets some
    /// is laid over the server's own.
    #[test]
    fn rare_attributes_are_boxed_only_when_set() {
        let text = r#"plugin "p" {
  server "plain" {
    command = "a"
    env { A = "1" }
    targets = ["codex"]
  }
  server "rare" {
    command = "b"
    cwd = "/srv"
    tool_timeout = 5s
    tools { deny = ["x"] }
  }
  target codex {
    server "plain" { args = ["-v"] }
    server "rare" {
      tool_timeout = 2m
      tools { allow = ["y"] }
    }
  }
}
"#;
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("p.mcpc", text));
        let (unit, _) = crate::lower_unit(&sources);
        let plugin = &unit.plugins[0];
        let plain = &plugin.servers[0].fields;
        assert!(plain.rare.is_none());
        assert!(plain.rare().is_none());
        let codex = plugin.servers_for(Target::Codex);
        assert!(codex[0].fields.rare.is_none());
        assert_eq!(
            codex[0].fields.args.as_ref().map(|a| a.value.len()),
            Some(1)
        );
        let rare = codex[1].fields.rare();
        assert_eq!(rare.tool_timeout.as_ref().map(|t| t.value), Some(120_000));
        assert!(rare.cwd.is_some());
        assert!(rare.tools.allow.is_some() && rare.tools.deny.is_some());
        assert!(rare.startup_timeout.is_none() && rare.enabled.is_none());
        let own = plugin.servers[1].fields.rare();
        assert_eq!(own.tool_timeout.as_ref().map(|t| t.value), Some(5_000));
        assert!(own.tools.allow.is_none());
    }

    /// Setting a rare attribute through `rare_mut` boxes them once.
    #[test]
    fn rare_mut_boxes_on_first_set() {
        let mut fields = super::ServerFields::default();
        assert!(fields.rare.is_none() && fields.is_enabled());
        let at = crate::source::Span::new(crate::source::FileId(0), 0, 0);
        fields.rare_mut().enabled = Some(super::Spanned::new(false, at));
        assert!(fields.rare.is_some() && !fields.is_enabled());
        assert!(!fields.rare().is_none());
    }
}
