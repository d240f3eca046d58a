//! Building and running the application: `Application::build`, `port()`, `run_until_stopped()`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::limiter::{LoginLimiter, installation_secret};
use crate::cache::ResponseCache;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::graphql::persisted::Persisted;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::{db, graphql, http};

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
    persisted: Persisted,
}

impl Application {
    /// Connects to the database, applies the migration policy and binds the listener.
    /// The socket is bound first, so that a port in use is reported before any migration runs.
    pub async fn build(config: Config) -> AppResult<Application> {
        init_tls();
        crate::memory::tune_allocator();
        let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
        let listener = bind(config.server.bind).await?;
        let port =
            listener.local_addr().map_err(|e| AppError::internal(format!("listener has no address: {e}")))?.port();
        let persisted = Persisted::from_config(&config.graphql)
            .map_err(|e| AppError::bad_input(format!("graphql.trusted_documents: {e}")))?;
        let metrics = Metrics::new();
        let db = db::connect(&config, Some(metrics.clone())).await?;
        db::prepare(&db, config.database.migrate_on_start).await?;
        crate::content::title_order::rebuild_if_stale(&db, &locales).await?;
        let g = &config.graphql;
        let cache =
            Arc::new(ResponseCache::new(Duration::from_millis(g.cache_ttl_ms), g.cache_max_entries, g.cache_max_bytes));
        let a = &config.auth;
        let login_limiter = Arc::new(LoginLimiter::new(
            a.login_max_failures as usize,
            Duration::from_secs(u64::from(a.login_window_minutes) * 60),
            installation_secret(&db).await?,
            a.password_checks(),
        ));
        let search = Arc::new(crate::search::SearchService::new(&config, locales.codes().to_vec()));
        let storage = crate::storage::Storage::from_config(&config.documents, &config.server.data_dir)?;
        crate::content::documents::receive::clear_stale(&crate::content::documents::receive::staging_dir(
            &config.server.data_dir,
        ));
        let config_embed_refresh = config.embed.key_refresh_seconds;
        let reference = Arc::new(crate::content::reference::Reference::new(locales.codes()));
        reference.load(&db).await?;
        let state = AppState {
            db,
            config: Arc::new(config),
            locales: Arc::new(locales),
            metrics,
            cache,
            login_limiter,
            search,
            storage,
            documents_wake: Arc::new(tokio::sync::Notify::new()),
            partners: Arc::new(crate::partners::Partners::new(Duration::from_secs(config_embed_refresh))),
            reference,
        };
        Ok(Application { listener, port, state, persisted })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests for the grace period.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let grace = Duration::from_secs(self.state.config.server.shutdown_grace_seconds);
        let schema = graphql::build_schema(self.state.clone());
        let app = http::app(self.state.clone(), schema, self.persisted);
        let scheduler = tokio::spawn(crate::content::schedule::run(
            self.state.clone(),
            self.state.config.server.scheduler_interval_ms,
        ));
        let webhooks = tokio::spawn(crate::webhooks::run(self.state.clone()));
        let indexer = tokio::spawn(crate::search::indexer::run(crate::search::indexer::Indexer {
            db: self.state.db.clone(),
            config: self.state.config.clone(),
            locales: self.state.locales.clone(),
            metrics: self.state.metrics.clone(),
            cache: self.state.cache.clone(),
            search: self.state.search.clone(),
        }));
        let documents = tokio::spawn(crate::content::documents::run(
            self.state.clone(),
            self.state.storage.clone(),
            self.state.config.clone(),
            self.state.documents_wake.clone(),
        ));
        let sweeper = tokio::spawn({
            let cache = self.state.cache.clone();
            async move {
                let every = cache.ttl().max(Duration::from_secs(1));
                loop {
                    tokio::time::sleep(every).await;
                    cache.sweep();
                }
            }
        });
        let usage = tokio::spawn({
            let state = self.state.clone();
            async move {
                let every = Duration::from_secs(state.config.embed.usage_flush_seconds);
                loop {
                    tokio::time::sleep(every).await;
                    if let Err(e) = state.partners.flush(&state.db).await {
                        tracing::warn!(error = %e, "partner key usage not saved yet; kept for the next try");
                    }
                }
            }
        });
        let reference = tokio::spawn({
            let state = self.state.clone();
            async move {
                let every = state.config.graphql.reference_refresh_ms;
                if every == 0 {
                    return;
                }
                loop {
                    match state.reference.poll(&state.db).await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "reference data not refreshed; retrying"),
                    }
                    tokio::time::sleep(Duration::from_millis(every)).await;
                }
            }
        });
        let sv = &self.state.config.server;
        let limits = http::serve::Limits {
            header_read_timeout: Duration::from_secs(sv.header_read_timeout_seconds),
            max_connections: sv.max_connections,
        };
        let served = http::serve::serve(self.listener, app, limits, shutdown, grace).await;
        scheduler.abort();
        webhooks.abort();
        indexer.abort();
        sweeper.abort();
        documents.abort();
        usage.abort();
        reference.abort();
        // The use counted since the last flush.
        if let Err(e) = self.state.partners.flush(&self.state.db).await {
            tracing::warn!(error = %e, "partner key usage of the last minute not saved");
        }
        served?;
        self.state.db.clone().close().await.ok();
        Ok(())
    }
}

/// Binds the listening socket; a failure says which address and how to choose another.
async fn bind(addr: std::net::SocketAddr) -> AppResult<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "the address is already in use (another Chorus, or another program, listens there); \
                 choose another with `chorus serve --bind 127.0.0.1:{}`, `server.bind` in config.toml \
                 or CHORUS_SERVER__BIND",
                addr.port().wrapping_add(1).max(1)
            ),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (ports below 1024 need privileges); choose a port above 1024 with `--bind`".into()
            }
            std::io::ErrorKind::AddrNotAvailable => {
                "this machine has no such address; use 127.0.0.1, 0.0.0.0 or one of its own addresses".into()
            }
            _ => e.to_string(),
        };
        AppError::Unavailable(format!("cannot listen on {addr}: {hint}"))
    })
}

/// Installs the process's TLS provider (ring) for outgoing HTTPS (webhooks). Any program that
/// builds an HTTP client with this crate's dependencies (tests, benchmarks) calls it first;
/// calling it again is harmless.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining requests");
}
