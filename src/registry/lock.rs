//! Registry references and `mcpc.lock`.
//!
//! A server may say `registry { name = "io.github.acme/github"  version =
//! "0.9.1" }`: its launch line is the one that registry entry's
//! `server.json` gives. `mcpc lock` fetches each entry once and writes
//! `mcpc.lock` beside the unit, holding per entry the resolved version, the
//! sha256 of the entry and the entry itself; compiling reads the lock only
//! (this module is IO-free like the rest of the library) and never the
//! network.
//!
//! The digest is the sha256 of the entry's canonical JSON: the `server`
//! member of the registry's answer with every object's keys sorted and no
//! whitespace, so a registry that re-indents its answers does not change
//! it, and any change of content does.

use super::server_json::{self, ServerJson};
use crate::backends::ServerSpec;
use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Entry, Part, Ref, RegistryRef, RemoteTransport, Server, Str, Transport, Unit};
use crate::source::{Span, Spanned};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The official MCP Registry's public API: the base `mcpc lock` resolves
/// against when neither the plugin nor `--registry` names one.
pub const DEFAULT_REGISTRY: &str = "https://registry.modelcontextprotocol.io";

/// The lock's file name, beside the unit.
pub const LOCK_FILE: &str = "mcpc.lock";

/// The lock format's version; another is refused.
const FORMAT: u32 = 1;

/// What `package = …` may name: a package's `registryType`, or `remote`.
pub const PACKAGE_KINDS: &[&str] = &["npm", "pypi", "oci", "nuget", "remote"];

/// `namespace/name` as the registry's schema allows it
/// (`^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`, 3 to 200 characters).
pub fn is_entry_name(text: &str) -> bool {
    let Some((namespace, name)) = text.split_once('/') else {
        return false;
    };
    (3..=200).contains(&text.len())
        && !namespace.is_empty()
        && !name.is_empty()
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// One exact version (no range, no space; at most 255 characters), or
/// `latest`.
pub fn is_entry_version(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && !text.starts_with(['^', '~', '>', '<', '=', '*'])
        && !text.contains(['*', ' ', '|', ',', '/'])
        && text != "x"
        && !text.ends_with(".x")
}

/// `mcpc.lock`: one entry per registry reference of the unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The format's version (1).
    pub lock_version: u32,
    /// Sorted by name, requested version and registry.
    pub entries: Vec<LockEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    /// The entry's name in the registry.
    pub name: String,
    /// The version the source asks for (`0.9.1`, or `latest`).
    pub requested: String,
    /// The version the registry answered with.
    pub version: String,
    /// The registry's base URL.
    pub registry: String,
    /// The sha256 of `server`'s canonical JSON, in hex.
    pub sha256: String,
    /// The entry's `server.json`.
    pub server: Value,
}

impl Lock {
    /// Reads a lock; `Err` says what is wrong with it.
    pub fn parse(text: &str) -> Result<Lock, String> {
        if crate::emit::json_doc::too_deep(text, crate::emit::json_doc::MAX_DEPTH).is_some() {
            return Err("its nesting is too deep".to_owned());
        }
        let lock: Lock = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if lock.lock_version != FORMAT {
            return Err(format!(
                "it is of format {}, and this mcpc reads format {FORMAT}",
                lock.lock_version
            ));
        }
        Ok(lock)
    }

    pub fn new(mut entries: Vec<LockEntry>) -> Lock {
        entries.sort_by(|a, b| {
            (&a.name, &a.requested, &a.registry).cmp(&(&b.name, &b.requested, &b.registry))
        });
        entries.dedup_by(|a, b| (&a.name, &a.requested) == (&b.name, &b.requested));
        Lock {
            lock_version: FORMAT,
            entries,
        }
    }

    /// The file's text: pretty JSON, entries sorted, a final newline; the
    /// same bytes for the same entries.
    pub fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn find(&self, name: &str, requested: &str) -> Option<&LockEntry> {
        self.entries
            .iter()
            .find(|e| e.name == name && e.requested == requested)
    }
}

impl LockEntry {
    /// Whether `server` is still what `sha256` says.
    pub fn intact(&self) -> bool {
        digest(&self.server) == self.sha256
    }
}

/// `value` as canonical JSON: object keys sorted at every level, no
/// whitespace.
pub fn canonical(value: &Value) -> Vec<u8> {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(value)).unwrap_or_default()
}

