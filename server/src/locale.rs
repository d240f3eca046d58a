//! Locales: BCP 47 tags canonicalised with unic-langid, fallback chains, and negotiation.
//!
//! A configured locale is addressed by its canonical code (`en`, `zh-Hans`). A request names a
//! locale explicitly (the `locale` argument) or through `Accept-Language`; either way it is
//! resolved into a [`RequestLocale`]: the requested tag (canonical, never the raw input) and the
//! chain of configured locales to serve it from. Raw tags never reach SQL, paths or logs: only
//! configured codes do.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use unic_langid::{CharacterDirection, LanguageIdentifier};

/// Longest tag accepted from a client; real tags are far shorter.
const MAX_TAG_LEN: usize = 64;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LocaleError {
    #[error("`{tag}` is not a well-formed BCP 47 language tag; configured locales: {configured}")]
    Malformed { tag: String, configured: String },
    #[error("locale `{tag}` is not configured; configured locales: {configured}")]
    NotConfigured { tag: String, configured: String },
    #[error("the default locale `{0}` is not among the available locales")]
    DefaultNotAvailable(String),
    #[error("no locales are configured")]
    Empty,
}

/// The configured locales, their order, the default and the fallback chains.
#[derive(Debug)]
pub struct Locales {
    tags: Vec<LanguageIdentifier>,
    /// Each tag with its likely script filled in (`zh` -> `zh-Hans`), for `is_fallback`.
    likely: Vec<LanguageIdentifier>,
    codes: Vec<String>,
    default: usize,
    explicit: BTreeMap<String, Vec<usize>>,
}

/// The locale a request asked for and the configured locales to serve it from, best first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLocale {
    /// The canonical form of the tag the client asked for (possibly not configured).
    pub requested: String,
    /// Configured locale codes, best first; always ends with the default locale.
    pub chain: Arc<[String]>,
    /// Every configured locale: the chain, then the others in configured order (where a
    /// taxonomy label is looked for).
    pub every: Arc<[String]>,
    /// The requested tag with its likely script filled in.
    requested_likely: LanguageIdentifier,
}

