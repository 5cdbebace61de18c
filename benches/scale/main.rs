//! Benchmark: mcpc at scale, against the floor program (`benches/scale/floor.rs`:
//! the same servers read from JSON and written as the same native files
//! with serde_json, toml and a plain YAML writer, nothing else), so that the
//! ratios mean the same on any machine.
//!
//! `benches/run.sh [ARGS]` builds mcpc as it ships (`--release`, alone) and
//! the floor and runs this. It prints tables and asserts nothing (goals are
//! in the README's performance section, not in timed tests):
//! - whole process, `mcpc build --target all` vs the floor, interleaved,
//!   best of `--runs` (5), with peak RSS of each (getrusage of the child),
//!   its page faults, and its CPU time, user and system, of all its threads (mcpc builds
//!   the targets side by side on up to four cores; the floor has one
//!   thread, so the CPU time ratio is the ratio of work done),
//!   and, where valgrind is installed, the ratio of instructions executed
//!   (callgrind; one run each, repeatable on a loaded machine; sizes up to
//!   `--instr-max`, 20,000 by default: valgrind is ~50× slower), also
//!   without the instructions of the `sha2` crate (the manifest's
//!   digests), which runs SHA-256 in software under valgrind and in
//!   hardware on a CPU with SHA extensions;
//! - the same build again into the directory it wrote (nothing changed),
//!   and `build --check` there: time and peak RSS (no floor: the floor
//!   has no rebuild);
//! - the worst-case shapes (`gen.rs`) at two sizes: time per server must
//!   not grow with the size;
//! - in-process phases: parse, lower, check, each backend, manifest, write.
//!
//! Options: `--sizes 3,2000,20000,100000` `--runs 5` `--shape-sizes
//! 2000,20000` `--no-shapes` `--no-phases` `--instr-max N` (0: no
//! instruction counts) `--emit DIR` (write the inputs and stop) `--work
//! DIR` (where the runs write: the system's temporary directory by
//! default; a tmpfs there measures the programs without the disk's
//! allocator).
//! `MCPC_FLOOR` overrides where the floor binary is, `MCPC_BIN` which mcpc
//! is measured (the whole-process tables; the phases are this build's).

mod r#gen;

use r#gen::Shape;
use mcpc::backends::{Emit, Plan, Target, delivery_manifest};
use mcpc::diag::{LintLevels, Sink};
use mcpc::source::{SourceFile, SourceMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

struct Options {
    sizes: Vec<usize>,
    shape_sizes: Vec<usize>,
    runs: usize,
    shapes: bool,
    phases: bool,
    instr_max: usize,
    emit: Option<PathBuf>,
    work: Option<PathBuf>,
}

fn options() -> Options {
    let mut o = Options {
        sizes: vec![3, 2_000, 20_000, 100_000],
        shape_sizes: vec![2_000, 20_000],
        runs: 5,
        shapes: true,
        phases: true,
        instr_max: 20_000,
        emit: None,
        work: None,
    };
    let list = |s: Option<String>| -> Vec<usize> {
        s.expect("a value")
            .split(',')
            .map(|n| n.trim().replace('_', "").parse().expect("a number"))
            .collect()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sizes" => o.sizes = list(args.next()),
            "--shape-sizes" => o.shape_sizes = list(args.next()),
            "--runs" => o.runs = list(args.next())[0].max(1),
            "--no-shapes" => o.shapes = false,
            "--no-phases" => o.phases = false,
            "--instr-max" => o.instr_max = list(args.next())[0],
            "--emit" => o.emit = Some(args.next().expect("a directory").into()),
            "--work" => o.work = Some(args.next().expect("a directory").into()),
            "--bench" => {} // passed by `cargo bench`
            other => panic!("unknown option `{other}`"),
        }
    }
    o
}

/// One run of a child process: wall time and its peak resident set.
#[derive(Clone, Copy)]
struct Run {
    time: Duration,
    rss_kb: u64,
    /// User and system time of all its threads.
    cpu: Duration,
    /// Page faults, minor and major: each page of code, data, heap and
    /// stack the process touches costs one (code a 64 KB window at a time,
    /// where the kernel maps around the fault), a few microseconds on a VM.
    faults: u64,
}

