//! Accounts: users with roles, login sessions and API tokens (tokens stored hashed).

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, fk, n, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn owned_by_user(table: &str) -> ForeignKeyCreateStatement {
    fk(table, "user_id", "users", ForeignKeyAction::Cascade)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let users = table!("users", id: pk, email: unique_string, display_name: string, password_hash: string,
            role: string, locales: string, disabled: flag, created_at: timestamp, updated_at: timestamp);
        let sessions = table!("sessions", id: pk, user_id: int, token_hash: unique_string, created_at: timestamp,
            expires_at: timestamp, revoked_at: timestamp_null; owned_by_user("sessions"));
        let api_tokens = table!("api_tokens", id: pk, user_id: int, name: string, token_hash: unique_string,
            scopes: string, created_at: timestamp, expires_at: timestamp_null, last_used_at: timestamp_null,
            revoked_at: timestamp_null; owned_by_user("api_tokens"));
        for t in [users, sessions, api_tokens] {
            manager.create_table(t).await?;
        }
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
        drop_tables(manager, &["api_tokens", "sessions", "users"]).await
    }
}
