//! The registry of diagnostic codes: one table, one place.
//!
//! Every diagnostic mcpc can report has a code here, with its kind (an
//! error that is never silenced, or a lint with a default level) and the page
//! `mcpc explain CODE` prints, kept in `src/diag/explain/<code>.md`.

use std::fmt;

/// What a lint does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// An error is always reported as an error; a lint has a level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Error,
    Lint(Level),
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $kind:expr;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name users and scripts see.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub fn kind(self) -> Kind {
                use Kind::*;
                use Level::*;
                match self { $(Code::$variant => $kind,)* }
            }

            /// The page printed by `mcpc explain`.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!("explain/", $name, ".md")),)*
                }
            }
        }
    };
}

codes! {
    SyntaxError = "syntax-error", Error;
    NestingTooDeep = "nesting-too-deep", Error;
    InternalFormatError = "internal-format-error", Error;
    UnknownBlock = "unknown-block", Error;
    UnknownAttribute = "unknown-attribute", Error;
    DuplicateAttribute = "duplicate-attribute", Error;
    TypeMismatch = "type-mismatch", Error;
    InvalidValue = "invalid-value", Error;
    MissingAttribute = "missing-attribute", Error;
    ConflictingAttributes = "conflicting-attributes", Error;
    DuplicatePlugin = "duplicate-plugin", Error;
    DuplicateWorkspace = "duplicate-workspace", Error;
    DuplicatePolicy = "duplicate-policy", Error;
    DuplicateServer = "duplicate-server", Error;
    ServerNameCollision = "server-name-collision", Error;
    RedundantServerList = "redundant-server-list", Error;
    UnknownPlugin = "unknown-plugin", Error;
    UnknownServer = "unknown-server", Error;
    UnknownTarget = "unknown-target", Error;
    UnknownReference = "unknown-reference", Error;
    InvalidServerName = "invalid-server-name", Error;
    PlatformScope = "platform-scope", Error;
    UnsupportedFeature = "unsupported-feature", Error;
    AmbiguousFormat = "ambiguous-format", Error;
    OutsideRoot = "outside-root", Error;
    LockMissing = "lock-missing", Error;
    LockMismatch = "lock-mismatch", Error;
    LockDigestMismatch = "lock-digest-mismatch", Error;
    RegistryUnreachable = "registry-unreachable", Error;
    RegistryTimeout = "registry-timeout", Error;
    RegistryHttpError = "registry-http-error", Error;
    RegistryVersionNotFound = "registry-version-not-found", Error;
    RegistryNotJson = "registry-not-json", Error;
    RegistryInvalidEntry = "registry-invalid-entry", Error;
    RegistryRedirect = "registry-redirect", Error;
    RegistryNotCached = "registry-not-cached", Error;
    PlaintextSecret = "plaintext-secret", Lint(Deny);
    UnpinnedPackage = "unpinned-package", Lint(Warn);
    InsecureUrl = "insecure-url", Lint(Deny);
    SecretInArgs = "secret-in-args", Lint(Warn);
    NonPortableName = "non-portable-name", Lint(Warn);
    ToolNameTooLong = "tool-name-too-long", Lint(Warn);
    LossyLowering = "lossy-lowering", Lint(Warn);
    DuplicateLaunch = "duplicate-launch", Lint(Warn);
    MissingToolFilter = "missing-tool-filter", Lint(Allow);
    EmptyPlugin = "empty-plugin", Lint(Warn);
    CommandNotAllowed = "command-not-allowed", Lint(Deny);
    HostNotAllowed = "host-not-allowed", Lint(Deny);
    TransportNotAllowed = "transport-not-allowed", Lint(Deny);
}

impl Code {
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.name() == name)
    }

    pub fn is_lint(self) -> bool {
        matches!(self.kind(), Kind::Lint(_))
    }

    /// The names of every lint, for suggestions.
    pub fn lint_names() -> impl Iterator<Item = &'static str> {
        Code::ALL.iter().filter(|c| c.is_lint()).map(|c| c.name())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        let mut seen = BTreeSet::new();
        for &code in Code::ALL {
            assert!(seen.insert(code.name()), "duplicate code {code}");
            assert!(
                code.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{code} is not kebab-case"
            );
            assert_eq!(Code::from_name(code.name()), Some(code));
        }
    }

    #[test]
    fn every_code_has_an_explanation_titled_with_its_name() {
        for &code in Code::ALL {
            let page = code.explanation();
            assert!(
                page.starts_with(&format!("# {}\n", code.name())),
                "explain page of {code} must start with its title"
            );
            assert!(page.contains("## Example"), "{code} page has no example");
        }
    }

    #[test]
    fn the_registry_is_the_documented_list() {
        let names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        let expected = include_str!("../../tests/codes.txt");
        assert_eq!(names.join("\n") + "\n", expected);
    }
}
