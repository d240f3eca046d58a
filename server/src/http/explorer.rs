//! The API explorer (GraphiQL) at `/graphiql`, served entirely from the binary: its scripts and
//! styles are embedded at pinned versions (`server/assets/explorer/README.md`), the page forbids
//! inline scripts and every other origin, and it works with no network.

use poem::Response;
use poem::http::{StatusCode, header};

/// What the explorer page may load: its own scripts and styles, the fonts and images GraphiQL
/// embeds as data URLs, and requests to this server. Inline styles are allowed because
/// CodeMirror and GraphiQL set style attributes; inline scripts are not.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ty:expr) => {
        Asset { name: $name, content_type: $ty, body: include_bytes!(concat!("../../assets/explorer/", $name)) }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The embedded files; their names carry their versions, so they are cached for good.
static ASSETS: &[Asset] = &[
    asset!("react-18.3.1.production.min.js", JS),
    asset!("react-dom-18.3.1.production.min.js", JS),
    asset!("graphiql-3.9.0.min.js", JS),
    asset!("graphiql-3.9.0.min.css", CSS),
    asset!("explorer.js", JS),
    asset!("explorer.css", CSS),
];

/// Our own two files change with Chorus, not with a pinned version: they are revalidated.
fn is_versioned(name: &str) -> bool {
    !name.starts_with("explorer.")
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Chorus API explorer</title>
<link rel="stylesheet" href="/graphiql/assets/graphiql-3.9.0.min.css">
<link rel="stylesheet" href="/graphiql/assets/explorer.css">
</head>
<body>
<div id="graphiql">Loading the explorer…</div>
<script src="/graphiql/assets/react-18.3.1.production.min.js"></script>
<script src="/graphiql/assets/react-dom-18.3.1.production.min.js"></script>
<script src="/graphiql/assets/graphiql-3.9.0.min.js"></script>
<script src="/graphiql/assets/explorer.js"></script>
</body>
</html>
"#;

/// The explorer page, with its security headers.
pub fn page() -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(PAGE)
}

/// One embedded file, by name.
pub fn asset(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return super::refuse(crate::error::Code::NotFound, "no such explorer file");
    };
    let cache = if is_versioned(asset.name) { "public, max-age=31536000, immutable" } else { "no-cache" };
    Response::builder()
        .status(StatusCode::OK)
        .content_type(asset.content_type)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, cache)
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_embedded_files() {
        for src in PAGE.split("=\"").skip(1).filter_map(|s| s.split('"').next()) {
            if let Some(name) = src.strip_prefix("/graphiql/assets/") {
                assert!(ASSETS.iter().any(|a| a.name == name), "{name} is not embedded");
            } else {
                assert!(!src.contains("//") && !src.starts_with("http"), "{src} leaves the server");
            }
        }
        assert!(!PAGE.contains("<script>"), "inline scripts are forbidden by the CSP");
    }
}
