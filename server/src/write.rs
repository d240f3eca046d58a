//! The one write path. Every write, the CLI's included, goes through [`Write`]:
//!
//! ```text
//! let w = Write::begin(&db, actor, notify).await?;   // the write transaction (IMMEDIATE on SQLite)
//! ... statements on w.txn() ...
//! w.record(...) / w.audit(...)                        // change-log and audit rows, same transaction
//! w.commit().await?;                                  // commit, then notify caches and search
//! ```
//!
//! Dropping a `Write` without committing rolls everything back, so an error anywhere leaves
//! nothing behind. What a write changed is told to its [`Notify`] only after the commit: the
//! server clears its response cache and updates its search indexes; the CLI, which holds no
//! cache, notifies no one (other processes follow the change log).

use std::sync::Mutex;

use chorus_entities::{audit_log, change_log};
use chrono::Utc;
use futures_util::future::BoxFuture;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DatabaseTransaction, Set};

use crate::error::AppResult;

/// Who makes a change, as the audit log names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the system (the command line, scheduled jobs run for no one).
    pub user_id: Option<i32>,
    pub display_name: String,
}

impl Actor {
    /// No signed-in user: the operator at the command line (`system (chorus user create)`),
    /// or a setup step.
    pub fn system(what: &str) -> Actor {
        Actor { user_id: None, display_name: format!("system ({what})") }
    }
}

/// A committed change to content, as the change log holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// The content type's entity name (`resource`, `term`...).
    pub entity: String,
    pub entity_id: i32,
    pub locale: Option<String>,
    /// `created`, `updated`, `published`, `unpublished`, `deleted`.
    pub operation: String,
}

impl Changed {
    /// Whether the change takes content offline (readers must stop seeing it at once).
    pub fn is_takedown(&self) -> bool {
        matches!(self.operation.as_str(), "unpublished" | "deleted")
    }
}

/// One change for [`Write::record_many`]: an audit row, and a change-log row when `operation`
/// is given (several audit actions may share one change).
#[derive(Clone, Debug)]
pub struct Recorded<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: i32,
    pub locale: Option<&'a str>,
    pub operation: Option<&'a str>,
}

/// Told what a write changed once it is committed.
pub trait Notify: Send + Sync {
    fn committed<'a>(&'a self, changes: &'a [Changed]) -> BoxFuture<'a, ()>;

    /// Told what a write changed just before it commits, in its transaction: where data derived
    /// from content is kept in step with it (`content::title_order`). An error rolls the write
    /// back.
    fn before_commit<'a>(
        &'a self,
        _txn: &'a DatabaseTransaction,
        _changes: &'a [Changed],
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// No one to tell (the command line).
impl Notify for () {
    fn committed<'a>(&'a self, _: &'a [Changed]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// One write: its transaction, who makes it, and what it recorded.
pub struct Write<'a> {
    txn: DatabaseTransaction,
    actor: Actor,
    notify: &'a dyn Notify,
    changed: Mutex<Vec<Changed>>,
}

impl<'a> Write<'a> {
    /// Opens the write transaction (`BEGIN IMMEDIATE` on SQLite, see `db::begin_write`).
    pub async fn begin(db: &DatabaseConnection, actor: Actor, notify: &'a dyn Notify) -> AppResult<Write<'a>> {
        let txn = crate::db::begin_write(db).await?;
        Ok(Write { txn, actor, notify, changed: Mutex::new(Vec::new()) })
    }

    /// The transaction, for the write's own statements.
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Records a change to content: a change-log row (which search indexes, caches of other
    /// processes and webhooks follow) and an audit row.
    pub async fn record(
        &self,
        action: &str,
        entity: &str,
        entity_id: i32,
        locale: Option<&str>,
        operation: &str,
    ) -> AppResult<()> {
        change_log::ActiveModel {
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id),
            locale: Set(locale.map(str::to_owned)),
            operation: Set(operation.to_owned()),
            at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.txn)
        .await?;
        self.audit(action, entity, entity_id, locale).await?;
        self.changed.lock().unwrap_or_else(|p| p.into_inner()).push(Changed {
            entity: entity.to_owned(),
            entity_id,
            locale: locale.map(str::to_owned),
            operation: operation.to_owned(),
        });
        Ok(())
    }

    /// Records many changes at once (`record` for each, in a few multi-row statements): the
    /// translation-file import, which changes thousands of items in one write.
    pub async fn record_many(&self, changes: &[Recorded<'_>]) -> AppResult<()> {
        use sea_orm::EntityTrait;
        let now = Utc::now();
        for chunk in changes.chunks(200) {
            let logs = chunk.iter().filter(|c| c.operation.is_some()).map(|c| change_log::ActiveModel {
                entity: Set(c.entity.to_owned()),
                entity_id: Set(c.entity_id),
                locale: Set(c.locale.map(str::to_owned)),
                operation: Set(c.operation.unwrap_or_default().to_owned()),
                at: Set(now),
                ..Default::default()
            });
            let logs: Vec<_> = logs.collect();
            if !logs.is_empty() {
                change_log::Entity::insert_many(logs).exec(&self.txn).await?;
            }
            let audits = chunk.iter().map(|c| audit_log::ActiveModel {
                user_id: Set(self.actor.user_id),
                display_name: Set(self.actor.display_name.clone()),
                action: Set(c.action.to_owned()),
                entity: Set(c.entity.to_owned()),
                entity_id: Set(c.entity_id),
                locale: Set(c.locale.map(str::to_owned)),
                at: Set(now),
                ..Default::default()
            });
            audit_log::Entity::insert_many(audits.collect::<Vec<_>>()).exec(&self.txn).await?;
        }
        let mut changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
        for c in changes.iter().filter(|c| c.operation.is_some()) {
            changed.push(Changed {
                entity: c.entity.to_owned(),
                entity_id: c.entity_id,
                locale: c.locale.map(str::to_owned),
                operation: c.operation.unwrap_or_default().to_owned(),
            });
        }
        Ok(())
    }

    /// Records an audit row only, for changes that are not content (accounts, webhooks,
    /// schedules).
    pub async fn audit(&self, action: &str, entity: &str, entity_id: i32, locale: Option<&str>) -> AppResult<()> {
        audit_log::ActiveModel {
            user_id: Set(self.actor.user_id),
            display_name: Set(self.actor.display_name.clone()),
            action: Set(action.to_owned()),
            entity: Set(entity.to_owned()),
            entity_id: Set(entity_id),
            locale: Set(locale.map(str::to_owned)),
            at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    /// Undoes everything the write did (a dry run); no one is told anything.
    pub async fn rollback(self) -> AppResult<()> {
        self.txn.rollback().await?;
        Ok(())
    }

    /// Commits, then tells the notifier what changed.
    pub async fn commit(self) -> AppResult<()> {
        let changed = self.changed.into_inner().unwrap_or_else(|p| p.into_inner());
        if !changed.is_empty() {
            self.notify.before_commit(&self.txn, &changed).await?;
        }
        self.txn.commit().await?;
        if !changed.is_empty() {
            self.notify.committed(&changed).await;
        }
        Ok(())
    }
}
