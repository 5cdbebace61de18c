//! Editing a YAML file in place, one entry of a top-level block mapping at a
//! time (Hermes' `mcp_servers`). Lines outside the entries mcpc owns —
//! comments, other keys, the user's own servers — are kept byte for byte.
//! What this cannot edit safely (a flow-style `mcp_servers: {a: …}`) is
//! refused, never rewritten.

use crate::emit::json_doc::TOO_DEEP;
use serde_json::Value;

/// A top-level `key:` block: its line range and the entries in it.
struct Block {
    /// Index of the `key:` line.
    header: usize,
    /// One past the last line with content.
    end: usize,
    entries: Vec<Entry>,
    indent: Option<usize>,
}

struct Entry {
    name: String,
    start: usize,
    /// One past its last line with content.
    end: usize,
}

fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The key of a `key:` line (plain or quoted), if it is one.
fn key_of(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix('"') {
        let end = rest.find("\":")?;
        let key: String = serde_json::from_str(&format!("\"{}\"", &rest[..end])).ok()?;
        return Some((key, &rest[end + 2..]));
    }
    if let Some(rest) = t.strip_prefix('\'') {
        let end = rest.find("':")?;
        return Some((rest[..end].replace("''", "'"), &rest[end + 2..]));
    }
    let colon = t.find(':')?;
    let after = &t[colon + 1..];
    if !(after.is_empty() || after.starts_with([' ', '\n', '\r', '\t'])) {
        return None;
    }
    Some((t[..colon].trim_end().to_owned(), after))
}

fn find_block(ls: &[&str], key: &str) -> Result<Option<Block>, String> {
    let Some(header) = ls
        .iter()
        .position(|l| indent_of(l) == 0 && key_of(l).is_some_and(|(k, _)| k == key))
    else {
        return Ok(None);
    };
    let rest = key_of(ls[header])
        .map(|(_, r)| r.trim())
        .unwrap_or_default();
    let rest = rest.split(" #").next().unwrap_or_default().trim();
    if !(rest.is_empty() || rest.starts_with('#') || matches!(rest, "{}" | "null" | "~")) {
        return Err(format!(
            "`{key}` is written in flow style (`{rest}`); mcpc edits only block mappings — rewrite it as one entry per line"
        ));
    }
    let mut end = header + 1;
    let mut i = header + 1;
    while i < ls.len() && (indent_of(ls[i]) > 0 || !is_content(ls[i])) {
        if is_content(ls[i]) {
            end = i + 1;
        }
        i += 1;
    }
    let indent = (header + 1..end)
        .find(|&i| is_content(ls[i]))
        .map(|i| indent_of(ls[i]));
    let mut entries: Vec<Entry> = Vec::new();
    for i in header + 1..end {
        if is_content(ls[i]) && Some(indent_of(ls[i])) == indent {
            let (name, _) = key_of(ls[i])
                .ok_or_else(|| format!("line {}: expected `name:` in `{key}`", i + 1))?;
            if let Some(last) = entries.last_mut() {
                last.end = (last.start + 1..i)
                    .rev()
                    .find(|&j| is_content(ls[j]))
                    .map_or(last.start + 1, |j| j + 1);
            }
            entries.push(Entry {
                name,
                start: i,
                end,
            });
        }
    }
    Ok(Some(Block {
        header,
        end,
        entries,
        indent,
    }))
}

