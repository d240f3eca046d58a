//! Index directories and commits.
//!
//! A store is a folder holding index directories (`idx-<nanos>`) and a `CURRENT` file naming the
//! live one, replaced by an atomic rename. Every commit carries a payload with the schema
//! version, the configured locales and the change-log cursor, so the index and the position it
//! reflects are committed together: after a crash the index reopens at its last commit and the
//! caller replays the change log from that cursor. A rebuild writes a new directory and switches
//! `CURRENT` only once it is committed; a crash during a rebuild leaves the old index in place.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::index::SegmentId;
use tantivy::indexer::UserOperation;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::cache::{CacheSettings, ResultCache};
use crate::columns::{DocColumns, FacetColumn};
use crate::schema::{Fields, IndexDoc, SCHEMA_VERSION, register_tokenizers, schema};
use crate::{Error, Result};

const CURRENT: &str = "CURRENT";
const WRITER_HEAP: usize = 64 * 1024 * 1024;
const REBUILD_HEAP: usize = 512 * 1024 * 1024;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Payload {
    version: u32,
    locales: Vec<String>,
    cursor: i64,
    /// Every item's documents were written as one batch (consecutive, in one segment); indexes
    /// written before this was recorded say no, and are searched all the same.
    #[serde(default)]
    grouped: bool,
}

/// A folder of index directories for one set of configured locales.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
    locales: Vec<String>,
    cache: CacheSettings,
}

/// What [`Store::open`] found.
pub enum Opened {
    Ready(Box<SearchIndex>),
    /// There is no index, or it cannot be used (the reason says why): rebuild it.
    NeedsRebuild(String),
}

impl Store {
    pub fn new(root: impl Into<PathBuf>, locales: Vec<String>) -> Store {
        Store { root: root.into(), locales, cache: CacheSettings::OFF }
    }

    /// Keeps recent results of the indexes this store opens (see [`crate::cache`]).
    pub fn with_result_cache(mut self, settings: CacheSettings) -> Store {
        self.cache = settings;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The name of the live index directory, if any.
    pub fn current(&self) -> Option<String> {
        let name = fs::read_to_string(self.root.join(CURRENT)).ok()?;
        let name = name.trim();
        (name.starts_with("idx-") && !name.contains(['/', '\\'])).then(|| name.to_owned())
    }

    /// Opens the live index, checking that it can be read and that it was built for this schema
    /// and these locales.
    pub fn open(&self) -> Result<Opened> {
        let Some(name) = self.current() else {
            return Ok(Opened::NeedsRebuild("no index yet".into()));
        };
        let dir = self.root.join(&name);
        if !dir.is_dir() {
            return Ok(Opened::NeedsRebuild(format!("the index directory {name} is missing")));
        }
        match SearchIndex::open(&dir, name.clone(), &self.locales, self.cache) {
            Ok(index) => Ok(Opened::Ready(Box::new(index))),
            Err(Error::Tantivy(tantivy::TantivyError::LockFailure(..))) => {
                Err(Error::Invalid(format!("the index {name} is in use by another process")))
            }
            Err(e) => Ok(Opened::NeedsRebuild(format!("the index {name} cannot be used: {e}"))),
        }
    }

    /// Starts building a fresh index in a new directory.
    pub fn begin_rebuild(&self, threads: usize) -> Result<Rebuild> {
        fs::create_dir_all(&self.root)?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!("idx-{nanos}");
        let dir = self.root.join(&name);
        fs::create_dir(&dir)?;
        let index = Index::create_in_dir(&dir, schema())?;
        register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let writer = index.writer_with_num_threads(threads.max(1), REBUILD_HEAP.min((threads.max(1) * 256) << 20))?;
        Ok(Rebuild {
            store: self.clone(),
            name,
            index,
            writer,
            fields,
            added: 0,
            pending: (0, Vec::new()),
            written: HashSet::new(),
            grouped: true,
        })
    }

    /// Removes index directories other than the live one that no process is writing to
    /// (leftovers of a crashed rebuild, or indexes replaced by a rebuild); returns those kept,
    /// with the reason.
    pub fn clean_up(&self) -> Vec<(String, String)> {
        let mut kept = Vec::new();
        let current = self.current();
        let Ok(entries) = fs::read_dir(&self.root) else { return kept };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with("idx-") || Some(&name) == current.as_ref() {
                continue;
            }
            let path = entry.path();
            let unused = match Index::open_in_dir(&path) {
                Ok(index) => match index.writer_with_num_threads::<tantivy::TantivyDocument>(1, 15_000_000) {
                    Ok(_) => Ok(()),
                    Err(e) => Err(format!("in use: {e}")),
                },
                // Unreadable (corrupt, or a rebuild cut short): removed unless a process holds its
                // writer lock (tantivy's lock is an flock on this file, released when the process
                // dies).
                Err(e) if writer_lock_held(&path) => Err(format!("unreadable but in use: {e}")),
                Err(_) => Ok(()),
            };
            match unused.and_then(|()| fs::remove_dir_all(&path).map_err(|e| format!("cannot remove: {e}"))) {
                Ok(()) => {}
                Err(reason) => kept.push((name, reason)),
            }
        }
        kept
    }