/// The sha256 of `value`'s canonical JSON, in lower-case hex.
pub fn digest(value: &Value) -> String {
    hex(&Sha256::digest(canonical(value)))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a registry's `server` member as the published schema does for
/// what mcpc reads (required fields, the name's pattern, lengths, the
/// transports' types and URLs); `Err` names the first field that fails.
pub fn validate(value: &Value) -> Result<ServerJson, String> {
    if !value.is_object() {
        return Err("it is not a JSON object".to_owned());
    }
    let doc: ServerJson = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    if !is_entry_name(&doc.name) {
        return Err(format!(
            "`name` `{}` is not `namespace/name` (the schema's pattern)",
            doc.name
        ));
    }
    let chars = doc.description.chars().count();
    if !(1..=100).contains(&chars) {
        return Err(format!(
            "`description` has {chars} characters; the schema allows 1 to 100"
        ));
    }
    if doc.version.is_empty() || doc.version.len() > 255 {
        return Err("`version` must have 1 to 255 characters".to_owned());
    }
    let url_ok = |url: &Option<String>| {
        url.as_deref().is_some_and(|u| {
            !u.chars().any(char::is_whitespace)
                && (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('{'))
        })
    };
    for (i, p) in doc.packages.iter().enumerate() {
        if p.registry_type.is_empty() || p.identifier.is_empty() {
            return Err(format!(
                "`packages[{i}]` needs a `registryType` and an `identifier`"
            ));
        }
        match p.transport.kind.as_str() {
            "stdio" => {}
            "streamable-http" | "sse" if url_ok(&p.transport.url) => {}
            "streamable-http" | "sse" => {
                return Err(format!(
                    "`packages[{i}].transport.url` is missing or not an http(s) URL"
                ));
            }
            other => {
                return Err(format!(
                    "`packages[{i}].transport.type` `{other}` is not `stdio`, `streamable-http` or `sse`"
                ));
            }
        }
    }
    for (i, r) in doc.remotes.iter().enumerate() {
        if !matches!(r.kind.as_str(), "streamable-http" | "sse") {
            return Err(format!(
                "`remotes[{i}].type` `{}` is not `streamable-http` or `sse`",
                r.kind
            ));
        }
        if !url_ok(&r.url) {
            return Err(format!(
                "`remotes[{i}].url` is missing or not an http(s) URL"
            ));
        }
    }
    Ok(doc)
}

/// A registry reference of the unit, with the base URL its plugin names.
#[derive(Clone, Debug)]
pub struct Reference {
    pub plugin: String,
    pub server: String,
    /// The plugin's `registry = …`, if it names one.
    pub registry: Option<String>,
    pub name: String,
    pub requested: String,
    /// The `registry` keyword, for diagnostics.
    pub span: Span,
}

/// Every registry reference of `unit`, in source order.
pub fn references(unit: &Unit) -> Vec<Reference> {
    let mut out = Vec::new();
    for plugin in &unit.plugins {
        for server in &plugin.servers {
            if let Some(r) = &server.fields.rare().registry {
                out.push(Reference {
                    plugin: plugin.name.value.clone(),
                    server: server.name.value.clone(),
                    registry: plugin.registry.as_ref().map(|r| r.value.clone()),
                    name: r.name.value.clone(),
                    requested: r.version.value.clone(),
                    span: r.span,
                });
            }
        }
    }
    out
}

/// The lock as the unit gave it: its file name and text, if there is one.
#[derive(Clone, Debug)]
pub struct LockText {
    pub file: String,
    pub text: String,
}

/// `mcpc lock`, as the help line says it (the unit's paths left to the user).
const RUN_LOCK: &str =
    "run `mcpc lock` to resolve the unit's registry references and write `mcpc.lock`";

/// Gives each server with a `registry` reference its launch line from the
/// lock: `command`, `args`, `env`, or `url`, `transport`, `headers`. The
/// declaration's `env` and `headers` entries win over the entry's; a
/// launch attribute of its own (`command`, `args`, `url`, `transport`) is
/// a `conflicting-attributes` error, since the entry fixes it. A reference
/// missing from the lock, a lock that does not match the source, or a
/// locked entry whose digest is wrong is an error whose help gives the
/// command to run.
pub fn resolve(unit: &mut Unit, lock: Option<&LockText>, sink: &mut Sink) {
    let refs = references(unit);
    let parsed = lock.map(|l| (l, Lock::parse(&l.text)));
    let lock = match parsed {
        None => {
            for r in &refs {
                sink.push(missing(r, "there is no `mcpc.lock` beside the unit"));
            }
            return;
        }
        Some((l, Err(why))) => {
            for r in &refs {
                sink.push(
                    Diagnostic::new(
                        Code::LockMismatch,
                        r.span,
                        format!("`{}` cannot be read: {why}", l.file),
                    )
                    .with_label("this reference needs the lock")
                    .with_help(RUN_LOCK),
                );
            }
            return;
        }
        Some((_, Ok(lock))) => lock,
    };
    let mut used = BTreeSet::new();
    for plugin in &mut unit.plugins {
        let base = plugin.registry.as_ref().map(|r| r.value.clone());
        for server in &mut plugin.servers {
            let Some(r) = server.fields.rare().registry.clone() else {
                continue;
            };
            let Some(entry) = lock.find(&r.name.value, &r.version.value) else {
                let reference = references_one(&r, &base);
                sink.push(missing(
                    &reference,
                    &format!(
                        "`mcpc.lock` has no entry for `{}@{}`",
                        r.name.value, r.version.value
                    ),
                ));
                continue;
            };
            used.insert((entry.name.clone(), entry.requested.clone()));
            if let Some(base) = &base
                && trim_base(base) != trim_base(&entry.registry)
            {
                sink.push(
                    Diagnostic::new(
                        Code::LockMismatch,
                        r.span,
                        format!(
                            "`{}@{}` is locked from {}, but the plugin names the registry {base}",
                            r.name.value, r.version.value, entry.registry
                        ),
                    )
                    .with_label("locked from another registry")
                    .with_help(RUN_LOCK),
                );
                continue;
            }
            if !entry.intact() {
                sink.push(
                    Diagnostic::new(
                        Code::LockDigestMismatch,
                        r.span,
                        format!(
                            "the entry of `{}@{}` in `mcpc.lock` is not what its sha256 says: the lock was edited or damaged",
                            r.name.value, r.version.value
                        ),
                    )
                    .with_label("its locked server.json does not match its digest")
                    .with_help("run `mcpc lock` to fetch the entry again (it must match the recorded sha256), or delete the entry and run `mcpc lock` to accept what the registry serves now"),
                );
                continue;
            }
            apply_entry(server, &r, entry, sink);
        }
    }
    let first = refs
        .first()
        .map(|r| r.span)
        .or_else(|| unit.plugins.first().map(|p| p.name.span));
    for entry in &lock.entries {
        if !used.contains(&(entry.name.clone(), entry.requested.clone()))
            && let Some(at) = first
        {
            sink.push(
                Diagnostic::new(
                    Code::LockMismatch,
                    at,
                    format!(
                        "`mcpc.lock` holds `{}@{}`, which no server of the unit references",
                        entry.name, entry.requested
                    ),
                )
                .with_label("the lock does not match the source")
                .with_help(RUN_LOCK),
            );
        }
    }
}

fn references_one(r: &RegistryRef, base: &Option<String>) -> Reference {
    Reference {
        plugin: String::new(),
        server: String::new(),
        registry: base.clone(),
        name: r.name.value.clone(),
        requested: r.version.value.clone(),
        span: r.span,
    }
}

/// A base URL without its trailing `/`, as lock entries compare them.
pub fn trim_base(base: &str) -> &str {
    base.trim_end_matches('/')
}

fn missing(r: &Reference, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::LockMissing,
        r.span,
        format!(
            "{why}: the launch line of `{}@{}` is not known",
            r.name, r.requested
        ),
    )
    .with_label("not in the lock")
    .with_help(RUN_LOCK)
}

