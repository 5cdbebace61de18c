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

/// What a whole-file parse reports: the blocks and the diagnostics pushed
/// while building them, or the one error.
type Outcome = Result<(Vec<Block>, Vec<Diagnostic>), Box<Diagnostic>>;

fn whole_outcome(text: &str) -> Outcome {
    if let Some(too_deep) = depth::check(FileId(0), text) {
        return Err(Box::new(too_deep));
    }
    let mut pairs = Grammar::parse(Rule::file, text)
        .map_err(|e| Box::new(syntax_error::describe(FileId(0), text, &e)))?;
    let mut sink = Sink::new();
    let cx = Cx {
        file: FileId(0),
        base: 0,
    };
    let blocks = pairs
        .next()
        .unwrap()
        .into_inner()
        .filter(|p| p.as_rule() == Rule::block)
        .map(|p| cx.block(p, &mut sink))
        .collect();
    Ok((blocks, sink.finish(&Default::default())))
}

fn pieces_outcome(text: &str, pieces: Pieces) -> Outcome {
    let mut sink = Sink::new();
    let mut blocks = Vec::new();
    parse_in_pieces(FileId(0), text, &mut sink, pieces, |b, _| blocks.push(b))?;
    Ok((blocks, sink.finish(&Default::default())))
}

/// Every block cut into pieces wherever the scan can cut: the head, each
/// entry block alone, the rest.
const EVERYWHERE: Pieces = Pieces {
    fast: false,
    split_above: 0,
    piece: 0,
};

/// The golden cases, the examples and the fuzz regressions: the texts the
/// split must agree with the whole-file parse on, each also mutated.
fn seeds() -> Vec<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>, all: bool) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                walk(&path, out, all);
            } else if (all || path.extension().is_some_and(|e| e == "mcpc"))
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push(text);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    walk(&root.join("tests"), &mut out, false);
    walk(&root.join("examples"), &mut out, false);
    walk(&root.join("fuzz/regressions/pipeline"), &mut out, true);
    walk(&root.join("fuzz/regressions/fmt"), &mut out, true);
    out
}

/// `seed`, and `seed` with each of `tokens` put in at `places` places
/// spread over it, and with one character taken out at each of them.
fn mutants(seed: &str, tokens: &[&str], places: usize) -> Vec<String> {
    let bounds: Vec<usize> = (0..=seed.len())
        .filter(|&i| seed.is_char_boundary(i))
        .collect();
    let mut texts = vec![seed.to_owned()];
    for k in 0..places {
        let at = bounds[k * (bounds.len() - 1) / (places - 1)];
        for token in tokens {
            texts.push(format!("{}{token}{}", &seed[..at], &seed[at..]));
        }
        if let Some(&next) = bounds.iter().find(|&&b| b > at) {
            texts.push(format!("{}{}", &seed[..at], &seed[next..]));
        }
    }
    texts
}

#[test]
fn blocks_parsed_in_pieces_give_what_the_whole_file_gives() {
    let seeds = seeds();
    assert!(seeds.len() > 50, "{} seeds", seeds.len());
    let tokens = [
        "{", "}", "\"", "\\", "//", "/*", "*/", "${", "\n", "]", "=", "a",
    ];
    let (mut compared, mut split_ok) = (0, 0);
    for seed in &seeds {
        for text in &mutants(seed, &tokens, 12) {
            let whole = whole_outcome(text);
            split_ok += usize::from(whole.is_ok());
            assert_eq!(pieces_outcome(text, EVERYWHERE), whole, "{text}");
            compared += 1;
        }
    }
    assert!(split_ok > compared / 4, "{split_ok} of {compared} parsed");
}

/// A plugin past the size at which `parse_each` splits, with an error put
/// into one server after another: each is reported as the whole-file parse
/// reports it, and the valid file gives the same tree.
#[test]
fn a_large_block_split_by_default_reports_every_error_as_the_whole_file() {
    let mut text = String::from("// big\nplugin \"big\" {\n  version = \"1.0.0\"\n");
    let mut starts = Vec::new();
    while text.len() <= SPLIT_ABOVE + SPLIT_ABOVE / 2 {
        let i = starts.len();
        starts.push(text.len());
        text.push_str(&format!(
            "  server \"s{i}\" {{\n    command = \"npx\" // {{\n    args = [\"-y\", \"a}}{i}\"]\n    env {{ T = \"${{secret.T_{i}}}\\u{{7d}}\" }}\n  }}\n"
        ));
    }
    text.push_str("  description = \"end\"\n}\npolicy p { lints { a = allow } }\n");
    let whole = whole_outcome(&text);
    assert!(whole.is_ok());
    assert_eq!(pieces_outcome(&text, Pieces::default()), whole);
    let split = Pieces {
        fast: false,
        ..Pieces::default()
    };
    assert_eq!(pieces_outcome(&text, split), whole);
    let last = starts.len() - 1;
    for k in [0, last / 2, last] {
        let at = starts[k];
        for broken in ["server {", "}", "\"", "/*"] {
            let bad = format!("{}{broken}{}", &text[..at + 3], &text[at + 3..]);
            let whole = whole_outcome(&bad);
            assert!(whole.is_err(), "server {k}, {broken}");
            assert_eq!(
                pieces_outcome(&bad, Pieces::default()),
                whole,
                "server {k}, {broken}"
            );
        }
    }
}

