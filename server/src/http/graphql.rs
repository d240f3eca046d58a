//! The GraphQL endpoint, written by hand rather than taken from async-graphql-poem, because the
//! stock endpoint runs mutations sent by GET or as `text/plain` POST (a CSRF hole).
//!
//! Rules: queries by GET or POST; POST as `application/json`, or as a GraphQL multipart upload
//! with a header no HTML form can send (`Authorization`, `Apollo-Require-Preflight`); mutations
//! only by POST; batch
//! size, body size, query size and alias count capped before execution; every error has a code.

use async_graphql::ServerError;
use poem::http::header;
use poem::{Body, IntoResponse, Request, Response};

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};

use super::HttpState;
use super::{error_body, refuse};
use crate::auth::{PasswordBudget, Principal};
use crate::cache::{self, Leader, Lookup, ResponseCache};
use crate::error::Code;
use crate::graphql::document::{self, count_aliases, selects_mutation, text_nesting, variables_nesting};
use crate::graphql::error::{ensure_code, request_error};
use crate::graphql::persisted::{DocumentRef, Resolved};
use crate::graphql::{HeaderLocale, loaders};

/// Longest `Accept-Language` header we negotiate on; longer ones are ignored.
const MAX_ACCEPT_LANGUAGE: usize = 512;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

pub async fn get(req: &Request, state: &HttpState) -> Response {
    let query_string = req.uri().query().unwrap_or_default();
    let names_a_document = query_string.split('&').any(|kv| {
        let name = kv.split('=').next().unwrap_or_default();
        matches!(name, "query" | "extensions" | "documentId" | "doc_id")
    });
    if !names_a_document {
        // A browser opening the endpoint gets the explorer; an API client, a coded refusal.
        let wants_html = req.header(header::ACCEPT).is_some_and(|a| a.contains("text/html"));
        let answer = if wants_html && state.app.config.graphql.graphiql {
            super::explorer::page()
        } else {
            refuse(Code::BadRequest, "missing `query` parameter")
        };
        // The answer depends on `Accept`: caches must keep the two apart.
        return answer.with_header(header::VARY, "accept").into_response();
    }
    if query_string.len() > state.app.config.graphql.max_body_bytes {
        return refuse(
            Code::UriTooLong,
            &format!(
                "the query string exceeds {} bytes; send the query by POST",
                state.app.config.graphql.max_body_bytes
            ),
        );
    }
    let request = match parse_get(query_string) {
        Some(r) => r,
        None => return refuse(Code::BadRequest, "malformed GraphQL GET parameters"),
    };
    match execute(req, state, request, Method::Get, &PasswordBudget::default()).await {
        Ok(body) => json_bytes(body),
        Err(refusal) => refusal,
    }
}

pub async fn post(req: &Request, body: Body, state: &HttpState) -> Response {
    let is_multipart = req
        .header(header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("multipart/form-data"));
    if is_multipart {
        return post_multipart(req, body, state).await;
    }
    let is_json = req
        .header(header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refuse(Code::UnsupportedMediaType, "POST requests must have Content-Type: application/json");
    }
    let limit = state.app.config.graphql.max_body_bytes;
    let deadline = std::time::Duration::from_secs(state.app.config.server.body_read_timeout_seconds);
    let bytes = match read_body(req, body, limit, deadline).await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let batch: WireBatch = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => return refuse(Code::BadRequest, "the body is not a GraphQL request in JSON"),
    };
    run_batch(req, state, batch, bytes.len()).await
}

