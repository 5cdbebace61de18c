//! Syntax tree to IR, against the schema. Every problem goes to the sink and
//! lowering carries on, so one run reports everything.

use super::schema::{self, BlockSchema};
use super::values::{self, backticked, is_var_name, mismatch};
use super::*;
use crate::diag::{Diagnostic, Sink, nearest};
use crate::parse::ast::{Attribute, Block, Entry as SyntaxEntry, Value};

/// Lowers the blocks of every file of the unit.
pub fn lower(blocks: &[Block], sink: &mut Sink) -> Unit {
    let mut unit = Unit::default();
    for block in blocks {
        lower_block(&mut unit, block, sink);
    }
    unit
}

/// Lowers one top-level block into `unit` (blocks are independent: a unit
/// can be lowered as its blocks are parsed).
pub fn lower_block(unit: &mut Unit, block: &Block, sink: &mut Sink) {
    match block.kind.text.as_str() {
        "plugin" => {
            if let Some(p) = plugin(block, sink) {
                unit.plugins.push(p);
            }
        }
        "workspace" => {
            if let Some(w) = workspace(block, sink) {
                unit.workspaces.push(w);
            }
        }
        "policy" => {
            if let Some(p) = policy(block, sink) {
                unit.policies.push(p);
            }
        }
        other => unknown_block(sink, block, other, schema::TOP_LEVEL, "at the top level"),
    }
}

/// A block's entries sorted by the schema, with duplicates and unknown names
/// reported.
struct Fields<'a> {
    attributes: Vec<(&'a str, &'a Attribute)>,
    blocks: Vec<(&'a str, &'a Block)>,
}

impl<'a> Fields<'a> {
    fn value(&self, name: &str) -> Option<&'a Value> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, a)| &a.value)
    }

    fn block(&self, name: &str) -> Option<&'a Block> {
        self.blocks
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| *b)
    }

    fn blocks(&self, name: &'a str) -> impl Iterator<Item = &'a Block> + Clone + '_ {
        self.blocks
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, b)| *b)
    }
}

fn fields<'a>(block: &'a Block, schema: &BlockSchema, sink: &mut Sink) -> Fields<'a> {
    let what = format!("`{}`", block.kind.text);
    let mut out = Fields {
        attributes: Vec::new(),
        blocks: Vec::new(),
    };
    for entry in &block.entries {
        match entry {
            SyntaxEntry::Attribute(attribute) => {
                let Some(name) = attribute.key.as_name() else {
                    mismatch(sink, &attribute.key, "a name");
                    continue;
                };
                if schema.attributes.contains(&name) {
                    if let Some((_, first)) = out.attributes.iter().find(|(n, _)| *n == name) {
                        duplicate(sink, name, first.key.span, attribute.key.span);
                    } else {
                        out.attributes.push((name, attribute));
                    }
                } else if schema::SERVER_LISTS.contains(&name) && !schema.repeated.is_empty()
                    || schema::SERVER_LISTS.contains(&name) && block.kind.text == "workspace"
                {
                    redundant_list(sink, attribute.key.span, name, &block.kind.text);
                } else if schema.blocks.contains(&name) || schema.repeated.contains(&name) {
                    sink.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            attribute.value.span,
                            format!("`{name}` is a block, not an attribute"),
                        )
                        .with_label("expected a block")
                        .with_help(format!("write `{name} {{ … }}` without `=`")),
                    );
                } else {
                    unknown_attribute(sink, attribute, name, schema, &what);
                }
            }
            SyntaxEntry::Block(inner) => {
                let name = inner.kind.text.as_str();
                if schema.repeated.contains(&name) {
                    out.blocks.push((name, inner));
                } else if schema.blocks.contains(&name) {
                    if let Some((_, first)) = out.blocks.iter().find(|(n, _)| *n == name) {
                        duplicate(sink, name, first.kind.span, inner.kind.span);
                    } else {
                        out.blocks.push((name, inner));
                    }
                } else if name == "server" && block.kind.text == "workspace" {
                    redundant_list(sink, inner.kind.span, name, "workspace");
                } else if schema.attributes.contains(&name) {
                    sink.push(
                        Diagnostic::new(
                            Code::TypeMismatch,
                            inner.kind.span,
                            format!("`{name}` is an attribute, not a block"),
                        )
                        .with_label("expected an attribute")
                        .with_help(format!("write `{name} = …`")),
                    );
                } else {
                    let known: Vec<&str> = schema
                        .blocks
                        .iter()
                        .chain(schema.repeated)
                        .copied()
                        .collect();
                    unknown_block(sink, inner, name, &known, &format!("in {what}"));
                }
            }
        }
    }
    out
}