    fn switch_to(&self, name: &str) -> Result<()> {
        let tmp = self.root.join("CURRENT.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(name.as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, self.root.join(CURRENT))?;
        if let Ok(dir) = fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

fn writer_lock_held(dir: &Path) -> bool {
    match fs::File::open(dir.join(".tantivy-writer.lock")) {
        Ok(file) => match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                false
            }
            Err(_) => true,
        },
        Err(_) => false,
    }
}

/// A fresh index being filled; nothing is visible until [`Rebuild::finish`].
pub struct Rebuild {
    store: Store,
    name: String,
    index: Index,
    writer: IndexWriter,
    fields: Fields,
    added: u64,
    /// The documents of the item being added, written together when the next item starts.
    pending: (u64, Vec<TantivyDocument>),
    /// Items written so far, to notice one whose documents did not come together.
    written: HashSet<u64>,
    grouped: bool,
}

impl Rebuild {
    /// Adds a document; the documents of one item come one after the other, and are written as
    /// one batch: consecutive documents of one segment, which searches group without lookups.
    pub fn add(&mut self, doc: &IndexDoc) -> Result<()> {
        if self.pending.0 != doc.item_key {
            self.flush()?;
            self.pending.0 = doc.item_key;
        }
        self.pending.1.push(self.fields.document(doc));
        self.added += 1;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let docs = std::mem::take(&mut self.pending.1);
        if !docs.is_empty() {
            if !self.written.insert(self.pending.0) {
                self.grouped = false;
            }
            self.writer.run(docs.into_iter().map(UserOperation::Add).collect::<Vec<_>>())?;
        }
        Ok(())
    }

    pub fn added(&self) -> u64 {
        self.added
    }

    /// Commits with `cursor` (the change-log position the documents reflect at least), makes the
    /// new directory the live one and opens it.
    pub fn finish(mut self, cursor: i64) -> Result<SearchIndex> {
        self.flush()?;
        let payload =
            Payload { version: SCHEMA_VERSION, locales: self.store.locales.clone(), cursor, grouped: self.grouped };
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&payload).expect("a payload serialises"));
        prepared.commit()?;
        self.writer.wait_merging_threads()?;
        drop(self.index);
        self.store.switch_to(&self.name)?;
        let dir = self.store.root.join(&self.name);
        SearchIndex::open(&dir, self.name, &self.store.locales, self.store.cache)
    }
}

