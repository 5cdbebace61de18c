//! Native configuration back to `.mcpc` source (`mcpc import`). IO-free: the
//! CLI reads the file with the target's backend and prints what this makes.
//!
//! A variable reference `${X}` becomes `env.X`, or `secret.X` when its name
//! or its place (an `Authorization` header) says it is sensitive. A literal
//! that looks like a secret becomes `secret.NAME` and a warning, so the
//! migrated source starts clean; its value is never printed.

use crate::backends::{ServerSpec, Target};
use crate::ir::Transport;

pub struct Imported {
    pub text: String,
    /// One line per literal secret replaced by a reference.
    pub warnings: Vec<String>,
}

fn sensitive(name: &str) -> bool {
    crate::check::lints::plaintext_secret::is_secret_name(name)
}

/// A string literal in mcpc syntax, `$` escaped.
fn quote(text: &str) -> String {
    let json = serde_json::to_string(text).expect("strings serialize");
    json.replace('$', "\\$")
}

/// A neutral value (`${X}` for variables) in mcpc syntax.
fn value(text: &str, secret: bool) -> String {
    let ns = if secret { "secret" } else { "env" };
    if let Some(name) = whole_var(text) {
        return format!(
            "{}.{name}",
            if secret || sensitive(name) {
                "secret"
            } else {
                ns
            }
        );
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
        match inner.split_once(":-") {
            Some((name, default)) => out.push_str(&format!("${{env.{name}:-{default}}}")),
            None => out.push_str(&format!(
                "${{{}.{inner}}}",
                if secret || sensitive(inner) {
                    "secret"
                } else {
                    "env"
                }
            )),
        }
        rest = &rest[start + len + 1..];
    }
    let literal = quote(rest);
    out.push_str(&literal[1..literal.len() - 1]);
    out.push('"');
    out
}

fn whole_var(text: &str) -> Option<&str> {
    let name = text.strip_prefix("${")?.strip_suffix('}')?;
    (!name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit()))
    .then_some(name)
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
    base.to_ascii_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
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

pub fn to_source(plugin: &str, from: Target, file: &str, servers: &[ServerSpec]) -> Imported {
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
        "// Imported from {file} ({from}) by `mcpc import`.\nplugin {} {{\n  version = \"0.1.0\"\n  // Built for the runtime it came from; widen once `mcpc check` agrees.\n  targets = [\"{from}\"]\n",
        quote(plugin)
    );
    for s in servers {
        out.push_str(&format!("\n  server {} {{\n", quote(&s.name)));
        if let Some(command) = &s.command {
            out.push_str(&format!("    command = {}\n", value(command, false)));
        }
        if !s.args.is_empty() {
            let args: Vec<String> = s.args.iter().map(|a| value(a, false)).collect();
            out.push_str(&format!("    args    = [{}]\n", args.join(", ")));
        }
        if let Some(cwd) = &s.cwd {
            out.push_str(&format!("    cwd     = {}\n", value(cwd, false)));
        }
        if let Some(url) = &s.url {
            out.push_str(&format!("    url     = {}\n", value(url, false)));
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
