//! Hardening against clients that misbehave on purpose: slow or endless requests, declared
//! sizes over the limit, memory held by cached answers.

use std::time::Duration;

use chorus_tests::{Backend, backend_test, email_for, spawn_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Everything the server sends until it closes the connection (or `wait` passes: then `None`).
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://")).await.unwrap()
}

/// Half a request, nothing at all, a body that never comes, a declared size over the limit:
/// each connection is answered or closed, and the server goes on serving.
async fn slow_and_oversized_requests_are_cut_off(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| {
        c.server.header_read_timeout_seconds = 1;
        c.server.body_read_timeout_seconds = 1;
    })
    .await
    else {
        return;
    };
    // Headers begun and never finished (slow loris), and a connection that says nothing.
    let mut half = connect(&app.base).await;
    half.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut silent = connect(&app.base).await;
    assert!(read_until_closed(&mut half, Duration::from_secs(10)).await.is_some(), "half a header: closed");
    assert!(read_until_closed(&mut silent, Duration::from_secs(10)).await.is_some(), "silent: closed");

    // A declared size over the limit is refused before the body.
    let mut huge = connect(&app.base).await;
    huge.write_all(
        b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n",
    )
    .await
    .unwrap();
    let answer = read_until_closed(&mut huge, Duration::from_secs(10)).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");

    // A client that waits for `100 Continue` before sending an oversized body is refused at once,
    // without being asked to send it.
    let mut waiting = connect(&app.base).await;
    waiting
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut waiting, Duration::from_secs(10)).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");

    // An oversized body that is being sent gets its 413 too, not a reset connection.
    let mut sending = connect(&app.base).await;
    sending
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        )
        .await
        .unwrap();
    sending.write_all(&vec![b' '; 100_000]).await.unwrap();
    let answer = read_until_closed(&mut sending, Duration::from_secs(10)).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A body that stops arriving.
    let mut stalled = connect(&app.base).await;
    stalled
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled, Duration::from_secs(10)).await.unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");

    // The server goes on serving.
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\":\"{ locales { code } }\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "an honest request still works");
}
backend_test!(slow_and_oversized_requests_are_cut_off);

/// Many distinct large anonymous answers: the response cache keeps them within its byte bound,
/// shows its size in `/metrics`, and gives them back once they expire.
async fn the_response_cache_is_bounded_in_bytes(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| {
        c.graphql.cache_ttl_ms = 1000;
        c.graphql.cache_max_bytes = 200_000;
    })
    .await
    else {
        return;
    };
    let mut largest = 0.0f64;
    for i in 0..40 {
        // Distinct texts (the alias varies), each answer tens of kilobytes.
        let q = format!("{{ r{i}: resources(first: 50) {{ edges {{ node {{ title summary body }} }} }} }}");
        // Asked twice: kept from the second time.
        for _ in 0..2 {
            let r = app.gql(&q, serde_json::json!({})).await;
            assert!(r["errors"].is_null(), "{r}");
        }
        largest = largest.max(app.metric("chorus_response_cache_bytes").await);
    }
    assert!(largest > 50_000.0, "answers were cached: {largest}");
    assert!(largest <= 200_000.0, "never over the bound: {largest}");
    // Expired answers are given back without further queries.
    let mut held = largest;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        held = app.metric("chorus_response_cache_bytes").await;
        if held == 0.0 {
            break;
        }
    }
    assert_eq!(held, 0.0, "expired entries dropped by the sweep");
}
backend_test!(the_response_cache_is_bounded_in_bytes);

/// Rights that take content offline or touch the editors' source text, decided in the policy
/// table: a `write`-only token cannot delete a published item; a translator cannot move the
/// source-locale version's status, even in their own language.
async fn offline_and_source_rights(backend: Backend) {
    use chorus_entities::Role;
    use chorus_tests::chorus::auth::{Scope, accounts};
    use serde_json::json;

    use crate::first_code;

    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    let create = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let input = json!({ "kind": "REPORT", "publishedOn": "2025-06-01", "sourceLocale": "fr", "regions": ["africa"],
        "topics": ["violence"], "text": { "title": "Note d'orientation", "summary": "Résumé", "body": "<p>Texte</p>" } });
    let created = app.gql_as(&editor, create, json!({ "i": input })).await;
    let id = created["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let status = "mutation($id: ID!, $l: String!, $s: TranslationStatus!) { setTranslationStatus(id: $id, locale: $l, status: $s) { status live } }";
    let r = app.gql_as(&editor, status, json!({ "id": id, "l": "fr", "s": "PUBLISHED" })).await;
    assert_eq!(r["data"]["setTranslationStatus"]["live"], true, "{r}");

    // The French translator may not touch the French source version's status.
    for s in ["DRAFT", "IN_REVIEW"] {
        let r = app.gql_as(&translator, status, json!({ "id": id, "l": "fr", "s": s })).await;
        assert_eq!(first_code(&r), "FORBIDDEN", "{s}: {r}");
    }
    // ... while a French translation of an English item is theirs to send for review.
    let save = "mutation($id: ID!, $l: String!, $i: TranslationInput!) { saveTranslation(id: $id, locale: $l, input: $i) { status } }";
    let en = app
        .gql_as(
            &editor,
            create,
            json!({ "i": { "kind": "REPORT", "publishedOn": "2025-06-01",
        "sourceLocale": "en", "regions": ["africa"], "topics": ["violence"],
        "text": { "title": "Briefing note", "summary": "Summary", "body": "<p>Text</p>" } } }),
        )
        .await;
    let en_id = en["data"]["createResource"].as_str().unwrap().to_owned();
    let r = app
        .gql_as(
            &translator,
            save,
            json!({ "id": en_id, "l": "fr", "i": { "title": "Note", "summary": "", "body": "" } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let r = app.gql_as(&translator, status, json!({ "id": en_id, "l": "fr", "s": "IN_REVIEW" })).await;
    assert_eq!(r["data"]["setTranslationStatus"]["status"], "IN_REVIEW", "{r}");

    // A token with `write` only cannot delete a published item; with `publish` too it can.
    let (_, write_only) = accounts::create_api_token(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        &email_for(Role::Editor, &[]),
        "ci",
        &[Scope::Write],
        None,
    )
    .await
    .unwrap();
    let delete = "mutation($id: ID!) { deleteItem(id: $id) }";
    let r = app.gql_as(&write_only, delete, json!({ "id": id })).await;
    assert_eq!(first_code(&r), "FORBIDDEN", "{r}");
    let public = app.data("query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(public["node"]["id"], json!(id), "still published");
    let (_, both) = accounts::create_api_token(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        &email_for(Role::Editor, &[]),
        "ops",
        &[Scope::Write, Scope::Publish],
        None,
    )
    .await
    .unwrap();
    let r = app.gql_as(&both, delete, json!({ "id": id })).await;
    assert_eq!(r["data"]["deleteItem"], true, "{r}");
}
backend_test!(offline_and_source_rights);
