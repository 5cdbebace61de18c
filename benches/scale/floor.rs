//! The floor of the scale benchmark: the irreducible work of `mcpc build`
//! with nothing else. It reads the servers from JSON with serde_json and
//! writes one native file per path given — JSON through serde_json, TOML
//! through toml, YAML with a plain writer — each holding every server.
//! No checks, no spans, no diagnostics, no manifest.
//!
//! `floor SERVERS.json OUT_DIR PATH…` (paths relative to OUT_DIR; the
//! format is the extension). Built by `benches/run.sh`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

#[derive(Deserialize, Serialize)]
struct Server {
    #[serde(skip_serializing)]
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    #[serde(rename = "mcpServers")]
    mcp_servers: BTreeMap<&'a str, &'a Server>,
}

#[derive(Serialize)]
struct TomlFile<'a> {
    mcp_servers: BTreeMap<&'a str, &'a Server>,
}

fn yaml(servers: &[Server]) -> String {
    fn quoted(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    let mut out = String::from("mcp_servers:\n");
    for s in servers {
        out.push_str("  ");
        quoted(&mut out, &s.name);
        out.push_str(":\n");
        if let Some(command) = &s.command {
            out.push_str("    command: ");
            quoted(&mut out, command);
            out.push_str("\n    args:\n");
            for a in &s.args {
                out.push_str("      - ");
                quoted(&mut out, a);
                out.push('\n');
            }
        }
        if let Some(url) = &s.url {
            out.push_str("    url: ");
            quoted(&mut out, url);
            out.push('\n');
        }
        for (key, map) in [("env", &s.env), ("headers", &s.headers)] {
            if map.is_empty() {
                continue;
            }
            let _ = writeln!(out, "    {key}:");
            for (k, v) in map {
                out.push_str("      ");
                quoted(&mut out, k);
                out.push_str(": ");
                quoted(&mut out, v);
                out.push('\n');
            }
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, paths @ ..] = args.as_slice() else {
        eprintln!("usage: floor SERVERS.json OUT_DIR PATH…");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(input).expect("read the servers");
    let servers: Vec<Server> = serde_json::from_str(&text).expect("servers JSON");
    let map: BTreeMap<&str, &Server> = servers.iter().map(|s| (s.name.as_str(), s)).collect();
    for path in paths {
        let contents = if path.ends_with(".toml") {
            toml::to_string(&TomlFile {
                mcp_servers: map.clone(),
            })
            .expect("toml")
        } else if path.ends_with(".yaml") {
            yaml(&servers)
        } else {
            serde_json::to_string_pretty(&JsonFile {
                mcp_servers: map.clone(),
            })
            .expect("json")
        };
        let full = std::path::Path::new(out_dir).join(path);
        std::fs::create_dir_all(full.parent().expect("a file in a directory")).expect("mkdir");
        let mut file = std::fs::File::create(&full).expect("create");
        file.write_all(contents.as_bytes()).expect("write");
    }
}
