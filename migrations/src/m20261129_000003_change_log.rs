//! The append-only change log (feeds webhooks and, later, the search index) and the audit log.

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
                    .table(n("change_log"))
                    .col(col("seq").big_integer().not_null().auto_increment().primary_key())
                    .col(col("entity").string().not_null())
                    .col(col("entity_id").integer().not_null())
                    .col(col("locale").string().null())
                    .col(col("operation").string().not_null())
                    .col(col("at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("audit_log"))
                    .col(col("id").big_integer().not_null().auto_increment().primary_key())
                    .col(col("user_id").integer().null())
                    .col(col("display_name").string().not_null())
                    .col(col("action").string().not_null())
                    .col(col("entity").string().not_null())
                    .col(col("entity_id").integer().not_null())
                    .col(col("locale").string().null())
                    .col(col("at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_audit_log_at").table(n("audit_log")).col(n("at")).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_log", "change_log"] {
            manager.drop_table(Table::drop().table(n(table)).to_owned()).await?;
        }
        Ok(())
    }
}
