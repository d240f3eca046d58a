//! The configured locales, for language switchers and `hreflang` links.

use async_graphql::{Context, Object, SimpleObject};

use super::state;

/// A configured locale.
#[derive(SimpleObject)]
pub struct LocaleInfo {
    /// Canonical BCP 47 code.
    code: String,
    /// The language's own name for itself, when known.
    name: String,
    is_default: bool,
    /// `rtl` or `ltr`.
    direction: String,
    /// Where content falls back to when missing in this locale, best first.
    fallbacks: Vec<String>,
}

#[derive(Default)]
pub struct LocaleQuery;

#[Object]
impl LocaleQuery {
    /// The configured locales, in configured order.
    async fn locales(&self, ctx: &Context<'_>) -> Vec<LocaleInfo> {
        let locales = &state(ctx).locales;
        locales
            .codes()
            .iter()
            .map(|code| LocaleInfo {
                code: code.clone(),
                name: crate::locale::autonym(code).to_owned(),
                is_default: code == locales.default_code(),
                direction: if locales.is_rtl(code) { "rtl" } else { "ltr" }.to_owned(),
                fallbacks: locales.fallbacks_of(code),
            })
            .collect()
    }
}
