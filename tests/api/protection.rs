//! Protection limits and CSRF rules: each refused with a precise code, nothing executed.

use chorus_tests::{Backend, backend_test, spawn, spawn_with};
use serde_json::{Value, json};

use crate::first_code;

async fn post_raw(app: &chorus_tests::TestApp, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let resp =
        app.client.post(app.url("/graphql")).header("content-type", content_type).body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Query limits small enough to reach with short queries.
pub(crate) fn tight_limits(c: &mut chorus_tests::chorus::config::Config) {
    c.graphql.max_depth = 6;
    c.graphql.max_aliases = 3;
    c.graphql.max_directives = 2;
    c.graphql.max_batch = 2;
    c.graphql.max_query_bytes = 12_000;
    c.graphql.max_complexity = 500;
}

async fn limits(backend: Backend) {
    let Some(app) = spawn_with(backend, true, tight_limits).await else { return };
    let before = app.metric("chorus_db_statements_total").await;
    let deep = "{ organizations { edges { node { parent { parent { parent { parent { title } } } } } } } }";
    assert_eq!(first_code(&app.gql(deep, json!({})).await), "QUERY_TOO_DEEP");
    let complex =
        "{ resources(first: 100) { edges { node { title summary body organizations { title members { title } } } } } }";
    assert_eq!(first_code(&app.gql(complex, json!({})).await), "QUERY_TOO_COMPLEX");
    let aliases = "{ a: locales { code } b: locales { code } c: locales { code } d: locales { code } }";
    assert_eq!(first_code(&app.gql(aliases, json!({})).await), "TOO_MANY_ALIASES");
    let directives = "{ locales @include(if: true) @skip(if: false) @include(if: true) { code } }";
    assert_eq!(first_code(&app.gql(directives, json!({})).await), "TOO_MANY_DIRECTIVES");
    let nested = format!("{{ {} locales {{ code }} {} }}", "... on Query { ".repeat(40), "}".repeat(40));
    assert_eq!(first_code(&app.gql(&nested, json!({})).await), "RECURSION_TOO_DEEP");
    let deep_fragments = "query { ...F0 } fragment F0 on Query { ...F1 } fragment F1 on Query { ...F2 } \
        fragment F2 on Query { ...F0 }";
    let body = app.gql(deep_fragments, json!({})).await;
    assert_eq!(first_code(&body), "RECURSION_TOO_DEEP", "fragment cycles are refused: {body}");
    // Values nested far beyond any real query are refused without exhausting the stack.
    for depth in [100, 5000] {
        let value = format!(
            "{{ resources(filter: {{ kinds: {}REPORT{} }}) {{ totalCount }} }}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let code = first_code(&app.gql(&value, json!({})).await);
        assert_eq!(code, "RECURSION_TOO_DEEP", "{depth}");
    }
    let huge = format!("{{ locales {{ code {} }} }}", " ".repeat(13_000));
    assert_eq!(first_code(&app.gql(&huge, json!({})).await), "QUERY_TOO_LARGE");
    assert_eq!(first_code(&app.gql("{ locales { code ", json!({})).await), "GRAPHQL_PARSE_FAILED");
    let unknown = app.gql("{ nope }", json!({})).await;
    assert_eq!(first_code(&unknown), "GRAPHQL_VALIDATION_FAILED");
    let after = app.metric("chorus_db_statements_total").await;
    assert_eq!(before, after, "refused queries run no SQL");

    // Batches: capped, and each operation answered in order.
    let batch = json!([{ "query": "{ locales { code } }" }, { "query": "{ regions { code } }" }]);
    let (status, body) = post_raw(&app, "application/json", serde_json::to_vec(&batch).unwrap()).await;
    assert_eq!(status, 200);
    assert!(body[0]["data"]["locales"].is_array() && body[1]["data"]["regions"].is_array(), "{body}");
    let batch = json!([{ "query": "{ locales { code } }" }, { "query": "{ locales { code } }" }, { "query": "{ locales { code } }" }]);
    let (status, body) = post_raw(&app, "application/json", serde_json::to_vec(&batch).unwrap()).await;
    assert_eq!((status, first_code(&body).as_str()), (400, "BATCH_TOO_LARGE"));

    // Oversized bodies are refused before parsing.
    let big = json!({ "query": "{ locales { code } }", "variables": { "x": "y".repeat(70_000) } });
    let (status, body) = post_raw(&app, "application/json", serde_json::to_vec(&big).unwrap()).await;
    assert_eq!((status, first_code(&body).as_str()), (413, "PAYLOAD_TOO_LARGE"));
    let (status, body) = post_raw(&app, "application/json", b"{not json".to_vec()).await;
    assert_eq!((status, first_code(&body).as_str()), (400, "BAD_REQUEST"));
    app.stop().await;
}
backend_test!(limits);

async fn csrf_rules(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let query = serde_json::to_vec(&json!({ "query": "{ locales { code } }" })).unwrap();
    for ct in
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"]
    {
        let (status, body) = post_raw(&app, ct, query.clone()).await;
        assert_eq!((status, first_code(&body).as_str()), (415, "UNSUPPORTED_MEDIA_TYPE"), "{ct}");
    }
    let (status, _) = post_raw(&app, "application/json; charset=utf-8", query).await;
    assert_eq!(status, 200);
    // Queries by GET work; a mutation by GET is refused before anything runs.
    let resp = app.client.get(app.url("/graphql")).query(&[("query", "{ locales { code } }")]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["locales"][0]["code"], "en");
    let resp = app.client.get(app.url("/graphql")).query(&[("query", "mutation { x }")]).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    assert_eq!(first_code(&resp.json().await.unwrap()), "METHOD_NOT_ALLOWED");
    let doc = "query A { locales { code } } mutation B { x }";
    let resp =
        app.client.get(app.url("/graphql")).query(&[("query", doc), ("operationName", "B")]).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let resp =
        app.client.get(app.url("/graphql")).query(&[("query", doc), ("operationName", "A")]).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    app.stop().await;
}
backend_test!(csrf_rules);

async fn production_switches(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| {
        c.graphql.introspection = false;
        c.graphql.graphiql = false;
    })
    .await
    else {
        return;
    };
    let body = app.gql("{ __schema { types { name } } __type(name: \"Resource\") { name } }", json!({})).await;
    assert!(body["data"]["__schema"].is_null() && body["data"]["__type"].is_null(), "introspection is off: {body}");
    let body = app.gql("{ resourcs { totalCount } }", json!({})).await;
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(!msg.contains("Did you mean"), "no suggestions without introspection: {msg}");
    let resp = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    app.stop().await;

    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let resp = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("graphiql"));
    let body = app.gql("{ resourcs { totalCount } }", json!({})).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "{body}");
    app.stop().await;
}
backend_test!(production_switches);

async fn internal_errors_leak_nothing(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared("DROP TABLE resource_terms").await.unwrap();
    let body = app.gql("{ resources(first: 2) { edges { node { title topics { label } } } } }", json!({})).await;
    assert_eq!(first_code(&body), "INTERNAL_SERVER_ERROR");
    let text = body.to_string().to_lowercase();
    for leak in ["resource_terms", "select", "sqlite", "postgres", "table"] {
        assert!(!text.contains(leak), "{leak} leaked: {body}");
    }
    app.stop().await;
}
backend_test!(internal_errors_leak_nothing);
