//! `mcpc lock`: resolves every `registry { … }` reference of the unit
//! against its registry and writes `mcpc.lock` beside the unit; and the
//! registry client `mcpc import --registry` shares.
//!
//! Every way a fetch fails is its own code, with the URL and what to do.
//! Nothing is written unless every reference resolved. Fetched entries are
//! kept in a content-addressed cache (`$XDG_CACHE_HOME/mcpc/registry`), so a
//! second `lock` of the same versions needs no network, and `--offline`
//! uses the lock and the cache only.

use super::files::{read_lock, unit_dir, write_atomic};
use super::{FAILED, Input, OK, UsageError};
use crate::diag::{self, Code, Diagnostic};
use crate::registry::lock::{
    self, DEFAULT_REGISTRY, LOCK_FILE, Lock, LockEntry, Reference, trim_base,
};
use clap::Args;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub(crate) struct LockArgs {
    #[command(flatten)]
    input: Input,
    /// The registry's base URL for references whose plugin names none (default: the official MCP Registry)
    #[arg(long, value_name = "URL")]
    registry: Option<String>,
    /// Write nothing; exit 1 when `mcpc.lock` does not match the source (never uses the network)
    #[arg(long)]
    check: bool,
    /// Use only `mcpc.lock` and the cache; never the network
    #[arg(long)]
    offline: bool,
    /// Longest a request to the registry may take, connection included (`30s`, `500ms`, `2m`)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
}

pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as `30s`, `500ms` or `2m`"))?;
    let ms = match &text[digits.len()..] {
        "ms" => n,
        "s" | "" => n.saturating_mul(1000),
        "m" => n.saturating_mul(60_000),
        _ => return Err(format!("`{text}`: the units are `ms`, `s` and `m`")),
    };
    if ms == 0 {
        return Err("a timeout of zero allows no request".to_owned());
    }
    Ok(Duration::from_millis(ms))
}

/// A base URL given on the command line, checked as a plugin's is.
pub(crate) fn checked_base(url: &str) -> Result<String, UsageError> {
    let parsed = crate::ir::url::parse(url).map_err(|why| {
        UsageError(format!(
            "`--registry {url}` is not a registry base URL: {why}"
        ))
    })?;
    if url.contains(['?', '#']) {
        return Err(UsageError(format!(
            "`--registry {url}` has a query or fragment; give the base URL only"
        )));
    }
    if parsed.scheme == "http" && !crate::ir::url::is_loopback(&parsed.host) {
        return Err(UsageError(format!(
            "`--registry {url}`: a registry is reached over `https://` (`http://` on a loopback host only)"
        )));
    }
    Ok(trim_base(url).to_owned())
}

