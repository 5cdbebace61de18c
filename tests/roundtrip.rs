//! Each backend reads its own output back: for every golden ok case and
//! every target, what the runtime's file says (read by a real JSON, TOML or
//! YAML parser) equals what the source declares, after that target's
//! documented approximations.

use mcpc::Compilation;
use mcpc::backends::{Emit, Plan, ServerSpec, Target};
use mcpc::diag::{Code, Level, LintLevels};
use mcpc::source::{SourceFile, SourceMap};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn sources(dir: &Path) -> SourceMap {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mcpc"))
        .collect();
    paths.sort();
    let mut map = SourceMap::new();
    for p in paths {
        map.add(SourceFile::new(
            p.display().to_string(),
            fs::read_to_string(&p).unwrap(),
        ));
    }
    map
}

/// The targets whose output was read back and compared (a target that
/// reports an error for the case is skipped).
fn check_roundtrip(label: &str, sources: SourceMap, plugin_root: Option<&str>) -> Vec<Target> {
    let mut checked = Vec::new();
    for &target in Target::ALL {
        let mut levels = LintLevels::default();
        levels.set(Code::LossyLowering, Level::Allow);
        let mut c = Compilation::new(SourceMap::clone_files(&sources), levels);
        let plan = Plan {
            targets: vec![target],
            emit: Emit::Config,
            workspace: None,
            plugin_root: plugin_root.map(str::to_owned),
            ..Plan::default()
        };
        let files = c.build(&plan);
        let mut expected: Vec<ServerSpec> = c
            .unit
            .plugins
            .iter()
            .flat_map(|p| {
                p.servers_for(target)
                    .into_iter()
                    .map(move |s| target.backend().declared(p, &s, plugin_root))
            })
            .collect();
        let unit_has_servers = !expected.is_empty();
        let (_, diagnostics) = c.finish();
        if diagnostics
            .iter()
            .any(|d| d.severity == mcpc::diag::Severity::Error)
        {
            continue; // this case is not expressible for this target
        }
        if !unit_has_servers {
            continue;
        }
        let prefix = format!("{}/", target.name());
        let by_path: BTreeMap<String, String> = files
            .into_iter()
            .map(|f| {
                (
                    f.path.strip_prefix(&prefix).unwrap().to_owned(),
                    f.text().to_owned(),
                )
            })
            .collect();
        let mut read = target
            .backend()
            .read(&|p| by_path.get(p).cloned())
            .unwrap_or_else(|e| panic!("{label}: {target} cannot read its own output: {e}"));
        read.sort_by(|a, b| a.name.cmp(&b.name));
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            read, expected,
            "{label}: {target} read back differs from the declaration"
        );
        checked.push(target);
    }
    checked
}

#[test]
fn every_golden_ok_case_reads_back_as_declared() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ok");
    let mut per_target: BTreeMap<Target, usize> = BTreeMap::new();
    for entry in fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let args = fs::read_to_string(dir.join("args")).unwrap_or_default();
        if args.contains("--emit package") || args.contains("--workspace") {
            continue;
        }
        let root = args.contains("--plugin-root").then_some("/opt/acme-local");
        let mut map = sources(&dir);
        for sub in ["molecule", "hello"] {
            if dir.join(sub).is_dir() {
                for (_, f) in sources(&dir.join(sub)).files() {
                    map.add(SourceFile::new(f.name.clone(), f.text.clone()));
                }
            }
        }
        for target in check_roundtrip(&dir.display().to_string(), map, root) {
            *per_target.entry(target).or_insert(0) += 1;
        }
    }
    for &target in Target::ALL {
        let n = per_target.get(&target).copied().unwrap_or(0);
        assert!(n >= 3, "only {n} golden cases were read back for {target}");
    }
}