fn duplicate(sink: &mut Sink, name: &str, first: Span, again: Span) {
    sink.push(
        Diagnostic::new(
            Code::DuplicateAttribute,
            again,
            format!("`{name}` is set twice in one block"),
        )
        .with_label("set again here")
        .with_secondary(first, "first set here")
        .with_help(format!("keep one `{name}`")),
    );
}

fn redundant_list(sink: &mut Sink, span: Span, name: &str, kind: &str) {
    let help = if kind == "workspace" {
        "a workspace lists plugins only; declare servers in a plugin's `server` blocks and add the plugin to `plugins`"
    } else {
        "declare each server once, in a `server \"name\" { … }` block of this plugin"
    };
    sink.push(
        Diagnostic::new(
            Code::RedundantServerList,
            span,
            format!("a {kind} cannot list servers with `{name}`"),
        )
        .with_label("servers are declared once, in plugins")
        .with_help(help),
    );
}

fn unknown_attribute(
    sink: &mut Sink,
    attribute: &Attribute,
    name: &str,
    schema: &BlockSchema,
    what: &str,
) {
    let mut d = Diagnostic::new(
        Code::UnknownAttribute,
        attribute.key.span,
        format!("unknown attribute `{name}` in {what}"),
    )
    .with_label("unknown attribute");
    d = match nearest(name, schema.attributes.iter().copied()) {
        Some(near) => d.did_you_mean(near),
        None if schema.attributes.is_empty() => d.with_help(format!("{what} takes no attributes")),
        None => d.with_help(format!(
            "the attributes here are {}",
            backticked(schema.attributes)
        )),
    };
    sink.push(d);
}

fn unknown_block(sink: &mut Sink, block: &Block, name: &str, known: &[&str], place: &str) {
    let mut d = Diagnostic::new(
        Code::UnknownBlock,
        block.kind.span,
        format!("unknown block `{name}` {place}"),
    )
    .with_label("unknown block");
    d = match nearest(name, known.iter().copied()) {
        Some(near) => d.did_you_mean(near),
        None if known.is_empty() => d.with_help(format!("no block is allowed {place}")),
        None => d.with_help(format!("the blocks here are {}", backticked(known))),
    };
    sink.push(d);
}

/// The label of a block that needs one (`plugin "name"`).
fn label(block: &Block, sink: &mut Sink) -> Option<Spanned<String>> {
    match &block.label {
        Some(value) => values::plain_string(sink, value).or_else(|| {
            // `plugin my-name` is fine too: an identifier label.
            value
                .as_name()
                .map(|n| Spanned::new(n.to_owned(), value.span))
        }),
        None => {
            let kind = &block.kind.text;
            sink.push(
                Diagnostic::new(
                    Code::MissingAttribute,
                    block.kind.span,
                    format!("this `{kind}` block has no name"),
                )
                .with_label("name expected after this")
                .with_help(format!("write `{kind} \"name\" {{ … }}`")),
            );
            None
        }
    }
}

/// Blocks such as `env` and `tools` take no label.
fn no_label(block: &Block, sink: &mut Sink) {
    if let Some(value) = &block.label {
        let kind = &block.kind.text;
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                value.span,
                format!("a `{kind}` block takes no name"),
            )
            .with_label("unexpected name")
            .with_help(format!("write `{kind} {{ … }}`")),
        );
    }
}

fn missing(sink: &mut Sink, at: Span, what: &str, attribute: &str, example: &str) {
    sink.push(
        Diagnostic::new(
            Code::MissingAttribute,
            at,
            format!("{what} has no `{attribute}`"),
        )
        .with_label(format!("`{attribute}` is required"))
        .with_help(format!("add `{example}`")),
    );
}

fn opt_string(sink: &mut Sink, f: &Fields, name: &str) -> Option<Spanned<String>> {
    f.value(name).and_then(|v| values::plain_string(sink, v))
}

