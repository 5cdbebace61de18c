//! Editing JSON in place. A small parser records the byte span of every
//! value and member, so an edit splices only the bytes mcpc owns: the rest
//! of the file — order, spacing, even `//` and `/* */` comments (which some
//! runtimes accept) — stays byte for byte. Trailing commas (JSONC, which
//! VS Code, Cursor, Zed, Amp and Auggie accept) are parsed and kept: a
//! member added after the last one goes after the user's trailing comma
//! (and a `//` comment on its line), with a trailing comma of its own.
//! [`parse_strict`] refuses them, for files whose runtime reads strict JSON.

use serde_json::Value;

#[derive(Debug)]
pub(crate) struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Object(Vec<Member>),
    Array(Vec<Node>),
    Scalar,
}

#[derive(Debug)]
pub(crate) struct Member {
    pub key: String,
    pub key_start: usize,
    pub value: Node,
}

/// A parse error: byte offset and what was expected.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub offset: usize,
    pub message: String,
}

/// How deep objects and arrays may nest. Real configuration files stay
/// below ten levels; serde_json stops at 128 too. Without a limit a
/// hostile file (`[[[[…`) would overflow the stack of the parser and of
/// every recursive walk over the value after it.
pub const MAX_DEPTH: usize = 128;

/// The start of the message of a [`ParseError`] for a file nested deeper
/// than [`MAX_DEPTH`], for callers that give it its own code.
pub const TOO_DEEP: &str = "nesting deeper than";

/// Where `[` and `{` (outside quoted strings and comments) first nest
/// deeper than `limit`, in JSON, TOML or YAML text: a linear scan run
/// before readers that are slow or recursive on such input (libyaml's
/// scanner is quadratic on deep flow collections). Only a quote or a
/// comment starting at a token boundary counts, so an apostrophe inside a
/// plain YAML scalar does not hide what follows.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    let boundary = |i: usize| {
        i == 0
            || matches!(
                b[i - 1],
                b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':'
            )
    };
    while i < b.len() {
        match b[i] {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            q @ (b'"' | b'\'') if boundary(i) => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' if boundary(i) => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if boundary(i) && b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if boundary(i) && b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + n + 3);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

pub(crate) fn parse(text: &str) -> Result<Node, ParseError> {
    parse_with(text, true)
}

/// [`parse`], with a trailing comma an error.
pub(crate) fn parse_strict(text: &str) -> Result<Node, ParseError> {
    parse_with(text, false)
}

fn parse_with(text: &str, trailing_commas: bool) -> Result<Node, ParseError> {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
        trailing_commas,
        depth: 0,
    };
    p.ws()?;
    let node = p.value()?;
    p.ws()?;
    if p.i != p.b.len() {
        return Err(p.err("end of file"));
    }
    Ok(node)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    /// `[1,]` and `{"a": 1,}` are accepted.
    trailing_commas: bool,
    /// Objects and arrays open around the current position.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, expected: &str) -> ParseError {
        ParseError {
            offset: self.i,
            message: format!("expected {expected}"),
        }
    }

    fn ws(&mut self) -> Result<(), ParseError> {
        loop {
            match self.b.get(self.i..self.i + 2) {
                Some(b"//") => {
                    while self.i < self.b.len() && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                Some(b"/*") => {
                    let rest = &self.b[self.i + 2..];
                    let close = rest
                        .windows(2)
                        .position(|w| w == b"*/")
                        .ok_or_else(|| self.err("`*/`"))?;
                    self.i += close + 4;
                }
                _ => match self.b.get(self.i) {
                    Some(b' ' | b'\t' | b'\n' | b'\r') => self.i += 1,
                    _ => return Ok(()),
                },
            }
        }
    }

    fn value(&mut self) -> Result<Node, ParseError> {
        let start = self.i;
        let kind = match self.b.get(self.i) {
            Some(b'{' | b'[') if self.depth >= MAX_DEPTH => {
                return Err(ParseError {
                    offset: self.i,
                    message: format!("{TOO_DEEP} {MAX_DEPTH} levels"),
                });
            }
            Some(b'{') => {
                self.depth += 1;
                let kind = self.object()?;
                self.depth -= 1;
                kind
            }
            Some(b'[') => {
                self.depth += 1;
                let kind = self.array()?;
                self.depth -= 1;
                kind
            }
            Some(b'"') => {
                self.string()?;
                Kind::Scalar
            }
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                while self.i < self.b.len()
                    && matches!(
                        self.b[self.i],
                        b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                    )
                {
                    self.i += 1;
                }
                Kind::Scalar
            }
            _ => {
                for word in [&b"true"[..], b"false", b"null"] {
                    if self.b[self.i..].starts_with(word) {
                        self.i += word.len();
                        return Ok(Node {
                            start,
                            end: self.i,
                            kind: Kind::Scalar,
                        });
                    }
                }
                return Err(self.err("a value"));
            }
        };
        Ok(Node {
            start,
            end: self.i,
            kind,
        })
    }

    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.i;
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    let raw = std::str::from_utf8(&self.b[start..self.i])
                        .map_err(|_| self.err("UTF-8"))?;
                    return serde_json::from_str(raw).map_err(|_| ParseError {
                        offset: start,
                        message: "invalid string".into(),
                    });
                }
                _ => self.i += 1,
            }
        }
        Err(self.err("`\"`"))
    }

    fn object(&mut self) -> Result<Kind, ParseError> {
        self.i += 1;
        let mut members = Vec::new();
        self.ws()?;
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(Kind::Object(members));
        }
        loop {
            self.ws()?;
            if self.trailing_commas && !members.is_empty() && self.b.get(self.i) == Some(&b'}') {
                self.i += 1;
                return Ok(Kind::Object(members));
            }
            if self.b.get(self.i) != Some(&b'"') {
                return Err(self.err("a string key"));
            }
            let key_start = self.i;
            let key = self.string()?;
            self.ws()?;
            if self.b.get(self.i) != Some(&b':') {
                return Err(self.err("`:`"));
            }
            self.i += 1;
            self.ws()?;
            let value = self.value()?;
            members.push(Member {
                key,
                key_start,
                value,
            });
            self.ws()?;
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Kind::Object(members));
                }
                _ => return Err(self.err("`,` or `}`")),
            }
        }
    }

    fn array(&mut self) -> Result<Kind, ParseError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws()?;
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.ws()?;
            if self.trailing_commas && !items.is_empty() && self.b.get(self.i) == Some(&b']') {
                self.i += 1;
                return Ok(Kind::Array(items));
            }
            items.push(self.value()?);
            self.ws()?;
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Kind::Array(items));
                }
                _ => return Err(self.err("`,` or `]`")),
            }
        }
    }
}

