use super::*;
use crate::source::SourceFile;

const PLUGIN: &str = "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"docs\" {\n    url = \"https://docs.acme.dev/mcp\"\n    headers { Authorization = \"Bearer ${secret.DOCS_TOKEN}\" }\n  }\n  target codex {\n    server \"docs\" { tool_timeout = 20s }\n  }\n}\n";
const WORKSPACE: &str = "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tools\"]\n}\npolicy \"org\" {\n  lints { unpinned-package = deny }\n}\n";

fn unit() -> (SourceMap, Index) {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("a.mcpc", PLUGIN));
    sources.add(SourceFile::new("b.mcpc", WORKSPACE));
    let index = Index::new(&sources);
    (sources, index)
}

fn at(text: &str, needle: &str) -> usize {
    text.find(needle).unwrap() + 1
}

#[test]
fn definitions_and_references_across_files() {
    let (sources, index) = unit();
    // The plugin named in the workspace (file 1) is defined in file 0.
    let used = index.at(FileId(1), at(WORKSPACE, "acme-tools")).unwrap();
    assert_eq!(used.kind, SymbolKind::Plugin);
    let defs = index.definition(used);
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].file, FileId(0));
    assert_eq!(sources.slice(defs[0]), "acme-tools");
    assert_eq!(index.same(used).count(), 2);
    // The server overridden for codex refers to the plugin's server.
    let over = index.at(FileId(0), PLUGIN.rfind("docs").unwrap()).unwrap();
    assert_eq!(
        (over.kind, over.container.as_deref()),
        (SymbolKind::Server, Some("acme-tools"))
    );
    let def = index.definition(over);
    assert_eq!(def.len(), 1);
    assert!(def[0].start < over.span.start);
    // A secret's first use is its place.
    let secret = index.at(FileId(0), at(PLUGIN, "DOCS_TOKEN")).unwrap();
    assert_eq!(sources.slice(secret.span), "DOCS_TOKEN");
    assert_eq!(index.names(SymbolKind::Secret, None), ["DOCS_TOKEN"]);
    assert!(index.at(FileId(1), 0).is_none());
    assert!(index.folds.len() >= 4);
}

fn labels(text: &str, offset: usize) -> Vec<String> {
    let (_, index) = unit();
    complete(text, offset, &index)
        .into_iter()
        .map(|c| c.label)
        .collect()
}

fn end(text: &str) -> Vec<String> {
    labels(text, text.len())
}

#[test]
fn completion_knows_where_it_is() {
    assert_eq!(end(""), ["plugin", "workspace", "policy"]);
    let server = end("plugin \"p\" {\n  server \"s\" {\n    ");
    assert!(
        server.contains(&"tools".to_owned()) && server.contains(&"startup_timeout".to_owned()),
        "{server:?}"
    );
    assert!(!server.contains(&"version".to_owned()));
    assert_eq!(
        end("plugin \"p\" {\n  server \"s\" {\n    transport = "),
        ["http", "sse"]
    );
    assert_eq!(
        end("plugin \"p\" { server \"s\" { url = \"x\" }\n scope = o"),
        ["user", "workspace", "org"]
    );
    assert_eq!(end("workspace \"w\" {\n  plugins = [\"a"), ["acme-tools"]);
    assert!(end("workspace \"w\" { runtime = ").contains(&"claude-code".to_owned()));
    assert!(end("plugin \"p\" { target ").contains(&"gemini".to_owned()));
    assert!(end("policy \"o\" { lints { ").contains(&"unpinned-package".to_owned()));
    assert_eq!(
        end("policy \"o\" { lints { unpinned-package = "),
        ["allow", "warn", "deny"]
    );
    assert_eq!(
        end("plugin \"p\" { server \"s\" { env { T = secret."),
        ["secret.DOCS_TOKEN"]
    );
    assert!(end("plugin \"p\" { // comment").is_empty());
    // Attribute completions carry the reference's line.
    let (_, index) = unit();
    let items = complete("plugin \"p\" { ", 13, &index);
    let version = items.iter().find(|c| c.label == "version").unwrap();
    assert!(version.doc.as_deref().unwrap().contains("semver"));
    assert_eq!(word_start("a = secret.TO", 13), 4);
    // A word after a character of several bytes starts after all of them
    // (found by the lsp fuzz target: a BOM before `sion`).
    assert_eq!(word_start("  \u{feff}sion = 1", 7), 5);
    assert_eq!(word_start("é", 2), 2);
}

