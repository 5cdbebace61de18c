//! `plaintext-secret` [deny]: a literal where a secret belongs.
//!
//! Fires on an env key or header name containing token, secret, password,
//! key, auth or credential with a literal value; on a literal `Cookie`
//! header; on `Bearer <literal>`; on a literal password in a URL's userinfo
//! (`https://deploy:pw@host`, `postgres://app:pw@db/app`, any scheme, in
//! any value); on the value of a secret flag in `args` (`--password VALUE`,
//! `--token=VALUE`, `--api-key`, `--secret`…); and on any literal shaped
//! like a known token (`ghp_`, `github_pat_`, `sk-`, `xox?-`, `AKIA`,
//! `AIza`, `glpat-`, JWTs).
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
/// Whether `name` holds one of [`SECRET_WORDS`], in any case (compared
/// in place: this runs for every env key and header of every server).
pub(crate) fn is_secret_name(name: &str) -> bool {
    let name = name.as_bytes();
    SECRET_WORDS.iter().any(|w| {
        name.windows(w.len())
            .any(|window| window.eq_ignore_ascii_case(w.as_bytes()))
    })
}

pub(super) fn check(server: &Server, sink: &mut Sink) {
    let f = &server.fields;
    // Each value still to look at, with the entry's key, if any, that
    // names the variable of a fix (worked out only for a fix).
    let mut shaped: Vec<(&Spanned<Str>, Option<&str>)> = Vec::new();
    for entries in [&f.env, &f.headers].into_iter().flatten() {
        for entry in &entries.value {
            if !secret_named(entry, sink) {
                shaped.push((&entry.value, Some(&entry.key.value)));
            }
        }
    }
    let mut flagged = Vec::new();
    if let Some(args) = &f.args {
        flagged = secret_flags(&args.value, sink);
    }
    if let Some(url) = &f.url
        && !url_userinfo(url, sink)
    {
        token_shaped(url, sink);
    }
    shaped.extend(f.command.iter().chain(&f.rare().cwd).map(|v| (v, None)));
    shaped.extend(
        f.args
            .iter()
            .flat_map(|a| &a.value)
            .filter(|a| !flagged.contains(&a.span))
            .map(|v| (v, None)),
    );
    for (value, key) in shaped {
        if !userinfo_password(value, key, sink) {
            token_shaped(value, sink);
        }
    }
}

/// The text of a value, each reference standing as a NUL (which source
/// text cannot hold).
fn with_holes(value: &Str) -> String {
    value
        .parts
        .iter()
        .map(|p| match p {
            Part::Lit(t) => t.as_str(),
            Part::Ref(_) => "\0",
        })
        .collect()
}

/// Where a literal password sits in the userinfo of a URL anywhere in the
/// value (`scheme://user:password@host…`): the scheme and the byte range in
/// [`with_holes`] text.
fn find_password(value: &Str) -> Option<(String, std::ops::Range<usize>)> {
    // A password in a URL ends at an `@` of the text itself (a reference
    // is a hole, never one): most values have none, and need no copy.
    let has_at = |p: &Part| matches!(p, Part::Lit(t) if t.contains('@'));
    if !value.parts.iter().any(has_at) {
        return None;
    }
    let text = with_holes(value);
    let mut offset = 0;
    while let Some(at) = text[offset..].find("://").map(|i| i + offset) {
        let scheme_start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let scheme = &text[scheme_start..at];
        let start = at + 3;
        let after = &text[start..];
        let authority = &after[..after
            .find(|c: char| "/?#".contains(c) || c.is_whitespace())
            .unwrap_or(after.len())];
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && let Some(colon) = userinfo.find(':')
            && colon + 1 < userinfo.len()
            && !userinfo[colon + 1..].contains('\0')
            && !scheme.is_empty()
        {
            let range = start + colon + 1..start + userinfo.len();
            return Some((scheme.to_owned(), range));
        }
        offset = start;
    }
    None
}

/// A literal password in a URL's userinfo in a value; the fix writes the
/// same value with `${secret.VAR}` in its place. Returns whether it reported.
fn userinfo_password(value: &Spanned<Str>, key: Option<&str>, sink: &mut Sink) -> bool {
    let Some((scheme, range)) = find_password(&value.value) else {
        return false;
    };
    let var = password_variable(key);
    let mut fixed = String::new();
    let mut pos = 0;
    for part in &value.value.parts {
        match part {
            Part::Lit(t) => {
                for (i, c) in t.char_indices() {
                    if pos + i == range.start {
                        fixed.push_str(&format!("${{secret.{var}}}"));
                    }
                    if !range.contains(&(pos + i)) {
                        fixed.push(c);
                    }
                }
                pos += t.len();
            }
            Part::Ref(r) => {
                fixed.push_str(&format!("${{{}}}", r.value.source_text()));
                pos += 1;
            }
        }
    }
    report(
        sink,
        value.span,
        &format!("a password is written in the user information of a `{scheme}://` URL"),
        &format!("`\"{fixed}\"`"),
    );
    true
}

/// The variable a fix moves a password to: `DB_PASSWORD` for the entry
/// `DB_URL` (or `db-dsn`), `PASSWORD` for a value that has no key.
fn password_variable(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "PASSWORD".to_owned();
    };
    let key = key.to_ascii_uppercase().replace('-', "_");
    let stem = ["_URL", "_URI", "_DSN"]
        .iter()
        .find_map(|s| key.strip_suffix(s))
        .unwrap_or(&key);
    format!("{stem}_PASSWORD")
}