/// Runs `cmd` through this binary in `--child` mode, so that the peak RSS
/// reported by getrusage(RUSAGE_CHILDREN) is that one process's alone;
/// panics unless it exits with one of `codes`.
fn run_with(cmd: &[&str], codes: &[&str]) -> Run {
    let me = std::env::current_exe().expect("the bench binary");
    let out = Command::new(me)
        .arg("--child")
        .args(cmd)
        .output()
        .expect("run the child");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<&str> = text.split_whitespace().collect();
    let [ns, kb, cpu, faults, code] = v[..] else {
        panic!("child runner said {text:?}");
    };
    if !codes.contains(&code) {
        panic!(
            "`{}` exited with {code}:\n{}",
            cmd.join(" "),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(40)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Run {
        time: Duration::from_nanos(ns.parse().expect("ns")),
        rss_kb: kb.parse().expect("kb"),
        cpu: Duration::from_micros(cpu.parse().expect("cpu µs")),
        faults: faults.parse().expect("faults"),
    }
}

/// [`run_with`], for a command that must succeed.
fn run(cmd: &[&str]) -> Run {
    run_with(cmd, &["0"])
}

/// `--child CMD…`: run CMD, print `nanoseconds max_rss_kb cpu_µs
/// page_faults exit_code`, and CMD's stderr on ours.
fn child(cmd: &[String]) -> ! {
    let start = Instant::now();
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("start the measured program");
    let time = start.elapsed();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let micros = |t: nix::sys::time::TimeVal| t.tv_sec() * 1_000_000 + t.tv_usec();
    println!(
        "{} {} {} {} {}",
        time.as_nanos(),
        usage.max_rss(),
        micros(usage.user_time()) + micros(usage.system_time()),
        usage.minor_page_faults() + usage.major_page_faults(),
        out.status.code().unwrap_or(-1)
    );
    std::process::exit(0)
}

/// Instructions `cmd` executes (user space, callgrind's `Ir`), or `None`
/// without valgrind. Deterministic, so one run is enough even under load.
/// With them, those executed in the `sha2` crate (from
/// `callgrind_annotate`, where it is installed): valgrind's CPU has no
/// SHA extensions, so SHA-256 runs in software under it, where a CPU that
/// has them (as most x86_64 and aarch64 servers do) runs it in hardware.
fn instructions(cmd: &[&str], out_file: &Path) -> Option<(u64, Option<u64>)> {
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .args(cmd)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().find(|l| l.contains("Collected :"))?;
    let total = line.rsplit(':').next()?.trim().parse().ok()?;
    let sha = Command::new("callgrind_annotate")
        .arg(out_file)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.contains("sha2::"))
                .filter_map(|l| {
                    l.split_whitespace()
                        .next()?
                        .replace(',', "")
                        .parse::<u64>()
                        .ok()
                })
                .sum()
        });
    let _ = std::fs::remove_file(out_file);
    Some((total, sha))
}

