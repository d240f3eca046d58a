//! Partner sites' search: `GET /v1/search` (JSON, what the widget reads), the widget itself
//! (`/embed/v1/chorus-search.js`), the frame (`/embed/v1/frame`: the same results as plain HTML
//! for pages that cannot run scripts) and its oEmbed description (`/embed/v1/oembed`).
//!
//! Every search runs the `search` GraphQL field in-process with the partner key's scope as
//! request data (`graphql::search` narrows the filters and languages to it): one search path,
//! and the scope applied where the filters are built, so no parameter can widen it. A search key
//! is read here and nowhere else.

use std::sync::LazyLock;

use bytes::Bytes;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{HttpState, refuse};
use chorus_search_index::search::escape as esc;

use crate::cache::{self, Lookup, ResponseCache};
use crate::error::{AppError, Code};
use crate::partners::{ActiveKey, AdmitError, Refusal, SearchScope, kind_value};

const KEY_HEADER: &str = "x-chorus-key";

/// The widget, with its strings.
const WIDGET: &str = include_str!("../../assets/embed/chorus-search.js");
const STRINGS_JSON: &str = include_str!("../../assets/embed/strings.json");

/// The widget's strings by language (also the frame's).
static STRINGS: LazyLock<serde_json::Map<String, serde_json::Value>> =
    LazyLock::new(|| serde_json::from_str(STRINGS_JSON).expect("assets/embed/strings.json is an object"));

/// The widget as served: its strings written in, compact.
static SCRIPT: LazyLock<Bytes> = LazyLock::new(|| {
    let strings = serde_json::to_string(&*STRINGS).expect("strings serialise");
    Bytes::from(WIDGET.replacen("/*@strings*/{}", &strings, 1))
});

/// The search every partner request runs (one hit per item; facets for the filters).
pub const QUERY: &str = r#"query Embed($q: String!, $locale: String, $locales: [String!], $filter: SearchFilter, $first: Int, $after: String) {
  search(query: $q, locale: $locale, locales: $locales, filter: $filter, facets: [KIND, REGION, TOPIC, LANGUAGE], first: $first, after: $after) {
    total
    didYouMean
    facets { facet buckets { value count label } }
    hits {
      locale isFallback titleHtml snippetHtml alsoAvailableIn
      item {
        __typename
        ... on Resource { id slug title kind publishedOn documents { ...D } }
        ... on GoodPractice { id slug title documents { ...D } }
        ... on Organization { id slug title kind documents { ...D } }
        ... on Programme { id slug title documents { ...D } }
      }
    }
  }
}
fragment D on Document { locale title fileName url mimeType size }"#;

/// What a partner asks: the query string of `/v1/search` and of the frame.
#[derive(Clone, Debug, Default, Hash)]
pub struct Params {
    pub q: String,
    pub lang: Option<String>,
    pub kinds: Vec<String>,
    pub regions: Vec<String>,
    pub topics: Vec<String>,
    pub languages: Vec<String>,
    pub page: u32,
    pub per_page: Option<u32>,
    pub key: Option<String>,
}

const MAX_VALUES: usize = 50;

impl Params {
    pub fn parse(query: &str) -> Result<Params, AppError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| AppError::bad_input("the query string is not valid URL encoding"))?;
        let mut p = Params { page: 1, ..Params::default() };
        for (name, value) in pairs {
            let list =
                |v: &str| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
            match name.as_str() {
                "q" => p.q = value,
                "lang" => p.lang = Some(value).filter(|v| !v.is_empty()),
                "kind" => p.kinds.extend(list(&value)),
                "region" => p.regions.extend(list(&value)),
                "topic" => p.topics.extend(list(&value)),
                "language" => p.languages.extend(list(&value)),
                "page" => {
                    p.page = value
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| AppError::bad_input("page: a number from 1"))?;
                }
                "per_page" => {
                    p.per_page = Some(value.parse().map_err(|_| AppError::bad_input("per_page: a number"))?);
                }
                "key" => p.key = Some(value),
                // Anything else (a cache-buster, an analytics tag added by a CMS) is ignored.
                _ => {}
            }
        }
        for (name, values) in
            [("kind", &p.kinds), ("region", &p.regions), ("topic", &p.topics), ("language", &p.languages)]
        {
            if values.len() > MAX_VALUES || values.iter().any(|v| v.len() > 64) {
                return Err(AppError::bad_input(format!("{name}: at most {MAX_VALUES} values")));
            }
        }
        Ok(p)
    }
}

