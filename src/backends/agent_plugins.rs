//! Agent Plugins v1: a root `plugin.json` and `mcp.json`, the cross-vendor
//! package format that Qwen Code (0.24.4) and Codex (0.169.0) read
//! natively. RUNTIMES.md §13.
//!
//! Both runtimes read these files *instead of* their own: with a root
//! `plugin.json` in the package, Qwen ignores `qwen-extension.json`, and
//! Codex takes its servers from `mcp.json`, keeping of `codex.mcp.json`
//! only `env_vars` (run here, both 0.24.4 and 0.169.0). So the pair is
//! written only when it says everything the source says, for every
//! runtime of the build that reads it, and byte for byte the same for all
//! of them; otherwise it is left out with a `lossy-lowering` warning at
//! the span of what it cannot say, and each runtime installs the package
//! from its own files, which lose nothing. The pair belongs to no single
//! target: it is written once per plugin, attributed in
//! `mcpc-delivery.json` to the first reader in the build.
//!
//! Agent Plugins v1 has no environment reference, no timeouts, no tool
//! filters, no disabled servers and no SSE; a `command` is a bare program
//! name or a `./` path inside the plugin; `cwd` is `./…`,
//! `${PLUGIN_ROOT}…` or `${PLUGIN_DATA}…`; `${PLUGIN_ROOT}` and
//! `${PLUGIN_DATA}` are expanded in `args`, `env` and `cwd` only; a URL is
//! https (http on loopback only) without user information or fragment;
//! headers the client owns (`Authorization`, …) are dropped by the readers,
//! as remote sign-in is the client's OAuth.

use super::lowering::Cx;
use super::{Emit, Mode, OutFile, Plan, Target, selected_plugins};
use crate::diag::{LintLevels, Sink};
use crate::emit;
use crate::ir::{Part, Plugin, Ref, RemoteTransport, Server, Str, Transport, Unit};
use crate::source::{Span, Spanned};
use serde_json::{Map, Value};

const PLUGIN_SCHEMA: &str = "https://agent-plugins.org/schemas/1.0.0/plugin.schema.json";
const MCP_SCHEMA: &str = "https://agent-plugins.org/schemas/1.0.0/mcp.schema.json";

/// The package files, relative to the plugin's directory.
pub const FILES: [&str; 2] = ["plugin.json", "mcp.json"];

/// The `mcpc targets` row of the runtimes that read the format.
pub(super) const ROW: (&str, &str) = (
    "Agent Plugins v1",
    "plugin.json + mcp.json next to the runtime's own files, only when complete (no env/secret reference, timeout, tool filter, sse, disabled server, client-owned header, absolute command); else lossy-lowering and left out",
);

/// Headers the readers drop (Qwen's list; Codex drops the same).
const CLIENT_OWNED: &[&str] = &[
    "accept",
    "authorization",
    "connection",
    "content-encoding",
    "content-length",
    "content-type",
    "host",
    "last-event-id",
    "mcp-protocol-version",
    "mcp-session-id",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
];

/// What the format cannot say, at its span.
struct Gap {
    span: Span,
    what: String,
}

/// One plugin lowered: the two files, or why they cannot be written.
struct Lowered {
    files: [String; 2],
    gaps: Vec<Gap>,
}

