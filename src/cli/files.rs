//! Reading the compilation unit and writing outputs safely.

use super::UsageError;
use crate::backends::{Spool, Spooled};
use crate::diag::Code;
use crate::source::{SourceFile, SourceMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

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
    if let Some(lock) = read_lock(&unit_dir(paths))? {
        sources.set_lock(lock);
    }
    Ok(sources)
}

/// The directory a unit's `mcpc.lock` lives in: the first path named if it
/// is a directory, else that file's directory; the current directory when
/// none is named.
pub(crate) fn unit_dir(paths: &[PathBuf]) -> PathBuf {
    match paths.first() {
        None => PathBuf::from("."),
        Some(p) if p.is_dir() => p.clone(),
        Some(p) => match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        },
    }
}

/// The largest `mcpc.lock` mcpc reads (a lock of a few hundred entries is
/// well under 1 MiB).
const LOCK_CAP: u64 = 16 << 20;

/// `DIR/mcpc.lock`, if it exists: a regular file (a link to one is
/// followed), at most 16 MiB, UTF-8. Whether it means anything is the
/// compiler's to say.
pub(crate) fn read_lock(dir: &Path) -> Result<Option<crate::registry::lock::LockText>, UsageError> {
    let path = dir.join(crate::registry::lock::LOCK_FILE);
    let shown = path
        .strip_prefix("./")
        .unwrap_or(&path)
        .display()
        .to_string();
    let meta = match fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(UsageError(format!("cannot read `{shown}`: {e}"))),
    };
    if !meta.is_file() || meta.len() > LOCK_CAP {
        return Err(UsageError(format!(
            "`{shown}` is not a lock file (not a regular file, or over {} MiB)",
            LOCK_CAP >> 20
        )));
    }
    let bytes = fs::read(&path).map_err(|e| UsageError(format!("cannot read `{shown}`: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| UsageError(format!("`{shown}` is not UTF-8")))?;
    Ok(Some(crate::registry::lock::LockText { file: shown, text }))
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
    write_with_mode(path, contents, None, Durability::Synced)
}

/// Whether `path` is a file holding exactly `contents`: its length first,
/// then a block at a time.
fn holds(path: &Path, contents: &[u8]) -> bool {
    use std::io::Read;
    // Looked at before it is opened: opening a FIFO would wait for a
    // writer (an output directory from an archive can hold one).
    if !fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == contents.len() as u64) {
        return false;
    }
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    // On the heap: inlined into its callers, a 16 KB array made their frame
    // four pages of stack, each touched on every call (stack probes), read
    // or not.
    let mut block = vec![0u8; 16 * 1024];
    let mut rest = contents;
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if rest.get(..n) == Some(&block[..n]) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            _ => return false,
        }
    }
}

/// Whether a write waits until its content is on disk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Durability {
    Synced,
    Unsynced,
}

/// Like [`write_atomic`] for mcpc's own state (ledgers, backups): the file
/// is 0600 and a directory it creates 0700 from the start, since backups
/// hold copies of files with API keys.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<(), UsageError> {
    write_with_mode(path, contents, Some(0o600), Durability::Synced)
}

fn write_with_mode(
    path: &Path,
    contents: &[u8],
    private: Option<u32>,
    sync: Durability,
) -> Result<(), UsageError> {
    let tmp = write_temp(path, contents, private, sync)?;
    rename_into(&tmp, path)
}

/// Removes the temporary file `tmp`, which is then no longer listed for an
/// interrupt to remove.
fn remove_temp(tmp: &Path) {
    let _ = fs::remove_file(tmp);
    super::interrupt::done(tmp);
}

/// Puts the temporary file `tmp` at `path` (removed if that fails).
fn rename_into(tmp: &Path, path: &Path) -> Result<(), UsageError> {
    let renamed = fs::rename(tmp, path);
    match renamed {
        Ok(()) => super::interrupt::done(tmp),
        Err(_) => remove_temp(tmp),
    }
    renamed.map_err(|e| UsageError(format!("cannot write `{}`: {e}", path.display())))
}

/// A new temporary file's name beside `name`: `.<name>.mcpc-tmp.<pid>.<n>`,
/// `n` counting this process's temporary files, so that no two of them
/// share a name (two targets built at once may write one real file, a link
/// in the output directory leading both there).
fn temp_name(name: &str, pid: u32) -> String {
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(".{name}.mcpc-tmp.{pid}.{n}")
}

/// Writes `contents` to a new temporary file next to `path` (created with
/// the final mode: the existing file's, 0600 for private state, or the
/// default), synced unless `sync` says not, and returns its path. Temporary files that a killed
/// mcpc left next to `path` are removed first.
fn write_temp(
    path: &Path,
    contents: &[u8],
    private: Option<u32>,
    sync: Durability,
) -> Result<PathBuf, UsageError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
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
    remove_stale_temps(dir, &name);
    let existing = fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let mode = match private.or(existing) {
        Some(mode) => Mode::Kept(mode),
        None => Mode::New,
    };
    create_temp(path, contents, mode, sync)
}

/// The mode a temporary file is created with.
#[derive(Clone, Copy)]
enum Mode {
    /// The default (0666 less the umask): the file is new.
    New,
    /// This mode exactly (the umask undone): the existing file's, or 0600.
    Kept(u32),
}

/// The process id, asked of the system once.
fn pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

/// Creates the temporary file of `path` in its directory, which exists,
/// with `mode`, and writes `contents` to it.
fn create_temp(
    path: &Path,
    contents: &[u8],
    mode: Mode,
    sync: Durability,
) -> Result<PathBuf, UsageError> {
    let (tmp, mut file) = open_temp(path, mode)?;
    let written = file.write_all(contents).and_then(|()| match sync {
        Durability::Synced => file.sync_all(),
        Durability::Unsynced => Ok(()),
    });
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            remove_temp(&tmp);
            Err(UsageError(name_error(path, &e)))
        }
    }
}

/// Creates the temporary file of `path` in its directory, which exists,
/// with `mode`, empty. A file already at the temporary name (this
/// process's id, from a dead process of the same id) is removed and the
/// creation tried once more (this process names each of its own
/// temporary files anew: [`temp_name`]).
fn open_temp(path: &Path, mode: Mode) -> Result<(PathBuf, fs::File), UsageError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(temp_name(&name, pid()));
    let bits = match mode {
        Mode::New => 0o666,
        Mode::Kept(bits) => bits,
    };
    let open = || {
        super::interrupt::creating(&tmp, || {
            fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(bits)
                .open(&tmp)
        })
    };
    let result = (|| {
        let file = match open() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let _ = fs::remove_file(&tmp);
                open()?
            }
            file => file?,
        };
        // The umask may have narrowed a new file; an existing mode is kept.
        if let Mode::Kept(bits) = mode {
            file.set_permissions(fs::Permissions::from_mode(bits))?;
        }
        Ok(file)
    })();
    match result {
        Ok(file) => Ok((tmp, file)),
        Err(e) => {
            remove_temp(&tmp);
            Err(UsageError(name_error(path, &e)))
        }
    }
}

