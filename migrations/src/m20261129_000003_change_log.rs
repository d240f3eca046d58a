//! The append-only change log (feeds webhooks and, later, the search index) and the audit log.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, n, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let change_log = table!("change_log", seq: big_pk, entity: string, entity_id: int, locale: string_null,
            operation: string, at: timestamp);
        let audit_log = table!("audit_log", id: big_pk, user_id: int_null, display_name: string, action: string,
            entity: string, entity_id: int, locale: string_null, at: timestamp);
        manager.create_table(change_log).await?;
        manager.create_table(audit_log).await?;
        manager
            .create_index(Index::create().name("idx_audit_log_at").table(n("audit_log")).col(n("at")).to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["audit_log", "change_log"]).await
    }
}
