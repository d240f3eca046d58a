//! The table of error codes, walked: every code in `error::Code` is reached through the real
//! server the way a client would meet it, with the status the table gives it (or 200 inside a
//! GraphQL response), and no code is met that the table does not hold.

use std::collections::BTreeSet;
use std::time::Duration;

use chorus_entities::Role;
use chorus_tests::chorus::error::Code;
use chorus_tests::chorus::graphql::ids::{NodeType, encode};
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every `extensions.code` in a body (a batch's bodies included).
fn codes_in(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let bodies = match body {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for b in bodies {
        for e in b["errors"].as_array().into_iter().flatten() {
            if let Some(code) = e["extensions"]["code"].as_str() {
                out.push(code.to_owned());
            }
        }
    }
    out
}

/// What the walk has met: each code with the status of the response that carried it.
#[derive(Default)]
struct Walk {
    met: Vec<(Code, u16)>,
}

impl Walk {
    /// Records that `expected` came back as one of the response's codes, with a status that
    /// agrees with the table: the code's own status, or 200 when GraphQL answered.
    fn saw(&mut self, expected: Code, status: u16, body: &Value) {
        let codes = codes_in(body);
        assert!(codes.iter().any(|c| c == expected.as_str()), "{expected}: expected in {status} {body}");
        for code in &codes {
            let known = Code::ALL.iter().find(|c| c.as_str() == code);
            assert!(known.is_some(), "{code} is not in the table of codes");
        }
        assert!(
            status == expected.http_status() || status == 200,
            "{expected} came with {status}; the table says {}",
            expected.http_status()
        );
        self.met.push((expected, status));
    }

    /// Like `saw`, for a refusal of the whole request: the status must be the table's.
    fn refused(&mut self, expected: Code, status: u16, body: &Value) {
        assert_eq!(status, expected.http_status(), "{expected}: {body}");
        self.saw(expected, status, body);
    }
}

async fn post(app: &TestApp, content_type: &str, body: Vec<u8>, token: Option<&str>) -> (u16, Value) {
    let mut req = app.client.post(app.url("/graphql")).header("content-type", content_type).body(body);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post_query(app: &TestApp, query: &str) -> (u16, Value) {
    post(app, "application/json", serde_json::to_vec(&json!({ "query": query })).unwrap(), None).await
}

async fn get_query(app: &TestApp, query: &str) -> (u16, Value) {
    let resp = app.client.get(app.url("/graphql")).query(&[("query", query)]).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A body that stops arriving: the raw answer, parsed.
async fn stalled_body(app: &TestApp) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw);
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
    (status, body)
}

async fn every_code_in_the_table_is_reached(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| {
        crate::protection::tight_limits(c);
        // Under the 64 KiB that URLs can have at all.
        c.graphql.max_body_bytes = 32_768;
        c.server.body_read_timeout_seconds = 1;
        c.http.cors_origins = vec!["https://partner.example".into()];
        // No indexer: search answers SERVICE_UNAVAILABLE.
        c.search.refresh_interval_ms = 0;
    })
    .await
    else {
        return;
    };
    let mut walk = Walk::default();

    // Refused by the HTTP layer.
    let (s, b) = post(&app, "application/json", b"{not json".to_vec(), None).await;
    walk.refused(Code::BadRequest, s, &b);
    let batch = json!([{ "query": "{ locales { code } }" }, { "query": "{ locales { code } }" }, { "query": "{ locales { code } }" }]);
    let (s, b) = post(&app, "application/json", serde_json::to_vec(&batch).unwrap(), None).await;
    walk.refused(Code::BatchTooLarge, s, &b);
    let resp = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    let (s, b) = (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null));
    walk.refused(Code::ForbiddenOrigin, s, &b);
    let (s, b) = get_query(&app, "mutation { logout }").await;
    walk.refused(Code::MethodNotAllowed, s, &b);
    let (s, b) = stalled_body(&app).await;
    walk.refused(Code::RequestTimeout, s, &b);
    let big = json!({ "query": "{ locales { code } }", "variables": { "x": "y".repeat(70_000) } });
    let (s, b) = post(&app, "application/json", serde_json::to_vec(&big).unwrap(), None).await;
    walk.refused(Code::PayloadTooLarge, s, &b);
    let long = format!("{{ locales {{ code }} }}{}", " ".repeat(40_000));
    let (s, b) = get_query(&app, &long).await;
    walk.refused(Code::UriTooLong, s, &b);
    let (s, b) = post(&app, "text/plain", br#"{"query":"{ locales { code } }"}"#.to_vec(), None).await;
    walk.refused(Code::UnsupportedMediaType, s, &b);

    // Refused by GraphQL before execution.
    let (s, b) = post_query(&app, &format!("{{ locales {{ code {} }} }}", " ".repeat(13_000))).await;
    walk.saw(Code::QueryTooLarge, s, &b);
    let (s, b) = post_query(&app, "{ locales { code ").await;
    walk.saw(Code::ParseFailed, s, &b);
    let (s, b) = post_query(&app, "{ nope }").await;
    walk.saw(Code::ValidationFailed, s, &b);
    let (s, b) =
        post_query(&app, "{ organizations { edges { node { parent { parent { parent { parent { title } } } } } } } }")
            .await;
    walk.saw(Code::QueryTooDeep, s, &b);
    let complex =
        "{ resources(first: 100) { edges { node { title summary body organizations { title members { title } } } } } }";
    let (s, b) = post_query(&app, complex).await;
    walk.saw(Code::QueryTooComplex, s, &b);
    let (s, b) =
        post_query(&app, "{ a: locales { code } b: locales { code } c: locales { code } d: locales { code } }").await;
    walk.saw(Code::TooManyAliases, s, &b);
    let (s, b) = post_query(&app, "{ locales @include(if: true) @skip(if: false) @include(if: true) { code } }").await;
    walk.saw(Code::TooManyDirectives, s, &b);
    let (s, b) = post_query(
        &app,
        &format!("{{ resources(filter: {{ kinds: {}REPORT{} }}) {{ totalCount }} }}", "[".repeat(100), "]".repeat(100)),
    )
    .await;
    walk.saw(Code::RecursionTooDeep, s, &b);
    let hash = |q: &str| chorus_tests::chorus::graphql::persisted::sha256_hex(q);
    let by_hash = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash("{ a }") } } });
    let (s, b) = post(&app, "application/json", by_hash.to_string().into_bytes(), None).await;
    walk.saw(Code::PersistedQueryNotFound, s, &b);
    let lie = json!({ "query": "{ locales { code } }", "extensions": by_hash["extensions"] });
    let (s, b) = post(&app, "application/json", lie.to_string().into_bytes(), None).await;
    walk.saw(Code::PersistedQueryHashMismatch, s, &b);
    let no_apq = app.sibling(|c| c.graphql.persisted_queries = 0).await;
    let (s, b) = post(&no_apq, "application/json", by_hash.to_string().into_bytes(), None).await;
    walk.saw(Code::PersistedQueryNotSupported, s, &b);
    no_apq.stop().await;
    let manifest = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(manifest.path(), json!({ hash("{ locales { code } }"): "{ locales { code } }" }).to_string())
        .unwrap();
    let trusted = app
        .sibling(|c| {
            c.graphql.trusted_documents = manifest.path().display().to_string();
            c.graphql.trusted_documents_only = true;
        })
        .await;
    let (s, b) = post_query(&trusted, "{ regions { code } }").await;
    walk.saw(Code::PersistedQueryNotInList, s, &b);
    trusted.stop().await;

    // Raised by the services.
    let (s, b) = post_query(&app, r#"{ topics(locale: "not a tag!") { code } }"#).await;
    walk.saw(Code::BadUserInput, s, &b);
    let (s, b) = post(&app, "application/json", br#"{"query":"{ me { email } }"}"#.to_vec(), Some("chs_forged")).await;
    walk.refused(Code::Unauthenticated, s, &b);
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    let (s, b) = app.post_as(&translator, "{ users { email } }", json!({})).await;
    walk.saw(Code::Forbidden, s, &b);
    let admin = app.sign_in(Role::Admin, &[]).await;
    let missing = encode(NodeType::Resource, 999_999);
    let (s, b) = app.post_as(&admin, "mutation($id: ID!) { deleteItem(id: $id) }", json!({ "id": missing })).await;
    walk.saw(Code::NotFound, s, &b);
    let twice = "mutation($e: String!) { a: login(email: $e, password: \"wrong one\") { token } \
        b: login(email: $e, password: \"wrong two\") { token } }";
    let (s, b) = app.post_as(&admin, twice, json!({ "e": "nobody@example.org" })).await;
    walk.saw(Code::RateLimited, s, &b);
    let (s, b) = post_query(&app, r#"{ search(query: "health") { total } }"#).await;
    walk.saw(Code::Unavailable, s, &b);
    // Refused translation files.
    for (file, code) in [
        ("msgid \"a\nmsgstr \"\"\n", Code::MalformedFile),
        ("<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"file:///etc/passwd\"><xliff version=\"1.2\"/>", Code::UnsafeFile),
        ("\u{1F600} is not a translation file", Code::UnsupportedFileFormat),
    ] {
        let resp = app
            .client
            .post(app.url("/v1/translations/import"))
            .header("authorization", format!("Bearer {admin}"))
            .body(file)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        walk.refused(code, status, &resp.json().await.unwrap_or(Value::Null));
    }
    // A byte range past the end of a document.
    let first = app.data("{ resources(first: 1) { edges { node { id } } } }", json!({})).await;
    let item = first["resources"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let resp = app
        .client
        .post(app.url(&format!("/v1/documents?item={item}&locale=en")))
        .header("authorization", format!("Bearer {admin}"))
        .body(include_bytes!("../fixtures/documents/brief-en.pdf").to_vec())
        .send()
        .await
        .unwrap();
    let uploaded: Value = resp.json().await.unwrap();
    let url = uploaded["document"]["url"].as_str().unwrap_or_else(|| panic!("{uploaded}")).to_owned();
    let resp = app
        .client
        .get(app.url(&url))
        .header("authorization", format!("Bearer {admin}"))
        .header("range", "bytes=99999999-")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    walk.refused(Code::RangeNotSatisfiable, status, &resp.json().await.unwrap_or(Value::Null));
    // A table gone behind the server's back: an internal error, its cause never shown.
    // oEmbed in XML.
    let resp = app.client.get(app.url("/embed/v1/oembed?url=x&format=xml")).send().await.unwrap();
    let status = resp.status().as_u16();
    walk.refused(Code::NotImplemented, status, &resp.json().await.unwrap_or(Value::Null));
    app.db.execute_unprepared("ALTER TABLE webhooks RENAME TO webhooks_gone").await.unwrap();
    let (s, b) = app.post_as(&admin, "{ webhooks { id } }", json!({})).await;
    walk.saw(Code::Internal, s, &b);
    assert_eq!(b["errors"][0]["message"], "internal server error", "{b}");
    assert!(!b.to_string().contains("table"), "no cause leaks: {b}");

    let met: BTreeSet<&str> = walk.met.iter().map(|(c, _)| c.as_str()).collect();
    let all: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(met, all, "every code in the table is reached");
    app.stop().await;
}
backend_test!(every_code_in_the_table_is_reached);
