//! Scheduled publications: carried out by whichever server process claims them first, so they
//! survive restarts.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, n, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let scheduled = table!("scheduled_publications", id: pk, entity: string, entity_id: int, locale: string,
            publish_at: timestamp, user_id: int, claimed_at: timestamp_null, done_at: timestamp_null,
            outcome: string_null);
        manager.create_table(scheduled).await?;
        let index = Index::create()
            .name("idx_scheduled_publications_publish_at")
            .table(n("scheduled_publications"))
            .col(n("done_at"))
            .col(n("publish_at"))
            .to_owned();
        manager.create_index(index).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["scheduled_publications"]).await
    }
}
