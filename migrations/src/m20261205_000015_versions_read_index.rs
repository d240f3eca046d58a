//! On SQLite, an index holding everything a list reads of its items' versions (status, title,
//! summary, slug, time), so that a page of twenty items reads index pages only.
//!
//! A translation row holds its body before its slug and time, and SQLite keeps a long body's
//! end on overflow pages: reading the slug meant walking them, for every version of every item
//! of a page. PostgreSQL keeps long bodies out of line (TOAST) and limits an index entry's
//! size, so it gets no such index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 4] =
    ["resource_translations", "good_practice_translations", "organization_translations", "programme_translations"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_{table}_versions_read ON {table} \
                 (item_id, locale, version, status, title, summary, slug, updated_at)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in TABLES {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS idx_{table}_versions_read")).await?;
        }
        Ok(())
    }
}
