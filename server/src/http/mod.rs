//! HTTP: routes, middleware (request ids, logs without IP addresses, metrics, ETags, CORS,
//! compression) and the operational endpoints.

pub mod cors;
mod documents;
pub mod embed;
mod explorer;
mod graphql;
mod health;
pub mod serve;
mod translations;

use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::middleware::Compression;
use poem::web::Data;
use poem::{Body, Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::error::Code;
use crate::graphql::ChorusSchema;
use crate::graphql::persisted::Persisted;
use crate::state::AppState;

/// Everything the HTTP handlers need.
pub struct HttpState {
    pub app: AppState,
    pub schema: ChorusSchema,
    pub cors: cors::Cors,
    /// Persisted queries and trusted documents.
    pub persisted: Persisted,
    /// Parsed documents by their text (`graphql.parsed_documents`).
    pub parsed: crate::graphql::document::ParsedDocuments,
}

const REQUEST_ID: &str = "x-request-id";

/// The JSON body of a refusal: one error with its code, shaped like a GraphQL error.
pub(crate) fn error_body(code: Code, message: &str) -> String {
    serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }).to_string()
}

/// A request refused as a whole: the code's HTTP status and one coded error.
pub(crate) fn refuse(code: Code, message: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::builder().status(status).content_type("application/json").body(error_body(code, message))
}

/// How much of a refused body is read and thrown away so that the client, still sending, reads
/// the refusal instead of a reset connection (closing a socket with unread bytes makes the kernel
/// send RST, which can destroy a response already sent). Larger bodies are not read at all: their
/// senders may see a reset, which is the price of not accepting them. Go's net/http does the same.
const DISCARD_AT_MOST: u64 = 256 * 1024;

/// Reads and drops a refused body of `declared` bytes when it is small enough, within `deadline`
/// (a client waiting for `100 Continue` has sent nothing yet: it is refused without asking).
pub(super) async fn discard_refused(req: &Request, body: Body, declared: u64, deadline: std::time::Duration) {
    use futures_util::StreamExt;
    let waits = req.header(header::EXPECT).is_some_and(|e| e.to_ascii_lowercase().contains("100-continue"));
    if waits || declared > DISCARD_AT_MOST {
        return;
    }
    let mut stream = body.into_bytes_stream();
    let _ = tokio::time::timeout(deadline, async {
        let mut read = 0u64;
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len() as u64;
            if read > DISCARD_AT_MOST {
                break;
            }
        }
    })
    .await;
}

#[handler]
async fn graphql_get(req: &Request, Data(state): Data<&Arc<HttpState>>) -> Response {
    graphql::get(req, state).await
}

#[handler]
async fn graphql_post(req: &Request, body: Body, Data(state): Data<&Arc<HttpState>>) -> Response {
    graphql::post(req, body, state).await
}

#[handler]
async fn translations_export(req: &Request, Data(state): Data<&Arc<HttpState>>) -> Response {
    translations::export(req, state).await
}

#[handler]
async fn translations_import(req: &Request, body: Body, Data(state): Data<&Arc<HttpState>>) -> Response {
    translations::import(req, body, state).await
}

#[handler]
async fn translations_report(
    req: &Request,
    id: poem::web::Path<String>,
    Data(state): Data<&Arc<HttpState>>,
) -> Response {
    translations::report(req, &id.0, state).await
}

#[handler]
async fn documents_upload(req: &Request, body: Body, Data(state): Data<&Arc<HttpState>>) -> Response {
    documents::upload(req, body, state).await
}

#[handler]
async fn documents_download(
    req: &Request,
    id: poem::web::Path<String>,
    Data(state): Data<&Arc<HttpState>>,
) -> Response {
    documents::download(req, &id.0, state).await
}

#[handler]
async fn documents_download_named(
    req: &Request,
    poem::web::Path((id, _name)): poem::web::Path<(String, String)>,
    Data(state): Data<&Arc<HttpState>>,
) -> Response {
    documents::download(req, &id, state).await
}

#[handler]
async fn documents_delete(req: &Request, id: poem::web::Path<String>, Data(state): Data<&Arc<HttpState>>) -> Response {
    documents::delete(req, &id.0, state).await
}

#[handler]
async fn partner_search(req: &Request, Data(state): Data<&Arc<HttpState>>) -> Response {
    embed::search(req, state).await
}

#[handler]
fn embed_script() -> Response {
    embed::script()
}

#[handler]
async fn embed_frame(req: &Request, Data(state): Data<&Arc<HttpState>>) -> Response {
    embed::frame(req, state).await
}

#[handler]
async fn embed_oembed(req: &Request, Data(state): Data<&Arc<HttpState>>) -> Response {
    embed::oembed(req, state).await
}

