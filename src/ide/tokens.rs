//! Semantic tokens: what each word of a file is, from a scan that needs no
//! parse (the text is often incomplete while typing). The legend's types
//! are the protocol's standard names; each maps to one TextMate scope of
//! `editors/vscode/syntaxes/mcpc.tmLanguage.json` (the extension's
//! `semanticTokenScopes` says which, and a test holds the two together).
//! Comments, punctuation, escapes and the `${` `}` of interpolations get no
//! token: the grammar colours them.

/// The legend's token types, in index order.
pub const TOKEN_TYPES: &[&str] = &[
    "keyword",    // block kinds: keyword.other.block
    "namespace",  // block labels: entity.name.section
    "property",   // attribute keys: variable.other.property
    "operator",   // `=`: keyword.operator.assignment
    "string",     // string text: string.quoted.double
    "number",     // numbers and durations: constant.numeric
    "enumMember", // bare names (`codex`, `sse`): constant.other
    "variable",   // the name of a reference: variable.other
];

/// The legend's modifiers, as bits in index order.
pub const TOKEN_MODIFIERS: &[&str] = &[
    // `true`/`false` (enumMember): constant.language.boolean; the namespace
    // of a reference (`env`, `secret`, `plugin`): variable.language.
    "defaultLibrary",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenType {
    Keyword,
    Namespace,
    Property,
    Operator,
    String,
    Number,
    EnumMember,
    Variable,
}

/// One token: bytes `start..start + len` of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub len: usize,
    pub kind: TokenType,
    /// The `defaultLibrary` modifier.
    pub builtin: bool,
}

#[derive(Debug)]
enum Lexeme {
    Word(usize, usize),
    Str(usize, usize),
    Num(usize, usize),
    Punct(usize, u8),
}

/// The tokens of `text`, in order, none spanning lines.
pub fn semantic_tokens(text: &str) -> Vec<Token> {
    let lexemes = lex(text);
    let mut out = Vec::new();
    let next = |i: usize| lexemes.get(i);
    let punct = |l: Option<&Lexeme>, c: u8| matches!(l, Some(Lexeme::Punct(_, p)) if *p == c);
    let mut label_at = None;
    for (i, lexeme) in lexemes.iter().enumerate() {
        // After `=`, `[` or `,` a word is a value, whatever follows it.
        let value = i > 0
            && [b'=', b'[', b',']
                .iter()
                .any(|&c| punct(lexemes.get(i - 1), c));
        let token = |start: usize, end: usize, kind: TokenType| Token {
            start,
            len: end - start,
            kind,
            builtin: false,
        };
        match *lexeme {
            Lexeme::Word(s, e) | Lexeme::Str(s, e) if punct(next(i + 1), b'=') => {
                out.push(token(s, e, TokenType::Property));
            }
            Lexeme::Word(s, e) if !value && punct(next(i + 1), b'{') && label_at != Some(i) => {
                out.push(token(s, e, TokenType::Keyword));
            }
            Lexeme::Word(s, e)
                if !value
                    && matches!(next(i + 1), Some(Lexeme::Word(..) | Lexeme::Str(..)))
                    && punct(next(i + 2), b'{') =>
            {
                out.push(token(s, e, TokenType::Keyword));
                label_at = Some(i + 1);
            }
            Lexeme::Word(s, e) | Lexeme::Str(s, e) if label_at == Some(i) => {
                out.push(token(s, e, TokenType::Namespace));
            }
            Lexeme::Word(s, e) => word(text, s, e, &mut out),
            Lexeme::Str(s, e) => string(text, s, e, &mut out),
            Lexeme::Num(s, e) => out.push(token(s, e, TokenType::Number)),
            Lexeme::Punct(s, b'=') => out.push(token(s, s + 1, TokenType::Operator)),
            Lexeme::Punct(..) => {}
        }
    }
    out
}

/// A bare word in value position: a reference, a boolean or a name.
fn word(text: &str, s: usize, e: usize, out: &mut Vec<Token>) {
    let w = &text[s..e];
    if let Some((ns, name)) = w.split_once('.')
        && matches!(ns, "env" | "secret" | "plugin")
        && !name.is_empty()
    {
        reference(s, ns.len(), name.len(), out);
        return;
    }
    out.push(Token {
        start: s,
        len: e - s,
        kind: TokenType::EnumMember,
        builtin: matches!(w, "true" | "false"),
    });
}

/// `env.NAME` at `s`: the namespace, then the name.
fn reference(s: usize, ns: usize, name: usize, out: &mut Vec<Token>) {
    out.push(Token {
        start: s,
        len: ns,
        kind: TokenType::Variable,
        builtin: true,
    });
    out.push(Token {
        start: s + ns + 1,
        len: name,
        kind: TokenType::Variable,
        builtin: false,
    });
}

/// A string's text runs (escapes and interpolations left out), and the
/// references inside its interpolations.
fn string(text: &str, s: usize, e: usize, out: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    let mut run = s;
    let mut i = s + 1;
    let flush = |from: usize, to: usize, out: &mut Vec<Token>| {
        if to > from {
            out.push(Token {
                start: from,
                len: to - from,
                kind: TokenType::String,
                builtin: false,
            });
        }
    };
    while i < e {
        match bytes[i] {
            b'\\' => {
                flush(run, i, out);
                i += 2;
                if bytes.get(i - 1) == Some(&b'u') && bytes.get(i) == Some(&b'{') {
                    while i < e && bytes[i] != b'}' {
                        i += 1;
                    }
                    i += 1;
                }
                run = i.min(e);
            }
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                flush(run, i, out);
                let body = i + 2;
                let close = text[body..e].find('}').map_or(e, |n| body + n);
                let name_end = body
                    + text[body..close]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                        .unwrap_or(close - body);
                if let Some((ns, name)) = text[body..name_end].split_once('.')
                    && matches!(ns, "env" | "secret" | "plugin")
                    && !name.is_empty()
                    && !name.contains('.')
                {
                    reference(body, ns.len(), name.len(), out);
                }
                i = (close + 1).min(e);
                run = i;
            }
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    flush(run, e, out);
}

/// Words, strings, numbers and punctuation; comments dropped. A string
/// or comment left open runs to the end of its line or of the text.
fn lex(text: &str) -> Vec<Lexeme> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |n| i + n + 4);
            }
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                    j += if bytes[j] == b'\\' && bytes.get(j + 1).is_some_and(|b| *b != b'\n') {
                        2
                    } else {
                        1
                    };
                }
                let end = if bytes.get(j) == Some(&b'"') {
                    j + 1
                } else {
                    j.min(bytes.len())
                };
                out.push(Lexeme::Str(i, end));
                i = end;
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'.') {
                    j += 1;
                }
                out.push(Lexeme::Num(i, j));
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || b"_-.".contains(&bytes[j]))
                {
                    j += 1;
                }
                out.push(Lexeme::Word(i, j));
                i = j;
            }
            b'{' | b'}' | b'[' | b']' | b'=' | b',' => {
                out.push(Lexeme::Punct(i, c));
                i += 1;
            }
            _ => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}
