//! Building and running the application: `Application::build`, `port()`, `run_until_stopped()`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::auth::limiter::{LoginLimiter, installation_secret};
use crate::cache::ResponseCache;
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::{db, graphql, http};

pub struct Application {
    listener: TcpListener,
    port: u16,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies the migration policy and binds the listener.
    pub async fn build(config: Config) -> AppResult<Application> {
        init_tls();
        let locales = config.locales().map_err(|e| AppError::internal(format!("locales: {e}")))?;
        let metrics = Metrics::new();
        let db = db::connect(&config, Some(metrics.clone())).await?;
        db::prepare(&db, config.database.migrate_on_start).await?;
        let listener = TcpListener::bind(config.server.bind)
            .await
            .map_err(|e| AppError::internal(format!("cannot listen on {}: {e}", config.server.bind)))?;
        let port =
            listener.local_addr().map_err(|e| AppError::internal(format!("listener has no address: {e}")))?.port();
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
        let state = AppState {
            db,
            config: Arc::new(config),
            locales: Arc::new(locales),
            metrics,
            cache,
            login_limiter,
            search,
        };
        Ok(Application { listener, port, state })
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
        let app = http::app(self.state.clone(), schema);
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
        served?;
        self.state.db.clone().close().await.ok();
        Ok(())
    }
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