/// The explorer, when `graphql.graphiql` is on.
#[handler]
fn explorer_page(Data(state): Data<&Arc<HttpState>>) -> Response {
    if !state.app.config.graphql.graphiql {
        return refuse(Code::NotFound, "the API explorer is turned off (graphql.graphiql)");
    }
    explorer::page()
}

#[handler]
fn explorer_asset(name: poem::web::Path<String>, Data(state): Data<&Arc<HttpState>>) -> Response {
    if !state.app.config.graphql.graphiql {
        return refuse(Code::NotFound, "the API explorer is turned off (graphql.graphiql)");
    }
    explorer::asset(&name.0)
}

#[handler]
fn index() -> Response {
    let body = serde_json::json!({ "name": "chorus", "graphql": "/graphql", "health": "/healthz" });
    Response::builder().content_type("application/json").body(body.to_string())
}

/// The whole HTTP application.
pub fn app(state: AppState, schema: ChorusSchema, persisted: Persisted) -> impl Endpoint<Output = Response> {
    let compression = state.config.http.compression;
    let cors = cors::Cors::new(&state.config.http.cors_origins);
    let parsed = crate::graphql::document::ParsedDocuments::new(state.config.graphql.parsed_documents);
    let http = Arc::new(HttpState { app: state, schema, cors, persisted, parsed });
    let routes = Route::new()
        .at("/", get(index))
        .at("/graphql", get(graphql_get).post(graphql_post))
        .at("/graphiql", get(explorer_page))
        .at("/graphiql/assets/:name", get(explorer_asset))
        .at("/v1/translations/export", get(translations_export))
        .at("/v1/translations/import", poem::post(translations_import))
        .at("/v1/translations/reports/:id", get(translations_report))
        .at("/v1/search", get(partner_search))
        .at("/embed/v1/chorus-search.js", get(embed_script))
        .at("/embed/v1/frame", get(embed_frame))
        .at("/embed/v1/oembed", get(embed_oembed))
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/metrics", get(health::metrics))
        .data(http.clone());
    let routes = routes.boxed();
    // Files go out as stored (no compression: byte ranges must mean what they say).
    let files = Arc::new(
        Route::new()
            .at("/v1/documents", poem::post(documents_upload))
            .at("/v1/documents/:id", get(documents_download).delete(documents_delete))
            .at("/v1/documents/:id/:name", get(documents_download_named))
            .data(http.clone())
            .boxed(),
    );
    let routes = if compression {
        routes
            .with(Compression::new().algorithms([poem::web::CompressionAlgo::BR, poem::web::CompressionAlgo::GZIP]))
            .boxed()
    } else {
        routes
    };
    routes.around(move |ep, req| {
        let http = http.clone();
        let files = files.clone();
        async move {
            if req.uri().path().starts_with("/v1/documents") {
                return Ok(around(files, req, &http).await);
            }
            Ok(around(ep, req, &http).await)
        }
    })
}

/// The route label for metrics and logs: never the raw path, which could carry anything.
fn route_of(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/graphql" => "/graphql",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        "/v1/translations/export" => "/v1/translations/export",
        "/v1/translations/import" => "/v1/translations/import",
        p if p.starts_with("/v1/translations/reports/") => "/v1/translations/reports/:id",
        "/v1/search" => "/v1/search",
        "/embed/v1/chorus-search.js" => "/embed/v1/chorus-search.js",
        "/embed/v1/frame" => "/embed/v1/frame",
        "/embed/v1/oembed" => "/embed/v1/oembed",
        "/v1/documents" => "/v1/documents",
        p if p.starts_with("/v1/documents/") => "/v1/documents/:id",
        _ => "other",
    }
}

