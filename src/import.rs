//! Native configuration back to `.mcpc` source (`mcpc import`). IO-free: the
//! CLI reads the file with the target's backend and prints what this makes.
//!
//! A variable reference `${X}` becomes `env.X`, or `secret.X` when its name
//! or its place (an `Authorization` header) says it is sensitive. A literal
//! that looks like a secret becomes `secret.NAME` and a warning, so the
//! migrated source starts clean; its value is never printed.

use crate::backends::{Format, ManagedFile, Owned, ServerSpec, Target};
use crate::ir::Transport;
use serde_json::Value;

pub struct Imported {
    pub text: String,
    /// One line per literal secret replaced by a reference.
    pub warnings: Vec<String>,
}

fn sensitive(name: &str) -> bool {
    crate::check::lints::plaintext_secret::is_secret_name(name)
}

/// A string literal in mcpc syntax: `"`, `\\`, `$`, newline, tab and
/// carriage return escaped by name, every other control or line-break
/// character as `\u{…}` (the only escapes mcpc's grammar has).
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A variable of the neutral notation (`NAME`, `NAME:-default`, or a
/// runtime's own `input:ID` / `env:NAME`) as an mcpc reference, without
/// `${}`; `None` when it is no variable mcpc can name.
fn reference(inner: &str, secret: bool) -> Option<String> {
    if inner == "plugin.root" || inner == "project.root" {
        return Some(inner.to_owned());
    }
    let valid = |n: &str| {
        !n.is_empty()
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    };
    // VS Code prompts for `${input:id}` (`${input:id!}`: not a password
    // prompt, or not defined); a prompted value is as good as a secret,
    // and `secrets = input` (VS Code's default) prompts for it again. An
    // id mcpc wrote is the secret's name.
    if let Some(id) = inner.strip_prefix("input:") {
        let id = id.strip_suffix('!').unwrap_or(id);
        let name = if valid(id) {
            id.to_owned()
        } else {
            crate::registry::upper_snake(id)
        };
        return valid(&name).then(|| format!("secret.{name}"));
    }
    let inner = inner.strip_prefix("env:").unwrap_or(inner);
    if let Some((name, default)) = inner.split_once(":-") {
        return (valid(name) && !default.contains(['"', '}', '\\']))
            .then(|| format!("env.{name}:-{default}"));
    }
    valid(inner).then(|| {
        let ns = if secret || sensitive(inner) {
            "secret"
        } else {
            "env"
        };
        format!("{ns}.{inner}")
    })
}

/// A neutral value (`${X}` for variables) in mcpc syntax.
fn value(text: &str, secret: bool, origin: &Origin) -> String {
    // A variable the source marks secret is one, whatever its name.
    let reference = |inner: &str, secret: bool| {
        let name = inner.split(":-").next().unwrap_or(inner);
        reference(inner, secret || origin.secrets.contains(name))
    };
    if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'))
        && !inner.contains(['{', '}', '$'])
        && !inner.contains(":-")
        && let Some(r) = reference(inner, secret)
    {
        return r;
    }
    let mut out = String::from("\"");
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        let literal = quote(&rest[..start]);
        out.push_str(&literal[1..literal.len() - 1]);
        match reference(inner, secret) {
            Some(r) => out.push_str(&format!("${{{r}}}")),
            // Not a variable mcpc can name: kept as literal text.
            None => {
                let literal = quote(&rest[start..start + len + 1]);
                out.push_str(&literal[1..literal.len() - 1]);
            }
        }
        rest = &rest[start + len + 1..];
    }
    let literal = quote(rest);
    out.push_str(&literal[1..literal.len() - 1]);
    out.push('"');
    out
}

fn key(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if plain { name.to_owned() } else { quote(name) }
}

fn duration(ms: u64) -> String {
    for (unit, per) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms >= per && ms.is_multiple_of(per) {
            return format!("{}{unit}", ms / per);
        }
    }
    format!("{ms}ms")
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    format!("[{}]", quoted.join(", "))
}

/// A literal that must not stay in source: under a secret-sounding name, or
/// `Bearer <literal>`.
fn literal_secret(name: &str, text: &str) -> bool {
    if text.contains("${") || text.is_empty() {
        return false;
    }
    let bearer = text
        .strip_prefix("Bearer ")
        .is_some_and(|t| !t.trim().is_empty());
    bearer || (sensitive(name) && !text.contains("://") && !matches!(text, "true" | "false"))
}

