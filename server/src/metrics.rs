//! Prometheus metrics, owned by one application instance (no process-global recorder), so that
//! several servers in one process (the integration tests) keep separate counts.

use std::sync::Arc;

use metrics::{Counter, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

static METADATA: Metadata<'static> = Metadata::new("chorus", Level::INFO, Some("chorus::metrics"));

#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    db_statements: Counter,
    db_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
            .expect("static bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let db_statements = recorder.register_counter(&Key::from_name("chorus_db_statements_total"), &METADATA);
        let db_failures = recorder.register_counter(&Key::from_name("chorus_db_statement_errors_total"), &METADATA);
        Metrics { inner: Arc::new(Inner { recorder, handle, db_statements, db_failures }) }
    }

    /// Counts one executed SQL statement.
    pub fn db_statement(&self, failed: bool) {
        self.inner.db_statements.increment(1);
        if failed {
            self.inner.db_failures.increment(1);
        }
    }

    /// Records one HTTP response. `route` is the matched route, never the raw path or query.
    pub fn http_request(&self, route: &'static str, method: &str, status: u16, seconds: f64) {
        let labels = vec![
            Label::new("route", route),
            Label::new("method", method.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.inner
            .recorder
            .register_counter(&Key::from_parts("chorus_http_requests_total", labels), &METADATA)
            .increment(1);
        let labels = vec![Label::new("route", route)];
        self.inner
            .recorder
            .register_histogram(&Key::from_parts("chorus_http_request_duration_seconds", labels), &METADATA)
            .record(seconds);
    }

    /// The state of a search index: documents, change-log cursor.
    pub fn search_index(&self, index: &'static str, documents: u64, cursor: i64) {
        let labels = vec![Label::new("index", index)];
        let r = &self.inner.recorder;
        r.register_gauge(&Key::from_parts("chorus_search_documents", labels.clone()), &METADATA).set(documents as f64);
        r.register_gauge(&Key::from_parts("chorus_search_cursor", labels), &METADATA).set(cursor as f64);
    }

    /// The size of the response cache.
    pub fn response_cache(&self, entries: usize, bytes: usize) {
        let r = &self.inner.recorder;
        r.register_gauge(&Key::from_name("chorus_response_cache_entries"), &METADATA).set(entries as f64);
        r.register_gauge(&Key::from_name("chorus_response_cache_bytes"), &METADATA).set(bytes as f64);
    }

    /// Counts a GraphQL error by code.
    pub fn graphql_error(&self, code: &str) {
        let labels = vec![Label::new("code", code.to_owned())];
        self.inner
            .recorder
            .register_counter(&Key::from_parts("chorus_graphql_errors_total", labels), &METADATA)
            .increment(1);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.inner.handle.render()
    }
}