/// Generated declarations: every combination of six features, read back by
/// every target that can express it.
#[test]
fn generated_declarations_read_back_as_declared() {
    let mut per_target: BTreeMap<Target, Vec<u32>> = BTreeMap::new();
    for i in 0..64u32 {
        let bit = |n: u32| i & (1 << n) != 0;
        let mut server = String::new();
        if bit(0) {
            server.push_str("url = \"https://h.acme.dev/mcp\"\n");
            if bit(1) {
                server.push_str("headers { Authorization = \"Bearer ${secret.TOK}\" \"X-A\" = env.XA \"X-B\" = \"lit\" }\n");
            }
        } else {
            server.push_str("command = \"srv\"\nargs = [\"a\", \"--b\"]\n");
            if bit(1) {
                server.push_str("env { TOK = secret.TOK PLAIN = \"v\" }\n");
            }
        }
        if bit(2) {
            server.push_str("tools { deny = [\"rm\", \"drop\"] }\n");
        }
        if bit(3) {
            server.push_str("tool_timeout = 45s\n");
        }
        if bit(4) {
            server.push_str("enabled = false\n");
        }
        if bit(5) {
            server.push_str("startup_timeout = 2500ms\n");
        }
        let text = format!(
            "plugin \"gen\" {{\n version = \"1.0.0\"\n server \"s{i}\" {{\n{server}}}\n server \"t{i}\" {{ command = \"other\" }}\n}}\n"
        );
        let mut map = SourceMap::new();
        map.add(SourceFile::new(format!("gen{i}.mcpc"), text));
        for target in check_roundtrip(&format!("generated #{i}"), map, None) {
            per_target.entry(target).or_default().push(i);
        }
    }
    // What each target cannot express, as bits of the case number: none
    // for the first four; the others lack a deny-list (bit 2) except
    // Qwen and droid, a file-level disable (bit 4: Copilot, Amp), and
    // header references (bits 0 and 1 together: Auggie).
    for &target in Target::ALL {
        let lacks = |i: u32| {
            let deny = i & 4 != 0;
            let disabled = i & 16 != 0;
            let header_refs = i & 3 == 3;
            let remote = i & 1 != 0;
            let refs = i & 2 != 0;
            match target.name() {
                "opencode" => deny,
                "copilot" | "amp" => deny || disabled,
                "auggie" => deny || header_refs,
                // The editors and desktop apps (docs/targets.md): Zed,
                // Claude Desktop and Antigravity have no env reference
                // (bit 1); Claude Desktop has no remote servers (bit 0).
                "cursor" | "vscode" => deny || disabled,
                "zed" => refs || deny,
                "antigravity" => refs || deny || disabled,
                "claude-desktop" => remote || refs || deny || disabled,
                // Goose has an allow-list only (`available_tools`).
                "goose" => deny,
                _ => false,
            }
        };
        let expected: Vec<u32> = (0..64).filter(|&i| !lacks(i)).collect();
        assert_eq!(
            per_target.get(&target).cloned().unwrap_or_default(),
            expected,
            "{target}: the generated cases read back are not the ones it can express"
        );
    }
}

/// `import` is the inverse of `build`: importing what a backend emitted and
/// building that again gives a file with the same servers.
#[test]
fn import_of_emit_reads_back_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/ok");
    let mut checked = 0;
    for case in [
        "every-feature",
        "target-overrides",
        "sse-and-defaults",
        "examples",
    ] {
        let dir = root.join(case);
        let mut map = sources(&dir);
        for sub in ["molecule", "hello"] {
            if dir.join(sub).is_dir() {
                for (_, f) in sources(&dir.join(sub)).files() {
                    map.add(SourceFile::new(f.name.clone(), f.text.clone()));
                }
            }
        }
        for &target in Target::ALL {
            let Some(first) = build_and_read(SourceMap::clone_files(&map), target) else {
                continue;
            };
            let imported = mcpc::import::to_source("imported", target, "x", &first);
            let mut again = SourceMap::new();
            again.add(SourceFile::new("imported.mcpc", imported.text.clone()));
            let second = build_and_read(again, target).unwrap_or_else(|| {
                panic!(
                    "{case}/{target}: the imported source does not build:\n{}",
                    imported.text
                )
            });
            assert_eq!(
                second, first,
                "{case}/{target}: import(emit(x)) differs\n{}",
                imported.text
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "{checked}");
}

/// Builds for one target and reads the output back; `None` if the target
/// cannot express the input.
fn build_and_read(sources: SourceMap, target: Target) -> Option<Vec<ServerSpec>> {
    let mut levels = LintLevels::default();
    levels.set(Code::LossyLowering, Level::Allow);
    let mut c = Compilation::new(sources, levels);
    let files = c.build(&Plan {
        targets: vec![target],
        ..Plan::default()
    });
    let (_, diagnostics) = c.finish();
    if diagnostics
        .iter()
        .any(|d| d.severity == mcpc::diag::Severity::Error)
    {
        return None;
    }
    let prefix = format!("{}/", target.name());
    let by_path: BTreeMap<String, String> = files
        .into_iter()
        .map(|f| {
            (
                f.path.strip_prefix(&prefix).unwrap().to_owned(),
                f.text().to_owned(),
            )
        })
        .collect();
    if by_path.is_empty() {
        return None; // no plugin is built for this target
    }
    let mut specs = target.backend().read(&|p| by_path.get(p).cloned()).unwrap();
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    Some(specs)
}
