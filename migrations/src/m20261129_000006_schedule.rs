//! Scheduled publications: carried out by whichever server process claims them first, so they
//! survive restarts.

use sea_orm_migration::prelude::*;

use crate::builders::{col, n};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("scheduled_publications"))
                    .col(col("id").integer().not_null().auto_increment().primary_key())
                    .col(col("entity").string().not_null())
                    .col(col("entity_id").integer().not_null())
                    .col(col("locale").string().not_null())
                    .col(col("publish_at").timestamp_with_time_zone().not_null())
                    .col(col("user_id").integer().not_null())
                    .col(col("claimed_at").timestamp_with_time_zone().null())
                    .col(col("done_at").timestamp_with_time_zone().null())
                    .col(col("outcome").string().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_scheduled_publications_publish_at")
                    .table(n("scheduled_publications"))
                    .col(n("done_at"))
                    .col(n("publish_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(n("scheduled_publications")).to_owned()).await?;
        Ok(())
    }
}
