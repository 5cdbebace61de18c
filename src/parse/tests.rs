use super::*;
use crate::source::{SourceFile, SourceMap};

fn syntax(text: &str) -> (String, String) {
    let mut sources = SourceMap::new();
    let file = sources.add(SourceFile::new("t.mcpc", text));
    let mut sink = Sink::new();
    parse_file(file, text, &mut sink);
    let diags = sink.finish(&Default::default());
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    (d.message.clone(), sources.slice(d.primary.span).to_owned())
}

#[test]
fn parses_blocks_attributes_and_values() {
    let text = r#"
        // a comment
        plugin "p" { /* inline */ version = "1.0.0" tools { allow = ["a", "b",] }
          n = 20s  x = env.TOKEN  "X-Key" = "a${secret.K}b\$\u{e9}" on = true }
    "#;
    let mut sink = Sink::new();
    let blocks = parse_file(FileId(0), text, &mut sink);
    assert!(sink.finish(&Default::default()).is_empty());
    assert_eq!(blocks.len(), 1);
    let b = &blocks[0];
    assert_eq!(b.kind.text, "plugin");
    assert_eq!(b.label.as_ref().unwrap().as_name(), Some("p"));
    assert_eq!(b.entries.len(), 6);
    let Entry::Attribute(a) = &b.entries[4] else {
        panic!()
    };
    assert_eq!(a.key.as_name(), Some("X-Key"));
    let ValueKind::Str(parts) = &a.value.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2], StrPart::Text("b$é".into()));
    let StrPart::Interpolation { body, .. } = &parts[1] else {
        panic!()
    };
    assert_eq!(body, "secret.K");
}

#[test]
fn list_errors_name_the_punctuation_and_the_token() {
    let (message, at) = syntax("plugin \"p\" { args = [\"a\" \"b\"] }");
    assert_eq!(message, "expected `]` or `,`, found `\"b\"`");
    assert_eq!(at, "\"b\"");
}

#[test]
fn missing_value_says_value() {
    let (message, at) = syntax("plugin \"p\" { version = }");
    assert_eq!(message, "expected a value, found `}`");
    assert_eq!(at, "}");
}

#[test]
fn unclosed_block_reports_end_of_file() {
    let (message, _) = syntax("plugin \"p\" { version = \"1\"\n");
    assert!(message.ends_with("found end of file"), "{message}");
    assert!(message.contains("`}`"), "{message}");
}

#[test]
fn commas_between_attributes_are_explained() {
    let (message, at) = syntax("plugin \"p\" { a = \"1\", b = \"2\" }");
    assert!(message.starts_with("expected "), "{message}");
    assert_eq!(at, ",");
}

#[test]
fn string_errors_have_their_own_words() {
    assert_eq!(syntax("p { a = \"$HOME\" }").0, "a lone `$` in a string");
    assert_eq!(syntax("p { a = \"\\q\" }").0, "unknown escape `\\q`");
    assert_eq!(syntax("p { a = \"abc\n}").0, "unterminated string");
    assert_eq!(
        syntax("p { a = \"${env.X\" }").0,
        "unterminated `${…}` in a string"
    );
}
