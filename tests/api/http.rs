//! HTTP behaviour: ETags, compression, request ids, CORS, health, readiness and metrics.

use chorus_tests::{Backend, TestApp, backend_test, spawn, spawn_with};
use serde_json::{Value, json};

use crate::first_code;

async fn etags_compression_and_request_ids(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let url = app.url("/graphql");
    let q = [("query", "{ resources(first: 20) { edges { node { title summary body } } } }")];
    let resp = app.client.get(&url).query(&q).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert!(resp.headers()["vary"].to_str().unwrap().contains("accept-language"));
    let resp = app.client.get(&url).query(&q).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(resp.status(), 304);
    assert!(resp.bytes().await.unwrap().is_empty());
    // Another language is another representation.
    let resp = app
        .client
        .get(&url)
        .query(&q)
        .header("if-none-match", &etag)
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    for (accept, encoding) in [("gzip", "gzip"), ("br", "br")] {
        let resp = app.client.get(&url).query(&q).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(resp.headers()["content-encoding"], encoding);
    }

    let resp = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app.client.get(app.url("/healthz")).header("x-request-id", "<bad id>").send().await.unwrap();
    let generated = resp.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "a fresh UUID replaces an unsafe id: {generated}");
    app.stop().await;
}
backend_test!(etags_compression_and_request_ids);

/// A fresh id: a UUID, as the server generates them.
fn is_generated(id: &str) -> bool {
    id.len() == 36
        && id.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

async fn hostile_request_ids_are_replaced(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let echoed = |value: reqwest::header::HeaderValue| {
        let request = app.client.get(app.url("/healthz")).header("x-request-id", value);
        async move { request.send().await.unwrap().headers()["x-request-id"].to_str().unwrap().to_owned() }
    };
    let safe = ["abc-123", "trace.id_7", "0f8fad5b-d9cb-469f-a165-70867728950e"];
    for id in safe {
        assert_eq!(echoed(reqwest::header::HeaderValue::from_static(id)).await, id);
    }
    // A newline cannot reach the server inside a header value (HTTP ends the header there); a
    // tab, markup, non-ASCII bytes and sheer length can.
    let long = "x".repeat(200);
    let hostile: [&[u8]; 5] =
        [b"<script>alert(1)</script>", b"a\tb", "na\u{ef}ve".as_bytes(), b"id with spaces", long.as_bytes()];
    for raw in hostile {
        let got = echoed(reqwest::header::HeaderValue::from_bytes(raw).unwrap()).await;
        assert!(is_generated(&got), "{:?} came back as {got}", String::from_utf8_lossy(raw));
    }
    app.stop().await;
}
backend_test!(hostile_request_ids_are_replaced);

async fn cors(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| c.http.cors_origins = vec!["https://partner.example".into()]).await
    else {
        return;
    };
    let url = app.url("/graphql");
    let q = [("query", "{ locales { code } }")];
    let resp = app.client.get(&url).query(&q).header("origin", "https://partner.example").send().await.unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "https://partner.example");
    let resp = app.client.get(&url).query(&q).header("origin", "https://evil.example").send().await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let forged = reqwest::header::HeaderValue::from_bytes(b"https://partner.example\xff\xfe").unwrap();
    let resp = app.client.get(&url).query(&q).header("origin", forged).send().await.unwrap();
    assert_eq!(resp.status(), 200, "a forged origin is ignored, not a crash");
    assert!(resp.headers().get("access-control-allow-origin").is_none());

    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, &url)
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,apollographql-client-name")
            .send()
    };
    let resp = preflight("https://partner.example").await.unwrap();
    assert_eq!(resp.status(), 204);
    let allowed = resp.headers()["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("content-type") && allowed.contains("apollographql-client-name"), "{allowed}");
    assert!(resp.headers().get("access-control-allow-credentials").is_none());
    let resp = preflight("https://evil.example").await.unwrap();
    assert_eq!(resp.status(), 403);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN_ORIGIN");
    app.stop().await;
}
backend_test!(cors);

