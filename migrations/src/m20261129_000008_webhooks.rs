//! Webhooks: targets configured by admins, one delivery row per (webhook, change) with an
//! idempotency key, and the change-log cursor of each consumer.

use sea_orm_migration::prelude::*;

use crate::builders::{col, index, n};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("webhooks"))
                    .col(col("id").integer().not_null().auto_increment().primary_key())
                    .col(col("url").string().not_null())
                    .col(col("events").string().not_null())
                    .col(col("secret").string().not_null())
                    .col(col("active").boolean().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("webhook_deliveries"))
                    .col(col("id").big_integer().not_null().auto_increment().primary_key())
                    .col(col("webhook_id").integer().not_null())
                    .col(col("idempotency_key").string().not_null().unique_key())
                    .col(col("event").string().not_null())
                    .col(col("payload").text().not_null())
                    .col(col("attempts").integer().not_null())
                    .col(col("next_attempt_at").timestamp_with_time_zone().not_null())
                    .col(col("claimed_at").timestamp_with_time_zone().null())
                    .col(col("delivered_at").timestamp_with_time_zone().null())
                    .col(col("failed_at").timestamp_with_time_zone().null())
                    .col(col("last_status").integer().null())
                    .col(col("last_error").string().null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(n("webhook_deliveries"), n("webhook_id"))
                            .to(n("webhooks"), n("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("webhook_deliveries", &["delivered_at", "next_attempt_at"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(n("consumer_cursors"))
                    .col(col("name").string().not_null().primary_key())
                    .col(col("seq").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["consumer_cursors", "webhook_deliveries", "webhooks"] {
            manager.drop_table(Table::drop().table(n(table)).to_owned()).await?;
        }
        Ok(())
    }
}