/// The launch line of `entry`'s package or remote that `r` chooses.
fn apply_entry(server: &mut Server, r: &RegistryRef, entry: &LockEntry, sink: &mut Sink) {
    let doc = match validate(&entry.server) {
        Ok(doc) => doc,
        Err(why) => {
            sink.push(
                Diagnostic::new(
                    Code::RegistryInvalidEntry,
                    r.span,
                    format!(
                        "the locked entry of `{}@{}` is not a valid server.json: {why}",
                        r.name.value, r.version.value
                    ),
                )
                .with_label("locked here")
                .with_help("delete the entry from `mcpc.lock` and run `mcpc lock`; if the registry serves the same, report it to the entry's publisher"),
            );
            return;
        }
    };
    let spec = match choose(&doc, r) {
        Ok(spec) => spec,
        Err((message, help)) => {
            let at = r.package.as_ref().map_or(r.span, |p| p.span);
            sink.push(
                Diagnostic::new(Code::InvalidValue, at, message)
                    .with_label("no launch line chosen")
                    .with_help(help),
            );
            return;
        }
    };
    let secrets = server_json::import(&doc).secrets;
    fill(server, &spec, &secrets, r.span, sink);
}

/// The one package or remote `r` names, or the only one the entry has.
fn choose(doc: &ServerJson, r: &RegistryRef) -> Result<ServerSpec, (String, String)> {
    let what = format!("`{}@{}`", doc.name, doc.version);
    let mut candidates: Vec<(String, ServerJson)> = Vec::new();
    for p in &doc.packages {
        if PACKAGE_KINDS.contains(&p.registry_type.as_str()) {
            let mut one = doc.clone();
            one.packages = vec![p.clone()];
            one.remotes.clear();
            candidates.push((p.registry_type.clone(), one));
        }
    }
    for remote in &doc.remotes {
        let mut one = doc.clone();
        one.packages.clear();
        one.remotes = vec![remote.clone()];
        candidates.push(("remote".to_owned(), one));
    }
    let kinds: Vec<String> = candidates.iter().map(|(k, _)| format!("`{k}`")).collect();
    let chosen = match &r.package {
        Some(p) => candidates.into_iter().find(|(k, _)| *k == p.value).ok_or_else(|| {
            (
                format!("{what} has no `{}` package", p.value),
                if kinds.is_empty() {
                    "the entry has no package or remote mcpc can launch; declare the server's `command` or `url` by hand".to_owned()
                } else {
                    format!("it has {}; write `package = ` one of them", kinds.join(", "))
                },
            )
        })?,
        None => match candidates.len() {
            1 => candidates.remove(0),
            0 => {
                return Err((
                    format!("{what} has no package or remote that mcpc can launch"),
                    "launchable kinds are npm, pypi, oci, nuget and remotes; declare the server's `command` or `url` by hand".to_owned(),
                ));
            }
            _ => {
                return Err((
                    format!("{what} has several launch lines ({})", kinds.join(", ")),
                    format!("choose one in the `registry` block: `package = \"{}\"`", candidates[0].0),
                ));
            }
        },
    };
    server_json::import(&chosen.1)
        .servers
        .into_iter()
        .next()
        .ok_or_else(|| {
            (
                format!("the `{}` entry of {what} has no launch line mcpc knows", chosen.0),
                "`mcpc import --from server-json` on the entry says which field; declare the server by hand".to_owned(),
            )
        })
}

