//! Domain enums stored as short strings, identical on SQLite and PostgreSQL.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// The editorial state of one locale version of an item. Only `Published` rows are public.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum PublicationStatus {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "in_review")]
    InReview,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "archived")]
    Archived,
}

/// What kind of publication a resource is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    #[sea_orm(string_value = "advocacy_tool")]
    AdvocacyTool,
    #[sea_orm(string_value = "guide")]
    Guide,
    #[sea_orm(string_value = "toolkit")]
    Toolkit,
    #[sea_orm(string_value = "briefing_paper")]
    BriefingPaper,
    #[sea_orm(string_value = "policy_brief")]
    PolicyBrief,
    #[sea_orm(string_value = "report")]
    Report,
    #[sea_orm(string_value = "case_study")]
    CaseStudy,
    #[sea_orm(string_value = "statement")]
    Statement,
    #[sea_orm(string_value = "community_guide")]
    CommunityGuide,
    #[sea_orm(string_value = "video")]
    Video,
    #[sea_orm(string_value = "other")]
    Other,
}

/// What kind of body an organisation is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum OrganizationKind {
    #[sea_orm(string_value = "global_network")]
    GlobalNetwork,
    #[sea_orm(string_value = "regional_network")]
    RegionalNetwork,
    #[sea_orm(string_value = "member_organization")]
    MemberOrganization,
    #[sea_orm(string_value = "funder")]
    Funder,
}

/// The part an organisation played in a resource.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum OrganizationRole {
    #[sea_orm(string_value = "author")]
    Author,
    #[sea_orm(string_value = "publisher")]
    Publisher,
}

/// The vocabulary a taxonomy term belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Taxonomy {
    #[sea_orm(string_value = "region")]
    Region,
    #[sea_orm(string_value = "country")]
    Country,
    #[sea_orm(string_value = "topic")]
    Topic,
}

/// What a user may do; see the server's policy module for the rules.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "editor")]
    Editor,
    #[sea_orm(string_value = "translator")]
    Translator,
    #[sea_orm(string_value = "reviewer")]
    Reviewer,
    #[sea_orm(string_value = "viewer")]
    Viewer,
}

/// Which copy of a locale version a translation row is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TranslationVersion {
    /// Edited by editors and translators; its status is the workflow state.
    #[sea_orm(string_value = "working")]
    Working,
    /// What the public reads: a copy of the working row made when it was published.
    #[sea_orm(string_value = "live")]
    Live,
}

#[cfg(test)]
mod tests {
    //! `server/demo/domain.json` is generated from the enums above, so that the demo builder
    //! (`server/demo/build_demo.py`) does not repeat them by hand. `Role` and `TranslationVersion`
    //! are left out: the demo content has no users and names no row copies.

    use super::*;
    use serde::ser::SerializeMap;

    /// The file's path, from this crate's directory.
    const DOMAIN_JSON: &str = "../server/demo/domain.json";
    /// Set to rewrite the file instead of comparing with it.
    const BLESS: &str = "CHORUS_BLESS";

    /// An enum's stored strings, in `EnumIter` (declaration) order.
    fn values<E: ActiveEnum<Value = String>>() -> Vec<String> {
        E::iter().map(|v| v.to_value()).collect()
    }

    /// Serialises as a JSON object whose keys keep this order.
    struct Ordered(Vec<(&'static str, Vec<String>)>);

    impl Serialize for Ordered {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (name, values) in &self.0 {
                map.serialize_entry(name, values)?;
            }
            map.end()
        }
    }

    fn domain_json() -> String {
        macro_rules! entries {
            ($($e:ident),* $(,)?) => { vec![$((stringify!($e), values::<$e>())),*] };
        }
        let domain = Ordered(entries![PublicationStatus, ResourceKind, OrganizationKind, OrganizationRole, Taxonomy]);
        serde_json::to_string_pretty(&domain).expect("serialise domain.json") + "\n"
    }

    #[test]
    fn demo_domain_json_matches_the_enums() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOMAIN_JSON);
        let expected = domain_json();
        if std::env::var_os(BLESS).is_some_and(|v| !v.is_empty() && v != "0") {
            std::fs::write(&path, &expected).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "server/demo/domain.json is missing or out of date with entities/src/enums.rs; regenerate it \
             with `{BLESS}=1 cargo test -p chorus-entities` and rebuild the demo content \
             (see server/demo/README.md)"
        );
    }
}

/// Where the text of an uploaded document stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum TextStatus {
    /// Waiting for the background extraction.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Extracted and searchable.
    #[sea_orm(string_value = "extracted")]
    Extracted,
    /// The file could not be read (damaged, encrypted, scanned images only...): stored and
    /// downloadable, not searchable.
    #[sea_orm(string_value = "unreadable")]
    Unreadable,
    /// A type Chorus takes no text from (images, audio, video).
    #[sea_orm(string_value = "none")]
    None,
}