/// With `--emit package`, the Agent Plugins files of each plugin the plan
/// packages for a runtime that reads them, reporting (as `lossy-lowering`)
/// why a plugin has none.
///
/// The pair must serve every reader the plugin is built for, also those
/// outside this build (a later `--target` build into the same directory
/// keeps their files), so each reader's view of the servers is lowered; the
/// pair is attributed to the first reader of `targets`, and none is
/// written when no reader is in `targets` or all of them are in `failed`.
pub(crate) fn files(
    unit: &Unit,
    plan: &Plan,
    targets: &[Target],
    failed: &[Target],
    explicit: bool,
    levels: &LintLevels,
    sink: &mut Sink,
) -> Vec<OutFile> {
    if plan.emit != Emit::Package {
        return Vec::new();
    }
    let reads = |t: &Target| t.backend().reads_agent_plugins() && !failed.contains(t);
    let mut readers: Vec<Target> = targets.iter().copied().filter(reads).collect();
    if readers.is_empty() {
        return Vec::new();
    }
    let others: Vec<Target> = Target::ALL
        .iter()
        .copied()
        .filter(|t| reads(t) && !readers.contains(t))
        .collect();
    readers.extend(others);
    let mut out = Vec::new();
    for p in selected_plugins(unit, plan) {
        let views: Vec<(Target, super::Names, Lowered)> = readers
            .iter()
            .filter(|&&t| p.builds_for(t))
            .map(|&t| {
                let servers = p.servers_for(t);
                let names = servers.iter().map(|s| s.name.value.clone()).collect();
                let servers: Vec<&Server> = servers.iter().map(|s| s.as_ref()).collect();
                (t, names, lower(p, &servers))
            })
            .collect();
        if !views.iter().any(|(t, ..)| targets.contains(t)) {
            continue;
        }
        let Some((owner, names, first)) = views.first() else {
            continue;
        };
        let readers = views
            .iter()
            .map(|(t, ..)| t.name())
            .collect::<Vec<_>>()
            .join(" and ");
        let verb = if views.len() == 1 { "reads" } else { "read" };
        let left_out = format!(
            "plugin `{}` is packaged without `plugin.json` and `mcp.json` (Agent Plugins v1)",
            p.name
        );
        let help = |t: Target| {
            format!(
                "{readers} {verb} those files in place of their own, so mcpc writes them only when they say everything; the package still installs from each runtime's own files, which lose nothing. Accept it for {t} with `target {t} {{ lints {{ lossy-lowering = allow }} }}`"
            )
        };
        if let Some((t, _, lowered)) = views.iter().find(|(_, _, l)| !l.gaps.is_empty()) {
            let mut cx = Cx::new(*t, plan, explicit, levels, sink, Mode::Reports);
            for g in &lowered.gaps {
                cx.lossy(
                    g.span,
                    format!("Agent Plugins v1 cannot express {}; {left_out}", g.what),
                    &help(*t),
                );
            }
            continue;
        }
        if let Some((t, ..)) = views.iter().find(|(_, _, l)| l.files != first.files) {
            let mut cx = Cx::new(*t, plan, explicit, levels, sink, Mode::Reports);
            cx.lossy(
                p.name.span,
                format!(
                    "{owner} and {t} see different servers (a `target` block changes one of them), and one pair of files cannot say both; {left_out}"
                ),
                &help(*t),
            );
            continue;
        }
        for (path, contents) in FILES.iter().zip(&first.files) {
            out.push(OutFile {
                target: *owner,
                path: format!("{}/{path}", p.name.value),
                contents: contents.clone().into(),
                plugins: [p.name.value.clone()].into(),
                servers: names.clone(),
            });
        }
    }
    out
}

fn lower(p: &Plugin, servers: &[&Server]) -> Lowered {
    let mut l = Lowering { gaps: Vec::new() };
    if !valid_name(&p.name.value) {
        l.gap(
            p.name.span,
            format!(
                "the plugin name `{}` (1 to 64 lower-case letters, digits, `.` and `-`, no separator at either end or twice in a row)",
                p.name
            ),
        );
    }
    let mut manifest = Map::new();
    manifest.insert("$schema".into(), PLUGIN_SCHEMA.into());
    manifest.insert("name".into(), p.name.value.clone().into());
    let version = p.version.as_ref().map_or("0.0.0", |v| &v.value);
    manifest.insert("version".into(), version.into());
    for (key, value) in [
        ("description", &p.description),
        ("homepage", &p.homepage),
        ("license", &p.license),
    ] {
        if let Some(v) = value {
            manifest.insert(key.into(), v.value.clone().into());
        }
    }
    if let Some(a) = &p.author {
        manifest.insert("author".into(), serde_json::json!({ "name": a.value }));
    }
    let mut entries = Map::new();
    for s in servers {
        entries.insert(s.name.value.clone(), Value::Object(l.server(s)));
    }
    let mcp = serde_json::json!({ "$schema": MCP_SCHEMA, "mcpServers": entries });
    Lowered {
        files: [emit::json(&Value::Object(manifest)), emit::json(&mcp)],
        gaps: l.gaps,
    }
}