/// `spec`'s launch line into `server`, every value at `at` (the
/// `registry` keyword), `${NAME}` an `env.NAME` or, if the entry marks it
/// secret, a `secret.NAME`.
fn fill(
    server: &mut Server,
    spec: &ServerSpec,
    secrets: &BTreeSet<String>,
    at: Span,
    sink: &mut Sink,
) {
    let f = &mut server.fields;
    let own: [(&str, Option<Span>); 4] = [
        ("command", f.command.as_ref().map(|v| v.span)),
        ("args", f.args.as_ref().map(|v| v.span)),
        ("url", f.url.as_ref().map(|v| v.span)),
        ("transport", f.rare().transport.as_ref().map(|v| v.span)),
    ];
    let mut clash = false;
    for (name, span) in own {
        if let Some(span) = span {
            clash = true;
            sink.push(
                Diagnostic::new(
                    Code::ConflictingAttributes,
                    span,
                    format!(
                        "server `{}` takes its launch line from the registry, so it cannot set `{name}`",
                        server.name.value
                    ),
                )
                .with_label("set here")
                .with_secondary(at, "the registry entry fixes the launch line")
                .with_help(format!("remove `{name}`; to launch the server otherwise, remove the `registry` block instead (`env` and `headers` entries may be set: they win over the entry's)")),
            );
        }
    }
    if clash {
        return;
    }
    let text = |s: &str| Spanned::new(to_str(s, secrets, at), at);
    let entries = |own: &Option<Spanned<Vec<Entry>>>, theirs: &[(String, String)]| {
        if theirs.is_empty() {
            return own.clone();
        }
        let mut merged: Vec<Entry> = theirs
            .iter()
            .filter(|(k, _)| {
                own.as_ref()
                    .is_none_or(|o| o.value.iter().all(|e| !e.key.value.eq_ignore_ascii_case(k)))
            })
            .map(|(k, v)| Entry {
                key: Spanned::new(k.as_str().into(), at),
                value: text(v),
            })
            .collect();
        if let Some(own) = own {
            merged.extend(own.value.iter().cloned());
        }
        Some(Spanned::new(merged, own.as_ref().map_or(at, |o| o.span)))
    };
    match spec.transport {
        Transport::Stdio => {
            f.command = spec.command.as_deref().map(text);
            f.args = (!spec.args.is_empty())
                .then(|| Spanned::new(spec.args.iter().map(|a| text(a)).collect(), at));
            f.env = entries(&f.env, &spec.env);
        }
        Transport::Http | Transport::Sse => {
            f.url = spec.url.as_deref().map(text);
            if spec.transport == Transport::Sse {
                f.rare_mut().transport = Some(Spanned::new(RemoteTransport::Sse, at));
            }
            f.headers = entries(&f.headers, &spec.headers);
        }
    }
}

