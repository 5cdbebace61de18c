//! `action.yml`, the composite GitHub Action, as far as it runs off GitHub:
//! read with a real YAML parser, each step's `if:` decided and its `env`
//! expanded from the inputs as the runner would, and its bash script run on
//! a sample repository with the mcpc under test on PATH. The install step
//! is skipped the documented way (`version: none`); installing the npm
//! package itself is scripts/dist-check.sh's job.

mod sample_repo;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use sample_repo::{BROKEN, DECLARATION, Repo, path_with_mcpc, text};
use serde_norway::Value;

fn action() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The value of `${{ inputs.NAME }}` (or a literal) for these inputs.
fn expand(template: &str, inputs: &BTreeMap<String, String>) -> String {
    if template.starts_with("${{ github.") {
        return String::new(); // not on a runner: no github context
    }
    let Some(rest) = template.strip_prefix("${{ inputs.") else {
        assert!(
            !template.contains("${{"),
            "unsupported expression {template}"
        );
        return template.to_owned();
    };
    let name = rest.strip_suffix(" }}").expect(template);
    inputs
        .get(name)
        .unwrap_or_else(|| panic!("no input {name}"))
        .clone()
}

/// `inputs.X == 'v'` and `inputs.X != 'v'`, joined by `&&`: the only
/// conditions the action uses.
fn decide(condition: &str, inputs: &BTreeMap<String, String>) -> bool {
    condition.split(" && ").all(|term| {
        let (name, equal, value) = if let Some((l, r)) = term.split_once(" != ") {
            (l, false, r)
        } else {
            let (l, r) = term.split_once(" == ").expect(term);
            (l, true, r)
        };
        let name = name.strip_prefix("inputs.").expect(term);
        let value = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .expect(term);
        (inputs[name] == value) == equal
    })
}

struct Step {
    name: String,
    out: Output,
}

/// Runs the action's steps in `repo` until one fails, like the runner.
fn run_action(repo: &Repo, overrides: &[(&str, &str)]) -> Vec<Step> {
    let action = action();
    let mut inputs = BTreeMap::new();
    for (name, spec) in action["inputs"].as_mapping().unwrap() {
        let default = spec["default"].as_str().unwrap_or_default();
        inputs.insert(name.as_str().unwrap().to_owned(), default.to_owned());
    }
    for (name, value) in overrides {
        assert!(inputs.contains_key(*name), "no input {name}");
        inputs.insert(name.to_string(), value.to_string());
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut ran = Vec::new();
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        if let Some(condition) = step["if"].as_str()
            && !decide(condition, &inputs)
        {
            continue;
        }
        assert_eq!(step["shell"].as_str(), Some("bash"));
        let script = step["run"].as_str().unwrap();
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .current_dir(&repo.dir)
            .env("PATH", path_with_mcpc())
            .env("GITHUB_ACTIONS", "true")
            .env("NO_COLOR", "1");
        if let Some(env) = step["env"].as_mapping() {
            for (key, value) in env {
                cmd.env(
                    key.as_str().unwrap(),
                    expand(value.as_str().unwrap(), &inputs),
                );
            }
        }
        let out = cmd.output().unwrap();
        let failed = !out.status.success();
        ran.push(Step {
            name: step["name"].as_str().unwrap().to_owned(),
            out,
        });
        if failed {
            break;
        }
    }
    ran
}

#[test]
fn inputs_reach_scripts_only_through_env_and_the_version_is_the_crates() {
    let action = action();
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        let script = step["run"].as_str().unwrap();
        assert!(!script.contains("${{"), "expression in a script: {script}");
    }
    for (name, spec) in action["inputs"].as_mapping().unwrap() {
        assert!(spec["description"].as_str().is_some(), "{name:?}");
    }
    assert_eq!(
        action["inputs"]["version"]["default"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn version_and_source_choose_one_install_step_or_none() {
    let action = action();
    let installs = |overrides: &[(&str, &str)]| -> Vec<String> {
        let mut inputs = BTreeMap::new();
        for (name, spec) in action["inputs"].as_mapping().unwrap() {
            let value = spec["default"].as_str().unwrap_or_default();
            inputs.insert(name.as_str().unwrap().to_owned(), value.to_owned());
        }
        for (name, value) in overrides {
            inputs.insert(name.to_string(), value.to_string());
        }
        let steps = action["runs"]["steps"].as_sequence().unwrap();
        steps
            .iter()
            .filter(|s| s["name"].as_str().unwrap().starts_with("Install"))
            .filter(|s| s["if"].as_str().is_none_or(|c| decide(c, &inputs)))
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(installs(&[]), ["Install mcpc (npm)"]);
    assert_eq!(
        installs(&[("source", "release")]),
        ["Install mcpc (release archive)"]
    );
    assert!(installs(&[("version", "none")]).is_empty());
    assert!(installs(&[("version", "none"), ("source", "release")]).is_empty());
}

#[test]
fn a_clean_repository_passes_both_gates() {
    let repo = Repo::new("action-clean");
    let steps = run_action(&repo, &[("version", "none")]);
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["mcpc check", "mcpc build --check"]);
    for step in &steps {
        assert!(
            step.out.status.success(),
            "{}: {}",
            step.name,
            text(&step.out)
        );
    }
}

#[test]
fn a_broken_declaration_is_an_error_annotation_on_its_line() {
    let repo = Repo::new("action-broken");
    repo.write("plugin.mcpc", BROKEN);
    let steps = run_action(&repo, &[("version", "none")]);
    assert_eq!(steps.len(), 1, "the build step ran after a failed check");
    let check = &steps[0];
    assert_eq!(check.out.status.code(), Some(1), "{}", text(&check.out));
    let stdout = String::from_utf8_lossy(&check.out.stdout);
    let annotation = stdout
        .lines()
        .find(|l| l.contains("title=unknown-attribute::"))
        .unwrap_or_else(|| panic!("no annotation:\n{stdout}"));
    assert!(
        annotation.starts_with("::error file=plugin.mcpc,line=5,col=5,endLine=5,endColumn=11,"),
        "{annotation}"
    );
    assert!(
        annotation.contains("did you mean `command`?"),
        "{annotation}"
    );
}

#[test]
fn stale_generated_files_fail_the_build_check_with_the_diff() {
    let repo = Repo::new("action-stale");
    repo.write("plugin.mcpc", &DECLARATION.replace("\".\"]", "\"docs\"]"));
    let steps = run_action(&repo, &[("version", "none"), ("check", "false")]);
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["mcpc build --check"]);
    let out = text(&steps[0].out);
    assert_eq!(steps[0].out.status.code(), Some(1), "{out}");
    assert!(out.contains("--- a/codex/.codex/config.toml"), "{out}");
    assert!(
        out.contains(
            "+args = [\"-y\", \"@modelcontextprotocol/server-filesystem@2026.1.14\", \"docs\"]"
        ),
        "{out}"
    );

    // Limited to one target and another out directory: that one is stale.
    let steps = run_action(
        &repo,
        &[
            ("version", "none"),
            ("check", "false"),
            ("target", "gemini"),
            ("out", "elsewhere"),
        ],
    );
    let out = text(&steps[0].out);
    assert_eq!(steps[0].out.status.code(), Some(1), "{out}");
    assert!(out.contains("+++ b/gemini/.gemini/settings.json"), "{out}");
    assert!(!out.contains("codex"), "{out}");
}
