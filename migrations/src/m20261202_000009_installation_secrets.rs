//! Secrets made once per installation and shared by every server process (the key of the keyed
//! hashes that name accounts in `login_failures`). The failures recorded before under a plain
//! SHA-256 of the email are dropped: they could be linked to a guessed address.

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
                    .table(n("installation_secrets"))
                    .col(col("name").string().not_null().primary_key())
                    .col(col("value").string().not_null())
                    .to_owned(),
            )
            .await?;
        manager.exec_stmt(Query::delete().from_table(n("login_failures")).to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(n("installation_secrets")).to_owned()).await?;
        Ok(())
    }
}
