//! docs/cookbook.md is built by the suite: every `mcpc` block compiles for
//! every target with no error, and the CI recipes run on the monorepo
//! recipe's project and pass (then fail once the project drifts).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The recipes: (heading, blocks as (language, text)).
fn recipes() -> Vec<(String, Vec<(String, String)>)> {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cookbook.md")).unwrap();
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut block: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some((lang, body)) = &mut block {
            if line == "```" {
                let done = (lang.clone(), std::mem::take(body));
                out.last_mut()
                    .expect("a block under a heading")
                    .1
                    .push(done);
                block = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if let Some(heading) = line.strip_prefix("## ") {
            out.push((heading.to_owned(), Vec::new()));
        } else if let Some(lang) = line.strip_prefix("```") {
            block = Some((lang.to_owned(), String::new()));
        }
    }
    out
}

fn mcpc(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcpc"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CODEX_HOME")
        .env_remove("HERMES_HOME")
        .output()
        .unwrap();
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), all)
}

/// Writes a recipe's `mcpc` blocks into a directory of its own.
fn project(n: usize, blocks: &[(String, String)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcpc-cookbook-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    for (i, (_, text)) in blocks.iter().filter(|(l, _)| l == "mcpc").enumerate() {
        let path = match text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// file: "))
        {
            Some(path) => dir.join(path),
            None => dir.join(format!("recipe-{i}.mcpc")),
        };
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn every_recipe_builds_for_every_target() {
    let mut built = 0;
    for (n, (heading, blocks)) in recipes().iter().enumerate() {
        if !blocks.iter().any(|(l, _)| l == "mcpc") {
            continue;
        }
        let dir = project(n, blocks);
        let (code, out) = mcpc(&dir, &["build", ".", "--target", "all", "--out", "out"]);
        assert_eq!(code, Some(0), "recipe `{heading}` does not build:\n{out}");
        assert!(out.contains(" 0 errors"), "recipe `{heading}`:\n{out}");
        let _ = fs::remove_dir_all(&dir);
        built += 1;
    }
    assert!(built >= 6, "only {built} recipes with mcpc blocks");
}

#[test]
fn the_ci_recipes_pass_on_the_monorepo_and_catch_drift() {
    let recipes = recipes();
    let (n, (_, monorepo)) = recipes
        .iter()
        .enumerate()
        .find(|(_, (h, _))| h.starts_with("A monorepo"))
        .expect("the monorepo recipe");
    let (_, ci) = recipes
        .iter()
        .find(|(h, _)| h.starts_with("CI recipes"))
        .expect("the CI recipes");
    let commands: Vec<Vec<String>> = ci
        .iter()
        .filter(|(l, _)| l == "sh")
        .flat_map(|(_, text)| text.lines().map(str::to_owned).collect::<Vec<_>>())
        .map(|l| {
            l.split('#')
                .next()
                .unwrap()
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .filter(|words: &Vec<String>| words.first().is_some_and(|w| w == "mcpc"))
        .collect();
    assert!(commands.len() >= 3, "{commands:?}");
    let dir = project(n + 100, monorepo);
    // The state a team commits: formatted source, build output, applied files.
    mcpc(&dir, &["fmt", "."]);
    let (code, out) = mcpc(
        &dir,
        &["build", ".", "--target", "all", "--out", "mcpc-out"],
    );
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = mcpc(&dir, &["apply", ".", "--target", "codex,hermes"]);
    assert_eq!(code, Some(0), "{out}");
    for words in &commands {
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let (code, out) = mcpc(&dir, &args);
        assert_eq!(
            code,
            Some(0),
            "`{}` fails on a clean project:\n{out}",
            words.join(" ")
        );
    }
    // Drift: a plugin changes and nothing is rebuilt or applied.
    let seo = dir.join("plugins/seo.mcpc");
    let text = fs::read_to_string(&seo).unwrap().replace("0.3.1", "0.3.2");
    fs::write(&seo, text).unwrap();
    for words in commands
        .iter()
        .filter(|w| w.iter().any(|a| a == "--check") && w[1] != "fmt")
    {
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let (code, out) = mcpc(&dir, &args);
        assert_eq!(
            code,
            Some(1),
            "`{}` misses the drift:\n{out}",
            words.join(" ")
        );
        assert!(
            out.contains("seo-mcp==0.3.2"),
            "no diff from `{}`:\n{out}",
            words.join(" ")
        );
    }
    let _ = fs::remove_dir_all(&dir);
}
