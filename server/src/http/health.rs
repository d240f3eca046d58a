//! Liveness, readiness and metrics.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Response, handler};
use sea_orm::ConnectionTrait;

use super::HttpState;
use crate::db;

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .header("cache-control", "no-store")
        .body(body.to_string())
}

/// The process is up.
#[handler]
pub fn healthz() -> Response {
    json(StatusCode::OK, serde_json::json!({ "status": "ok" }))
}

/// The database answers and its schema is the one this binary expects.
#[handler]
pub async fn readyz(Data(state): Data<&Arc<HttpState>>) -> Response {
    let db = &state.app.db;
    if let Err(e) = db.execute_unprepared("SELECT 1").await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "unavailable", "reason": "database" }),
        );
    }
    match db::migration_state(db).await {
        Ok(s) if s.is_current() => json(StatusCode::OK, serde_json::json!({ "status": "ready" })),
        Ok(_) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "unavailable", "reason": "migrations" }),
        ),
        Err(e) => {
            e.log_if_internal();
            json(StatusCode::SERVICE_UNAVAILABLE, serde_json::json!({ "status": "unavailable", "reason": "database" }))
        }
    }
}

/// Prometheus text exposition.
#[handler]
pub fn metrics(Data(state): Data<&Arc<HttpState>>) -> Response {
    let cache = state.app.cache.size();
    state.app.metrics.response_cache(cache.entries, cache.bytes);
    Response::builder()
        .content_type("text/plain; version=0.0.4")
        .header("cache-control", "no-store")
        .body(state.app.metrics.render())
}