/// The request's id: the client's `x-request-id` when it is 1 to 64 characters of
/// `[A-Za-z0-9._-]` (a UUID qualifies), else a fresh UUID. The id is logged and echoed, so
/// anything that could forge a log line or a header (control characters, markup, megabytes)
/// never gets that far.
fn request_id(sent: Option<&str>) -> String {
    sent.filter(|v| is_safe_request_id(v)).map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

fn is_safe_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Runs one request with the cross-cutting concerns around it.
async fn around<E: Endpoint>(ep: Arc<E>, req: Request, http: &HttpState) -> Response {
    let started = Instant::now();
    let id = request_id(req.header(REQUEST_ID));
    let method = req.method().clone();
    let route = route_of(req.uri().path());
    // Partner search answers its keys' origins itself (`embed`), never `http.cors_origins`.
    let embed = embed::is_embed_path(req.uri().path());
    let allow_origin = if embed { None } else { http.cors.allow(req.headers().get(header::ORIGIN)) };
    let if_none_match = req.header(header::IF_NONE_MATCH).map(str::to_owned);
    let signed_in = req.headers().contains_key(header::AUTHORIZATION);

    let mut resp = if method == Method::OPTIONS && embed && req.header(header::ACCESS_CONTROL_REQUEST_METHOD).is_some()
    {
        embed::preflight(&req, http).await
    } else if method == Method::OPTIONS {
        preflight(&req, allow_origin.is_some())
    } else {
        let span = tracing::info_span!("request", request_id = %id);
        match ep.call(req).instrument(span).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        }
    };

    // Responses that carry their own ETag (downloads, streamed) are left as they are.
    if method == Method::GET && resp.status() == StatusCode::OK && !resp.headers().contains_key(header::ETAG) {
        resp = with_etag(resp, if_none_match.as_deref(), signed_in).await;
    }
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, v);
    }
    if let Some(origin) = allow_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("x-request-id, etag"));
    }
    if route == "/graphql" {
        headers.append(header::VARY, HeaderValue::from_static("accept-language, origin"));
    }
    let status = resp.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    http.app.metrics.http_request(route, method.as_str(), status, seconds);
    // No client address, no query string: readers' privacy is part of the product.
    tracing::info!(request_id = %id, method = %method, route, status, ms = seconds * 1000.0, "request");
    resp
}

/// Answers a CORS preflight: allowed origins get the methods and headers they may use.
fn preflight(req: &Request, allowed: bool) -> Response {
    if req.header(header::ACCESS_CONTROL_REQUEST_METHOD).is_none() {
        return StatusCode::NO_CONTENT.with_header(header::ALLOW, "GET, POST, OPTIONS").into_response();
    }
    if !allowed {
        return refuse(Code::ForbiddenOrigin, "origin not allowed");
    }
    // Clients add their own headers (Apollo's `apollographql-client-name`, tracing headers...);
    // no credentials are ever allowed, so well-formed requested header names are granted.
    let requested = req
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .filter(|h| h.len() <= 512 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_, ".contains(&b)));
    let allow_headers = match requested {
        Some(h) if !h.trim().is_empty() => h.to_owned(),
        _ => "content-type, accept-language, authorization, x-request-id".to_owned(),
    };
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers)
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .header(header::VARY, "origin")
        .finish()
}

/// The weak ETag of a body (the representation may be compressed): 96 bits of its SHA-256.
pub(crate) fn etag_of(body: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(body);
    let mut etag = String::with_capacity(28);
    etag.push_str("W/\"");
    for b in &digest[..12] {
        etag.push(HEX[usize::from(b >> 4)] as char);
        etag.push(HEX[usize::from(b & 15)] as char);
    }
    etag.push('"');
    etag
}

/// Whether `If-None-Match` names this ETag (weakly compared, or `*`).
pub(crate) fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match.is_some_and(|h| {
        h.split(',').map(str::trim).any(|c| c == "*" || c == etag || c.trim_start_matches("W/") == &etag[2..])
    })
}

/// Adds a weak ETag (the representation may be compressed) and answers `304` when it matches.
/// Answers to signed-in requests are marked private so that no shared cache keeps them.
async fn with_etag(mut resp: Response, if_none_match: Option<&str>, private: bool) -> Response {
    let body = match resp.take_body().into_bytes().await {
        Ok(b) => b,
        Err(_) => return refuse(Code::Internal, "internal server error"),
    };
    let etag = etag_of(&body);
    let matches = etag_matches(if_none_match, &etag);
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        let value = if private { "private, no-cache" } else { "no-cache" };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    if matches {
        resp.set_status(StatusCode::NOT_MODIFIED);
        resp.set_body(Body::empty());
        resp.headers_mut().remove(header::CONTENT_TYPE);
        return resp;
    }
    resp.set_body(Body::from(body));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_request_ids_are_kept() {
        for safe in ["abc-123", "trace.id_7", "0f8fad5b-d9cb-469f-a165-70867728950e", &"a".repeat(64)] {
            assert_eq!(request_id(Some(safe)), safe);
        }
        let long = "a".repeat(65);
        let huge = "b".repeat(200);
        for hostile in [
            "",
            "a\nb",
            "a\r\nx-injected: 1",
            "a\tb",
            "a b",
            "<script>alert(1)</script>",
            "id\u{7f}",
            "naïve",
            "%0a",
            long.as_str(),
            huge.as_str(),
        ] {
            let id = request_id(Some(hostile));
            assert_ne!(id, hostile);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{hostile:?} became {id}");
        }
        assert!(uuid::Uuid::parse_str(&request_id(None)).is_ok());
    }
}
