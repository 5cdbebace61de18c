//! The neutral model of one server, as a runtime will see it: what backends
//! read back from a runtime's file, and what a declaration means. Values are
//! strings in which a variable is written `${NAME}` (or `${NAME:-default}`),
//! whatever the runtime's own spelling.

use crate::ir::{Part, Ref, Server, Str, Transport};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    pub name: String,
    pub transport: Transport,
    pub command: Option<String>,
    pub args: Vec<String>,
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub url: Option<String>,
    pub headers: Vec<(String, String)>,
    pub allow: Option<Vec<String>>,
    pub deny: Option<Vec<String>>,
    pub tool_timeout_ms: Option<u64>,
    pub startup_timeout_ms: Option<u64>,
    pub enabled: bool,
}

impl ServerSpec {
    pub fn new(name: impl Into<String>, transport: Transport) -> ServerSpec {
        ServerSpec {
            name: name.into(),
            transport,
            command: None,
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            url: None,
            headers: Vec::new(),
            allow: None,
            deny: None,
            tool_timeout_ms: None,
            startup_timeout_ms: None,
            enabled: true,
        }
    }

    /// What a (target-effective) server declares; `plugin_root` stands in
    /// for `plugin.root`.
    pub fn from_ir(server: &Server, plugin_root: Option<&str>) -> ServerSpec {
        ServerSpec::from_ir_as(server, plugin_root, false)
    }

    /// [`ServerSpec::from_ir`], with each secret written `${input:NAME}`
    /// when `prompted` (a runtime that prompts for it, VS Code).
    pub fn from_ir_as(server: &Server, plugin_root: Option<&str>, prompted: bool) -> ServerSpec {
        let f = &server.fields;
        let text = |s: &Str| neutral_as(s, plugin_root, prompted);
        let entries = |e: &Option<crate::source::Spanned<Vec<crate::ir::Entry>>>| {
            e.iter()
                .flat_map(|e| &e.value)
                .map(|e| (e.key.value.to_string(), text(&e.value.value)))
                .collect()
        };
        let names = |l: &Option<crate::source::Spanned<Vec<crate::source::Spanned<String>>>>| {
            l.as_ref()
                .map(|l| l.value.iter().map(|t| t.value.clone()).collect())
        };
        ServerSpec {
            name: server.name.value.clone(),
            transport: f.transport_kind(),
            command: f.command.as_ref().map(|c| text(&c.value)),
            args: f
                .args
                .iter()
                .flat_map(|a| &a.value)
                .map(|a| text(&a.value))
                .collect(),
            cwd: f.rare().cwd.as_ref().map(|c| text(&c.value)),
            env: entries(&f.env),
            url: f.url.as_ref().map(|u| text(&u.value)),
            headers: entries(&f.headers),
            allow: names(&f.rare().tools.allow),
            deny: names(&f.rare().tools.deny),
            tool_timeout_ms: f.rare().tool_timeout.as_ref().map(|t| t.value),
            startup_timeout_ms: f.rare().startup_timeout.as_ref().map(|t| t.value),
            enabled: f.is_enabled(),
        }
        .normalized()
    }

    /// Calls `f` on every string value (not on names or keys).
    pub fn for_each_value(&mut self, mut f: impl FnMut(&mut String)) {
        self.command.iter_mut().for_each(&mut f);
        self.args.iter_mut().for_each(&mut f);
        self.cwd.iter_mut().for_each(&mut f);
        self.url.iter_mut().for_each(&mut f);
        for (_, v) in self.env.iter_mut().chain(self.headers.iter_mut()) {
            f(v);
        }
    }

    /// One canonical form for comparison: maps sorted, header names
    /// lower-cased, and the tool filter as the set it allows (`allow`
    /// minus `deny` when both are given).
    pub fn normalized(mut self) -> ServerSpec {
        self.env.sort();
        for (k, _) in &mut self.headers {
            *k = k.to_ascii_lowercase();
        }
        self.headers.sort();
        if let Some(deny) = &self.deny
            && deny.is_empty()
        {
            self.deny = None;
        }
        if let Some(allow) = &mut self.allow {
            if let Some(deny) = self.deny.take() {
                allow.retain(|t| !deny.contains(t));
            }
            allow.sort();
            allow.dedup();
        }
        if let Some(deny) = &mut self.deny {
            deny.sort();
            deny.dedup();
        }
        self
    }
}

/// `project.root` in the neutral notation (no variable has a `.` in its
/// name, so it is never read as one).
pub const PROJECT_ROOT: &str = "${project.root}";

/// A value in the neutral notation.
pub fn neutral(value: &Str, plugin_root: Option<&str>) -> String {
    neutral_as(value, plugin_root, false)
}

/// A secret the runtime prompts for, in the neutral notation: VS Code's
/// own `${input:ID}`, its id the secret's name.
pub fn input_reference(name: &str) -> String {
    format!("${{input:{name}}}")
}

fn neutral_as(value: &Str, plugin_root: Option<&str>, prompted: bool) -> String {
    value
        .parts
        .iter()
        .map(|p| match p {
            Part::Lit(t) => t.to_string(),
            Part::Ref(r) => match &r.value {
                Ref::Secret { name } if prompted => input_reference(name),
                Ref::Env {
                    name,
                    default: None,
                }
                | Ref::Secret { name } => format!("${{{name}}}"),
                Ref::Env {
                    name,
                    default: Some(d),
                } => format!("${{{name}:-{d}}}"),
                Ref::PluginRoot => plugin_root.unwrap_or("${plugin.root}").to_owned(),
                Ref::ProjectRoot => PROJECT_ROOT.to_owned(),
            },
        })
        .collect()
}