/// A GraphQL multipart request (file uploads, as the GraphQL multipart request specification
/// and Apollo's upload clients send them): `operations`, `map` and the files. Browsers may send
/// `multipart/form-data` across origins without asking, so a header a form cannot set must come
/// with it (Apollo's CSRF prevention), or an `Authorization` header.
async fn post_multipart(req: &Request, body: Body, state: &HttpState) -> Response {
    let preflighted = ["apollo-require-preflight", "graphql-require-preflight", "x-apollo-operation-name"]
        .iter()
        .any(|h| req.headers().contains_key(*h))
        || req.headers().contains_key(header::AUTHORIZATION);
    if !preflighted {
        return refuse(
            Code::UnsupportedMediaType,
            "multipart/form-data is accepted only with an Authorization or Apollo-Require-Preflight header (CSRF protection)",
        );
    }
    // Files (translation files, documents) are streamed to unnamed temporary files as they
    // arrive, never held in memory; the whole body is bounded as it is read.
    let (t, d) = (&state.app.config.translations, &state.app.config.documents);
    let max_file = (t.max_file_bytes as u64).max(d.max_file_bytes);
    let limit = max_file.saturating_add(state.app.config.graphql.max_body_bytes as u64);
    let too_large = || {
        refuse(Code::PayloadTooLarge, &format!("the request is larger than {limit} bytes"))
            .with_header(header::CONNECTION, "close")
            .into_response()
    };
    let deadline = std::time::Duration::from_secs(t.upload_timeout_seconds.max(d.upload_timeout_seconds));
    match req.header(header::CONTENT_LENGTH).map(|v| v.trim().parse::<u64>()) {
        Some(Ok(n)) if n > limit => {
            super::discard_refused(req, body, n, deadline).await;
            return too_large();
        }
        Some(Err(_)) => return refuse(Code::BadRequest, "malformed Content-Length"),
        _ => {}
    }
    let read = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = read.clone();
    let stream = body.into_bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        let total = counted.fetch_add(chunk.len() as u64, std::sync::atomic::Ordering::Relaxed) + chunk.len() as u64;
        if total > limit {
            return Err(std::io::Error::other("the request is too large"));
        }
        Ok(chunk)
    });
    let opts = async_graphql::http::MultipartOptions::default()
        .max_file_size(usize::try_from(max_file).unwrap_or(usize::MAX))
        .max_num_files(10);
    let parsed = tokio::time::timeout(
        deadline,
        async_graphql::http::receive_batch_body(req.header(header::CONTENT_TYPE), stream.into_async_read(), opts),
    )
    .await;
    let len = usize::try_from(read.load(std::sync::atomic::Ordering::Relaxed)).unwrap_or(usize::MAX);
    if len as u64 > limit {
        return too_large();
    }
    let batch = match parsed {
        Err(_) => {
            return refuse(
                Code::RequestTimeout,
                &format!("the upload did not arrive within {} seconds", deadline.as_secs()),
            )
            .with_header(header::CONNECTION, "close")
            .into_response();
        }
        Ok(Ok(async_graphql::BatchRequest::Single(r))) => {
            WireBatch::Single(WireRequest { request: r, document_id: None })
        }
        Ok(Ok(async_graphql::BatchRequest::Batch(rs))) => {
            WireBatch::Batch(rs.into_iter().map(|r| WireRequest { request: r, document_id: None }).collect())
        }
        Ok(Err(async_graphql::ParseRequestError::PayloadTooLarge)) => {
            return refuse(Code::PayloadTooLarge, &format!("a file exceeds {max_file} bytes"));
        }
        Ok(Err(e)) => return refuse(Code::BadRequest, &format!("malformed multipart request: {e}")),
    };
    run_batch(req, state, batch, len).await
}

/// Runs a single request or a batch.
async fn run_batch(req: &Request, state: &HttpState, batch: WireBatch, body_len: usize) -> Response {
    // One password check for the whole HTTP request, batched operations included.
    let budget = PasswordBudget::default();
    match batch {
        WireBatch::Single(request) => match execute(req, state, request, Method::Post, &budget).await {
            Ok(body) => json_bytes(body),
            Err(refusal) => refusal,
        },
        WireBatch::Batch(requests) => {
            let max = state.app.config.graphql.max_batch;
            if requests.is_empty() || requests.len() > max {
                return refuse(Code::BatchTooLarge, &format!("a batch holds between 1 and {max} operations"));
            }
            let mut out = Vec::with_capacity(body_len);
            out.push(b'[');
            for (i, request) in requests.into_iter().enumerate() {
                match execute(req, state, request, Method::Post, &budget).await {
                    Ok(body) => {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(&body);
                    }
                    Err(refusal) => return refusal,
                }
            }
            out.push(b']');
            json_bytes(Bytes::from(out))
        }
    }
}