/// Says what went wrong writing `path`; a name longer than the file system
/// takes is said as such, not as the raw OS error.
fn name_error(path: &Path, e: &std::io::Error) -> String {
    if e.raw_os_error() == Some(rustix::io::Errno::NAMETOOLONG.raw_os_error()) {
        let longest = path.iter().map(|c| c.len()).max().unwrap_or_default();
        format!(
            "cannot write `{}`: a name in it is too long for the file system ({longest} bytes; most allow 255)",
            path.display()
        )
    } else {
        format!("cannot write `{}`: {e}", path.display())
    }
}

/// Removes `.<name>.mcpc-tmp.<pid>.<n>` files in `dir` (and the
/// `.<name>.mcpc-tmp.<pid>` of earlier versions) whose process is gone:
/// what an mcpc killed between writing and renaming left behind. A file of
/// a running mcpc (a concurrent write) is left alone.
fn remove_stale_temps(dir: &Path, name: &str) {
    /// The process id in `<pid>.<n>` or `<pid>`: a positive number, and
    /// `n` digits.
    fn stale_pid(rest: &str) -> Option<i32> {
        let (pid, n) = rest.split_once('.').unwrap_or((rest, "0"));
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(pid) || !digits(n) {
            return None;
        }
        pid.parse::<i32>().ok().filter(|&p| p > 0)
    }
    let prefix = format!(".{name}.mcpc-tmp.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(stale_pid)
        else {
            continue;
        };
        let alive = rustix::process::Pid::from_raw(pid)
            .is_some_and(|p| rustix::process::test_kill_process(p) != Err(rustix::io::Errno::SRCH));
        let plain = entry.file_type().is_ok_and(|t| t.is_file());
        if !alive && plain {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// What [`replace_if_unchanged`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Replaced {
    Done,
    /// The file no longer held what was expected; it is left as it is.
    Changed,
}

/// Replaces the file at `path` (its real path: no link in its name) with
/// `contents`, atomically, only if it still holds `expected` (`None`: it
/// does not exist). The file is compared once more right before the
/// rename, and the rename itself exchanges the two files where the system
/// can (Linux, macOS), so an edit landing in between is noticed in what the
/// exchange displaced, and that content is put back.
pub(crate) fn replace_if_unchanged(
    path: &Path,
    contents: &[u8],
    expected: Option<&[u8]>,
) -> Result<Replaced, UsageError> {
    let tmp = write_temp(path, contents, None, Durability::Synced)?;
    let cannot = |e: std::io::Error| UsageError(format!("cannot write `{}`: {e}", path.display()));
    let fail = |e: std::io::Error| {
        remove_temp(&tmp);
        cannot(e)
    };
    let now = read_bytes(path).map_err(fail)?;
    if now.as_deref() != expected {
        remove_temp(&tmp);
        return Ok(Replaced::Changed);
    }
    let Some(expected) = expected else {
        // A new file: a hard link does not replace one created meanwhile.
        let linked = fs::hard_link(&tmp, path);
        remove_temp(&tmp);
        return match linked {
            Ok(()) => Ok(Replaced::Done),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Replaced::Changed),
            Err(e) => Err(cannot(e)),
        };
    };
    // The exchange and its put-back are one step an interrupt waits for:
    // from the exchange on, `tmp` may hold a user's last edit.
    super::interrupt::uncut(&tmp, || {
        let fail = |e: std::io::Error| {
            let _ = fs::remove_file(&tmp);
            cannot(e)
        };
        if !exchange(&tmp, path).map_err(fail)? {
            // No exchange on this file system: the rename alone.
            fs::rename(&tmp, path).map_err(fail)?;
            return Ok(Replaced::Done);
        }
        // `tmp` now holds what the exchange displaced.
        let displaced = read_bytes(&tmp).map_err(fail)?;
        if displaced.as_deref() == Some(expected) {
            let _ = fs::remove_file(&tmp);
            return Ok(Replaced::Done);
        }
        // Edited at the last moment: put the edit back.
        put_back(&tmp, path, exchange)
    })
}

/// Puts the edit that an exchange displaced into `tmp` back at `path`, by
/// exchanging the two again with `swap`. If that fails, the edit is moved
/// out of the temporary file's name (a later write would remove that file
/// as a dead process's) to `NAME.mcpc-edit` beside it (`.1`, `.2`, … if
/// taken), and the error says where it is.
fn put_back(
    tmp: &Path,
    path: &Path,
    swap: impl Fn(&Path, &Path) -> std::io::Result<bool>,
) -> Result<Replaced, UsageError> {
    let failed = match swap(tmp, path) {
        Ok(true) => {
            let _ = fs::remove_file(tmp);
            return Ok(Replaced::Changed);
        }
        Ok(false) => std::io::Error::other("the files cannot be exchanged"),
        Err(e) => e,
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let kept = (0..100)
        .map(|n| match n {
            0 => path.with_file_name(format!("{name}.mcpc-edit")),
            n => path.with_file_name(format!("{name}.mcpc-edit.{n}")),
        })
        .find(|kept| fs::hard_link(tmp, kept).is_ok());
    let at = match &kept {
        Some(kept) => {
            let _ = fs::remove_file(tmp);
            kept.as_path()
        }
        None => tmp,
    };
    Err(UsageError(format!(
        "cannot put back the edit made to `{}` meanwhile: {failed}; it is in `{}`",
        path.display(),
        at.display()
    )))
}

/// Swaps two files atomically; `false` where the system cannot.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::NOTSUP) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// The bytes of the file at `path`, `None` if there is none; what is not a
/// regular file is an error, not opened (a FIFO would block the read, and
/// with it an interrupt of the write it is part of).
fn read_bytes(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The text of the regular file at `path` (a real path), if it is one
/// and reads as UTF-8; a FIFO or device is not opened.
pub(crate) fn read_plain(path: &Path) -> Option<String> {
    String::from_utf8(read_plain_bytes(path)?).ok()
}

/// [`read_plain`]'s bytes, UTF-8 or not.
fn read_plain_bytes(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_plain(path)?.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// The regular file at `path` (a real path), opened to read; a FIFO or
/// device is looked at, not opened (opening a FIFO waits for a writer).
fn open_plain(path: &Path) -> Option<fs::File> {
    fs::metadata(path).ok().filter(|m| m.is_file())?;
    fs::File::open(path).ok()
}

/// The real path a write to `path` lands on: symbolic links followed in its
/// name and in every directory above it, including a link to a file or
/// directory that does not exist yet. A `..` after a directory that does
/// not exist names that directory's real parent, as it will once a write
/// makes the directories on the way (a link `x/../../..` must not pass
/// for a path below the directory it is in). The result has no `..`.
pub(crate) fn real_path(path: &Path) -> Result<PathBuf, UsageError> {
    fn go(path: &Path, hops: &mut u32) -> std::io::Result<PathBuf> {
        match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                *hops += 1;
                if *hops > 40 {
                    return Err(std::io::Error::other("too many levels of symbolic links"));
                }
                let to = fs::read_link(path)?;
                let next = match path.parent() {
                    Some(parent) if to.is_relative() => parent.join(to),
                    _ => to,
                };
                go(&next, hops)
            }
            Ok(_) => fs::canonicalize(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match (path.parent(), path.file_name()) {
                    (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => {
                        Ok(go(parent, hops)?.join(name))
                    }
                    (Some(parent), None) if path.ends_with("..") => {
                        let above = go(parent, hops)?;
                        Ok(match above.parent() {
                            Some(up) => up.to_path_buf(),
                            None => above,
                        })
                    }
                    _ => Ok(path.to_path_buf()),
                }
            }
            Err(e) => Err(e),
        }
    }
    let fail = |e: std::io::Error| UsageError(format!("cannot resolve `{}`: {e}", path.display()));
    let real = go(path, &mut 0).map_err(fail)?;
    // What the walk could not resolve is refused rather than compared
    // with a root as text.
    if real
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(fail(std::io::Error::other(
            "a `..` in it cannot be resolved",
        )));
    }
    Ok(real)
}

/// An exclusive lock on a file, held until dropped (the system releases
/// it when the process ends, even when killed).
pub(crate) struct Lock(#[allow(dead_code)] fs::File);

/// Takes the exclusive lock of `path` (created 0600 if missing, in a
/// directory created 0700), waiting for another holder, and saying so.
pub(crate) fn lock(path: &Path, waiting: impl FnOnce()) -> Result<Lock, UsageError> {
    use rustix::fs::{FlockOperation, flock};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let fail = |e: std::io::Error| UsageError(format!("cannot lock `{}`: {e}", path.display()));
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            waiting();
            flock(&file, FlockOperation::LockExclusive).map_err(|e| fail(e.into()))?;
        }
        Err(e) => return Err(fail(e.into())),
    }
    Ok(Lock(file))
}

/// An output directory (`build`'s, `export`'s), and what may be reached
/// in it. A cloned repository can ship `mcpc-out` itself, or a directory
/// in it, as a symbolic link (`mcpc-out/codex` to `~`, `mcpc-out` to
/// `~/.config`), which would send the files written into the user's own
/// configuration, and `build`'s removal of stale files and `--check`'s
/// reads after them. Every path is read, written and removed at its real
/// path, which must stay inside the directory as named (its parent's
/// links are the user's own and are followed; links inside it that stay
/// inside are followed too).
pub(crate) struct OutDir {
    /// As given, for messages.
    pub(crate) named: PathBuf,
    /// Its real place: the parent's real path and the directory's name.
    root: PathBuf,
    /// The directories below `root` (relative, `""` for `root` itself)
    /// that this run found to be real directories, not links, each with
    /// whether this run created it: a path below them is resolved without
    /// asking the system about them again.
    known: Mutex<Known>,
    /// The real files this run has put, each with the path it was put as.
    /// (The maps here hash with `foldhash`: their keys are the targets'
    /// own paths, and SipHash's keys cost a `getrandom` call.)
    claimed: Mutex<foldhash::HashMap<PathBuf, String>>,
}

/// The directories below an [`OutDir`]'s root that a run found to be real
/// directories, each with whether the run made it (`""` the root itself),
/// and those above the root it made to make the root, outermost first.
#[derive(Default)]
struct Known {
    below: foldhash::HashMap<String, bool>,
    above: Vec<PathBuf>,
}

/// Makes the missing directories above `dir` (a directory or a file),
/// outermost first, each put in `made`.
fn make_parents(dir: &Path, made: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .skip(1)
        .take_while(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_err())
        .collect();
    for parent in missing.into_iter().rev() {
        match fs::create_dir(parent) {
            Ok(()) => made.push(parent.to_path_buf()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `mutex`'s value; a thread that panicked holding it left it whole (each
/// change is one insert, remove or replace).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a write of a path in an [`OutDir`] lands.
struct Place {
    real: PathBuf,
    /// The mode of the file written: the existing file's, or the default.
    mode: Mode,
    /// A regular file is there.
    existing: bool,
    /// Its directory was made by this run: nothing stale can be in it.
    fresh_dir: bool,
    /// The directories made for it the long way (a link on the way:
    /// [`OutDir::place_resolved`]), outermost first.
    made: Vec<PathBuf>,
}

/// A file begun in an [`OutDir`]: written into `tmp`, to be put at `real`
/// ([`OutDir::commit`]) or dropped ([`OutDir::abandon`]).
pub(crate) struct Begun {
    /// In the directory, as named in the build.
    path: String,
    real: PathBuf,
    tmp: PathBuf,
    /// [`Place::made`].
    made: Vec<PathBuf>,
}

/// `build`'s [`Spool`]: each config file, as its backend writes it, is
/// compared with the file in its place, if there is one, and from the first
/// byte that differs (at once for a new file) written to a temporary file
/// beside it; that file is put in place or dropped once its target's
/// diagnostics are known. A file that would not change is left as it is,
/// with its time of change and its directory's, and nothing is written
/// (as [`OutDir::write`] does). What is neither put nor dropped when the
/// build ends (it stopped at an error) is dropped.
pub(crate) struct Temps<'d> {
    dir: &'d OutDir,
    slots: Mutex<Vec<Slot>>,
}

/// What became of a file of [`Temps`].
enum Slot {
    /// Being compared, or taken.
    Open,
    /// The file in place holds what was written: `path` of the build, at
    /// `real`.
    Same { path: String, real: PathBuf },
    /// Written to this temporary file.
    Begun(Begun),
    /// It could not be written.
    Failed(String),
}

/// A file of [`Temps`] being written.
struct Writing<'t> {
    temps: &'t Temps<'t>,
    id: usize,
    path: String,
    place: Place,
    /// The file in place, while what is written matches it.
    old: InPlace,
    /// The temporary file, once begun.
    file: Option<fs::File>,
    /// Beginning it failed (said in its slot): the rest is dropped.
    failed: bool,
}

impl<'d> Temps<'d> {
    pub(crate) fn new(dir: &'d OutDir) -> Temps<'d> {
        Temps {
            dir,
            slots: Default::default(),
        }
    }

    /// Puts the spooled file `s` in its place (nothing to do if it would
    /// not change).
    pub(crate) fn put(&self, s: &Spooled) -> Result<(), UsageError> {
        let slot = self.take(s);
        match (self.ready(&slot, s), slot) {
            (Ok(()), Slot::Begun(begun)) => self.dir.commit(begun),
            (Err(e), Slot::Begun(begun)) => {
                self.dir.abandon(begun);
                Err(e)
            }
            (ready, _) => ready,
        }
    }

    /// What [`Temps::put`] of the spooled file `s` would refuse, asked
    /// before anything is put (`build --strict` puts all or none); the
    /// file is taken for its path ([`OutDir::claim`]) as `put` takes it.
    pub(crate) fn check(&self, s: &Spooled) -> Result<(), UsageError> {
        let slot = self.take(s);
        let ready = self.ready(&slot, s);
        self.set(s.id, slot);
        ready
    }

    /// Whether the file of `slot` can be put in its place: written whole,
    /// and the only file of the build there.
    fn ready(&self, slot: &Slot, s: &Spooled) -> Result<(), UsageError> {
        match slot {
            Slot::Begun(begun) => match &s.error {
                None => self.dir.claim(&begun.path, &begun.real),
                Some(e) => Err(UsageError(format!(
                    "cannot write `{}`: {e}",
                    begun.real.display()
                ))),
            },
            Slot::Failed(said) => Err(UsageError(said.clone())),
            Slot::Same { path, real } => self.dir.claim(path, real),
            Slot::Open => Ok(()),
        }
    }

    /// Drops the spooled file `s`.
    pub(crate) fn drop_file(&self, s: &Spooled) {
        if let Slot::Begun(begun) = self.take(s) {
            self.dir.abandon(begun);
        }
    }

    fn take(&self, s: &Spooled) -> Slot {
        let mut slots = locked(&self.slots);
        slots
            .get_mut(s.id)
            .map_or(Slot::Open, |slot| std::mem::replace(slot, Slot::Open))
    }

    fn set(&self, id: usize, slot: Slot) {
        if let Some(at) = locked(&self.slots).get_mut(id) {
            *at = slot;
        }
    }
}

impl Spool for Temps<'_> {
    fn open(&self, path: &str) -> Option<(usize, Box<dyn Write + '_>)> {
        // Held in memory instead, the file's own write says what failed.
        let (place, begun) = self
            .dir
            .place(path, |place| {
                (!place.existing).then(|| self.dir.begin_at(path, place))
            })
            .ok()?;
        let old = place.existing.then(|| open_plain(&place.real)).flatten();
        let id = {
            let mut slots = locked(&self.slots);
            slots.push(Slot::Open);
            slots.len() - 1
        };
        let mut writing = Writing {
            temps: self,
            id,
            path: path.to_owned(),
            place,
            old: InPlace::new(old),
            file: None,
            failed: false,
        };
        let began = match begun {
            Some(begun) => writing.began(begun.map_err(|e| std::io::Error::other(e.0))),
            None if writing.old.file.is_none() => writing.begin(),
            None => Ok(()),
        };
        if began.is_err() {
            writing.temps.set(id, Slot::Open);
            return None;
        }
        Some((id, Box::new(writing)))
    }
}

impl Writing<'_> {
    /// Begins the temporary file, with what matched so far: the start of
    /// the file in place, read again and checked to be what was written.
    /// A failure is said in the file's slot, and nothing is left of it.
    fn begin(&mut self) -> std::io::Result<()> {
        let begun = self
            .temps
            .dir
            .begin_at(&self.path, &self.place)
            .map_err(|e| std::io::Error::other(e.0));
        self.began(begun)
    }

    /// [`Writing::begin`], the temporary file `begun` (or not).
    fn began(&mut self, begun: std::io::Result<(Begun, fs::File)>) -> std::io::Result<()> {
        let copied = begun.and_then(|(begun, mut file)| match self.copy_prefix(&mut file) {
            Ok(()) => Ok((begun, file)),
            Err(e) => {
                self.temps.dir.abandon(begun);
                Err(e)
            }
        });
        match copied {
            Ok((begun, file)) => {
                self.temps.set(self.id, Slot::Begun(begun));
                self.file = Some(file);
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                let shown = self.place.real.display();
                let said = format!("cannot write `{shown}`: {e}");
                self.temps.set(self.id, Slot::Failed(said));
                Err(e)
            }
        }
    }

    /// Copies into `file` the bytes that matched, from the file in place.
    fn copy_prefix(&mut self, file: &mut fs::File) -> std::io::Result<()> {
        use sha2::Digest;
        use std::io::{Read, Seek};
        let Some(mut old) = self.old.file.take() else {
            return Ok(());
        };
        old.seek(std::io::SeekFrom::Start(0))?;
        let mut copied = sha2::Sha256::new();
        let mut rest = old.take(self.old.matched);
        let mut block = vec![0u8; 64 * 1024];
        loop {
            let n = rest.read(&mut block)?;
            if n == 0 {
                break;
            }
            copied.update(&block[..n]);
            file.write_all(&block[..n])?;
        }
        if copied.finalize()[..] != self.old.prefix()[..] {
            return Err(std::io::Error::other("it changed while it was written"));
        }
        Ok(())
    }
}

/// The file in place, read along as a new one is written, to find where
/// they part: how much matched, and its SHA-256.
struct InPlace {
    file: Option<fs::File>,
    block: Vec<u8>,
    matched: u64,
    prefix: sha2::Sha256,
}

impl InPlace {
    fn new(file: Option<fs::File>) -> InPlace {
        InPlace {
            file,
            block: Vec::new(),
            matched: 0,
            prefix: Default::default(),
        }
    }

    /// Whether the file goes on with `bytes` (then counted as matched).
    fn next_is(&mut self, bytes: &[u8]) -> bool {
        use sha2::Digest;
        use std::io::Read;
        let Some(file) = &mut self.file else {
            return false;
        };
        self.block.resize(bytes.len(), 0);
        let same = file.read_exact(&mut self.block).is_ok() && self.block == bytes;
        if same {
            self.prefix.update(bytes);
            self.matched += bytes.len() as u64;
        }
        same
    }

    /// The SHA-256 of what matched.
    fn prefix(&mut self) -> [u8; 32] {
        use sha2::Digest;
        std::mem::take(&mut self.prefix).finalize().into()
    }

    /// Whether the file ends here.
    fn at_end(&mut self) -> bool {
        use std::io::Read;
        self.file
            .as_mut()
            .is_some_and(|file| matches!(file.read(&mut [0u8; 1]), Ok(0)))
    }
}

impl Write for Writing<'_> {
    /// A block of the file (see [`super::interrupt::check`]).
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        super::interrupt::check();
        if self.failed {
            return Err(std::io::Error::other("not begun"));
        }
        if self.file.is_none() {
            if self.old.next_is(bytes) {
                return Ok(bytes.len());
            }
            self.begin()?;
        }
        let file = self.file.as_mut().expect("begun");
        file.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.file.is_some() || self.failed {
            return;
        }
        // All that was written matched: the same file, or its start.
        if self.old.at_end() {
            let (path, real) = (self.path.clone(), self.place.real.clone());
            self.temps.set(self.id, Slot::Same { path, real });
        } else {
            // A failure is in the slot.
            let _ = self.begin();
        }
    }
}