#[test]
fn hover_names_the_reference() {
    let doc = hover(PLUGIN, at(PLUGIN, "version")).unwrap();
    assert!(doc.contains("semver"), "{doc}");
    let doc = hover(PLUGIN, at(PLUGIN, "server")).unwrap();
    assert!(doc.contains("Exactly one of `command`"), "{doc}");
    let doc = hover(PLUGIN, at(PLUGIN, "headers")).unwrap();
    assert!(doc.contains("KEY = string or reference"), "{doc}");
    assert!(hover(PLUGIN, at(PLUGIN, "1.0.0")).is_none());
}

/// Compiles `text` as one file for every target; the diagnostics with
/// `code` and the unit's sources, unmasked.
fn diagnosed(text: &str, code: &str) -> (SourceMap, Vec<crate::diag::Diagnostic>) {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("a.mcpc", text));
    let unmasked = sources.clone_files();
    let (_, diagnostics, _) = crate::compile(
        sources,
        crate::diag::LintLevels::default(),
        &crate::backends::Plan::default(),
    );
    let found = diagnostics
        .into_iter()
        .filter(|d| d.code.name() == code)
        .collect();
    (unmasked, found)
}

/// The text after applying `action` (edits of one file, any order).
fn applied(text: &str, action: &Action) -> String {
    let mut edits = action.edits.clone();
    edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
    let mut out = text.to_owned();
    for e in edits {
        out.replace_range(e.span.start as usize..e.span.end as usize, &e.text);
    }
    out
}

/// Applies the first action of the first diagnostic with `code`; the new
/// text must format, and check without that diagnostic at that place.
fn fix(text: &str, code: &str) -> (String, String) {
    let (sources, found) = diagnosed(text, code);
    let d = found
        .first()
        .unwrap_or_else(|| panic!("no {code} in {text}"));
    let actions = actions(&sources, d);
    let action = actions
        .first()
        .unwrap_or_else(|| panic!("no fix for {d:?}"));
    let out = applied(text, action);
    crate::format::format(FileId(0), &out).unwrap_or_else(|_| panic!("unparsable: {out}"));
    assert!(
        diagnosed(&out, code).1.len() < found.len(),
        "{code} still there:\n{out}"
    );
    (action.title.clone(), out)
}

const TOKEN: &str = "ghp_0123456789abcdefghijABCD";

#[test]
fn a_literal_secret_becomes_a_reference() {
    let server = |body: &str| {
        format!("plugin \"p\" {{\n  version = \"1.0.0\"\n  server \"s\" {{\n{body}\n  }}\n}}\n")
    };
    let (title, out) = fix(
        &server(&format!(
            "    command = \"gh-mcp\"\n    env {{ GITHUB_TOKEN = \"{TOKEN}\" }}"
        )),
        "plaintext-secret",
    );
    assert_eq!(
        title,
        "Reference `secret.GITHUB_TOKEN` instead of the literal"
    );
    assert!(
        out.contains("GITHUB_TOKEN = secret.GITHUB_TOKEN }"),
        "{out}"
    );
    assert!(!out.contains(TOKEN));
    let (_, out) = fix(
        &server(
            "    url = \"https://x.acme.dev/mcp\"\n    headers { Authorization = \"Bearer abc123def\" }",
        ),
        "plaintext-secret",
    );
    assert!(
        out.contains("Authorization = \"Bearer ${secret.AUTHORIZATION}\""),
        "{out}"
    );
    // A token inside a longer string: only the token goes.
    let (_, out) = fix(
        &server(&format!(
            "    command = \"gh-mcp\"\n    args = [\"--token={TOKEN}\"]"
        )),
        "plaintext-secret",
    );
    assert!(
        out.contains("args = [\"--token=${secret.GITHUB_TOKEN}\"]"),
        "{out}"
    );
}

