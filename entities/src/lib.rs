//! Chorus database models (sea-orm entities) and the domain enums stored in them.
//!
//! This crate knows nothing of GraphQL or HTTP: the public API maps these models into its own types,
//! because the database schema and the API change for different reasons.
//!
//! Every content type has a base table (language-neutral facts: kind, dates, links) and a
//! `*_translations` table holding one row per (item, locale) with the localised fields, a per-locale
//! status, timestamps and the hashes of the source text the translation was made from. The four
//! translation tables share one shape (see [`translation_entity!`]) so that the localisation rules
//! in the server are written once.

pub mod enums;
#[macro_use]
mod translation;

pub mod api_tokens;
pub mod audit_log;
pub mod change_log;
pub mod consumer_cursors;
pub mod documents;
pub mod good_practice_topics;
pub mod good_practices;
pub mod import_report_items;
pub mod import_reports;
pub mod installation_secrets;
pub mod login_failures;
pub mod organizations;
pub mod partner_key_usage;
pub mod partner_keys;
pub mod programme_funders;
pub mod programmes;
pub mod resource_organizations;
pub mod resource_terms;
pub mod resources;
pub mod revisions;
pub mod scheduled_publications;
pub mod sessions;
pub mod term_labels;
pub mod terms;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;

translation_entity!(resource_translations, "resource_translations");
translation_entity!(good_practice_translations, "good_practice_translations");
translation_entity!(organization_translations, "organization_translations");
translation_entity!(programme_translations, "programme_translations");

pub use enums::*;
