//! `mcpc lsp` driven by a real client: Neovim's built-in LSP client, headless,
//! running `tests/nvim/session.lua`; and the README's Neovim line, run as
//! written. Needs `nvim` (Debian's `neovim`); under
//! `CI=true` its absence fails the test, elsewhere it is skipped with a note.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

/// Whether `nvim` runs; under `CI=true` it must.
fn have_nvim() -> bool {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nvim is not installed (CI must install the Debian package `neovim`)"
        );
        eprintln!("skipped: nvim is not installed");
        return false;
    }
    true
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mcpc-nvim-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    fs::canonicalize(&dir).unwrap()
}

const WORKSPACE: &str = "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tols\"]\n}\n";

#[test]
fn neovim_session() {
    if !have_nvim() {
        return;
    }
    let dir = scratch("session");
    let a = concat!(
        "plugin \"acme-tools\" {\n",
        "  version = \"1.0.0\"\n",
        "  server \"docs\" {\n",
        "    url       = \"https://docs.acme.dev/sse\"\n",
        "    transport = sse\n",
        "  }\n",
        "  server \"files\" {\n",
        "    command = \"npx\"\n",
        "    args    = [\"-y\", \"@acme/files@^2.1.0\"]\n",
        "    env { FILES_TOKEN = \"ghp_0123456789abcdefghijABCD\" }\n",
        "  }\n",
        "}\n",
    );
    fs::write(dir.join("a.mcpc"), a).unwrap();
    fs::write(dir.join("b.mcpc"), WORKSPACE).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvim/session.lua");
    let out = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {script}"))
        .env("MCPC_DIR", &dir)
        .env("MCPC_BIN", env!("CARGO_BIN_EXE_mcpc"))
        .env("HOME", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("nvim session: ok"),
        "nvim failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The session edited buffers only: the files are as written.
    assert!(
        fs::read_to_string(dir.join("b.mcpc"))
            .unwrap()
            .contains("acme-tols")
    );
    assert_eq!(fs::read_to_string(dir.join("a.mcpc")).unwrap(), a);
    let _ = fs::remove_dir_all(&dir);
}

/// The README's Neovim line, as written (with `mcpc` on `PATH`), opens a
/// `.mcpc` file with the server attached and its diagnostics shown.
#[test]
fn the_readme_neovim_line_works() {
    if !have_nvim() {
        return;
    }
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.starts_with("nvim --cmd"))
        .expect("the README has a Neovim line");
    let command = &line[..line.rfind('\'').unwrap() + 1];
    let dir = scratch("readme");
    fs::write(
        dir.join("a.mcpc"),
        "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"docs\" { url = \"https://docs.acme.dev/mcp\" }\n}\n",
    )
    .unwrap();
    fs::write(dir.join("b.mcpc"), WORKSPACE).unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mcpc"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvim/readme.lua");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "{command} --headless -n b.mcpc -c 'luafile {script}'"
        ))
        .current_dir(&dir)
        .env("PATH", path)
        .env("HOME", &dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("readme line: ok"),
        "{command}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = fs::remove_dir_all(&dir);
}
