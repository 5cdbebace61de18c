//! Goose: `extensions` in the user's `config.yaml` (no project file).
//! Followed: block/goose `crates/goose/src/agents/extension.rs`
//! (`ExtensionConfig`), `config/extensions.rs`, `config/paths.rs` and
//! `agents/extension_manager.rs` (2026-12), and the "Configuration Files"
//! guide of the Goose documentation. Facts in docs/targets.md.
//!
//! Goose expands no variable in `cmd`, `args`, `envs` or `uri`. A stdio
//! server gets a variable only under its own name, listed in `env_keys`
//! (Goose reads it from the environment or its secret store); `headers`
//! expand `${NAME}` and `$NAME` from `envs` and `env_keys`. Each entry is
//! written complete, as Goose itself writes it back when it saves its
//! config (it rewrites the whole file), so that rewrite does not look like
//! a hand edit to `apply`.

use super::lowering::{Fields, ProjectRoot, Spelling, Vars, no_package, tool_names};
use super::{
    Backend, Capabilities, Cx, Format, ManagedFile, NativeFile, Owned, Place, PluginServers,
    ServerSpec, Target, UserFile,
};
use crate::emit;
use crate::ir::{Part, Ref, Server, Transport};
use serde_json::{Map, Value, json};

pub(super) struct Goose;

const CONFIG: &str = ".config/goose/config.yaml";

const FILES: &[ManagedFile] = &[ManagedFile {
    project_path: CONFIG,
    format: Format::Yaml,
    owned: &[Owned::Servers(&["extensions"])],
    // etcetera's `choose_app_strategy`: XDG on Linux and macOS, the
    // Windows convention (`%APPDATA%\Block\goose\config`) on Windows;
    // `GOOSE_PATH_ROOT` (absolute) moves it everywhere.
    user: UserFile::moved_by(
        "XDG_CONFIG_HOME",
        "goose/config.yaml",
        ".config/goose/config.yaml",
    )
    .on(
        None,
        Some(Place {
            var: Some("APPDATA"),
            in_var: "Block/goose/config/config.yaml",
            in_home: "AppData/Roaming/Block/goose/config/config.yaml",
        }),
    )
    .rooted_by("GOOSE_PATH_ROOT", "config/config.yaml")
    .only_user(),
}];

/// `${NAME}` in `headers` only; nothing else is expanded.
const VARS: Vars = Vars {
    spelling: Spelling::Dollar,
    defaults: false,
    bare_dollar: true,
    plugin_root: None,
    project_root: ProjectRoot::Refused,
    expanded: Fields::HEADERS,
    elsewhere: "Goose expands variables only in `headers`, and passes a variable to a stdio server only under its own name: write `NAME = env.NAME` (or `secret.NAME`) in `env`, which becomes `env_keys: [NAME]`",
};

/// Variables Goose refuses to set for a server (`Envs::DISALLOWED_KEYS`).
const DISALLOWED_ENV: &[&str] = &[
    "PATH",
    "PATHEXT",
    "SystemRoot",
    "windir",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "LD_AUDIT",
    "LD_DEBUG",
    "LD_BIND_NOW",
    "LD_ASSUME_KERNEL",
    "DYLD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_FRAMEWORK_PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "NODE_OPTIONS",
    "RUBYOPT",
    "GEM_PATH",
    "GEM_HOME",
    "CLASSPATH",
    "GO111MODULE",
    "GOROOT",
    "APPINIT_DLLS",
    "SESSIONNAME",
    "ComSpec",
    "TEMP",
    "TMP",
    "LOCALAPPDATA",
    "USERPROFILE",
    "HOMEDRIVE",
    "HOMEPATH",
];

