//! An interrupted mcpc leaves none of its temporary files behind. Those it
//! has made and not yet put in place are listed here; on SIGINT, SIGTERM
//! or SIGHUP they are removed, and the process then ends as the signal
//! would have ended it (a shell sees 130 for Ctrl-C).
//!
//! No thread watches for the signals (one cost a 3-server build about 7%
//! of its time). From the first temporary file on, a handler notes a signal
//! that comes while any is listed, and the next step of writing that
//! asks ([`check`]: each block written, each temporary file made, put in
//! place or removed) removes them and ends the process. While none is
//! listed, the same handler ends the process at once, as if there were
//! none: a command that is not writing is interrupted as any program is.
//!
//! A signal the process was started ignoring (`nohup`, a `&` in a
//! script) is not handled: it stays ignored. Where that cannot be known
//! (no `/proc`), no signal is handled.
//!
//! A file once put in place (renamed) is the build's; a rename and its
//! removal from the list are not one step, so an interrupt between them
//! removes a name that no longer exists, which is nothing. Killed by
//! SIGKILL, mcpc leaves its temporary files as before, and the next write
//! of the same file removes them ([`super::files`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The temporary files made and not yet put in place or removed.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The signal that came while temporary files were listed (0: none).
static CAME: AtomicUsize = AtomicUsize::new(0);

/// Whether a signal ends the process at once: none is listed.
static AT_ONCE: AtomicBool = AtomicBool::new(true);

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes the temporary file `tmp` with `create`, listed from then on. The
/// list is held while it is made, so an interrupt meanwhile is acted on
/// once it is listed, and removes it.
pub(crate) fn creating<T>(
    tmp: &Path,
    create: impl FnOnce() -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut live = live();
    // Before the file exists: from here a signal is only noted. One the
    // handler took for "nothing listed" (it may still be ending the
    // process) was noted first, and is acted on here, before anything is
    // made: either the handler sees this store or this load sees its note.
    AT_ONCE.store(false, Ordering::SeqCst);
    handle();
    if CAME.load(Ordering::SeqCst) != 0 {
        settle(&live);
    }
    let made = create();
    if made.is_ok() {
        live.push(tmp.to_path_buf());
    }
    settle(&live);
    made
}

/// `tmp` is put in place or removed: no longer listed.
pub(crate) fn done(tmp: &Path) {
    let mut live = live();
    unlist(&mut live, tmp);
    settle(&live);
}

fn unlist(live: &mut Vec<PathBuf>, tmp: &Path) {
    if let Some(at) = live.iter().rposition(|p| p == tmp) {
        live.swap_remove(at);
    }
}

/// Runs `step`, which must not be cut (an exchange of a user's file and
/// its put-back), with `tmp` unlisted: an interrupt meanwhile is acted on
/// once it ends, and leaves `tmp` to it. `step` calls nothing of this
/// module.
pub(crate) fn uncut<T>(tmp: &Path, step: impl FnOnce() -> T) -> T {
    let mut live = live();
    unlist(&mut live, tmp);
    let done = step();
    settle(&live);
    done
}

/// Acts on a signal that came while temporary files were listed: removes
/// them and ends the process. Called by each step of a long write.
pub(crate) fn check() {
    if CAME.load(Ordering::SeqCst) != 0 {
        settle(&live());
    }
}

/// With the list held: ends the process if a signal came, else lets the
/// next one end it at once when nothing is listed. A signal between the
/// two stores is seen by one or the other.
fn settle(live: &[PathBuf]) {
    if live.is_empty() {
        AT_ONCE.store(true, Ordering::SeqCst);
    }
    let signal = CAME.load(Ordering::SeqCst);
    if signal == 0 {
        return;
    }
    for tmp in live.iter() {
        let _ = std::fs::remove_file(tmp);
    }
    end(signal);
}

#[cfg(unix)]
fn end(signal: usize) -> ! {
    let signal = i32::try_from(signal).unwrap_or(signal_hook::consts::SIGTERM);
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    std::process::exit(128 + signal)
}

#[cfg(not(unix))]
fn end(_: usize) -> ! {
    std::process::exit(130)
}

/// Installs the handler, once: it notes the signal, and ends the process
/// when nothing is listed.
#[cfg(unix)]
fn handle() {
    static HANDLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    HANDLED.get_or_init(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        use signal_hook::flag;
        for signal in not_ignored(&[SIGINT, SIGTERM, SIGHUP]) {
            // In this order: noted, then (nothing listed) the default; a
            // signal only noted, never ending the process, is not kept.
            if let Ok(noted) = flag::register_usize(signal, &CAME, signal as usize)
                && flag::register_conditional_default(signal, &AT_ONCE).is_err()
            {
                signal_hook::low_level::unregister(noted);
            }
        }
    });
}

#[cfg(not(unix))]
fn handle() {}

/// The signals of `wanted` this process does not ignore, from the
/// `SigIgn` mask in `/proc/self/status` (none where there is no such file:
/// std cannot ask the disposition, and the crate forbids unsafe code).
#[cfg(unix)]
fn not_ignored(wanted: &[i32]) -> Vec<i32> {
    // Read with room for the whole file (about 1.5 KB), through `take`
    // (which asks no size): `fs::read_to_string` asks the file its size (a
    // `statx`), which this one reports as 0, and then reads 32 bytes first
    // and doubling, each read a system call.
    let mut status = String::with_capacity(4096);
    if let Ok(file) = std::fs::File::open("/proc/self/status") {
        use std::io::Read;
        let _ = file.take(1 << 16).read_to_string(&mut status);
    }
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