/// One search as the endpoint answers it.
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub query: String,
    pub lang: String,
    pub dir: String,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    pub did_you_mean: Option<String>,
    pub hits: Vec<HitOut>,
    pub facets: Vec<FacetOut>,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct HitOut {
    pub id: String,
    #[serde(rename = "type")]
    pub item_type: String,
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    pub title: String,
    pub title_html: String,
    pub snippet_html: String,
    pub language: String,
    pub language_name: String,
    pub is_fallback: bool,
    pub also_available_in: Vec<Language>,
    pub url: Option<String>,
    pub date: Option<String>,
    pub documents: Vec<DocumentOut>,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct Language {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DocumentOut {
    pub title: Option<String>,
    pub file_name: String,
    pub language: String,
    pub language_name: String,
    pub url: String,
    pub mime_type: String,
    pub size: f64,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct FacetOut {
    pub name: String,
    pub buckets: Vec<BucketOut>,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct BucketOut {
    pub value: String,
    pub label: Option<String>,
    pub count: i64,
    pub selected: bool,
}

/// Languages written right to left (by primary subtag).
fn direction(locale: &str) -> &'static str {
    let primary = locale.split(['-', '_']).next().unwrap_or_default();
    if matches!(primary, "ar" | "he" | "fa" | "ur" | "ps" | "yi" | "dv" | "ckb") { "rtl" } else { "ltr" }
}

fn type_name(typename: &str) -> (&'static str, &'static str) {
    match typename {
        "Resource" => ("resource", "resources"),
        "GoodPractice" => ("good_practice", "good-practices"),
        "Organization" => ("organization", "organizations"),
        _ => ("programme", "programmes"),
    }
}

/// Runs a partner's search: the key's scope goes in as request data, the answer comes out in
/// the endpoint's shape.
pub async fn run(
    state: &HttpState,
    key: &ActiveKey,
    params: &Params,
    accept_language: Option<&str>,
) -> Result<Answer, AppError> {
    let app = &state.app;
    let locale = match &params.lang {
        Some(raw) => app.locales.request(raw).map_err(|e| AppError::bad_input(format!("lang: {e}")))?,
        None => app.locales.from_accept_language(accept_language),
    };
    let per_page = params
        .per_page
        .unwrap_or(app.config.search.default_page_size.min(u64::from(app.config.embed.max_per_page)) as u32);
    if per_page == 0 || per_page > app.config.embed.max_per_page {
        return Err(AppError::bad_input(format!("per_page: between 1 and {}", app.config.embed.max_per_page)));
    }
    let offset = u64::from(params.page - 1) * u64::from(per_page);
    let max_results = app.config.search.max_results;
    if offset >= max_results {
        return Err(AppError::bad_input(format!("page: results stop at {max_results}")));
    }
    let (mut resource_kinds, mut organization_kinds) = (Vec::new(), Vec::new());
    for raw in &params.kinds {
        let value = kind_value(raw)
            .ok_or_else(|| AppError::bad_input(format!("kind: no kind `{}`", crate::error::echo_input(raw, 64))))?;
        let name = value.to_ascii_uppercase();
        if crate::partners::is_resource_kind(&value) {
            resource_kinds.push(name)
        } else {
            organization_kinds.push(name)
        }
    }
    let mut filter = serde_json::Map::new();
    for (name, values) in [
        ("resourceKinds", resource_kinds),
        ("organizationKinds", organization_kinds),
        ("regions", params.regions.clone()),
        ("topics", params.topics.clone()),
    ] {
        if !values.is_empty() {
            filter.insert(name.into(), json!(values));
        }
    }
    let mut variables = json!({
        "q": params.q,
        "locale": locale.requested,
        "filter": filter,
        "first": per_page,
    });
    if !params.languages.is_empty() {
        variables["locales"] = json!(params.languages);
    }
    if offset > 0 {
        variables["after"] = json!(crate::graphql::search_cursor(offset as usize - 1));
    }
    let request = async_graphql::Request::new(QUERY)
        .variables(async_graphql::Variables::from_json(variables))
        .data(crate::graphql::HeaderLocale(locale.clone()))
        .data(crate::graphql::loaders(app.db.clone(), app.locales.codes(), app.reference.snapshot()))
        .data(SearchScope(key.key.scope.clone()));
    let response = state.schema.execute(request).await;
    if let Some(e) = response.errors.first() {
        let code = e
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .and_then(|c| match c {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default();
        return Err(match code.as_str() {
            "BAD_USER_INPUT" => AppError::bad_input(e.message.clone()),
            "SERVICE_UNAVAILABLE" => AppError::Unavailable(e.message.clone()),
            _ => AppError::internal(format!("embedded search: {}", e.message)),
        });
    }
    let data = response.data.into_json().map_err(AppError::internal)?;
    let found: Found = serde_json::from_value(data["search"].clone()).map_err(AppError::internal)?;
    Ok(shape(state, key, params, &locale, per_page, found))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Found {
    total: i64,
    did_you_mean: Option<String>,
    facets: Vec<FoundFacet>,
    hits: Vec<FoundHit>,
}

#[derive(Deserialize)]
struct FoundFacet {
    facet: String,
    buckets: Vec<FoundBucket>,
}

#[derive(Deserialize)]
struct FoundBucket {
    value: String,
    count: i64,
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FoundHit {
    locale: String,
    is_fallback: bool,
    title_html: String,
    snippet_html: String,
    also_available_in: Vec<String>,
    item: FoundItem,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FoundItem {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    slug: String,
    title: String,
    kind: Option<String>,
    published_on: Option<String>,
    documents: Vec<FoundDocument>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FoundDocument {
    locale: String,
    title: Option<String>,
    file_name: String,
    url: String,
    mime_type: String,
    size: f64,
}

fn shape(
    state: &HttpState,
    key: &ActiveKey,
    params: &Params,
    locale: &crate::locale::RequestLocale,
    per_page: u32,
    found: Found,
) -> Answer {
    let scope = &key.key.scope;
    let in_scope = |code: &str| scope.locales.is_empty() || scope.locales.iter().any(|l| l == code);
    let template = &state.app.config.embed.item_url;
    let chain: Vec<String> = locale.chain.to_vec();
    let hits = found
        .hits
        .into_iter()
        .map(|h| {
            let (item_type, segment) = type_name(&h.item.typename);
            let url = (!template.is_empty()).then(|| {
                template
                    .replace("{locale}", &h.locale)
                    .replace("{type}", segment)
                    .replace("{slug}", &h.item.slug)
                    .replace("{id}", &h.item.id)
            });
            let kind_label = h
                .item
                .kind
                .as_deref()
                .and_then(|k| crate::content::labels::label(&k.to_ascii_lowercase(), &chain))
                .map(str::to_owned);
            HitOut {
                id: h.item.id,
                item_type: item_type.to_owned(),
                kind: h.item.kind,
                kind_label,
                title: h.item.title,
                title_html: h.title_html,
                snippet_html: h.snippet_html,
                language_name: crate::locale::autonym(&h.locale).to_owned(),
                language: h.locale,
                is_fallback: h.is_fallback,
                also_available_in: h
                    .also_available_in
                    .into_iter()
                    .filter(|l| in_scope(l))
                    .map(|code| Language { name: crate::locale::autonym(&code).to_owned(), code })
                    .collect(),
                url,
                date: h.item.published_on,
                documents: h
                    .item
                    .documents
                    .into_iter()
                    .filter(|d| in_scope(&d.locale))
                    .map(|d| DocumentOut {
                        title: d.title,
                        file_name: d.file_name,
                        language_name: crate::locale::autonym(&d.locale).to_owned(),
                        language: d.locale,
                        url: d.url,
                        mime_type: d.mime_type,
                        size: d.size,
                    })
                    .collect(),
            }
        })
        .collect();
    let facets = found
        .facets
        .into_iter()
        .map(|f| {
            let name = f.facet.to_ascii_lowercase();
            let selected: &[String] = match name.as_str() {
                "kind" => &params.kinds,
                "region" => &params.regions,
                "topic" => &params.topics,
                _ => &params.languages,
            };
            let buckets = f
                .buckets
                .into_iter()
                .map(|b| BucketOut {
                    selected: selected.iter().any(|s| s.eq_ignore_ascii_case(&b.value)),
                    value: b.value,
                    label: b.label,
                    count: b.count,
                })
                .collect();
            FacetOut { name, buckets }
        })
        .collect();
    let reachable = found.total.min(state.app.config.search.max_results as i64).max(0) as u64;
    Answer {
        query: params.q.clone(),
        lang: locale.chain.first().cloned().unwrap_or_default(),
        dir: direction(locale.chain.first().map_or("", String::as_str)).to_owned(),
        total: found.total,
        page: params.page,
        per_page,
        pages: reachable.div_ceil(u64::from(per_page)) as u32,
        did_you_mean: found.did_you_mean,
        hits,
        facets,
    }
}

/// The key a request sent: the header, else `key` in the query string.
fn sent_key<'a>(req: &'a Request, params: &'a Params) -> Option<&'a str> {
    req.header(KEY_HEADER).or(params.key.as_deref())
}

/// A refusal as the endpoint answers it (JSON, with `Retry-After` for the rate limit).
fn refusal(e: AdmitError) -> Response {
    match e {
        AdmitError::Refused(Refusal::Key(m)) => refuse(Code::Unauthenticated, &m),
        AdmitError::Refused(Refusal::Origin(m)) => refuse(Code::ForbiddenOrigin, &m),
        AdmitError::Refused(Refusal::Rate(wait)) => {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut r =
                refuse(Code::RateLimited, &format!("too many searches with this key; try again in {seconds} s"));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
            r
        }
        AdmitError::Failed(e) => {
            e.log_if_internal();
            refuse(e.code(), &e.public_message())
        }
    }
}

/// `GET /v1/search`: the key's origin (exactly, never a wildcard) may read the answer.
pub async fn search(req: &Request, state: &HttpState) -> Response {
    let origin = req.headers().get(header::ORIGIN).map(HeaderValue::as_bytes);
    let params = match Params::parse(req.uri().query().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return with_cors(refuse(e.code(), &e.public_message()), None),
    };
    let key = match state.app.partners.admit(&state.app.db, sent_key(req, &params), origin, true).await {
        Ok(k) => k,
        Err(e) => {
            // The origin may read the refusal only when it is one of the key's (a bad key
            // from a partner's own page; the rate limit): others get nothing readable.
            let readable = match &e {
                AdmitError::Refused(Refusal::Origin(_)) => None,
                _ => known_origin(state, origin).await,
            };
            return with_cors(refusal(e), readable);
        }
    };
    let allowed = origin.and_then(|o| HeaderValue::from_bytes(o).ok());
    let accept_language = req.header(header::ACCEPT_LANGUAGE).filter(|h| h.len() <= 256);
    let response = match answer(state, &key, &params, accept_language).await {
        Ok((etag, body)) => {
            let mut builder = Response::builder()
                .header(header::CACHE_CONTROL, format!("private, max-age={}", state.app.config.embed.cache_seconds));
            let tag = std::str::from_utf8(&etag).unwrap_or_default();
            if let Ok(v) = HeaderValue::from_str(tag) {
                builder = builder.header(header::ETAG, v);
            }
            if super::etag_matches(req.header(header::IF_NONE_MATCH), tag) {
                builder.status(StatusCode::NOT_MODIFIED).finish()
            } else {
                builder.content_type("application/json").body(body)
            }
        }
        Err(e) => {
            e.log_if_internal();
            refuse(e.code(), &e.public_message())
        }
    };
    with_cors(response, allowed)
}

/// The answer's ETag and JSON, from the response cache when it holds them.
async fn answer(
    state: &HttpState,
    key: &ActiveKey,
    params: &Params,
    accept_language: Option<&str>,
) -> Result<(Bytes, Bytes), AppError> {
    let app = &state.app;
    let negotiated = match &params.lang {
        Some(l) => l.clone(),
        None => app.locales.from_accept_language(accept_language).chain.join(","),
    };
    let cache_key = ResponseCache::key("embed", Some(&key.key.id.to_string()), &format!("{params:?}"), &negotiated);
    // Cached entries are one byte, b'0' when the search found nothing (counted as such on every
    // answer, cached or not), the ETag (computed once per answer, not per request), the JSON.
    let mut leader = None;
    if app.cache.enabled() {
        match app.cache.lookup(cache_key) {
            Lookup::Hit(body) => return Ok(counted(state, key, body)),
            Lookup::Wait(rx) => {
                if let Some(body) = cache::wait(rx).await {
                    return Ok(counted(state, key, body));
                }
            }
            Lookup::Lead(l) => leader = Some(l),
        }
    }
    let found = run(state, key, params, accept_language).await;
    let body = found.map(|a| {
        let json = serde_json::to_vec(&a).expect("an answer serialises");
        let mut entry = Vec::with_capacity(1 + ETAG_LEN + json.len());
        entry.push(if a.total == 0 { b'0' } else { b'1' });
        entry.extend_from_slice(super::etag_of(&json).as_bytes());
        entry.extend_from_slice(&json);
        Bytes::from(entry)
    });
    if let Some(leader) = leader {
        leader.finish(body.as_ref().ok().cloned());
    }
    Ok(counted(state, key, body?))
}

/// `W/"` and 24 hex digits and `"` (`http::etag_of`).
const ETAG_LEN: usize = 28;

/// Counts an answer that found nothing; its ETag and JSON.
fn counted(state: &HttpState, key: &ActiveKey, entry: Bytes) -> (Bytes, Bytes) {
    if entry.first() == Some(&b'0') {
        state.app.partners.zero_result(key.key.id);
    }
    (entry.slice(1..1 + ETAG_LEN), entry.slice(1 + ETAG_LEN..))
}

async fn known_origin(state: &HttpState, origin: Option<&[u8]>) -> Option<HeaderValue> {
    let origin = origin?;
    let known = state.app.partners.known_origin(&state.app.db, origin).await.unwrap_or(false);
    known.then(|| HeaderValue::from_bytes(origin).ok()).flatten()
}

fn with_cors(mut resp: Response, origin: Option<HeaderValue>) -> Response {
    let headers = resp.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin, x-chorus-key, accept-language"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers
            .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("etag, retry-after, x-request-id"));
    }
    resp
}

/// A preflight of `/v1/search`: it carries no key, so an origin listed by some active key gets
/// the method and header it needs (the search itself then checks the key's own origins);
/// others are refused. Browsers keep the answer for ten minutes.
pub async fn preflight(req: &Request, state: &HttpState) -> Response {
    let origin = req.headers().get(header::ORIGIN).map(HeaderValue::as_bytes);
    let Some(allowed) = known_origin(state, origin).await else {
        return refuse(Code::ForbiddenOrigin, "origin not allowed by any partner key")
            .with_header(header::VARY, "origin")
            .into_response();
    };
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS")
        .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "x-chorus-key")
        .header(header::ACCESS_CONTROL_MAX_AGE, "600")
        .header(header::VARY, "origin")
        .finish()
}

/// The widget script.
pub fn script() -> Response {
    Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header("cross-origin-resource-policy", "cross-origin")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(SCRIPT.clone())
}

/// The widget as served, for the size check of the benchmark and tests.
pub fn script_bytes() -> Bytes {
    SCRIPT.clone()
}

/// One UI string in a language (English when the language has none), `{name}`s filled in.
fn text(lang: &str, name: &str, fill: &[(&str, String)]) -> String {
    let primary = lang.split(['-', '_']).next().unwrap_or("en");
    let find = |l: &str| STRINGS.get(l).and_then(|s| s.get(name)).and_then(|v| v.as_str());
    let mut s = find(lang).or_else(|| find(primary)).or_else(|| find("en")).unwrap_or(name).to_owned();
    for (k, v) in fill {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// The frame's style sheet, allowed by its hash in the frame's CSP.
const FRAME_CSS: &str = "body{font:15px/1.45 system-ui,sans-serif;color:#1d1d1f;margin:0;padding:12px;background:#fff}\
form{display:flex;gap:6px;flex-wrap:wrap}input[type=search]{flex:1;min-width:12em;padding:6px 8px;font:inherit}\
button{font:inherit;padding:6px 12px}fieldset{border:1px solid #ddd;margin:8px 0;padding:4px 8px}\
.filters{display:flex;gap:8px;flex-wrap:wrap;width:100%}ol{padding:0;list-style:none}.hit{margin:0 0 14px}\
.hit h3{margin:0;font-size:1.05em}.meta{color:#555;font-size:.85em}mark{background:#fde68a;color:inherit}\
nav{display:flex;gap:12px;align-items:center}.sr{position:absolute;left:-9999px}";

static FRAME_CSS_HASH: LazyLock<String> = LazyLock::new(|| {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(FRAME_CSS.as_bytes())))
});

fn frame_page(lang: &str, dir: &str, ancestors: &str, status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><meta name=\"referrer\" content=\"no-referrer\">\
<title>{}</title><style>{FRAME_CSS}</style></head><body>{body}</body></html>",
        esc(lang),
        esc(&text(lang, "label", &[])),
    );
    let csp = format!(
        "default-src 'none'; style-src {}; form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}",
        *FRAME_CSS_HASH
    );
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .header("content-security-policy", csp)
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(html)
}

/// `GET /embed/v1/frame?key=&lang=&q=...`: the results as plain HTML, with a form that works
/// without JavaScript; only the key's origins may frame it.
pub async fn frame(req: &Request, state: &HttpState) -> Response {
    let params = match Params::parse(req.uri().query().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => {
            return frame_page(
                "en",
                "ltr",
                "'none'",
                StatusCode::BAD_REQUEST,
                &format!("<p>{}</p>", esc(&e.public_message())),
            );
        }
    };
    let lang = params.lang.clone().unwrap_or_else(|| "en".into());
    let dir = direction(&lang);
    // A navigation carries no Origin: who may show the frame is the browser's to enforce, by
    // `frame-ancestors`.
    let key = match state.app.partners.admit(&state.app.db, params.key.as_deref(), None, false).await {
        Ok(k) => k,
        Err(e) => {
            let (status, message) = match e {
                AdmitError::Refused(Refusal::Rate(wait)) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    text(&lang, "rateLimited", &[("seconds", wait.as_secs().max(1).to_string())]),
                ),
                AdmitError::Refused(_) => (StatusCode::UNAUTHORIZED, text(&lang, "forbidden", &[])),
                AdmitError::Failed(e) => {
                    e.log_if_internal();
                    (
                        StatusCode::from_u16(e.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                        text(&lang, "error", &[]),
                    )
                }
            };
            return frame_page(&lang, dir, "'none'", status, &format!("<p role=\"alert\">{}</p>", esc(&message)));
        }
    };
    let ancestors = key.key.origins.join(" ");
    let mut body = String::new();
    body.push_str(&search_form(&lang, &params));
    if !params.q.trim().is_empty() {
        match run(state, &key, &params, None).await {
            Ok(answer) => {
                if answer.total == 0 {
                    state.app.partners.zero_result(key.key.id);
                }
                body.push_str(&results_html(&lang, &params, &answer));
            }
            Err(e) => {
                e.log_if_internal();
                body.push_str(&format!("<p role=\"alert\">{}</p>", esc(&text(&lang, "error", &[]))));
            }
        }
    }
    let lang_dir = direction(&lang);
    frame_page(&lang, lang_dir, &ancestors, StatusCode::OK, &body)
        .with_header(header::CACHE_CONTROL, format!("private, max-age={}", state.app.config.embed.cache_seconds))
        .into_response()
}

fn frame_url(params: &Params, page: u32) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("key", params.key.clone().unwrap_or_default())];
    if let Some(l) = &params.lang {
        pairs.push(("lang", l.clone()));
    }
    pairs.push(("q", params.q.clone()));
    for (name, values) in [
        ("kind", &params.kinds),
        ("region", &params.regions),
        ("topic", &params.topics),
        ("language", &params.languages),
    ] {
        for v in values {
            pairs.push((name, v.clone()));
        }
    }
    if let Some(n) = params.per_page {
        pairs.push(("per_page", n.to_string()));
    }
    pairs.push(("page", page.to_string()));
    format!("/embed/v1/frame?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

fn search_form(lang: &str, params: &Params) -> String {
    let mut f = String::from("<form role=\"search\" method=\"get\" action=\"/embed/v1/frame\">");
    f.push_str(&format!(
        "<input type=\"hidden\" name=\"key\" value=\"{}\">",
        esc(params.key.as_deref().unwrap_or_default())
    ));
    if let Some(l) = &params.lang {
        f.push_str(&format!("<input type=\"hidden\" name=\"lang\" value=\"{}\">", esc(l)));
    }
    f.push_str(&format!(
        "<label class=\"sr\" for=\"q\">{}</label><input type=\"search\" id=\"q\" name=\"q\" value=\"{}\" placeholder=\"{}\">\
<button type=\"submit\">{}</button>",
        esc(&text(lang, "label", &[])),
        esc(&params.q),
        esc(&text(lang, "placeholder", &[])),
        esc(&text(lang, "submit", &[])),
    ));
    f
}

fn results_html(lang: &str, params: &Params, a: &Answer) -> String {
    let mut h = String::new();
    // Filters: checkboxes inside the form (closed here), applied with the submit button.
    h.push_str("<div class=\"filters\">");
    for facet in &a.facets {
        if facet.buckets.is_empty() {
            continue;
        }
        h.push_str(&format!("<fieldset><legend>{}</legend>", esc(&text(lang, &facet.name, &[]))));
        for b in &facet.buckets {
            let label = b.label.clone().unwrap_or_else(|| b.value.clone());
            h.push_str(&format!(
                "<label><input type=\"checkbox\" name=\"{}\" value=\"{}\"{}> {} ({})</label> ",
                esc(&facet.name),
                esc(&b.value),
                if b.selected { " checked" } else { "" },
                esc(&label),
                b.count
            ));
        }
        h.push_str("</fieldset>");
    }
    h.push_str("</div></form>");
    h.push_str(&format!("<p role=\"status\">{}</p>", esc(&text(lang, "results", &[("count", a.total.to_string())]))));
    if a.total == 0 {
        h.push_str(&format!("<p>{}</p>", esc(&text(lang, "noResults", &[]))));
        if let Some(s) = &a.did_you_mean {
            let mut p = params.clone();
            p.q = s.clone();
            h.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                esc(&frame_url(&p, 1)),
                esc(&text(lang, "didYouMean", &[("suggestion", s.clone())]))
            ));
        }
    }
    h.push_str("<ol>");
    for hit in &a.hits {
        h.push_str("<li class=\"hit\"><h3>");
        let href = hit.url.clone().or_else(|| hit.documents.first().map(|d| d.url.clone()));
        match href {
            Some(u) => h.push_str(&format!("<a href=\"{}\" target=\"_top\">{}</a>", esc(&u), hit.title_html)),
            None => h.push_str(&hit.title_html),
        }
        h.push_str("</h3><p class=\"meta\">");
        let mut meta: Vec<String> = Vec::new();
        if let Some(k) = &hit.kind_label {
            meta.push(esc(k));
        }
        if hit.is_fallback {
            meta.push(esc(&text(lang, "fallback", &[("language", hit.language_name.clone())])));
        }
        if let Some(d) = &hit.date {
            meta.push(esc(d));
        }
        h.push_str(&meta.join(" · "));
        // `title_html` and `snippet_html` are escaped by the index, marks aside.
        h.push_str(&format!("</p><p>{}</p>", hit.snippet_html));
        if !hit.also_available_in.is_empty() {
            let names: Vec<&str> = hit.also_available_in.iter().map(|l| l.name.as_str()).collect();
            h.push_str(&format!(
                "<p class=\"meta\">{}</p>",
                esc(&text(lang, "alsoIn", &[("languages", names.join(", "))]))
            ));
        }
        if !hit.documents.is_empty() {
            h.push_str("<ul>");
            for d in &hit.documents {
                h.push_str(&format!(
                    "<li><a href=\"{}\" target=\"_top\">{} ({})</a></li>",
                    esc(&d.url),
                    esc(d.title.as_deref().unwrap_or(&d.file_name)),
                    esc(&d.language_name)
                ));
            }
            h.push_str("</ul>");
        }
        h.push_str("</li>");
    }
    h.push_str("</ol>");
    if a.pages > 1 {
        h.push_str(&format!(
            "<nav aria-label=\"{}\">",
            esc(&text(lang, "page", &[("page", a.page.to_string()), ("pages", a.pages.to_string())]))
        ));
        if a.page > 1 {
            h.push_str(&format!(
                "<a rel=\"prev\" href=\"{}\">{}</a>",
                esc(&frame_url(params, a.page - 1)),
                esc(&text(lang, "previous", &[]))
            ));
        }
        h.push_str(&format!(
            "<span>{}</span>",
            esc(&text(lang, "page", &[("page", a.page.to_string()), ("pages", a.pages.to_string())]))
        ));
        if a.page < a.pages {
            h.push_str(&format!(
                "<a rel=\"next\" href=\"{}\">{}</a>",
                esc(&frame_url(params, a.page + 1)),
                esc(&text(lang, "next", &[]))
            ));
        }
        h.push_str("</nav>");
    }
    h
}

/// `GET /embed/v1/oembed?url=<a frame URL>&maxwidth=&maxheight=&format=json`: the iframe a CMS
/// with oEmbed support pastes for a frame URL of this server with a live key.
pub async fn oembed(req: &Request, state: &HttpState) -> Response {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or_default()).unwrap_or_default();
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    if get("format").is_some_and(|f| f != "json") {
        return refuse(Code::NotImplemented, "only format=json is offered");
    }
    let Some(raw) = get("url") else { return refuse(Code::BadUserInput, "url: the frame URL to embed") };
    let Ok(url) = reqwest::Url::parse(raw) else { return refuse(Code::BadUserInput, "url: not a URL") };
    let host = req.header(header::HOST).unwrap_or_default();
    let same_host = url.host_str().is_some_and(|h| {
        let with_port = match url.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_owned(),
        };
        with_port.eq_ignore_ascii_case(host)
    });
    if !same_host || url.path() != "/embed/v1/frame" {
        return refuse(Code::NotFound, "url: not a frame of this server (/embed/v1/frame?key=...)");
    }
    let params = match Params::parse(url.query().unwrap_or_default()) {
        Ok(p) => p,
        Err(e) => return refuse(e.code(), &e.public_message()),
    };
    if let Err(e) = state.app.partners.admit(&state.app.db, params.key.as_deref(), None, false).await {
        return match e {
            AdmitError::Refused(Refusal::Rate(_)) => refusal(e),
            AdmitError::Refused(_) => refuse(Code::NotFound, "url: no live partner key in this frame URL"),
            e => refusal(e),
        };
    }
    let dimension = |name: &str, default: u32| -> u32 {
        let max = get(name).and_then(|v| v.parse::<u32>().ok()).filter(|n| *n >= 100);
        max.map_or(default, |m| m.min(default))
    };
    let (width, height) = (dimension("maxwidth", 640), dimension("maxheight", 800));
    let lang = params.lang.as_deref().unwrap_or("en");
    let title = text(lang, "label", &[]);
    let html = format!(
        "<iframe src=\"{}\" width=\"{width}\" height=\"{height}\" title=\"{}\" loading=\"lazy\" referrerpolicy=\"no-referrer\"></iframe>",
        esc(url.as_str()),
        esc(&title)
    );
    let body = json!({
        "version": "1.0",
        "type": "rich",
        "provider_name": "Chorus",
        "title": title,
        "html": html,
        "width": width,
        "height": height,
    });
    Response::builder().content_type("application/json").body(body.to_string())
}

/// The paths served here (their CORS is the keys', not `http.cors_origins`).
pub fn is_embed_path(path: &str) -> bool {
    path == "/v1/search" || path.starts_with("/embed/")
}
