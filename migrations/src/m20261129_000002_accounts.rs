//! Accounts: users with roles, login sessions and API tokens (tokens stored hashed).

use sea_orm_migration::prelude::*;

use crate::builders::{col, n};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn owned_by_user(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(n(table), n("user_id"))
        .to(n("users"), n("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("users"))
                    .col(col("id").integer().not_null().auto_increment().primary_key())
                    .col(col("email").string().not_null().unique_key())
                    .col(col("display_name").string().not_null())
                    .col(col("password_hash").string().not_null())
                    .col(col("role").string().not_null())
                    .col(col("locales").string().not_null())
                    .col(col("disabled").boolean().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("updated_at").timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("sessions"))
                    .col(col("id").integer().not_null().auto_increment().primary_key())
                    .col(col("user_id").integer().not_null())
                    .col(col("token_hash").string().not_null().unique_key())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("expires_at").timestamp_with_time_zone().not_null())
                    .col(col("revoked_at").timestamp_with_time_zone().null())
                    .foreign_key(&mut owned_by_user("sessions"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(n("api_tokens"))
                    .col(col("id").integer().not_null().auto_increment().primary_key())
                    .col(col("user_id").integer().not_null())
                    .col(col("name").string().not_null())
                    .col(col("token_hash").string().not_null().unique_key())
                    .col(col("scopes").string().not_null())
                    .col(col("created_at").timestamp_with_time_zone().not_null())
                    .col(col("expires_at").timestamp_with_time_zone().null())
                    .col(col("last_used_at").timestamp_with_time_zone().null())
                    .col(col("revoked_at").timestamp_with_time_zone().null())
                    .foreign_key(&mut owned_by_user("api_tokens"))
                    .to_owned(),
            )
            .await?;
        for table in ["sessions", "api_tokens"] {
            manager
                .create_index(
                    Index::create().name(format!("idx_{table}_user_id")).table(n(table)).col(n("user_id")).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["api_tokens", "sessions", "users"] {
            manager.drop_table(Table::drop().table(n(table)).to_owned()).await?;
        }
        Ok(())
    }
}
