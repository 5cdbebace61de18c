//! The runtimes mcpc compiles for, by name. What each one can express lives
//! in its backend (`backends::Target::backend`); this module only names
//! them, so the IR can refer to targets without depending on the backends.

use std::fmt;

/// The runtimes mcpc compiles for. Adding one is one variant here, one
/// module in `backends/` and one arm in `Target::backend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Target {
    #[value(name = "claude-code")]
    ClaudeCode,
    Codex,
    Hermes,
    Gemini,
    Opencode,
    Qwen,
    Copilot,
    Droid,
    Amp,
    Auggie,
    Cursor,
    Vscode,
    Windsurf,
    Zed,
    #[value(name = "claude-desktop")]
    ClaudeDesktop,
    Kiro,
    Antigravity,
    Crush,
    Goose,
}

impl Target {
    pub const ALL: &'static [Target] = &[
        Target::ClaudeCode,
        Target::Codex,
        Target::Hermes,
        Target::Gemini,
        Target::Opencode,
        Target::Qwen,
        Target::Copilot,
        Target::Droid,
        Target::Amp,
        Target::Auggie,
        Target::Cursor,
        Target::Vscode,
        Target::Windsurf,
        Target::Zed,
        Target::ClaudeDesktop,
        Target::Kiro,
        Target::Antigravity,
        Target::Crush,
        Target::Goose,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::ClaudeCode => "claude-code",
            Target::Codex => "codex",
            Target::Hermes => "hermes",
            Target::Gemini => "gemini",
            Target::Opencode => "opencode",
            Target::Qwen => "qwen",
            Target::Copilot => "copilot",
            Target::Droid => "droid",
            Target::Amp => "amp",
            Target::Auggie => "auggie",
            Target::Cursor => "cursor",
            Target::Vscode => "vscode",
            Target::Windsurf => "windsurf",
            Target::Zed => "zed",
            Target::ClaudeDesktop => "claude-desktop",
            Target::Kiro => "kiro",
            Target::Antigravity => "antigravity",
            Target::Crush => "crush",
            Target::Goose => "goose",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
