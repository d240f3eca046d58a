//! Choosing what to serve from an item's translations, field by field, along a locale chain.

use std::sync::Arc;

use super::Translation;

/// The order in which an item's locales are tried, as indices into `configured`: the request's
/// chain, then the item's source locale, then every other configured locale in configured order.
/// The SQL that orders lists by title (`query::title_key`) follows the same order, so a list
/// sorted by title agrees with the titles it shows.
pub fn item_order(chain: &[String], source_locale: &str, configured: &[String]) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(configured.len());
    for l in chain.iter().map(String::as_str).chain([source_locale]).chain(configured.iter().map(String::as_str)) {
        if let Some(i) = configured.iter().position(|c| c == l)
            && !order.contains(&i)
        {
            order.push(i);
        }
    }
    order
}

/// The text of one item as served for one request: which of its translations gives each field
/// (nothing copied).
#[derive(Clone, Debug)]
pub struct Localized {
    /// Every visible translation, in configured order.
    translations: Arc<[Translation]>,
    /// The best translation: the one the locale, title and slug come from.
    best: usize,
    /// The first translation along the order with a summary.
    summary: Option<usize>,
}

impl Localized {
    /// The locale of the best translation.
    pub fn locale(&self) -> &str {
        &self.translations[self.best].locale
    }

    pub fn title(&self) -> &str {
        &self.translations[self.best].title
    }

    pub fn slug(&self) -> &str {
        &self.translations[self.best].slug
    }

    /// The first summary along the order (empty when none has one).
    pub fn summary(&self) -> &str {
        self.summary.map_or("", |i| &self.translations[i].summary)
    }
}

/// The first non-blank body along `order` (indices into `configured`; bodies are loaded apart
/// from the other fields).
pub fn pick_body<'a>(bodies: &'a [super::Body], order: &[usize], configured: &[String]) -> &'a str {
    order
        .iter()
        .filter_map(|&i| bodies.iter().find(|b| b.locale == configured[i]))
        .map(|b| b.body.as_str())
        .find(|b| !b.trim().is_empty())
        .unwrap_or_default()
}

/// Picks the best translation along `order` (indices into `configured`) and fills each empty
/// field from the next translation that has it. `None` when the item has no visible translation
/// in a configured locale.
pub fn localize(translations: Arc<[Translation]>, order: &[usize], configured: &[String]) -> Option<Localized> {
    let mut ranked = order.iter().filter_map(|&i| translations.iter().position(|t| t.locale == configured[i]));
    let best = ranked.next()?;
    let summary = std::iter::once(best).chain(ranked).find(|&i| !translations[i].summary.trim().is_empty());
    Some(Localized { translations, best, summary })
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
        assert_eq!(item_order(&s(&["fr", "en"]), "ru", &configured), [1, 0, 3, 2]);
        assert_eq!(item_order(&s(&["en"]), "en", &configured), [0, 1, 2, 3]);
        assert_eq!(item_order(&s(&["de", "fr"]), "pt", &configured), [1, 0, 2, 3]);
    }

    #[test]
    fn each_field_falls_back_independently() {
        let configured = s(&["en", "fr"]);
        let rows: Arc<[Translation]> = vec![t("en", "Title", "Summary"), t("fr", "Titre", "")].into();
        let l = localize(rows.clone(), &[1, 0], &configured).unwrap();
        assert_eq!((l.locale(), l.title(), l.summary(), l.slug()), ("fr", "Titre", "Summary", "fr-slug"));
        let rows: Arc<[Translation]> = vec![t("en", "Title", " "), t("fr", "Titre", "")].into();
        assert_eq!(localize(rows, &[1, 0], &configured).unwrap().summary(), "");
    }

    #[test]
    fn nothing_to_serve() {
        let configured = s(&["en", "fr", "de"]);
        let rows: Arc<[Translation]> = vec![t("de", "Titel", "")].into();
        assert!(localize(rows, &[1, 0], &configured).is_none());
    }
}
