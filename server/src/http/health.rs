//! Liveness, readiness and metrics.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Response, handler};
use sea_orm::ConnectionTrait;

use super::HttpState;
use crate::db;
use crate::search::IndexState;

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

/// The state of one thing readiness depends on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Check {
    Ok,
    /// Search is turned off (`search.refresh_interval_ms = 0`): nothing to wait for.
    Disabled,
    /// The public search index is being opened or built.
    Building,
    /// The public search index could not be opened; the indexer keeps trying.
    Failing,
    Unreachable,
    /// The database schema is not the one this binary expects.
    MigrationsPending,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Check::Ok => "ok",
            Check::Disabled => "disabled",
            Check::Building => "building",
            Check::Failing => "failing",
            Check::Unreachable => "unreachable",
            Check::MigrationsPending => "migrations_pending",
        }
    }

    fn passes(self) -> bool {
        matches!(self, Check::Ok | Check::Disabled)
    }
}

fn search_check(indexing: bool, public_index: IndexState) -> Check {
    match (indexing, public_index) {
        (false, _) => Check::Disabled,
        (true, IndexState::Open) => Check::Ok,
        (true, IndexState::Building) => Check::Building,
        (true, IndexState::Failing) => Check::Failing,
    }
}

/// Ready when every check passes: `200 {"status":"ready", "checks":{...}}`, else `503` with
/// `"status":"unavailable"` and the same checks, so that an operator sees which one failed.
fn readiness(database: Check, search: Check) -> (StatusCode, serde_json::Value) {
    let ready = database.passes() && search.passes();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unavailable" },
        "checks": { "database": database.name(), "search": search.name() },
    });
    (if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }, body)
}

async fn database_check(db: &sea_orm::DatabaseConnection) -> Check {
    if let Err(e) = db.execute_unprepared("SELECT 1").await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return Check::Unreachable;
    }
    match db::migration_state(db).await {
        Ok(s) if s.is_current() => Check::Ok,
        Ok(_) => Check::MigrationsPending,
        Err(e) => {
            e.log_if_internal();
            Check::Unreachable
        }
    }
}

/// The database answers with the schema this binary expects, and the public search index is
/// open (unless search is turned off): this process can serve every query.
#[handler]
pub async fn readyz(Data(state): Data<&Arc<HttpState>>) -> Response {
    let app = &state.app;
    let database = database_check(&app.db).await;
    let search = search_check(app.config.search.refresh_interval_ms > 0, app.search.public.state());
    let (status, body) = readiness(database, search);
    json(status, body)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_the_database_and_search_are() {
        use IndexState::*;
        let cases = [
            (Check::Ok, true, Open, 200, "ready", "ok"),
            (Check::Ok, false, Building, 200, "ready", "disabled"),
            (Check::Ok, false, Failing, 200, "ready", "disabled"),
            (Check::Ok, true, Building, 503, "unavailable", "building"),
            (Check::Ok, true, Failing, 503, "unavailable", "failing"),
            (Check::Unreachable, true, Open, 503, "unavailable", "ok"),
            (Check::MigrationsPending, false, Open, 503, "unavailable", "disabled"),
        ];
        for (database, indexing, index, code, status, search) in cases {
            let (got, body) = readiness(database, search_check(indexing, index));
            let case = format!("{database:?} {indexing} {index:?}");
            assert_eq!(got.as_u16(), code, "{case}");
            assert_eq!(body["status"], status, "{case}");
            assert_eq!(body["checks"]["database"], database.name(), "{case}");
            assert_eq!(body["checks"]["search"], search, "{case}");
        }
    }
}
