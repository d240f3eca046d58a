//! Text rules shared by every write path: HTML sanitising, slugs, collation keys and the hashes
//! that tell a translation which source text it was made from.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest generated slug, in bytes.
const MAX_SLUG_LEN: usize = 96;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    b
});

/// Sanitises rich text with an allowlist: no scripts, styles, event handlers, `javascript:` or
/// `data:` URLs survive.
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// A URL-safe slug from a title in any script: Cyrillic and Chinese are transliterated.
pub fn slugify(title: &str) -> String {
    let ascii = deunicode::deunicode(title).to_ascii_lowercase();
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    if slug.len() > MAX_SLUG_LEN {
        slug.truncate(MAX_SLUG_LEN);
        if let Some(cut) = slug.rfind('-') {
            slug.truncate(cut);
        }
    }
    let slug = slug.trim_matches('-').to_owned();
    if slug.is_empty() { "item".to_owned() } else { slug }
}

/// A collation key for ordering titles, compared byte-wise on SQLite and PostgreSQL alike.
///
/// It implements the primary strength of the Unicode collation for the scripts Chorus serves:
/// case, accents and punctuation are ignored (`Élan` sorts with `elan`), with the Spanish
/// tailoring that `ñ` is a letter after `n`. Han characters keep code-point order (the radical-
/// stroke order of the Unicode blocks), not pinyin: an approximation we document.
pub fn sort_key(locale: &str, text: &str) -> String {
    let spanish = locale == "es" || locale.starts_with("es-");
    let mut key = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            if spanish && c == '\u{303}' && key.ends_with('n') {
                key.push('~');
            }
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !key.is_empty() {
                key.push(' ');
            }
            pending_space = false;
            key.extend(c.to_lowercase());
        } else if c.is_whitespace() || c == '-' || c == '_' || c == '/' {
            pending_space = true;
        }
    }
    key
}

/// The hash of one localised field's normalised text (hex SHA-256, 128 bits). Text is
/// normalised first so that re-saving identical text never marks a translation outdated:
/// Unicode NFC, whitespace runs collapsed to one space, ends trimmed. Text already in NFC (the
/// quick check says so for almost all text) is hashed word by word without being copied.
pub fn field_hash(text: &str) -> String {
    let mut hasher = Sha256::new();
    let mut words = |text: &str| {
        for (i, word) in text.split_whitespace().enumerate() {
            if i > 0 {
                hasher.update(b" ");
            }
            hasher.update(word.as_bytes());
        }
    };
    if unicode_normalization::is_nfc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        words(text);
    } else {
        words(&text.nfc().collect::<String>());
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(32);
    for b in &digest[..16] {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The JSON object of field hashes stored with every translation row.
pub fn source_hashes(title: &str, summary: &str, body: &str) -> String {
    let map: BTreeMap<&str, String> =
        BTreeMap::from([("title", field_hash(title)), ("summary", field_hash(summary)), ("body", field_hash(body))]);
    serde_json::to_string(&map).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitiser_strips_scripts_handlers_and_bad_urls() {
        let dirty = r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">a</a>
            <a href="data:text/html,x">b</a><img src="x" onerror="y()"><a href="https://nswp.org">ok</a>
            <style>p{}</style><iframe src="https://evil"></iframe></p>"#;
        let clean = sanitize_html(dirty);
        for bad in ["script", "onclick", "onerror", "javascript:", "data:", "style", "iframe"] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
        assert!(clean.contains(r#"href="https://nswp.org""#), "{clean}");
    }

    #[test]
    fn slugs_transliterate() {
        assert_eq!(slugify("Smart Guide to the Global Fund"), "smart-guide-to-the-global-fund");
        assert_eq!(slugify("Outil de mise en œuvre: travailleurSEs!"), "outil-de-mise-en-oeuvre-travailleurses");
        assert_eq!(slugify("Права секс-работников"), "prava-seks-rabotnikov");
        assert!(slugify("性工作者的权利").chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        assert_ne!(slugify("性工作者的权利"), "item");
        assert_eq!(slugify("!!!"), "item");
        assert!(slugify(&"long title ".repeat(40)).len() <= MAX_SLUG_LEN);
    }

    #[test]
    fn sort_keys_ignore_case_accents_and_punctuation() {
        assert_eq!(sort_key("fr", "« Élan » vital"), "elan vital");
        assert!(sort_key("fr", "éducation") < sort_key("fr", "Femmes"));
        assert!(sort_key("es", "nube") < sort_key("es", "ñandú"));
        assert!(sort_key("es", "ñandú") < sort_key("es", "oso"));
        assert!(sort_key("en", "ñandu") < sort_key("en", "nz"));
        assert!(sort_key("ru", "Ёлка") < sort_key("ru", "жизнь"));
    }

    #[test]
    fn hashes_ignore_insignificant_whitespace() {
        assert_eq!(field_hash("a  b\n"), field_hash(" a b"));
        assert_ne!(field_hash("a b"), field_hash("a c"));
        assert_eq!(field_hash("e\u{301}"), field_hash("\u{e9}"));
        // Hashes are stored with every translation: the normalisation and the hex form never
        // change (SHA-256 of "a b", first 16 bytes).
        assert_eq!(field_hash("  a\n\tb "), "c8687a08aa5d6ed2044328fa6a697ab8");
        // The same as normalising into a new string first, as hashes were made before.
        let reference = |t: &str| {
            let n = t.nfc().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ");
            let d = Sha256::digest(n.as_bytes());
            d[..16].iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        for t in ["", " ", "Ünïcödé\u{a0}text", "e\u{301}t\u{e9}", "全球基金 是什么？", "a\u{3000}b\r\n c", "ﬁ Å"]
        {
            assert_eq!(field_hash(t), reference(t), "{t:?}");
        }
    }
}