/// The document as a value (comments are whitespace to it).
pub(crate) fn to_value(text: &str) -> Result<Value, ParseError> {
    let root = parse(text)?;
    Ok(value_of(text, &root))
}

fn value_of(text: &str, node: &Node) -> Value {
    match &node.kind {
        Kind::Object(members) => Value::Object(
            members
                .iter()
                .map(|m| (m.key.clone(), value_of(text, &m.value)))
                .collect(),
        ),
        Kind::Array(items) => Value::Array(items.iter().map(|n| value_of(text, n)).collect()),
        Kind::Scalar => serde_json::from_str(&text[node.start..node.end]).unwrap_or(Value::Null),
    }
}

/// The node at `path` (object keys), if present.
fn find<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    let Some((first, rest)) = path.split_first() else {
        return Some(node);
    };
    match &node.kind {
        Kind::Object(members) => members
            .iter()
            .rev()
            .find(|m| m.key == *first)
            .and_then(|m| find(&m.value, rest)),
        _ => None,
    }
}

/// Leading whitespace of the line holding `offset`.
fn line_indent(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// `value` pretty-printed, its continuation lines indented by `indent`.
fn render(value: &Value, indent: &str) -> String {
    let pretty = serde_json::to_string_pretty(value).expect("values serialize");
    pretty.replace('\n', &format!("\n{indent}"))
}

/// Sets `path` (creating missing objects) to `value`, splicing only the
/// bytes of that value, or of a new member.
pub(crate) fn set(text: &str, path: &[&str], value: &Value) -> Result<String, ParseError> {
    let root = parse(text)?;
    // Walk down as far as the path exists.
    let mut node = &root;
    let mut depth = 0;
    while depth < path.len() {
        match find(node, &path[depth..=depth]) {
            Some(child) => {
                node = child;
                depth += 1;
            }
            None => break,
        }
    }
    if depth == path.len() {
        let indent = line_indent(text, node.start).to_owned();
        return Ok(splice(text, node.start, node.end, &render(value, &indent)));
    }
    // Insert a member holding the rest of the path into `node`.
    let mut inner = value.clone();
    for key in path[depth + 1..].iter().rev() {
        inner = Value::Object(std::iter::once(((*key).to_owned(), inner)).collect());
    }
    let Kind::Object(members) = &node.kind else {
        return Err(ParseError {
            offset: node.start,
            message: format!("expected an object at `{}`", path[..depth].join(".")),
        });
    };
    let key = serde_json::to_string(path[depth]).expect("keys serialize");
    let outer = line_indent(text, node.start).to_owned();
    match members.last() {
        Some(last) => {
            let indent = line_indent(text, last.key_start).to_owned();
            let indent =
                if indent.len() > outer.len() || !text[node.start..last.key_start].contains('\n') {
                    indent
                } else {
                    format!("{outer}  ")
                };
            let member = format!("{key}: {}", render(&inner, &indent));
            Ok(append_after(text, last.value.end, &indent, &member))
        }
        None => {
            let indent = format!("{outer}  ");
            let object = format!("{{\n{indent}{key}: {}\n{outer}}}", render(&inner, &indent));
            Ok(splice(text, node.start, node.end, &object))
        }
    }
}

/// Removes the member at `path`, with its separating comma.
pub(crate) fn remove(text: &str, path: &[&str]) -> Result<String, ParseError> {
    let root = parse(text)?;
    let Some((last, parent_path)) = path.split_last() else {
        return Ok(text.to_owned());
    };
    let Some(parent) = find(&root, parent_path) else {
        return Ok(text.to_owned());
    };
    let Kind::Object(members) = &parent.kind else {
        return Ok(text.to_owned());
    };
    let Some(i) = members.iter().rposition(|m| m.key == *last) else {
        return Ok(text.to_owned());
    };
    let (start, end) = if i + 1 < members.len() {
        (members[i].key_start, members[i + 1].key_start)
    } else if i > 0 {
        last_span(
            text,
            members[i - 1].value.end,
            members[i].key_start,
            members[i].value.end,
        )
    } else {
        return Ok(splice(text, parent.start, parent.end, "{}"));
    };
    Ok(splice(text, start, end, ""))
}

/// Appends a string to the list at `path` (creating it when missing).
pub(crate) fn push_item(text: &str, path: &[&str], item: &str) -> Result<String, ParseError> {
    let root = parse(text)?;
    let quoted = serde_json::to_string(item).expect("strings serialize");
    let Some(node) = find(&root, path) else {
        return set(
            text,
            path,
            &Value::Array(vec![Value::String(item.to_owned())]),
        );
    };
    let Kind::Array(items) = &node.kind else {
        return Err(ParseError {
            offset: node.start,
            message: format!("expected a list at `{}`", path.join(".")),
        });
    };
    match items.last() {
        Some(last) => {
            let multiline = text[node.start..items[0].start].contains('\n');
            let sep = if multiline {
                format!(",\n{}", line_indent(text, last.start))
            } else {
                ", ".to_owned()
            };
            Ok(splice(text, last.end, last.end, &format!("{sep}{quoted}")))
        }
        None => Ok(splice(text, node.start, node.end, &format!("[{quoted}]"))),
    }
}

/// Removes the string `item` from the list at `path`.
pub(crate) fn remove_item(text: &str, path: &[&str], item: &str) -> Result<String, ParseError> {
    remove_where(text, path, |items| {
        items.iter().position(|n| {
            serde_json::from_str::<String>(&text[n.start..n.end]).is_ok_and(|s| s == item)
        })
    })
}

/// Removes the item `pick` chooses from the list at `path`, if any.
fn remove_where(
    text: &str,
    path: &[&str],
    pick: impl Fn(&[Node]) -> Option<usize>,
) -> Result<String, ParseError> {
    let root = parse(text)?;
    let Some(Node {
        kind: Kind::Array(items),
        start,
        end,
    }) = find(&root, path)
    else {
        return Ok(text.to_owned());
    };
    let Some(i) = pick(items) else {
        return Ok(text.to_owned());
    };
    Ok(remove_at(text, items, i, (*start, *end)))
}

/// The position of the object whose `id` member is `id` in a list.
fn position_by_id(text: &str, items: &[Node], id: &str) -> Option<usize> {
    items.iter().position(|n| match &n.kind {
        Kind::Object(members) => members
            .iter()
            .rev()
            .find(|m| m.key == "id")
            .is_some_and(|m| {
                serde_json::from_str::<String>(&text[m.value.start..m.value.end])
                    .is_ok_and(|s| s == id)
            }),
        _ => false,
    })
}

/// Sets the object named `id` (by its `id` member) in the list at `path`
/// to `value`, or appends it (creating the list when missing), splicing
/// only its bytes.
pub(crate) fn set_by_id(
    text: &str,
    path: &[&str],
    id: &str,
    value: &Value,
) -> Result<String, ParseError> {
    let root = parse(text)?;
    let Some(node) = find(&root, path) else {
        return set(text, path, &Value::Array(vec![value.clone()]));
    };
    let Kind::Array(items) = &node.kind else {
        return Err(ParseError {
            offset: node.start,
            message: format!("expected a list at `{}`", path.join(".")),
        });
    };
    if let Some(i) = position_by_id(text, items, id) {
        let indent = line_indent(text, items[i].start).to_owned();
        return Ok(splice(
            text,
            items[i].start,
            items[i].end,
            &render(value, &indent),
        ));
    }
    match items.last() {
        Some(last) => {
            let indent = line_indent(text, last.start).to_owned();
            let rendered = render(value, &indent);
            if text[node.start..items[0].start].contains('\n') {
                Ok(append_after(text, last.end, &indent, &rendered))
            } else {
                Ok(splice(text, last.end, last.end, &format!(", {rendered}")))
            }
        }
        None => {
            let outer = line_indent(text, node.start).to_owned();
            let indent = format!("{outer}  ");
            let list = format!("[\n{indent}{}\n{outer}]", render(value, &indent));
            Ok(splice(text, node.start, node.end, &list))
        }
    }
}

/// Removes the object named `id` from the list at `path`.
pub(crate) fn remove_by_id(text: &str, path: &[&str], id: &str) -> Result<String, ParseError> {
    remove_where(text, path, |items| position_by_id(text, items, id))
}

/// `text` with `addition` (a member or an item) on a line of its own after
/// the last one, which ends at `end`. When the user ended that one with a
/// trailing comma (and perhaps a comment on its line), the addition goes
/// after both and gets a trailing comma too, so a comment stays on the
/// line it was written on and the file keeps its style.
fn append_after(text: &str, end: usize, indent: &str, addition: &str) -> String {
    let after = &text[end..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    if after[gap..].starts_with(',') {
        let line = &after[gap + 1..];
        let mut line_end = line.find('\n').unwrap_or(line.len());
        if line[..line_end].ends_with('\r') {
            line_end -= 1;
        }
        let rest_of_line = line[..line_end].trim();
        // Only a `//` comment, or nothing, may follow on that line.
        if rest_of_line.is_empty() || rest_of_line.starts_with("//") {
            let at = end + gap + 1 + line_end;
            return splice(text, at, at, &format!("\n{indent}{addition},"));
        }
    }
    splice(text, end, end, &format!(",\n{indent}{addition}"))
}

/// The bytes to take out to remove the last member or item (`start` to
/// `end`, after one that ends at `prev_end`). With a trailing comma after
/// it, on a line of its own, that is its line and its comma — so the one
/// before keeps its comma and any comment after it; else the comma before
/// it, and it.
fn last_span(text: &str, prev_end: usize, start: usize, end: usize) -> (usize, usize) {
    let after = &text[end..];
    let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
    let line_start = text[..start].rfind('\n');
    match line_start {
        Some(nl) if after[gap..].starts_with(',') && nl >= prev_end => (nl, end + gap + 1),
        _ => (prev_end, end),
    }
}

/// `text` without item `i` of a list spanning `list`, and its comma.
fn remove_at(text: &str, items: &[Node], i: usize, list: (usize, usize)) -> String {
    let (from, to) = if i + 1 < items.len() {
        (items[i].start, items[i + 1].start)
    } else if i > 0 {
        last_span(text, items[i - 1].end, items[i].start, items[i].end)
    } else {
        return splice(text, list.0, list.1, "[]");
    };
    splice(text, from, to, "")
}

fn splice(text: &str, start: usize, end: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..start]);
    out.push_str(with);
    out.push_str(&text[end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &str = r#"{
    // my servers
    "theme": "dark",
    "mcpServers": {
        "mine": { "command": "my-tool", "args": ["--x"] }
    },
    "other": [1, 2,   3]
}
"#;

    #[test]
    fn inputs_by_id_and_members_after_a_trailing_comma_keep_the_users_bytes() {
        let text =
            "{\n  \"inputs\": [\n    {\"id\": \"mine\"}, // keep\n  ],\n  \"a\": 1, // one\n}\n";
        let added = set(text, &["b"], &json!(2)).unwrap();
        assert_eq!(
            added,
            "{\n  \"inputs\": [\n    {\"id\": \"mine\"}, // keep\n  ],\n  \"a\": 1, // one\n  \"b\": 2,\n}\n"
        );
        let with = set_by_id(&added, &["inputs"], "T", &json!({"id": "T"})).unwrap();
        assert!(
            with.contains("{\"id\": \"mine\"}, // keep\n    {\n      \"id\": \"T\"\n    },\n  ],"),
            "{with}"
        );
        let replaced = set_by_id(
            &with,
            &["inputs"],
            "T",
            &json!({"id": "T", "password": true}),
        )
        .unwrap();
        assert!(replaced.contains("\"password\": true"), "{replaced}");
        assert_eq!(
            to_value(&replaced).unwrap()["inputs"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(remove_by_id(&replaced, &["inputs"], "T").unwrap(), added);
        assert_eq!(remove_by_id(&added, &["inputs"], "absent").unwrap(), added);
        assert_eq!(remove(&added, &["b"]).unwrap(), text);
    }

    #[test]
    fn adds_and_replaces_without_touching_other_bytes() {
        let added = set(
            USER,
            &["mcpServers", "docs"],
            &json!({"type": "http", "url": "https://d"}),
        )
        .unwrap();
        assert!(added.starts_with("{\n    // my servers\n    \"theme\": \"dark\",\n    \"mcpServers\": {\n        \"mine\": { \"command\": \"my-tool\", \"args\": [\"--x\"] },\n        \"docs\": {\n"), "{added}");
        assert!(
            added.ends_with("    },\n    \"other\": [1, 2,   3]\n}\n"),
            "{added}"
        );
        let v = to_value(&added).unwrap();
        assert_eq!(v["mcpServers"]["docs"]["url"], "https://d");
        let replaced = set(
            &added,
            &["mcpServers", "docs"],
            &json!({"type": "sse", "url": "https://e"}),
        )
        .unwrap();
        assert_eq!(
            to_value(&replaced).unwrap()["mcpServers"]["docs"]["type"],
            "sse"
        );
        let removed = remove(&replaced, &["mcpServers", "docs"]).unwrap();
        assert_eq!(removed, USER);
    }

    #[test]
    fn creates_missing_parents_and_fills_empty_objects() {
        let out = set("{}\n", &["permissions", "deny"], &json!(["mcp__a__b"])).unwrap();
        assert_eq!(
            to_value(&out).unwrap(),
            json!({"permissions": {"deny": ["mcp__a__b"]}})
        );
        let out = set("{\"a\": 1}", &["mcpServers", "x"], &json!({})).unwrap();
        assert_eq!(
            to_value(&out).unwrap(),
            json!({"a": 1, "mcpServers": {"x": {}}})
        );
        let only = remove("{\"mcpServers\": {\"x\": 1}}", &["mcpServers", "x"]).unwrap();
        assert_eq!(only, "{\"mcpServers\": {}}");
    }

    #[test]
    fn reports_where_the_json_is_broken() {
        let e = parse("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!(e.offset, 18);
        assert_eq!(e.message, "expected `:`");
    }

    #[test]
    fn a_file_nested_deeper_than_the_limit_is_an_error_not_an_abort() {
        for open in ["[", "{\"k\":"] {
            let close = if open == "[" { "]" } else { "}" };
            let n = 100_000;
            let text = format!("{}{}", open.repeat(n), close.repeat(n));
            let e = parse(&text).unwrap_err();
            assert!(e.message.starts_with(TOO_DEEP), "{}", e.message);
            assert_eq!(e.offset, MAX_DEPTH * open.len());
        }
        // At the limit it still parses.
        let text = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(to_value(&text).is_ok());
        assert_eq!(too_deep(&text, MAX_DEPTH), None);
    }

    #[test]
    fn the_depth_scan_skips_strings_and_comments_only_where_they_start() {
        let deep = "[".repeat(5);
        assert_eq!(too_deep(&format!("{{\"a\": {deep}"), 4), Some(9));
        assert_eq!(too_deep("{\"a[[[[[\": 1}", 4), None);
        assert_eq!(too_deep(&format!("# {deep}\nx: 1"), 4), None);
        assert_eq!(too_deep(&format!("// {deep}\n{{}}"), 4), None);
        assert_eq!(too_deep(&format!("/* {deep} */ {{}}"), 4), None);
        // An apostrophe inside a plain YAML scalar opens no string.
        assert_eq!(too_deep(&format!("a: don't\nb: {deep}"), 4), Some(16));
    }
}

#[cfg(test)]
mod generated {
    use super::*;
    use serde_json::json;

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// A random JSON object in a random layout, with comments.
    fn object(rng: &mut Rng, depth: u32, indent: usize) -> String {
        let n = rng.below(4);
        let ws = |rng: &mut Rng| match rng.below(4) {
            0 => String::new(),
            1 => " ".to_owned(),
            2 => format!("\n{}", " ".repeat(indent + 2)),
            _ => format!(" /* c{} */ ", rng.below(9)),
        };
        let mut parts = Vec::new();
        for i in 0..n {
            let value = match rng.below(5) {
                0 if depth < 3 => object(rng, depth + 1, indent + 2),
                1 => format!("[1,{}\"x\"]", ws(rng)),
                2 => "\"s \\\" \\u00e9\"".to_owned(),
                3 => "true".to_owned(),
                _ => format!("{}", rng.below(1000)),
            };
            parts.push(format!("{}\"k{i}\"{}:{}{value}", ws(rng), ws(rng), ws(rng)));
        }
        let close = if rng.below(2) == 0 {
            format!("\n{}", " ".repeat(indent))
        } else {
            String::new()
        };
        format!("{{{}{close}}}", parts.join(","))
    }

    #[test]
    fn insert_then_remove_gives_back_every_byte() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            let mut doc = object(&mut rng, 0, 0);
            if rng.below(3) == 0 {
                doc = format!("// leading\n{doc}\n");
            }
            let before = to_value(&doc).unwrap_or_else(|e| panic!("{e:?}\n{doc}"));
            let path: &[&str] = if rng.below(2) == 0 {
                &["mcpServers", "new"]
            } else {
                &["k0", "new"]
            };
            let entry = json!({"command": "x", "args": ["a"]});
            let Ok(added) = set(&doc, path, &entry) else {
                continue; // `k0` is not an object: refused, fine
            };
            let after = to_value(&added).unwrap_or_else(|e| panic!("{e:?}\n{added}"));
            assert_eq!(
                after.pointer(&format!("/{}", path.join("/"))),
                Some(&entry),
                "{added}"
            );
            let created_parent = before.pointer(&format!("/{}", path[0])).is_none();
            let removed = remove(&added, path).unwrap();
            if created_parent {
                // The parent object mcpc created stays (empty): semantically
                // only that is new.
                let mut v = to_value(&removed).unwrap();
                v.as_object_mut().unwrap().remove(path[0]);
                assert_eq!(v, before, "{doc}\n---\n{removed}");
            } else {
                // Every byte outside the container mcpc wrote into is the
                // user's and comes back exactly; an emptied container may
                // come back as `{}`.
                let span = |text: &str| {
                    let root = parse(text).unwrap();
                    let node = find(&root, &path[..1]).unwrap();
                    (node.start, text.len() - node.end)
                };
                let ((a0, a1), (b0, b1)) = (span(&doc), span(&removed));
                assert_eq!(
                    &removed[..b0],
                    &doc[..a0],
                    "bytes before the container changed"
                );
                assert_eq!(
                    &removed[removed.len() - b1..],
                    &doc[doc.len() - a1..],
                    "bytes after the container changed"
                );
                assert_eq!(to_value(&removed).unwrap(), before);
                if !doc[a0..doc.len() - a1]
                    .replace(char::is_whitespace, "")
                    .eq("{}")
                {
                    assert_eq!(
                        removed, doc,
                        "remove(set(x)) changed bytes of a non-empty container"
                    );
                }
            }
        }
    }
}
