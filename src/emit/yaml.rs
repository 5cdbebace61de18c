//! A small YAML writer for the tree a backend serializes: block mappings
//! and sequences, every string double-quoted (JSON escapes are valid YAML),
//! so no value is ever read back as a number, a boolean or `null`.

use serde_json::Value;

pub(super) fn write(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key_text(key));
        out.push(':');
        nested(out, value, indent);
    }
}

fn nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            for item in items {
                out.push_str(&" ".repeat(indent + 2));
                out.push('-');
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        out.push('\n');
                        mapping(out, map, indent + 4);
                    }
                    other => {
                        out.push(' ');
                        out.push_str(&scalar(other));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Plain when unambiguous (`mcp_servers`, `docs-search`), else quoted.
fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain { key.to_owned() } else { quoted(key) }
}

/// A double-quoted YAML string: JSON's escapes, plus `\uXXXX` for what JSON
/// leaves raw but YAML does not read back as itself (DEL, the C1 controls
/// with NEL, the line and paragraph separators, a BOM).
fn quoted(text: &str) -> String {
    let json = Value::String(text.to_owned()).to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
        ) {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_yaml_that_a_real_parser_reads_back() {
        let tree = json!({
            "mcp_servers": {
                "docs": {"command": "npx", "args": ["-y", "a@1.0.0"], "timeout": 120,
                          "env": {"A": "${A}", "on": "yes"}, "enabled": false,
                          "tools": {"include": ["x"]}},
                "1odd key": {"url": "https://x/\"q\"\n", "headers": {}}
            }
        });
        let text = write(&tree);
        let back: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, tree, "{text}");
    }
}