impl Locales {
    pub fn new(
        available: &[String],
        default: &str,
        fallbacks: &BTreeMap<String, Vec<String>>,
    ) -> Result<Locales, LocaleError> {
        if available.is_empty() {
            return Err(LocaleError::Empty);
        }
        let listed = available.join(", ");
        let parse = |tag: &str| {
            parse_tag(tag).ok_or_else(|| LocaleError::Malformed { tag: tag.to_owned(), configured: listed.clone() })
        };
        let mut tags: Vec<LanguageIdentifier> = Vec::new();
        for tag in available {
            let t = parse(tag)?;
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let codes: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        let default_tag = parse(default)?;
        let default = tags
            .iter()
            .position(|t| *t == default_tag)
            .ok_or_else(|| LocaleError::DefaultNotAvailable(default.to_owned()))?;
        let mut explicit = BTreeMap::new();
        for (from, to) in fallbacks {
            let from_tag = parse(from)?;
            let mut chain = Vec::new();
            for tag in to {
                let t = parse(tag)?;
                let i = tags
                    .iter()
                    .position(|c| *c == t)
                    .ok_or_else(|| LocaleError::NotConfigured { tag: tag.clone(), configured: listed.clone() })?;
                chain.push(i);
            }
            explicit.insert(from_tag.to_string(), chain);
        }
        let likely = tags.iter().map(with_likely_script).collect();
        Ok(Locales { tags, likely, codes, default, explicit })
    }

    /// Canonical codes of the configured locales, in configured order.
    pub fn codes(&self) -> &[String] {
        &self.codes
    }

    pub fn default_code(&self) -> &str {
        &self.codes[self.default]
    }

    fn listed(&self) -> String {
        self.codes.join(", ")
    }

    /// Parses a client-supplied tag; a malformed one is an error listing the configured locales.
    pub fn parse(&self, raw: &str) -> Result<LanguageIdentifier, LocaleError> {
        parse_tag(raw).ok_or_else(|| LocaleError::Malformed {
            tag: crate::error::echo_input(raw, MAX_TAG_LEN),
            configured: self.listed(),
        })
    }

    /// Resolves a client-supplied tag that must name a configured locale exactly (filters).
    pub fn configured_code(&self, raw: &str) -> Result<&str, LocaleError> {
        let tag = self.parse(raw)?;
        self.tags
            .iter()
            .position(|t| *t == tag)
            .map(|i| self.codes[i].as_str())
            .ok_or_else(|| LocaleError::NotConfigured { tag: tag.to_string(), configured: self.listed() })
    }

    /// The request locale for an explicit `locale` argument.
    pub fn request(&self, raw: &str) -> Result<RequestLocale, LocaleError> {
        let tag = self.parse(raw)?;
        Ok(self.request_for(tag))
    }

    /// The request locale when the client named none: `Accept-Language`, else the default.
    pub fn from_accept_language(&self, header: Option<&str>) -> RequestLocale {
        let accepted = header.map(fluent_langneg::parse_accepted_languages).unwrap_or_default();
        let negotiated = negotiate_languages(&accepted, &self.tags, None, NegotiationStrategy::Lookup);
        match negotiated.first() {
            Some(tag) => self.request_for((*tag).clone()),
            None => match accepted.into_iter().next() {
                Some(first) => self.request_for(first),
                None => self.request_for(self.tags[self.default].clone()),
            },
        }
    }

    pub fn default_request(&self) -> RequestLocale {
        self.request_for(self.tags[self.default].clone())
    }

    fn request_for(&self, tag: LanguageIdentifier) -> RequestLocale {
        let chain: Arc<[String]> = self.chain(&tag).into_iter().map(|i| self.codes[i].clone()).collect();
        let every = chain.iter().chain(self.codes.iter().filter(|c| !chain.contains(c))).cloned().collect();
        RequestLocale { requested: tag.to_string(), chain, every, requested_likely: with_likely_script(&tag) }
    }

    /// The fallback chain of a tag as indexes of configured locales, best first.
    ///
    /// An explicit chain from the config wins. Otherwise the tag is looked up, then truncated one
    /// subtag at a time (variants, region, then the script only when it is the language's default
    /// script, as CLDR's parent locales do: `zh-Hant` never falls back to `zh-Hans`), then the
    /// default locale closes the chain.
    fn chain(&self, tag: &LanguageIdentifier) -> Vec<usize> {
        let mut chain: Vec<usize> = Vec::new();
        let push = |i: usize, chain: &mut Vec<usize>| {
            if !chain.contains(&i) {
                chain.push(i);
            }
        };
        if let Some(explicit) = self.explicit.get(&tag.to_string()) {
            if let Some(i) = self.find(tag) {
                push(i, &mut chain);
            }
            for &i in explicit {
                push(i, &mut chain);
            }
        } else {
            for candidate in truncations(tag) {
                if let Some(i) = self.find(&candidate) {
                    push(i, &mut chain);
                }
            }
        }
        push(self.default, &mut chain);
        chain
    }

    /// The configured locale equal to `tag`, comparing with the language's likely script filled in
    /// (so a request for `zh` finds a configured `zh-Hans`, and `sr-Latn` never finds `sr`).
    fn find(&self, tag: &LanguageIdentifier) -> Option<usize> {
        if let Some(i) = self.tags.iter().position(|t| t == tag) {
            return Some(i);
        }
        let wanted = with_likely_script(tag);
        self.likely.iter().position(|t| *t == wanted)
    }

    /// Whether serving `served` for this request is a fallback: it is not when the served locale
    /// is the requested tag or a truncation of it in the same script (`fr` for `fr-CA`).
    pub fn is_fallback(&self, request: &RequestLocale, served: &str) -> bool {
        let Some(i) = self.codes.iter().position(|c| c == served) else { return true };
        let (served, requested) = (&self.likely[i], &request.requested_likely);
        !(served.language == requested.language
            && served.script == requested.script
            && (served.region.is_none() || served.region == requested.region))
    }

    /// The writing direction of a configured locale.
    pub fn is_rtl(&self, code: &str) -> bool {
        self.codes
            .iter()
            .position(|c| c == code)
            .is_some_and(|i| self.tags[i].character_direction() == CharacterDirection::RTL)
    }

    /// Each configured locale with its own chain (itself first), in configured order: the chains
    /// whose titles `content::title_order` keeps.
    pub fn chains(&self) -> Vec<(String, Vec<String>)> {
        (0..self.codes.len())
            .map(|i| {
                (self.codes[i].clone(), self.chain(&self.tags[i]).into_iter().map(|j| self.codes[j].clone()).collect())
            })
            .collect()
    }

    /// Whether `chain` is the chain of the configured locale it starts with (a request for a tag
    /// that is not configured, or has a chain of its own, may have another).
    pub fn is_locale_chain(&self, chain: &[String]) -> bool {
        let Some(i) = chain.first().and_then(|head| self.codes.iter().position(|c| c == head)) else { return false };
        self.chain(&self.tags[i]).into_iter().map(|j| &self.codes[j]).eq(chain.iter())
    }

    /// The explicit or derived fallback chain of a configured locale, without itself.
    pub fn fallbacks_of(&self, code: &str) -> Vec<String> {
        let Some(i) = self.codes.iter().position(|c| c == code) else { return Vec::new() };
        self.chain(&self.tags[i]).into_iter().filter(|&j| j != i).map(|j| self.codes[j].clone()).collect()
    }
}

impl RequestLocale {
    /// The preferred configured locale: the head of the chain.
    pub fn primary(&self) -> &str {
        &self.chain[0]
    }
}

impl fmt::Display for RequestLocale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.requested)
    }
}

