//! The state shared by every request of one application instance.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::limiter::LoginLimiter;
use crate::cache::ResponseCache;
use crate::config::Config;
use crate::locale::Locales;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub locales: Arc<Locales>,
    pub metrics: Metrics,
    /// Public query responses; every write must call `cache.invalidate()`.
    pub cache: Arc<ResponseCache>,
    pub login_limiter: Arc<LoginLimiter>,
}
