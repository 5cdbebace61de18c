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

/// The whole file in one pest parse: what `parse_each` must agree with.
fn whole(file: FileId, text: &str) -> Vec<Block> {
    let mut pairs = Grammar::parse(Rule::file, text).expect("a valid file");
    let mut sink = Sink::new();
    let cx = Cx { file, base: 0 };
    pairs
        .next()
        .unwrap()
        .into_inner()
        .filter(|p| p.as_rule() == Rule::block)
        .map(|p| cx.block(p, &mut sink))
        .collect()
}

#[test]
fn block_by_block_gives_the_whole_files_tree() {
    // Braces, quotes and slashes inside strings and comments, escapes,
    // interpolations, a BOM, and a comment after the last block.
    let text = "\u{FEFF}// }\nplugin \"a}\" { x = \"\\\"}{\" y = \"${env.A}\\u{7d}\" }\n/* } \" */ \
                policy p { lints { a = allow } }plugin b{ s = \"// {\" }\n// end {";
    let cuts = top_level_blocks(text);
    assert_eq!(cuts.len(), 4, "{cuts:?}");
    assert!(text[cuts[0].0..cuts[0].1].ends_with("\\u{7d}\" }"));
    let mut sink = Sink::new();
    assert_eq!(
        parse_file(FileId(3), text, &mut sink),
        whole(FileId(3), text)
    );
    assert!(sink.finish(&Default::default()).is_empty());
}

#[test]
fn a_syntax_error_in_a_later_block_is_explained_from_the_whole_file() {
    let text = "plugin \"a\" { version = \"1\" }\nplugin \"b\" { version = }\n";
    let mut sink = Sink::new();
    let mut handed = 0;
    let error = parse_each(FileId(0), text, &mut sink, |_, _| handed += 1).unwrap_err();
    assert_eq!(
        handed, 1,
        "the first block was handed over before the error"
    );
    let whole_error = Grammar::parse(Rule::file, text).unwrap_err();
    assert_eq!(
        *error,
        syntax_error::describe(FileId(0), text, &whole_error)
    );
    assert!(parse_file(FileId(0), text, &mut Sink::new()).is_empty());
}

#[test]
fn a_file_with_a_syntax_error_contributes_only_that_error() {
    // The first block lowers with an error of its own before the second
    // block's syntax error is found: only the syntax error is reported,
    // and the other file is compiled as usual.
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(
        "bad.mcpc",
        "plugin \"a\" { versoin = \"1\" }\nplugin \"b\" { version = }\n",
    ));
    sources.add(SourceFile::new(
        "good.mcpc",
        "plugin \"c\" { version = \"1.0.0\" server \"s\" { url = \"https://c.dev/mcp\" } }\n",
    ));
    let c = crate::Compilation::new(sources, Default::default());
    let names: Vec<&str> = c
        .unit
        .plugins
        .iter()
        .map(|p| p.name.value.as_str())
        .collect();
    assert_eq!(names, ["c"]);
    let (_, diags) = c.finish();
    let codes: Vec<Code> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::SyntaxError], "{diags:?}");
}

/// The character classes of strings, interpolations and line comments are
/// written as ranges; they take every character but their terminators.
#[test]
fn string_interpolation_and_comment_characters_are_every_character_but_their_terminators() {
    use pest::Parser;
    let whole = |rule: Rule, text: &str| {
        Grammar::parse(rule, text)
            .ok()
            .and_then(|mut p| p.next())
            .is_some_and(|p| p.as_str() == text)
    };
    let chars = (0..0x800u32)
        .chain([0xFEFF, 0xFFFD, 0xFFFF, 0x1F600, 0x10FFFF])
        .filter_map(char::from_u32);
    for c in chars {
        let s = c.to_string();
        assert_eq!(
            whole(Rule::text, &s),
            !matches!(c, '"' | '\\' | '$' | '\n' | '\r'),
            "text {c:?}"
        );
        assert_eq!(
            whole(Rule::interp_body, &s),
            !matches!(c, '}' | '"' | '\n'),
            "interpolation {c:?}"
        );
        let mut sink = Sink::new();
        parse_file(FileId(0), &format!("//a{c}b\n"), &mut sink);
        assert_eq!(
            sink.finish(&Default::default()).is_empty(),
            c != '\n',
            "comment {c:?}"
        );
    }
}