/// Goose's key for an extension name (`name_to_key`): white space
/// removed, lower-cased.
fn key_of(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// The one variable an `env` value reads when it is exactly that reference.
fn sole_reference(value: &crate::ir::Str) -> Option<&str> {
    match value.parts.as_slice() {
        [Part::Ref(r)] => match &r.value {
            Ref::Env {
                name,
                default: None,
            }
            | Ref::Secret { name } => Some(name),
            _ => None,
        },
        _ => None,
    }
}

impl Goose {
    fn entry(&self, s: &Server, cx: &mut Cx) -> Value {
        let f = &s.fields;
        let name = &s.name.value;
        if key_of(name) != *name {
            cx.unsupported(
                s,
                s.name.span,
                "a server name with upper case or white space (Goose keys each extension by its name lower-cased, without spaces)",
            );
        }
        if let Some(cwd) = &f.rare().cwd {
            cx.unsupported(
                s,
                cwd.span,
                "`cwd` (Goose starts servers in the session's working directory)",
            );
        }
        let transport = f.transport_kind();
        if transport == Transport::Sse {
            let at = f.rare().transport.as_ref().map_or(s.name.span, |t| t.span);
            cx.unsupported(
                s,
                at,
                "an SSE server (Goose refuses SSE extensions: \"migrate to streamable_http\")",
            );
        }
        let allow = tool_names(&f.rare().tools.allow);
        let deny = tool_names(&f.rare().tools.deny).unwrap_or_default();
        if allow.is_none()
            && !deny.is_empty()
            && let Some(d) = &f.rare().tools.deny
        {
            cx.unsupported_filter(
                s,
                d.span,
                "a tool deny-list (Goose has only `available_tools`, an allow-list)",
            );
        }
        let available: Vec<String> = allow
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !deny.contains(t))
            .collect();
        if let Some(t) = &f.rare().startup_timeout {
            cx.lossy(
                t.span,
                format!(
                    "goose has no start-up timeout of its own (server `{name}`); its one `timeout` bounds start-up and every call"
                ),
                "remove `startup_timeout` for goose, or allow `lossy-lowering`",
            );
        }
        let timeout = f.rare().tool_timeout.as_ref().map(|t| {
            let secs = t.value.div_ceil(1000);
            if t.value % 1000 != 0 {
                cx.lossy(
                    t.span,
                    format!(
                        "goose takes its timeout in whole seconds (server `{name}`): {} ms becomes {secs} s",
                        t.value
                    ),
                    "write `tool_timeout` in whole seconds for goose, or allow `lossy-lowering`",
                );
            }
            secs
        });

        let mut env_keys: Vec<String> = Vec::new();
        let mut key_for = |cx: &mut Cx, var: &str, at| {
            if var != var.to_ascii_uppercase() {
                cx.unsupported(
                    s,
                    at,
                    &format!(
                        "the variable `{var}` in `env_keys` (Goose looks each one up upper-cased)"
                    ),
                );
            } else if !env_keys.iter().any(|k| k == var) {
                env_keys.push(var.to_owned());
            }
        };
        let mut envs = Map::new();
        for e in f.env.iter().flat_map(|e| &e.value) {
            let k = &e.key.value;
            if DISALLOWED_ENV.iter().any(|d| d.eq_ignore_ascii_case(k)) {
                cx.unsupported(
                    s,
                    e.key.span,
                    &format!("the variable `{k}` in `env` (Goose refuses to set it for a server)"),
                );
                continue;
            }
            match sole_reference(&e.value.value) {
                Some(var) if var == k => key_for(cx, var, e.value.span),
                _ => {
                    if let Some(v) = cx.render(s, &e.value, &VARS, Fields::ENV) {
                        envs.insert(k.to_string(), v.into_owned().into());
                    }
                }
            }
        }
        let mut headers = Map::new();
        for h in f.headers.iter().flat_map(|h| &h.value) {
            for r in h.value.value.refs() {
                if let Ref::Env {
                    name,
                    default: None,
                }
                | Ref::Secret { name } = &r.value
                {
                    key_for(cx, name, r.span);
                }
            }
            if let Some(v) = cx.render(s, &h.value, &VARS, Fields::HEADERS) {
                headers.insert(h.key.value.to_string(), v.into_owned().into());
            }
        }
        let text = |cx: &mut Cx, v: &Option<crate::source::Spanned<crate::ir::Str>>, field| {
            v.as_ref()
                .and_then(|v| cx.render(s, v, &VARS, field))
                .map(|v| v.into_owned())
        };
        let description = f
            .rare()
            .description
            .as_ref()
            .map_or("", |d| d.value.as_str());
        let mut m = Map::new();
        m.insert("enabled".into(), f.is_enabled().into());
        if transport == Transport::Stdio {
            let args: Vec<String> = f
                .args
                .iter()
                .flat_map(|a| &a.value)
                .filter_map(|a| cx.render(s, a, &VARS, Fields::ARGS))
                .map(|a| a.into_owned())
                .collect();
            m.insert("type".into(), "stdio".into());
            m.insert("name".into(), name.clone().into());
            m.insert("description".into(), description.into());
            let cmd = text(cx, &f.command, Fields::COMMAND).unwrap_or_default();
            m.insert("cmd".into(), cmd.into());
            m.insert("args".into(), args.into());
        } else {
            m.insert("type".into(), "streamable_http".into());
            m.insert("name".into(), name.clone().into());
            m.insert("description".into(), description.into());
            let uri = text(cx, &f.url, Fields::URL).unwrap_or_default();
            m.insert("uri".into(), uri.into());
        }
        m.insert("envs".into(), Value::Object(envs));
        m.insert("env_keys".into(), env_keys.into());
        if transport != Transport::Stdio {
            m.insert("headers".into(), Value::Object(headers));
        }
        m.insert("timeout".into(), timeout.map_or(Value::Null, Value::from));
        m.insert("bundled".into(), Value::Null);
        m.insert("available_tools".into(), available.into());
        Value::Object(m)
    }
}

