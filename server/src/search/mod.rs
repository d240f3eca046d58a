//! Full-text search: the process's two indexes (published content for everyone, working copies
//! for editors), kept in step with the database from the change log, and the search service the
//! API calls.
//!
//! Each process keeps its own indexes under `search.dir`; each index commit carries the
//! change-log cursor it reflects (see `chorus_search_index::store`), so a crash anywhere is
//! followed by a replay from that cursor, and applying a change means re-reading the item and
//! replacing its documents, which is idempotent.

pub mod docs;
pub mod indexer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chorus_search_index::{SearchIndex, SearchRequest, SearchResults, Store};
use tokio::sync::Notify;

use crate::config::Config;
use crate::content::{ContentType, Visibility};
use crate::error::{AppError, AppResult};

/// Which index.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IndexKind {
    /// Published versions: what `search` reads.
    Public,
    /// Working copies (drafts, in review, published): what `searchDrafts` reads, for editors.
    Drafts,
}

impl IndexKind {
    pub fn visibility(self) -> Visibility {
        match self {
            IndexKind::Public => Visibility::Public,
            IndexKind::Drafts => Visibility::Preview,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Public => "public",
            IndexKind::Drafts => "drafts",
        }
    }
}

/// Whether an index can answer searches.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IndexState {
    /// Open: searches are answered.
    Open,
    /// Not open yet: the indexer is opening or building it.
    Building,
    /// Not open, and the indexer's last attempt failed (a directory held by another process or
    /// unwritable, say; the log says why); it keeps retrying.
    Failing,
}

/// One index of this process.
pub struct Slot {
    pub kind: IndexKind,
    pub store: Store,
    index: RwLock<Option<Arc<SearchIndex>>>,
    /// Whether the indexer's last round on this index failed.
    failing: AtomicBool,
    /// Changes applied beyond the index's cursor (after a gap).
    pending: Mutex<crate::changes::Pending>,
}

impl Slot {
    fn new(kind: IndexKind, store: Store) -> Slot {
        Slot {
            kind,
            store,
            index: RwLock::new(None),
            failing: AtomicBool::new(false),
            pending: Mutex::new(Default::default()),
        }
    }

    pub fn get(&self) -> Option<Arc<SearchIndex>> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn state(&self) -> IndexState {
        if self.get().is_some() {
            IndexState::Open
        } else if self.failing.load(Ordering::Relaxed) {
            IndexState::Failing
        } else {
            IndexState::Building
        }
    }

    fn record_round(&self, ok: bool) {
        self.failing.store(!ok, Ordering::Relaxed);
    }

    fn set(&self, index: Option<Arc<SearchIndex>>) {
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    }
}

/// The search service of one process.
pub struct SearchService {
    pub public: Slot,
    pub drafts: Slot,
    wake: Notify,
    /// The threads that compute searches (`search.max_concurrent_searches`).
    pool: SearchPool,
}

type Job = Box<dyn FnOnce() + Send>;

/// A few threads of their own that compute searches, one search each at a time; searches
/// beyond them wait their turn in the queue.
///
/// Searches ran on tokio's blocking pool before, as many at once but on whichever of its
/// threads was free: each of those threads' allocator heaps then kept the pages of the searches
/// it had run, and the memory of searching was held many times over (docs/BENCHMARKS.md).
struct SearchPool {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl SearchPool {
    fn new(threads: usize) -> SearchPool {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("chorus-search-{n}")).spawn(move || {
                loop {
                    // The lock is held only to take the next job, not while running it.
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok(job) = job else { return };
                    // A search that panics loses its own answer (its caller is told), not the
                    // thread.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "a search thread could not start");
            }
        }
        SearchPool { jobs }
    }

    /// Runs `f` on a search thread.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| AppError::internal("the search threads have stopped"))?;
        rx.await.map_err(|_| AppError::internal("a search failed on its thread"))
    }
}

impl SearchService {
    pub fn new(config: &Config, locales: Vec<String>) -> SearchService {
        let root = config.search.dir(&config.server.data_dir);
        let store = |name: &str, locales: Vec<String>| {
            Store::new(root.join(name), locales).with_result_cache(config.search.result_cache())
        };
        SearchService {
            public: Slot::new(IndexKind::Public, store("public", locales.clone())),
            drafts: Slot::new(IndexKind::Drafts, store("drafts", locales)),
            wake: Notify::new(),
            pool: SearchPool::new(config.search.concurrent_searches()),
        }
    }

    pub fn slot(&self, kind: IndexKind) -> &Slot {
        match kind {
            IndexKind::Public => &self.public,
            IndexKind::Drafts => &self.drafts,
        }
    }

    /// Tells the indexer that this process committed a change.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Re-reads one item into every open index of this process now, without waiting for the
    /// indexer: a takedown (unpublish, archive, delete) is out of search before its mutation
    /// returns. The change log still carries the change to the indexer and to other processes.
    pub async fn refresh_item(
        &self,
        db: &sea_orm::DatabaseConnection,
        locales: &[String],
        ty: ContentType,
        id: i32,
    ) -> AppResult<()> {
        for slot in [&self.public, &self.drafts] {
            let Some(index) = slot.get() else { continue };
            let items: Vec<(u64, Vec<chorus_search_index::IndexDoc>)> =
                docs::documents(db, ty, &[id], locales, slot.kind.visibility())
                    .await?
                    .into_iter()
                    .map(|(id, docs)| (docs::item_key(ty, id), docs))
                    .collect();
            tokio::task::spawn_blocking(move || index.replace(&items))
                .await
                .map_err(|e| AppError::internal(format!("index task: {e}")))?
                .map_err(index_error)?;
        }
        Ok(())
    }

    /// Runs a search on a search thread, at most `search.max_concurrent_searches` at once
    /// (answers from the result cache directly).
    pub async fn search(&self, kind: IndexKind, request: SearchRequest) -> AppResult<SearchResults> {
        let index = self
            .slot(kind)
            .get()
            .ok_or_else(|| AppError::Unavailable("the search index is being built; try again shortly".into()))?;
        if let Some(results) = index.cached(&request) {
            return Ok(results);
        }
        self.pool.run(move || index.search(&request)).await?.map_err(index_error)
    }
}

pub fn index_error(e: chorus_search_index::Error) -> AppError {
    AppError::internal(e.to_string())
}