fn string_list(sink: &mut Sink, value: &Value) -> Option<Spanned<Vec<Spanned<String>>>> {
    values::list(sink, value, "strings", values::plain_string)
}

fn target_list(sink: &mut Sink, f: &Fields) -> Option<TargetList> {
    f.value("targets")
        .and_then(|v| values::list(sink, v, "target names", values::target))
}

fn plugin(block: &Block, sink: &mut Sink) -> Option<Plugin> {
    let name = label(block, sink);
    let f = fields(block, &schema::PLUGIN, sink);
    let version = opt_string(sink, &f, "version");
    match &version {
        None if f.value("version").is_none() => {
            let at = name.as_ref().map_or(block.kind.span, |n| n.span);
            let what = name.as_ref().map_or("this plugin".to_owned(), |n| {
                format!("plugin `{}`", n.value)
            });
            missing(sink, at, &what, "version", "version = \"1.0.0\"");
        }
        Some(v) if !is_semver(&v.value) => sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                v.span,
                format!("`{}` is not a semantic version", v.value),
            )
            .with_label("expected MAJOR.MINOR.PATCH")
            .with_help(semver_help(&v.value)),
        ),
        _ => {}
    }
    let kind = f.value("kind").and_then(|v| {
        values::one_of(
            sink,
            v,
            "plugin kind",
            &[
                ("standard", PluginKind::Standard),
                ("platform", PluginKind::Platform),
            ],
        )
    });
    let scope = f.value("scope").and_then(|v| {
        values::one_of(
            sink,
            v,
            "scope",
            &[
                ("user", Scope::User),
                ("workspace", Scope::Workspace),
                ("org", Scope::Org),
            ],
        )
    });
    let mut overrides = Vec::new();
    let mut target_lints: Vec<TargetLints> = Vec::new();
    for b in f.blocks("target") {
        let (o, lints) = target_block(b, sink);
        overrides.extend(o);
        if let Some(lints) = lints {
            let earlier = target_lints
                .iter()
                .filter(|t| t.target.value == lints.target.value)
                .flat_map(|t| &t.levels);
            for (code, _) in &lints.levels {
                if let Some((first, _)) = earlier.clone().find(|(c, _)| c.value == code.value) {
                    duplicate(sink, code.value.name(), first.span, code.span);
                }
            }
            let first_secrets = target_lints
                .iter()
                .filter(|t| t.target.value == lints.target.value)
                .find_map(|t| t.secrets.as_ref());
            if let (Some(first), Some(again)) = (first_secrets, &lints.secrets) {
                duplicate(sink, "secrets", first.span, again.span);
            }
            target_lints.push(lints);
        }
    }
    let plugin = Plugin {
        version,
        description: opt_string(sink, &f, "description"),
        kind,
        scope,
        targets: target_list(sink, &f),
        homepage: opt_string(sink, &f, "homepage"),
        license: opt_string(sink, &f, "license"),
        author: opt_string(sink, &f, "author"),
        registry: registry_url(sink, &f),
        servers: exact(f.blocks("server"), |b| server(b, sink)),
        overrides,
        target_lints,
        span: block.span,
        name: name?,
    };
    Some(plugin)
}

/// What `lower` makes of each of `items`, in a vector allocated once for
/// all of them (grown by doubling, a plugin's servers left a third of it
/// unused on average).
fn exact<'a, T>(
    items: impl Iterator<Item = &'a Block> + Clone,
    lower: impl FnMut(&'a Block) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(items.clone().count());
    out.extend(items.filter_map(lower));
    out
}

fn is_semver(text: &str) -> bool {
    let core = text.split(['-', '+']).next().unwrap_or_default();
    let rest = &text[core.len()..];
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers.iter().all(|n| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n.len() == 1 || !n.starts_with('0'))
        })
        && rest
            .trim_start_matches(['-', '+'])
            .split(['.', '+'])
            .all(|id| {
                rest.is_empty()
                    || (!id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            })
}

