//! Writes: policy checks, validation with field paths, change log and audit log in the same
//! transaction, nothing partial on error, the response cache cleared on commit.

use chorus_entities::Role;
use chorus_tests::chorus::auth::accounts;
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::first_code;

const PASSWORD: &str = "correct horse battery staple";

async fn token_for(app: &TestApp, email: &str, role: Role, locales: &[&str]) -> String {
    let new = accounts::NewUser {
        email: email.into(),
        display_name: format!("{role:?} user"),
        password: PASSWORD.into(),
        role,
        locales: locales.iter().map(|s| s.to_string()).collect(),
    };
    accounts::create_user(&app.db, &app.config.locales().unwrap(), new).await.unwrap();
    let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
    app.gql(q, json!({ "e": email, "p": PASSWORD })).await["data"]["login"]["token"].as_str().unwrap().to_owned()
}

async fn as_user(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {token}"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

const CREATE: &str = "mutation($t: Taxonomy!, $i: CreateTermInput!) { createTerm(taxonomy: $t, input: $i) { __typename id ... on Topic { code label } ... on Country { code region { code } } } }";

async fn taxonomy_writes(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| c.graphql.cache_ttl_ms = 60_000).await else { return };
    let editor = token_for(&app, "ed@example.org", Role::Editor, &[]).await;
    let translator = token_for(&app, "tr@example.org", Role::Translator, &["fr"]).await;
    let topics = "{ topics(locale: \"fr\") { code label } }";
    let before = app.data(topics, json!({})).await; // now cached
    let terms_before = count(&app, "SELECT COUNT(*) FROM terms").await;
    let log_before = count(&app, "SELECT COUNT(*) FROM change_log").await;

    // Only editors and admins manage taxonomies; nothing changes on refusal.
    let input = json!({ "t": "TOPIC", "i": { "code": "sex-work-law", "labels": [
        { "locale": "en", "label": "Sex work law" }, { "locale": "fr", "label": "Droit du travail du sexe" } ] } });
    assert_eq!(first_code(&as_user(&app, &translator, CREATE, input.clone()).await), "FORBIDDEN");
    assert_eq!(first_code(&app.gql(CREATE, input.clone()).await), "UNAUTHENTICATED");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM terms").await, terms_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM change_log").await, log_before);

    let created = as_user(&app, &editor, CREATE, input.clone()).await;
    assert_eq!(created["data"]["createTerm"]["code"], "sex-work-law", "{created}");
    let id = created["data"]["createTerm"]["id"].as_str().unwrap().to_owned();
    // The change is visible at once, the cached list notwithstanding.
    let after = app.data(topics, json!({})).await;
    assert_ne!(before, after);
    assert!(after.to_string().contains("Droit du travail du sexe"));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM change_log WHERE entity = 'term' AND operation = 'created'").await, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'term.create' AND display_name = 'Editor user'")
            .await,
        1
    );

    // Validation names the field; nothing partial is written.
    for (input, field) in [
        (json!({ "code": "Bad Code", "labels": [{ "locale": "en", "label": "x" }] }), "input.code"),
        (json!({ "code": "sex-work-law", "labels": [{ "locale": "en", "label": "x" }] }), "input.code"),
        (
            json!({ "code": "ok-code", "labels": [{ "locale": "en", "label": "x" }, { "locale": "pt", "label": "y" }] }),
            "input.labels[1].locale",
        ),
        (json!({ "code": "ok-code", "labels": [{ "locale": "en", "label": " " }] }), "input.labels[0].label"),
        (json!({ "code": "ok-code", "labels": [] }), "input.labels"),
        (
            json!({ "code": "ok-code", "parent": "africa", "labels": [{ "locale": "en", "label": "x" }] }),
            "input.parent",
        ),
    ] {
        let body = as_user(&app, &editor, CREATE, json!({ "t": "TOPIC", "i": input })).await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{field}: {body}");
    }
    // Mass assignment: unknown input fields (ids, timestamps) are refused by the schema.
    let body =
        as_user(&app, &editor, CREATE, json!({ "t": "TOPIC", "i": { "code": "x-y", "id": 5, "labels": [] } })).await;
    assert!(body["errors"].is_array() && body["data"].is_null(), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM terms").await, terms_before + 1);

    // A country belongs to a region.
    let country = as_user(&app, &editor, CREATE, json!({ "t": "COUNTRY", "i": { "code": "bj", "parent": "africa", "labels": [{ "locale": "fr", "label": "Bénin" }] } })).await;
    assert_eq!(country["data"]["createTerm"]["code"], "BJ", "{country}");
    assert_eq!(country["data"]["createTerm"]["region"]["code"], "africa");

    // Updates set and remove labels; a term keeps at least one label (the transaction rolls back).
    let update =
        "mutation($id: ID!, $i: UpdateTermInput!) { updateTerm(id: $id, input: $i) { ... on Topic { label } } }";
    let body = as_user(&app, &editor, update, json!({ "id": id, "i": { "labels": [{ "locale": "es", "label": "Derecho del trabajo sexual" }], "removeLabels": ["fr"] } })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let labels = count(
        &app,
        "SELECT COUNT(*) FROM term_labels l JOIN terms t ON t.id = l.term_id WHERE t.code = 'sex-work-law'",
    )
    .await;
    assert_eq!(labels, 2);
    let body = as_user(&app, &editor, update, json!({ "id": id, "i": { "removeLabels": ["en", "es"] } })).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM term_labels l JOIN terms t ON t.id = l.term_id WHERE t.code = 'sex-work-law'"
        )
        .await,
        2
    );

    // Deleting removes it from every list and from node(id:).
    let body = as_user(&app, &editor, "mutation($id: ID!) { deleteTerm(id: $id) }", json!({ "id": id })).await;
    assert_eq!(body["data"]["deleteTerm"], true, "{body}");
    assert!(app.data(r#"query($id: ID!) { node(id: $id) { id } }"#, json!({ "id": id })).await["node"].is_null());
    assert!(!app.data(topics, json!({})).await.to_string().contains("sex-work-law"));
    let ops: i64 = count(&app, "SELECT COUNT(*) FROM change_log WHERE entity = 'term'").await;
    assert_eq!(ops, 4, "created, created, updated, deleted");
    app.stop().await;
}
backend_test!(taxonomy_writes);
