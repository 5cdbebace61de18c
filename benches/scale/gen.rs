//! The inputs of the scale benchmark: `.mcpc` source for N servers and,
//! for the floor program, the same servers as JSON.
//!
//! `realistic` is the mix a large organisation writes: plugins of 50
//! servers, stdio servers with arguments, environment references and
//! secrets, HTTP servers with headers, a `target` override per plugin, a
//! workspace and a policy-free unit. The worst-case shapes stress one check
//! each: `same_command` (every server launched alike: `duplicate-launch`),
//! `colliding` (names equal after folding, across plugins:
//! `server-name-collision`), `overrides` (one plugin, a `target` override
//! per server), `deep` (every server with every block, overridden for three
//! runtimes: the deepest legal nesting, `plugin > target > server > env`).

use std::fmt::Write as _;

/// How many servers a generated plugin holds.
const PER_PLUGIN: usize = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Realistic,
    SameCommand,
    Colliding,
    Overrides,
    Deep,
}

impl Shape {
    pub const ALL: &'static [Shape] = &[
        Shape::Realistic,
        Shape::SameCommand,
        Shape::Colliding,
        Shape::Overrides,
        Shape::Deep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Realistic => "realistic",
            Shape::SameCommand => "same-command",
            Shape::Colliding => "colliding-names",
            Shape::Overrides => "target-overrides",
            Shape::Deep => "deep-nesting",
        }
    }
}

/// One server as the floor program reads it (the fields every runtime
/// file carries; overrides already applied for no runtime in particular).
struct Server {
    name: String,
    command: Option<(String, Vec<String>)>,
    env: Vec<(String, String)>,
    url: Option<String>,
    headers: Vec<(String, String)>,
}

/// The source and the floor's JSON for `n` servers of `shape`.
pub fn generate(shape: Shape, n: usize) -> (String, String) {
    let mut src = String::with_capacity(n * 220);
    let mut servers = Vec::with_capacity(n);
    match shape {
        Shape::Overrides => {
            plugin_head(&mut src, 0);
            for i in 0..n {
                servers.push(server(&mut src, shape, i));
            }
            for i in 0..n {
                let _ = writeln!(
                    src,
                    "  target codex {{\n    server \"s{i}\" {{\n      tool_timeout = 2m\n    }}\n  }}"
                );
            }
            src.push_str("}\n");
        }
        _ => {
            let mut i = 0;
            let mut p = 0;
            while i < n {
                plugin_head(&mut src, p);
                let first = i;
                while i < n && i < first + PER_PLUGIN {
                    servers.push(server(&mut src, shape, i));
                    i += 1;
                }
                overrides(&mut src, shape, first, i);
                src.push_str("}\n\n");
                p += 1;
            }
            if shape == Shape::Realistic {
                let plugins: Vec<String> = (0..p.min(3)).map(|k| format!("\"gen-{k}\"")).collect();
                let _ = writeln!(
                    src,
                    "workspace \"agents\" {{\n  runtime = claude-code\n  plugins = [{}]\n}}",
                    plugins.join(", ")
                );
            }
        }
    }
    (src, floor_json(&servers))
}

/// Every target but the apps that have no environment reference (Zed,
/// Claude Desktop, Antigravity refuse a server that reads a secret).
const TARGETS: &str = "[\"claude-code\", \"codex\", \"hermes\", \"gemini\", \"opencode\", \"qwen\", \"copilot\", \"droid\", \"amp\", \"auggie\", \"cursor\", \"vscode\", \"windsurf\", \"kiro\", \"crush\"]";

/// Auggie expands no variable in `headers`: remote servers leave it out.
const HTTP_TARGETS: &str = "[\"claude-code\", \"codex\", \"hermes\", \"gemini\", \"opencode\", \"qwen\", \"copilot\", \"droid\", \"amp\", \"cursor\", \"vscode\", \"windsurf\", \"kiro\", \"crush\"]";

fn plugin_head(src: &mut String, p: usize) {
    let _ = writeln!(
        src,
        "plugin \"gen-{p}\" {{\n  version = \"1.0.{p}\"\n  description = \"Generated plugin {p}\"\n  targets = {TARGETS}"
    );
}

