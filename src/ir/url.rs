//! Server URLs: scheme and host as a WHATWG URL parser (the `url` crate,
//! what Node and the Rust HTTP clients use) reads them, and whether the host
//! is loopback.
//!
//! Text where parsers could disagree about the host is refused outright:
//! backslashes (WHATWG reads `\` as `/`, others as part of the userinfo),
//! control characters and whitespace, and userinfo (`user@`), which also
//! puts a credential in plain text.

#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts {
    pub scheme: String,
    /// Lowercase, IDNA-mapped; IPv6 without brackets.
    pub host: String,
}

/// Parses `scheme://host[:port][/path]`; `Err` says what is wrong.
pub fn parse(text: &str) -> Result<UrlParts, &'static str> {
    let (scheme, rest) = text.split_once("://").ok_or("it has no `scheme://`")?;
    if scheme != "http" && scheme != "https" {
        return Err("the scheme must be `https` (or `http` on a loopback host)");
    }
    if text.contains('\\') {
        return Err("it contains a backslash, which URL parsers read differently");
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("it contains whitespace or a control character");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err("it has no host");
    }
    if authority.contains('@') {
        return Err(
            "it contains user information (`user@`); send credentials in a header from a secret",
        );
    }
    let parsed = url::Url::parse(text).map_err(|e| match e {
        url::ParseError::EmptyHost => "it has no host",
        url::ParseError::InvalidPort => "its port is not a number from 0 to 65535",
        url::ParseError::InvalidIpv6Address => "its IPv6 host is not valid",
        url::ParseError::InvalidIpv4Address => "its IPv4 host is not valid",
        _ => "it is not a valid URL",
    })?;
    let host = match parsed.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        None => return Err("it has no host"),
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    Ok(UrlParts {
        scheme: parsed.scheme().to_owned(),
        host,
    })
}

/// Scheme and host of a URL value, when its literal text fixes both (a
/// reference may follow the host, not stand in it).
pub fn known_scheme_and_host(url: &crate::ir::Str) -> Option<(String, String)> {
    let prefix = url.literal_prefix();
    let rest = prefix.split_once("://")?.1;
    let complete = url.as_literal().is_some() || rest.contains(['/', ':', '?', '#']);
    if !complete {
        return None;
    }
    // The authority alone: whatever the reference stands in for comes after it.
    let end = prefix.len() - rest.len() + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let parts = parse(&prefix[..end]).ok()?;
    Some((parts.scheme, parts.host))
}

/// `text` with the user information of its authority written `***`, if
/// it has any (`https://***@host/…`).
pub fn without_userinfo(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    Some(format!("{scheme}://***{}", &rest[at..]))
}

pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

/// `*.acme.dev` matches every subdomain of `acme.dev`; other patterns
/// match the host exactly (case-insensitively).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        Some(domain) => host.ends_with(&format!(".{domain}")),
        None => host == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_scheme_and_host() {
        let u = parse("https://Docs.Acme.dev:8443/mcp?x=1").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str()),
            ("https", "docs.acme.dev")
        );
        assert_eq!(parse("http://[::1]:80/").unwrap().host, "::1");
        assert!(parse("docs.acme.dev/mcp").is_err());
        assert!(parse("ftp://x").is_err());
        assert!(parse("https:///mcp").is_err());
    }

    /// The reproducer of issue #15 (4): the host is the one a WHATWG parser
    /// connects to, and text where parsers disagree is refused.
    #[test]
    fn refuses_what_parsers_read_differently() {
        let err = parse("https://evil.example\\@docs.molecule.ai/mcp").unwrap_err();
        assert!(err.contains("backslash"), "{err}");
        assert!(
            parse("https://user@docs.molecule.ai/mcp")
                .unwrap_err()
                .contains("user information")
        );
        assert!(parse("https://deploy:pw@host/mcp").is_err());
        assert!(parse("https://docs.molecule.ai\t/mcp").is_err());
        assert!(parse("https://docs.molecule.ai\u{0}.evil/mcp").is_err());
        // A query may hold `@`: it is not userinfo.
        assert_eq!(parse("https://a.dev/mcp?u=x@y").unwrap().host, "a.dev");
        // Percent-encoded and IDNA hosts come out as the parser reads them.
        assert_eq!(parse("https://0x7f.1/").unwrap().host, "127.0.0.1");
    }

    #[test]
    fn host_patterns() {
        assert!(host_matches("*.molecule.ai", "docs.molecule.ai"));
        assert!(!host_matches("*.molecule.ai", "molecule.ai.evil.com"));
        assert!(host_matches("localhost", "LOCALHOST"));
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && !is_loopback("10.0.0.1"));
    }
}