/// Qwen's and Codex's rule for a package name.
fn valid_name(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes.iter().all(|&b| alnum(b) || b == b'.' || b == b'-')
        && alnum(bytes[0])
        && alnum(bytes[bytes.len() - 1])
        && !bytes.windows(2).any(|w| !alnum(w[0]) && !alnum(w[1]))
}

struct Lowering {
    gaps: Vec<Gap>,
}

impl Lowering {
    fn gap(&mut self, span: Span, what: String) {
        self.gaps.push(Gap { span, what });
    }

    fn server(&mut self, s: &Server) -> Map<String, Value> {
        let f = &s.fields;
        let name = &s.name;
        let mut m = Map::new();
        let unsaid: [(Option<Span>, &str); 5] = [
            (
                f.rare()
                    .enabled
                    .as_ref()
                    .filter(|e| !e.value)
                    .map(|e| e.span),
                "a disabled server",
            ),
            (
                f.rare().tools.allow.as_ref().map(|t| t.span),
                "`tools.allow`",
            ),
            (f.rare().tools.deny.as_ref().map(|t| t.span), "`tools.deny`"),
            (
                f.rare().startup_timeout.as_ref().map(|t| t.span),
                "`startup_timeout`",
            ),
            (
                f.rare().tool_timeout.as_ref().map(|t| t.span),
                "`tool_timeout`",
            ),
        ];
        for (span, what) in unsaid {
            if let Some(span) = span {
                self.gap(span, format!("{what} (server `{name}`)"));
            }
        }
        match f.transport_kind() {
            Transport::Stdio => {
                m.insert("type".into(), "stdio".into());
                if let Some(c) = &f.command {
                    m.insert("command".into(), self.command(s, c).into());
                }
                let args: Vec<Value> = f
                    .args
                    .iter()
                    .flat_map(|a| &a.value)
                    .map(|a| self.text(s, a, "args", true).into())
                    .collect();
                if !args.is_empty() {
                    m.insert("args".into(), args.into());
                }
                let mut env = Map::new();
                for e in f.env.iter().flat_map(|e| &e.value) {
                    if ["PLUGIN_ROOT", "PLUGIN_DATA"].contains(&e.key.value.as_str()) {
                        self.gap(
                            e.key.span,
                            format!(
                                "the variable `{}`, which the readers set themselves (server `{name}`)",
                                e.key.value
                            ),
                        );
                    }
                    let v = self.text(s, &e.value, "env", true);
                    env.insert(e.key.value.to_string(), v.into());
                }
                if !env.is_empty() {
                    m.insert("env".into(), env.into());
                }
                if let Some(c) = &f.rare().cwd {
                    let cwd = self.cwd(s, c);
                    m.insert("cwd".into(), cwd.into());
                }
            }
            Transport::Sse | Transport::Http => {
                if let Some(t) = f
                    .rare()
                    .transport
                    .as_ref()
                    .filter(|t| t.value == RemoteTransport::Sse)
                {
                    self.gap(t.span, format!("`transport = sse` (server `{name}`)"));
                }
                m.insert("type".into(), "streamable-http".into());
                if let Some(u) = &f.url {
                    let url = self.text(s, u, "url", false);
                    self.check_url(s, u.span, &url);
                    m.insert("url".into(), url.into());
                }
                let mut headers = Map::new();
                for e in f.headers.iter().flat_map(|e| &e.value) {
                    self.check_header(s, e.key.span, &e.key.value, &headers);
                    let v = self.text(s, &e.value, "headers", false);
                    headers.insert(e.key.value.to_string(), v.into());
                }
                if !headers.is_empty() {
                    m.insert("headers".into(), headers.into());
                }
            }
        }
        m
    }

