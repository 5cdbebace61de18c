//! Editing TOML in place with `toml_edit`: comments, order and formatting of
//! everything mcpc does not own are kept by the document model itself.

use crate::emit::json_doc::TOO_DEEP;
use serde_json::Value;
use toml_edit::{DocumentMut, Item, Table};

fn doc(text: &str) -> Result<DocumentMut, String> {
    text.parse::<DocumentMut>().map_err(|e| e.to_string())
}

/// Sets `path` (a table of tables, such as `mcp_servers`) entry `name`.
pub(super) fn set(text: &str, path: &[&str], name: &str, value: &Value) -> Result<String, String> {
    let mut document = doc(text)?;
    // The entry as TOML, built by the same serializer `build` uses.
    let mut wrapper = serde_json::Map::new();
    wrapper.insert(name.to_owned(), value.clone());
    let rendered = toml::to_string(&Value::Object(wrapper)).map_err(|e| e.to_string())?;
    let mut entry_doc = doc(&rendered)?;
    let mut entry = entry_doc.remove(name).ok_or("entry did not render")?;
    // A new table goes after everything else, set off by a blank line, its
    // sub-tables (`env`, `http_headers`) right after it.
    let mut next = last_position(document.as_table()) + 1;
    if let Some(table) = entry.as_table_mut() {
        place(table, &mut next);
    }
    let mut table: &mut Table = document.as_table_mut();
    for key in path {
        let item = table.entry(key).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        table = item
            .as_table_mut()
            .ok_or_else(|| format!("`{key}` is not a table"))?;
    }
    table.insert(name, entry);
    Ok(document.to_string())
}

fn last_position(table: &Table) -> isize {
    let own = table.position().unwrap_or(0);
    table
        .iter()
        .filter_map(|(_, item)| item.as_table())
        .map(last_position)
        .fold(own, isize::max)
}

fn place(table: &mut Table, next: &mut isize) {
    if !table.is_implicit() {
        table.set_position(Some(*next));
        table.decor_mut().set_prefix("\n");
        *next += 1;
    }
    for (_, item) in table.iter_mut() {
        if let Some(child) = item.as_table_mut() {
            place(child, next);
        }
    }
}

pub(super) fn remove(text: &str, path: &[&str], name: &str) -> Result<String, String> {
    let mut document = doc(text)?;
    let mut table: &mut Table = document.as_table_mut();
    for key in path {
        match table.get_mut(key).and_then(Item::as_table_mut) {
            Some(t) => table = t,
            None => return Ok(text.to_owned()),
        }
    }
    table.remove(name);
    Ok(document.to_string())
}

pub(super) fn to_value(text: &str) -> Result<Value, String> {
    let value: toml::Value = toml::from_str(text).map_err(|e| {
        let message = e.to_string();
        if message.contains("recursion") {
            // Said without the snippet: the offending line can be huge.
            let at = e.span().map_or(0, |s| s.start.min(text.len()));
            let line = text.as_bytes()[..at]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            format!("line {line}: {TOO_DEEP} the TOML reader allows")
        } else {
            message
        }
    })?;
    serde_json::to_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_comments_and_other_tables() {
        let user = "# my codex config\nmodel = \"o3\" # best\n\n[mcp_servers.mine]\ncommand = \"my-tool\" # mine\n\n[profiles.fast]\nmodel = \"mini\"\n";
        let out = set(
            user,
            &["mcp_servers"],
            "docs",
            &json!({"url": "https://d", "env_http_headers": {"X": "Y"}}),
        )
        .unwrap();
        assert!(out.starts_with("# my codex config\nmodel = \"o3\" # best\n\n[mcp_servers.mine]\ncommand = \"my-tool\" # mine\n"), "{out}");
        assert!(out.contains("[profiles.fast]\nmodel = \"mini\"\n"), "{out}");
        let v = to_value(&out).unwrap();
        assert_eq!(v["mcp_servers"]["docs"]["env_http_headers"]["X"], "Y");
        assert_eq!(remove(&out, &["mcp_servers"], "docs").unwrap(), user);
    }
}
