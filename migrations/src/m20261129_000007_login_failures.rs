//! Failed logins, per account (a hash of the email, never an address), so that the login limit
//! holds across every server process.

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
                    .table(n("login_failures"))
                    .col(col("id").big_integer().not_null().auto_increment().primary_key())
                    .col(col("account").string().not_null())
                    .col(col("at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("login_failures", &["account", "at"], false)).await?;
        manager.create_index(index("login_failures", &["at"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(n("login_failures")).to_owned()).await?;
        Ok(())
    }
}
