//! pest's errors in user words: "expected `]` or `,`, found `command`",
//! never a rule name, and pointing at the token that is wrong.

use super::Rule;
use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

pub(super) fn describe(file: FileId, text: &str, error: &Error<Rule>) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let positives: &[Rule] = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    };
    let (found, len) = found_token(&text[pos..]);
    let span = Span::new(file, pos, pos + len);

    if let Some(special) = inside_string(file, text, pos, span, positives) {
        return special;
    }

    let expected = expected_words(positives);
    let help = if found == "`{`" && expected == "a value" {
        "a block takes no `=`: write `name { … }`"
    } else {
        help_for(positives)
    };
    Diagnostic::new(
        Code::SyntaxError,
        span,
        format!("expected {expected}, found {found}"),
    )
    .with_label(format!("expected {expected}"))
    .with_help(help)
}

/// Errors inside a string literal get messages of their own.
fn inside_string(
    file: FileId,
    text: &str,
    pos: usize,
    span: Span,
    positives: &[Rule],
) -> Option<Diagnostic> {
    if !positives.contains(&Rule::quote_close) && !positives.contains(&Rule::interp_close) {
        return None;
    }
    let rest = &text[pos..];
    let diagnostic = if rest.starts_with('$') {
        Diagnostic::new(
            Code::SyntaxError,
            Span::new(file, pos, pos + 1),
            "a lone `$` in a string",
        )
        .with_label("`$` must start `${…}` or be escaped")
        .with_help("write `\\$` for a literal `$`, or `${env.NAME}` for a variable")
    } else if rest.starts_with('\\') {
        let len = rest.chars().take(2).map(char::len_utf8).sum();
        Diagnostic::new(
            Code::SyntaxError,
            Span::new(file, pos, pos + len),
            format!("unknown escape `{}`", &rest[..len]),
        )
        .with_label("unknown escape")
        .with_help("the escapes are `\\\\`, `\\\"`, `\\n`, `\\r`, `\\t`, `\\$` and `\\u{HEX}`")
    } else if positives.contains(&Rule::interp_close) {
        Diagnostic::new(Code::SyntaxError, span, "unterminated `${…}` in a string")
            .with_label("expected `}`")
            .with_help("close the interpolation with `}`, as in `${env.NAME}`")
    } else {
        let start = text[..pos].rfind('"').unwrap_or(pos);
        Diagnostic::new(
            Code::SyntaxError,
            Span::new(file, start, pos),
            "unterminated string",
        )
        .with_label("this string is not closed on its line")
        .with_help("close the string with `\"` before the end of the line")
    };
    Some(diagnostic)
}

/// The token at the error position, in backticks, and its length in bytes.
fn found_token(rest: &str) -> (String, usize) {
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_owned(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("end of line".to_owned(), 0);
    }
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len())
    } else if first == '"' {
        rest[1..]
            .find(['"', '\n'])
            .map_or(rest.len(), |i| i + 2)
            .min(rest.len())
    } else {
        first.len_utf8()
    };
    let token = &rest[..len];
    let shown: String = token.chars().take(40).collect();
    (format!("`{shown}`"), len)
}

fn expected_words(positives: &[Rule]) -> String {
    // pest names the innermost rules it tried; a number together with an
    // opening bracket means "any value" was possible here.
    let value_rules = [
        Rule::list,
        Rule::lbracket,
        Rule::string,
        Rule::quote,
        Rule::number,
        Rule::reference,
        Rule::ident,
    ];
    let mut words: Vec<&str> = Vec::new();
    // Inside a block, a name may start an attribute or a block.
    if positives.contains(&Rule::rbrace) && positives.contains(&Rule::ident) {
        return "an attribute, a block or `}`".to_owned();
    }
    let is_value = positives.contains(&Rule::number)
        && (positives.contains(&Rule::lbracket) || positives.contains(&Rule::list));
    if is_value {
        words.push("a value");
    }
    for rule in positives {
        if is_value && value_rules.contains(rule) {
            continue;
        }
        let word = word_for(*rule);
        if !words.contains(&word) {
            words.push(word);
        }
    }
    match words.as_slice() {
        [] => "something else".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn word_for(rule: Rule) -> &'static str {
    match rule {
        Rule::block => "a block",
        Rule::attribute => "an attribute",
        Rule::ident => "a name",
        Rule::string | Rule::quote => "a string",
        Rule::number => "a number",
        Rule::reference => "a reference",
        Rule::list => "a list",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::eq => "`=`",
        Rule::quote_close => "`\"`",
        Rule::interp_close => "`}`",
        Rule::EOI => "end of file",
        _ => "a token",
    }
}

fn help_for(positives: &[Rule]) -> &'static str {
    if positives.contains(&Rule::comma) || positives.contains(&Rule::rbracket) {
        "separate list items with `,` and close the list with `]`"
    } else if positives.contains(&Rule::eq) || positives.contains(&Rule::lbrace) {
        "write an attribute as `name = value` and a block as `name \"label\" { … }`"
    } else if positives.contains(&Rule::rbrace) {
        "close the block with `}`; attributes are `name = value`, with no `,` or `;` between them"
    } else if positives.contains(&Rule::number) {
        "a value is a string, a number, a duration such as `20s`, `true`/`false`, a name, a reference such as `env.NAME`, or a list"
    } else {
        "an mcpc file holds blocks such as `plugin \"name\" { … }`"
    }
}