/// `name: value` rendered as YAML lines at `indent`.
fn render_entry(name: &str, value: &Value, indent: usize) -> String {
    let wrapped = Value::Object(std::iter::once((name.to_owned(), value.clone())).collect());
    let text = crate::emit::yaml(&wrapped);
    let pad = " ".repeat(indent);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

/// Sets entry `name` of top-level block `key` to `value`.
pub(super) fn set(text: &str, key: &str, name: &str, value: &Value) -> Result<String, String> {
    let mut ls: Vec<String> = lines(text).into_iter().map(str::to_owned).collect();
    if ls.last().is_some_and(|l| !l.ends_with('\n')) {
        ls.last_mut().unwrap().push('\n');
    }
    let refs: Vec<&str> = ls.iter().map(String::as_str).collect();
    let Some(block) = find_block(&refs, key)? else {
        let mut out: String = ls.concat();
        out.push_str(&format!("{key}:\n"));
        out.push_str(&render_entry(name, value, 2));
        return Ok(out);
    };
    let indent = block.indent.unwrap_or(2);
    let rendered = render_entry(name, value, indent);
    let header_rest = key_of(&ls[block.header])
        .map(|(_, r)| r.trim().to_owned())
        .unwrap_or_default();
    if matches!(header_rest.as_str(), "{}" | "null" | "~") {
        ls[block.header] = format!("{key}:\n");
    }
    match block.entries.iter().find(|e| e.name == name) {
        Some(e) => {
            ls.splice(e.start..e.end, [rendered]);
        }
        None => {
            ls.insert(block.end, rendered);
        }
    }
    Ok(ls.concat())
}

/// Removes entry `name` of top-level block `key`.
pub(super) fn remove(text: &str, key: &str, name: &str) -> Result<String, String> {
    let ls = lines(text);
    let Some(block) = find_block(&ls, key)? else {
        return Ok(text.to_owned());
    };
    let Some(e) = block.entries.iter().find(|e| e.name == name) else {
        return Ok(text.to_owned());
    };
    let mut out: Vec<&str> = ls.clone();
    out.drain(e.start..e.end);
    Ok(out.concat())
}

pub(super) fn to_value(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    if let Some(at) = crate::emit::json_doc::too_deep(text, 128) {
        let line = text.as_bytes()[..at]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        return Err(format!(
            "line {line}: {TOO_DEEP} the YAML reader allows (128 levels)"
        ));
    }
    serde_norway::from_str::<Value>(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        match e.location() {
            _ if e.to_string().contains("recursion limit") => {
                format!("line {line}: {TOO_DEEP} the YAML reader allows (128 levels)")
            }
            Some(l) => format!("line {}, column {}: {e}", l.line(), l.column()),
            None => e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &str = "# Hermes settings\nmodel: gpt-x   # keep me\nmcp_servers:\n    mine:\n        command: my-tool   # mine\n        args: [--x]\n\n    # trailing comment\ndisplay:\n  compact: true\n";

    #[test]
    fn adds_replaces_and_removes_entries_keeping_other_lines() {
        let added = set(USER, "mcp_servers", "docs", &json!({"url": "https://d"})).unwrap();
        assert!(added.contains("        args: [--x]\n    docs:\n      url: \"https://d\"\n\n    # trailing comment\ndisplay:"), "{added}");
        let v = to_value(&added).unwrap();
        assert_eq!(v["mcp_servers"]["mine"]["command"], "my-tool");
        assert_eq!(v["mcp_servers"]["docs"]["url"], "https://d");
        let replaced = set(
            &added,
            "mcp_servers",
            "docs",
            &json!({"url": "https://e", "enabled": false}),
        )
        .unwrap();
        assert_eq!(
            to_value(&replaced).unwrap()["mcp_servers"]["docs"]["enabled"],
            false
        );
        assert_eq!(remove(&replaced, "mcp_servers", "docs").unwrap(), USER);
    }

    #[test]
    fn creates_the_block_and_refuses_flow_style() {
        let out = set("model: x\n", "mcp_servers", "a", &json!({"command": "c"})).unwrap();
        assert_eq!(out, "model: x\nmcp_servers:\n  a:\n    command: \"c\"\n");
        let out = set(
            "mcp_servers: {}\n",
            "mcp_servers",
            "a",
            &json!({"command": "c"}),
        )
        .unwrap();
        assert_eq!(
            to_value(&out).unwrap(),
            json!({"mcp_servers": {"a": {"command": "c"}}})
        );
        assert!(
            set(
                "mcp_servers: {a: {command: x}}\n",
                "mcp_servers",
                "b",
                &json!({})
            )
            .is_err()
        );
    }
}

#[cfg(test)]
mod generated {
    use super::*;
    use serde_json::json;

    #[test]
    fn insert_then_remove_gives_back_every_byte() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut below = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..1000 {
            let indent = if below(2) == 0 { 2 } else { 4 };
            let pad = " ".repeat(indent);
            let mut doc = String::new();
            if below(2) == 0 {
                doc.push_str("# settings\nmodel: gpt-x  # keep\n");
            }
            let servers = below(4);
            if servers > 0 || below(2) == 0 {
                doc.push_str("mcp_servers:\n");
                for i in 0..servers {
                    if below(3) == 0 {
                        doc.push_str(&format!("{pad}# server {i}\n"));
                    }
                    doc.push_str(&format!("{pad}s{i}:\n{pad}{pad}command: tool-{i}   # c\n"));
                    if below(2) == 0 {
                        doc.push_str(&format!("{pad}{pad}args: [--x, \"y\"]\n"));
                    }
                    if below(3) == 0 {
                        doc.push('\n');
                    }
                }
            }
            if below(2) == 0 {
                doc.push_str("display:\n  compact: true\n");
            }
            let before = to_value(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
            let entry = json!({"command": "new", "args": ["a"], "env": {"K": "${K}"}});
            let added = set(&doc, "mcp_servers", "new", &entry).unwrap();
            let after = to_value(&added).unwrap_or_else(|e| panic!("{e}\n{added}"));
            assert_eq!(after["mcp_servers"]["new"], entry, "{added}");
            let removed = remove(&added, "mcp_servers", "new").unwrap();
            if before.get("mcp_servers").is_some() {
                assert_eq!(
                    removed, doc,
                    "remove(set(x)) changed bytes:\n{doc}\n---\n{added}"
                );
            } else {
                // mcpc added the `mcp_servers:` key itself; only it remains.
                assert_eq!(removed, format!("{doc}mcp_servers:\n"), "{added}");
            }
        }
    }
}
