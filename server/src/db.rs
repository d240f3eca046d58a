//! Database connections and the migration policy.

use std::collections::HashSet;
use std::time::Duration;

use chorus_migrations::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};

use crate::config::{Config, MigrateOnStart};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;

/// Opens the configured database. Every executed statement is counted in `metrics`.
/// Why one PostgreSQL connection cannot be opened (`None` if it can).
async fn direct_attempt(url: &str) -> Option<String> {
    use sea_orm::sqlx::Connection;
    let attempt = sea_orm::sqlx::postgres::PgConnection::connect(url);
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            None
        }
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("no answer within 5 seconds (a firewall, or the wrong host or port)".into()),
    }
}

pub async fn connect(config: &Config, metrics: Option<Metrics>) -> AppResult<DatabaseConnection> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.server.data_dir).map_err(|e| {
            AppError::internal(format!("cannot create data dir {}: {e}", config.server.data_dir.display()))
        })?;
    }
    if url.starts_with("sqlite:") {
        sqlite_allocator::install();
    }
    let statements = config.statement_cache();
    let cache_size = format!("-{}", config.database.sqlite_cache_kib);
    let mmap_size = (u64::from(config.database.sqlite_mmap_mib) << 20).to_string();
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(config.pool_size())
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        // A connection is pinged before use only after 30 s idle (when a server, proxy or
        // firewall may have dropped it), not on every checkout: the ping is a round trip (on
        // SQLite a hop to the connection's thread) before each statement, which doubled the
        // statements a read made.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false)
        // Every pooled SQLite connection: WAL so readers never wait for a writer, NORMAL sync
        // (durable at checkpoints, safe with WAL), foreign keys on, and a busy timeout that rides
        // out short write locks.
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // Keeps the planner's statistics current as content grows.
                .optimize_on_close(true, None)
                .statement_cache_capacity(statements)
                // Negative: a size in KiB rather than in pages.
                .pragma("cache_size", cache_size.clone())
                .pragma("mmap_size", mmap_size.clone())
        })
        .map_sqlx_postgres_opts(move |o| o.statement_cache_capacity(statements))
        // SQLite's counterpart of PostgreSQL's generic plans below: each statement is planned once.
        .map_sqlx_sqlite_pool_opts(|o| o.after_connect(|conn, _| Box::pin(sqlite_plan::once(conn))))
        // PostgreSQL plans a prepared statement again on every execution unless it judges its
        // generic plan no costlier than the plans made for the values (it rarely does for a
        // keyset page): planning was a third of PostgreSQL's time per read. Chorus's lists seek
        // by index whatever the bound values (`plans::deep_pages_seek_by_index` reads the
        // generic plans; filter values that decide a plan are written into the statement, see
        // `query::constant`), so each statement is planned once per connection. Set by a
        // statement once connected, not as a startup option, which poolers may refuse.
        .map_sqlx_postgres_pool_opts(|o| {
            o.after_connect(|conn, _| {
                Box::pin(async move {
                    sea_orm::sqlx::Executor::execute(conn, "SET plan_cache_mode = force_generic_plan").await.map(|_| ())
                })
            })
        });
    let url = config.database_url();
    // The pool, when it cannot open a connection, waits out its timeout and then says only that
    // it timed out: one direct attempt first fails at once and says why (refused, unknown host,
    // authentication, no such database).
    let diagnosis = if url.starts_with("postgres") { direct_attempt(&url).await } else { None };
    let connected = match diagnosis {
        Some(cause) => Err(cause),
        None => Database::connect(opts).await.map_err(|e| e.to_string()),
    };
    let mut db = connected.map_err(|cause| {
        // The cause, scrubbed of the password should a driver ever quote the URL.
        let mut cause = cause.replace(&url, &crate::config::redact_url(&url));
        if let Some(password) = crate::config::url_password(&url).filter(|p| !p.is_empty()) {
            cause = cause.replace(password, "***");
        }
        let host = crate::config::database_host(&url);
        tracing::error!(%host, %cause, "cannot connect to the database");
        AppError::Unavailable(format!("cannot connect to the database at {host}: {cause}"))
    })?;
    if let Some(metrics) = metrics {
        db.set_metric_callback(move |info| {
            metrics.db_statement(info.failed);
            tracing::trace!(target: "chorus::sql", sql = %info.statement.sql, ms = info.elapsed.as_secs_f64() * 1000.0);
        });
    }
    Ok(db)
}

