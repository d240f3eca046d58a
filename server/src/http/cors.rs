//! Cross-origin access for partner sites, checked by hand: only well-formed ASCII origins from
//! the configured list are echoed, and no byte of a forged `Origin` header can make us panic.

use std::collections::HashSet;

use poem::http::HeaderValue;

/// Normalises an origin (`scheme://host[:port]`, http or https, no path); `None` if malformed.
pub fn parse_origin(raw: &str) -> Option<String> {
    if raw.len() > 253 || !raw.is_ascii() {
        return None;
    }
    let lower = raw.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some(lower)
}

#[derive(Debug, Clone)]
pub struct Cors {
    any: bool,
    allowed: HashSet<String>,
}

impl Cors {
    pub fn new(origins: &[String]) -> Cors {
        Cors {
            any: origins.iter().any(|o| o == "*"),
            allowed: origins.iter().filter_map(|o| parse_origin(o)).collect(),
        }
    }

    /// The value of `Access-Control-Allow-Origin` for a request's `Origin`, if it is allowed.
    pub fn allow(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        let origin = parse_origin(origin?.to_str().ok()?)?;
        if self.any {
            return Some(HeaderValue::from_static("*"));
        }
        if self.allowed.contains(&origin) { HeaderValue::from_str(&origin).ok() } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_parsed_strictly() {
        assert_eq!(parse_origin("https://Example.org").as_deref(), Some("https://example.org"));
        assert_eq!(parse_origin("http://localhost:3000").as_deref(), Some("http://localhost:3000"));
        assert_eq!(parse_origin("http://[::1]:8080").as_deref(), Some("http://[::1]:8080"));
        for bad in [
            "example.org",
            "ftp://x.org",
            "https://",
            "https://a.org/path",
            "https://a.org:99999x",
            "https://é.org",
            "null",
        ] {
            assert!(parse_origin(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_listed_origins_are_echoed() {
        let cors = Cors::new(&["https://partner.org".to_owned()]);
        let ok = HeaderValue::from_static("https://partner.org");
        assert_eq!(cors.allow(Some(&ok)).unwrap(), "https://partner.org");
        assert!(cors.allow(Some(&HeaderValue::from_static("https://evil.org"))).is_none());
        let forged = HeaderValue::from_bytes(b"https://partner.org\xff").unwrap();
        assert!(cors.allow(Some(&forged)).is_none());
        assert!(cors.allow(None).is_none());
    }
}