/// A server URL with a literal password in its userinfo: a URL cannot
/// carry one (`invalid-value` refuses userinfo); the fix is a header.
fn url_userinfo(url: &Spanned<Str>, sink: &mut Sink) -> bool {
    if find_password(&url.value).is_none() {
        return false;
    }
    report(
        sink,
        url.span,
        "a password is written in the user information of the server URL",
        "drop `user:password@` from the URL and send the credential in a header: \
         `headers { Authorization = \"Basic ${secret.CREDENTIALS}\" }`",
    );
    true
}

/// Flags whose value is a secret: `--password`, `--token`, `--api-key`,
/// `--secret`, `--client-secret`…, not `--token-file` or `--secret-name`.
fn secret_flag(arg: &str) -> Option<String> {
    let name = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-'))?;
    let lower = name.to_ascii_lowercase().replace('_', "-");
    let secret = ["password", "passwd", "token", "secret", "api-key", "apikey"]
        .iter()
        .any(|w| lower.contains(w));
    let names_a_place = [
        "file", "path", "dir", "env", "var", "name", "url", "id", "type", "cmd", "command",
    ]
    .iter()
    .any(|w| lower.rsplit('-').next() == Some(w));
    (secret && !names_a_place && !lower.is_empty())
        .then(|| lower.replace('-', "_").to_ascii_uppercase())
}

/// `--password VALUE` and `--password=VALUE` with a literal value: reports
/// each and returns the spans reported.
fn secret_flags(args: &[Spanned<Str>], sink: &mut Sink) -> Vec<Span> {
    let mut reported = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        // With references (`--password=${secret.X}`-style), only the
        // literal part after `=` can be a secret: holes are NULs.
        let literal = arg.value.as_literal();
        let text = literal
            .clone()
            .unwrap_or_else(|| with_holes(&arg.value).into());
        if let Some((flag, value)) = text.split_once('=') {
            if let Some(var) = secret_flag(flag)
                && (literal.is_some() || !value.contains('\0'))
                && looks_secret(value)
            {
                report_flag(
                    sink,
                    arg.span,
                    flag,
                    &format!("`\"{flag}=${{secret.{var}}}\"`"),
                );
                reported.push(arg.span);
            }
            continue;
        }
        let Some(text) = literal else {
            continue;
        };
        let Some(var) = secret_flag(&text) else {
            continue;
        };
        let Some(next) = args.get(i + 1) else {
            continue;
        };
        if let Some(value) = next.value.as_literal()
            && !value.starts_with('-')
            && looks_secret(&value)
        {
            report_flag(
                sink,
                next.span,
                &text,
                &format!("`\"{text}\", \"${{secret.{var}}}\"`"),
            );
            reported.push(next.span);
        }
    }
    reported
}

fn report_flag(sink: &mut Sink, span: Span, flag: &str, fix: &str) {
    report(
        sink,
        span,
        &format!("the value of `{flag}` is a literal secret"),
        fix,
    );
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
    let named = (is_secret_name(key) || key.eq_ignore_ascii_case("cookie")) && looks_secret(&text);
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
    // The shortest token below is a JWT of three 4-byte parts: most words
    // are shorter and need no comparison.
    if word.len() < SHORTEST_TOKEN {
        return false;
    }
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

/// The length of the shortest word [`is_token`] accepts (`eyJx.eyJx.abcd`).
const SHORTEST_TOKEN: usize = 14;

fn is_jwt(word: &str) -> bool {
    let mut parts = word.split('.');
    let mut part = |header: bool| {
        parts
            .next()
            .is_some_and(|p| p.len() >= 4 && (!header || p.starts_with("eyJ")))
    };
    part(true) && part(true) && part(false) && parts.next().is_none()
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
    use super::{SHORTEST_TOKEN, is_secret_name, is_token, secret_flag};

    #[test]
    fn secret_names_are_found_in_any_case() {
        for name in [
            "GITHUB_TOKEN",
            "x-api-key",
            "Authorization",
            "db_Passwd",
            "SECRET",
            "Credentials",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["", "PATH", "HOME", "x-request-id", "ke", "tokn"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_flags_name_secrets_not_places() {
        for (flag, var) in [
            ("--password", "PASSWORD"),
            ("--token", "TOKEN"),
            ("--api-key", "API_KEY"),
            ("--client_secret", "CLIENT_SECRET"),
            ("-passwd", "PASSWD"),
        ] {
            assert_eq!(secret_flag(flag).as_deref(), Some(var), "{flag}");
        }
        for flag in [
            "--token-file",
            "--secret-name",
            "--api-key-env",
            "--verbose",
            "token",
            "--",
        ] {
            assert_eq!(secret_flag(flag), None, "{flag}");
        }
    }

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
            "eyJx.eyJx.abcd.eyJx",
            "eyJx.abcd.eyJx",
        ] {
            assert!(!is_token(t), "{t}");
        }
    }

    #[test]
    fn the_shortest_token_of_each_kind_is_not_cut_by_the_length_gate() {
        let shortest = [
            "ghp_01234567890123456789",
            "sk-0123456789abcdef",
            "glpat-0123456789abcdef",
            "xoxb-0123456789",
            "AKIA0123456789ABCDEF",
            "eyJx.eyJx.abcd",
        ];
        for t in shortest {
            assert!(is_token(t), "{t}");
            assert!(!is_token(&t[..t.len() - 1]), "{t} less its last byte");
        }
        assert_eq!(shortest.iter().map(|t| t.len()).min(), Some(SHORTEST_TOKEN));
    }
}
