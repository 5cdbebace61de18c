//! The files of the unit on disk: found once, by a walk that does not follow
//! directory links (a checkout may hold symlink loops), skips hidden
//! directories, `target` and `node_modules`, and stops at [`MAX_FILES`];
//! then kept up to date from the client's watched-file events and saves,
//! never re-walked per keystroke.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// At most this many `.mcpc` files are read from the workspace.
pub(crate) const MAX_FILES: usize = 2_000;
/// A `.mcpc` file larger than this is left out.
pub(crate) const MAX_FILE_BYTES: u64 = 8 << 20;

#[derive(Default)]
pub(crate) struct Disk {
    pub(crate) root: Option<PathBuf>,
    /// The `.mcpc` files under the root and their text.
    pub(crate) files: BTreeMap<PathBuf, String>,
    /// Whether the walk stopped at [`MAX_FILES`].
    pub(crate) truncated: bool,
}

impl Disk {
    pub(crate) fn load(root: PathBuf) -> Disk {
        let mut found = Vec::new();
        let mut truncated = false;
        walk(&root, &mut found, &mut truncated);
        let files = found
            .into_iter()
            .filter_map(|p| read(&p).map(|t| (p, t)))
            .collect();
        Disk {
            root: Some(root),
            files,
            truncated,
        }
    }

    /// Re-reads one file after the client says it changed (or was created
    /// or deleted).
    pub(crate) fn refresh(&mut self, path: &Path) {
        if !self.includes(path) {
            return;
        }
        match read(path) {
            Some(text) => {
                if self.files.contains_key(path) || self.files.len() < MAX_FILES {
                    self.files.insert(path.to_path_buf(), text);
                }
            }
            None => {
                self.files.remove(path);
            }
        }
    }

    /// Whether `path` is a `.mcpc` file the walk would take: under the root,
    /// through no skipped or linked directory.
    fn includes(&self, path: &Path) -> bool {
        let Some(root) = &self.root else {
            return false;
        };
        let Ok(rest) = path.strip_prefix(root) else {
            return false;
        };
        if path.extension().is_none_or(|e| e != "mcpc") {
            return false;
        }
        let mut dir = root.clone();
        let parents: Vec<_> = rest.parent().into_iter().flat_map(|p| p.iter()).collect();
        for part in parents {
            if skipped(part.to_str().unwrap_or(".")) {
                return false;
            }
            dir.push(part);
            if fs::symlink_metadata(&dir).is_ok_and(|m| !m.is_dir()) {
                return false;
            }
        }
        true
    }
}

fn skipped(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, truncated: &mut bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if out.len() >= MAX_FILES {
            *truncated = true;
            return;
        }
        let path = entry.path();
        // `file_type` does not follow links: a linked directory is not
        // entered, so a loop cannot be either.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if kind.is_dir() {
            if !skipped(&name.to_string_lossy()) {
                walk(&path, out, truncated);
            }
        } else if path.extension().is_some_and(|e| e == "mcpc") {
            out.push(path);
        }
    }
}

/// The text of a regular file (a file link is read through only to a
/// regular file), if it is UTF-8 and not too large.
fn read(path: &Path) -> Option<String> {
    let meta = fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    String::from_utf8(fs::read(path).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mcpc-lsp-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_and_skipped_directories_are_not_walked() {
        let dir = scratch("walk");
        fs::create_dir_all(dir.join("sub/node_modules/pkg")).unwrap();
        fs::create_dir_all(dir.join(".git")).unwrap();
        fs::write(dir.join("a.mcpc"), "").unwrap();
        fs::write(dir.join("sub/b.mcpc"), "").unwrap();
        fs::write(dir.join("sub/node_modules/pkg/c.mcpc"), "").unwrap();
        fs::write(dir.join(".git/d.mcpc"), "").unwrap();
        std::os::unix::fs::symlink(&dir, dir.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(dir.join("sub"), dir.join("again")).unwrap();
        let disk = Disk::load(dir.clone());
        let names: Vec<_> = disk
            .files
            .keys()
            .map(|p| p.strip_prefix(&dir).unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [PathBuf::from("a.mcpc"), PathBuf::from("sub/b.mcpc")]
        );
        assert!(!disk.truncated);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_walk_stops_at_the_file_cap_and_refresh_follows_events() {
        let dir = scratch("cap");
        for i in 0..MAX_FILES + 5 {
            fs::write(dir.join(format!("f{i:05}.mcpc")), "").unwrap();
        }
        let mut disk = Disk::load(dir.clone());
        assert_eq!(disk.files.len(), MAX_FILES);
        assert!(disk.truncated);
        // Changed on disk, then deleted: what a watched-file event reports.
        let first = dir.join("f00000.mcpc");
        fs::write(&first, "// new").unwrap();
        disk.refresh(&first);
        assert_eq!(disk.files[&first], "// new");
        fs::remove_file(&first).unwrap();
        disk.refresh(&first);
        assert!(!disk.files.contains_key(&first));
        // Not part of the unit: ignored.
        fs::create_dir_all(dir.join("node_modules")).unwrap();
        let skipped = dir.join("node_modules/x.mcpc");
        fs::write(&skipped, "").unwrap();
        disk.refresh(&skipped);
        assert!(!disk.files.contains_key(&skipped));
        let _ = fs::remove_dir_all(&dir);
    }
}
