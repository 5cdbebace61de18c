//! The MCP Registry's `server.json` (schema 2025-12-11): its types, shared
//! by import and export, and the lowering of each package and remote to a
//! server with its exact launch line.
//!
//! Launch lines follow the registry's conventions for each `registryType`:
//! npm `npx -y NAME@VERSION`, PyPI `uvx NAME==VERSION`, NuGet
//! `dnx NAME@VERSION --yes`, OCI `docker run -i --rm [-e VAR…] IMAGE`; the
//! `runtimeHint` replaces the program, `runtimeArguments` come before the
//! package and `packageArguments` after it. A `{name}` placeholder becomes a
//! variable the runtime takes from its environment, unless the document
//! fixes its value.

use super::{Imported, server_name, unique_name, variable_name};
use crate::backends::ServerSpec;
use crate::ir::Transport;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const SCHEMA_URL: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

/// The note for a secret whose document fixes its value.
const SECRET_VALUE: &str =
    "a secret's value is never copied; it is taken from the environment instead";

/// Fields no type below knows: reported, never dropped silently.
type Unknown = BTreeMap<String, Value>;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerJson {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remotes: Vec<Remote>,
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    #[serde(flatten, skip_serializing)]
    pub unknown: Unknown,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Package {
    pub registry_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_base_url: Option<String>,
    pub identifier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_hint: Option<String>,
    pub transport: Remote,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_arguments: Vec<Argument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_arguments: Vec<Argument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<KeyValue>,
    #[serde(flatten, skip_serializing)]
    pub unknown: Unknown,
}

/// A transport: `stdio` (in a package), or `streamable-http`/`sse` with a
/// URL template, headers and (for remotes) the template's variables.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Remote {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<KeyValue>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Input>,
    #[serde(flatten, skip_serializing)]
    pub unknown: Unknown,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Input>,
    #[serde(flatten, skip_serializing)]
    pub unknown: Unknown,
}

/// An environment variable or a header.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct KeyValue {
    pub name: String,
    #[serde(flatten)]
    pub input: Input,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Argument {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_hint: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_repeated: bool,
    #[serde(flatten)]
    pub input: Input,
}

/// The documents `mcpc import --from server-json` takes: one `server.json`,
/// a registry API answer `{"server": …}`, or a listing page
/// `{"servers": [{"server": …}, …]}`.
pub fn documents(text: &str) -> Result<Vec<ServerJson>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let entries = match &value {
        Value::Object(map) if map.contains_key("servers") => match &map["servers"] {
            Value::Array(items) => items
                .iter()
                .map(|item| item.get("server").unwrap_or(item).clone())
                .collect(),
            _ => return Err("`servers` is not a list".into()),
        },
        Value::Object(map) if map.contains_key("server") && !map.contains_key("name") => {
            vec![map["server"].clone()]
        }
        _ => vec![value],
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            serde_json::from_value(entry).map_err(|e| format!("server {}: {e}", i + 1))
        })
        .collect()
}

/// Every package and remote of `doc` as servers.
pub fn import(doc: &ServerJson) -> Imported {
    let mut out = Imported {
        version: Some(doc.version.clone()),
        description: Some(doc.description.clone()),
        homepage: doc.website_url.clone(),
        ..Imported::default()
    };
    for (field, present) in [
        ("title", doc.title.is_some()),
        ("repository", doc.repository.is_some()),
        ("icons", doc.icons.is_some()),
        ("_meta", doc.meta.is_some()),
    ] {
        if present {
            out.note(field, "registry metadata; the language has no place for it");
        }
    }
    unknown_fields(&mut out, "", &doc.unknown);
    let base = server_name(&doc.name);
    let mut taken = BTreeSet::new();
    for (i, package) in doc.packages.iter().enumerate() {
        let path = format!("packages[{i}]");
        if let Some(mut spec) = Lowering::new(&mut out, &path).package(package) {
            spec.name = unique_name(&mut taken, &base, &package.registry_type);
            out.servers.push(spec);
        }
    }
    for (i, remote) in doc.remotes.iter().enumerate() {
        let path = format!("remotes[{i}]");
        if let Some(mut spec) = Lowering::new(&mut out, &path).remote(remote, &remote.variables) {
            spec.name = unique_name(&mut taken, &base, "remote");
            out.servers.push(spec);
        }
    }
    if doc.packages.is_empty() && doc.remotes.is_empty() {
        out.note(
            "packages",
            "the document has no package and no remote to launch",
        );
    }
    out
}

fn unknown_fields(out: &mut Imported, path: &str, unknown: &Unknown) {
    for key in unknown.keys() {
        let at = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        out.note(at, "not a field of the 2025-12-11 schema; left out");
    }
}

