//! MCP Bundles' `manifest.json` (MCPB 0.3): the server's launch line from
//! `server.mcp_config`, with the bundle's substitutions turned into the
//! language's references.
//!
//! `${__dirname}` (where the bundle is unpacked) becomes `plugin.root`;
//! `${user_config.KEY}` becomes the variable `KEY` (upper-cased), a secret
//! when the bundle marks it `sensitive`; `${HOME}` stays an environment
//! variable. Everything else the manifest says (tools, prompts,
//! compatibility, per-platform overrides, …) is a note.

use super::{Imported, server_name, variable_name};
use crate::backends::ServerSpec;
use crate::ir::Transport;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub manifest_version: Option<String>,
    #[serde(default)]
    pub dxt_version: Option<String>,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub author: Option<Author>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    pub server: Server,
    #[serde(default)]
    pub user_config: BTreeMap<String, UserConfig>,
    /// Everything else: named in a note each.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct Author {
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct Server {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub entry_point: Option<String>,
    pub mcp_config: McpConfig,
}

#[derive(Debug, Deserialize)]
pub struct McpConfig {
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub platform_overrides: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct UserConfig {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub default: Option<Value>,
    #[serde(default)]
    pub multiple: bool,
}

pub fn parse(text: &str) -> Result<Manifest, String> {
    let manifest: Manifest = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let version = manifest
        .manifest_version
        .as_deref()
        .or(manifest.dxt_version.as_deref());
    match version {
        Some(_) => Ok(manifest),
        None => Err("missing `manifest_version`: not an MCP Bundle manifest".into()),
    }
}

pub fn import(m: &Manifest) -> Imported {
    let mut out = Imported {
        version: Some(m.version.clone()),
        description: m.description.clone(),
        homepage: m.homepage.clone(),
        license: m.license.clone(),
        author: m.author.as_ref().map(|a| a.name.clone()),
        ..Imported::default()
    };
    for key in m.other.keys() {
        let known = matches!(
            key.as_str(),
            "$schema" | "display_name" | "long_description"
        );
        let why = if known {
            "shown by apps that install bundles; not carried"
        } else {
            "the language has no place for it; not carried"
        };
        out.note(key.clone(), why);
    }
    out.note(
        "server.type",
        format!("`{}`: the launch line says how to start it", m.server.kind),
    );
    if m.server.entry_point.is_some() {
        out.note("server.entry_point", "the launch line says how to start it");
    }
    let config = &m.server.mcp_config;
    if config.platform_overrides.is_some() {
        out.note(
            "server.mcp_config.platform_overrides",
            "one launch line for every platform; write per-platform plugins if they differ",
        );
    }
    for (key, setting) in &m.user_config {
        if setting.title.is_some() || setting.description.is_some() {
            out.note(
                format!("user_config.{key}"),
                format!("its title and description prompt a person installing the bundle; here `{}` is set in the environment", variable_name(key)),
            );
        }
        if setting.multiple || setting.kind.as_deref().is_some_and(|k| k != "string") {
            out.note(
                format!("user_config.{key}.type"),
                "passed as text, as the runtime's environment holds it",
            );
        }
    }
    let mut spec = ServerSpec::new(server_name(&m.name), Transport::Stdio);
    let mut subst = Substitution { m, out: &mut out };
    spec.command = Some(subst.text(&config.command, "server.mcp_config.command"));
    spec.args = config
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| subst.text(a, &format!("server.mcp_config.args[{i}]")))
        .collect();
    spec.env = config
        .env
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                subst.text(v, &format!("server.mcp_config.env.{k}")),
            )
        })
        .collect();
    out.servers.push(spec);
    out
}

struct Substitution<'a> {
    m: &'a Manifest,
    out: &'a mut Imported,
}

impl Substitution<'_> {
    /// The bundle's `${…}` substitutions in `text`, in neutral notation.
    fn text(&mut self, text: &str, at: &str) -> String {
        let mut result = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("${") {
            let Some(len) = rest[open..].find('}') else {
                break;
            };
            result.push_str(&rest[..open]);
            result.push_str(&self.reference(&rest[open + 2..open + len], at));
            rest = &rest[open + len + 1..];
        }
        result.push_str(rest);
        result
    }

    fn reference(&mut self, inner: &str, at: &str) -> String {
        if inner == "__dirname" {
            return "${plugin.root}".into();
        }
        if inner == "/" || inner == "pathSeparator" {
            self.out.note(at, format!("`${{{inner}}}` written as `/`"));
            return "/".into();
        }
        let Some(key) = inner.strip_prefix("user_config.") else {
            if matches!(inner, "DOCUMENTS" | "DESKTOP" | "DOWNLOADS") {
                self.out.note(
                    at,
                    format!("`${{{inner}}}` is a folder the bundle host knows; it became the variable `{inner}`"),
                );
            }
            return format!("${{{}}}", variable_name(inner));
        };
        let name = variable_name(key);
        match self.m.user_config.get(key) {
            Some(setting) if setting.sensitive => {
                self.out.secrets.insert(name.clone());
                format!("${{{name}}}")
            }
            Some(UserConfig {
                default: Some(Value::String(d)),
                ..
            }) if !d.contains(['$', '{', '}']) => {
                self.out.note(
                    format!("user_config.{key}.default"),
                    format!("the default `{d}` is written as the value; write `env.{name}` to take it from the environment"),
                );
                d.clone()
            }
            Some(UserConfig {
                default: Some(_), ..
            }) => {
                self.out.note(
                    format!("user_config.{key}.default"),
                    "a default that is not plain text is not carried; set the variable",
                );
                format!("${{{name}}}")
            }
            Some(_) => format!("${{{name}}}"),
            None => {
                self.out.note(
                    at,
                    format!("`user_config.{key}` is not declared in `user_config`; it became the variable `{name}`"),
                );
                format!("${{{name}}}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutions_become_references() {
        let m = parse(
            r#"{"manifest_version":"0.3","name":"notes","version":"1.0.0","server":{"type":"node","entry_point":"s.js","mcp_config":{"command":"node","args":["${__dirname}/s.js","${user_config.dir}"],"env":{"K":"${user_config.api_key}","H":"${HOME}/x"}}},"user_config":{"dir":{"type":"directory","default":"/srv"},"api_key":{"type":"string","sensitive":true}}}"#,
        )
        .unwrap();
        let got = import(&m);
        let s = &got.servers[0];
        assert_eq!(s.args, ["${plugin.root}/s.js", "/srv"]);
        assert_eq!(
            s.env,
            [
                ("H".to_owned(), "${HOME}/x".to_owned()),
                ("K".to_owned(), "${API_KEY}".to_owned())
            ]
        );
        assert!(got.secrets.contains("API_KEY"));
        let paths: Vec<&str> = got.notes.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "server.type",
                "server.entry_point",
                "user_config.dir.type",
                "user_config.dir.default"
            ]
        );
    }

    #[test]
    fn a_server_json_is_not_a_manifest() {
        let err = parse(
            r#"{"name":"a/b","version":"1","server":{"type":"node","mcp_config":{"command":"x"}}}"#,
        )
        .unwrap_err();
        assert!(err.contains("manifest_version"), "{err}");
    }
}
