//! An interrupted mcpc leaves none of its temporary files behind. Those it
//! has made and not yet put in place are listed here; on SIGINT, SIGTERM
//! or SIGHUP they are removed, and the process then ends as the signal
//! would have ended it (a shell sees 130 for Ctrl-C). The signals are
//! watched, on a thread of their own, from the first temporary file on:
//! a command that writes nothing is interrupted as any program is.
//!
//! A signal the process was started ignoring (`nohup`, a `&` in a
//! script) is not watched: it stays ignored. Where that cannot be known
//! (no `/proc`), no signal is watched.
//!
//! A file once put in place (renamed) is the build's; a rename and its
//! removal from the list are not one step, so an interrupt between them
//! removes a name that no longer exists, which is nothing. Killed by
//! SIGKILL, mcpc leaves its temporary files as before, and the next write
//! of the same file removes them ([`super::files`]).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporary files made and not yet put in place or removed.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes the temporary file `tmp` with `create`, listed from then on. The
/// list is held while it is made, so an interrupt meanwhile waits for it
/// and removes it.
pub(crate) fn creating<T>(
    tmp: &Path,
    create: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    watch();
    let mut live = live();
    let made = create();
    if made.is_ok() {
        live.push(tmp.to_path_buf());
    }
    made
}

/// `tmp` is put in place or removed: no longer listed.
pub(crate) fn done(tmp: &Path) {
    unlist(&mut live(), tmp);
}

fn unlist(live: &mut Vec<PathBuf>, tmp: &Path) {
    if let Some(at) = live.iter().rposition(|p| p == tmp) {
        live.swap_remove(at);
    }
}

/// Runs `step`, which must not be cut (an exchange of a user's file and
/// its put-back), with `tmp` unlisted: an interrupt meanwhile waits for it
/// to end, and leaves `tmp` to it. `step` calls nothing of this module.
pub(crate) fn uncut<T>(tmp: &Path, step: impl FnOnce() -> T) -> T {
    let mut live = live();
    unlist(&mut live, tmp);
    step()
}

/// Starts watching for the signals, once.
#[cfg(unix)]
fn watch() {
    static WATCHING: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    WATCHING.get_or_init(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // Without the watch (no thread, no pipe) an interrupt leaves the
        // files as a SIGKILL does.
        let watched = not_ignored(&[SIGINT, SIGTERM, SIGHUP]);
        if watched.is_empty() {
            return;
        }
        let Ok(mut signals) = signal_hook::iterator::Signals::new(watched) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("interrupt".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    // Held to the end: nothing more is made meanwhile.
                    let live = live();
                    for tmp in live.iter() {
                        let _ = std::fs::remove_file(tmp);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
    });
}

/// The signals of `wanted` this process does not ignore, from the
/// `SigIgn` mask in `/proc/self/status` (none where there is no such file:
/// std cannot ask the disposition, and the crate forbids unsafe code).
#[cfg(unix)]
fn not_ignored(wanted: &[i32]) -> Vec<i32> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let Some(ignored) = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
    else {
        return Vec::new();
    };
    wanted
        .iter()
        .copied()
        .filter(|&s| (1..=64).contains(&s) && ignored & (1 << (s - 1)) == 0)
        .collect()
}

#[cfg(not(unix))]
fn watch() {}