/// Parses and canonicalises a tag. Extensions and private-use parts (`-u-...`, `-x-...`) are
/// dropped: Chorus negotiates on language, script, region and variants only.
pub fn parse_tag(raw: &str) -> Option<LanguageIdentifier> {
    if raw.is_empty()
        || raw.len() > MAX_TAG_LEN
        || !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let mut kept: Vec<&str> = Vec::new();
    for (i, part) in raw.split(['-', '_']).enumerate() {
        if i > 0 && part.len() == 1 {
            break;
        }
        kept.push(part);
    }
    let tag: LanguageIdentifier = kept.join("-").parse().ok()?;
    if tag.language.is_empty() {
        return None;
    }
    Some(tag)
}

fn with_likely_script(tag: &LanguageIdentifier) -> LanguageIdentifier {
    let mut t = tag.clone();
    if t.script.is_none() {
        let mut max = tag.clone();
        max.maximize();
        t.script = max.script;
    }
    t
}

/// The lookup candidates of a tag, most specific first.
fn truncations(tag: &LanguageIdentifier) -> Vec<LanguageIdentifier> {
    let mut base = tag.clone();
    // `zh-TW` means Traditional Chinese: make the implied script explicit before truncating.
    if base.script.is_none() && base.region.is_some() {
        let mut max = tag.clone();
        max.maximize();
        if max.script != default_script(tag) {
            base.script = max.script;
        }
    }
    let mut out = vec![tag.clone()];
    if base != *tag {
        out.push(base.clone());
    }
    if base.variants().len() > 0 {
        base.clear_variants();
        out.push(base.clone());
    }
    if base.region.is_some() {
        base.region = None;
        out.push(base.clone());
    }
    if base.script.is_some() && base.script == default_script(&base) {
        base.script = None;
        out.push(base);
    }
    out
}

/// Autonyms of common languages; other locales show their code.
pub fn autonym(code: &str) -> &str {
    match code {
        "en" => "English",
        "fr" => "Français",
        "es" => "Español",
        "ru" => "Русский",
        "zh-Hans" => "简体中文",
        "zh-Hant" => "繁體中文",
        "pt" => "Português",
        "ar" => "العربية",
        "de" => "Deutsch",
        "it" => "Italiano",
        "uk" => "Українська",
        "tr" => "Türkçe",
        "th" => "ไทย",
        "vi" => "Tiếng Việt",
        "id" => "Bahasa Indonesia",
        "sw" => "Kiswahili",
        other => other,
    }
}

