//! The packages agree with the crate: the crate holds only what building
//! and reading it needs (`cargo package --list`), and the PyPI and npm
//! packages carry the crate's version and the same platform list in every
//! place that names one (scripts/dist.sh builds them; scripts/dist-check.sh,
//! run by .ci/run, installs them without a Rust toolchain).

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_crate_holds_only_what_it_needs() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--quiet"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let top = [
        ".cargo_vcs_info.json",
        "ARCHITECTURE.md",
        "Cargo.lock",
        "Cargo.toml",
        "Cargo.toml.orig",
        "LICENSE",
        "README.md",
        "build.rs",
        "build/link-order.txt",
        "docs/language.md",
        "grammar/mcpc.pest",
    ];
    for file in &files {
        let needed = top.contains(&file.as_str())
            || file.starts_with("src/")
            || (file.starts_with("examples/") && file.ends_with(".mcpc"));
        assert!(needed, "`cargo package` would ship {file}");
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "build/link-order.txt",
        "LICENSE",
        "README.md",
        "grammar/mcpc.pest",
        "src/main.rs",
        "src/diag/explain/lossy-lowering.md",
        "examples/hello/hello.mcpc",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "`cargo package` leaves out {needed}: {files:?}"
        );
    }
}

fn crate_version() -> String {
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    manifest["package"]["version"].as_str().unwrap().to_owned()
}

#[test]
fn the_wheel_is_mcpc_compiler_with_the_crate_version_and_the_mcpc_command() {
    let pyproject: toml::Table = read("pyproject.toml").parse().unwrap();
    let project = &pyproject["project"];
    // `mcpc` on PyPI is an unrelated project.
    assert_eq!(project["name"].as_str(), Some("mcpc-compiler"));
    // maturin takes the version from Cargo.toml.
    assert_eq!(
        project["dynamic"].as_array().unwrap(),
        &vec![toml::Value::from("version")]
    );
    assert!(project.get("version").is_none());
    assert_eq!(
        pyproject["tool"]["maturin"]["bindings"].as_str(),
        Some("bin")
    );
    assert_eq!(
        pyproject["build-system"]["build-backend"].as_str(),
        Some("maturin")
    );
}

/// The per-platform npm packages: `mcpc-compiler-<platform>`.
const PLATFORMS: [&str; 6] = [
    "linux-x64-gnu",
    "linux-arm64-gnu",
    "linux-x64-musl",
    "darwin-x64",
    "darwin-arm64",
    "win32-x64-msvc",
];

#[test]
fn the_npm_launcher_names_every_platform_package_at_the_crate_version() {
    let launcher: Value = serde_json::from_str(&read("npm/mcpc-compiler/package.json")).unwrap();
    let version = crate_version();
    assert_eq!(launcher["name"], "mcpc-compiler");
    assert_eq!(launcher["version"], version.as_str());
    // One bin, so `npx mcpc-compiler …` runs it.
    let bin = launcher["bin"].as_object().unwrap();
    assert_eq!(bin.keys().collect::<Vec<_>>(), ["mcpc"]);
    assert_eq!(bin["mcpc"], "bin/mcpc.js");
    // No install scripts: nothing is downloaded at install time.
    assert!(launcher.get("scripts").is_none(), "{launcher}");

    let optional = launcher["optionalDependencies"].as_object().unwrap();
    let names: Vec<String> = PLATFORMS
        .iter()
        .map(|p| format!("mcpc-compiler-{p}"))
        .collect();
    assert_eq!(optional.keys().cloned().collect::<Vec<_>>(), names);
    for (name, wanted) in optional {
        assert_eq!(wanted, version.as_str(), "{name}");
    }

    // The launcher looks each one up, and scripts/dist.sh can build each.
    let js = read("npm/mcpc-compiler/bin/mcpc.js");
    let dist = read("scripts/dist.sh");
    for platform in PLATFORMS {
        assert!(
            js.contains(&format!("\"mcpc-compiler-{platform}\"")),
            "bin/mcpc.js does not look up mcpc-compiler-{platform}"
        );
        assert!(
            dist.contains(&format!(" platform={platform} ")),
            "scripts/dist.sh builds no mcpc-compiler-{platform}"
        );
    }
}

#[test]
fn the_release_builds_every_platform_with_scripts_dist_sh() {
    let workflow: serde_norway::Value =
        serde_norway::from_str(&read(".github/workflows/release.yml")).unwrap();
    let dist = read("scripts/dist.sh");
    let job = &workflow["jobs"]["dist"];
    let targets: Vec<&str> = job["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|entry| entry["target"].as_str().unwrap())
        .collect();
    // Each of the six npm platforms, through dist.sh's own table.
    let mut platforms: Vec<&str> = targets
        .iter()
        .map(|target| {
            let line = dist
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{target})")))
                .unwrap_or_else(|| panic!("scripts/dist.sh cannot build {target}"));
            let platform = line.split("platform=").nth(1).unwrap();
            platform.split_whitespace().next().unwrap()
        })
        .collect();
    platforms.sort_unstable();
    let mut all = PLATFORMS.to_vec();
    all.sort_unstable();
    assert_eq!(platforms, all);
    let steps = job["steps"].as_sequence().unwrap();
    let runs: Vec<&str> = steps
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect();
    let dist_at = runs
        .iter()
        .position(|r| *r == "scripts/dist.sh \"$TARGET\"")
        .unwrap_or_else(|| panic!("the release does not build with scripts/dist.sh: {runs:?}"));
    // With the compiler the link order was made for, named in its file.
    let pinned = runs
        .iter()
        .position(|r| r.contains("build/link-order.rustc") && r.contains("rustup default"))
        .unwrap_or_else(|| panic!("the release does not use the link order's compiler: {runs:?}"));
    let target_at = runs
        .iter()
        .position(|r| r.starts_with("rustup target add"))
        .expect("the release adds each platform's target");
    assert!(
        pinned < target_at && pinned < dist_at,
        "the compiler is chosen after the target is added or the build"
    );
    let step = steps
        .iter()
        .find(|step| step["run"].as_str() == Some(runs[pinned]))
        .unwrap();
    assert!(
        step.get("if").is_none(),
        "the compiler is not every platform's"
    );
    let made_with = read("build/link-order.rustc");
    let version = made_with
        .strip_prefix("rustc ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    assert!(
        !version.is_empty() && version.split('.').all(|n| n.parse::<u32>().is_ok()),
        "build/link-order.rustc names no compiler version: {made_with:?}"
    );
}
