//! The little of URLs that mcpc needs: scheme and host, and whether the host
//! is loopback.

#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
}

/// Splits `scheme://host[:port][/path]`; `Err` says what is wrong.
pub fn parse(text: &str) -> Result<UrlParts<'_>, &'static str> {
    let (scheme, rest) = text.split_once("://").ok_or("it has no `scheme://`")?;
    if scheme != "http" && scheme != "https" {
        return Err("the scheme must be `https` (or `http` on a loopback host)");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split_once(']')
            .map(|(h, _)| h)
            .ok_or("an IPv6 host lacks `]`")?
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if host.chars().any(|c| c.is_whitespace()) {
        return Err("the host contains whitespace");
    }
    Ok(UrlParts { scheme, host })
}

/// Scheme and host of a URL value, when its literal text fixes both (a
/// reference may follow the host, not stand in it).
pub fn known_scheme_and_host(url: &crate::ir::Str) -> Option<(String, String)> {
    let prefix = url.literal_prefix();
    let parts = parse(prefix).ok()?;
    let host_end = prefix.find(parts.host)? + parts.host.len();
    let complete =
        url.as_literal().is_some() || prefix[host_end..].starts_with(['/', ':', '?', '#']);
    complete.then(|| (parts.scheme.to_owned(), parts.host.to_ascii_lowercase()))
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
        let u = parse("https://user@docs.acme.dev:8443/mcp?x=1").unwrap();
        assert_eq!((u.scheme, u.host), ("https", "docs.acme.dev"));
        assert_eq!(parse("http://[::1]:80/").unwrap().host, "::1");
        assert!(parse("docs.acme.dev/mcp").is_err());
        assert!(parse("ftp://x").is_err());
        assert!(parse("https:///mcp").is_err());
    }

    #[test]
    fn host_patterns() {
        assert!(host_matches("*.molecule.ai", "docs.molecule.ai"));
        assert!(!host_matches("*.molecule.ai", "molecule.ai.evil.com"));
        assert!(host_matches("localhost", "LOCALHOST"));
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && !is_loopback("10.0.0.1"));
    }
}