fn semver_help(text: &str) -> String {
    let parts: Vec<&str> = text.trim_start_matches('v').split('.').collect();
    if parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.len() < 3
    {
        let mut fixed = parts.clone();
        fixed.resize(3, "0");
        format!("write `\"{}\"`", fixed.join("."))
    } else if let Some(stripped) = text.strip_prefix('v') {
        format!("write it without the `v`: `\"{stripped}\"`")
    } else {
        "write MAJOR.MINOR.PATCH, such as `\"1.4.0\"`".to_owned()
    }
}

fn server(block: &Block, sink: &mut Sink) -> Option<Server> {
    let name = label(block, sink);
    let fields = server_fields(block, sink);
    Some(Server {
        name: name?,
        fields,
    })
}

fn server_fields(block: &Block, sink: &mut Sink) -> ServerFields {
    let f = fields(block, &schema::SERVER, sink);
    let str_at =
        |sink: &mut Sink, name: &str| f.value(name).and_then(|v| values::str_value(sink, v));
    let command = str_at(sink, "command");
    let cwd = str_at(sink, "cwd");
    let url = str_at(sink, "url");
    if let Some(url) = &url {
        check_url(sink, url);
    }
    let args = f
        .value("args")
        .and_then(|v| values::list(sink, v, "strings", values::str_value));
    for (s, what) in command
        .iter()
        .map(|c| (c, "command"))
        .chain(cwd.iter().map(|c| (c, "cwd")))
        .chain(
            args.iter()
                .flat_map(|a| a.value.iter().map(|a| (a, "argument"))),
        )
    {
        no_nul(sink, s, what);
    }
    let transport = f.value("transport").and_then(|v| {
        values::one_of(
            sink,
            v,
            "transport",
            &[
                ("http", RemoteTransport::Http),
                ("sse", RemoteTransport::Sse),
            ],
        )
    });
    // In source-schema order, so that diagnostics come in the same order.
    let env = f.block("env").map(|b| entries(b, sink, EntryKind::Env));
    let headers = f
        .block("headers")
        .map(|b| entries(b, sink, EntryKind::Header));
    let tools = f.block("tools").map(|b| tools(b, sink)).unwrap_or_default();
    let startup_timeout = f
        .value("startup_timeout")
        .and_then(|v| values::duration(sink, v));
    let tool_timeout = f
        .value("tool_timeout")
        .and_then(|v| values::duration(sink, v));
    let enabled = f.value("enabled").and_then(|v| values::boolean(sink, v));
    let description = opt_string(sink, &f, "description");
    let targets = target_list(sink, &f);
    let registry = f
        .block("registry")
        .and_then(|b| registry_ref(b, sink))
        .map(Box::new);
    let rare = RareFields {
        cwd,
        transport,
        tools,
        startup_timeout,
        tool_timeout,
        enabled,
        description,
        registry,
    };
    ServerFields {
        command,
        args,
        env,
        url,
        headers,
        targets,
        rare: (!rare.is_none()).then(|| Box::new(rare)),
    }
}

/// A plugin's `registry = "https://…"`: an `https://` base URL (or
/// `http://` on a loopback host), without query or credentials.
fn registry_url(sink: &mut Sink, f: &Fields) -> Option<Spanned<String>> {
    let url = opt_string(sink, f, "registry")?;
    let problem = match crate::ir::url::parse(&url.value) {
        Err(why) => Some(why),
        Ok(_) if url.value.contains(['?', '#']) => Some("it has a query or fragment"),
        Ok(u) if u.scheme == "http" && !crate::ir::url::is_loopback(&u.host) => {
            Some("a registry is reached over `https://` (`http://` on a loopback host only)")
        }
        Ok(_) => None,
    };
    if let Some(why) = problem {
        let shown = crate::ir::url::without_userinfo(&url.value).unwrap_or(url.value.clone());
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                url.span,
                format!("`{shown}` is not a registry base URL: {why}"),
            )
            .with_label("invalid registry URL")
            .with_help("write the registry's base URL, such as `registry = \"https://registry.example.com\"`"),
        );
        return None;
    }
    Some(url)
}