/// A header value as Goose sends it, in the neutral notation: `${NAME}`
/// and `$NAME` become the literal of `envs` or the reference of
/// `env_keys`; a name in neither is sent as written, which the neutral
/// notation cannot say.
fn header_value(
    text: &str,
    envs: &Map<String, Value>,
    env_keys: &[String],
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (inner[..end].trim(), end + 2),
                None => ("", 0),
            }
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..n], n)
        };
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            out.push('$');
            rest = after;
            continue;
        }
        match envs.get(name).and_then(Value::as_str) {
            Some(v) => out.push_str(v),
            None if env_keys.iter().any(|k| k == name) => out.push_str(&format!("${{{name}}}")),
            None => {
                return Err(format!(
                    "`{name}` is neither in `envs` nor in `env_keys` (Goose sends `${name}` as written)"
                ));
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok(out)
}

fn read_entry(key: &str, entry: &Value) -> Result<Option<ServerSpec>, String> {
    let e = entry.as_object().ok_or("not a mapping")?;
    let kind = e
        .get("type")
        .and_then(Value::as_str)
        .ok_or("no `type` (Goose skips the entry)")?;
    let transport = match kind {
        "stdio" => Transport::Stdio,
        "streamable_http" => Transport::Http,
        "sse" => Transport::Sse,
        // Goose's own extensions, not MCP servers.
        "builtin" | "platform" | "frontend" | "inline_python" => return Ok(None),
        other => {
            return Err(format!(
                "unknown `type` \"{other}\" (Goose skips the entry)"
            ));
        }
    };
    let skipped = |what: &str| format!("{what} (Goose skips the entry)");
    let enabled = e
        .get("enabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| skipped("`enabled` is not true or false"))?;
    let string = |k: &str| -> Result<Option<String>, String> {
        match e.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(skipped(&format!("`{k}` is not a string"))),
        }
    };
    let strings = |k: &str| -> Result<Option<Vec<String>>, String> {
        match e.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| skipped(&format!("`{k}` holds a non-string")))
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(skipped(&format!("`{k}` is not a list"))),
        }
    };
    let map = |k: &str| -> Result<Map<String, Value>, String> {
        match e.get(k) {
            None | Some(Value::Null) => Ok(Map::new()),
            Some(Value::Object(m)) if m.values().all(Value::is_string) => Ok(m.clone()),
            Some(_) => Err(skipped(&format!("`{k}` is not a map of strings"))),
        }
    };
    let envs = map("envs")?;
    let env_keys = strings("env_keys")?.unwrap_or_default();
    // Goose names a running extension by its `name` (`config.key()`), the
    // map key only stores it.
    let name = string("name")?.map_or_else(|| key.to_owned(), |n| key_of(&n));
    let mut spec = ServerSpec::new(name, transport);
    spec.enabled = enabled;
    match transport {
        Transport::Stdio => {
            spec.command = Some(string("cmd")?.ok_or_else(|| skipped("no `cmd`"))?);
            spec.args = strings("args")?.ok_or_else(|| skipped("no `args`"))?;
            spec.env = envs
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            for k in &env_keys {
                if !envs.contains_key(k) {
                    spec.env.push((k.clone(), format!("${{{k}}}")));
                }
            }
        }
        Transport::Http | Transport::Sse => {
            spec.url = Some(string("uri")?.ok_or_else(|| skipped("no `uri`"))?);
            for (k, v) in map("headers")? {
                let v = header_value(v.as_str().unwrap_or_default(), &envs, &env_keys)
                    .map_err(|why| format!("header `{k}`: {why}"))?;
                spec.headers.push((k, v));
            }
        }
    }
    spec.tool_timeout_ms = match e.get("timeout") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| skipped("`timeout` is not a whole number of seconds"))?
                * 1000,
        ),
    };
    spec.allow = strings("available_tools")?.filter(|a| !a.is_empty());
    Ok(Some(spec.normalized()))
}

