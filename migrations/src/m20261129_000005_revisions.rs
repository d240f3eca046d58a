//! Revisions: every save of a locale version keeps a full snapshot (who, when, what changed), so
//! history can be shown, compared and restored, and outdated translations can show the source
//! text they were made from.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, n, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let revisions = table!("revisions", id: big_pk, entity: string, entity_id: int, locale: string,
            user_id: int_null, display_name: string, at: timestamp, status: string, title: text, summary: text,
            body: text, slug: string, hashes: text, changed: string);
        manager.create_table(revisions).await?;
        let index = Index::create()
            .name("idx_revisions_entity_entity_id_locale_id")
            .table(n("revisions"))
            .col(n("entity"))
            .col(n("entity_id"))
            .col(n("locale"))
            .col(n("id"))
            .to_owned();
        manager.create_index(index).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["revisions"]).await
    }
}
