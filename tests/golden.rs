//! Golden tests: `tests/golden/ok/<case>/` must compile with no error and
//! `tests/golden/err/<case>/` must fail. Each case holds its `.mcpc` inputs,
//! an optional `args` file (build flags; `--fmt` runs the formatter instead
//! of the build), `stderr.txt` (the rendered
//! diagnostics) and, for ok cases, `out/` (every file the build writes).
//!
//! Every mismatch of every case is collected and shown as a unified diff.
//! `MCPC_BLESS=1 cargo test --test golden` rewrites the expected files (and
//! deletes stale ones); it never turns an ok case into an err case or back.

use mcpc::backends::{Emit, Plan, Target, delivery_manifest};
use mcpc::diag::{Code, Level, LintLevels, MessageFormat, Renderer};
use mcpc::source::{SourceFile, SourceMap};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn bless() -> bool {
    std::env::var_os("MCPC_BLESS").is_some_and(|v| v == "1")
}

struct Outcome {
    stderr: String,
    failed: bool,
    files: BTreeMap<String, String>,
}

fn parse_args(text: &str) -> (Plan, LintLevels) {
    let mut plan = Plan::default();
    let mut levels = LintLevels::default();
    let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "--fmt").collect();
    let mut i = 0;
    while i < words.len() {
        let value = words.get(i + 1).copied().unwrap_or_default();
        match words[i] {
            "--target" if value == "all" => {}
            "--target" => plan
                .targets
                .push(Target::from_name(value).expect("a target in args")),
            "--emit" if value == "package" => plan.emit = Emit::Package,
            "--emit" => plan.emit = Emit::Config,
            "--workspace" => plan.workspace = Some(value.to_owned()),
            "--plugin-root" => plan.plugin_root = Some(value.to_owned()),
            flag @ ("--deny" | "--warn" | "--allow") => {
                let level = Level::parse(&flag[2..]).expect("a level");
                levels.set(Code::from_name(value).expect("a lint in args"), level);
            }
            other => panic!("unknown flag `{other}` in args"),
        }
        i += 2;
    }
    (plan, levels)
}

fn run_case(dir: &Path) -> Outcome {
    let (sources, plan, levels) = case_inputs(dir);
    if is_fmt(dir) {
        return run_fmt(sources);
    }
    let (sources, diagnostics, files) = mcpc::compile(sources, levels, &plan);
    let renderer = Renderer {
        sources: &sources,
        format: MessageFormat::Human,
        color: false,
    };
    let stderr: String = diagnostics.iter().map(|d| renderer.render(d)).collect();
    let mut out = BTreeMap::new();
    let failed = files.is_none();
    if let Some(files) = files {
        out.insert("mcpc-delivery.json".to_owned(), delivery_manifest(&files));
        for f in files {
            let path = f.path.clone();
            out.insert(path, f.into_text());
        }
    }
    Outcome {
        stderr,
        failed,
        files: out,
    }
}

/// `mcpc fmt` on each input: its diagnostics; the formatted text is not
/// an output (an ok case's files are the build's).
fn run_fmt(sources: SourceMap) -> Outcome {
    let mut diagnostics = Vec::new();
    for (id, file) in sources.files() {
        if let Err(errors) = mcpc::format::format(id, &file.text) {
            diagnostics.extend(errors);
        }
    }
    let renderer = Renderer {
        sources: &sources,
        format: MessageFormat::Human,
        color: false,
    };
    Outcome {
        stderr: diagnostics.iter().map(|d| renderer.render(d)).collect(),
        failed: !diagnostics.is_empty(),
        files: BTreeMap::new(),
    }
}

fn collect_inputs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "out") {
            collect_inputs(&path, out);
        } else if path.extension().is_some_and(|e| e == "mcpc") {
            out.push(path);
        }
    }
}

fn files_under(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, fs::read_to_string(&path).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

fn diff(name: &str, expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header(&format!("expected {name}"), &format!("actual {name}"))
        .to_string()
}

fn check_kind(kind: &str) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut count = 0;
    let mut cases: Vec<PathBuf> = fs::read_dir(root().join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        count += 1;
        let name = format!("{kind}/{}", case.file_name().unwrap().to_string_lossy());
        let outcome = run_case(&case);
        if outcome.failed != (kind == "err") {
            problems.push(format!(
                "{name}: expected it to {}, but it {}; blessing does not change this\n{}",
                if kind == "err" { "fail" } else { "compile" },
                if outcome.failed { "failed" } else { "compiled" },
                outcome.stderr
            ));
            continue;
        }
        let stderr_path = case.join("stderr.txt");
        let expected = fs::read_to_string(&stderr_path).unwrap_or_default();
        if expected != outcome.stderr {
            if bless() {
                fs::write(&stderr_path, &outcome.stderr).unwrap();
            } else {
                problems.push(format!(
                    "{name}: stderr.txt differs\n{}",
                    diff("stderr.txt", &expected, &outcome.stderr)
                ));
            }
        }
        for (path, contents) in &outcome.files {
            if let Err(e) = parse_back(path, contents) {
                problems.push(format!("{name}: out/{path} is not valid: {e}"));
            }
        }
        let out_dir = case.join("out");
        let on_disk = files_under(&out_dir);
        for (path, contents) in &outcome.files {
            let expected = on_disk.get(path).map(String::as_str).unwrap_or_default();
            if expected != contents || !on_disk.contains_key(path) {
                if bless() {
                    let target = out_dir.join(path);
                    fs::create_dir_all(target.parent().unwrap()).unwrap();
                    fs::write(target, contents).unwrap();
                } else {
                    problems.push(format!(
                        "{name}: out/{path} differs\n{}",
                        diff(path, expected, contents)
                    ));
                }
            }
        }
        for path in on_disk.keys().filter(|p| !outcome.files.contains_key(*p)) {
            if bless() {
                fs::remove_file(out_dir.join(path)).unwrap();
            } else {
                problems.push(format!(
                    "{name}: out/{path} is stale (the build no longer writes it)"
                ));
            }
        }
    }
    (count, problems)
}