impl Drop for Temps<'_> {
    fn drop(&mut self) {
        let slots = self.slots.get_mut().unwrap_or_else(PoisonError::into_inner);
        for slot in slots.drain(..) {
            if let Slot::Begun(begun) = slot {
                self.dir.abandon(begun);
            }
        }
    }
}

/// `build --check`'s [`Spool`]: each config file, as its backend writes
/// it, is compared with the file on disk a block at a time, and only a file
/// that differs is kept (from the first block that differs), for its diff:
/// a check that finds the directory up to date holds no file's text.
pub(crate) struct Compare<'d> {
    dir: &'d OutDir,
    compared: Mutex<Vec<Option<Compared>>>,
}

/// What [`Compare`] found of a file.
enum Compared {
    /// On disk as it would be written.
    Same,
    /// It differs after `matched` bytes (the SHA-256 of those is
    /// `prefix`), and `rest` is what would be written after them.
    Differs {
        matched: u64,
        prefix: [u8; 32],
        rest: Vec<u8>,
    },
}

/// A file of a [`Compare`] being compared as it is written.
struct Comparing<'c> {
    compare: &'c Compare<'c>,
    id: usize,
    /// The file on disk, while what is written matches it.
    old: InPlace,
    /// What is written once it differs.
    rest: Option<Vec<u8>>,
}

