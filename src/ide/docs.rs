//! Hover text for blocks and attributes, taken from the language reference
//! (`docs/language.md`, compiled in) so there is one description of each.

const REFERENCE: &str = include_str!("../../docs/language.md");

/// The reference's section on block `kind`: its heading and first
/// paragraph. Nested blocks (`env`, `tools`, …) are rows of their parent's
/// table.
pub fn block_doc(kind: &str) -> Option<String> {
    if let Some((heading, body)) = section(kind) {
        let paragraph: Vec<&str> = body
            .lines()
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty() && !l.starts_with('|'))
            .collect();
        return Some(
            format!("**{heading}**\n\n{}", paragraph.join("\n"))
                .trim_end()
                .to_owned(),
        );
    }
    row(&format!("block `{kind}`"))
}

/// The reference's line for `attribute` in block `kind`.
pub fn attribute_doc(kind: &str, attribute: &str) -> Option<String> {
    let (_, body) = section(kind)?;
    table_row(body, &format!("`{attribute}`"))
}

/// `## `kind …`` and the text up to the next heading.
fn section(kind: &str) -> Option<(&'static str, &'static str)> {
    let mut rest = REFERENCE;
    while let Some(at) = rest.find("\n## ") {
        rest = &rest[at + 1..];
        let heading_end = rest.find('\n').unwrap_or(rest.len());
        let heading = &rest[3..heading_end];
        let body = &rest[heading_end..];
        let body = &body[..body.find("\n## ").unwrap_or(body.len())];
        if heading.starts_with(&format!("`{kind} ")) {
            return Some((heading.trim_matches('`'), body));
        }
    }
    None
}

fn row(first: &str) -> Option<String> {
    let mut rest = REFERENCE;
    while let Some(at) = rest.find("\n## ") {
        rest = &rest[at + 1..];
        if let Some(found) = table_row(
            &rest[..rest[1..].find("\n## ").map_or(rest.len(), |e| e + 1)],
            first,
        ) {
            return Some(found);
        }
    }
    None
}

/// The row of a table whose first cell names `name` (a cell may name
/// several, as `` `description`, `homepage` ``), as "header: value" pairs.
fn table_row(body: &str, name: &str) -> Option<String> {
    let mut header: Vec<&str> = Vec::new();
    for line in body.lines() {
        if !line.starts_with('|') {
            header.clear();
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        if header.is_empty() {
            header = cells;
            continue;
        }
        let first = cells[0];
        let names_it = first == name || first.split(", ").any(|c| c == name);
        if names_it {
            let mut text = first.trim().to_owned();
            for (h, v) in header.iter().zip(&cells).skip(1) {
                if !v.is_empty() && !v.starts_with("---") {
                    text.push_str(&format!("\n\n*{h}*: {}", v.replace("\\|", "|")));
                }
            }
            return Some(text);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_and_block_of_the_schema_has_a_line() {
        use crate::ir::schema::*;
        let blocks = [
            ("plugin", &PLUGIN),
            ("server", &SERVER),
            ("policy", &POLICY),
        ];
        for (kind, schema) in blocks {
            assert!(block_doc(kind).is_some(), "{kind}");
            for a in schema.attributes {
                assert!(attribute_doc(kind, a).is_some(), "{kind}.{a}");
            }
        }
        for kind in ["workspace", "target", "env", "headers", "tools", "lints"] {
            assert!(block_doc(kind).is_some(), "{kind}");
        }
        let url = attribute_doc("server", "transport").unwrap();
        assert!(url.contains("`http` | `sse`"), "{url}");
        assert!(
            attribute_doc("plugin", "license")
                .unwrap()
                .contains("package manifests")
        );
    }
}