fn var_name(server: &str, key: &str) -> String {
    let base = if key.eq_ignore_ascii_case("authorization") {
        format!("{server}_TOKEN")
    } else {
        key.to_owned()
    };
    let name: String = base
        .to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    // `secret.NAME` is an identifier: it cannot start with a digit (a
    // header `0Authorization`, found by the fuzz import target).
    if name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name
    } else {
        format!("_{name}")
    }
}

/// Replaces every token-shaped word of a neutral value by a reference to
/// `var`, so no token value reaches the imported source.
fn redact_tokens(text: &str, var: &str) -> Option<String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.';
    let mut out = String::new();
    let mut found = false;
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(is_word).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_word(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        if crate::check::lints::plaintext_secret::is_token(word) {
            out.push_str(&format!("${{{var}}}"));
            found = true;
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    found.then_some(out)
}

/// Where imported servers come from, and what the plugin header says.
#[derive(Debug, Default)]
pub struct Origin {
    /// The format's name, for the header comment (`codex`, `server.json`).
    pub format: String,
    /// The runtime the file belongs to: the plugin is built for it only.
    pub target: Option<Target>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub author: Option<String>,
    /// Variable names the source marks secret, whatever they are called.
    pub secrets: std::collections::BTreeSet<String>,
}

pub fn to_source(plugin: &str, from: Target, file: &str, servers: &[ServerSpec]) -> Imported {
    let origin = Origin {
        format: from.to_string(),
        target: Some(from),
        ..Origin::default()
    };
    to_source_from(plugin, &origin, file, servers)
}

/// A plugin holding `servers`, described by `origin`.
pub fn to_source_from(
    plugin: &str,
    origin: &Origin,
    file: &str,
    servers: &[ServerSpec],
) -> Imported {
    let mut warnings = Vec::new();
    let servers: Vec<ServerSpec> = servers
        .iter()
        .map(|s| {
            let mut s = s.clone();
            let var = var_name(&s.name, "authorization");
            let mut redact = |what: &str, text: &mut String| {
                if let Some(clean) = redact_tokens(text, &var) {
                    warnings.push(format!(
                        "server `{}`: {what} held a literal token; it is now `secret.{var}` (set {var} in the runtime's environment)",
                        s.name
                    ));
                    *text = clean;
                }
            };
            for arg in &mut s.args {
                redact("an argument", arg);
            }
            for text in s.command.iter_mut().chain(s.url.iter_mut()).chain(s.cwd.iter_mut()) {
                redact("a value", text);
            }
            for (k, v) in s.env.iter_mut().chain(s.headers.iter_mut()) {
                if !literal_secret(k, v) {
                    redact(&format!("`{k}`"), v);
                }
            }
            s
        })
        .collect();
    let servers = &servers;
    let mut out = format!(
        "// Imported from {file} ({}) by `mcpc import`.\nplugin {} {{\n  version = {}\n",
        origin.format,
        quote(plugin),
        quote(
            origin
                .version
                .as_deref()
                .filter(|v| is_semver(v))
                .unwrap_or("0.1.0")
        )
    );
    for (key, text) in [
        ("description", &origin.description),
        ("homepage", &origin.homepage),
        ("license", &origin.license),
        ("author", &origin.author),
    ] {
        if let Some(text) = text {
            out.push_str(&format!("  {key} = {}\n", quote(text)));
        }
    }
    if let Some(from) = origin.target {
        out.push_str(&format!(
            "  // Built for the runtime it came from; widen once `mcpc check` agrees.\n  targets = [\"{from}\"]\n"
        ));
    }
    for s in servers {
        out.push_str(&format!("\n  server {} {{\n", quote(&s.name)));
        if let Some(command) = &s.command {
            out.push_str(&format!(
                "    command = {}\n",
                value(command, false, origin)
            ));
        }
        if !s.args.is_empty() {
            let args: Vec<String> = s.args.iter().map(|a| value(a, false, origin)).collect();
            out.push_str(&format!("    args    = [{}]\n", args.join(", ")));
        }
        if let Some(cwd) = &s.cwd {
            out.push_str(&format!("    cwd     = {}\n", value(cwd, false, origin)));
        }
        if let Some(url) = &s.url {
            out.push_str(&format!("    url     = {}\n", value(url, false, origin)));
        }
        if s.transport == Transport::Sse {
            out.push_str("    transport = sse\n");
        }
        for (block, entries) in [("env", &s.env), ("headers", &s.headers)] {
            if entries.is_empty() {
                continue;
            }
            out.push_str(&format!("    {block} {{\n"));
            for (k, v) in entries {
                let shown_key = if block == "headers" {
                    header_case(k)
                } else {
                    k.clone()
                };
                let rendered = if literal_secret(k, v) {
                    let var = var_name(&s.name, k);
                    warnings.push(format!("server `{}`: {block} `{shown_key}` held a literal secret; it is now `secret.{var}` (set {var} in the runtime's environment)", s.name));
                    if v.starts_with("Bearer ") {
                        format!("\"Bearer ${{secret.{var}}}\"")
                    } else {
                        format!("secret.{var}")
                    }
                } else {
                    value(
                        v,
                        block == "headers" && k.eq_ignore_ascii_case("authorization"),
                        origin,
                    )
                };
                out.push_str(&format!("      {} = {rendered}\n", key(&shown_key)));
            }
            out.push_str("    }\n");
        }
        match (&s.allow, &s.deny) {
            (None, None) => {}
            (allow, deny) => {
                let mut parts = Vec::new();
                if let Some(a) = allow {
                    parts.push(format!("allow = {}", list(a)));
                }
                if let Some(d) = deny {
                    parts.push(format!("deny = {}", list(d)));
                }
                out.push_str(&format!("    tools {{ {} }}\n", parts.join(" ")));
            }
        }
        if let Some(ms) = s.startup_timeout_ms {
            out.push_str(&format!("    startup_timeout = {}\n", duration(ms)));
        }
        if let Some(ms) = s.tool_timeout_ms {
            out.push_str(&format!("    tool_timeout = {}\n", duration(ms)));
        }
        if !s.enabled {
            out.push_str("    enabled = false\n");
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    Imported {
        text: out,
        warnings,
    }
}

/// `MAJOR.MINOR.PATCH` with an optional pre-release or build suffix.
fn is_semver(text: &str) -> bool {
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// `authorization` → `Authorization`, `x-tenant` → `X-Tenant` (readers
/// lower-case header names; HTTP does not care, people do).
fn header_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A field of the native file that the import does not carry: neither read
/// into the declaration nor expressible in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub server: String,
    pub field: String,
    /// 1-based line of the field in the native file, when found.
    pub line: Option<usize>,
}

/// A server entry whose transport field holds a value the runtime does not
/// know: its reader falls back on the entry's `url` or `command`, so the
/// declaration gets `read` as its transport, which may not be what the
/// file's author meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownTransport {
    pub server: String,
    pub field: &'static str,
    pub value: String,
    pub known: Vec<&'static str>,
    pub read: Transport,
    /// 1-based line of the field in the native file, when found.
    pub line: Option<usize>,
}

/// Every server entry of `text` (as `target`'s file) whose transport
/// field ([`crate::backends::Backend::transport_field`]) holds a value
/// `target` does not know.
pub fn unknown_transports(target: Target, text: &str) -> Vec<UnknownTransport> {
    let Some((field, known)) = target.backend().transport_field() else {
        return Vec::new();
    };
    let Ok(servers) = read_as(target, text) else {
        return Vec::new();
    };
    let Some((_, path, doc)) = servers_document(target, text) else {
        return Vec::new();
    };
    let Some(entries) = servers_map(&doc, path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, entry) in entries {
        let Some(value) = entry.get(field).and_then(Value::as_str) else {
            continue;
        };
        let Some(spec) = servers.iter().find(|s| s.name == *name) else {
            continue;
        };
        if !known.contains(&value) {
            out.push(UnknownTransport {
                server: name.clone(),
                field,
                value: value.to_owned(),
                known: known.clone(),
                read: spec.transport,
                line: line_of(text, name, field),
            });
        }
    }
    out
}

/// The file as a generic tree, in the syntax of `format`.
fn document(format: Format, text: &str) -> Option<Value> {
    match format {
        Format::Json | Format::Jsonc => crate::emit::json_with_comments(text).ok(),
        Format::Toml => toml::from_str(text).ok(),
        Format::Yaml => serde_norway::from_str(text).ok(),
    }
}

fn render(format: Format, doc: &Value) -> Option<String> {
    match format {
        Format::Json | Format::Jsonc => serde_json::to_string(doc).ok(),
        Format::Toml => toml::to_string(doc).ok(),
        Format::Yaml => serde_norway::to_string(doc).ok(),
    }
}

/// The file a backend reads its servers from, and where they are in it.
fn servers_file(target: Target) -> Option<(&'static ManagedFile, &'static [&'static str])> {
    let file = target.backend().managed_files().first()?;
    let path = file.owned.iter().find_map(|o| match o {
        Owned::Servers(path) => Some(*path),
        Owned::Items(_) | Owned::Inputs(_) => None,
    })?;
    Some((file, path))
}

/// `text` parsed as `target`'s servers file, with that file and the path
/// of its map of servers.
fn servers_document(
    target: Target,
    text: &str,
) -> Option<(&'static ManagedFile, &'static [&'static str], Value)> {
    let (file, path) = servers_file(target)?;
    Some((file, path, document(file.format, text)?))
}

/// The map of servers at `path` in `doc`.
fn servers_map<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a serde_json::Map<String, Value>> {
    path.iter()
        .try_fold(doc, |v, k| v.get(k))
        .and_then(Value::as_object)
}

/// What `target`'s reader makes of `text` as its servers file.
pub fn read_as(target: Target, text: &str) -> Result<Vec<ServerSpec>, String> {
    let (file, _) = servers_file(target).ok_or("no servers file")?;
    target
        .backend()
        .read(&|path: &str| (path == file.project_path).then(|| text.to_owned()))
}

/// Other values of the same kind, to tell a field the reader reads (some
/// change alters what it reads) from one it ignores (none does).
fn mutations(value: &Value) -> Vec<Option<Value>> {
    let mut out = vec![None];
    match value {
        Value::Bool(b) => out.push(Some(Value::Bool(!b))),
        Value::Number(n) => {
            let n = n.as_f64().unwrap_or(0.0);
            out.push(Some(serde_json::json!((n as u64).wrapping_add(7))));
        }
        Value::String(s) => {
            for other in [format!("{s}x"), "http".into(), "sse".into(), "stdio".into()] {
                out.push(Some(Value::String(other)));
            }
        }
        Value::Array(a) => {
            let mut longer = a.clone();
            longer.push(Value::String("mcpc-probe".into()));
            out.push(Some(Value::Array(longer)));
            out.push(Some(Value::Array(Vec::new())));
        }
        Value::Object(m) => {
            let mut wider = m.clone();
            wider.insert("MCPC_PROBE".into(), Value::String("x".into()));
            out.push(Some(Value::Object(wider)));
        }
        Value::Null => {}
    }
    out
}

/// Every field of every server entry that `target`'s reader does not read:
/// for each, no change of its value changes what is read. This asks the
/// reader itself, so it holds for every backend, present and future.
pub fn dropped_fields(target: Target, text: &str) -> Vec<Dropped> {
    let Some((file, path, doc)) = servers_document(target, text) else {
        return Vec::new();
    };
    let Ok(base) = read_as(target, text) else {
        return Vec::new();
    };
    let Some(entries) = servers_map(&doc, path) else {
        return Vec::new();
    };
    let entries: Vec<&String> = entries
        .iter()
        .filter(|(_, e)| e.is_object())
        .map(|(n, _)| n)
        .collect();
    let reads = |changed: &Value, name: &str, before: Option<&ServerSpec>| {
        let Some(text) = render(file.format, changed) else {
            return false;
        };
        match read_as(target, &text) {
            Ok(specs) => specs.iter().find(|s| s.name == name) != before,
            Err(_) => true,
        }
    };
    let mut out = Vec::new();
    for name in entries {
        let before = base.iter().find(|s| s.name == *name);
        let mut at: Vec<String> = path.iter().map(|k| (*k).to_owned()).collect();
        at.push(name.clone());
        let mut found = Vec::new();
        walk(
            &doc,
            &at,
            &mut Vec::new(),
            &mut |changed| reads(changed, name, before),
            &mut found,
        );
        for field in found {
            let last = field.rsplit('.').next().unwrap_or(&field).to_owned();
            out.push(Dropped {
                server: name.clone(),
                line: line_of(text, name, &last),
                field,
            });
        }
    }
    out
}

/// Walks the fields of the object at `entry` + `inner` in `doc`: a field no
/// change of which is read is pushed (dotted, below the entry); a field
/// that is read and holds an object is walked in turn (Hermes's
/// `tools.resources` beside the `tools.include` it reads).
fn walk(
    doc: &Value,
    entry: &[String],
    inner: &mut Vec<String>,
    reads: &mut dyn FnMut(&Value) -> bool,
    found: &mut Vec<String>,
) {
    let here: Vec<String> = entry.iter().chain(inner.iter()).cloned().collect();
    let Some(fields) = here
        .iter()
        .try_fold(doc, |v, k| v.get(k.as_str()))
        .and_then(Value::as_object)
    else {
        return;
    };
    for (field, value) in fields {
        let read = mutations(value).into_iter().any(|m| {
            let mut changed = doc.clone();
            let Some(at) = here
                .iter()
                .try_fold(&mut changed, |v, k| v.get_mut(k.as_str()))
                .and_then(Value::as_object_mut)
            else {
                return false;
            };
            match m {
                Some(v) => at.insert(field.clone(), v),
                None => at.remove(field),
            };
            reads(&changed)
        });
        if !read {
            let mut dotted = inner.clone();
            dotted.push(field.clone());
            found.push(dotted.join("."));
        } else if value.is_object() && inner.len() < 3 {
            inner.push(field.clone());
            walk(doc, entry, inner, reads, found);
            inner.pop();
        }
    }
}

/// The line of `field` in the entry of server `name`: the first line
/// naming the field after the first line naming the server.
fn line_of(text: &str, name: &str, field: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| names(l, name))?;
    (start..lines.len())
        .find(|&i| names(lines[i], field))
        .map(|i| i + 1)
}

/// Whether a line names `word` as a key: quoted, or bare and followed by
/// `=`, `:`, `.` or `]` (TOML and YAML), not as part of a longer word.
fn names(line: &str, word: &str) -> bool {
    let quoted = [format!("\"{word}\""), format!("'{word}'")];
    if quoted.iter().any(|q| line.contains(q.as_str())) {
        return true;
    }
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].trim_start().chars().next();
        !before.is_some_and(is_word) && matches!(after, Some('=' | ':' | '.' | ']'))
    })
}