#[test]
fn a_secret_span_inside_a_string_is_replaced_whatever_reported_it() {
    // A check that reports a narrower span gets the same action.
    let text = "plugin \"p\" {\n  version = \"1.0.0\"\n  server \"s\" { url = \"https://u:hunter2@x.dev/mcp\" }\n}\n";
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("a.mcpc", text));
    let at = text.find("hunter2").unwrap();
    let d = crate::diag::Diagnostic::new(
        crate::diag::Code::PlaintextSecret,
        Span::new(FileId(0), at, at + 7),
        "a password in a URL",
    );
    let actions = actions(&sources, &d);
    assert_eq!(actions.len(), 1);
    assert!(applied(text, &actions[0]).contains("https://u:${secret.SECRET}@x.dev/mcp"));
}

#[test]
fn an_unpinned_package_is_pinned_to_a_version_it_already_names() {
    let plugin = |a: &str, b: &str| {
        format!(
            "plugin \"p\" {{\n  version = \"1.0.0\"\n  server \"a\" {{\n    command = \"npx\"\n    args = [\"-y\", \"{a}\"]\n  }}\n  server \"b\" {{\n    command = \"npx\"\n    args = [\"-y\", \"{b}\", \"--other\"]\n  }}\n}}\n"
        )
    };
    // A range: its lower bound.
    let (title, out) = fix(
        &plugin("@acme/docs@^1.4.0", "@acme/x@2.0.0"),
        "unpinned-package",
    );
    assert_eq!(title, "Pin `@acme/docs` to `1.4.0`");
    assert!(out.contains("\"@acme/docs@1.4.0\""), "{out}");
    // None: the version another server of the unit runs.
    let (_, out) = fix(
        &plugin("@acme/docs@1.2.3", "@acme/docs"),
        "unpinned-package",
    );
    assert_eq!(out.matches("@acme/docs@1.2.3").count(), 2, "{out}");
    // Nothing to go by: no action, not a made-up version.
    let text = plugin("@acme/docs", "@acme/x@2.0.0");
    let (sources, found) = diagnosed(&text, "unpinned-package");
    assert_eq!(found.len(), 1);
    assert!(actions(&sources, &found[0]).is_empty());
    // uvx and docker spell versions their own way.
    let uvx = "plugin \"p\" {\n  version = \"1.0.0\"\n  server \"a\" {\n    command = \"uvx\"\n    args = [\"seo-mcp>=0.3.1\"]\n  }\n}\n";
    assert!(
        fix(uvx, "unpinned-package")
            .1
            .contains("\"seo-mcp==0.3.1\"")
    );
    let docker = "plugin \"p\" {\n  version = \"1.0.0\"\n  server \"a\" {\n    command = \"docker\"\n    args = [\"run\", \"-i\", \"ghcr.io/acme/mcp\"]\n  }\n  server \"b\" {\n    command = \"docker\"\n    args = [\"run\", \"ghcr.io/acme/mcp:1.0.0\"]\n  }\n}\n";
    assert!(
        fix(docker, "unpinned-package")
            .1
            .contains("\"run\", \"-i\", \"ghcr.io/acme/mcp:1.0.0\"")
    );
}

#[test]
fn a_runtime_that_cannot_express_a_server_is_left_out() {
    let text = "plugin \"acme\" {\n  version = \"1.0.0\"\n  server \"events\" {\n    url       = \"https://events.acme.dev/sse\"\n    transport = sse\n  }\n}\n";
    let (sources, found) = diagnosed(text, "unsupported-feature");
    let codex = found
        .iter()
        .find(|d| d.message.starts_with("codex "))
        .expect("codex cannot express sse");
    let offered = actions(&sources, codex);
    assert_eq!(offered.len(), 1);
    assert_eq!(
        offered[0].title,
        "Build server `events` without codex (`targets`)"
    );
    let out = applied(text, &offered[0]);
    assert!(
        out.contains("  server \"events\" {\n    targets = [\"claude-code\", \"hermes\""),
        "{out}"
    );
    let (_, after) = diagnosed(&out, "unsupported-feature");
    assert!(
        !after.iter().any(|d| d.message.starts_with("codex ")),
        "{after:?}"
    );
    // An existing list loses the target; a plugin's list is the default.
    let listed = "plugin \"acme\" {\n  version = \"1.0.0\"\n  targets = [\"codex\", \"gemini\", \"claude-code\"]\n  server \"events\" { url = \"https://events.acme.dev/sse\" transport = sse }\n}\n";
    let (sources, found) = diagnosed(listed, "unsupported-feature");
    let d = found
        .iter()
        .find(|d| d.message.starts_with("codex "))
        .unwrap();
    let out = applied(listed, &actions(&sources, d)[0]);
    assert!(
        out.contains("server \"events\" { targets = [\"gemini\", \"claude-code\"] url"),
        "{out}"
    );
    let with = out.replace(
        "server \"events\" { targets = [\"gemini\", \"claude-code\"]",
        "server \"events\" { targets = [\"codex\", \"gemini\"]",
    );
    let (sources, found) = diagnosed(&with, "unsupported-feature");
    let d = found
        .iter()
        .find(|d| d.message.starts_with("codex "))
        .unwrap();
    assert!(applied(&with, &actions(&sources, d)[0]).contains("targets = [\"gemini\"] url"));
}