/// Lowers one entry, noting what it leaves out under the entry's path.
struct Lowering<'a> {
    out: &'a mut Imported,
    path: &'a str,
}

impl<'a> Lowering<'a> {
    fn new(out: &'a mut Imported, path: &'a str) -> Lowering<'a> {
        Lowering { out, path }
    }

    fn note(&mut self, field: &str, message: &str) {
        let path = format!("{}{field}", self.path);
        self.out.note(path, message);
    }

    fn package(&mut self, p: &Package) -> Option<ServerSpec> {
        unknown_fields(self.out, self.path, &p.unknown);
        if let Some(base) = &p.registry_base_url {
            self.note(
                ".registryBaseUrl",
                &format!("the launch line uses the runtime's default registry, not `{base}`"),
            );
        }
        if p.file_sha256.is_some() && p.registry_type != "mcpb" {
            self.note(
                ".fileSha256",
                "the package manager checks its own integrity data; the digest is not carried",
            );
        }
        let version = p.version.as_deref();
        let (program, head, tail): (&str, Vec<String>, Vec<String>) = match p.registry_type.as_str()
        {
            "npm" => (
                "npx",
                vec!["-y".into()],
                vec![at_version(&p.identifier, version, "@")],
            ),
            "pypi" => (
                "uvx",
                vec![],
                vec![at_version(&p.identifier, version, "==")],
            ),
            "nuget" => (
                "dnx",
                vec![],
                vec![at_version(&p.identifier, version, "@"), "--yes".into()],
            ),
            "oci" => (
                "docker",
                vec!["run".into(), "-i".into(), "--rm".into()],
                vec![image(&p.identifier, version)],
            ),
            "mcpb" => {
                self.note(
                        "",
                        "an MCP Bundle is installed by an app, not launched by a command line; left out",
                    );
                return None;
            }
            other => {
                self.note(
                    ".registryType",
                    &format!("`{other}` packages have no known launch line; left out"),
                );
                return None;
            }
        };
        if p.transport.kind != "stdio" {
            // A package serving HTTP must be started by someone; the
            // declaration can say where to connect, not how to start it.
            self.note(
                ".transport",
                "the package serves HTTP once started; declared as a remote, start it yourself",
            );
            return self.remote(&p.transport, &BTreeMap::new());
        }
        let mut spec = ServerSpec::new("", Transport::Stdio);
        spec.command = Some(p.runtime_hint.clone().unwrap_or_else(|| program.to_owned()));
        let runtime = self.arguments(&p.runtime_arguments, ".runtimeArguments");
        let explicit_yes = runtime.iter().any(|a| a == "-y" || a == "--yes");
        spec.args = head
            .into_iter()
            .filter(|a| !(explicit_yes && a == "-y"))
            .chain(runtime)
            .collect();
        let env = self.entries(&p.environment_variables, ".environmentVariables");
        if p.registry_type == "oci" {
            // `docker run` passes a variable on only when told to.
            for (name, _) in &env {
                spec.args.push("-e".into());
                spec.args.push(name.clone());
            }
        }
        spec.args.extend(tail);
        spec.args
            .extend(self.arguments(&p.package_arguments, ".packageArguments"));
        spec.env = env;
        Some(spec)
    }

    fn remote(&mut self, r: &Remote, variables: &BTreeMap<String, Input>) -> Option<ServerSpec> {
        unknown_fields(self.out, self.path, &r.unknown);
        let transport = match r.kind.as_str() {
            "streamable-http" => Transport::Http,
            "sse" => Transport::Sse,
            other => {
                self.note(
                    ".type",
                    &format!(
                        "`{other}` is not a remote transport (`streamable-http` or `sse`); left out"
                    ),
                );
                return None;
            }
        };
        let Some(url) = &r.url else {
            self.note(".url", "a remote without a URL; left out");
            return None;
        };
        let mut spec = ServerSpec::new("", transport);
        spec.url = Some(self.template(url, variables, false, ".variables"));
        spec.headers = self.entries(&r.headers, ".headers");
        Some(spec)
    }

    /// `{name}` placeholders resolved against `variables`: a fixed value is
    /// inlined; otherwise the runtime takes `NAME` from its environment.
    fn template(
        &mut self,
        text: &str,
        variables: &BTreeMap<String, Input>,
        secret: bool,
        at: &str,
    ) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + len];
            out.push_str(&rest[..open]);
            match variables.get(name) {
                Some(var) => {
                    self.input_notes(var, &format!("{at}.{name}"));
                    match &var.value {
                        // A secret's value is never copied into source.
                        Some(_) if secret || var.is_secret => {
                            self.note(&format!("{at}.{name}.value"), SECRET_VALUE);
                            out.push_str(&self.variable(name, var, true));
                        }
                        Some(value) => out.push_str(value),
                        None => out.push_str(&self.variable(name, var, secret)),
                    }
                }
                // The schema leaves an undefined placeholder as written, but
                // a runtime would then send `{token}` itself: it becomes a
                // variable, and the note says so.
                None if is_identifier(name) => {
                    self.note(
                        at,
                        &format!("`{{{name}}}` has no definition; it is taken from the environment as `{}`", variable_name(name)),
                    );
                    out.push_str(&self.variable(name, &Input::default(), secret));
                }
                None => out.push_str(&rest[open..=open + len]),
            }
            rest = &rest[open + len + 1..];
        }
        out.push_str(rest);
        out
    }

    /// `${NAME}` for a value the user supplies; a default is written as the
    /// value itself (what a registry client uses when nobody answers), so
    /// the declaration builds for runtimes that expand no variables.
    fn variable(&mut self, raw: &str, input: &Input, secret: bool) -> String {
        let name = variable_name(raw);
        if secret || input.is_secret {
            self.out.secrets.insert(name.clone());
            return format!("${{{name}}}");
        }
        match &input.default {
            Some(d) => {
                let path = self.path.to_owned();
                self.out.note(
                    path,
                    format!("`{raw}` takes its default `{d}` as its value; write `env.{name}` to take it from the environment"),
                );
                d.clone()
            }
            None => format!("${{{name}}}"),
        }
    }

    /// What an input says beyond its value: shown to a person, not carried.
    fn input_notes(&mut self, input: &Input, at: &str) {
        for (field, present) in [
            ("description", input.description.is_some()),
            ("choices", !input.choices.is_empty()),
            ("format", input.format.is_some()),
            ("placeholder", input.placeholder.is_some()),
        ] {
            if present {
                self.note(
                    &format!("{at}.{field}"),
                    "a hint for prompting a person; not carried",
                );
            }
        }
        unknown_fields(self.out, &format!("{}{at}", self.path), &input.unknown);
    }

    fn entries(&mut self, items: &[KeyValue], at: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let input = &item.input;
            self.input_notes(input, &at);
            let value = match &input.value {
                Some(v) if input.is_secret && !v.contains('{') => {
                    self.note(&format!("{at}.value"), SECRET_VALUE);
                    self.variable(&item.name, input, true)
                }
                Some(v) => self.template(
                    v,
                    &input.variables,
                    input.is_secret,
                    &format!("{at}.variables"),
                ),
                None if input.is_required || input.is_secret || input.default.is_some() => {
                    self.variable(&item.name, input, false)
                }
                None => {
                    self.note(
                        &at,
                        &format!(
                            "optional `{}` without a value or default; add it if you use it",
                            item.name
                        ),
                    );
                    continue;
                }
            };
            out.push((item.name.clone(), value));
        }
        out
    }

    fn arguments(&mut self, args: &[Argument], at: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let input = &arg.input;
            self.input_notes(input, &at);
            if arg.is_repeated {
                self.note(
                    &format!("{at}.isRepeated"),
                    "given once; repeat it by hand if you need more",
                );
            }
            let given = |me: &mut Self, hint: &str| match &input.value {
                Some(v) if input.is_secret && !v.contains('{') => {
                    me.note(&format!("{at}.value"), SECRET_VALUE);
                    Some(me.variable(hint, input, true))
                }
                Some(v) => Some(me.template(
                    v,
                    &input.variables,
                    input.is_secret,
                    &format!("{at}.variables"),
                )),
                None if input.is_required || input.is_secret || input.default.is_some() => {
                    Some(me.variable(hint, input, false))
                }
                None => None,
            };
            match (arg.kind.as_str(), &arg.name) {
                ("named", Some(flag)) => match given(self, flag) {
                    Some(value) => out.push(format!("{flag}={value}")),
                    None => self.note(&at, &format!("optional flag `{flag}` left out")),
                },
                ("positional", _) => {
                    let hint = arg.value_hint.as_deref().unwrap_or("ARG");
                    match given(self, hint) {
                        Some(value) => out.push(value),
                        None => self.note(&at, &format!("optional argument `{hint}` left out")),
                    }
                }
                (kind, _) => self.note(
                    &format!("{at}.type"),
                    &format!(
                        "`{kind}` is not an argument type (`positional` or `named`); left out"
                    ),
                ),
            }
        }
        out
    }
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn at_version(identifier: &str, version: Option<&str>, sep: &str) -> String {
    match version {
        Some(v) => format!("{identifier}{sep}{v}"),
        None => identifier.to_owned(),
    }
}