/// Reads a request body of at most `limit` bytes within `deadline`. A declared size over the limit
/// is refused before any of the body is read (413), as is a body that turns out larger; one that
/// does not arrive in time gets 408.
pub(super) async fn read_body(
    req: &Request,
    body: Body,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<Bytes, Response> {
    let too_large = || {
        refuse(Code::PayloadTooLarge, &format!("request body exceeds {limit} bytes"))
            .with_header(header::CONNECTION, "close")
            .into_response()
    };
    let declared = req.header(header::CONTENT_LENGTH).map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(n)) if n > limit as u64 => {
            super::discard_refused(req, body, n, deadline).await;
            return Err(too_large());
        }
        Some(Err(_)) => return Err(refuse(Code::BadRequest, "malformed Content-Length")),
        _ => {}
    }
    match tokio::time::timeout(deadline, body.into_bytes_limit(limit)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => Err(too_large()),
        Ok(Err(_)) => Err(refuse(Code::BadRequest, "could not read the request body")),
        Err(_) => Err(refuse(
            Code::RequestTimeout,
            &format!("the request body did not arrive within {} seconds", deadline.as_secs()),
        )
        .with_header(header::CONNECTION, "close")
        .into_response()),
    }
}

/// The caller named by `Authorization: Bearer <token>`; `None` without the header. A malformed
/// header or an invalid, expired or revoked token is refused with 401 before anything runs.
pub(super) async fn authenticate(http: &Request, state: &HttpState) -> Result<Option<Principal>, Response> {
    let Some(value) = http.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let unauthenticated = |message: &str| {
        refuse(Code::Unauthenticated, message).with_header(header::WWW_AUTHENTICATE, "Bearer").into_response()
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("use `Authorization: Bearer <token>`"))?;
    match crate::auth::accounts::authenticate(&state.app.db, token).await {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.code() == Code::Unauthenticated => Err(unauthenticated(&e.public_message())),
        Err(e) => {
            e.log_if_internal();
            Err(refuse(e.code(), &e.public_message()))
        }
    }
}

/// The caller, who must be signed in: `401` with `WWW-Authenticate: Bearer` otherwise.
pub(super) async fn signed_in(http: &Request, state: &HttpState) -> Result<Principal, Response> {
    match authenticate(http, state).await? {
        Some(p) => Ok(p),
        None => Err(refuse(Code::Unauthenticated, "use `Authorization: Bearer <token>`")
            .with_header(header::WWW_AUTHENTICATE, "Bearer")
            .into_response()),
    }
}

/// One GraphQL request as it arrives: async-graphql's fields, and the id of a trusted document
/// (`documentId` in GraphQL over HTTP, `doc_id` in Relay). Read field by field (no serde
/// `flatten`, which would buffer each request once more).
#[derive(serde::Deserialize)]
struct WireBody {
    #[serde(default)]
    query: String,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
    #[serde(default)]
    variables: async_graphql::Variables,
    #[serde(default)]
    extensions: async_graphql::Extensions,
    #[serde(default, rename = "documentId", alias = "doc_id")]
    document_id: Option<String>,
}

struct WireRequest {
    request: async_graphql::Request,
    document_id: Option<String>,
}

impl<'de> serde::Deserialize<'de> for WireRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let body = WireBody::deserialize(d)?;
        let mut request = async_graphql::Request::new(body.query);
        request.operation_name = body.operation_name;
        request.variables = body.variables;
        request.extensions = body.extensions;
        Ok(WireRequest { request, document_id: body.document_id })
    }
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)] // as async-graphql's BatchRequest: one request is the common case
enum WireBatch {
    Single(WireRequest),
    Batch(Vec<WireRequest>),
}

/// Parses GraphQL-over-HTTP GET parameters (`query`, `operationName`, `variables`,
/// `extensions`, `documentId`). async-graphql's own parser expects `operation_name`, which
/// clients do not send.
fn parse_get(query_string: &str) -> Option<WireRequest> {
    #[derive(serde::Deserialize)]
    struct Params {
        #[serde(default)]
        query: String,
        #[serde(rename = "operationName", alias = "operation_name")]
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
        #[serde(rename = "documentId", alias = "doc_id")]
        document_id: Option<String>,
    }
    let p: Params = serde_urlencoded::from_str(query_string).ok()?;
    let mut request = async_graphql::Request::new(p.query);
    request.operation_name = p.operation_name.filter(|n| !n.is_empty());
    if let Some(v) = p.variables.filter(|v| !v.is_empty()) {
        request.variables = serde_json::from_str(&v).ok()?;
    }
    if let Some(e) = p.extensions.filter(|e| !e.is_empty()) {
        request.extensions = serde_json::from_str(&e).ok()?;
    }
    Some(WireRequest { request, document_id: p.document_id.filter(|d| !d.is_empty()) })
}

