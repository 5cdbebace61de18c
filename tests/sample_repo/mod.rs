//! A sample repository for the CI integrations (tests/precommit.rs,
//! tests/action.rs): a git repository in a temporary directory holding one
//! declaration and the files `mcpc build --target all` made from it, as a
//! project that commits its generated configuration would.

#![allow(dead_code)] // each test uses a part of it

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const DECLARATION: &str = r#"plugin "sample" {
  version = "1.0.0"

  server "files" {
    command = "npx"
    args    = ["-y", "@modelcontextprotocol/server-filesystem@2026.1.14", "."]
  }
}
"#;

/// The same file with a misspelt attribute.
pub const BROKEN: &str = r#"plugin "sample" {
  version = "1.0.0"

  server "files" {
    comand = "npx"
  }
}
"#;

pub struct Repo {
    pub dir: PathBuf,
}

impl Repo {
    /// `git init`, the declaration at `plugin.mcpc`, `mcpc build --target
    /// all` into `mcpc-out/`, all committed.
    pub fn new(name: &str) -> Repo {
        let dir = std::env::temp_dir().join(format!("mcpc-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("plugin.mcpc", DECLARATION);
        let built = repo.mcpc(&["build", "--target", "all"]);
        assert!(built.status.success(), "{}", text(&built));
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "sample"]);
        repo
    }

    pub fn write(&self, path: &str, content: &str) {
        fs::write(self.dir.join(path), content).unwrap();
    }

    pub fn read(&self, path: &str) -> String {
        fs::read_to_string(self.dir.join(path)).unwrap()
    }

    pub fn git(&self, args: &[&str]) {
        let o = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", text(&o));
    }

    pub fn mcpc(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_mcpc"))
            .args(args)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// PATH with the directory of the `mcpc` under test first.
pub fn path_with_mcpc() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_mcpc")).parent().unwrap();
    let rest = std::env::var("PATH").unwrap_or_default();
    format!("{}:{rest}", bin.display())
}

/// Standard output and error, for assertion messages and matching.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