/// `registry { name = …, version = …, package = … }` in a server.
fn registry_ref(block: &Block, sink: &mut Sink) -> Option<RegistryRef> {
    no_label(block, sink);
    let f = fields(block, &schema::REGISTRY, sink);
    let name = opt_string(sink, &f, "name");
    let version = opt_string(sink, &f, "version");
    let package = opt_string(sink, &f, "package");
    if f.value("name").is_none() {
        missing(
            sink,
            block.kind.span,
            "this `registry` block",
            "name",
            "name = \"io.github.owner/server\"",
        );
    }
    if f.value("version").is_none() {
        missing(
            sink,
            block.kind.span,
            "this `registry` block",
            "version",
            "version = \"1.0.0\"",
        );
    }
    if let Some(n) = &name
        && !crate::registry::lock::is_entry_name(&n.value)
    {
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                n.span,
                format!("`{}` is not a registry entry name", n.value),
            )
            .with_label("expected `namespace/name`")
            .with_help("a registry name is `namespace/name` (letters, digits, `.`, `-`; `_` after the `/`), such as `\"io.github.acme/github\"`"),
        );
        return None;
    }
    if let Some(v) = &version
        && !crate::registry::lock::is_entry_version(&v.value)
    {
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                v.span,
                format!("`{}` is not a version of a registry entry", v.value),
            )
            .with_label("expected one exact version")
            .with_help("write the exact version the registry lists, such as `\"0.9.1\"` (or `\"latest\"`, which `mcpc lock` pins); ranges are not resolved"),
        );
        return None;
    }
    if let Some(p) = &package
        && !crate::registry::lock::PACKAGE_KINDS.contains(&p.value.as_str())
    {
        let mut d = Diagnostic::new(
            Code::InvalidValue,
            p.span,
            format!("`{}` is not a kind of registry package", p.value),
        )
        .with_label("unknown package kind");
        d = match nearest(
            &p.value,
            crate::registry::lock::PACKAGE_KINDS.iter().copied(),
        ) {
            Some(near) => d.did_you_mean(near),
            None => d.with_help(format!(
                "write one of {}",
                backticked(crate::registry::lock::PACKAGE_KINDS)
            )),
        };
        sink.push(d);
        return None;
    }
    Some(RegistryRef {
        name: name?,
        version: version?,
        package,
        span: block.kind.span,
    })
}

/// A NUL cannot pass to a program (`execve` takes C strings): a runtime
/// would cut the text there, or fail to start the server.
fn no_nul(sink: &mut Sink, s: &Spanned<Str>, what: &str) {
    let nul = s.value.parts.iter().any(|p| match p {
        Part::Lit(text) => text.contains('\0'),
        Part::Ref(_) => false,
    });
    if nul {
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                s.span,
                format!("the {what} holds a NUL character (`\\u{{0}}`)"),
            )
            .with_label("NUL here")
            .with_help("remove the `\\u{0}`: a program's command, arguments, working directory and environment cannot hold NUL"),
        );
    }
}

fn check_url(sink: &mut Sink, url: &Spanned<Str>) {
    // Only the literal text before the first reference can be checked; when
    // a reference follows, it stands in for the rest of the URL.
    let prefix = url.value.literal_prefix();
    let checked = match url.value.as_literal() {
        Some(text) => text,
        None if prefix.is_empty() => return,
        None => format!("{prefix}x").into(),
    };
    if let Err(why) = crate::ir::url::parse(&checked) {
        // User information is shown as `***`: it may hold a password.
        let shown = url.value.display();
        let (shown, help) = match crate::ir::url::without_userinfo(&shown) {
            Some(masked) => (
                masked,
                "write the URL without `user:password@` and send the credential in a header: \
                 `headers { Authorization = \"Basic ${secret.CREDENTIALS}\" }`",
            ),
            None => (
                shown,
                "write `https://host/path` (or `http://` for a loopback host)",
            ),
        };
        sink.push(
            Diagnostic::new(
                Code::InvalidValue,
                url.span,
                format!("`{shown}` is not a valid server URL: {why}"),
            )
            .with_label("invalid URL")
            .with_help(help),
        );
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Env,
    Header,
}

fn entries(block: &Block, sink: &mut Sink, kind: EntryKind) -> Spanned<Vec<Entry>> {
    no_label(block, sink);
    let mut out: Vec<Entry> = Vec::with_capacity(block.entries.len());
    for entry in &block.entries {
        let attribute = match entry {
            SyntaxEntry::Attribute(a) => a,
            SyntaxEntry::Block(inner) => {
                unknown_block(
                    sink,
                    inner,
                    &inner.kind.text,
                    &[],
                    &format!("in `{}`", block.kind.text),
                );
                continue;
            }
        };
        let Some(key) = attribute.key.as_name() else {
            mismatch(sink, &attribute.key, "a name");
            continue;
        };
        let valid = match kind {
            EntryKind::Env => is_var_name(key),
            EntryKind::Header => !key.is_empty() && key.bytes().all(is_header_char),
        };
        if !valid {
            let (what, rule) = match kind {
                EntryKind::Env => ("environment variable", "`[A-Za-z_][A-Za-z0-9_]*`"),
                EntryKind::Header => ("header", "letters, digits and `-`"),
            };
            sink.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    attribute.key.span,
                    format!("`{key}` is not a valid {what} name"),
                )
                .with_label(format!("invalid {what} name"))
                .with_help(format!("a {what} name uses {rule}")),
            );
            continue;
        }
        if let Some(first) = out.iter().find(|e| e.key.value == key) {
            duplicate(sink, key, first.key.span, attribute.key.span);
            continue;
        }
        if let Some(value) = values::str_value(sink, &attribute.value) {
            if kind == EntryKind::Env {
                no_nul(sink, &value, "environment value");
            }
            out.push(Entry {
                key: Spanned::new(key.into(), attribute.key.span),
                value,
            });
        }
    }
    Spanned::new(out, block.kind.span)
}