/// The likely script of the bare language of `tag` (`Hans` for `zh`, `Cyrl` for `sr`).
fn default_script(tag: &LanguageIdentifier) -> Option<unic_langid::subtags::Script> {
    let mut lang = LanguageIdentifier::from_parts(tag.language, None, None, &[]);
    lang.maximize();
    lang.script
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locales(available: &[&str]) -> Locales {
        let available: Vec<String> = available.iter().map(|s| s.to_string()).collect();
        Locales::new(&available, "en", &BTreeMap::new()).unwrap()
    }

    fn chain(l: &Locales, tag: &str) -> Vec<String> {
        l.request(tag).unwrap().chain.to_vec()
    }

    #[test]
    fn chains_drop_subtags_then_default() {
        let l = locales(&["en", "fr", "es", "ru", "zh-Hans"]);
        assert_eq!(chain(&l, "fr-CA"), ["fr", "en"]);
        assert_eq!(chain(&l, "fr"), ["fr", "en"]);
        assert_eq!(chain(&l, "pt"), ["en"]);
        assert_eq!(chain(&l, "zh"), ["zh-Hans", "en"]);
        assert_eq!(chain(&l, "zh-CN"), ["zh-Hans", "en"]);
        assert_eq!(chain(&l, "ES-mx"), ["es", "en"]);
    }

    #[test]
    fn traditional_chinese_never_falls_back_to_simplified() {
        let l = locales(&["en", "zh-Hans"]);
        assert_eq!(chain(&l, "zh-Hant"), ["en"]);
        assert_eq!(chain(&l, "zh-TW"), ["en"]);
        assert_eq!(chain(&l, "zh-Hant-HK"), ["en"]);
        let l = locales(&["en", "zh-Hans", "zh-Hant"]);
        assert_eq!(chain(&l, "zh-Hant-HK"), ["zh-Hant", "en"]);
        assert_eq!(chain(&l, "zh-TW"), ["zh-Hant", "en"]);
        assert_eq!(chain(&l, "zh-HK"), ["zh-Hant", "en"]);
        assert_eq!(chain(&l, "zh-SG"), ["zh-Hans", "en"]);
    }

    #[test]
    fn explicit_chains_win() {
        let available: Vec<String> = ["en", "fr", "es"].map(String::from).to_vec();
        let fallbacks = BTreeMap::from([("ca".to_owned(), vec!["es".to_owned(), "fr".to_owned()])]);
        let l = Locales::new(&available, "en", &fallbacks).unwrap();
        assert_eq!(chain(&l, "ca"), ["es", "fr", "en"]);
        assert_eq!(l.fallbacks_of("fr"), ["en"]);
    }

    #[test]
    fn malformed_tags_are_rejected_with_the_configured_list() {
        let l = locales(&["en", "fr"]);
        for bad in ["", "e", "english-language-of-england", "fr_FR!", "<script>", "123", "-", "und", &"a".repeat(100)] {
            let err = l.request(bad).unwrap_err();
            assert!(err.to_string().contains("en, fr"), "{bad}: {err}");
        }
        assert!(!l.request("<script>").unwrap_err().to_string().contains('<'));
        // Echoed as sent, markup escaped.
        assert!(l.request("en_US!!").unwrap_err().to_string().starts_with("`en_US!!` is not"));
        assert!(l.request("<b>").unwrap_err().to_string().starts_with("`\\u{3c}b\\u{3e}` is not"));
        assert!(l.request("français!").unwrap_err().to_string().starts_with("`français!`"));
        assert_eq!(l.request("fr-FR-u-ca-gregory").unwrap().requested, "fr-FR");
        assert_eq!(l.request("fr_fr").unwrap().requested, "fr-FR");
    }

    #[test]
    fn fallback_flag() {
        let l = locales(&["en", "fr", "zh-Hans"]);
        let r = l.request("fr-CA").unwrap();
        assert!(!l.is_fallback(&r, "fr"));
        assert!(l.is_fallback(&r, "en"));
        let r = l.request("pt").unwrap();
        assert!(l.is_fallback(&r, "en"));
        let r = l.request("zh").unwrap();
        assert!(!l.is_fallback(&r, "zh-Hans"));
        let r = l.request("zh-Hant").unwrap();
        assert!(l.is_fallback(&r, "zh-Hans"));
    }

    #[test]
    fn accept_language_negotiation() {
        let l = locales(&["en", "fr", "es", "zh-Hans"]);
        assert_eq!(l.from_accept_language(Some("fr-CA,fr;q=0.9,en;q=0.5")).chain.to_vec(), ["fr", "en"]);
        assert_eq!(l.from_accept_language(Some("de-DE, es;q=0.8")).chain.to_vec(), ["es", "en"]);
        assert_eq!(l.from_accept_language(Some("zh-TW")).chain.to_vec(), ["en"]);
        assert_eq!(l.from_accept_language(Some("zh-CN,zh;q=0.9")).chain.to_vec(), ["zh-Hans", "en"]);
        let r = l.from_accept_language(Some("pt-BR"));
        assert_eq!(r.chain.to_vec(), ["en"]);
        assert!(l.is_fallback(&r, "en"));
        assert_eq!(l.from_accept_language(Some("\u{1}garbage;;q=x")).chain.to_vec(), ["en"]);
        assert_eq!(l.from_accept_language(None).requested, "en");
    }
}
