//! The GraphQL endpoint, written by hand rather than taken from async-graphql-poem, because the
//! stock endpoint runs mutations sent by GET or as `text/plain` POST (a CSRF hole).
//!
//! Rules: queries by GET or POST; POST only as `application/json`; mutations only by POST; batch
//! size, body size, query size and alias count capped before execution; every error has a code.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{BatchRequest, ServerError};
use poem::http::header;
use poem::web::Html;
use poem::{Body, IntoResponse, Request, Response};

use bytes::Bytes;

use super::HttpState;
use super::{error_body, refuse};
use crate::auth::{PasswordBudget, Principal};
use crate::cache::{self, Leader, Lookup, ResponseCache};
use crate::error::Code;
use crate::graphql::error::{ensure_code, request_error};
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
    if !query_string.split('&').any(|kv| kv.starts_with("query=")) {
        if state.app.config.graphql.graphiql {
            let page =
                async_graphql::http::GraphiQLSource::build().endpoint("/graphql").title("Chorus GraphiQL").finish();
            return Html(page).into_response();
        }
        return refuse(Code::BadRequest, "missing `query` parameter");
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
    let is_json = req
        .header(header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return refuse(Code::UnsupportedMediaType, "POST requests must have Content-Type: application/json");
    }
    let limit = state.app.config.graphql.max_body_bytes;
    let deadline = std::time::Duration::from_secs(state.app.config.server.body_read_timeout_seconds);
    let too_large = || {
        refuse(Code::PayloadTooLarge, &format!("request body exceeds {limit} bytes"))
            .with_header(header::CONNECTION, "close")
            .into_response()
    };
    // A declared size over the limit is refused without parsing any of the body.
    let declared = req.header(header::CONTENT_LENGTH).map(|v| v.trim().parse::<u64>());
    match declared {
        Some(Ok(n)) if n > limit as u64 => {
            // A client waiting for `100 Continue` has sent nothing yet: refuse without asking.
            let waits = req.header(header::EXPECT).is_some_and(|e| e.to_ascii_lowercase().contains("100-continue"));
            if !waits {
                discard(body, n, deadline).await;
            }
            return too_large();
        }
        Some(Err(_)) => return refuse(Code::BadRequest, "malformed Content-Length"),
        _ => {}
    }
    let bytes = match tokio::time::timeout(deadline, body.into_bytes_limit(limit)).await {
        Ok(Ok(b)) => b,
        Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => return too_large(),
        Ok(Err(_)) => return refuse(Code::BadRequest, "could not read the request body"),
        Err(_) => {
            return refuse(
                Code::RequestTimeout,
                &format!("the request body did not arrive within {} seconds", deadline.as_secs()),
            )
            .with_header(header::CONNECTION, "close")
            .into_response();
        }
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(_) => return refuse(Code::BadRequest, "the body is not a GraphQL request in JSON"),
    };
    // One password check for the whole HTTP request, batched operations included.
    let budget = PasswordBudget::default();
    match batch {
        BatchRequest::Single(request) => match execute(req, state, request, Method::Post, &budget).await {
            Ok(body) => json_bytes(body),
            Err(refusal) => refusal,
        },
        BatchRequest::Batch(requests) => {
            let max = state.app.config.graphql.max_batch;
            if requests.is_empty() || requests.len() > max {
                return refuse(Code::BatchTooLarge, &format!("a batch holds between 1 and {max} operations"));
            }
            let mut out = Vec::with_capacity(bytes.len());
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

/// How much of a refused body is read and thrown away so that the client, still sending, reads
/// the refusal instead of a reset connection (closing a socket with unread bytes makes the kernel
/// send RST, which can destroy a response already sent). Larger bodies are not read at all: their
/// senders may see a reset, which is the price of not accepting them. Go's net/http does the same.
const DISCARD_AT_MOST: u64 = 256 * 1024;

/// Reads and drops a refused body of `declared` bytes when it is small enough, within `deadline`.
async fn discard(body: Body, declared: u64, deadline: std::time::Duration) {
    use futures_util::StreamExt;
    if declared > DISCARD_AT_MOST {
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

/// The caller named by `Authorization: Bearer <token>`; `None` without the header. A malformed
/// header or an invalid, expired or revoked token is refused with 401 before anything runs.
async fn authenticate(http: &Request, state: &HttpState) -> Result<Option<Principal>, Response> {
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

/// Parses GraphQL-over-HTTP GET parameters (`query`, `operationName`, `variables`,
/// `extensions`). async-graphql's own parser expects `operation_name`, which clients do not send.
fn parse_get(query_string: &str) -> Option<async_graphql::Request> {
    #[derive(serde::Deserialize)]
    struct Params {
        query: String,
        #[serde(rename = "operationName", alias = "operation_name")]
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
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
    Some(request)
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
    request: async_graphql::Request,
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
    mut request: async_graphql::Request,
    method: Method,
    budget: &PasswordBudget,
    leader: &mut Option<Leader<'a>>,
) -> Result<Outcome, Response> {
    let g = &state.app.config.graphql;
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
            Lookup::Hit(body) => return Ok(Outcome::Cached(body)),
            Lookup::Wait(rx) => {
                // The leader's response, or (if it could not be cached) our own run below.
                if let Some(body) = cache::wait(rx).await {
                    return Ok(Outcome::Cached(body));
                }
            }
            Lookup::Lead(l) => *leader = Some(l),
        }
    }
    let doc = match request.parsed_query() {
        Ok(doc) => doc,
        Err(mut e) => {
            e.extensions = None;
            let mut err = request_error(e.message, Code::ParseFailed);
            err.locations = e.locations;
            return Ok(Outcome::Fresh(errors(state, vec![err])));
        }
    };
    let aliases = count_aliases(doc);
    if aliases > g.max_aliases {
        let msg = format!("the query uses {aliases} aliases; at most {} are allowed", g.max_aliases);
        return Ok(Outcome::Fresh(errors(state, vec![request_error(msg, Code::TooManyAliases)])));
    }
    if selects_mutation(doc, operation_name.as_deref()) {
        if method == Method::Get {
            return Err(refuse(Code::MethodNotAllowed, "mutations must be sent by POST")
                .with_header(header::ALLOW, "POST")
                .into_response());
        }
        // Never stored: those waiting for it run their own request.
        *leader = None;
    }
    let principal = authenticate(http, state).await?;
    request = request
        .data(HeaderLocale(locale))
        .data(loaders(state.app.db.clone(), state.app.locales.codes()))
        .data(budget.clone());
    if let Some(principal) = principal {
        request = request.data(principal);
    }
    let mut response = state.schema.execute(request).await;
    for e in &mut response.errors {
        ensure_code(e);
    }
    let errs = std::mem::take(&mut response.errors);
    let data = std::mem::take(&mut response.data);
    let mut out = errors(state, errs);
    out.data = data;
    out.extensions = response.extensions;
    Ok(Outcome::Fresh(out))
}

/// The deepest nesting of `{`, `[` and `(` in a GraphQL text, outside strings and comments.
fn text_nesting(query: &str) -> usize {
    let bytes = query.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// The deepest nesting of lists and objects in the variables, walked without recursion.
fn variables_nesting(variables: &async_graphql::Variables) -> usize {
    use async_graphql::Value;
    let mut stack: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    let mut max = 0;
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::List(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    max
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    #[test]
    fn mutation_detection_follows_the_selected_operation() {
        let d = doc("query A { a } mutation B { b }");
        assert!(!selects_mutation(&d, Some("A")));
        assert!(selects_mutation(&d, Some("B")));
        assert!(selects_mutation(&d, None));
        assert!(selects_mutation(&d, Some("Missing")));
        assert!(!selects_mutation(&doc("{ a }"), None));
        assert!(selects_mutation(&doc("subscription { a }"), None));
    }

    #[test]
    fn get_parameters_carry_the_operation_name() {
        let r = parse_get("query=query%20A%20%7B%20a%20%7D&operationName=A&variables=%7B%22x%22%3A1%7D").unwrap();
        assert_eq!(r.operation_name.as_deref(), Some("A"));
        assert_eq!(r.variables.to_string(), "{x: 1}");
        assert!(parse_get("query=x&variables=not-json").is_none());
        assert!(parse_get("operationName=A").is_none());
    }

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(text_nesting("{ a(x: [[1]]) { b } }"), 4);
        assert_eq!(text_nesting(r#"{ a(x: "[[[[{{{") }"#), 2);
        assert_eq!(text_nesting("{ a # [[[[[\n }"), 1);
        assert_eq!(text_nesting(r#"{ a(x: """ [[[ \""" [[ """) }"#), 2);
        assert_eq!(text_nesting(&"[".repeat(10_000)), 10_000);
    }

    #[test]
    fn aliases_are_counted_in_fragments_too() {
        let d = doc("{ a: x b: y ...F } fragment F on Q { c: z d { e: w } }");
        assert_eq!(count_aliases(&d), 4);
    }
}