pub(crate) fn run(args: LockArgs) -> Result<u8, UsageError> {
    let flag_base = args.registry.as_deref().map(checked_base).transpose()?;
    let mut sources = args.input.sources()?;
    let dir = unit_dir(&args.input.paths);
    let lock_path = dir.join(LOCK_FILE);
    let shown = lock_path
        .strip_prefix("./")
        .unwrap_or(&lock_path)
        .display()
        .to_string();
    let (unit, sink) = crate::lower_unit(&sources);
    if sink.has_hard_errors() {
        for &span in sink.sensitive() {
            sources.mask(span);
        }
        let diagnostics = sink.finish(&args.input.levels()?);
        args.input.report(&sources, &diagnostics);
        return Ok(FAILED);
    }
    let refs = lock::references(&unit);
    let existing_text = read_lock(&dir)?.map(|l| l.text);
    let existing = existing_text.as_deref().and_then(|t| Lock::parse(t).ok());
    let client = Client::new(args.timeout);
    let cache = Cache::locate();
    let mut diagnostics = Vec::new();
    let mut entries: Vec<LockEntry> = Vec::new();
    let mut fetched: Vec<LockEntry> = Vec::new();
    let (mut kept, mut from_cache) = (0, 0);
    for r in &refs {
        if let Some(e) = entries
            .iter()
            .find(|e| e.name == r.name && e.requested == r.requested)
        {
            // One entry per name and version: a second registry for the
            // same pair would fail every build with `lock-mismatch`.
            if let Some(base) = &r.registry
                && trim_base(base) != trim_base(&e.registry)
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::LockMismatch,
                        r.span,
                        format!(
                            "`{}@{}` is referenced from two registries, {} and {base}, and `mcpc.lock` holds one entry per name and version",
                            r.name, r.requested, e.registry
                        ),
                    )
                    .with_label("another registry than an earlier reference's")
                    .with_help("have the plugins name the same `registry`, or reference another version from one of them"),
                );
            }
            continue;
        }
        let old = existing
            .as_ref()
            .and_then(|l| l.find(&r.name, &r.requested));
        let base = r
            .registry
            .as_deref()
            .or(flag_base.as_deref())
            .or(old.map(|e| e.registry.as_str()))
            .map(|b| trim_base(b).to_owned())
            .unwrap_or_else(|| DEFAULT_REGISTRY.to_owned());
        let same_origin = old.filter(|e| trim_base(&e.registry) == base);
        if let Some(e) = same_origin.filter(|e| e.intact()) {
            entries.push(e.clone());
            kept += 1;
            continue;
        }
        if args.check {
            diagnostics.push(check_problem(r, old, &base));
            continue;
        }
        let cached = cache
            .as_ref()
            .and_then(|c| c.get(&base, &r.name, &r.requested));
        let entry = match cached {
            Some(entry) => {
                from_cache += 1;
                entry
            }
            None if args.offline => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::RegistryNotCached,
                        r.span,
                        format!(
                            "`{}@{}` from {base} is not in the cache, and `--offline` forbids fetching it",
                            r.name, r.requested
                        ),
                    )
                    .with_label("not in `mcpc.lock` or the cache")
                    .with_help("run `mcpc lock` once with network access; later runs of the same versions need none"),
                );
                continue;
            }
            None => match client.entry(&base, &r.name, &r.requested) {
                Ok(entry) => {
                    fetched.push(entry.clone());
                    entry
                }
                Err(failure) => {
                    diagnostics.push(failure.at(r.span));
                    continue;
                }
            },
        };
        // The lock records what was served; the same version must not
        // change under it.
        if let Some(old) = same_origin
            && old.sha256 != entry.sha256
        {
            diagnostics.push(
                Diagnostic::new(
                    Code::LockDigestMismatch,
                    r.span,
                    format!(
                        "{} serves content whose sha256 is {}, but `mcpc.lock` recorded {} for `{}@{}`",
                        Client::url(&base, &r.name, &r.requested),
                        entry.sha256,
                        old.sha256,
                        r.name,
                        r.requested
                    ),
                )
                .with_label("locked with other content")
                .with_help("find out why the published entry changed; to accept what it serves now, delete the entry from `mcpc.lock` and run `mcpc lock` again"),
            );
            continue;
        }
        entries.push(entry);
    }
    let new = Lock::new(entries);
    if let Some(old) = &existing {
        for e in &old.entries {
            if args.check && new.find(&e.name, &e.requested).is_none() {
                let at = refs
                    .first()
                    .map(|r| r.span)
                    .or_else(|| unit.plugins.first().map(|p| p.name.span));
                if let Some(at) = at {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::LockMismatch,
                            at,
                            format!(
                                "`{LOCK_FILE}` holds `{}@{}`, which no server of the unit references",
                                e.name, e.requested
                            ),
                        )
                        .with_label("the lock does not match the source")
                        .with_help("run `mcpc lock` to write the lock again from the source"),
                    );
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        args.input.report(&sources, &diagnostics);
        eprintln!("{shown}: nothing written");
        return Ok(FAILED);
    }
    let text = new.render();
    if args.check {
        return Ok(match existing_text.as_deref() {
            Some(old) if old == text => {
                eprintln!("{shown} matches the source ({} entries)", new.entries.len());
                OK
            }
            None if refs.is_empty() => {
                eprintln!("no registry references; no lock needed");
                OK
            }
            Some(_) if existing.is_none() => {
                eprintln!(
                    "error[{}]: `{shown}` cannot be read as a lock\nhelp: run `mcpc lock` to write it again",
                    Code::LockMismatch
                );
                FAILED
            }
            None => {
                eprintln!(
                    "error[{}]: there is no `{shown}`\nhelp: run `mcpc lock` and commit the lock",
                    Code::LockMissing
                );
                FAILED
            }
            Some(_) => {
                eprintln!(
                    "error[{}]: `{shown}` is not as `mcpc lock` writes it\nhelp: run `mcpc lock` to write it again",
                    Code::LockMismatch
                );
                FAILED
            }
        });
    }
    if refs.is_empty() && existing_text.is_none() {
        eprintln!("no registry references; nothing to lock");
        return Ok(OK);
    }
    if let Some(cache) = &cache {
        for entry in &fetched {
            if let Err(e) = cache.put(entry) {
                eprintln!("warning: the registry cache was not updated: {e}");
            }
        }
    }
    if existing_text.as_deref() != Some(text.as_str()) {
        write_atomic(&lock_path, text.as_bytes())?;
    }
    eprintln!(
        "{shown}: {} entr{} ({} fetched, {from_cache} from the cache, {kept} kept)",
        new.entries.len(),
        if new.entries.len() == 1 { "y" } else { "ies" },
        fetched.len()
    );
    Ok(OK)
}