/// An open index: a writer (one per process and directory) and a reader.
pub struct SearchIndex {
    pub(crate) name: String,
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    writer: Mutex<IndexWriter>,
    pub(crate) fields: Fields,
    pub(crate) locales: Vec<String>,
    cursor: AtomicI64,
    pub(crate) cache: ResultCache,
    /// Decoded facet columns by segment (see `columns::FacetColumn`).
    pub(crate) facet_columns: Mutex<HashMap<(SegmentId, &'static str), Arc<FacetColumn>>>,
    /// Decoded item keys and locales by segment (see `columns::DocColumns`).
    pub(crate) doc_columns: Mutex<HashMap<SegmentId, Arc<DocColumns>>>,
    /// Every item's documents are consecutive in one segment (written as one batch).
    pub(crate) grouped: bool,
}

impl SearchIndex {
    fn open(dir: &Path, name: String, locales: &[String], cache: CacheSettings) -> Result<SearchIndex> {
        let directory =
            crate::directory::IndexDirectory::open(dir).map_err(|e| Error::Tantivy(tantivy::TantivyError::from(e)))?;
        let index = Index::open(directory)?;
        register_tokenizers(&index);
        let metas = index.load_metas()?;
        let payload: Payload = metas
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .ok_or_else(|| Error::Invalid("no Chorus payload in the last commit".into()))?;
        if payload.version != SCHEMA_VERSION {
            return Err(Error::Invalid(format!("built by schema version {}", payload.version)));
        }
        if payload.locales != locales {
            return Err(Error::Invalid("built for other locales".into()));
        }
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        // Reading every segment once proves the files are there and readable.
        let searcher = reader.searcher();
        for segment in searcher.segment_readers() {
            segment.get_store_reader(0)?;
        }
        let writer = index.writer_with_num_threads(1, WRITER_HEAP)?;
        // Files a writer made and no commit names (a process killed inside a commit) go before
        // anything is written: the next commit would reach the same opstamps, so the same file
        // names, and fail on them every time it is retried.
        writer.garbage_collect_files().wait()?;
        Ok(SearchIndex {
            name,
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            locales: locales.to_vec(),
            cursor: AtomicI64::new(payload.cursor),
            cache: ResultCache::new(cache),
            facet_columns: Mutex::new(HashMap::new()),
            doc_columns: Mutex::new(HashMap::new()),
            grouped: payload.grouped,
        })
    }

    /// The directory name, to notice a switch made by another process.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The change-log position this index reflects.
    pub fn cursor(&self) -> i64 {
        self.cursor.load(Ordering::SeqCst)
    }

    /// Segments of the current searcher.
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Replaces the documents of the given items (an empty list removes the item) and moves the
    /// cursor, in one commit; then makes the result searchable.
    pub fn apply(&self, items: &[(u64, Vec<IndexDoc>)], cursor: i64) -> Result<()> {
        self.commit(items, Some(cursor))
    }

    /// Replaces the documents of the given items without moving the cursor (a takedown made
    /// visible before the change log is read); then makes the result searchable.
    pub fn replace(&self, items: &[(u64, Vec<IndexDoc>)]) -> Result<()> {
        self.commit(items, None)
    }

    fn commit(&self, items: &[(u64, Vec<IndexDoc>)], cursor: Option<i64>) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        // Read under the writer's lock: a concurrent `apply` has either stored its cursor or
        // not started.
        let cursor = cursor.unwrap_or_else(|| self.cursor());
        let payload = Payload { version: SCHEMA_VERSION, locales: self.locales.clone(), cursor, grouped: self.grouped };
        let written = (|| -> Result<()> {
            for (key, docs) in items {
                // One batch per item: its documents end up consecutive in one segment.
                let mut ops = vec![UserOperation::Delete(Term::from_field_u64(self.fields.item_key, *key))];
                ops.extend(docs.iter().map(|doc| UserOperation::Add(self.fields.document(doc))));
                writer.run(ops)?;
            }
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&serde_json::to_string(&payload).expect("a payload serialises"));
            prepared.commit()?;
            Ok(())
        })();
        if let Err(e) = written {
            // Leave the writer at the last good commit, without the files the failed one wrote
            // (a retry reaches the same opstamps, so the same file names).
            if writer.rollback().is_ok() {
                let _ = writer.garbage_collect_files().wait();
            }
            return Err(e);
        }
        self.cursor.store(cursor, Ordering::SeqCst);
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }
}
