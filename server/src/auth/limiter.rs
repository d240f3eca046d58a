//! Login rate limiting, per account (never per client address, which Chorus does not record),
//! kept in the database so that the limit holds across every server process.

use std::time::Duration;

use chorus_entities::login_failures as failures;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::token_hash;
use crate::error::AppResult;

/// Failed logins allowed per account within a window; further attempts wait for the window to
/// pass, whether or not the password is right, so guessing cannot continue in the background.
pub struct LoginLimiter {
    max_failures: u64,
    window: chrono::Duration,
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures: max_failures as u64,
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(15)),
        }
    }

    /// Whether another attempt for this account may be made now.
    pub async fn allowed<C: ConnectionTrait>(&self, db: &C, account: &str) -> AppResult<bool> {
        let recent = failures::Entity::find()
            .filter(failures::Column::Account.eq(token_hash(account)))
            .filter(failures::Column::At.gt(Utc::now() - self.window))
            .count(db)
            .await?;
        Ok(recent < self.max_failures)
    }

    pub async fn record_failure<C: ConnectionTrait>(&self, db: &C, account: &str) -> AppResult<()> {
        let now = Utc::now();
        failures::ActiveModel { account: Set(token_hash(account)), at: Set(now), ..Default::default() }
            .insert(db)
            .await?;
        // Old failures of every account go, so the table stays as small as the window.
        failures::Entity::delete_many().filter(failures::Column::At.lt(now - self.window)).exec(db).await?;
        Ok(())
    }

    pub async fn reset<C: ConnectionTrait>(&self, db: &C, account: &str) -> AppResult<()> {
        failures::Entity::delete_many().filter(failures::Column::Account.eq(token_hash(account))).exec(db).await?;
        Ok(())
    }
}