/// Why `lock --check` finds no usable entry for `r`.
fn check_problem(r: &Reference, old: Option<&LockEntry>, base: &str) -> Diagnostic {
    let (code, message) = match old {
        None => (
            Code::LockMissing,
            format!(
                "`{LOCK_FILE}` has no entry for `{}@{}`",
                r.name, r.requested
            ),
        ),
        Some(e) if trim_base(&e.registry) != base => (
            Code::LockMismatch,
            format!(
                "`{}@{}` is locked from {}, but is to be resolved against {base}",
                r.name, r.requested, e.registry
            ),
        ),
        Some(_) => (
            Code::LockDigestMismatch,
            format!(
                "the entry of `{}@{}` in `{LOCK_FILE}` is not what its sha256 says: the lock was edited or damaged",
                r.name, r.requested
            ),
        ),
    };
    Diagnostic::new(code, r.span, message)
        .with_label("the lock does not match the source")
        .with_help("run `mcpc lock` to update the lock, review its diff and commit it")
}

/// A fetch that failed: its code, message and help, placed at a
/// reference when there is one.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: Code,
    pub message: String,
    pub help: String,
}

impl Failure {
    fn new(code: Code, message: String, help: impl Into<String>) -> Failure {
        Failure {
            code,
            message,
            help: help.into(),
        }
    }

    fn at(self, span: crate::source::Span) -> Diagnostic {
        Diagnostic::new(self.code, span, self.message)
            .with_label("this registry entry")
            .with_help(self.help)
    }

    /// As `main` prints a usage error, for commands without a source.
    pub(crate) fn render(&self) -> String {
        format!(
            "error[{}]: {}\nhelp: {}",
            self.code,
            diag::sanitize(&self.message),
            self.help
        )
    }
}

/// The most a registry answer may weigh.
const BODY_CAP: u64 = 8 << 20;
/// Redirects followed within one origin.
const MAX_REDIRECTS: usize = 5;