/// What a request names its document by besides its text; a malformed Apollo
/// `persistedQuery` extension is refused.
fn document_ref(wire: &mut WireRequest) -> Result<DocumentRef, ServerError> {
    let mut reference = DocumentRef { document_id: wire.document_id.take(), apollo_hash: None };
    if let Some(value) = wire.request.extensions.remove("persistedQuery") {
        #[derive(serde::Deserialize)]
        struct PersistedQuery {
            version: i64,
            #[serde(rename = "sha256Hash")]
            sha256_hash: String,
        }
        let pq: PersistedQuery = async_graphql::from_value(value).map_err(|_| {
            request_error(
                "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<hex>\"}".to_owned(),
                Code::BadRequest,
            )
        })?;
        if pq.version != 1 {
            let msg = format!("persisted query version {} is not supported; use 1", pq.version);
            return Err(request_error(msg, Code::BadRequest));
        }
        reference.apollo_hash = Some(pq.sha256_hash);
    }
    Ok(reference)
}

fn json_bytes(body: Bytes) -> Response {
    Response::builder().content_type("application/json").body(body)
}

fn serialize(response: &async_graphql::Response) -> Bytes {
    match serde_json::to_vec(response) {
        Ok(bytes) => Bytes::from(bytes),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            Bytes::from(error_body(Code::Internal, "internal server error"))
        }
    }
}

fn errors(state: &HttpState, errors: Vec<ServerError>) -> async_graphql::Response {
    for e in &errors {
        if let Some(code) = e.extensions.as_ref().and_then(|x| x.get("code")) {
            state.app.metrics.graphql_error(&code.to_string().replace('"', ""));
        }
    }
    async_graphql::Response::from_errors(errors)
}

/// Checks and runs one operation (or answers it from the response cache), returning its JSON.
async fn execute(
    http: &Request,
    state: &HttpState,
    request: WireRequest,
    method: Method,
    budget: &PasswordBudget,
) -> Result<Bytes, Response> {
    let mut leader = None;
    let response = match run(http, state, request, method, budget, &mut leader).await? {
        Outcome::Cached(body) => return Ok(body),
        Outcome::Fresh(response) => response,
    };
    let body = serialize(&response);
    if let Some(leader) = leader {
        leader.finish(response.errors.is_empty().then(|| body.clone()));
    }
    Ok(body)
}

enum Outcome {
    Fresh(async_graphql::Response),
    Cached(Bytes),
}

