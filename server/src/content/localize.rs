//! Choosing what to serve from an item's translations, field by field, along a locale chain.

use std::sync::Arc;

use super::Translation;

/// The order in which an item's locales are tried: the request's chain, then the item's source
/// locale, then every other configured locale in configured order. The SQL that orders lists by
/// title (`query::title_key`) follows the same order, so a list sorted by title agrees with the
/// titles it shows.
pub fn item_order(chain: &[String], source_locale: &str, configured: &[String]) -> Vec<String> {
    let mut order: Vec<String> = Vec::with_capacity(configured.len());
    for l in chain.iter().map(String::as_str).chain([source_locale]).chain(configured.iter().map(String::as_str)) {
        if configured.iter().any(|c| c == l) && !order.iter().any(|o| o == l) {
            order.push(l.to_owned());
        }
    }
    order
}

/// The text of one item as served for one request.
#[derive(Clone, Debug)]
pub struct Localized {
    /// The locale of the best translation: the one the title and slug come from.
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub slug: String,
    /// Every visible translation, in configured order.
    pub translations: Arc<[Translation]>,
}

/// The first non-blank body along `order` (bodies are loaded apart from the other fields).
pub fn pick_body<'a>(bodies: &'a [super::Body], order: &[String]) -> &'a str {
    order
        .iter()
        .filter_map(|l| bodies.iter().find(|b| &b.locale == l))
        .map(|b| b.body.as_str())
        .find(|b| !b.trim().is_empty())
        .unwrap_or_default()
}

/// Picks the best translation along `order` and fills each empty field from the next translation
/// that has it. `None` when the item has no visible translation in a configured locale.
pub fn localize(translations: Arc<[Translation]>, order: &[String]) -> Option<Localized> {
    let ranked: Vec<&Translation> = order.iter().filter_map(|l| translations.iter().find(|t| &t.locale == l)).collect();
    let best = *ranked.first()?;
    let pick = |field: fn(&Translation) -> &str| -> String {
        ranked.iter().map(|t| field(t)).find(|v| !v.trim().is_empty()).unwrap_or_default().to_owned()
    };
    Some(Localized {
        locale: best.locale.clone(),
        title: best.title.clone(),
        summary: pick(|t| &t.summary),
        slug: best.slug.clone(),
        translations: translations.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chorus_entities::PublicationStatus;

    fn t(locale: &str, title: &str, summary: &str) -> Translation {
        Translation {
            item_id: 1,
            locale: locale.into(),
            status: PublicationStatus::Published,
            title: title.into(),
            summary: summary.into(),
            slug: format!("{locale}-slug"),
            updated_at: chrono::Utc::now(),
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn order_is_chain_then_source_then_configured() {
        let configured = s(&["en", "fr", "es", "ru"]);
        assert_eq!(item_order(&s(&["fr", "en"]), "ru", &configured), s(&["fr", "en", "ru", "es"]));
        assert_eq!(item_order(&s(&["en"]), "en", &configured), s(&["en", "fr", "es", "ru"]));
    }

    #[test]
    fn each_field_falls_back_independently() {
        let rows: Arc<[Translation]> = vec![t("en", "Title", "Summary"), t("fr", "Titre", "")].into();
        let l = localize(rows, &s(&["fr", "en"])).unwrap();
        assert_eq!((l.locale.as_str(), l.title.as_str(), l.summary.as_str()), ("fr", "Titre", "Summary"));
        assert_eq!(l.slug, "fr-slug");
    }

    #[test]
    fn nothing_to_serve() {
        let rows: Arc<[Translation]> = vec![t("de", "Titel", "")].into();
        assert!(localize(rows, &s(&["fr", "en"])).is_none());
    }
}