fn best(runs: &[Run]) -> Run {
    Run {
        time: runs.iter().map(|r| r.time).min().expect("runs"),
        rss_kb: runs.iter().map(|r| r.rss_kb).max().expect("runs"),
        cpu: runs.iter().map(|r| r.cpu).min().expect("runs"),
        faults: runs.iter().map(|r| r.faults).min().expect("runs"),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The files mcpc writes for `--target all` (without its manifest), found
/// by building `src` once: the floor writes the same paths.
fn native_paths(mcpc: &str, src: &Path, out: &Path) -> Vec<String> {
    let _ = std::fs::remove_dir_all(out);
    run(&mcpc_build(mcpc, src, out));
    let mut paths = Vec::new();
    walk(out, out, &mut paths);
    let _ = std::fs::remove_dir_all(out);
    paths.retain(|p| p != "mcpc-delivery.json");
    paths.sort();
    paths
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read the output") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("under the root");
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, load {load} at start")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2..]);
    }
    let o = options();
    // `MCPC_BIN` measures another build (an A/B of two commits).
    let mcpc_bin =
        std::env::var("MCPC_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_mcpc").to_owned());
    let mcpc = mcpc_bin.as_str();
    let floor = std::env::var("MCPC_FLOOR").unwrap_or_else(|_| {
        let dir = Path::new(env!("CARGO_BIN_EXE_mcpc"))
            .parent()
            .expect("a directory");
        s(&dir.join("examples").join("floor")).to_owned()
    });
    let work = o
        .work
        .clone()
        .unwrap_or_else(std::env::temp_dir)
        .join(format!("mcpc-scale-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a work directory");
    if let Some(dir) = &o.emit {
        std::fs::create_dir_all(dir).expect("the --emit directory");
        for &shape in Shape::ALL {
            for &n in &o.sizes {
                let (src, json) = r#gen::generate(shape, n);
                let base = dir.join(format!("{}-{n}", shape.name()));
                std::fs::write(base.with_extension("mcpc"), src).expect("write");
                std::fs::write(base.with_extension("json"), json).expect("write");
            }
        }
        return;
    }
    if !Path::new(&floor).exists() {
        eprintln!("no floor program at {floor}: run benches/run.sh (it builds it)");
        std::process::exit(2);
    }
    println!("machine: {}", machine());
    whole_process(&o, mcpc, &floor, &work);
    if o.shapes {
        shapes(&o, mcpc, &work);
    }
    if o.phases {
        phases(&o, &work);
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// The floor's command line: read `json`, write `paths` in `out`.
fn floor_build<'a>(
    floor: &'a str,
    json: &'a Path,
    out: &'a Path,
    paths: &'a [String],
) -> Vec<&'a str> {
    [floor, s(json), s(out)]
        .into_iter()
        .chain(paths.iter().map(String::as_str))
        .collect()
}

/// `mcpc build SRC --target all --out OUT`.
fn mcpc_build<'a>(mcpc: &'a str, src: &'a Path, out: &'a Path) -> [&'a str; 7] {
    [mcpc, "build", s(src), "--target", "all", "--out", s(out)]
}

