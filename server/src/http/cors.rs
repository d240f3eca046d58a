//! Cross-origin access for partner sites, checked by hand: only well-formed ASCII origins from
//! the configured list are echoed, and no byte of a forged `Origin` header can make us panic.

use std::collections::HashSet;

use poem::http::HeaderValue;

use crate::config::parse_origin;

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