#[test]
fn did_you_mean_is_an_action() {
    let text = "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"s\" { url = \"https://x.dev/mcp\" }\n}\nworkspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tols\"]\n}\n";
    let (title, out) = fix(text, "unknown-plugin");
    assert_eq!(title, "Change to `acme-tools`");
    assert!(out.contains("plugins = [\"acme-tools\"]"));
}

/// The TextMate test files' scope assertions (`// ^^^ scope` under a
/// line): (line text, column, scopes) for each asserted character.
fn tm_assertions(sample: &str) -> Vec<(usize, usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut source_line = None;
    let mut offset = 0;
    let mut line_start = 0;
    for line in sample.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let assertion = body.starts_with("//")
            && (body[2..].trim_start().starts_with('^')
                || body[2..].trim_start().starts_with("<-"));
        if assertion && let Some(start) = source_line {
            let rest = &body[2..];
            let marks = rest.trim_start();
            let first = 2 + rest.len() - marks.len();
            let (columns, scopes): (Vec<usize>, &str) =
                if let Some(dashes) = marks.strip_prefix('<') {
                    let n = dashes.chars().take_while(|c| *c == '-').count();
                    ((0..n).collect(), &dashes[n..])
                } else {
                    let n = marks.chars().take_while(|c| *c == '^').count();
                    ((first..first + n).collect(), &marks[n..])
                };
            let scopes: Vec<String> = scopes.split_whitespace().map(str::to_owned).collect();
            for c in columns {
                out.push((start, c, scopes.clone()));
            }
        } else if !assertion {
            source_line = Some(offset);
            line_start = offset;
        }
        offset += line.len();
    }
    let _ = line_start;
    out
}