fn is_header_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn tools(block: &Block, sink: &mut Sink) -> Tools {
    no_label(block, sink);
    let f = fields(block, &schema::TOOLS, sink);
    let names = |sink: &mut Sink, name: &str| f.value(name).and_then(|v| string_list(sink, v));
    Tools {
        allow: names(sink, "allow"),
        deny: names(sink, "deny"),
    }
}

fn target_block(block: &Block, sink: &mut Sink) -> (Vec<Override>, Option<TargetLints>) {
    let target = match &block.label {
        Some(value) => values::target(sink, value),
        None => {
            sink.push(
                Diagnostic::new(
                    Code::MissingAttribute,
                    block.kind.span,
                    "this `target` block names no target",
                )
                .with_label("target name expected after this")
                .with_help("write `target codex { server \"name\" { … } }`"),
            );
            None
        }
    };
    let f = fields(block, &schema::TARGET, sink);
    let mut overrides = Vec::new();
    for b in f.blocks("server") {
        let server = label(b, sink);
        let mut fields = server_fields(b, sink);
        if let Some(r) = fields.rare.as_mut().and_then(|r| r.registry.take()) {
            sink.push(
                Diagnostic::new(
                    Code::UnknownBlock,
                    r.span,
                    "a `target` override cannot name a registry entry",
                )
                .with_label("not in a `target` block")
                .with_help("write `registry { … }` in the plugin's own `server` block; a `target` block overrides single attributes"),
            );
        }
        if let (Some(target), Some(server)) = (&target, server) {
            overrides.push(Override {
                target: target.clone(),
                server,
                fields,
            });
        }
    }
    let lints = f.block("lints").map(|b| {
        let mut levels = lint_levels(b, sink);
        levels.retain(|(code, _)| {
            let per_target = TARGET_LINTS.contains(&code.value);
            if !per_target {
                sink.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        code.span,
                        format!("`{}` is not reported by a target's backend, so it has no level per target", code.value),
                    )
                    .with_label("not a per-target lint")
                    .with_help(format!(
                        "a `target` block sets {}; set `{}` for the whole unit in `policy {{ lints {{ … }} }}`",
                        TARGET_LINTS.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                        code.value
                    )),
                );
            }
            per_target
        });
        levels
    });
    let secrets = f.value("secrets").and_then(|v| {
        values::one_of(
            sink,
            v,
            "secret form",
            &[("input", SecretForm::Input), ("env", SecretForm::Env)],
        )
    });
    let lints = match (target, lints, secrets) {
        (Some(target), lints, secrets) if lints.is_some() || secrets.is_some() => {
            Some(TargetLints {
                target,
                levels: lints.unwrap_or_default(),
                secrets,
            })
        }
        _ => None,
    };
    (overrides, lints)
}

/// The lints a backend reports, so a `target` block can set their level.
const TARGET_LINTS: &[Code] = &[Code::LossyLowering];