/// An HTTP client for the registry API: the whole request within
/// `timeout`, `HTTPS_PROXY`/`NO_PROXY` honoured, redirects followed only
/// within the same origin.
pub(crate) struct Client {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Client {
    pub(crate) fn new(timeout: Duration) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .user_agent(concat!("mcpc/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client { agent, timeout }
    }

    /// `GET {base}/v0.1/servers/{name}/versions/{version}`, name and version
    /// percent-encoded.
    pub(crate) fn url(base: &str, name: &str, version: &str) -> String {
        format!(
            "{}/v0.1/servers/{}/versions/{}",
            trim_base(base),
            encode(name),
            encode(version)
        )
    }

    /// The entry `name@version` of the registry at `base`, checked.
    pub(crate) fn entry(
        &self,
        base: &str,
        name: &str,
        version: &str,
    ) -> Result<LockEntry, Failure> {
        let first = Client::url(base, name, version);
        let mut url = first.clone();
        let mut hops = 0;
        let mut response = loop {
            let response = self
                .agent
                .get(&url)
                .header("accept", "application/json")
                .call()
                .map_err(|e| self.transport_failure(&url, e))?;
            let status = response.status().as_u16();
            if !(300..400).contains(&status) {
                break response;
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url::Url::parse(&url).ok()?.join(l).ok());
            let Some(next) = location else {
                return Err(Failure::new(
                    Code::RegistryHttpError,
                    format!("{url} answered HTTP {status}, a redirect without a usable `Location`"),
                    "check the registry's base URL",
                ));
            };
            let origin = |u: &str| {
                url::Url::parse(u).ok().map(|u| {
                    (
                        u.scheme().to_owned(),
                        u.host_str().map(str::to_owned),
                        u.port_or_known_default(),
                    )
                })
            };
            if origin(next.as_str()) != origin(&url) {
                let host = next.host_str().unwrap_or_default().to_owned();
                return Err(Failure::new(
                    Code::RegistryRedirect,
                    format!(
                        "{url} redirects to another host, {}; mcpc does not follow it",
                        next.origin().ascii_serialization()
                    ),
                    format!(
                        "if you trust {host}, name it as the registry: `--registry {}` or `registry = \"{}\"` in the plugin",
                        next.origin().ascii_serialization(),
                        next.origin().ascii_serialization()
                    ),
                ));
            }
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(Failure::new(
                    Code::RegistryHttpError,
                    format!("{first} redirects more than {MAX_REDIRECTS} times"),
                    "check the registry's base URL",
                ));
            }
            url = next.to_string();
        };
        let status = response.status();
        if status.as_u16() == 404 {
            return Err(Failure::new(
                Code::RegistryVersionNotFound,
                format!("the registry has no `{name}` version `{version}` (HTTP 404 from {url})"),
                format!(
                    "check the name and version against the registry's listing (`GET {}/v0.1/servers?search={}`)",
                    trim_base(base),
                    encode(name.rsplit('/').next().unwrap_or(name))
                ),
            ));
        }
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or_default();
            return Err(Failure::new(
                Code::RegistryHttpError,
                format!("{url} answered HTTP {} {reason}", status.as_u16()),
                if status.is_server_error() {
                    "a 5xx is the registry's problem: try again later"
                } else if matches!(status.as_u16(), 401 | 403) {
                    "the registry wants credentials mcpc does not send: use a registry (or a mirror) that serves its entries openly"
                } else {
                    "check the registry's base URL (`--registry` or the plugin's `registry = …`)"
                },
            ));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_CAP)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => Failure::new(
                    Code::RegistryNotJson,
                    format!("{url} answered with more than {} MiB", BODY_CAP >> 20),
                    "a registry entry is a few KiB: check the registry's base URL",
                ),
                e => self.transport_failure(&url, e),
            })?;
        let not_api = "check that the base URL is the registry's API (it answers `GET {base}/v0.1/servers/{name}/versions/{version}` with `{\"server\": …}`)";
        let answer: Value = serde_json::from_slice(&body).map_err(|e| {
            Failure::new(
                Code::RegistryNotJson,
                format!("{url} did not answer with JSON: {e}"),
                not_api,
            )
        })?;
        let Some(server) = answer.get("server").filter(|s| s.is_object()) else {
            return Err(Failure::new(
                Code::RegistryNotJson,
                format!(
                    "{url} answered with JSON that has no `server` object (not the registry API's answer)"
                ),
                not_api,
            ));
        };
        let invalid = |why: String| {
            Failure::new(
                Code::RegistryInvalidEntry,
                format!("{url} answered with an entry that is not a valid server.json: {why}"),
                "the registry serves a broken entry: report it to its publisher; mcpc locks only valid entries",
            )
        };
        let doc = lock::validate(server).map_err(invalid)?;
        if doc.name != name {
            return Err(invalid(format!(
                "it is the entry `{}`, not `{name}`",
                doc.name
            )));
        }
        if version != "latest" && doc.version != version {
            return Err(invalid(format!(
                "it is version `{}`, not `{version}`",
                doc.version
            )));
        }
        Ok(LockEntry {
            name: name.to_owned(),
            requested: version.to_owned(),
            version: doc.version,
            registry: trim_base(base).to_owned(),
            sha256: lock::digest(server),
            server: server.clone(),
        })
    }

    fn transport_failure(&self, url: &str, e: ureq::Error) -> Failure {
        match e {
            ureq::Error::Timeout(_) => Failure::new(
                Code::RegistryTimeout,
                format!("{url} did not answer within {}", show(self.timeout)),
                format!(
                    "try again, or allow more time with `--timeout {}`",
                    show(self.timeout * 2)
                ),
            ),
            e => Failure::new(
                Code::RegistryUnreachable,
                format!("cannot reach {url}: {e}"),
                "check the registry URL and your network (`HTTPS_PROXY`, `NO_PROXY`); `mcpc lock --offline` uses only the cache",
            ),
        }
    }
}

fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Percent-encodes all but the unreserved characters (RFC 3986), so a
/// name's `/` is `%2F`.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The registry cache: `objects/<sha256>.json` holds an entry (its
/// canonical JSON hashes to the name), `index/<key>` the sha256 a registry served for a name and exact
/// version (`latest` is not indexed: it moves). Everything read from it is
/// checked against its digest; a damaged file is a miss.
pub(crate) struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// `$XDG_CACHE_HOME/mcpc/registry`, else `~/.cache/mcpc/registry`.
    pub(crate) fn locate() -> Option<Cache> {
        let root = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|h| h.join(".cache"))
            })?;
        Some(Cache {
            dir: root.join("mcpc").join("registry"),
        })
    }

    fn key(base: &str, name: &str, version: &str) -> String {
        let text = format!("{}\n{name}\n{version}", trim_base(base));
        lock::hex(&Sha256::digest(text.as_bytes()))
    }

    pub(crate) fn get(&self, base: &str, name: &str, version: &str) -> Option<LockEntry> {
        if version == "latest" {
            return None;
        }
        let index = self.dir.join("index").join(Cache::key(base, name, version));
        let sha = fs::read_to_string(index).ok()?;
        let sha = sha.trim();
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let bytes = fs::read(self.dir.join("objects").join(format!("{sha}.json"))).ok()?;
        if bytes.len() as u64 > BODY_CAP {
            return None;
        }
        let server: Value = serde_json::from_slice(&bytes).ok()?;
        if lock::digest(&server) != sha {
            return None;
        }
        let doc = lock::validate(&server).ok()?;
        (doc.name == name && doc.version == version).then(|| LockEntry {
            name: name.to_owned(),
            requested: version.to_owned(),
            version: doc.version,
            registry: trim_base(base).to_owned(),
            sha256: sha.to_owned(),
            server,
        })
    }

    pub(crate) fn put(&self, entry: &LockEntry) -> Result<(), String> {
        let object = self
            .dir
            .join("objects")
            .join(format!("{}.json", entry.sha256));
        // As served (its key order is the lock's); addressed by the digest
        // of its canonical form.
        let bytes = serde_json::to_vec(&entry.server).map_err(|e| e.to_string())?;
        write_atomic(&object, &bytes).map_err(|e| e.0)?;
        if entry.requested != "latest" {
            let index = self.dir.join("index").join(Cache::key(
                &entry.registry,
                &entry.name,
                &entry.requested,
            ));
            write_atomic(&index, format!("{}\n", entry.sha256).as_bytes()).map_err(|e| e.0)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_as_one_path_segment() {
        assert_eq!(encode("io.github.acme/github"), "io.github.acme%2Fgithub");
        assert_eq!(
            Client::url("https://r.example/", "a.b/c", "1.0.0+x"),
            "https://r.example/v0.1/servers/a.b%2Fc/versions/1.0.0%2Bx"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("fast").is_err());
    }
}
