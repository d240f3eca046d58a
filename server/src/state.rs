//! The state shared by every request of one application instance.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::auth::limiter::LoginLimiter;
use crate::cache::ResponseCache;
use crate::config::Config;
use crate::content::ContentType;
use crate::locale::Locales;
use crate::metrics::Metrics;
use crate::search::SearchService;
use crate::storage::Storage;
use crate::write::{Changed, Notify};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
    pub metrics: Metrics,
    /// Public query responses; emptied after every committed write (`Notify`).
    pub cache: Arc<ResponseCache>,
    pub login_limiter: Arc<LoginLimiter>,
    /// This process's search indexes.
    pub search: Arc<SearchService>,
    /// Where documents' bytes are kept.
    pub storage: Storage,
    /// Wakes the document-text job (after an upload).
    pub documents_wake: Arc<tokio::sync::Notify>,
    /// Partner keys read by this process, their rate buckets and uncounted use.
    pub partners: Arc<crate::partners::Partners>,
    /// Terms, organisations and programmes in memory (`content::reference`).
    pub reference: Arc<crate::content::reference::Reference>,
}

impl AppState {
    /// To be called after every committed content write: clears cached responses and wakes the
    /// search indexer.
    pub fn changed(&self) {
        self.cache.invalidate();
        self.search.wake();
    }

    /// To be called after a committed takedown (unpublish, archive, delete) instead of
    /// `changed()`: the item also leaves this process's search indexes before the caller is
    /// answered. Should that fail, the indexer still applies it from the change log.
    pub async fn taken_down(&self, ty: ContentType, id: i32) {
        self.changed();
        if let Err(e) = self.search.refresh_item(&self.db, self.locales.codes(), ty, id).await {
            tracing::warn!(error = %e, "search index not updated at once after a takedown; the indexer will");
        }
        // What was cached while the index still held the item.
        self.cache.invalidate();
    }
}

/// After a committed write: takedowns leave this process's indexes at once, anything else
/// clears the response cache and wakes the indexer.
impl Notify for AppState {
    fn before_commit<'a>(
        &'a self,
        txn: &'a sea_orm::DatabaseTransaction,
        changes: &'a [Changed],
    ) -> BoxFuture<'a, crate::error::AppResult<()>> {
        Box::pin(crate::content::title_order::keep(txn, &self.locales, changes))
    }

    fn committed<'a>(&'a self, changes: &'a [Changed]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // Before the writer is answered, so that it reads its own change.
            if let Err(e) = self.reference.changed(&self.db, changes.iter().map(|c| c.entity.as_str())).await {
                tracing::warn!(error = %e, "reference data not reread after a write; the next poll will");
            }
            let takedowns: Vec<(ContentType, i32)> = changes
                .iter()
                .filter(|c| c.is_takedown())
                .filter_map(|c| Some((ContentType::from_entity(&c.entity)?, c.entity_id)))
                .collect();
            if takedowns.is_empty() {
                self.changed();
            }
            for (ty, id) in takedowns {
                self.taken_down(ty, id).await;
            }
        })
    }
}

impl crate::content::Services for AppState {
    fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    fn locales(&self) -> &Locales {
        &self.locales
    }
}
