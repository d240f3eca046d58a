//! Login rate limiting, per account (never per client address, which Chorus does not record),
//! kept in the database so that the limit holds across every server process, and a bound on the
//! password checks one process runs at once.
//!
//! An attempt is *reserved* before its password is checked: in one transaction that holds the
//! account's lock (a PostgreSQL advisory lock; SQLite's `BEGIN IMMEDIATE` admits one writer at a
//! time), the account's rows in the window are counted and, when fewer than the limit, a row is
//! added. So at most `max_failures` passwords are checked per account and window, whatever the
//! concurrency and however many processes share the database. A refused attempt adds nothing
//! (waiting does not prolong the lock), a failed one keeps its row, a successful one clears the
//! account.
//!
//! Accounts are named by an HMAC-SHA256 of the normalised email under a random per-installation
//! secret (`installation_secrets`), so the table cannot be linked to a guessed address without
//! that secret.

use std::time::Duration;

use chorus_entities::{installation_secrets as secrets, login_failures as failures};
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Set, Statement,
};
use sha2::Sha256;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{AppError, AppResult};

/// The name of the secret that keys account hashes.
const SECRET_NAME: &str = "login";
/// How long a login waits for a free password check before it is told to come back.
const CHECK_WAIT: Duration = Duration::from_secs(10);

/// Failed logins allowed per account within a window; further attempts wait for the window to
/// pass, whether or not the password is right, so guessing cannot continue in the background.
pub struct LoginLimiter {
    max_failures: u64,
    window: chrono::Duration,
    key: Vec<u8>,
    checks: Semaphore,
}

/// An attempt that may check its password (its row is in the database).
#[derive(Debug)]
pub struct Reservation {
    id: i64,
    account: String,
}

impl LoginLimiter {
    /// `key` is the installation's secret (see [`installation_secret`]); `concurrent_checks`
    /// bounds the password checks this process runs at once (at least one).
    pub fn new(max_failures: usize, window: Duration, key: Vec<u8>, concurrent_checks: usize) -> LoginLimiter {
        LoginLimiter {
            max_failures: max_failures as u64,
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(15)),
            key,
            checks: Semaphore::new(concurrent_checks.max(1)),
        }
    }

    /// The stored name of an account: a keyed hash of its normalised email.
    fn account(&self, email: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(email.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reserves an attempt for this account, or `None` when the account has used its attempts
    /// for the window.
    pub async fn reserve(&self, db: &DatabaseConnection, email: &str) -> AppResult<Option<Reservation>> {
        let account = self.account(email);
        let now = Utc::now();
        let txn = crate::db::begin_write(db).await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // The account's attempts queue here, in every process; SQLite's BEGIN IMMEDIATE
            // already lets one writer in at a time.
            let lock = i64::from_str_radix(&account[..15], 16).unwrap_or_default();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock($1)",
                [lock.into()],
            ))
            .await?;
        }
        let recent = failures::Entity::find()
            .filter(failures::Column::Account.eq(account.as_str()))
            .filter(failures::Column::At.gt(now - self.window))
            .count(&txn)
            .await?;
        if recent >= self.max_failures {
            return Ok(None);
        }
        let row = failures::ActiveModel { account: Set(account.clone()), at: Set(now), ..Default::default() }
            .insert(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(Reservation { id: row.id, account }))
    }

    /// The attempt failed: its row stays and counts; rows older than the window go, so the table
    /// stays as small as the window.
    pub async fn failed<C: ConnectionTrait>(&self, db: &C, _attempt: Reservation) -> AppResult<()> {
        failures::Entity::delete_many().filter(failures::Column::At.lt(Utc::now() - self.window)).exec(db).await?;
        Ok(())
    }

    /// The attempt could not be made (the server was busy): it does not count.
    pub async fn cancel<C: ConnectionTrait>(&self, db: &C, attempt: Reservation) -> AppResult<()> {
        failures::Entity::delete_by_id(attempt.id).exec(db).await?;
        Ok(())
    }

    /// The attempt succeeded: the account starts afresh.
    pub async fn succeeded<C: ConnectionTrait>(&self, db: &C, attempt: Reservation) -> AppResult<()> {
        failures::Entity::delete_many().filter(failures::Column::Account.eq(attempt.account)).exec(db).await?;
        Ok(())
    }

    /// A permit to run one password check in this process; `Unavailable` when every permit
    /// stayed taken for a while (a flood of logins cannot hold every core).
    pub async fn password_check(&self) -> AppResult<SemaphorePermit<'_>> {
        match tokio::time::timeout(CHECK_WAIT, self.checks.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Unavailable("too many sign-ins at once; try again shortly".into())),
        }
    }
}

/// The installation's secret for account hashes: made at random by the first process that needs
/// it and read by every other.
pub async fn installation_secret<C: ConnectionTrait>(db: &C) -> AppResult<Vec<u8>> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("random source: {e}")))?;
    let fresh: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    secrets::Entity::insert(secrets::ActiveModel { name: Set(SECRET_NAME.into()), value: Set(fresh) })
        .on_conflict(OnConflict::column(secrets::Column::Name).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    let stored = secrets::Entity::find_by_id(SECRET_NAME.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("the installation secret is missing"))?;
    Ok(stored.value.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_keyed() {
        let a = LoginLimiter::new(5, Duration::from_secs(60), b"one".to_vec(), 1);
        let b = LoginLimiter::new(5, Duration::from_secs(60), b"two".to_vec(), 1);
        assert_eq!(a.account("ana@example.org"), a.account("ana@example.org"));
        assert_ne!(a.account("ana@example.org"), b.account("ana@example.org"));
        assert_ne!(a.account("ana@example.org"), crate::auth::token_hash("ana@example.org"));
        assert_eq!(a.account("ana@example.org").len(), 64);
    }
}