#[test]
fn semantic_tokens_give_the_textmate_grammars_scopes() {
    let root = env!("CARGO_MANIFEST_DIR");
    let package: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/editors/vscode/package.json")).unwrap(),
    )
    .unwrap();
    let grammar = std::fs::read_to_string(format!(
        "{root}/editors/vscode/syntaxes/mcpc.tmLanguage.json"
    ))
    .unwrap();
    let map = &package["contributes"]["semanticTokenScopes"][0]["scopes"];
    let scope = |t: &Token| {
        let name = TOKEN_TYPES[t.kind as usize];
        let key = if t.builtin {
            format!("{name}.defaultLibrary")
        } else {
            name.to_owned()
        };
        map[&key][0]
            .as_str()
            .unwrap_or_else(|| panic!("no scope for {key}"))
            .to_owned()
    };
    // Every legend entry has a scope the grammar gives.
    let keys = map.as_object().unwrap();
    for t in TOKEN_TYPES {
        assert!(keys.contains_key(*t), "{t} has no scope");
    }
    for scopes in keys.values() {
        let s = scopes[0].as_str().unwrap();
        assert!(
            grammar.contains(&format!("\"{s}\"")),
            "{s} is not a scope of the grammar"
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut checked = 0;
    let dir = format!("{root}/editors/vscode/tests");
    for entry in std::fs::read_dir(dir).unwrap() {
        let sample = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let tokens = semantic_tokens(&sample);
        for (line, column, scopes) in tm_assertions(&sample) {
            let at = line + column;
            match tokens
                .iter()
                .find(|t| t.start <= at && at < t.start + t.len)
            {
                Some(t) => {
                    let s = scope(t);
                    assert!(
                        scopes.contains(&s),
                        "at {:?}: the token says {s}, the grammar {scopes:?}",
                        &sample[line..at + 1]
                    );
                    seen.insert(s);
                    checked += 1;
                }
                // Left to the grammar: comments, punctuation, escapes.
                None => assert!(
                    scopes.iter().any(|s| s.starts_with("comment.")
                        || s.starts_with("punctuation.")
                        || s.starts_with("constant.character.escape")),
                    "no token at {:?}, the grammar says {scopes:?}",
                    &sample[line..at + 1]
                ),
            }
        }
    }
    assert!(checked > 50, "{checked}");
    let all: std::collections::BTreeSet<String> = keys
        .values()
        .map(|v| v[0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, all, "every scope of the legend is exercised");
}

#[test]
fn semantic_tokens_survive_incomplete_text() {
    for text in [
        "plugin \"p",
        "plugin \"p\" { url = \"${secret.",
        "/* open",
        "a = \"\\",
        "x.",
        "\"é\\u{1F600}\" = 1",
    ] {
        for t in semantic_tokens(text) {
            assert!(
                t.len > 0 && t.start + t.len <= text.len(),
                "{text:?}: {t:?}"
            );
            assert!(!text[t.start..t.start + t.len].contains('\n'));
        }
    }
}

#[test]
fn a_file_mid_keystroke_keeps_its_names_for_completion() {
    let (_, before) = unit();
    let mut sources = SourceMap::new();
    let broken = PLUGIN.replace("  target codex", "  env { X = secret.\n  target codex");
    sources.add(SourceFile::new("a.mcpc", broken.as_str()));
    sources.add(SourceFile::new("b.mcpc", WORKSPACE));
    let mut index = Index::new(&sources);
    assert_eq!(index.unparsed, [FileId(0)]);
    assert!(index.names(SymbolKind::Secret, None).is_empty());
    index.keep_names(FileId(0), &before, FileId(0));
    // Offered, but not a place to jump to.
    assert_eq!(index.names(SymbolKind::Secret, None), ["DOCS_TOKEN"]);
    assert_eq!(index.names(SymbolKind::Plugin, None), ["acme-tools"]);
    assert!(index.at(FileId(0), at(PLUGIN, "DOCS_TOKEN")).is_none());
    let items = complete(&broken, broken.find("secret.\n").unwrap() + 7, &index);
    assert_eq!(items[0].label, "secret.DOCS_TOKEN");
    // A second broken keystroke keeps them still.
    let mut again = Index::new(&sources);
    again.keep_names(FileId(0), &index, FileId(0));
    assert_eq!(again.names(SymbolKind::Secret, None), ["DOCS_TOKEN"]);
}

#[test]
fn hover_and_completion_cover_every_block_and_attribute() {
    use crate::ir::schema;
    let blocks: &[(&str, &schema::BlockSchema)] = &[
        ("plugin", &schema::PLUGIN),
        ("server", &schema::SERVER),
        ("tools", &schema::TOOLS),
        ("registry", &schema::REGISTRY),
        ("target", &schema::TARGET),
        ("workspace", &schema::WORKSPACE),
        ("policy", &schema::POLICY),
    ];
    for (kind, s) in blocks {
        assert!(block_doc(kind).is_some(), "block {kind}");
        for b in s.blocks.iter().chain(s.repeated) {
            assert!(block_doc(b).is_some(), "block {b} in {kind}");
        }
        for a in s.attributes {
            assert!(attribute_doc(kind, a).is_some(), "{kind}.{a}");
        }
    }
}

#[test]
fn secrets_complete_in_any_value_and_lints_hover_with_their_page() {
    assert_eq!(
        end("plugin \"p\" { server \"s\" { args = [\"--t=${secret."),
        ["secret.DOCS_TOKEN"]
    );
    assert_eq!(
        end("plugin \"p\" { server \"s\" { args = [\"-y\", "),
        Vec::<String>::new()
    );
    let text = "policy \"o\" {\n  lints { unpinned-package = deny }\n}\n";
    let doc = hover(text, at(text, "unpinned-package")).unwrap();
    assert_eq!(doc, crate::diag::Code::UnpinnedPackage.explanation());
    assert!(
        attribute_doc("tools", "deny")
            .unwrap()
            .contains("after `allow`")
    );
}