/// An OCI reference with the package's version as its tag when it has none.
fn image(identifier: &str, version: Option<&str>) -> String {
    let last = identifier.rsplit('/').next().unwrap_or(identifier);
    match version {
        Some(v) if !last.contains(':') && !identifier.contains('@') => format!("{identifier}:{v}"),
        _ => identifier.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Imported {
        import(&documents(text).unwrap().remove(0))
    }

    #[test]
    fn npm_package_with_a_secret() {
        let got = one(
            r#"{"name":"io.x/brave","description":"d","version":"1.0.2","packages":[{"registryType":"npm","identifier":"@x/brave","version":"1.0.2","transport":{"type":"stdio"},"environmentVariables":[{"name":"BRAVE_KEY","isSecret":true,"isRequired":true}]}]}"#,
        );
        let s = &got.servers[0];
        assert_eq!(s.name, "brave");
        assert_eq!(s.command.as_deref(), Some("npx"));
        assert_eq!(s.args, ["-y", "@x/brave@1.0.2"]);
        assert_eq!(s.env, [("BRAVE_KEY".to_owned(), "${BRAVE_KEY}".to_owned())]);
        assert!(got.secrets.contains("BRAVE_KEY"));
        assert!(got.notes.is_empty(), "{:?}", got.notes);
    }

    #[test]
    fn oci_passes_each_variable_to_the_container() {
        let got = one(
            r#"{"name":"a/fs","description":"d","version":"1","packages":[{"registryType":"oci","identifier":"mcp/fs","version":"1.2","transport":{"type":"stdio"},"environmentVariables":[{"name":"LOG","default":"info"}],"packageArguments":[{"type":"positional","valueHint":"dir","value":"/p"}]}]}"#,
        );
        let s = &got.servers[0];
        assert_eq!(s.command.as_deref(), Some("docker"));
        assert_eq!(
            s.args,
            ["run", "-i", "--rm", "-e", "LOG", "mcp/fs:1.2", "/p"]
        );
        assert_eq!(s.env, [("LOG".to_owned(), "info".to_owned())]);
    }

    #[test]
    fn remote_templates_become_variables() {
        let got = one(
            r#"{"name":"a/docs","description":"d","version":"1","remotes":[{"type":"streamable-http","url":"https://{tenant}.x.example/mcp","variables":{"tenant":{"isRequired":true}},"headers":[{"name":"Authorization","value":"Bearer {tok}","isSecret":true}]}]}"#,
        );
        let s = &got.servers[0];
        assert_eq!(s.transport, Transport::Http);
        assert_eq!(s.url.as_deref(), Some("https://${TENANT}.x.example/mcp"));
        assert_eq!(s.headers[0].1, "Bearer ${TOK}");
        assert!(got.secrets.contains("TOK"));
        assert!(!got.secrets.contains("TENANT"));
    }

    #[test]
    fn what_cannot_be_said_is_noted_by_path() {
        let got = one(
            r#"{"name":"a/w","description":"d","version":"1","title":"W","surprise":1,"packages":[{"registryType":"mcpb","identifier":"https://e.example/w.mcpb","fileSha256":"00","transport":{"type":"stdio"}},{"registryType":"cargo","identifier":"w","transport":{"type":"stdio"}}]}"#,
        );
        let paths: Vec<&str> = got.notes.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "title",
                "surprise",
                "packages[0]",
                "packages[1].registryType"
            ]
        );
        assert!(got.servers.is_empty());
    }

    #[test]
    fn a_fixed_secret_value_is_never_copied() {
        let got = one(
            r#"{"name":"a/s","description":"d","version":"1","packages":[{"registryType":"npm","identifier":"s","version":"1.0.0","transport":{"type":"stdio"},"environmentVariables":[{"name":"TOKEN","value":"hunter2-value","isSecret":true},{"name":"AUTH","value":"Bearer {k}","variables":{"k":{"value":"hunter3-value","isSecret":true}}}],"packageArguments":[{"type":"named","name":"--key","value":"hunter4-value","isSecret":true}]}]}"#,
        );
        let text = format!("{:?}", got.servers);
        assert!(!text.contains("hunter"), "{text}");
        assert!(got.secrets.contains("TOKEN") && got.secrets.contains("K"));
    }

    #[test]
    fn listing_pages_and_api_answers_are_documents_too() {
        let doc = r#"{"name":"a/b","description":"d","version":"1"}"#;
        assert_eq!(
            documents(&format!(r#"{{"server":{doc},"_meta":{{}}}}"#))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            documents(&format!(
                r#"{{"servers":[{{"server":{doc}}},{{"server":{doc}}}],"metadata":{{}}}}"#
            ))
            .unwrap()
            .len(),
            2
        );
        assert!(
            documents(r#"{"name":"a/b"}"#)
                .unwrap_err()
                .contains("description")
        );
    }
}
