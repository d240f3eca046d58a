//! Chorus database migrations, identical on SQLite and PostgreSQL.
//!
//! Migrations name tables and columns with plain strings, never entity types: the entities describe
//! today's schema, a migration describes one step in its history. Every migration is reversible.

pub use sea_orm_migration::prelude::*;

mod builders;
mod m20261129_000001_content_model;
mod m20261129_000002_accounts;
mod m20261129_000003_change_log;
mod m20261129_000004_live_versions;
mod m20261129_000005_revisions;
mod m20261129_000006_schedule;
mod m20261129_000007_login_failures;
mod m20261129_000008_webhooks;
mod m20261202_000009_installation_secrets;
mod m20261203_000010_import_reports;
mod m20261203_000011_documents;
mod m20261204_000012_partner_keys;
mod m20261204_000013_title_order;
mod m20261205_000014_preview_title_order;
mod m20261205_000015_versions_read_index;
mod m20261205_000016_programme_order_indexes;

/// The ordered list of migrations this binary knows.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_content_model::Migration),
            Box::new(m20261129_000002_accounts::Migration),
            Box::new(m20261129_000003_change_log::Migration),
            Box::new(m20261129_000004_live_versions::Migration),
            Box::new(m20261129_000005_revisions::Migration),
            Box::new(m20261129_000006_schedule::Migration),
            Box::new(m20261129_000007_login_failures::Migration),
            Box::new(m20261129_000008_webhooks::Migration),
            Box::new(m20261202_000009_installation_secrets::Migration),
            Box::new(m20261203_000010_import_reports::Migration),
            Box::new(m20261203_000011_documents::Migration),
            Box::new(m20261204_000012_partner_keys::Migration),
            Box::new(m20261204_000013_title_order::Migration),
            Box::new(m20261205_000014_preview_title_order::Migration),
            Box::new(m20261205_000015_versions_read_index::Migration),
            Box::new(m20261205_000016_programme_order_indexes::Migration),
        ]
    }
}
