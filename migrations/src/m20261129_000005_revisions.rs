//! Revisions: every save of a locale version keeps a full snapshot (who, when, what changed), so
//! history can be shown, compared and restored, and outdated translations can show the source
//! text they were made from.

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
                    .table(n("revisions"))
                    .col(col("id").big_integer().not_null().auto_increment().primary_key())
                    .col(col("entity").string().not_null())
                    .col(col("entity_id").integer().not_null())
                    .col(col("locale").string().not_null())
                    .col(col("user_id").integer().null())
                    .col(col("display_name").string().not_null())
                    .col(col("at").timestamp_with_time_zone().not_null())
                    .col(col("status").string().not_null())
                    .col(col("title").text().not_null())
                    .col(col("summary").text().not_null())
                    .col(col("body").text().not_null())
                    .col(col("slug").string().not_null())
                    .col(col("hashes").text().not_null())
                    .col(col("changed").string().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_revisions_entity_entity_id_locale_id")
                    .table(n("revisions"))
                    .col(n("entity"))
                    .col(n("entity_id"))
                    .col(n("locale"))
                    .col(n("id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(n("revisions")).to_owned()).await?;
        Ok(())
    }
}
