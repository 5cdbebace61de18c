//! `mcpc lsp` driven by a real client: Neovim's built-in LSP client, headless,
//! running `tests/nvim/session.lua`. Needs `nvim` (Debian's `neovim`); under
//! `CI=true` its absence fails the test, elsewhere it is skipped with a note.

use std::fs;
use std::process::Command;

#[test]
fn neovim_session() {
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "nvim is not installed (CI must install the Debian package `neovim`)"
        );
        eprintln!("skipped: nvim is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("mcpc-nvim-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let dir = fs::canonicalize(&dir).unwrap();
    fs::write(
        dir.join("a.mcpc"),
        "plugin \"acme-tools\" {\n  version = \"1.0.0\"\n  server \"docs\" { url = \"https://docs.acme.dev/mcp\" }\n}\n",
    )
    .unwrap();
    fs::write(
        dir.join("b.mcpc"),
        "workspace \"dev\" {\n  runtime = codex\n  plugins = [\"acme-tols\"]\n}\n",
    )
    .unwrap();
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
    let _ = fs::remove_dir_all(&dir);
}
