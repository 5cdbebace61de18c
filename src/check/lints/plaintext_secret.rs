//! `plaintext-secret` [deny]: a literal where a secret belongs.
//!
//! Fires on an env key or header name containing token, secret, password,
//! key, auth or credential with a literal value; on `Bearer <literal>`; and
//! on any literal shaped like a known token (`ghp_`, `github_pat_`, `sk-`,
//! `xox?-`, `AKIA`, `AIza`, `glpat-`, JWTs).
//!
//! Why: configuration files are committed, copied and logged.
//! Example: `env { GITHUB_TOKEN = "ghp_…" }`.
//! Instead: `env { GITHUB_TOKEN = secret.GITHUB_TOKEN }`.

use crate::diag::{Code, Diagnostic, Sink};
use crate::ir::{Entry, Part, Server, Str};
use crate::source::{Span, Spanned};

const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "key",
    "auth",
    "credential",
];

/// A name that says its value is a secret (`GITHUB_TOKEN`, `X-Api-Key`).
pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
}

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let f = &server.fields;
    let mut shaped = Vec::new();
    for entries in [&f.env, &f.headers].into_iter().flatten() {
        for entry in &entries.value {
            if !secret_named(entry, sink) {
                shaped.push(&entry.value);
            }
        }
    }
    shaped.extend(f.command.iter().chain(&f.cwd).chain(&f.url));
    shaped.extend(f.args.iter().flat_map(|a| &a.value));
    for value in shaped {
        token_shaped(value, sink);
    }
}

/// A literal under a secret-sounding name, or `Bearer <literal>`. Returns
/// whether it reported.
fn secret_named(entry: &Entry, sink: &mut Sink) -> bool {
    let key = &entry.key.value;
    let Some(text) = entry.value.value.as_literal() else {
        return false;
    };
    let bearer = text
        .strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    let named = is_secret_name(key) && looks_secret(&text);
    if !(bearer || named) {
        return false;
    }
    let var = key.to_ascii_uppercase().replace('-', "_");
    let fix = if bearer {
        format!("`{key} = \"Bearer ${{secret.{var}}}\"`")
    } else {
        format!("`{key} = secret.{var}`")
    };
    report(
        sink,
        entry.value.span,
        &format!("`{key}` is set to a literal secret"),
        &fix,
    );
    true
}

/// Values such as URLs, booleans and numbers are not secrets even under a
/// secret-sounding name (`AUTH_URL`, `KEY_COUNT`).
fn looks_secret(text: &str) -> bool {
    !(text.is_empty()
        || text.contains("://")
        || text.bytes().all(|b| b.is_ascii_digit())
        || matches!(text, "true" | "false" | "none" | "oauth"))
}

fn token_shaped(value: &Spanned<Str>, sink: &mut Sink) {
    for part in &value.value.parts {
        let Part::Lit(text) = part else { continue };
        if let Some(word) = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
            .find(|w| is_token(w))
        {
            let kind: String = word.chars().take(4).collect();
            report(
                sink,
                value.span,
                &format!("a literal token (`{kind}…`) is written in the source"),
                "`secret.NAME`, and set NAME in the runtime's environment",
            );
            return;
        }
    }
}

/// A word shaped like a known token (`ghp_…`, `sk-…`, a JWT…).
pub(crate) fn is_token(word: &str) -> bool {
    let tail = |prefix: &str, min: usize| {
        word.strip_prefix(prefix).is_some_and(|t| {
            t.len() >= min
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
    };
    let slack = word.len() > 5
        && word.starts_with("xox")
        && word.as_bytes()[4] == b'-'
        && word.as_bytes()[3].is_ascii_lowercase()
        && word.len() >= 15;
    tail("ghp_", 20)
        || tail("gho_", 20)
        || tail("ghs_", 20)
        || tail("github_pat_", 20)
        || tail("sk-", 16)
        || tail("glpat-", 16)
        || tail("AIza", 30)
        || (word.len() == 20
            && word.starts_with("AKIA")
            && word
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
        || slack
        || is_jwt(word)
}

fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[1].starts_with("eyJ")
        && parts.iter().all(|p| p.len() >= 4)
}

fn report(sink: &mut Sink, span: Span, message: &str, fix: &str) {
    sink.push(
        Diagnostic::new(Code::PlaintextSecret, span, message)
            .with_label("secret in plain text")
            .with_help(format!("reference it instead: {fix}")),
    );
}

#[cfg(test)]
mod tests {
    use super::is_token;

    #[test]
    fn token_shapes() {
        for t in [
            "ghp_0123456789abcdefghijABCD",
            "github_pat_11ABCDEFG0123456789_abcdef",
            "sk-proj-abcdefghijklmnop",
            "xoxb-1234567890-abcdef",
            "AKIAIOSFODNN7EXAMPLE",
            "AIzaSyA-abcdefghijklmnopqrstuvwxyz01",
            "glpat-abcdefghijklmnop1234",
            "eyJhbGciOi.eyJzdWIiOi.SflKxwRJSM",
        ] {
            assert!(is_token(t), "{t}");
        }
        for t in [
            "sk-short",
            "task-runner",
            "ghp_",
            "AKIA",
            "eyJ.eyJ.x",
            "skeleton-key-holder",
        ] {
            assert!(!is_token(t), "{t}");
        }
    }
}