/// Every emitted file must parse with a real parser of its format.
fn parse_back(path: &str, contents: &str) -> Result<(), String> {
    if !contents.ends_with('\n') || contents.contains('\r') {
        return Err("not LF-terminated".into());
    }
    match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("json") => serde_json::from_str::<serde_json::Value>(contents)
            .map(drop)
            .map_err(|e| e.to_string()),
        Some("toml") => contents
            .parse::<toml::Table>()
            .map(drop)
            .map_err(|e| e.to_string()),
        Some("yaml") => serde_norway::from_str::<serde_norway::Value>(contents)
            .map(drop)
            .map_err(|e| e.to_string()),
        _ => Err("unknown file type".into()),
    }
}

#[test]
fn golden_cases() {
    let (ok, mut problems) = check_kind("ok");
    let (err, more) = check_kind("err");
    problems.extend(more);
    assert!(ok > 0 && err > 0, "no golden cases found");
    if !problems.is_empty() {
        panic!(
            "{} golden mismatch(es):\n\n{}\n\nIf the new output is right, bless it: MCPC_BLESS=1 cargo test --test golden",
            problems.len(),
            problems.join("\n")
        );
    }
}

/// Every code of the registry is shown by at least one err case.
#[test]
fn every_code_has_an_err_case() {
    let mut seen = String::new();
    // `import` cases (tests/import.rs) show the codes of reading native
    // files, `deliver` cases (tests/deliver.rs) those of apply and rollback,
    // `registry` cases (tests/registry_lock.rs) those of `mcpc lock`.
    let dirs = fs::read_dir(root().join("err"))
        .unwrap()
        .chain(fs::read_dir(root().join("import")).unwrap())
        .chain(fs::read_dir(root().join("deliver")).unwrap())
        .chain(fs::read_dir(root().join("registry")).unwrap());
    for entry in dirs {
        seen.push_str(
            &fs::read_to_string(entry.unwrap().path().join("stderr.txt")).unwrap_or_default(),
        );
    }
    // `internal-format-error` is fmt's safety net against its own bugs: no
    // known input triggers it, so a unit test in src/format.rs drives it.
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.name())
        .filter(|&name| name != "internal-format-error")
        .filter(|name| !seen.contains(&format!("error[{name}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "codes with no err golden case (as an error): {missing:?}"
    );
}

/// Whether a case runs the formatter (`--fmt` in its `args`).
fn is_fmt(dir: &Path) -> bool {
    let args = fs::read_to_string(dir.join("args")).unwrap_or_default();
    args.split_whitespace().any(|w| w == "--fmt")
}

/// The sources of a case (or example) directory, and the plan and levels
/// of its `args`.
fn case_inputs(dir: &Path) -> (SourceMap, Plan, LintLevels) {
    let mut inputs: Vec<PathBuf> = Vec::new();
    collect_inputs(dir, &mut inputs);
    inputs.sort();
    let mut sources = SourceMap::new();
    for path in &inputs {
        let name = path.strip_prefix(dir).unwrap().display().to_string();
        sources.add(SourceFile::new(name, fs::read_to_string(path).unwrap()));
    }
    let args = fs::read_to_string(dir.join("args")).unwrap_or_default();
    let (plan, levels) = parse_args(&args);
    (sources, plan, levels)
}

/// `check_targets` (the backends run for their reports only, as `mcpc
/// check` runs them) reports exactly what a build of each target does:
/// every golden case and example, with its own plan and with each emit.
#[test]
fn check_reports_what_a_build_reports() {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for kind in ["ok", "err"] {
        for entry in fs::read_dir(root().join(kind)).unwrap() {
            dirs.push(entry.unwrap().path());
        }
    }
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    dirs.sort();
    let rendered = |dir: &Path, plan: &Plan, build: bool| {
        let (sources, _, levels) = case_inputs(dir);
        let mut c = mcpc::Compilation::new(sources, levels);
        if build {
            c.build_each_with(plan, drop);
        } else {
            c.check_targets(plan);
        }
        let (sources, diagnostics) = c.finish();
        let renderer = Renderer {
            sources: &sources,
            format: MessageFormat::Human,
            color: false,
        };
        diagnostics
            .iter()
            .map(|d| renderer.render(d))
            .collect::<String>()
    };
    let mut problems = Vec::new();
    let mut compared = 0;
    for dir in &dirs {
        if is_fmt(dir) {
            continue;
        }
        let (_, plan, _) = case_inputs(dir);
        let mut other = plan.clone();
        other.emit = match plan.emit {
            Emit::Config => Emit::Package,
            Emit::Package => Emit::Config,
        };
        for plan in [plan, other] {
            let built = rendered(dir, &plan, true);
            let checked = rendered(dir, &plan, false);
            compared += 1;
            if built != checked {
                problems.push(diff(
                    &format!("{} ({:?})", dir.display(), plan.emit),
                    &built,
                    &checked,
                ));
            }
        }
    }
    assert!(compared > 70, "only {compared} cases compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
