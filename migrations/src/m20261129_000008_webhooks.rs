//! Webhooks: targets configured by admins, one delivery row per (webhook, change) with an
//! idempotency key, and the change-log cursor of each consumer.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, fk, index, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let webhooks = table!("webhooks", id: pk, url: string, events: string, secret: string, active: flag,
            created_at: timestamp);
        let deliveries = table!("webhook_deliveries", id: big_pk, webhook_id: int, idempotency_key: unique_string,
            event: string, payload: text, attempts: int, next_attempt_at: timestamp, claimed_at: timestamp_null,
            delivered_at: timestamp_null, failed_at: timestamp_null, last_status: int_null, last_error: string_null,
            created_at: timestamp; fk("webhook_deliveries", "webhook_id", "webhooks", ForeignKeyAction::Cascade));
        manager.create_table(webhooks).await?;
        manager.create_table(deliveries).await?;
        manager.create_index(index("webhook_deliveries", &["delivered_at", "next_attempt_at"], false)).await?;
        manager.create_table(table!("consumer_cursors", name: string_pk, seq: big)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["consumer_cursors", "webhook_deliveries", "webhooks"]).await
    }
}
