//! The indexer: opens (or rebuilds) each index, then applies the change log from the index's
//! own cursor, woken by this process's writes and polling for other processes' writes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_search_index::{IndexDoc, Opened, SearchIndex, Store};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use super::docs;
use super::{IndexKind, Slot, index_error};
use crate::cache::ResponseCache;
use crate::changes;
use crate::config::Config;
use crate::content::ContentType;
use crate::error::{AppError, AppResult};
use crate::locale::Locales;
use crate::metrics::Metrics;

/// Changes read per round.
const BATCH: u64 = 1000;
/// Items read from the database per statement during a rebuild: on PostgreSQL, fewer round trips;
/// on SQLite, whose rows are copied by its own allocator on its connections' threads (glibc arenas
/// that keep their high-water mark for the life of the process), smaller result sets.
fn rebuild_batch(db: &DatabaseConnection) -> u64 {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => 100,
        _ => 500,
    }
}

/// What the indexer works with: the application's database, configuration, locales, metrics,
/// response cache (emptied when an index commits) and search service.
#[derive(Clone)]
pub struct Indexer {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
    pub metrics: Metrics,
    pub cache: Arc<ResponseCache>,
    pub search: Arc<super::SearchService>,
}

/// Keeps both indexes in step until the task is aborted.
pub async fn run(state: Indexer) {
    let every = state.config.search.refresh_interval_ms;
    if every == 0 {
        return;
    }
    loop {
        let mut more = false;
        for kind in [IndexKind::Public, IndexKind::Drafts] {
            // A task of its own, so that a bug (a panic) costs one round, not the indexer.
            let round = tokio::spawn({
                let state = state.clone();
                async move { step(&state, state.search.slot(kind)).await }
            });
            let result = round.await.unwrap_or_else(|e| Err(join_error(e)));
            state.search.slot(kind).record_round(result.is_ok());
            match result {
                Ok(m) => more |= m,
                Err(e) => {
                    tracing::warn!(index = kind.name(), error = %e, "search indexing failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if !more {
            tokio::select! {
                () = state.search.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(every)) => {}
            }
        }
    }
}

/// Opens or rebuilds the index if needed, then applies one batch of changes; true when more
/// changes are waiting.
async fn step(state: &Indexer, slot: &Slot) -> AppResult<bool> {
    let index = ensure_open(state, slot).await?;
    catch_up(state, slot, &index).await
}

async fn ensure_open(state: &Indexer, slot: &Slot) -> AppResult<Arc<SearchIndex>> {
    let live = {
        let store = slot.store.clone();
        tokio::task::spawn_blocking(move || store.current()).await.map_err(join_error)?
    };
    if let Some(index) = slot.get() {
        if live.as_deref() == Some(index.name()) {
            return Ok(index);
        }
        // `chorus reindex` switched to a new directory: let go of the old one.
        tracing::info!(index = slot.kind.name(), "search index replaced by a rebuild; switching");
        slot.set(None);
        drop(index);
    }
    let store = slot.store.clone();
    let opened = tokio::task::spawn_blocking(move || store.open()).await.map_err(join_error)?.map_err(index_error)?;
    let index = match opened {
        Opened::Ready(index) => Arc::new(*index),
        Opened::NeedsRebuild(reason) => {
            tracing::info!(index = slot.kind.name(), %reason, "building the search index from the database");
            let started = Instant::now();
            let index = rebuild(
                &state.db,
                state.locales.codes(),
                &slot.store,
                slot.kind,
                state.config.search.rebuild_threads,
                &|_, _| {},
            )
            .await?;
            tracing::info!(
                index = slot.kind.name(),
                documents = index.num_docs(),
                seconds = started.elapsed().as_secs_f64(),
                "search index built"
            );
            Arc::new(index)
        }
    };
    state.metrics.search_index(slot.kind.name(), index.num_docs(), index.cursor());
    slot.set(Some(index.clone()));
    slot.pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let store = slot.store.clone();
    for (name, reason) in tokio::task::spawn_blocking(move || store.clean_up()).await.map_err(join_error)? {
        tracing::info!(index = slot.kind.name(), directory = %name, %reason, "old index directory kept");
    }
    state.cache.invalidate();
    Ok(index)
}

fn join_error(e: tokio::task::JoinError) -> AppError {
    AppError::internal(format!("index task: {e}"))
}

/// Gap numbers looked at again per round.
const REVISIT: usize = 500;

/// Applies the changes after the index's cursor: new ones read from past the highest handled
/// number (a gap never holds them back), and late commits that fill gaps.
async fn catch_up(state: &Indexer, slot: &Slot, index: &Arc<SearchIndex>) -> AppResult<bool> {
    let cursor = index.cursor();
    let (read_from, missing) = {
        let pending = slot.pending.lock().unwrap_or_else(|p| p.into_inner());
        (pending.read_from(cursor), pending.missing(cursor, REVISIT))
    };
    let mut todo = changes::these(&state.db, &missing).await?;
    let fresh = changes::after(&state.db, read_from, BATCH).await?;
    let more = fresh.len() as u64 == BATCH;
    todo.extend(fresh);
    // What `pending` becomes once this round is in the index; kept only then, so that a round
    // that fails (the database, the index) is read again.
    let mut settled = slot.pending.lock().unwrap_or_else(|p| p.into_inner()).clone();
    settled.handled(&todo);
    let next = settled.settle(cursor, Utc::now());
    if todo.is_empty() && next == cursor {
        return Ok(false);
    }
    let mut by_type: BTreeMap<ContentType, Vec<i32>> = BTreeMap::new();
    for change in &todo {
        if let Some(ty) = ContentType::from_entity(&change.entity) {
            let ids = by_type.entry(ty).or_default();
            if !ids.contains(&change.entity_id) {
                ids.push(change.entity_id);
            }
        }
    }
    let mut items: Vec<(u64, Vec<IndexDoc>)> = Vec::new();
    for (ty, ids) in by_type {
        for (id, docs) in docs::documents(&state.db, ty, &ids, state.locales.codes(), slot.kind.visibility()).await? {
            items.push((docs::item_key(ty, id), docs));
        }
    }
    if !(items.is_empty() && next == cursor) {
        // (Nothing to index with the cursor held by a gap needs no commit.)
        let applying = index.clone();
        tokio::task::spawn_blocking(move || applying.apply(&items, next))
            .await
            .map_err(join_error)?
            .map_err(index_error)?;
    }
    *slot.pending.lock().unwrap_or_else(|p| p.into_inner()) = settled;
    state.cache.invalidate();
    state.metrics.search_index(slot.kind.name(), index.num_docs(), next);
    Ok(more)
}

/// Builds an index from the database into a new directory and switches to it. `progress` is
/// called with (items done, items in all).
pub async fn rebuild(
    db: &DatabaseConnection,
    locales: &[String],
    store: &Store,
    kind: IndexKind,
    threads: usize,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> AppResult<SearchIndex> {
    // Everything up to here is committed; later changes are replayed after the switch.
    let cursor = changes::settled(db, Utc::now()).await?;
    let mut total = 0;
    for ty in ContentType::ALL {
        total += docs::count(db, ty).await?;
    }
    // `None` marks the end: a channel closed without it (an error while reading) leaves the
    // new directory unfinished and the live index untouched. Reading is faster than indexing, so
    // the channel stays full: two batches keep the writer fed without holding more in memory.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Option<Vec<IndexDoc>>>(2);
    let target = store.clone();
    let writer = tokio::task::spawn_blocking(move || -> chorus_search_index::Result<SearchIndex> {
        let mut rebuild = target.begin_rebuild(threads)?;
        while let Some(message) = rx.blocking_recv() {
            let Some(batch) = message else { return rebuild.finish(cursor) };
            for doc in &batch {
                rebuild.add(doc)?;
            }
        }
        Err(chorus_search_index::Error::Invalid("rebuild abandoned".into()))
    });
    let read = async {
        let mut done = 0;
        let batch_size = rebuild_batch(db);
        progress(0, total);
        for ty in ContentType::ALL {
            let mut after = 0;
            loop {
                let ids = docs::ids_after(db, ty, after, batch_size).await?;
                let Some(&last) = ids.last() else { break };
                after = last;
                let batch: Vec<IndexDoc> = docs::documents(db, ty, &ids, locales, kind.visibility())
                    .await?
                    .into_iter()
                    .flat_map(|(_, docs)| docs)
                    .collect();
                done += ids.len() as u64;
                if tx.send(Some(batch)).await.is_err() {
                    // The writer stopped: its error is reported below.
                    return Ok(false);
                }
                progress(done, total);
            }
        }
        Ok::<bool, AppError>(tx.send(None).await.is_ok())
    };
    let read = read.await;
    drop(tx);
    let written = writer.await.map_err(join_error)?;
    read?;
    written.map_err(index_error)
}