impl<'d> Compare<'d> {
    pub(crate) fn new(dir: &'d OutDir) -> Compare<'d> {
        Compare {
            dir,
            compared: Default::default(),
        }
    }

    /// The text the spooled file `s` (at `path`) would have, and what is on
    /// disk there (empty where nothing readable as text is), when they
    /// differ; `None` when the file is up to date.
    pub(crate) fn differs(
        &self,
        path: &str,
        s: &Spooled,
    ) -> Result<Option<(String, String)>, UsageError> {
        let taken = self
            .compared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(s.id)
            .and_then(Option::take);
        let Some(Compared::Differs {
            matched,
            prefix,
            rest,
        }) = taken
        else {
            return Ok(None);
        };
        use sha2::{Digest, Sha256};
        let real = self.dir.inside(path)?;
        let old = read_plain_bytes(&real).unwrap_or_default();
        let changed = || {
            UsageError(format!(
                "`{}` changed while it was compared; run the check again",
                real.display()
            ))
        };
        // What matched is the old file's start, as long as it holds still.
        let start = usize::try_from(matched)
            .ok()
            .and_then(|matched| old.get(..matched))
            .filter(|b| Sha256::digest(b)[..] == prefix[..])
            .ok_or_else(changed)?;
        let mut new = start.to_vec();
        new.extend_from_slice(&rest);
        let new = String::from_utf8(new).map_err(|_| changed())?;
        Ok(Some((String::from_utf8(old).unwrap_or_default(), new)))
    }
}

impl Spool for Compare<'_> {
    fn open(&self, path: &str) -> Option<(usize, Box<dyn Write + '_>)> {
        // Held in memory instead, the file's own comparison says why.
        let real = self.dir.inside(path).ok()?;
        let old = open_plain(&real);
        let mut compared = locked(&self.compared);
        compared.push(None);
        let comparing = Comparing {
            compare: self,
            id: compared.len() - 1,
            old: InPlace::new(old),
            rest: None,
        };
        Some((comparing.id, Box::new(comparing)))
    }
}