/// JSON with trailing commas (`[1, 2,]`, `{"a": 1,}`) as strict JSON with
/// comments: what JSONC readers (VS Code, opencode, Zed) accept. Strings
/// and comments are left as they are.
pub fn without_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4);
            }
            b',' => {
                if matches!(next_token(text, i + 1), Some(b'}' | b']')) {
                    out.push_str(&text[last..i]);
                    out.push(' ');
                    last = i + 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[last.min(text.len())..]);
    out
}

/// The next byte after whitespace and comments.
fn next_token(text: &str, mut i: usize) -> Option<u8> {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4);
            }
            b => return Some(b),
        }
    }
    None
}

/// Which format a file is in, by what the readers make of it.
#[derive(Debug, PartialEq, Eq)]
pub enum Detected {
    One(Target),
    /// No reader finds a server in it.
    None,
    /// Several readers find servers; these (the file's name did not say).
    Several(Vec<Target>),
}

/// Detects the format of a file: every target whose reader finds servers
/// in it; among several, those whose own file has this file's name.
pub fn detect(file_name: &str, text: &str) -> Detected {
    let readers: Vec<Target> = Target::ALL
        .iter()
        .copied()
        .filter(|&t| read_as(t, &prepare(t, text)).is_ok_and(|s| !s.is_empty()))
        .collect();
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let named_by = |exact: bool| -> Vec<Target> {
        readers
            .iter()
            .copied()
            .filter(|t| {
                servers_file(*t).is_some_and(|(f, _)| {
                    let p = f.project_path;
                    if exact {
                        file_name == p || file_name.ends_with(&format!("/{p}"))
                    } else {
                        p.rsplit('/').next() == Some(base)
                    }
                })
            })
            .collect()
    };
    // The runtime's own path (`.gemini/settings.json`) decides before the
    // file's name alone (`settings.json`, which several runtimes use).
    let exact = named_by(true);
    let named = if exact.is_empty() {
        named_by(false)
    } else {
        exact
    };
    match (readers.as_slice(), named.as_slice()) {
        ([], _) => Detected::None,
        ([one], _) | (_, [one]) => Detected::One(*one),
        (_, []) => Detected::Several(readers),
        (_, several) => Detected::Several(several.to_vec()),
    }
}

/// The text as `target`'s reader should see it (JSON: trailing commas
/// accepted, as JSONC readers do).
pub fn prepare(target: Target, text: &str) -> String {
    match servers_file(target) {
        Some((f, _)) if matches!(f.format, Format::Json | Format::Jsonc) => {
            without_trailing_commas(text)
        }
        _ => text.to_owned(),
    }
}