async fn run<'a>(
    http: &Request,
    state: &'a HttpState,
    mut wire: WireRequest,
    method: Method,
    budget: &PasswordBudget,
    leader: &mut Option<Leader<'a>>,
) -> Result<Outcome, Response> {
    let g = &state.app.config.graphql;
    let reference = match document_ref(&mut wire) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::Fresh(errors(state, vec![e]))),
    };
    let mut request = wire.request;
    // A document sent by hash or id becomes its text here; a text sent with its hash is
    // remembered once it has passed the checks below.
    let mut persist = match state.persisted.resolve(&request.query, &reference) {
        Ok(Resolved::Sent) => None,
        Ok(Resolved::SentToPersist(hash)) => Some((hash, request.query.clone())),
        Ok(Resolved::Found(text)) => {
            request.query = text.to_string();
            None
        }
        Err((code, msg)) => return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, code)]))),
    };
    if request.query.len() > g.max_query_bytes {
        let msg = format!("the query exceeds {} bytes", g.max_query_bytes);
        return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, Code::QueryTooLarge)])));
    }
    // Nesting is bounded before the parser or the input coercion can recurse on it: a few
    // kilobytes of brackets would otherwise exhaust a worker's stack.
    let max_nesting = g.max_recursive_depth.saturating_mul(2);
    if text_nesting(&request.query) > max_nesting || variables_nesting(&request.variables) > g.max_recursive_depth {
        let msg = format!("the query nests deeper than {max_nesting} brackets");
        return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, Code::RecursionTooDeep)])));
    }
    let operation_name = request.operation_name.clone();
    let accept_language = http.header(header::ACCEPT_LANGUAGE).filter(|h| h.len() <= MAX_ACCEPT_LANGUAGE);
    let locale = state.app.locales.from_accept_language(accept_language);
    // Only anonymous queries are shared: what a signed-in user sees may depend on who they are.
    // The cache is read before parsing: only the responses of queries are ever stored, so a hit
    // needs neither the parse nor the checks below (its text passed them when it was stored).
    let anonymous = !http.headers().contains_key(header::AUTHORIZATION);
    if anonymous && state.app.cache.enabled() {
        let variables = serde_json::to_string(&request.variables).unwrap_or_default();
        let negotiated = format!("{}|{}", locale.requested, locale.chain.join(","));
        let key = ResponseCache::key(&request.query, operation_name.as_deref(), &variables, &negotiated);
        match state.app.cache.lookup(key) {
            // A cached text passed every check when it was run: a hash sent with it is kept.
            Lookup::Hit(body) => {
                if let Some((hash, text)) = persist.take() {
                    state.persisted.persist(hash, &text);
                }
                return Ok(Outcome::Cached(body));
            }
            Lookup::Wait(rx) => {
                // The leader's response, or (if it could not be cached) our own run below.
                if let Some(body) = cache::wait(rx).await {
                    if let Some((hash, text)) = persist.take() {
                        state.persisted.persist(hash, &text);
                    }
                    return Ok(Outcome::Cached(body));
                }
            }
            Lookup::Lead(l) => *leader = Some(l),
        }
    }
    let (doc, kept) = match state.parsed.parse(&request.query) {
        Ok(parsed) => parsed,
        Err(e) => {
            let e = ServerError::from(e);
            let mut err = request_error(e.message, Code::ParseFailed);
            err.locations = e.locations;
            return Ok(Outcome::Fresh(errors(state, vec![err])));
        }
    };
    let aliases = count_aliases(&doc);
    if aliases > g.max_aliases {
        let msg = format!("the query uses {aliases} aliases; at most {} are allowed", g.max_aliases);
        return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, Code::TooManyAliases)])));
    }
    match document::depth(&doc, g.max_recursive_depth) {
        Some(depth) if depth > g.max_depth => {
            let msg = format!("the query nests fields {depth} deep; at most {} are allowed", g.max_depth);
            return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, Code::QueryTooDeep)])));
        }
        Some(_) => {}
        None => {
            let msg = format!("fragments spread each other deeper than {}", g.max_recursive_depth);
            return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, Code::RecursionTooDeep)])));
        }
    }
    if selects_mutation(&doc, operation_name.as_deref()) {
        if method == Method::Get {
            return Err(refuse(Code::MethodNotAllowed, "mutations must be sent by POST")
                .with_header(header::ALLOW, "POST")
                .into_response());
        }
        // Never stored: those waiting for it run their own request.
        *leader = None;
    }
    let principal = authenticate(http, state).await?;
    // Only documents that passed the checks above are kept for the next request.
    if !kept {
        state.parsed.keep(&request.query, &doc);
    }
    // The run takes its own copy; `doc` is kept to put the response in query order.
    request.set_parsed_query((*doc).clone());
    request = request
        .data(HeaderLocale(locale))
        .data(loaders(state.app.db.clone(), state.app.locales.codes(), state.app.reference.snapshot()))
        .data(budget.clone());
    if let Some(principal) = principal {
        request = request.data(principal);
    }
    let mut response = state.schema.execute(request).await;
    // Kept by hash only once it ran: a text the schema refuses never takes a slot.
    if let Some((hash, text)) = persist
        && response.data != async_graphql::Value::Null
    {
        state.persisted.persist(hash, &text);
    }
    for e in &mut response.errors {
        ensure_code(e);
    }
    let errs = std::mem::take(&mut response.errors);
    let mut data = std::mem::take(&mut response.data);
    document::order_response(&mut data, &doc, operation_name.as_deref());
    let mut out = errors(state, errs);
    out.data = data;
    out.extensions = response.extensions;
    Ok(Outcome::Fresh(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_parameters_carry_the_operation_name() {
        let r = parse_get("query=query%20A%20%7B%20a%20%7D&operationName=A&variables=%7B%22x%22%3A1%7D").unwrap();
        assert_eq!(r.request.operation_name.as_deref(), Some("A"));
        assert_eq!(r.request.variables.to_string(), "{x: 1}");
        assert!(parse_get("query=x&variables=not-json").is_none());
        let by_id = parse_get("documentId=sha256%3Aab&operationName=A").unwrap();
        assert_eq!(by_id.document_id.as_deref(), Some("sha256:ab"));
        assert!(by_id.request.query.is_empty());
    }
}
