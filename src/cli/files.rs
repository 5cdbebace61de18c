//! Reading the compilation unit and writing outputs safely.

use super::UsageError;
use crate::source::{SourceFile, SourceMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every `.mcpc` file named, or below a named directory, in sorted path
/// order; the current directory when none is named.
pub(crate) fn load(paths: &[PathBuf]) -> Result<SourceMap, UsageError> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut files = Vec::new();
    for root in &roots {
        let meta = fs::metadata(root)
            .map_err(|e| UsageError(format!("cannot read `{}`: {e}", root.display())))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(root, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(root.clone());
        }
    }
    let mut sources = SourceMap::new();
    for path in files {
        let bytes = fs::read(&path)
            .map_err(|e| UsageError(format!("cannot read `{}`: {e}", path.display())))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| UsageError(format!("`{}` is not UTF-8", path.display())))?;
        let name = path
            .strip_prefix("./")
            .unwrap_or(&path)
            .display()
            .to_string();
        sources.add(SourceFile::new(name, text));
    }
    Ok(sources)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), UsageError> {
    let entries = fs::read_dir(dir)
        .map_err(|e| UsageError(format!("cannot read `{}`: {e}", dir.display())))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| UsageError(format!("cannot read `{}`: {e}", dir.display())))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| UsageError(e.to_string()))?;
        if kind.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "mcpc") {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes a file atomically: a temporary file in the same directory, then
/// a rename over the target, so a reader sees the old or the new content.
/// The temporary file is created with the final mode (the existing file's,
/// or the default for a new one), so its content is never more readable
/// than the file it replaces.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    write_with_mode(path, contents, None)
}

/// Like [`write_atomic`] for mcpc's own state (ledgers, backups): the file
/// is 0600 and a directory it creates 0700 from the start, since backups
/// hold copies of files with API keys.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    write_with_mode(path, contents, Some(0o600))
}

fn write_with_mode(path: &Path, contents: &[u8], private: Option<u32>) -> Result<(), UsageError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    if private.is_some() {
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| UsageError(format!("cannot create `{}`: {e}", dir.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.mcpc-tmp.{}", std::process::id()));
    let existing = fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let mode = private.or(existing).unwrap_or(0o666);
    let result = (|| {
        let _ = fs::remove_file(&tmp);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed a new file; an existing mode is kept.
        if private.is_some() || existing.is_some() {
            file.set_permissions(fs::Permissions::from_mode(mode))?;
        }
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        UsageError(format!("cannot write `{}`: {e}", path.display()))
    })
}