impl Write for Comparing<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.rest.is_none() && !self.old.next_is(bytes) {
            self.old.file = None;
            self.rest = Some(Vec::new());
        }
        if let Some(rest) = &mut self.rest {
            rest.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Comparing<'_> {
    fn drop(&mut self) {
        // Up to date only if the old file ends where the new one does.
        let same = self.rest.is_none() && self.old.at_end();
        let found = if same {
            Compared::Same
        } else {
            Compared::Differs {
                matched: self.old.matched,
                prefix: self.old.prefix(),
                rest: self.rest.take().unwrap_or_default(),
            }
        };
        if let Some(slot) = locked(&self.compare.compared).get_mut(self.id) {
            *slot = Some(found);
        }
    }
}

/// What [`OutDir::find`] found at a path in the directory.
enum Found {
    /// A regular file (not a link) with this mode.
    File(u32),
    /// Nothing: the path's directories from the one at this depth down are
    /// missing too (0: the output directory; the depth of the file: none).
    Missing(usize),
    /// A link on the way, or something else that is not a plain
    /// directory or file: resolved the long way, [`real_path`].
    Unknown,
}

impl OutDir {
    pub(crate) fn new(named: &Path) -> Result<OutDir, UsageError> {
        let absolute = std::path::absolute(named)
            .map_err(|e| UsageError(format!("cannot resolve `{}`: {e}", named.display())))?;
        let root = match (absolute.parent(), absolute.file_name()) {
            (Some(parent), Some(name)) => real_path(parent)?.join(name),
            _ => real_path(&absolute)?,
        };
        Ok(OutDir {
            named: named.to_path_buf(),
            root,
            known: Default::default(),
            claimed: Default::default(),
        })
    }

    /// The real path of `path` in the directory; `outside-root` when a
    /// link leads out of it (the directory itself being one included).
    pub(crate) fn inside(&self, path: &str) -> Result<PathBuf, UsageError> {
        match self.find(&mut locked(&self.known), path) {
            Found::Unknown => self.resolved(path),
            _ => Ok(self.root.join(path)),
        }
    }

    /// Writes `path` in the directory, at its real path (`outside-root`
    /// when a link leads out of it): atomically (a temporary file renamed
    /// over it) but not synced to disk, since what is in the directory
    /// mcpc can make again. A reader sees the old or the new content; after
    /// a power loss a file may be empty or old, and running `build` again
    /// puts it right (the delivery manifest's hashes tell `apply` and
    /// `build --check`). Syncing each file made `build` wait for the disk
    /// once per file; what lands in users' own files (`apply`, `fmt`,
    /// `export`) stays [`write_atomic`]. A file that holds `contents`
    /// already is left as it is, with its time of change, as make-like
    /// tools and editors watching the directory expect (and replacing a
    /// file by rename made some file systems flush it: a rebuild that
    /// changed nothing took 30 ms for 16 small files). Where no
    /// link is on the way, the path is its place below the root: the
    /// directories this run checked are not asked about again, nothing is
    /// compared, stat-ed or scanned for stale temporary files where the
    /// file or its directory does not exist, and the missing directories
    /// are made from the first one missing down.
    pub(crate) fn write(&self, path: &str, contents: &[u8]) -> Result<(), UsageError> {
        match self.stage(path, contents)? {
            Some(begun) => self.commit(begun),
            None => Ok(()),
        }
    }

    /// [`OutDir::write`] up to the rename: `contents` in a temporary file
    /// beside the place of `path`, to be put there ([`OutDir::commit`]) or
    /// dropped ([`OutDir::abandon`]); none when the file there holds them.
    pub(crate) fn stage(&self, path: &str, contents: &[u8]) -> Result<Option<Begun>, UsageError> {
        let (place, tmp) = self.place(path, |place| {
            self.claim(path, &place.real)?;
            if place.existing && holds(&place.real, contents) {
                return Ok(None);
            }
            self.clear_stale(path, place);
            create_temp(&place.real, contents, place.mode, Durability::Unsynced).map(Some)
        })?;
        Ok(tmp?.map(|tmp| Begun {
            path: path.to_owned(),
            real: place.real,
            tmp,
            made: place.made,
        }))
    }