    /// A value as the readers take it: text, and `plugin.root` as
    /// `${PLUGIN_ROOT}` where `expanded`; anything else is a gap.
    fn text(&mut self, s: &Server, v: &Spanned<Str>, field: &str, expanded: bool) -> String {
        let mut out = String::new();
        for part in &v.value.parts {
            match part {
                Part::Lit(text) => {
                    if expanded
                        && (text.contains("${PLUGIN_ROOT}") || text.contains("${PLUGIN_DATA}"))
                    {
                        self.gap(
                            v.span,
                            format!(
                                "the literal text `{text}` in `{field}`, which the readers would expand (server `{}`)",
                                s.name
                            ),
                        );
                    }
                    out.push_str(text);
                }
                Part::Ref(r) if r.value == Ref::PluginRoot && expanded => {
                    out.push_str("${PLUGIN_ROOT}");
                }
                Part::Ref(r) => {
                    let why = match r.value {
                        Ref::PluginRoot => "expanded in `args`, `env` and `cwd` only",
                        Ref::ProjectRoot => "a package is installed outside any project",
                        Ref::Env { .. } | Ref::Secret { .. } => "it has no environment reference",
                    };
                    self.gap(
                        r.span,
                        format!(
                            "`${{{}}}` in `{field}` ({why}) (server `{}`)",
                            r.value.source_text(),
                            s.name
                        ),
                    );
                }
            }
        }
        out
    }

    /// A bare program name, or a `./` path inside the plugin:
    /// `${plugin.root}/bin/x` is `./bin/x`.
    fn command(&mut self, s: &Server, c: &Spanned<Str>) -> String {
        let text = match c.value.parts.as_slice() {
            [Part::Ref(r), Part::Lit(rest)]
                if r.value == Ref::PluginRoot && rest.starts_with('/') =>
            {
                format!(".{rest}")
            }
            _ => self.text(s, c, "command", false),
        };
        let bare = !text.is_empty() && !text.contains(['/', '\\']);
        let contained = text.starts_with("./")
            && !text.contains('\\')
            && !text.split('/').any(|seg| seg == "..");
        if !bare && !contained {
            self.gap(
                c.span,
                format!(
                    "the command `{text}` (a bare program name or a `./` path inside the plugin only) (server `{}`)",
                    s.name
                ),
            );
        }
        text
    }

    fn cwd(&mut self, s: &Server, c: &Spanned<Str>) -> String {
        let text = self.text(s, c, "cwd", true);
        let text = if text == "." { "./".to_owned() } else { text };
        let rooted = ["./", "${PLUGIN_ROOT}", "${PLUGIN_DATA}"]
            .iter()
            .any(|root| {
                text == *root
                    || text.starts_with(root)
                        && (root.ends_with('/') || text[root.len()..].starts_with('/'))
            });
        if !rooted || text.contains('\\') || text.split('/').any(|seg| seg == "..") {
            self.gap(
                c.span,
                format!(
                    "`cwd = \"{}\"` (a directory inside the plugin only: `./…` or `${{plugin.root}}/…`) (server `{}`)",
                    c.value.display(),
                    s.name
                ),
            );
        }
        text
    }

    fn check_url(&mut self, s: &Server, span: Span, text: &str) {
        let why = match url::Url::parse(text) {
            Err(_) => Some("it is not an absolute URL"),
            Ok(u) if !matches!(u.scheme(), "http" | "https") || u.host().is_none() => {
                Some("an absolute http or https URL only")
            }
            Ok(u)
                if !u.username().is_empty() || u.password().is_some() || u.fragment().is_some() =>
            {
                Some("no user information or fragment")
            }
            Ok(u) if u.scheme() == "http" && !loopback(&u) => {
                Some("http on loopback only, https elsewhere")
            }
            Ok(_) => None,
        };
        if let Some(why) = why {
            self.gap(
                span,
                format!("the URL `{text}` ({why}) (server `{}`)", s.name),
            );
        }
    }

    fn check_header(&mut self, s: &Server, span: Span, key: &str, seen: &Map<String, Value>) {
        let token = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        let lower = key.to_ascii_lowercase();
        let why = if !token {
            Some("not an HTTP header name")
        } else if CLIENT_OWNED.contains(&lower.as_str()) {
            Some("the readers drop it: the client owns it, and remote sign-in is its OAuth")
        } else if seen.keys().any(|k| k.eq_ignore_ascii_case(key)) {
            Some("twice, in different case")
        } else {
            None
        };
        if let Some(why) = why {
            self.gap(
                span,
                format!("the header `{key}` ({why}) (server `{}`)", s.name),
            );
        }
    }
}

fn loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names_follow_the_readers_rule() {
        for ok in ["a", "acme-local", "a.b", "a1.b-2", &"a".repeat(64)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "a..b",
            "a.-b",
            "A",
            "a_b",
            &"a".repeat(65),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
