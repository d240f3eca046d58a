//! Labels of the values the domain names in code (content types, resource and organisation kinds)
//! in the languages of the networks, for facets and filters: a reader sees "Note d'information",
//! not `BRIEFING_PAPER`. Languages are labelled by their own names (`locale::autonym`).

/// The languages of the catalogue, in the order of each row's labels.
const LANGUAGES: [&str; 5] = ["en", "fr", "es", "ru", "zh"];

/// Stored value → labels in `LANGUAGES` order.
const LABELS: &[(&str, [&str; 5])] = &[
    // Content types (their change-log entity names).
    ("resource", ["Resource", "Ressource", "Recurso", "Ресурс", "资源"]),
    ("good_practice", ["Good practice", "Bonne pratique", "Buena práctica", "Передовая практика", "良好做法"]),
    ("organization", ["Organisation", "Organisation", "Organización", "Организация", "组织"]),
    ("programme", ["Programme", "Programme", "Programa", "Программа", "项目"]),
    // Resource kinds.
    (
        "advocacy_tool",
        ["Advocacy tool", "Outil de plaidoyer", "Herramienta de incidencia", "Инструмент адвокации", "倡导工具"],
    ),
    ("guide", ["Guide", "Guide", "Guía", "Руководство", "指南"]),
    ("toolkit", ["Toolkit", "Boîte à outils", "Caja de herramientas", "Набор инструментов", "工具包"]),
    (
        "briefing_paper",
        ["Briefing paper", "Note d'information", "Documento informativo", "Информационный документ", "简报"],
    ),
    (
        "policy_brief",
        ["Policy brief", "Note de politique", "Resumen de políticas", "Аналитическая записка", "政策简报"],
    ),
    ("report", ["Report", "Rapport", "Informe", "Доклад", "报告"]),
    ("case_study", ["Case study", "Étude de cas", "Estudio de caso", "Тематическое исследование", "案例研究"]),
    ("statement", ["Statement", "Déclaration", "Declaración", "Заявление", "声明"]),
    (
        "community_guide",
        ["Community guide", "Guide communautaire", "Guía comunitaria", "Руководство для сообществ", "社区指南"],
    ),
    ("video", ["Video", "Vidéo", "Vídeo", "Видео", "视频"]),
    ("other", ["Other", "Autre", "Otro", "Другое", "其他"]),
    // Organisation kinds.
    ("global_network", ["Global network", "Réseau mondial", "Red mundial", "Глобальная сеть", "全球网络"]),
    ("regional_network", ["Regional network", "Réseau régional", "Red regional", "Региональная сеть", "区域网络"]),
    (
        "member_organization",
        ["Member organisation", "Organisation membre", "Organización miembro", "Организация-член", "成员组织"],
    ),
    ("funder", ["Funder", "Bailleur de fonds", "Financiador", "Донор", "资助方"]),
];

/// The label of a stored value (`briefing_paper`, `good_practice`) in the first language of
/// `chain` the catalogue has (a tag's language decides: `fr-CA` reads French), else in English;
/// `None` for a value the catalogue does not know. The Chinese labels are in simplified script,
/// which traditional-script readers are never given (as everywhere in Chorus).
pub fn label(value: &str, chain: &[String]) -> Option<&'static str> {
    let labels = LABELS.iter().find(|(v, _)| v.eq_ignore_ascii_case(value))?.1;
    let column = chain.iter().find_map(|tag| column_of(tag)).unwrap_or(0);
    Some(labels[column])
}

fn column_of(tag: &str) -> Option<usize> {
    let mut parts = tag.split(['-', '_']).map(str::to_ascii_lowercase);
    let language = parts.next()?;
    if language == "zh" && parts.any(|p| matches!(p.as_str(), "hant" | "tw" | "hk" | "mo")) {
        return None;
    }
    LANGUAGES.iter().position(|l| *l == language)
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
        let values = ResourceKind::iter()
            .map(|k| k.to_value())
            .chain(OrganizationKind::iter().map(|k| k.to_value()))
            .chain(ContentType::ALL.iter().map(|t| t.descriptor().entity.to_owned()));
        for value in values {
            for language in LANGUAGES {
                let l = label(&value, &chain(&[language])).unwrap_or_else(|| panic!("{value} has no label"));
                assert!(!l.is_empty(), "{value} in {language}");
            }
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