    /// Puts the file `begun` in its place.
    pub(crate) fn commit(&self, begun: Begun) -> Result<(), UsageError> {
        rename_into(&begun.tmp, &begun.real)
    }

    /// Takes the real file `real` for `path`, which this run has not put
    /// there yet: two paths of the build that lead to one file (through
    /// links in the directory) are an error, not a file that holds the
    /// last one put (the manifest would list both). The files are put in
    /// the order of the targets, so the one refused is the same on any
    /// number of cores.
    pub(crate) fn claim(&self, path: &str, real: &Path) -> Result<(), UsageError> {
        let mut claimed = locked(&self.claimed);
        match claimed.get(real) {
            Some(first) if first != path => Err(UsageError(format!(
                "two files of the build are one: `{first}` and `{path}` both lead to `{}` (links in `{}`); `{path}` and what follows it are not written",
                real.display(),
                self.named.display()
            ))),
            _ => {
                claimed.insert(real.to_path_buf(), path.to_owned());
                Ok(())
            }
        }
    }

    /// Begins `path`, at `place` ([`OutDir::place`]), as [`OutDir::write`]
    /// would write it: an empty temporary file beside its place, to be
    /// renamed there or dropped by [`OutDir::abandon`].
    fn begin_at(&self, path: &str, place: &Place) -> Result<(Begun, fs::File), UsageError> {
        self.clear_stale(path, place);
        let (tmp, file) = open_temp(&place.real, place.mode)?;
        let begun = Begun {
            path: path.to_owned(),
            real: place.real.clone(),
            tmp,
            made: place.made.clone(),
        };
        Ok((begun, file))
    }

    /// Drops the file `begun`, and the directories this run made for it
    /// that are still empty, from the file's own up.
    pub(crate) fn abandon(&self, begun: Begun) {
        remove_temp(&begun.tmp);
        let mut known = locked(&self.known);
        for dir in begun.made.iter().rev() {
            if fs::remove_dir(dir).is_err() {
                break;
            }
        }
        let path = begun.path.as_str();
        // `a/b/file`: `a/b`, `a`, then the output directory itself.
        let dirs = path.rmatch_indices('/').map(|(at, _)| &path[..at]);
        for dir in dirs.chain([""]) {
            if known.below.get(dir) != Some(&true) || fs::remove_dir(self.below(dir)).is_err() {
                return;
            }
            known.below.remove(dir);
        }
        // The root gone, the parents this run made for it, if empty.
        while let Some(parent) = known.above.pop() {
            if fs::remove_dir(&parent).is_err() {
                known.above.clear();
            }
        }
    }

    /// Where a write of `path` lands, its directories made.
    /// What it finds and makes is one step: the targets built at once
    /// place their files side by side, and a failed one's directories
    /// are dropped ([`OutDir::abandon`]) under the same lock, so none is
    /// dropped between another's finding it and making what is below it.
    ///
    /// `then` runs under that lock too, given the place: what it creates
    /// there (the file's temporary file) is in its directory before a
    /// failed target's directories can be dropped.
    fn place<T>(
        &self,
        path: &str,
        then: impl FnOnce(&Place) -> T,
    ) -> Result<(Place, T), UsageError> {
        let mut known = locked(&self.known);
        let place = self.place_in(&mut known, path)?;
        let then = then(&place);
        Ok((place, then))
    }

    /// [`OutDir::place`], under its lock.
    fn place_in(&self, known: &mut Known, path: &str) -> Result<Place, UsageError> {
        let real = self.root.join(path);
        match self.find(known, path) {
            Found::Unknown => self.place_resolved(path),
            Found::File(mode) => Ok(Place {
                real,
                mode: Mode::Kept(mode),
                existing: true,
                fresh_dir: false,
                made: Vec::new(),
            }),
            Found::Missing(depth) => match self.make_dirs(known, path, depth)? {
                Some(made) => Ok(Place {
                    real,
                    mode: Mode::New,
                    existing: false,
                    fresh_dir: made,
                    made: Vec::new(),
                }),
                // Made meanwhile by someone else: the long way.
                None => self.place_resolved(path),
            },
        }
    }

    /// [`OutDir::place`] the long way ([`OutDir::resolved`]), for a path
    /// with a link on the way.
    fn place_resolved(&self, path: &str) -> Result<Place, UsageError> {
        use std::os::unix::fs::PermissionsExt;
        let real = self.resolved(path)?;
        let mut made = Vec::new();
        make_parents(&real, &mut made).map_err(|e| {
            let dir = real.parent().unwrap_or(&self.root);
            UsageError(format!("cannot create `{}`: {e}", dir.display()))
        })?;
        let existing = match fs::metadata(&real) {
            // Found before a temporary file is made: the rename would fail
            // (and `build --strict` has put the files before it by then).
            Ok(m) if m.is_dir() => {
                return Err(UsageError(format!(
                    "cannot write `{}`: a directory is in its place",
                    real.display()
                )));
            }
            found => found.ok().filter(|m| m.is_file()),
        };
        Ok(Place {
            mode: existing
                .as_ref()
                .map_or(Mode::New, |m| Mode::Kept(m.permissions().mode() & 0o7777)),
            existing: existing.is_some(),
            fresh_dir: false,
            real,
            made,
        })
    }

    /// Removes what a killed mcpc left beside `place`, unless this run
    /// made its directory.
    fn clear_stale(&self, path: &str, place: &Place) {
        if !place.fresh_dir {
            let dir = place.real.parent().unwrap_or(&self.root);
            let name = path.rsplit('/').next().unwrap_or(path);
            remove_stale_temps(dir, name);
        }
    }

    /// Finds `path` from the root down, an lstat a component, stopping at
    /// the first one missing (nothing below it can be a link) and at the
    /// first that is not a plain directory (a link: [`Found::Unknown`]).
    fn find(&self, known: &mut Known, path: &str) -> Found {
        let parts: Vec<&str> = path.split('/').collect();
        if parts
            .iter()
            .any(|c| c.is_empty() || *c == "." || *c == "..")
        {
            return Found::Unknown;
        }
        for depth in 0..parts.len() {
            let dir = parts[..depth].join("/");
            if known.below.contains_key(&dir) {
                continue;
            }
            match fs::symlink_metadata(self.below(&dir)) {
                Ok(m) if m.file_type().is_dir() => {
                    known.below.insert(dir, false);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Found::Missing(depth);
                }
                _ => return Found::Unknown,
            }
        }
        use std::os::unix::fs::PermissionsExt;
        match fs::symlink_metadata(self.root.join(path)) {
            Ok(m) if m.file_type().is_file() => Found::File(m.permissions().mode() & 0o7777),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Found::Missing(parts.len()),
            _ => Found::Unknown,
        }
    }