/// The fast reader against pest on one text: where pest parses it with no
/// diagnostic, the reader gives the same tree; anything else it leaves to
/// pest. Whether it read the text.
fn fast_agrees(text: &str) -> bool {
    let whole = whole_outcome(text);
    let fast = fast::file(FileId(0), text, 0);
    // Past the depth limit it gives up, and `parse_in_pieces` reports.
    if depth::check(FileId(0), text).is_some() {
        assert!(
            fast.is_none(),
            "the fast reader read past the limit: {text:?}"
        );
        return false;
    }
    match (&whole, fast) {
        (Ok((blocks, diags)), Some(read)) if diags.is_empty() => {
            assert_eq!(&read, blocks, "{text:?}");
            true
        }
        (Ok((_, diags)), None) if diags.is_empty() => {
            panic!("the fast reader gave up on a valid text: {text:?}")
        }
        (_, Some(read)) => {
            panic!("the fast reader read what pest does not: {text:?}\n{whole:?}\n{read:?}")
        }
        (_, None) => false,
    }
}

#[test]
fn the_fast_reader_reads_what_pest_reads_and_nothing_else() {
    let seeds = seeds();
    let tokens = [
        "{",
        "}",
        "\"",
        "\\",
        "//",
        "/*",
        "*/",
        "${",
        "$",
        "\n",
        "\r",
        "[",
        "]",
        ",",
        "=",
        "a",
        "1",
        ".",
        "-",
        "\u{FEFF}",
        "\\u{110000}",
        "\\u{7d}",
    ];
    let (mut compared, mut read) = (0, 0);
    for seed in &seeds {
        for text in &mutants(seed, &tokens, 16) {
            read += usize::from(fast_agrees(text));
            compared += 1;
        }
    }
    assert!(read > compared / 4, "{read} of {compared} read");
}

/// Every character in each place a token can take or end at.
#[test]
fn the_fast_reader_takes_each_character_where_pest_does() {
    let chars = (0..0x800u32)
        .chain([0xFEFF, 0xFFFD, 0xFFFF, 0x1F600, 0x10FFFF])
        .filter_map(char::from_u32);
    let mut read = 0;
    for c in chars {
        for text in [
            format!("a {{ x = \"{c}\" }}"),
            format!("a {{ x = \"${{{c}}}\" }}"),
            format!("a {{ x = \"\\{c}\" }}"),
            format!("//a{c}b\na {{}}"),
            format!("/*{c}*/a {{}}"),
            format!("a {{ x = {c} }}"),
            format!("a {{ x = b{c} }}"),
            format!("a {{ x = 1{c} }}"),
            format!("a {{ x = env.{c} }}"),
            format!("a {{ x = [1{c}] }}"),
            format!("a {c} {{}}"),
            format!("a{c}{{}}"),
            format!("{c}a {{}}"),
        ] {
            read += usize::from(fast_agrees(&text));
        }
    }
    assert!(read > 2_000, "{read} read");
}

#[test]
fn a_file_read_fast_gives_its_blocks_in_order_with_their_spans() {
    let text = "\u{FEFF}plugin \"a\" { x = [1, \"b${env.C}\\n\",] y = env.D-E }\n/* c */ policy p { lints { a = allow } }";
    assert!(fast_agrees(text));
    let blocks = fast::file(FileId(0), text, 0).unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(
        &text[blocks[0].span.start as usize..blocks[0].span.end as usize],
        &text[3..text.find('\n').unwrap()]
    );
    // At an offset, as for a piece of a file.
    let moved = fast::file(FileId(0), &text[3..], 3).unwrap();
    assert_eq!(moved, blocks);
}

#[test]
fn nesting_at_the_limit_is_read_fast_and_past_it_is_refused_as_before() {
    // `depth` blocks and lists open together: blocks outside, lists inside.
    let nested = |depth: usize| {
        let blocks = depth / 2;
        let lists = depth - blocks;
        let mut text = String::new();
        for i in 0..blocks {
            text.push_str(&format!("b{i} {{\n"));
        }
        text.push_str(&format!(
            "x = {}1{}\n",
            "[".repeat(lists),
            "]".repeat(lists)
        ));
        text.push_str(&"}\n".repeat(blocks));
        text
    };
    let at_limit = nested(depth::MAX_DEPTH);
    assert!(fast::file(FileId(0), &at_limit, 0).is_some());
    assert!(fast_agrees(&at_limit));
    assert_eq!(
        pieces_outcome(&at_limit, Pieces::default()),
        whole_outcome(&at_limit)
    );
    let valid = "plugin \"p\" {\n}\n";
    for past in [
        nested(depth::MAX_DEPTH + 1),
        format!("{valid}{}", nested(depth::MAX_DEPTH + 1)),
    ] {
        assert!(fast::file(FileId(0), &past, 0).is_none());
        let outcome = pieces_outcome(&past, Pieces::default());
        assert_eq!(outcome, whole_outcome(&past));
        let error = outcome.expect_err("too deep");
        assert_eq!(error.code, crate::diag::Code::NestingTooDeep);
    }
}
