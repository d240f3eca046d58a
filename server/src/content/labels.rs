//! Labels of the values the domain names in code (content types, resource and organisation kinds)
//! in the languages of the networks, for facets and filters: a reader sees "Note d'information",
//! not `BRIEFING_PAPER`. Languages are labelled by their own names (`locale::autonym`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Stored value → language → label, from `labels.toml` (embedded; checked by the tests below).
static CATALOGUE: LazyLock<BTreeMap<String, BTreeMap<String, String>>> =
    LazyLock::new(|| toml::from_str(include_str!("labels.toml")).expect("labels.toml is a table of tables of strings"));

/// The label of a stored value (`briefing_paper`, `good_practice`) in the first language of
/// `chain` the catalogue has (a tag's language decides: `fr-CA` reads French), else in English;
/// `None` for a value the catalogue does not know. The Chinese labels are in simplified script,
/// which traditional-script readers are never given (as everywhere in Chorus).
pub fn label(value: &str, chain: &[String]) -> Option<&'static str> {
    let labels = CATALOGUE.get(&value.to_ascii_lowercase())?;
    chain
        .iter()
        .filter_map(|tag| language_of(tag))
        .find_map(|language| labels.get(&language))
        .or_else(|| labels.get("en"))
        .map(String::as_str)
}

/// The catalogue language a tag reads, if any: its base subtag, except that Chinese in
/// traditional script (`Hant`, or Taiwan, Hong Kong, Macao) reads none.
fn language_of(tag: &str) -> Option<String> {
    let mut parts = tag.split(['-', '_']).map(str::to_ascii_lowercase);
    let language = parts.next()?;
    if language == "zh" && parts.any(|p| matches!(p.as_str(), "hant" | "tw" | "hk" | "mo")) {
        return None;
    }
    Some(language)
}

#[cfg(test)]
mod tests {
    use chorus_entities::{OrganizationKind, ResourceKind};
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;
    use crate::content::ContentType;

    fn chain(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn every_value_the_domain_has_is_labelled_in_every_language() {
        let languages: std::collections::BTreeSet<&String> = CATALOGUE.values().flat_map(|l| l.keys()).collect();
        assert!(languages.len() >= 5, "{languages:?}");
        let values: Vec<String> = ResourceKind::iter()
            .map(|k| k.to_value())
            .chain(OrganizationKind::iter().map(|k| k.to_value()))
            .chain(ContentType::ALL.iter().map(|t| t.descriptor().entity.to_owned()))
            .collect();
        for value in &values {
            let labels = CATALOGUE.get(value).unwrap_or_else(|| panic!("{value} has no labels"));
            for language in &languages {
                assert!(labels.get(*language).is_some_and(|l| !l.trim().is_empty()), "{value} in {language}");
            }
        }
        // And nothing the domain does not have.
        for value in CATALOGUE.keys() {
            assert!(values.contains(value), "{value} is labelled but is no value of the domain");
        }
    }

    #[test]
    fn the_readers_chain_chooses_the_language() {
        assert_eq!(label("briefing_paper", &chain(&["fr-CA", "en"])), Some("Note d'information"));
        assert_eq!(label("BRIEFING_PAPER", &chain(&["zh-Hans", "en"])), Some("简报"));
        assert_eq!(label("briefing_paper", &chain(&["zh-Hant", "en"])), Some("Briefing paper"));
        assert_eq!(label("briefing_paper", &chain(&["zh-TW", "fr"])), Some("Note d'information"));
        assert_eq!(label("report", &chain(&["pt-BR", "es", "en"])), Some("Informe"));
        assert_eq!(label("report", &chain(&["sw"])), Some("Report"));
        assert_eq!(label("unheard_of", &chain(&["en"])), None);
    }
}