/// Begins a transaction that will write. On SQLite it takes the write lock at `BEGIN`
/// (`BEGIN IMMEDIATE`), so it waits for other writers through the busy timeout; a deferred
/// transaction that reads first fails at once (`SQLITE_BUSY`) when another connection, in this
/// process or another, wrote since its read. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// The state of the schema relative to this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    /// Applied in the database but unknown to this binary: the database is newer.
    pub unknown: Vec<String>,
}

impl MigrationState {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

/// Reads the applied migrations without writing anything (`/readyz` calls this on every probe).
pub async fn migration_state(db: &DatabaseConnection) -> AppResult<MigrationState> {
    let known: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let applied: Vec<String> = if SchemaManager::new(db).has_table("seaql_migrations").await? {
        let sql = "SELECT version FROM seaql_migrations ORDER BY version";
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
        rows.iter().map(|r| r.try_get::<String>("", "version")).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let applied_set: HashSet<&String> = applied.iter().collect();
    let known_set: HashSet<&String> = known.iter().collect();
    Ok(MigrationState {
        pending: known.iter().filter(|k| !applied_set.contains(k)).cloned().collect(),
        unknown: applied.iter().filter(|a| !known_set.contains(a)).cloned().collect(),
        applied,
    })
}

/// Applies the start-up migration policy, refusing to run on a database newer than the binary.
pub async fn prepare(db: &DatabaseConnection, policy: MigrateOnStart) -> AppResult<()> {
    let state = migration_state(db).await?;
    if !state.unknown.is_empty() {
        return Err(AppError::internal(format!(
            "the database was migrated by a newer Chorus (unknown migrations: {}); upgrade this binary",
            state.unknown.join(", ")
        )));
    }
    if state.pending.is_empty() {
        return Ok(());
    }
    let apply = match policy {
        MigrateOnStart::Always => true,
        MigrateOnStart::Empty => state.applied.is_empty(),
        MigrateOnStart::Never => false,
    };
    if !apply {
        return Err(AppError::internal(format!(
            "the database has pending migrations ({}); run `chorus migrate up`",
            state.pending.join(", ")
        )));
    }
    tracing::info!(pending = state.pending.len(), "applying migrations");
    Migrator::up(db, None).await?;
    Ok(())
}

/// SQLite's query planner, set through its C interface (unsafe code, denied elsewhere in the
/// workspace but here, in [`sqlite_allocator`] and in `memory.rs`).
#[allow(unsafe_code)]
mod sqlite_plan {
    /// Turns on SQLite's query planner stability guarantee on a new connection (`SQLITE_DBCONFIG_ENABLE_QPSG`):
    /// a statement is planned once, without looking at the values bound to it. Without it, SQLite
    /// (built with `STAT4`, as the bundled library is) marks a kept statement expired whenever a value
    /// its plan looked at is bound anew, and plans it again at its next step: in the reads benchmark
    /// every page and lookup was parsed and planned again (its cursor, programme or slug had changed):
    /// a sixth of the SQLite server's CPU per request (`docs/BENCHMARKS.md`). Chorus's lists seek by index whatever the values
    /// (`plans::deep_pages_seek_by_index`); values that decide a plan are written into the statement
    /// (`query::constant`), where the planner still sees them.
    pub async fn once(conn: &mut sea_orm::sqlx::SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle().as_ptr();
        let mut now: std::ffi::c_int = -1;
        // SAFETY: the handle is this connection's, locked for the call; the option takes an int (1: on)
        // and a pointer to an int where SQLite writes the option's value after the call.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_config(
                db,
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as std::ffi::c_int,
                &mut now as *mut std::ffi::c_int,
            )
        };
        if rc != libsqlite3_sys::SQLITE_OK || now != 1 {
            return Err(sea_orm::sqlx::Error::Configuration(
                format!("SQLite refused its query planner stability guarantee (code {rc})").into(),
            ));
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use libsqlite3_sys as ffi;
        use sea_orm::ConnectionTrait;

        /// Pooled SQLite connections plan a statement once: binding other values to a kept statement
        /// whose plan could depend on them (a range on an indexed column, with `STAT4` statistics) does
        /// not make SQLite parse and plan it again at its next step.
        #[tokio::test]
        async fn sqlite_connections_plan_a_statement_once() {
            let (dir, db) = crate::db::tests::sqlite(|_| {}).await;
            db.execute_unprepared(
                "CREATE TABLE t (x INTEGER, y TEXT); CREATE INDEX t_x ON t (x); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
                 INSERT INTO t SELECT CASE WHEN i % 10 = 0 THEN i ELSE 7 END, 'y' FROM n; ANALYZE",
            )
            .await
            .unwrap();
            let mut conn = db.get_sqlite_connection_pool().acquire().await.unwrap();
            let mut handle = conn.lock_handle().await.unwrap();
            let h = handle.as_raw_handle().as_ptr();
            // How often a statement, bound with one value then another, was planned again.
            let replans = |h: *mut ffi::sqlite3| unsafe {
                let sql = c"SELECT COUNT(y) FROM t WHERE x > ?1";
                let mut stmt = std::ptr::null_mut();
                assert_eq!(ffi::sqlite3_prepare_v3(h, sql.as_ptr(), -1, 0, &mut stmt, std::ptr::null_mut()), 0);
                for value in [5, 1_000, 6] {
                    ffi::sqlite3_bind_int64(stmt, 1, value);
                    assert_eq!(ffi::sqlite3_step(stmt), ffi::SQLITE_ROW);
                    ffi::sqlite3_reset(stmt);
                }
                let n = ffi::sqlite3_stmt_status(stmt, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
                ffi::sqlite3_finalize(stmt);
                n
            };
            assert_eq!(replans(h), 0, "a pooled connection planned a statement again for new values");
            // The same statement on a connection without the guarantee is planned again (the check
            // above could fail).
            let path = std::ffi::CString::new(dir.path().join("chorus.db").to_str().unwrap()).unwrap();
            unsafe {
                let mut plain = std::ptr::null_mut();
                assert_eq!(ffi::sqlite3_open(path.as_ptr(), &mut plain), 0);
                assert!(replans(plain) > 0, "SQLite no longer plans again for new values: the guarantee is moot");
                ffi::sqlite3_close(plain);
            }
        }
    }
}

/// SQLite allocating through Rust's global allocator (mimalloc, `main.rs`) instead of the C
/// library's `malloc`.
///
/// Each pooled SQLite connection runs on a thread of its own, and glibc gives each such thread an
/// arena of its own that keeps the high-water mark of what the thread's statements allocated
/// (copies of result rows, prepared statements, page cache): four arenas held 32 MB of a SQLite
/// server's memory under load, and glibc's `malloc` was 7 % of those threads' time
/// (`docs/BENCHMARKS.md`). mimalloc returns freed pages to the system and is the allocator the
/// rest of the process uses.
///
/// Installed with `sqlite3_config(SQLITE_CONFIG_MALLOC)`, which SQLite accepts only before it
/// initialises (its first connection): [`install`] runs once, before the pool opens, and if
/// SQLite was already initialised (another library opened a database first) SQLite keeps its own
/// allocator and says so (`SQLITE_MISUSE`), logged here. Blocks carry their size in an 8-byte
/// header, as SQLite's own allocator does, since Rust's allocator needs it to free them and
/// SQLite asks for it (`xSize`); 8-byte alignment is what SQLite requires.
#[allow(unsafe_code)]
mod sqlite_allocator {
    use std::alloc::{Layout, alloc, dealloc, realloc};
    use std::ffi::{c_int, c_void};
    use std::sync::OnceLock;

    use libsqlite3_sys as ffi;

    const HEADER: usize = 8;
    const ALIGN: usize = 8;

    fn layout(size: usize) -> Option<Layout> {
        Layout::from_size_align(size.checked_add(HEADER)?, ALIGN).ok()
    }

    /// The block whose user part starts at `p`: its start and its user size.
    ///
    /// # Safety
    /// `p` was returned by `x_malloc` or `x_realloc` and not freed.
    unsafe fn block(p: *mut c_void) -> (*mut u8, usize) {
        // SAFETY: the header is the 8 bytes before `p`, written at allocation.
        unsafe {
            let start = (p as *mut u8).sub(HEADER);
            (start, (start as *const u64).read() as usize)
        }
    }

    /// Blocks handed out (tests only: a shared counter would cost the threads a cache line).
    #[cfg(test)]
    pub static ALLOCATED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
        #[cfg(test)]
        ALLOCATED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(l) = usize::try_from(n).ok().and_then(layout) else { return std::ptr::null_mut() };
        // SAFETY: the layout has a non-zero size (the header); the header is aligned for a u64.
        unsafe {
            let start = alloc(l);
            if start.is_null() {
                return std::ptr::null_mut();
            }
            (start as *mut u64).write(l.size() as u64 - HEADER as u64);
            start.add(HEADER) as *mut c_void
        }
    }

    unsafe extern "C" fn x_free(p: *mut c_void) {
        if p.is_null() {
            return;
        }
        // SAFETY: SQLite frees only what it allocated here, once; the layout is the allocation's.
        unsafe {
            let (start, size) = block(p);
            dealloc(start, Layout::from_size_align_unchecked(size + HEADER, ALIGN));
        }
    }

    unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        if p.is_null() {
            // SAFETY: as `x_malloc`.
            return unsafe { x_malloc(n) };
        }
        let Some(new) = usize::try_from(n).ok().and_then(layout) else { return std::ptr::null_mut() };
        // SAFETY: `p` is a live block of this allocator with that layout; on failure it is left
        // as it was, as SQLite expects.
        unsafe {
            let (start, size) = block(p);
            let moved = realloc(start, Layout::from_size_align_unchecked(size + HEADER, ALIGN), new.size());
            if moved.is_null() {
                return std::ptr::null_mut();
            }
            (moved as *mut u64).write(new.size() as u64 - HEADER as u64);
            moved.add(HEADER) as *mut c_void
        }
    }

    unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
        if p.is_null() {
            return 0;
        }
        // SAFETY: SQLite asks the size of its live blocks only.
        unsafe { block(p).1 as c_int }
    }

    unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
        (n + 7) & !7
    }

    unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
        ffi::SQLITE_OK
    }

    unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

    /// Makes SQLite allocate through Rust's allocator, once per process; whether it does.
    pub fn install() -> bool {
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        *INSTALLED.get_or_init(|| {
            let methods = ffi::sqlite3_mem_methods {
                xMalloc: Some(x_malloc),
                xFree: Some(x_free),
                xRealloc: Some(x_realloc),
                xSize: Some(x_size),
                xRoundup: Some(x_roundup),
                xInit: Some(x_init),
                xShutdown: Some(x_shutdown),
                pAppData: std::ptr::null_mut(),
            };
            // SAFETY: SQLite copies the structure; the functions live as long as the process; the
            // call fails harmlessly (`SQLITE_MISUSE`) if SQLite is already initialised.
            let rc =
                unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods) };
            if rc != ffi::SQLITE_OK {
                tracing::warn!(rc, "SQLite was initialised before Chorus could set its allocator: it uses its own");
            }
            rc == ffi::SQLITE_OK
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// Blocks keep their contents through growth and shrinking, report their size, and are
        /// aligned for SQLite.
        #[test]
        fn blocks_hold_their_size_and_contents() {
            unsafe {
                assert!(x_malloc(-1).is_null());
                let p = x_malloc(100) as *mut u8;
                assert!(!p.is_null());
                assert_eq!(p as usize % 8, 0);
                assert_eq!(x_size(p as *mut c_void), 100);
                for i in 0..100 {
                    p.add(i).write(i as u8);
                }
                let q = x_realloc(p as *mut c_void, 10_000) as *mut u8;
                assert_eq!(x_size(q as *mut c_void), 10_000);
                assert!((0..100).all(|i| q.add(i).read() == i as u8));
                let r = x_realloc(q as *mut c_void, 50) as *mut u8;
                assert_eq!(x_size(r as *mut c_void), 50);
                assert!((0..50).all(|i| r.add(i).read() == i as u8));
                x_free(r as *mut c_void);
                x_free(std::ptr::null_mut());
                assert_eq!(x_size(std::ptr::null_mut()), 0);
                assert_eq!(x_roundup(13), 16);
                let s = x_realloc(std::ptr::null_mut(), 24);
                assert_eq!(x_size(s), 24);
                x_free(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    /// A SQLite database of the default configuration, changed by `configure`, in a folder of its
    /// own (kept while the returned folder lives).
    pub(super) async fn sqlite(configure: impl FnOnce(&mut Config)) -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.data_dir = dir.path().to_owned();
        configure(&mut config);
        let db = connect(&config, None).await.unwrap();
        (dir, db)
    }

    /// Each pooled SQLite connection gets the configured page cache and memory map sizes.
    #[tokio::test]
    async fn sqlite_connections_take_the_configured_page_cache() {
        let (_dir, db) = sqlite(|config| {
            config.database.sqlite_cache_kib = 700;
            config.database.sqlite_mmap_mib = 3;
        })
        .await;
        let pragma = |name: &str| {
            let statement = Statement::from_string(db.get_database_backend(), format!("PRAGMA {name}"));
            let db = db.clone();
            async move { db.query_one_raw(statement).await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap() }
        };
        assert_eq!(pragma("cache_size").await, -700);
        assert_eq!(pragma("mmap_size").await, 3 << 20);
    }

    /// The bundled SQLite is built as `.cargo/config.toml` says: no memory statistics, and a page
    /// cache per connection rather than one shared behind a process-wide mutex.
    #[tokio::test]
    async fn sqlite_is_built_without_shared_locks_on_its_hot_paths() {
        let (_dir, db) = sqlite(|_| {}).await;
        let options: Vec<String> = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "PRAGMA compile_options"))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
        assert!(options.iter().any(|o| o == "THREADSAFE=1"), "{options:?}");
    }

    /// SQLite allocates through Rust's allocator once a SQLite database is opened, and works on
    /// it: a table written and read back, in memory and on disk.
    #[tokio::test]
    async fn sqlite_allocates_through_rusts_allocator() {
        let (_dir, db) = sqlite(|_| {}).await;
        assert!(sqlite_allocator::install(), "SQLite was initialised before connect");
        let before = sqlite_allocator::ALLOCATED.load(std::sync::atomic::Ordering::Relaxed);
        let b = db.get_database_backend();
        db.execute_unprepared("CREATE TABLE t (x TEXT)").await.unwrap();
        let long = "x".repeat(100_000);
        for _ in 0..20 {
            db.execute_raw(Statement::from_sql_and_values(b, "INSERT INTO t VALUES (?)", [long.clone().into()]))
                .await
                .unwrap();
        }
        let row = db
            .query_one_raw(Statement::from_string(b, "SELECT COUNT(*), SUM(LENGTH(x)) FROM t"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 20);
        assert_eq!(row.try_get_by_index::<i64>(1).unwrap(), 2_000_000);
        let after = sqlite_allocator::ALLOCATED.load(std::sync::atomic::Ordering::Relaxed);
        assert!(after >= before + 20, "SQLite's allocations went elsewhere: {before} -> {after}");
    }
}