    /// Makes the directories of `path` from the one at `from` down (none
    /// when `from` is the file's own depth); whether the file's directory
    /// was made by this run (`None`: one was made meanwhile by another).
    fn make_dirs(
        &self,
        known: &mut Known,
        path: &str,
        from: usize,
    ) -> Result<Option<bool>, UsageError> {
        let parts: Vec<&str> = path.split('/').collect();
        let depth_of_file = parts.len() - 1;
        for depth in from..=depth_of_file {
            let dir = parts[..depth].join("/");
            let at = self.below(&dir);
            // The output directory's missing parents are made one by one
            // and remembered, to be dropped with it.
            let made = if depth == 0 {
                make_parents(&at, &mut known.above).and_then(|()| fs::create_dir(&at))
            } else {
                fs::create_dir(&at)
            };
            match made {
                Ok(()) => {
                    known.below.insert(dir, true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
                Err(e) => {
                    let shown = self.root.join(path);
                    let shown = shown.parent().unwrap_or(&self.root);
                    return Err(UsageError(format!(
                        "cannot create `{}`: {e}",
                        shown.display()
                    )));
                }
            }
        }
        let dir = parts[..depth_of_file].join("/");
        Ok(Some(known.below.get(&dir) == Some(&true)))
    }

    /// `root/dir`; the root itself for `""`.
    fn below(&self, dir: &str) -> PathBuf {
        if dir.is_empty() {
            self.root.clone()
        } else {
            self.root.join(dir)
        }
    }

    /// The real path of `path` the long way: every link followed
    /// ([`real_path`]), then checked to stay inside.
    fn resolved(&self, path: &str) -> Result<PathBuf, UsageError> {
        let real = real_path(&self.root.join(path))?;
        if real.starts_with(&self.root) {
            return Ok(real);
        }
        Err(UsageError::coded(
            Code::OutsideRoot,
            format!(
                "`{}` leads to `{}`, outside the output directory `{}`; nothing written there\n\
                 help: remove the link, or name the directory it leads to with `--out`",
                self.named.join(path).display(),
                real.display(),
                self.root.display()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::{Contents, Output};

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mcpc-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn spooled(temps: &Temps, path: &str, text: &str) -> Spooled {
        let mut out = Output::new(Some(temps), path);
        out.put(text);
        match out.finish() {
            Contents::Spooled(s) => s,
            Contents::Text(_) => panic!("{path} was not spooled"),
        }
    }

    /// A file is in its place only once put there; one whose write into
    /// the spool failed is refused, saying so, and leaves nothing.
    #[test]
    fn a_spooled_file_lands_when_put_and_a_failed_one_never() {
        let dir = scratch("spooled");
        let out = OutDir::new(&dir.join("out")).unwrap();
        let temps = Temps::new(&out);
        let good = spooled(&temps, "a/b/good.json", "{}\n");
        let bad = spooled(&temps, "c/bad.json", "{\n");
        assert!(!dir.join("out/a/b/good.json").exists());
        temps.put(&good).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("out/a/b/good.json")).unwrap(),
            "{}\n"
        );
        let failed = Spooled {
            error: Some("No space left on device".into()),
            ..bad
        };
        let e = temps.put(&failed).unwrap_err();
        assert!(
            e.0.contains("cannot write") && e.0.contains("No space left"),
            "{}",
            e.0
        );
        // The directory made for it alone is gone with it.
        assert!(!dir.join("out/c").exists());
        let left: Vec<_> = fs::read_dir(dir.join("out/a/b"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
        let _ = fs::remove_dir_all(&dir);
    }

    /// Two files of a build that links lead to one real file, begun at
    /// once (as targets built side by side begin them): each has its own
    /// temporary file, the first put lands whole, the second is refused
    /// and leaves nothing; stale temporary files of a dead process, in
    /// either form of their name, are removed, a live one kept.
    #[test]
    fn two_files_begun_at_once_into_one_place_keep_apart() {
        let dir = scratch("one-place");
        fs::create_dir_all(dir.join("out/shared")).unwrap();
        for t in ["g", "q"] {
            fs::create_dir_all(dir.join(format!("out/{t}"))).unwrap();
            std::os::unix::fs::symlink("../shared", dir.join(format!("out/{t}/.{t}"))).unwrap();
        }
        let out = OutDir::new(&dir.join("out")).unwrap();
        let temps = Temps::new(&out);
        let mut first = Output::new(Some(&temps), "g/.g/s.json");
        let mut second = Output::new(Some(&temps), "q/.q/s.json");
        first.put("from g\n");
        second.put("from q\n");
        let (first, second) = (first.finish(), second.finish());
        let (Contents::Spooled(first), Contents::Spooled(second)) = (first, second) else {
            panic!("not spooled");
        };
        temps.put(&first).unwrap();
        let e = temps.put(&second).unwrap_err();
        assert!(
            e.0.contains("`g/.g/s.json` and `q/.q/s.json` both lead to"),
            "{}",
            e.0
        );
        assert_eq!(names_in(&dir.join("out/shared")), ["s.json"]);
        assert_eq!(
            fs::read_to_string(dir.join("out/shared/s.json")).unwrap(),
            "from g\n"
        );
        let ours = format!(".s.json.mcpc-tmp.{}.7", std::process::id());
        let dead = i32::MAX;
        // Not stale temporary files: not a process id, or more than one.
        let others = [
            ".s.json.mcpc-tmp.-1.0",
            ".s.json.mcpc-tmp.0",
            ".s.json.mcpc-tmp.12x",
            ".s.json.mcpc-tmp.5.a",
        ];
        let stale = [
            format!(".s.json.mcpc-tmp.{dead}.7"),
            format!(".s.json.mcpc-tmp.{dead}"),
        ];
        for name in others
            .iter()
            .copied()
            .chain([ours.as_str()])
            .chain(stale.iter().map(String::as_str))
        {
            fs::write(dir.join("out/shared").join(name), "").unwrap();
        }
        remove_stale_temps(&dir.join("out/shared"), "s.json");
        let left = names_in(&dir.join("out/shared"));
        let mut kept: Vec<&str> = others
            .into_iter()
            .chain([ours.as_str(), "s.json"])
            .collect();
        kept.sort();
        assert_eq!(left, kept);
        let _ = fs::remove_dir_all(&dir);
    }

    /// A file compared as it is written is found up to date exactly when
    /// it is, and otherwise gives both texts whole, wherever it differs
    /// (in the first block or a later one, longer, shorter, missing).
    #[test]
    fn a_compared_file_differs_exactly_when_it_does() {
        let dir = scratch("compared");
        let out = OutDir::new(&dir.join("out")).unwrap();
        let block = 64 * 1024;
        let text = |n: usize| -> String { (0..n).map(|i| ["a", "b\n", "c"][i % 3]).collect() };
        let long = text(3 * block + 5);
        let mut other = long.clone();
        other.replace_range(2 * block + 7..2 * block + 8, "Z");
        let cases: Vec<(Option<&str>, &str)> = vec![
            (Some("same\n"), "same\n"),
            (Some(&long), &long),
            (Some("a\n"), "b\n"),
            (Some(&long), &other),
            (Some(&long[..block]), &long),
            (Some(&long), &long[..2 * block + 1]),
            (Some(&long), ""),
            (None, "new\n"),
            (None, ""),
        ];
        for (n, (old, new)) in cases.into_iter().enumerate() {
            let path = format!("t/{n}.json");
            if let Some(old) = old {
                fs::create_dir_all(dir.join("out/t")).unwrap();
                fs::write(dir.join("out").join(&path), old).unwrap();
            }
            let compare = Compare::new(&out);
            let mut output = Output::new(Some(&compare), &path);
            for piece in new.as_bytes().chunks(5000) {
                output.put(std::str::from_utf8(piece).unwrap());
            }
            let Contents::Spooled(s) = output.finish() else {
                panic!("case {n} was not spooled");
            };
            let found = compare.differs(&path, &s).unwrap();
            if old == Some(new) {
                assert!(found.is_none(), "case {n} differs");
            } else {
                let (was, would) = found.unwrap_or_else(|| panic!("case {n} is the same"));
                assert_eq!(
                    (was.as_str(), would.as_str()),
                    (old.unwrap_or(""), new),
                    "case {n}"
                );
            }
        }
        // Changed on disk between the comparison and the diff.
        fs::write(dir.join("out/t/x.json"), &long).unwrap();
        let compare = Compare::new(&out);
        let mut output = Output::new(Some(&compare), "t/x.json");
        for piece in other.as_bytes().chunks(5000) {
            output.put(std::str::from_utf8(piece).unwrap());
        }
        let Contents::Spooled(s) = output.finish() else {
            panic!("not spooled");
        };
        fs::write(dir.join("out/t/x.json"), long.replacen('a', "A", 1)).unwrap();
        match compare.differs("t/x.json", &s) {
            Err(e) => assert!(e.0.contains("changed while it was compared"), "{}", e.0),
            Ok(found) => panic!(
                "a changed file compared as {:?}",
                found.map(|_| "differing")
            ),
        }
        let _ = fs::remove_dir_all(&dir);
    }

    /// Every file in `dir`, by name.
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Over a file in place, only what changes is written: the same text
    /// makes no temporary file at all; a change in a later block, a
    /// shorter or a longer text, each land whole.
    #[test]
    fn over_a_file_in_place_only_a_change_is_written() {
        let dir = scratch("in-place");
        let out = OutDir::new(&dir.join("out")).unwrap();
        let block = 64 * 1024;
        let long: String = (0..3 * block + 11)
            .map(|i| ["a", "b\n", "c"][i % 3])
            .collect();
        let mut later = long.clone();
        later.replace_range(2 * block + 3..2 * block + 4, "Z");
        let cases = [
            (long.as_str(), long.as_str()),
            (&long, &later),
            (&long, &long[..block + 5]),
            (&long[..block + 5], &long),
            ("", "x\n"),
        ];
        for (n, (old, new)) in cases.into_iter().enumerate() {
            let path = format!("t/{n}.json");
            fs::create_dir_all(dir.join("out/t")).unwrap();
            fs::write(dir.join("out").join(&path), old).unwrap();
            let temps = Temps::new(&out);
            let s = spooled(&temps, &path, new);
            let during = names_in(&dir.join("out/t"));
            temps.put(&s).unwrap();
            assert_eq!(
                fs::read_to_string(dir.join("out").join(&path)).unwrap(),
                new,
                "case {n}"
            );
            let temporary = during.iter().any(|f| f.contains(".mcpc-tmp."));
            assert_eq!(temporary, old != new, "case {n}: {during:?}");
            assert!(
                !names_in(&dir.join("out/t"))
                    .iter()
                    .any(|f| f.contains(".mcpc-tmp."))
            );
        }
        // The file in place changed under the write: refused, nothing left.
        let path = "t/moving.json";
        fs::write(dir.join("out").join(path), &long).unwrap();
        let temps = Temps::new(&out);
        let mut output = Output::new(Some(&temps), path);
        output.put(&later[..2 * block]);
        fs::write(dir.join("out").join(path), long.replacen('a', "A", 1)).unwrap();
        output.put(&later[2 * block..]);
        let Contents::Spooled(s) = output.finish() else {
            panic!("not spooled");
        };
        let e = temps.put(&s).unwrap_err();
        assert!(e.0.contains("changed while it was written"), "{}", e.0);
        assert!(
            !names_in(&dir.join("out/t"))
                .iter()
                .any(|f| f.contains(".mcpc-tmp."))
        );
        let _ = fs::remove_dir_all(&dir);
    }

    /// An edit displaced at the last moment that cannot be put back is
    /// kept under a name no later write removes, one of its own each time,
    /// and the error says where; one that can be is put back.
    #[test]
    fn an_edit_that_cannot_be_put_back_is_kept_under_a_name_of_its_own() {
        let dir = scratch("put-back");
        let path = dir.join("settings.json");
        let tmp = dir.join(".settings.json.mcpc-tmp.1.0");
        let refused = |_: &Path, _: &Path| Err(std::io::Error::other("refused"));
        for (edit, kept) in [
            ("one", "settings.json.mcpc-edit"),
            ("two", "settings.json.mcpc-edit.1"),
        ] {
            fs::write(&path, "ours").unwrap();
            fs::write(&tmp, edit).unwrap();
            let e = put_back(&tmp, &path, refused).unwrap_err();
            let kept = dir.join(kept);
            assert_eq!(fs::read_to_string(&kept).unwrap(), edit);
            assert!(e.0.contains("refused"), "{}", e.0);
            assert!(e.0.contains(&kept.display().to_string()), "{}", e.0);
        }
        assert!(!tmp.exists());
        assert_eq!(fs::read_to_string(&path).unwrap(), "ours");
        fs::write(&tmp, "three").unwrap();
        assert_eq!(put_back(&tmp, &path, exchange).unwrap(), Replaced::Changed);
        assert_eq!(fs::read_to_string(&path).unwrap(), "three");
        assert_eq!(
            names_in(&dir),
            [
                "settings.json",
                "settings.json.mcpc-edit",
                "settings.json.mcpc-edit.1"
            ]
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A FIFO where a runtime file was is refused, not read: the read
    /// would block the write (and an interrupt of it) for good.
    #[test]
    fn a_fifo_in_place_of_a_runtime_file_is_refused_not_read() {
        let dir = scratch("fifo");
        let path = dir.join("settings.json");
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.unwrap().success());
        let (tx, rx) = std::sync::mpsc::channel();
        let at = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(replace_if_unchanged(&at, b"{}", Some(b"{}")).map(|_| ()));
        });
        let replaced = rx.recv_timeout(std::time::Duration::from_secs(20));
        let e = replaced.expect("returned, not blocked").unwrap_err();
        assert!(e.0.contains("not a regular file"), "{}", e.0);
        assert_eq!(names_in(&dir), ["settings.json"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// What is neither put nor dropped when the build stops is removed.
    #[test]
    fn spooled_files_left_when_the_build_stops_are_removed() {
        let dir = scratch("stopped");
        let out = OutDir::new(&dir.join("out")).unwrap();
        {
            let temps = Temps::new(&out);
            spooled(&temps, "x/y.toml", "a = 1\n");
            assert!(dir.join("out/x").exists());
        }
        assert!(!dir.join("out").exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
