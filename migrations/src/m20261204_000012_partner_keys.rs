//! Partner keys for the public search endpoint and the embeddable widget: who may search from
//! which sites, within which scope and rate, and how much each key was used per day (counts
//! only: no query, no reader address).

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, fk, index, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table!("partner_keys",
                id: pk, description: string, key_prefix: string, key_hash: unique_string,
                origins: text, locales: text, regions: text, kinds: text, topics: text, programmes: text,
                rate_per_minute: int, burst: int,
                expires_at: timestamp_null, revoked_at: timestamp_null, rotated_at: timestamp_null,
                created_by: int_null, created_at: timestamp;
                fk("partner_keys", "created_by", "users", ForeignKeyAction::SetNull)))
            .await?;
        manager
            .create_table(table!("partner_key_usage",
                id: pk, key_id: int, day: string, requests: big, zero_results: big, rate_limited: big;
                fk("partner_key_usage", "key_id", "partner_keys", ForeignKeyAction::Cascade)))
            .await?;
        manager.create_index(index("partner_key_usage", &["key_id", "day"], true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["partner_key_usage", "partner_keys"]).await
    }
}