async fn health_readiness_metrics(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let get = |path: &'static str| app.client.get(app.url(path)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let ready = get("/readyz").await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    app.gql("{ locales { code } }", serde_json::json!({})).await;
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("chorus_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("chorus_db_statements_total"));
    assert!(metrics.contains("chorus_http_request_duration_seconds_bucket"));
    // A database that went away makes the server unready, not dead.
    app.db.clone().close().await.unwrap();
    assert_eq!(get("/readyz").await.unwrap().status(), 503);
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    app.stop().await;
}
backend_test!(health_readiness_metrics);

async fn readiness_waits_for_the_search_index(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| c.search.refresh_interval_ms = 100).await else { return };
    let readyz = |app: &TestApp| {
        let request = app.client.get(app.url("/readyz")).send();
        async move {
            let resp = request.await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let search = "{ search(query: \"violence\") { total } }";

    // With search on, ready once the public index is open; then searches are answered.
    let mut last = (0, Value::Null);
    for _ in 0..300 {
        last = readyz(&app).await;
        if last.0 == 200 {
            break;
        }
        assert_eq!((last.0, &last.1["status"]), (503, &json!("unavailable")), "{}", last.1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last, (200, json!({ "status": "ready", "checks": { "database": "ok", "search": "ok" } })));
    let found = app.gql(search, json!({})).await;
    assert!(found["data"]["search"]["total"].as_i64().unwrap() > 0, "{found}");

    // An index that cannot be opened (its directory cannot be created) keeps the process
    // unready but alive, and says why.
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let blocked = app.sibling(|c| c.search.dir = blocker.path().to_owned()).await;
    let mut last = (0, Value::Null);
    for _ in 0..100 {
        last = readyz(&blocked).await;
        assert_eq!(last.0, 503, "{}", last.1);
        if last.1["checks"]["search"] == "failing" {
            break;
        }
        assert_eq!(last.1["checks"]["search"], "building", "{}", last.1);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last.1, json!({ "status": "unavailable", "checks": { "database": "ok", "search": "failing" } }));
    assert_eq!(blocked.client.get(blocked.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(first_code(&blocked.gql(search, json!({})).await), "SERVICE_UNAVAILABLE");

    // With search turned off there is no index to wait for.
    let off = app.sibling(|c| c.search.refresh_interval_ms = 0).await;
    assert_eq!(
        readyz(&off).await,
        (200, json!({ "status": "ready", "checks": { "database": "ok", "search": "disabled" } }))
    );
    off.stop().await;
    blocked.stop().await;
    app.stop().await;
}
backend_test!(readiness_waits_for_the_search_index);

async fn response_cache(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| c.graphql.cache_ttl_ms = 1000).await else { return };
    let q = "{ resources(first: 5) { edges { node { title } } } }";
    let statements = || app.metric("chorus_db_statements_total");
    let first = app.data(q, serde_json::json!({})).await;
    let before = statements().await;
    // An answer is kept from the second time it is asked within the TTL.
    assert_eq!(app.data(q, serde_json::json!({})).await, first);
    assert!(statements().await > before, "an answer asked once is not kept");
    let before = statements().await;
    let again = app.data(q, serde_json::json!({})).await;
    assert_eq!(first, again);
    assert_eq!(statements().await, before, "an identical query asked again within the TTL runs no SQL");
    // Another language is another entry.
    let fr = app.gql_headers(q, serde_json::json!({}), &[("accept-language", "fr")]).await;
    assert!(statements().await > before, "a different negotiated locale is not a cache hit");
    assert_ne!(fr["data"], first);
    // Mutations are never answered from the cache (it is read before parsing): two identical
    // anonymous logins open two sessions.
    let new = chorus_tests::chorus::auth::accounts::NewUser {
        email: "reader@example.org".into(),
        display_name: "Reader".into(),
        password: "correct horse battery staple".into(),
        role: chorus_entities::Role::Editor,
        locales: vec![],
    };
    chorus_tests::chorus::auth::accounts::create_user(
        &app.db,
        &app.config.locales().unwrap(),
        chorus_tests::chorus::write::Actor::system("test setup"),
        new,
    )
    .await
    .unwrap();
    let login =
        r#"mutation { login(email: "reader@example.org", password: "correct horse battery staple") { token } }"#;
    let (a, b) = (app.data(login, serde_json::json!({})).await, app.data(login, serde_json::json!({})).await);
    assert_ne!(a["login"]["token"], b["login"]["token"], "{a} {b}");
    // Errors are never cached.
    let bad = "{ resources(first: 500) { totalCount } }";
    let e1 = app.gql(bad, serde_json::json!({})).await;
    assert!(e1.get("errors").is_some());
    // After the TTL the database is read again.
    tokio::time::sleep(std::time::Duration::from_millis(1050)).await;
    let before = statements().await;
    app.data(q, serde_json::json!({})).await;
    assert!(statements().await > before, "expired entries are not served");
    app.stop().await;
}
backend_test!(response_cache);

/// A document sent again with other variables (kept parsed, `graphql.parsed_documents`) answers
/// for its own variables: one request's `@skip` never reaches the next.
async fn documents_sent_again_answer_for_their_variables(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let q = "query($s: Boolean!, $n: Int) { resources(first: $n) { edges { node { title summary @skip(if: $s) } } } }";
    for (skip, n) in [(true, 1), (false, 2), (true, 3), (false, 1)] {
        let d = app.data(q, json!({ "s": skip, "n": n })).await;
        let edges = d["resources"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), n, "first: {n}");
        for e in edges {
            assert!(e["node"]["title"].is_string());
            assert_eq!(e["node"].get("summary").is_none(), skip, "skip: {skip}: {e}");
        }
    }
    // A syntax error is still one, however often it is sent.
    for _ in 0..2 {
        let body = app.gql("{ resources(first: 1) { edges ", json!({})).await;
        assert_eq!(first_code(&body), "GRAPHQL_PARSE_FAILED", "{body}");
    }
    app.stop().await;
}
backend_test!(documents_sent_again_answer_for_their_variables);
