//! The ecosystem's published forms of a server, in and out: the MCP
//! Registry's `server.json` and MCP Bundles' `manifest.json`. IO-free like
//! the rest of the library: the CLI reads the files and prints the results.
//!
//! Importing turns each launchable entry into a neutral [`ServerSpec`] (the
//! same model the runtimes' readers produce), so `mcpc import` prints them
//! with the one source writer in [`crate::import`]. Whatever a document
//! carries that the language cannot say is a [`Note`] naming the field: never
//! a silent drop.

pub mod export;
pub mod lock;
pub mod mcpb;
pub mod server_json;

use crate::backends::ServerSpec;
use std::collections::BTreeSet;

/// A field of the document that was not carried into the declaration, and
/// why, named by its JSON path (`packages[0].fileSha256`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// What a published document says, ready for [`crate::import::to_source_from`].
#[derive(Debug, Default)]
pub struct Imported {
    pub servers: Vec<ServerSpec>,
    /// Variables the document marks secret (`isSecret`, `sensitive`): they
    /// become `secret.NAME`, whatever their names.
    pub secrets: BTreeSet<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub license: Option<String>,
    pub author: Option<String>,
    pub notes: Vec<Note>,
}

impl Imported {
    fn note(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            path: path.into(),
            message: message.into(),
        });
    }
}

/// `NAME` as an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`,
/// upper-cased (`target_dir` → `TARGET_DIR`, `--api-key` → `API_KEY`).
pub(crate) fn variable_name(raw: &str) -> String {
    let mut name = upper_snake(raw.trim_start_matches('-'));
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// `raw` upper-cased, every character outside `[A-Za-z0-9]` an `_`.
pub(crate) fn upper_snake(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A server name mcpc accepts (`[A-Za-z0-9_-]`, at most 64 characters),
/// from a registry name's last segment (`io.github.acme/weather` → `weather`).
pub(crate) fn server_name(raw: &str) -> String {
    let last = raw.rsplit('/').next().unwrap_or(raw);
    let name: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.trim_matches('-').is_empty() {
        "server".to_owned()
    } else {
        name
    }
}

/// Names for several servers from one document: the first keeps `base`,
/// the others get a suffix saying what they are (`weather-oci`).
pub(crate) fn unique_name(taken: &mut BTreeSet<String>, base: &str, kind: &str) -> String {
    let mut name = if !taken.contains(base) {
        base.to_owned()
    } else {
        format!("{base}-{kind}")
    };
    let stem = name.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid() {
        assert_eq!(variable_name("target_dir"), "TARGET_DIR");
        assert_eq!(variable_name("--api-key"), "API_KEY");
        assert_eq!(variable_name("1x"), "_1X");
        assert_eq!(server_name("io.github.acme/weather.v2"), "weather-v2");
        assert_eq!(server_name("///"), "server");
        let mut taken = BTreeSet::new();
        assert_eq!(unique_name(&mut taken, "w", "npm"), "w");
        assert_eq!(unique_name(&mut taken, "w", "oci"), "w-oci");
        assert_eq!(unique_name(&mut taken, "w", "oci"), "w-oci-2");
    }
}