/// The `target` blocks of a plugin whose servers are `first..end`.
fn overrides(src: &mut String, shape: Shape, first: usize, end: usize) {
    match shape {
        Shape::Realistic => {
            let _ = writeln!(
                src,
                "  target codex {{\n    server \"{}\" {{\n      tool_timeout = 2m\n      tools {{\n        deny = [\"delete_all\"]\n      }}\n    }}\n  }}",
                name(shape, first)
            );
        }
        Shape::Deep => {
            for target in ["codex", "claude-code", "gemini"] {
                for i in first..end {
                    let _ = writeln!(
                        src,
                        "  target {target} {{\n    server \"{}\" {{\n      env {{\n        MODE = \"{target}\"\n        RUN = \"r{i}\"\n      }}\n    }}\n  }}",
                        name(shape, i)
                    );
                }
            }
        }
        _ => {}
    }
}

fn name(shape: Shape, i: usize) -> String {
    match shape {
        // `svc-i` in even plugins, `SVC_i` in odd ones: each odd plugin's
        // servers collide with nothing, each one of a pair with the other.
        Shape::Colliding if (i / PER_PLUGIN) % 2 == 1 => format!("SVC_{}", i - PER_PLUGIN),
        Shape::Colliding => format!("svc-{i}"),
        _ => format!("s{i}"),
    }
}

/// Writes server `i` and returns it as the floor reads it.
fn server(src: &mut String, shape: Shape, i: usize) -> Server {
    let name = name(shape, i);
    let stdio = match shape {
        Shape::Realistic => i % 4 != 1 && i % 4 != 3,
        _ => true,
    };
    if !stdio {
        let url = format!("https://s{i}.tools.acme.dev/mcp");
        let headers = vec![
            ("Authorization".to_owned(), format!("Bearer ${{T_{i}}}")),
            ("X-Team".to_owned(), "platform".to_owned()),
        ];
        let _ = writeln!(
            src,
            "  server \"{name}\" {{\n    url = \"{url}\"\n    headers {{\n      Authorization = \"Bearer ${{secret.T_{i}}}\"\n      \"X-Team\" = \"platform\"\n    }}\n    targets = {HTTP_TARGETS}\n  }}"
        );
        return Server {
            name,
            command: None,
            env: Vec::new(),
            url: Some(url),
            headers,
        };
    }
    let (command, args) = match shape {
        Shape::SameCommand => ("npx", vec!["-y".to_owned(), "@acme/tools@1.0.0".to_owned()]),
        _ if i % 4 == 2 => (
            "uvx",
            vec![format!("acme-s{i}==1.{i}.0"), "--stdio".to_owned()],
        ),
        _ => ("npx", vec!["-y".to_owned(), format!("@acme/s{i}@1.0.{i}")]),
    };
    let quoted: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
    let env = vec![
        (format!("TOKEN_{i}"), format!("${{TOKEN_{i}}}")),
        ("HOME".to_owned(), "${HOME}".to_owned()),
        ("LOG_LEVEL".to_owned(), "info".to_owned()),
    ];
    let _ = writeln!(
        src,
        "  server \"{name}\" {{\n    command = \"{command}\"\n    args = [{}]\n    env {{\n      TOKEN_{i} = secret.TOKEN_{i}\n      HOME = env.HOME\n      LOG_LEVEL = \"info\"\n    }}\n  }}",
        quoted.join(", ")
    );
    Server {
        name,
        command: Some((command.to_owned(), args)),
        env,
        url: None,
        headers: Vec::new(),
    }
}

/// `[{"name", "command", "args", "env", "url", "headers"}]`, written by hand
/// so that generating does not depend on the code being measured.
fn floor_json(servers: &[Server]) -> String {
    let mut out = String::from("[\n");
    for (k, s) in servers.iter().enumerate() {
        let _ = write!(out, "  {{\"name\": \"{}\"", s.name);
        if let Some((command, args)) = &s.command {
            let args: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
            let _ = write!(
                out,
                ", \"command\": \"{command}\", \"args\": [{}]",
                args.join(", ")
            );
        }
        if let Some(url) = &s.url {
            let _ = write!(out, ", \"url\": \"{url}\"");
        }
        for (key, map) in [("env", &s.env), ("headers", &s.headers)] {
            if map.is_empty() {
                continue;
            }
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("\"{k}\": \"{v}\""))
                .collect();
            let _ = write!(out, ", \"{key}\": {{{}}}", pairs.join(", "));
        }
        out.push('}');
        if k + 1 < servers.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]\n");
    out
}
