//! Secrets made once per installation and shared by every server process (the key of the keyed
//! hashes that name accounts in `login_failures`). The failures recorded before under a plain
//! SHA-256 of the email are dropped: they could be linked to a guessed address.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, n, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(table!("installation_secrets", name: string_pk, value: string)).await?;
        manager.exec_stmt(Query::delete().from_table(n("login_failures")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["installation_secrets"]).await
    }
}
