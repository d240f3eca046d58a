//! The GraphQL endpoint, written by hand rather than taken from async-graphql-poem, because the
//! stock endpoint runs mutations sent by GET or as `text/plain` POST (a CSRF hole).
//!
//! Rules: queries by GET or POST; POST only as `application/json`; mutations only by POST; batch
//! size, body size, query size and alias count capped before execution; every error has a code.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{BatchRequest, ServerError};
use poem::http::{StatusCode, header};
use poem::web::Html;
use poem::{Body, IntoResponse, Request, Response};

use super::HttpState;
use crate::graphql::error::{PARSE_FAILED, ensure_code, request_error};
use crate::graphql::{HeaderLocale, loaders};

/// Longest `Accept-Language` header we negotiate on; longer ones are ignored.
const MAX_ACCEPT_LANGUAGE: usize = 512;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// A transport-level refusal: an HTTP status and one coded error.
fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    Response::builder().status(status).content_type("application/json").body(body.to_string())
}

pub async fn get(req: &Request, state: &HttpState) -> Response {
    let query_string = req.uri().query().unwrap_or_default();
    if !query_string.split('&').any(|kv| kv.starts_with("query=")) {
        if state.app.config.graphql.graphiql {
            let page =
                async_graphql::http::GraphiQLSource::build().endpoint("/graphql").title("Chorus GraphiQL").finish();
            return Html(page).into_response();
        }
        return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "missing `query` parameter");
    }
    if query_string.len() > state.app.config.graphql.max_body_bytes {
        return refuse(StatusCode::URI_TOO_LONG, "PAYLOAD_TOO_LARGE", "query string too long");
    }
    let request = match async_graphql::http::parse_query_string(query_string) {
        Ok(r) => r,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "malformed GraphQL GET parameters"),
    };
    match execute(req, state, request, Method::Get).await {
        Ok(resp) => json(&resp),
        Err(refusal) => refusal,
    }
}

pub async fn post(req: &Request, body: Body, state: &HttpState) -> Response {
    let is_json = req
        .header(header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST requests must have Content-Type: application/json",
        );
    }
    let limit = state.app.config.graphql.max_body_bytes;
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(b) => b,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!("request body exceeds {limit} bytes"),
            );
        }
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "could not read the request body"),
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the body is not a GraphQL request in JSON"),
    };
    match batch {
        BatchRequest::Single(request) => match execute(req, state, request, Method::Post).await {
            Ok(resp) => json(&resp),
            Err(refusal) => refusal,
        },
        BatchRequest::Batch(requests) => {
            let max = state.app.config.graphql.max_batch;
            if requests.is_empty() || requests.len() > max {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "BATCH_TOO_LARGE",
                    &format!("a batch holds between 1 and {max} operations"),
                );
            }
            let mut out = Vec::with_capacity(requests.len());
            for request in requests {
                match execute(req, state, request, Method::Post).await {
                    Ok(resp) => out.push(resp),
                    Err(refusal) => return refusal,
                }
            }
            json(&out)
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => Response::builder().content_type("application/json").body(bytes),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a GraphQL response");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR", "internal server error")
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

/// Checks and runs one operation.
async fn execute(
    http: &Request,
    state: &HttpState,
    mut request: async_graphql::Request,
    method: Method,
) -> Result<async_graphql::Response, Response> {
    let g = &state.app.config.graphql;
    if request.query.len() > g.max_query_bytes {
        let msg = format!("the query exceeds {} bytes", g.max_query_bytes);
        return Ok(errors(state, vec![request_error(msg, "QUERY_TOO_LARGE")]));
    }
    let operation_name = request.operation_name.clone();
    let doc = match request.parsed_query() {
        Ok(doc) => doc,
        Err(mut e) => {
            e.extensions = None;
            let mut err = request_error(e.message, PARSE_FAILED);
            err.locations = e.locations;
            return Ok(errors(state, vec![err]));
        }
    };
    let aliases = count_aliases(doc);
    if aliases > g.max_aliases {
        let msg = format!("the query uses {aliases} aliases; at most {} are allowed", g.max_aliases);
        return Ok(errors(state, vec![request_error(msg, "TOO_MANY_ALIASES")]));
    }
    if method == Method::Get && selects_mutation(doc, operation_name.as_deref()) {
        return Err(refuse(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "mutations must be sent by POST")
            .with_header(header::ALLOW, "POST")
            .into_response());
    }
    let accept_language = http.header(header::ACCEPT_LANGUAGE).filter(|h| h.len() <= MAX_ACCEPT_LANGUAGE);
    let locale = state.app.locales.from_accept_language(accept_language);
    request = request.data(HeaderLocale(locale)).data(loaders(state.app.db.clone(), state.app.locales.codes()));
    let mut response = state.schema.execute(request).await;
    for e in &mut response.errors {
        ensure_code(e);
    }
    let errs = std::mem::take(&mut response.errors);
    let data = std::mem::take(&mut response.data);
    let mut out = errors(state, errs);
    out.data = data;
    out.extensions = response.extensions;
    Ok(out)
}

/// Aliased fields anywhere in the document (operations and fragments).
fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node),
                Selection::InlineFragment(i) => walk(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let ops: usize = doc.operations.iter().map(|(_, op)| walk(&op.node.selection_set.node)).sum();
    let frags: usize = doc.fragments.values().map(|f| walk(&f.node.selection_set.node)).sum();
    ops + frags
}

/// Whether the operation a GET would run is a mutation (or any operation is, when ambiguous).
fn selects_mutation(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    let is_write = |ty: OperationType| ty != OperationType::Query;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => is_write(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => is_write(op.node.ty),
            None => ops.values().any(|op| is_write(op.node.ty)),
        },
        (DocumentOperations::Multiple(ops), None) => ops.values().any(|op| is_write(op.node.ty)),
    }
}
