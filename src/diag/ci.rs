//! Renderers for CI systems: GitHub Actions workflow commands
//! (`--message-format github`, one `::error …::…` line per diagnostic, which
//! the runner turns into pull-request annotations) and SARIF 2.1.0
//! (`--message-format sarif`, one log per run, for code scanning).
//!
//! Both start from a [`Finding`]: a diagnostic resolved to file, lines and
//! columns, or a file-level finding with no region (what `import` reports).

use super::{Code, Diagnostic, Label, Severity};
use crate::source::SourceMap;
use serde_json::{Value, json};

/// A place in a file: 1-based lines, 1-based columns counted in Unicode
/// scalar values (SARIF's `unicodeCodePoints`), end exclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// What one diagnostic says, resolved against its files.
#[derive(Clone, Debug)]
pub struct Finding<'a> {
    pub code: &'a str,
    pub severity: Severity,
    pub message: &'a str,
    pub file: &'a str,
    pub region: Option<Region>,
    /// The other labels: their file, region and role.
    pub related: Vec<(&'a str, Region, &'a str)>,
    pub help: Option<&'a str>,
}

impl<'a> Finding<'a> {
    pub fn of(sources: &'a SourceMap, d: &'a Diagnostic) -> Finding<'a> {
        let (file, region) = locate(sources, &d.primary);
        Finding {
            code: d.code.name(),
            severity: d.severity,
            message: &d.message,
            file,
            region: Some(region),
            related: d
                .labels
                .iter()
                .map(|l| {
                    let (file, region) = locate(sources, l);
                    (file, region, l.message.as_str())
                })
                .collect(),
            help: d.help.as_deref(),
        }
    }
}

fn locate<'a>(sources: &'a SourceMap, label: &Label) -> (&'a str, Region) {
    let source = sources.get(label.span.file);
    let (line, column) = source.line_col(label.span.start as usize);
    let (end_line, end_column) = source.line_col(label.span.end as usize);
    (
        &source.name,
        Region {
            line,
            column,
            end_line,
            end_column,
        },
    )
}

/// One GitHub Actions workflow command, ending with a newline:
/// `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE::message`.
/// Columns are given only for a one-line span: the runner drops them from a
/// range over several lines.
pub fn github(f: &Finding) -> String {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![("file", f.file.to_owned())];
    if let Some(r) = &f.region {
        properties.push(("line", r.line.to_string()));
        if r.line == r.end_line {
            properties.push(("col", r.column.to_string()));
        }
        properties.push(("endLine", r.end_line.to_string()));
        if r.line == r.end_line {
            properties.push(("endColumn", r.end_column.to_string()));
        }
    }
    properties.push(("title", f.code.to_owned()));
    let properties: Vec<String> = properties
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(&super::sanitize(v))))
        .collect();
    format!(
        "::{command} {}::{}\n",
        properties.join(","),
        escape_data(&super::sanitize(&message_text(f)))
    )
}

/// The message with its other labels and help, as plain lines.
fn message_text(f: &Finding) -> String {
    let mut text = f.message.to_owned();
    for (file, r, role) in &f.related {
        let role = if role.is_empty() { "related" } else { role };
        text.push_str(&format!("\nnote: {file}:{}:{}: {role}", r.line, r.column));
    }
    if let Some(help) = f.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    text
}

/// The workflow-command rules for the message (actions/toolkit's
/// `escapeData`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The rules for a property value (`escapeProperty`): also `:` and `,`,
/// which would end the value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log with one run holding every finding, pretty-printed,
/// ending with a newline. Paths stay relative to the working directory
/// (`%SRCROOT%`), as code scanning expects for a checkout.
pub fn sarif(findings: &[Finding]) -> String {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.code).collect();
    rules.sort_unstable();
    rules.dedup();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": rules.binary_search(&f.code).expect("every rule is listed"),
                "level": level(f.severity),
                "message": { "text": message_text(f) },
                "locations": [location(f.file, f.region.as_ref(), None)],
            });
            if !f.related.is_empty() {
                result["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, (file, r, role))| location(file, Some(r), Some((i, role))))
                    .collect();
            }
            result
        })
        .collect();
    let rules: Vec<Value> = rules.iter().map(|&name| rule(name)).collect();
    let log = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "mcpc",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the working directory mcpc ran in" } } },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a SARIF log serializes");
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn location(file: &str, region: Option<&Region>, related: Option<(usize, &str)>) -> Value {
    let mut physical = json!({
        "artifactLocation": { "uri": uri(file), "uriBaseId": "%SRCROOT%" },
    });
    if let Some(r) = region {
        physical["region"] = json!({
            "startLine": r.line,
            "startColumn": r.column,
            "endLine": r.end_line,
            "endColumn": r.end_column,
        });
    }
    let mut location = json!({ "physicalLocation": physical });
    if let Some((id, role)) = related {
        location["id"] = json!(id);
        if !role.is_empty() {
            location["message"] = json!({ "text": role });
        }
    }
    location
}

/// A relative URI reference for a path: `/` separators, and the characters
/// a URI cannot hold percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A rule for each code: its first line of explanation as the short
/// description, the whole `explain` page as help.
fn rule(name: &str) -> Value {
    let Some(code) = Code::from_name(name) else {
        return json!({ "id": name });
    };
    let page = code.explanation();
    let summary = page
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('*'))
        .unwrap_or(name);
    let default = match code.kind() {
        super::Kind::Error | super::Kind::Lint(super::Level::Deny) => "error",
        super::Kind::Lint(super::Level::Warn) => "warning",
        super::Kind::Lint(super::Level::Allow) => "none",
    };
    json!({
        "id": name,
        "shortDescription": { "text": summary },
        "help": { "text": page, "markdown": page },
        "defaultConfiguration": { "level": default },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_workflow_command_rules() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri("plugins/a b.mcpc"), "plugins/a%20b.mcpc");
        assert_eq!(uri("dir\\é.mcpc"), "dir/%C3%A9.mcpc");
    }

    #[test]
    fn columns_only_on_one_line() {
        let mut f = Finding {
            code: "syntax-error",
            severity: Severity::Warning,
            message: "m",
            file: "a,b:c.mcpc",
            region: Some(Region {
                line: 2,
                column: 3,
                end_line: 4,
                end_column: 1,
            }),
            related: Vec::new(),
            help: Some("h"),
        };
        assert_eq!(
            github(&f),
            "::warning file=a%2Cb%3Ac.mcpc,line=2,endLine=4,title=syntax-error::m%0Ahelp: h\n"
        );
        f.region = None;
        assert_eq!(
            github(&f),
            "::warning file=a%2Cb%3Ac.mcpc,title=syntax-error::m%0Ahelp: h\n"
        );
    }
}
