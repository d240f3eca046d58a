//! Failed logins, per account (a hash of the email, never an address), so that the login limit
//! holds across every server process.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, index, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(table!("login_failures", id: big_pk, account: string, at: timestamp)).await?;
        manager.create_index(index("login_failures", &["account", "at"], false)).await?;
        manager.create_index(index("login_failures", &["at"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["login_failures"]).await
    }
}