fn workspace(block: &Block, sink: &mut Sink) -> Option<Workspace> {
    let name = label(block, sink);
    let f = fields(block, &schema::WORKSPACE, sink);
    let at = name.as_ref().map_or(block.kind.span, |n| n.span);
    let what = name.as_ref().map_or("this workspace".to_owned(), |n| {
        format!("workspace `{}`", n.value)
    });
    let runtime = match f.value("runtime") {
        Some(v) => values::target(sink, v),
        None => {
            missing(sink, at, &what, "runtime", "runtime = codex");
            None
        }
    };
    let plugins = match f.value("plugins") {
        Some(v) => string_list(sink, v),
        None => {
            missing(sink, at, &what, "plugins", "plugins = [\"plugin-name\"]");
            None
        }
    };
    Some(Workspace {
        name: name?,
        runtime,
        plugins,
    })
}

fn policy(block: &Block, sink: &mut Sink) -> Option<Policy> {
    let name = label(block, sink);
    let f = fields(block, &schema::POLICY, sink);
    let lints = f
        .block("lints")
        .map(|b| lint_levels(b, sink))
        .unwrap_or_default();
    let transports = f.value("allow_transports").and_then(|v| {
        values::list(sink, v, "transports", |sink, v| {
            values::one_of(
                sink,
                v,
                "transport",
                &[
                    ("stdio", Transport::Stdio),
                    ("http", Transport::Http),
                    ("sse", Transport::Sse),
                ],
            )
        })
    });
    Some(Policy {
        lints,
        allow_commands: f.value("allow_commands").and_then(|v| string_list(sink, v)),
        allow_hosts: f.value("allow_hosts").and_then(|v| string_list(sink, v)),
        allow_transports: transports,
        name: name?,
    })
}

fn lint_levels(block: &Block, sink: &mut Sink) -> Vec<(Spanned<Code>, Spanned<Level>)> {
    no_label(block, sink);
    let mut out: Vec<(Spanned<Code>, Spanned<Level>)> = Vec::new();
    for entry in &block.entries {
        let attribute = match entry {
            SyntaxEntry::Attribute(a) => a,
            SyntaxEntry::Block(inner) => {
                unknown_block(sink, inner, &inner.kind.text, &[], "in `lints`");
                continue;
            }
        };
        let Some(name) = attribute.key.as_name() else {
            mismatch(sink, &attribute.key, "a lint name");
            continue;
        };
        let code = match Code::from_name(name) {
            Some(code) if code.is_lint() => code,
            Some(code) => {
                sink.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        attribute.key.span,
                        format!("`{code}` is an error, not a lint; it has no level"),
                    )
                    .with_label("not a lint")
                    .with_help("only lints can be allowed, warned or denied; see `mcpc explain`"),
                );
                continue;
            }
            None => {
                let mut d = Diagnostic::new(
                    Code::UnknownAttribute,
                    attribute.key.span,
                    format!("unknown lint `{name}`"),
                )
                .with_label("not a lint");
                if let Some(near) = nearest(name, Code::lint_names()) {
                    d = d.with_help(format!("did you mean `{near}`?"));
                } else {
                    d = d.with_help("`mcpc explain` lists the lints");
                }
                sink.push(d);
                continue;
            }
        };
        if let Some((first, _)) = out.iter().find(|(c, _)| c.value == code) {
            duplicate(sink, name, first.span, attribute.key.span);
            continue;
        }
        let level = values::one_of(
            sink,
            &attribute.value,
            "lint level",
            &[
                ("allow", Level::Allow),
                ("warn", Level::Warn),
                ("deny", Level::Deny),
            ],
        );
        if let Some(level) = level {
            out.push((Spanned::new(code, attribute.key.span), level));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::is_semver;

    #[test]
    fn semver() {
        for ok in [
            "1.0.0",
            "0.3.1",
            "10.20.30",
            "1.0.0-rc.1",
            "1.0.0+build.5",
            "1.0.0-alpha+001",
        ] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in [
            "1.0",
            "v1.0.0",
            "1.0.0.0",
            "01.0.0",
            "1.x.0",
            "",
            "1.0.0-",
            "1.0.0-a..b",
        ] {
            assert!(!is_semver(bad), "{bad}");
        }
    }
}