impl Backend for Goose {
    fn target(&self) -> Target {
        Target::Goose
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            config_file: "~/.config/goose/config.yaml (`extensions`; user scope only)",
            package: "none (config only)",
            proven: "documented",
            rows: &[
                (
                    "follows",
                    "block/goose `agents/extension.rs`, `config/paths.rs` and the Configuration Files guide (2026-12)",
                ),
                ("env K = env.K / secret.K", "env_keys: [K]"),
                ("env K = other text", "envs: {K: text} (no reference)"),
                ("headers", "${X}, with X in env_keys"),
                ("${env.X:-d}", "unsupported"),
                ("plugin.root", "--plugin-root (config); no packages"),
                ("cwd", "unsupported"),
                ("url (streamable HTTP)", "type: streamable_http + uri"),
                ("transport = sse", "unsupported (Goose refuses SSE)"),
                ("tools.allow", "available_tools (allow − deny)"),
                ("tools.deny alone", "unsupported"),
                ("tool_timeout", "timeout (whole s; else lossy, rounded up)"),
                ("startup_timeout", "lossy: dropped"),
                ("enabled = false", "enabled: false"),
            ],
        }
    }

    fn env_reference(&self) -> String {
        "`env_keys` (names; `env K = env.K` only), `${X}` in `headers`".to_owned()
    }

    fn config(&self, plugins: &[PluginServers], cx: &mut Cx) -> Vec<NativeFile> {
        let mut extensions = Map::new();
        for s in plugins.iter().flat_map(|p| &p.servers) {
            let entry = self.entry(s, cx);
            // Without the files, each entry is made for what it reports
            // and dropped: no map of them all.
            if cx.keeps_files() {
                extensions.insert(s.name.value.clone(), entry);
            }
        }
        vec![NativeFile {
            path: CONFIG,
            contents: cx.streamed(CONFIG, |out| {
                out.put(&emit::yaml(&json!({ "extensions": extensions })));
            }),
        }]
    }

    fn package(&self, p: &PluginServers, cx: &mut Cx) -> Vec<NativeFile> {
        no_package(cx, p, "Goose");
        Vec::new()
    }

    fn read(&self, file: &dyn Fn(&str) -> Option<String>) -> Result<Vec<ServerSpec>, String> {
        let text = file(CONFIG).ok_or_else(|| format!("no `{CONFIG}`"))?;
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let doc: Value = serde_norway::from_str(&text).map_err(|e| format!("{CONFIG}: {e}"))?;
        let Some(extensions) = doc.get("extensions").filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let extensions = extensions
            .as_object()
            .ok_or_else(|| format!("{CONFIG}: `extensions` is not a mapping"))?;
        let mut out = Vec::new();
        for (key, entry) in extensions {
            let spec =
                read_entry(key, entry).map_err(|e| format!("{CONFIG}: extension `{key}`: {e}"))?;
            out.extend(spec);
        }
        Ok(out)
    }

    fn approximate(&self, spec: &mut ServerSpec) {
        spec.startup_timeout_ms = None;
        spec.tool_timeout_ms = spec.tool_timeout_ms.map(|ms| ms.div_ceil(1000) * 1000);
        // A deny-list alone was built only because the plugin accepts
        // leaving it out for Goose.
        if spec.allow.is_none() {
            spec.deny = None;
        }
    }

    fn managed_files(&self) -> &'static [ManagedFile] {
        FILES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_references_resolve_like_goose() {
        let envs: Map<String, Value> = [("A".to_owned(), Value::from("lit"))].into_iter().collect();
        let keys = ["TOK".to_owned()];
        assert_eq!(
            header_value("Bearer ${TOK} $A ${ A }x $1 $", &envs, &keys).unwrap(),
            "Bearer ${TOK} lit litx $1 $"
        );
        assert!(header_value("Bearer $NOPE", &envs, &keys).is_err());
    }

    #[test]
    fn goose_entries_that_goose_would_skip_are_named() {
        let bad = [
            (
                json!({"type": "stdio", "name": "a", "cmd": "x"}),
                "`enabled`",
            ),
            (
                json!({"enabled": true, "type": "stdio", "cmd": "x"}),
                "`args`",
            ),
            (
                json!({"enabled": true, "type": "stdio", "name": "a", "args": []}),
                "`cmd`",
            ),
            (
                json!({"enabled": true, "type": "stdio", "cmd": "x", "args": [], "timeout": 1.5}),
                "`timeout`",
            ),
            (json!({"enabled": true, "type": "websocket"}), "websocket"),
        ];
        for (entry, what) in bad {
            let err = read_entry("a", &entry).unwrap_err();
            assert!(err.contains(what), "{err}");
        }
        let builtin = json!({"enabled": true, "type": "builtin", "name": "developer"});
        assert_eq!(read_entry("developer", &builtin).unwrap(), None);
    }

    #[test]
    fn the_user_file_is_where_goose_looks_on_each_os() {
        use super::super::Os;
        let at = |os, vars: &[(&str, &str)], home: &str| {
            let env = |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            };
            Goose.user_location_on(os, CONFIG, &env, home)
        };
        assert_eq!(
            at(Os::Linux, &[], "/home/ada"),
            "/home/ada/.config/goose/config.yaml"
        );
        assert_eq!(
            at(Os::Macos, &[], "/Users/ada"),
            "/Users/ada/.config/goose/config.yaml"
        );
        assert_eq!(
            at(Os::Macos, &[("XDG_CONFIG_HOME", "/xdg")], "/Users/ada"),
            "/xdg/goose/config.yaml"
        );
        assert_eq!(
            at(Os::Windows, &[], r"C:\Users\ada"),
            r"C:\Users\ada\AppData\Roaming\Block\goose\config\config.yaml"
        );
        assert_eq!(
            at(Os::Windows, &[("APPDATA", r"D:\roam")], r"C:\Users\ada"),
            r"D:\roam\Block\goose\config\config.yaml"
        );
        // `GOOSE_PATH_ROOT` wins on every OS, but only as an absolute path.
        let root = [("GOOSE_PATH_ROOT", "/g"), ("XDG_CONFIG_HOME", "/xdg")];
        assert_eq!(at(Os::Linux, &root, "/home/ada"), "/g/config/config.yaml");
        assert_eq!(
            at(Os::Linux, &[("GOOSE_PATH_ROOT", "rel")], "/home/ada"),
            "/home/ada/.config/goose/config.yaml"
        );
        assert_eq!(
            at(
                Os::Windows,
                &[("GOOSE_PATH_ROOT", r"E:\g")],
                r"C:\Users\ada"
            ),
            r"E:\g\config\config.yaml"
        );
    }
}