/// A neutral value (`${NAME}` for a variable) as a language string.
fn to_str(text: &str, secrets: &BTreeSet<String>, at: Span) -> Str {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("${") {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 2..open + len];
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            parts.push(Part::Lit(rest[..open + len + 1].into()));
            rest = &rest[open + len + 1..];
            continue;
        }
        if open > 0 {
            parts.push(Part::Lit(rest[..open].into()));
        }
        let r = if secrets.contains(name) {
            Ref::Secret {
                name: name.to_owned(),
            }
        } else {
            Ref::Env {
                name: name.to_owned(),
                default: None,
            }
        };
        parts.push(Part::Ref(Box::new(Spanned::new(r, at))));
        rest = &rest[open + len + 1..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(Part::Lit(rest.into()));
    }
    // Adjacent literals (a `${…}` that was not a variable) read as one.
    let mut merged = crate::ir::Parts::new();
    for part in parts {
        match (merged.last_mut(), part) {
            (Some(Part::Lit(prev)), Part::Lit(next)) => prev.push_str(&next),
            (_, part) => merged.push(part),
        }
    }
    Str { parts: merged }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_digest_ignores_layout_and_key_order_but_not_content() {
        let a = json!({"name": "a/b", "version": "1", "x": [1, {"k": 2, "j": 3}]});
        let b: Value = serde_json::from_str(
            r#"{ "x": [1, {"j": 3, "k": 2}], "version": "1", "name": "a/b" }"#,
        )
        .unwrap();
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&json!({"name": "a/b", "version": "2"})));
        assert_eq!(digest(&a).len(), 64);
    }

    #[test]
    fn names_and_versions() {
        assert!(is_entry_name("io.github.acme/github"));
        assert!(!is_entry_name("github"));
        assert!(!is_entry_name("a/b/c"));
        assert!(!is_entry_name("io_x/y"));
        for ok in ["0.9.1", "1.0.0-rc.1", "latest", "2025.1"] {
            assert!(is_entry_version(ok), "{ok}");
        }
        for bad in ["", "^1.0.0", "~1", ">=1", "1.x", "*", "1 || 2"] {
            assert!(!is_entry_version(bad), "{bad}");
        }
    }

    #[test]
    fn the_lock_renders_sorted_and_reads_back() {
        let entry = |name: &str| LockEntry {
            name: name.to_owned(),
            requested: "1.0.0".to_owned(),
            version: "1.0.0".to_owned(),
            registry: DEFAULT_REGISTRY.to_owned(),
            sha256: digest(&json!({})),
            server: json!({}),
        };
        let lock = Lock::new(vec![entry("z/z"), entry("a/a")]);
        assert_eq!(lock.entries[0].name, "a/a");
        let text = lock.render();
        assert_eq!(Lock::parse(&text).unwrap(), lock);
        assert_eq!(Lock::new(vec![entry("a/a"), entry("z/z")]).render(), text);
        assert!(Lock::parse(&text.replace("\"lock_version\": 1", "\"lock_version\": 9")).is_err());
    }

    #[test]
    fn neutral_values_become_references() {
        let at = Span::new(crate::source::FileId(0), 0, 1);
        let secrets = BTreeSet::from(["TOK".to_owned()]);
        let s = to_str("Bearer ${TOK} ${HOME} ${not a var}", &secrets, at);
        assert_eq!(s.display(), "Bearer ${secret.TOK} ${env.HOME} ${not a var}");
    }
}
