//! Names the commit `mcpc --version` prints, as `MCPC_COMMIT`: the
//! environment's `MCPC_COMMIT` if set (release builds pass it), else the
//! checkout's `HEAD`, else the `.cargo_vcs_info.json` that `cargo package`
//! puts in a crate, else `unknown`. Nothing else (no date, no path) goes into
//! the binary, so the same source builds the same bytes.
//!
//! And, asked with `MCPC_LINK_ORDER=1`, gives an optimized build's linker
//! the link order (`build/link-order.txt`, `scripts/link-order.sh`).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MCPC_COMMIT");
    // Every path watched must exist: Cargo reruns a build script whose
    // watched file is missing on every build, and then rebuilds the crate
    // (`cargo fuzz run` after `cargo fuzz build`, each test run). This file
    // is always watched, so that with nothing else to watch Cargo does not
    // fall back to watching the whole package.
    println!("cargo:rerun-if-changed=build.rs");
    if Path::new(".cargo_vcs_info.json").exists() {
        println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
    }
    let commit = std::env::var("MCPC_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(from_git)
        .or_else(from_vcs_info)
        .unwrap_or_else(|| "unknown".to_owned());
    let short: String = commit.chars().take(12).collect();
    println!("cargo:rustc-env=MCPC_COMMIT={short}");
    link_order();
}

/// With `MCPC_LINK_ORDER=1` (the packages, the benchmark: `scripts/dist.sh`,
/// `benches/run.sh`), the functions a common run executes are placed first
/// and together in the binary's code, so that the kernel maps them in a few
/// page faults instead of one for each 64 KB they were spread over
/// (README, "Performance"). Asked for, not assumed: only rust-lld, the
/// linker of x86_64 Linux with glibc from Rust 1.90, is known to read the
/// list (GNU ld and gold refuse the option), and not when the user chose a
/// linker (`RUSTC_LINKER`, `-C linker`, `-fuse-ld`). A name the build does
/// not have is skipped, so the list changes only the order, never the
/// program.
fn link_order() {
    const LIST: &str = "build/link-order.txt";
    println!("cargo:rerun-if-env-changed=MCPC_LINK_ORDER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("MCPC_LINK_ORDER") != "1"
        || var("TARGET") != "x86_64-unknown-linux-gnu"
        || var("PROFILE") != "release"
    {
        return;
    }
    let skipped = |why: &str| println!("cargo:warning=MCPC_LINK_ORDER=1: not applied: {why}");
    let own_linker = std::env::var_os("RUSTC_LINKER").is_some()
        || var("CARGO_ENCODED_RUSTFLAGS")
            .split('\x1f')
            .any(|flag| flag.contains("linker") || flag.contains("fuse-ld"));
    if own_linker {
        return skipped("a linker of your own is set");
    }
    if !rust_lld_default(&var("RUSTC")) {
        return skipped("it needs Rust 1.90 or later, which links with rust-lld here");
    }
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join(LIST);
    if !list.exists() {
        return skipped("build/link-order.txt is missing");
    }
    let shown = list.display().to_string();
    // `-Wl,` splits its argument at commas.
    if shown.contains(',') {
        return skipped("the checkout's path has a comma");
    }
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={shown}");
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

/// Whether `rustc` is 1.90 or later, which links x86_64 Linux with rust-lld.
fn rust_lld_default(rustc: &str) -> bool {
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(release) = text.lines().find_map(|l| l.strip_prefix("release: ")) else {
        return false;
    };
    let mut parts = release
        .split(['.', '-'])
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_owned())
}

/// `HEAD` of the checkout this crate is the root of (not of a repository
/// that merely contains an unpacked crate), with the files to watch.
fn from_git() -> Option<String> {
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let here = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    if Path::new(&top).canonicalize().ok()? != Path::new(&here).canonicalize().ok()? {
        return None;
    }
    let mut watch = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watch.extend(git(&["rev-parse", "--git-path", &branch]));
    }
    watch.extend(git(&["rev-parse", "--git-path", "packed-refs"]));
    for path in watch.iter().filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
    let commit = git(&["rev-parse", "HEAD"])?;
    commit
        .chars()
        .all(|c| c.is_ascii_hexdigit())
        .then_some(commit)
}

fn from_vcs_info() -> Option<String> {
    let text = std::fs::read_to_string(".cargo_vcs_info.json").ok()?;
    let sha = text.split("\"sha1\"").nth(1)?.split('"').nth(1)?;
    (sha.len() >= 7 && sha.chars().all(|c| c.is_ascii_hexdigit())).then(|| sha.to_owned())
}
