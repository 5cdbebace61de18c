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