fn whole_process(o: &Options, mcpc: &str, floor: &str, work: &Path) {
    println!(
        "\nwhole process: `mcpc build --target all` vs the floor, interleaved, best of {}",
        o.runs
    );
    println!(
        "| servers | mcpc | floor | ratio | µs/server | CPU time ratio | mcpc peak RSS | floor peak RSS | RSS ratio | page faults | instructions ratio | without SHA-256 in software |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut paths = None;
    let mut again = Vec::new();
    for &n in &o.sizes {
        let (src, json) = r#gen::generate(Shape::Realistic, n);
        let src_path = work.join(format!("s{n}.mcpc"));
        let json_path = work.join(format!("s{n}.json"));
        std::fs::write(&src_path, src).expect("write the source");
        std::fs::write(&json_path, json).expect("write the JSON");
        let paths =
            paths.get_or_insert_with(|| native_paths(mcpc, &src_path, &work.join("out-paths")));
        let mut mine = Vec::new();
        let mut theirs = Vec::new();
        let (out, floor_out) = (work.join("out-mcpc"), work.join("out-floor"));
        let floor_cmd = floor_build(floor, &json_path, &floor_out, paths);
        let mcpc_cmd = mcpc_build(mcpc, &src_path, &out);
        for _ in 0..o.runs {
            // Both write every file each run (a rebuild leaves unchanged
            // files alone, which the floor does not know to do). On a file
            // system that looks past the inodes freed in the last minute
            // for each one it makes (ext4 without a journal) the removal
            // makes later runs slower, both programs'; a directory kept for
            // each run did worse at scale (the floor at 100,000 servers
            // 1.18 s -> 1.41-1.51 s, synced between runs or not: the files
            // of the runs before are written back meanwhile). `--work` on
            // a tmpfs measures neither.
            let _ = std::fs::remove_dir_all(&out);
            let _ = std::fs::remove_dir_all(&floor_out);
            mine.push(run(&mcpc_cmd));
            theirs.push(run(&floor_cmd));
        }
        let (m, f) = (best(&mine), best(&theirs));
        // Into the directory just written, nothing changed: a rebuild, and
        // the check CI runs on every commit.
        let check_cmd: Vec<&str> = mcpc_cmd.iter().copied().chain(["--check"]).collect();
        let rebuilt: Vec<Run> = (0..o.runs).map(|_| run(&mcpc_cmd)).collect();
        let checked: Vec<Run> = (0..o.runs).map(|_| run(&check_cmd)).collect();
        again.push((n, best(&rebuilt), best(&checked)));
        let instr = if n <= o.instr_max {
            let cg = work.join("callgrind.out");
            let _ = std::fs::remove_dir_all(&out);
            let mine = instructions(&mcpc_cmd, &cg);
            let theirs = instructions(&floor_cmd, &cg);
            match (mine, theirs) {
                (Some((m, sha)), Some((f, _))) => {
                    let ratio = |m: u64| {
                        format!(
                            "{:.2}× ({:.1} M / {:.1} M)",
                            m as f64 / f as f64,
                            m as f64 / 1e6,
                            f as f64 / 1e6
                        )
                    };
                    let without = sha.map_or_else(|| "–".to_owned(), |sha| ratio(m - sha));
                    format!("{} | {without}", ratio(m))
                }
                _ => "– | –".to_owned(),
            }
        } else {
            "– | –".to_owned()
        };
        println!(
            "| {n} | {:.1} ms | {:.1} ms | {:.2}× | {:.1} | {:.2}× ({:.1} / {:.1} ms) | {:.1} MB | {:.1} MB | {:.2}× | {:.2}× ({} / {}) | {instr} |",
            ms(m.time),
            ms(f.time),
            m.time.as_secs_f64() / f.time.as_secs_f64(),
            m.time.as_secs_f64() * 1e6 / n as f64,
            m.cpu.as_secs_f64() / f.cpu.as_secs_f64(),
            ms(m.cpu),
            ms(f.cpu),
            mb(m.rss_kb),
            mb(f.rss_kb),
            m.rss_kb as f64 / f.rss_kb as f64,
            m.faults as f64 / f.faults as f64,
            m.faults,
            f.faults,
        );
        let _ = std::fs::remove_file(&src_path);
        let _ = std::fs::remove_file(&json_path);
    }
    println!(
        "\nthe same build into the directory it wrote, nothing changed: again, and with `--check`; best of {}",
        o.runs
    );
    println!("| servers | rebuild | peak RSS | `--check` | peak RSS |");
    println!("|---:|---:|---:|---:|---:|");
    for (n, rebuilt, checked) in again {
        println!(
            "| {n} | {:.1} ms | {:.1} MB | {:.1} ms | {:.1} MB |",
            ms(rebuilt.time),
            mb(rebuilt.rss_kb),
            ms(checked.time),
            mb(checked.rss_kb)
        );
    }
}

/// The worst-case shapes, whole process: `check` (every check `build
/// --target all` runs, nothing written), at each of `--shape-sizes`.
fn shapes(o: &Options, mcpc: &str, work: &Path) {
    println!(
        "\nworst-case shapes: `mcpc check`, best of {}; µs/server must not grow with the size",
        o.runs
    );
    let mut head = String::from("| shape |");
    let mut rule = String::from("|---|");
    for n in &o.shape_sizes {
        head.push_str(&format!(" {n} | µs/server | RSS |"));
        rule.push_str("---:|---:|---:|");
    }
    println!("{head} growth |\n{rule}---:|");
    for &shape in &Shape::ALL[1..] {
        let mut row = format!("| {} |", shape.name());
        let mut per = Vec::new();
        for &n in &o.shape_sizes {
            let (src, _) = r#gen::generate(shape, n);
            let path = work.join(format!("{}-{n}.mcpc", shape.name()));
            std::fs::write(&path, src).expect("write the source");
            // Colliding names are errors: check exits 1, which is the point.
            let cmd = [mcpc, "check", s(&path), "--message-format", "short"];
            let runs: Vec<Run> = (0..o.runs).map(|_| run_any(&cmd)).collect();
            let b = best(&runs);
            let us = b.time.as_secs_f64() * 1e6 / n as f64;
            per.push(us);
            row.push_str(&format!(
                " {:.1} ms | {us:.1} | {:.1} MB |",
                ms(b.time),
                mb(b.rss_kb)
            ));
            let _ = std::fs::remove_file(&path);
        }
        let growth = per.last().unwrap_or(&0.0) / per.first().unwrap_or(&1.0);
        println!("{row} {growth:.2}× |");
    }
}

/// Like [`run`], for commands that may exit 1 (diagnostics found).
fn run_any(cmd: &[&str]) -> Run {
    run_with(cmd, &["0", "1"])
}

/// In-process phases of `build --target all` (best of `--runs`).
fn phases(o: &Options, work: &Path) {
    println!(
        "\nin-process phases, best of {} (ms; `backends` is every target's, the slowest named)",
        o.runs
    );
    println!(
        "| servers | parse | lower | check | backends | slowest backend | manifest | write | total |"
    );
    println!("|---:|---:|---:|---:|---:|---|---:|---:|---:|");
    let out = work.join("out-phases");
    for &n in &o.sizes {
        let (src, _) = r#gen::generate(Shape::Realistic, n);
        let mut best_t: Option<[Duration; 6]> = None;
        let mut per_target: Vec<(Target, Duration)> = Vec::new();
        for _ in 0..o.runs {
            let mut t = [Duration::ZERO; 6];
            let mut sink = Sink::new();
            let mut sources = SourceMap::new();
            let id = sources.add(SourceFile::new("bench.mcpc", src.clone()));
            let start = Instant::now();
            let blocks = mcpc::parse::parse_file(id, &sources.get(id).text, &mut sink);
            t[0] = start.elapsed();
            let start = Instant::now();
            let unit = mcpc::ir::lower(&blocks, &mut sink);
            drop(blocks);
            t[1] = start.elapsed();
            let start = Instant::now();
            mcpc::check::check(&unit, &mut sink);
            t[2] = start.elapsed();
            assert!(!sink.has_hard_errors(), "the generated unit has errors");
            let plan = Plan {
                targets: Vec::new(),
                emit: Emit::Config,
                workspace: None,
                plugin_root: None,
                user_scope: false,
            };
            let mut files = Vec::new();
            for &target in Target::ALL {
                let start = Instant::now();
                files.extend(mcpc::backends::build_one(&unit, &plan, target, &mut sink));
                let took = start.elapsed();
                t[3] += took;
                match per_target.iter_mut().find(|(x, _)| *x == target) {
                    Some((_, d)) => *d = (*d).min(took),
                    None => per_target.push((target, took)),
                }
            }
            files.sort_by(|a, b| a.path.cmp(&b.path));
            let start = Instant::now();
            let manifest = delivery_manifest(&files);
            t[4] = start.elapsed();
            let start = Instant::now();
            let _ = std::fs::remove_dir_all(&out);
            for f in &files {
                let path = out.join(&f.path);
                std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
                std::fs::write(&path, f.text()).expect("write");
            }
            std::fs::write(out.join("mcpc-delivery.json"), manifest).expect("write");
            t[5] = start.elapsed();
            let _ = sink.finish(&LintLevels::default());
            best_t = Some(match best_t {
                None => t,
                Some(b) => std::array::from_fn(|i| b[i].min(t[i])),
            });
        }
        let t = best_t.expect("one run");
        let (slowest, took) = per_target.iter().max_by_key(|(_, d)| *d).expect("targets");
        let total: Duration = t.iter().sum();
        println!(
            "| {n} | {:.2} | {:.2} | {:.2} | {:.2} | {} {:.2} | {:.2} | {:.2} | {:.2} |",
            ms(t[0]),
            ms(t[1]),
            ms(t[2]),
            ms(t[3]),
            slowest.name(),
            ms(*took),
            ms(t[4]),
            ms(t[5]),
            ms(total)
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}
