//! Writes: policy checks, validation with field paths, change log and audit log in the same
//! transaction, nothing partial on error, the response cache cleared on commit.

use chorus_entities::Role;
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::first_code;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app.db.query_one_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

const CREATE: &str = "mutation($t: Taxonomy!, $i: CreateTermInput!) { createTerm(taxonomy: $t, input: $i) { __typename id ... on Topic { code label } ... on Country { code region { code } } } }";

async fn taxonomy_writes(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| c.graphql.cache_ttl_ms = 60_000).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    let topics = "{ topics(locale: \"fr\") { code label } }";
    app.data(topics, json!({})).await;
    let before = app.data(topics, json!({})).await; // asked twice: now cached
    let terms_before = count(&app, "SELECT COUNT(*) FROM terms").await;
    let log_before = count(&app, "SELECT COUNT(*) FROM change_log").await;

    // Only editors and admins manage taxonomies; nothing changes on refusal.
    let input = json!({ "t": "TOPIC", "i": { "code": "sex-work-law", "labels": [
        { "locale": "en", "label": "Sex work law" }, { "locale": "fr", "label": "Droit du travail du sexe" } ] } });
    assert_eq!(first_code(&app.gql_as(&translator, CREATE, input.clone()).await), "FORBIDDEN");
    assert_eq!(first_code(&app.gql(CREATE, input.clone()).await), "UNAUTHENTICATED");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM terms").await, terms_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM change_log").await, log_before);

    let created = app.gql_as(&editor, CREATE, input.clone()).await;
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
        let body = app.gql_as(&editor, CREATE, json!({ "t": "TOPIC", "i": input })).await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{field}: {body}");
    }
    // Mass assignment: unknown input fields (ids, timestamps) are refused by the schema.
    let body =
        app.gql_as(&editor, CREATE, json!({ "t": "TOPIC", "i": { "code": "x-y", "id": 5, "labels": [] } })).await;
    assert!(body["errors"].is_array() && body["data"].is_null(), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM terms").await, terms_before + 1);

    // A country belongs to a region.
    let country = app.gql_as(&editor, CREATE, json!({ "t": "COUNTRY", "i": { "code": "bj", "parent": "africa", "labels": [{ "locale": "fr", "label": "Bénin" }] } })).await;
    assert_eq!(country["data"]["createTerm"]["code"], "BJ", "{country}");
    assert_eq!(country["data"]["createTerm"]["region"]["code"], "africa");

    // Updates set and remove labels; a term keeps at least one label (the transaction rolls back).
    let update =
        "mutation($id: ID!, $i: UpdateTermInput!) { updateTerm(id: $id, input: $i) { ... on Topic { label } } }";
    let body = app.gql_as(&editor, update, json!({ "id": id, "i": { "labels": [{ "locale": "es", "label": "Derecho del trabajo sexual" }], "removeLabels": ["fr"] } })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let labels = count(
        &app,
        "SELECT COUNT(*) FROM term_labels l JOIN terms t ON t.id = l.term_id WHERE t.code = 'sex-work-law'",
    )
    .await;
    assert_eq!(labels, 2);
    let body = app.gql_as(&editor, update, json!({ "id": id, "i": { "removeLabels": ["en", "es"] } })).await;
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
    let body = app.gql_as(&editor, "mutation($id: ID!) { deleteTerm(id: $id) }", json!({ "id": id })).await;
    assert_eq!(body["data"]["deleteTerm"], true, "{body}");
    assert!(app.data(r#"query($id: ID!) { node(id: $id) { id } }"#, json!({ "id": id })).await["node"].is_null());
    assert!(!app.data(topics, json!({})).await.to_string().contains("sex-work-law"));
    let ops: i64 = count(&app, "SELECT COUNT(*) FROM change_log WHERE entity = 'term'").await;
    assert_eq!(ops, 4, "created, created, updated, deleted");
    app.stop().await;
}
backend_test!(taxonomy_writes);

const SAVE: &str = "mutation($id: ID!, $l: String!, $i: TranslationInput!) { saveTranslation(id: $id, locale: $l, input: $i) { locale status title slug live } }";
const STATUS: &str = "mutation($id: ID!, $l: String!, $s: TranslationStatus!) { setTranslationStatus(id: $id, locale: $l, status: $s) { status live } }";
const UNPUBLISH: &str = "mutation($id: ID!, $l: String!) { unpublishTranslation(id: $id, locale: $l) { status live } }";
const PUBLIC: &str =
    "query($id: ID!, $l: String) { resource(id: $id, locale: $l) { title locale availableLocales body } }";

async fn translation_workflow(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| c.graphql.cache_ttl_ms = 60_000).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["es"]).await;
    let reviewer = app.sign_in(Role::Reviewer, &["es"]).await;
    let list = app
        .data(r#"{ resources(first: 100, locale: "en") { edges { node { id title availableLocales } } } }"#, json!({}))
        .await;
    let report = crate::nodes(&list["resources"])
        .into_iter()
        .find(|n| n["title"].as_str().unwrap().starts_with("Global Fund project quarterly report: April"))
        .unwrap();
    let id = report["id"].as_str().unwrap().to_owned();
    assert_eq!(report["availableLocales"], json!(["en", "fr"]));
    let public = |l: &'static str| {
        let app = &app;
        let id = id.clone();
        async move { app.data(PUBLIC, json!({ "id": id, "l": l })).await["resource"].clone() }
    };
    let log_before = count(&app, "SELECT COUNT(*) FROM change_log").await;

    // The translator writes Spanish: a draft, invisible to the public.
    let es = json!({ "title": "Informe trimestral del proyecto del Fondo Mundial: abril–junio de 2016",
        "summary": "Resumen", "body": "<p onclick=\"x()\">Texto <a href=\"javascript:alert(1)\">enlace</a><script>alert(1)</script></p>" });
    let saved = app.gql_as(&translator, SAVE, json!({ "id": id, "l": "es", "i": es })).await;
    let w = &saved["data"]["saveTranslation"];
    assert_eq!((w["status"].as_str(), w["live"].as_bool()), (Some("DRAFT"), Some(false)), "{saved}");
    assert_eq!(w["slug"], "informe-trimestral-del-proyecto-del-fondo-mundial-abril-junio-de-2016");
    assert_eq!(public("es").await["locale"], "en", "drafts stay private");

    // The translator may not touch the English source, French, or publish.
    for (l, input) in [("en", json!({ "summary": "changed" })), ("fr", json!({ "summary": "changé" }))] {
        assert_eq!(
            first_code(&app.gql_as(&translator, SAVE, json!({ "id": id, "l": l, "i": input })).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(
        first_code(&app.gql_as(&translator, STATUS, json!({ "id": id, "l": "es", "s": "PUBLISHED" })).await),
        "FORBIDDEN"
    );
    let r = app.gql_as(&translator, STATUS, json!({ "id": id, "l": "es", "s": "IN_REVIEW" })).await;
    assert_eq!(r["data"]["setTranslationStatus"]["status"], "IN_REVIEW", "{r}");

    // The reviewer publishes: the public API (cached a moment ago) shows Spanish at once, sanitised.
    let r = app.gql_as(&reviewer, STATUS, json!({ "id": id, "l": "es", "s": "PUBLISHED" })).await;
    assert_eq!(r["data"]["setTranslationStatus"], json!({ "status": "PUBLISHED", "live": true }), "{r}");
    let live = public("es").await;
    assert_eq!(live["locale"], "es");
    assert_eq!(live["availableLocales"], json!(["en", "fr", "es"]));
    let body = live["body"].as_str().unwrap();
    for bad in ["onclick", "javascript:", "<script"] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }

    // A later edit is a draft again while the published text stays online, unchanged.
    let edit = json!({ "title": "Informe trimestral (revisado)" });
    let r = app.gql_as(&translator, SAVE, json!({ "id": id, "l": "es", "i": edit })).await;
    assert_eq!(r["data"]["saveTranslation"]["status"], "DRAFT");
    assert_eq!(r["data"]["saveTranslation"]["live"], true);
    assert_eq!(public("es").await["title"], live["title"]);
    app.gql_as(&reviewer, STATUS, json!({ "id": id, "l": "es", "s": "PUBLISHED" })).await;
    assert_eq!(public("es").await["title"], "Informe trimestral (revisado)");

    // Unpublishing takes it offline; translators cannot.
    assert_eq!(first_code(&app.gql_as(&translator, UNPUBLISH, json!({ "id": id, "l": "es" })).await), "FORBIDDEN");
    let r = app.gql_as(&reviewer, UNPUBLISH, json!({ "id": id, "l": "es" })).await;
    assert_eq!(r["data"]["unpublishTranslation"], json!({ "status": "DRAFT", "live": false }), "{r}");
    assert_eq!(public("es").await["availableLocales"], json!(["en", "fr"]));

    // Editors write any locale; Cyrillic titles get transliterated slugs.
    let r = app.gql_as(&editor, SAVE, json!({ "id": id, "l": "ru", "i": { "title": "Квартальный отчёт" } })).await;
    assert_eq!(r["data"]["saveTranslation"]["slug"], "kvartal-nyi-otchiot", "{r}");

    // Bad input: a precise error, nothing written.
    let before = count(&app, "SELECT COUNT(*) FROM resource_translations").await;
    for (vars, prefix) in [
        (json!({ "id": id, "l": "pt", "i": { "title": "x" } }), "locale"),
        (json!({ "id": id, "l": "zh-Hans", "i": { "summary": "没有标题" } }), "input.title"),
        (json!({ "id": id, "l": "ru", "i": {} }), "input"),
        (json!({ "id": id, "l": "ru", "i": { "title": "x".repeat(501) } }), "input.title"),
    ] {
        let body = app.gql_as(&editor, SAVE, vars).await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(prefix), "{prefix}: {body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM resource_translations").await, before);
    let missing =
        app.gql_as(&editor, SAVE, json!({ "id": "UmVzb3VyY2U6OTk5OTk", "l": "ru", "i": { "title": "x" } })).await;
    assert_eq!(first_code(&missing), "NOT_FOUND");

    // Every step is in the change log, with its locale.
    let steps = count(&app, "SELECT COUNT(*) FROM change_log WHERE entity = 'resource'").await;
    assert_eq!(steps - log_before, 7, "save, in review, publish, save, publish, unpublish, save (ru)");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM change_log WHERE operation = 'published' AND locale = 'es'").await, 2);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM change_log WHERE operation = 'unpublished' AND locale = 'es'").await,
        1
    );
    app.stop().await;
}
backend_test!(translation_workflow);

const WORKING: &str = "query($id: ID!) { workingTranslations(id: $id) { locale status live outdated { fields { field oldText newText } sourceChangedAt } } }";

async fn outdated_translations(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    let swit = app
        .data(r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id summary } }"#, json!({}))
        .await["resource"]
        .clone();
    let id = swit["id"].as_str().unwrap().to_owned();
    let old_summary = swit["summary"].as_str().unwrap().to_owned();
    let views = |token: &str| {
        let app = &app;
        let (token, id) = (token.to_owned(), id.clone());
        async move { app.gql_as(&token, WORKING, json!({ "id": id })).await["data"]["workingTranslations"].clone() }
    };
    let up_to_date = views(&editor).await;
    assert_eq!(up_to_date.as_array().unwrap().len(), 5);
    assert!(up_to_date.as_array().unwrap().iter().all(|v| v["outdated"].is_null()), "{up_to_date}");
    assert_eq!(first_code(&app.gql(WORKING, json!({ "id": id })).await), "UNAUTHENTICATED");

    // The editor changes the English summary: every translation is outdated, field by field.
    let save =
        app.gql_as(&editor, SAVE, json!({ "id": id, "l": "en", "i": { "summary": "A new English summary." } })).await;
    assert!(save.get("errors").is_none(), "{save}");
    let after = views(&editor).await;
    for v in after.as_array().unwrap() {
        if v["locale"] == "en" {
            assert!(v["outdated"].is_null());
            continue;
        }
        let fields = &v["outdated"]["fields"];
        assert_eq!(
            fields,
            &json!([{ "field": "summary", "oldText": old_summary, "newText": "A new English summary." }]),
            "{}",
            v["locale"]
        );
        assert!(v["outdated"]["sourceChangedAt"].is_string());
    }
    // The live English text is untouched until the editor publishes again.
    assert_eq!(
        app.data(r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { summary } }"#, json!({}))
            .await["resource"]["summary"],
        old_summary.as_str()
    );

    // The French translator updates the French summary: French is up to date, Spanish is not.
    let fr =
        app.gql_as(&translator, SAVE, json!({ "id": id, "l": "fr", "i": { "summary": "Un nouveau résumé." } })).await;
    assert!(fr.get("errors").is_none(), "{fr}");
    let now = views(&translator).await;
    let by_locale = |l: &str| now.as_array().unwrap().iter().find(|v| v["locale"] == l).unwrap().clone();
    assert!(by_locale("fr")["outdated"].is_null(), "{now}");
    assert!(!by_locale("es")["outdated"].is_null());
    assert_eq!(by_locale("fr")["status"], "DRAFT");
    assert_eq!(by_locale("fr")["live"], true);
    // Revisions keep who did what: the baseline, the editor's save, the translator's save.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM revisions").await, 4);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM revisions WHERE user_id IS NULL").await, 2, "one baseline per locale");
    app.stop().await;
}
backend_test!(outdated_translations);

async fn the_editorial_story(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let fr_translator = app.sign_in(Role::Translator, &["fr"]).await;
    let es_translator = app.sign_in(Role::Translator, &["es"]).await;
    let fr_reviewer = app.sign_in(Role::Reviewer, &["fr"]).await;
    let nswp = app
        .data(r#"{ organizations(filter: { kinds: [GLOBAL_NETWORK] }) { edges { node { id } } } }"#, json!({}))
        .await;
    let nswp = nswp["organizations"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();

    let create = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let input = json!({ "kind": "BRIEFING_PAPER", "publishedOn": "2026-11-01", "sourceLocale": "en",
        "regions": ["global"], "topics": ["hiv", "human-rights"], "organizations": [{ "id": nswp, "role": "PUBLISHER" }],
        "text": { "title": "Community-led HIV responses", "summary": "Why rights-based programmes work.", "body": "<p>Text.</p>" } });
    assert_eq!(first_code(&app.gql_as(&fr_translator, create, json!({ "i": input })).await), "FORBIDDEN");
    let bad = app.gql_as(&editor, create, json!({ "i": { "kind": "REPORT", "publishedOn": "2026-11-01", "sourceLocale": "en", "topics": ["nope"], "text": { "title": "x" } } })).await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().starts_with("input.topics[0]"), "{bad}");
    let created = app.gql_as(&editor, create, json!({ "i": input })).await;
    let id = created["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let public = |l: &'static str| {
        let (app, id) = (&app, id.clone());
        async move { app.data(PUBLIC, json!({ "id": id, "l": l })).await["resource"].clone() }
    };
    assert!(public("en").await.is_null(), "a new resource is a draft");

    app.gql_as(&editor, STATUS, json!({ "id": id, "l": "en", "s": "PUBLISHED" })).await;
    let fr = json!({ "title": "Des réponses au VIH menées par les communautés", "summary": "Pourquoi les programmes fondés sur les droits fonctionnent." });
    app.gql_as(&fr_translator, SAVE, json!({ "id": id, "l": "fr", "i": fr })).await;
    app.gql_as(&fr_translator, STATUS, json!({ "id": id, "l": "fr", "s": "IN_REVIEW" })).await;
    app.gql_as(
        &es_translator,
        SAVE,
        json!({ "id": id, "l": "es", "i": { "title": "Respuestas comunitarias al VIH" } }),
    )
    .await;
    let published = app.gql_as(&fr_reviewer, STATUS, json!({ "id": id, "l": "fr", "s": "PUBLISHED" })).await;
    assert_eq!(published["data"]["setTranslationStatus"]["live"], true, "{published}");
    assert_eq!(
        first_code(&app.gql_as(&fr_reviewer, STATUS, json!({ "id": id, "l": "es", "s": "PUBLISHED" })).await),
        "FORBIDDEN"
    );

    let en = public("en").await;
    assert_eq!(en["availableLocales"], json!(["en", "fr"]), "French and English only: {en}");
    assert_eq!(public("fr").await["title"], "Des réponses au VIH menées par les communautés");
    assert_eq!(public("es").await["locale"], "en", "Spanish is still a draft");

    // The editor changes the English summary: the French translation is outdated until updated.
    app.gql_as(
        &editor,
        SAVE,
        json!({ "id": id, "l": "en", "i": { "summary": "Why rights-based programmes work, with evidence." } }),
    )
    .await;
    let views = app.gql_as(&editor, WORKING, json!({ "id": id })).await["data"]["workingTranslations"].clone();
    let fr_view = views.as_array().unwrap().iter().find(|v| v["locale"] == "fr").unwrap();
    assert_eq!(fr_view["outdated"]["fields"][0]["field"], "summary", "{views}");
    assert_eq!(fr_view["outdated"]["fields"][0]["oldText"], "Why rights-based programmes work.");

    // Deleting removes it everywhere, and the change log says so.
    let body = app.gql_as(&editor, "mutation($id: ID!) { deleteItem(id: $id) }", json!({ "id": id })).await;
    assert_eq!(body["data"]["deleteItem"], true, "{body}");
    assert!(public("en").await.is_null());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM change_log WHERE entity = 'resource' AND operation = 'deleted'").await,
        1
    );
    app.stop().await;
}
backend_test!(the_editorial_story);

async fn translation_progress(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let q = r#"query($l: String!) { translationProgress(locale: $l) { kind items missing draft inReview published archived outdated } }"#;
    let progress = |l: &'static str| {
        let (app, editor) = (&app, editor.clone());
        async move { app.gql_as(&editor, q, json!({ "l": l })).await["data"]["translationProgress"].clone() }
    };
    let fr = progress("fr").await;
    let rows = fr.as_array().unwrap();
    let n = |v: &Value, k: &str| v[k].as_i64().unwrap();
    for r in rows {
        assert_eq!(
            n(r, "items"),
            n(r, "missing") + n(r, "draft") + n(r, "inReview") + n(r, "published") + n(r, "archived"),
            "{r}"
        );
    }
    let resources: i64 =
        rows.iter().filter(|r| r["kind"].as_str().unwrap().starts_with("resource:")).map(|r| n(r, "items")).sum();
    assert_eq!(resources, count(&app, "SELECT COUNT(*) FROM resources").await);
    let orgs = rows.iter().find(|r| r["kind"] == "organization").unwrap();
    assert_eq!(n(orgs, "items"), count(&app, "SELECT COUNT(*) FROM organizations").await);
    let outdated_before: i64 = rows.iter().map(|r| n(r, "outdated")).sum();
    assert_eq!(outdated_before, 0, "the demo starts up to date");

    // Changing the SWIT's English summary makes its French version outdated.
    let swit = app
        .data(r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id kind } }"#, json!({}))
        .await;
    let id = swit["resource"]["id"].as_str().unwrap().to_owned();
    app.gql_as(&editor, SAVE, json!({ "id": id, "l": "en", "i": { "summary": "Changed." } })).await;
    let after = progress("fr").await;
    let tools = after.as_array().unwrap().iter().find(|r| r["kind"] == "resource:advocacy_tool").unwrap().clone();
    assert_eq!(n(&tools, "outdated"), 1, "{after}");
    let en_outdated: i64 = progress("en").await.as_array().unwrap().iter().map(|r| n(r, "outdated")).sum();
    assert_eq!(en_outdated, 0, "a source is never outdated");
    assert_eq!(first_code(&app.gql(q, json!({ "l": "fr" })).await), "UNAUTHENTICATED");
    app.stop().await;
}
backend_test!(translation_progress);

async fn scheduled_publication(backend: Backend) {
    // This process does not run the scheduler: the job must be carried out by another one.
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["es"]).await;
    let list = app.data(r#"{ resources(first: 100, locale: "en") { edges { node { id title } } } }"#, json!({})).await;
    let id = crate::nodes(&list["resources"])
        .into_iter()
        .find(|n| n["title"].as_str().unwrap().starts_with("Global Fund project quarterly report: April"))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql_as(
        &editor,
        SAVE,
        json!({ "id": id, "l": "es", "i": { "title": "Informe trimestral: abril–junio de 2016" } }),
    )
    .await;
    let schedule = "mutation($id: ID!, $l: String!, $at: DateTime!) { schedulePublication(id: $id, locale: $l, publishAt: $at) { locale publishAt } }";
    let at = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
    assert_eq!(
        first_code(&app.gql_as(&translator, schedule, json!({ "id": id, "l": "es", "at": at })).await),
        "FORBIDDEN"
    );
    let body = app.gql_as(&editor, schedule, json!({ "id": id, "l": "es", "at": at })).await;
    assert_eq!(body["data"]["schedulePublication"]["locale"], "es", "{body}");
    let missing = app.gql_as(&editor, schedule, json!({ "id": id, "l": "zh-Hans", "at": at })).await;
    assert_eq!(first_code(&missing), "NOT_FOUND");

    // A second process (as after a restart) finds the job in the database and publishes it once.
    let other = app.sibling(|c| c.server.scheduler_interval_ms = 200).await;
    let third = app.sibling(|c| c.server.scheduler_interval_ms = 200).await;
    let mut published = false;
    // Generous on a loaded CI machine: the schedulers tick every 200 ms.
    for _ in 0..150 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let r = app.data(PUBLIC, json!({ "id": id, "l": "es" })).await;
        if r["resource"]["locale"] == "es" {
            published = true;
            break;
        }
    }
    assert!(published, "published within seconds of its time");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM change_log WHERE operation = 'published' AND locale = 'es'").await,
        1,
        "exactly once"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM scheduled_publications WHERE outcome = 'published' AND done_at IS NOT NULL")
            .await,
        1
    );
    other.stop().await;
    third.stop().await;
    app.stop().await;
}
backend_test!(scheduled_publication);

async fn concurrent_writers_in_two_processes_all_succeed(backend: Backend) {
    // Two processes on one database, each taking writes from many clients at once: every write
    // succeeds (on SQLite, a transaction that read before writing used to fail at once with
    // "database is locked" when another connection had written in between).
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let other = app.sibling(|_| {}).await;
    let editor = app.sign_in(Role::Editor, &[]).await;
    let list = app.data(r#"{ resources(first: 40, locale: "en") { edges { node { id } } } }"#, json!({})).await;
    let ids: Vec<String> =
        crate::nodes(&list["resources"]).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.len() >= 20, "{list}");
    let changes_before = count(&app, "SELECT COUNT(*) FROM change_log").await;
    let writes = ids.iter().take(20).enumerate().map(|(i, id)| {
        let target = if i % 2 == 0 { &app } else { &other };
        let editor = editor.clone();
        async move {
            let title = format!("Versión concurrente {i}");
            let saved = target.gql_as(&editor, SAVE, json!({ "id": id, "l": "es", "i": { "title": title } })).await;
            assert!(saved["errors"].is_null(), "save {i}: {saved}");
            let published = target.gql_as(&editor, STATUS, json!({ "id": id, "l": "es", "s": "PUBLISHED" })).await;
            assert!(published["errors"].is_null(), "publish {i}: {published}");
        }
    });
    futures_util::future::join_all(writes).await;
    // A save and a publication each log one change.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM change_log").await, changes_before + 40);
    for id in ids.iter().take(20) {
        let r = app.data(PUBLIC, json!({ "id": id, "l": "es" })).await;
        assert!(r["resource"]["title"].as_str().unwrap().starts_with("Versión concurrente"), "{r}");
    }
    other.stop().await;
    app.stop().await;
}
backend_test!(concurrent_writers_in_two_processes_all_succeed);

async fn history_diff_and_restore(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let swit = app
        .data(r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id summary } }"#, json!({}))
        .await;
    let id = swit["resource"]["id"].as_str().unwrap().to_owned();
    let original = swit["resource"]["summary"].as_str().unwrap().to_owned();
    for summary in ["First rewrite.", "Second rewrite."] {
        app.gql_as(&editor, SAVE, json!({ "id": id, "l": "en", "i": { "summary": summary } })).await;
    }
    let history = "query($id: ID!) { history(id: $id, locale: \"en\") { id displayName changed summary status } }";
    let h = app.gql_as(&editor, history, json!({ "id": id })).await["data"]["history"].clone();
    let revisions = h.as_array().unwrap();
    assert_eq!(revisions.len(), 3, "{h}");
    assert_eq!(revisions[0]["summary"], "Second rewrite.");
    assert_eq!(revisions[0]["changed"], json!(["summary"]));
    assert_eq!(revisions[0]["displayName"], "Editor user");
    assert_eq!(revisions[2]["displayName"], "(before history)");
    assert_eq!(revisions[2]["summary"], original.as_str());

    let diff = "query($a: ID!, $b: ID!) { revisionDiff(from: $a, to: $b) { field before after } }";
    let d = app.gql_as(&editor, diff, json!({ "a": revisions[2]["id"], "b": revisions[0]["id"] })).await;
    assert_eq!(
        d["data"]["revisionDiff"],
        json!([
            { "field": "summary", "before": original, "after": "Second rewrite." },
            { "field": "status", "before": "PUBLISHED", "after": "DRAFT" }
        ]),
        "{d}"
    );

    let restore = "mutation($r: ID!) { restoreRevision(id: $r) { summary status live } }";
    let r = app.gql_as(&editor, restore, json!({ "r": revisions[2]["id"] })).await;
    assert_eq!(r["data"]["restoreRevision"]["summary"], original.as_str(), "{r}");
    let h = app.gql_as(&editor, history, json!({ "id": id })).await["data"]["history"].clone();
    assert_eq!(h.as_array().unwrap().len(), 4, "a restore is a new revision");
    assert_eq!(first_code(&app.gql(history, json!({ "id": id })).await), "UNAUTHENTICATED");
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    assert_eq!(first_code(&app.gql_as(&translator, restore, json!({ "r": revisions[2]["id"] })).await), "FORBIDDEN");
    app.stop().await;
}
backend_test!(history_diff_and_restore);

async fn creating_every_kind_of_item(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let translator = app.sign_in(Role::Translator, &["fr"]).await;
    let ok = |body: &Value, field: &str| body["data"][field].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();

    let org = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) }";
    let org_input = json!({ "kind": "MEMBER_ORGANIZATION", "acronym": "KESWA", "website": "https://example.org", "region": "africa",
        "sourceLocale": "en", "text": { "title": "Kenya Sex Workers Alliance (example)" } });
    assert_eq!(first_code(&app.gql_as(&translator, org, json!({ "i": org_input })).await), "FORBIDDEN");
    let bad = app.gql_as(&editor, org, json!({ "i": { "kind": "FUNDER", "website": "javascript:alert(1)", "sourceLocale": "en", "text": { "title": "X" } } })).await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().starts_with("input.website"), "{bad}");
    let org_id = ok(&app.gql_as(&editor, org, json!({ "i": org_input })).await, "createOrganization");

    let prog = "mutation($i: CreateProgrammeInput!) { createProgramme(input: $i) }";
    let bad = app
        .gql_as(
            &editor,
            prog,
            json!({ "i": { "startYear": 2020, "endYear": 2019, "sourceLocale": "en", "text": { "title": "P" } } }),
        )
        .await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().starts_with("input.endYear"), "{bad}");
    let prog_id = ok(
        &app.gql_as(&editor, prog, json!({ "i": { "startYear": 2024, "funders": [org_id], "sourceLocale": "fr", "text": { "title": "Programme exemple" } } })).await,
        "createProgramme",
    );

    let gp = "mutation($i: CreateGoodPracticeInput!) { createGoodPractice(input: $i) }";
    let bad =
        app.gql_as(&editor, gp, json!({ "i": { "year": 1200, "sourceLocale": "en", "text": { "title": "G" } } })).await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().starts_with("input.year"), "{bad}");
    let gp_id = ok(
        &app.gql_as(&editor, gp, json!({ "i": { "year": 2025, "country": "KE", "region": "africa", "organization": org_id, "topics": ["hiv"], "sourceLocale": "en", "text": { "title": "Peer outreach example" } } })).await,
        "createGoodPractice",
    );

    // Publishing the sources makes them public, with their relations.
    for (id, l) in [(&org_id, "en"), (&prog_id, "fr"), (&gp_id, "en")] {
        let r = app.gql_as(&editor, STATUS, json!({ "id": id, "l": l, "s": "PUBLISHED" })).await;
        assert_eq!(r["data"]["setTranslationStatus"]["live"], true, "{r}");
    }
    let q = r#"query($g: ID!, $p: ID!) { goodPractice(id: $g) { title year country { code } organization { acronym } topics { code } }
        programme(id: $p) { title locale isFallback funders { acronym } } }"#;
    let d = app.data(q, json!({ "g": gp_id, "p": prog_id })).await;
    assert_eq!(d["goodPractice"]["organization"]["acronym"], "KESWA", "{d}");
    assert_eq!(d["goodPractice"]["country"]["code"], "KE");
    assert_eq!(d["programme"]["funders"][0]["acronym"], "KESWA");
    assert_eq!((d["programme"]["locale"].as_str(), d["programme"]["isFallback"].as_bool()), (Some("fr"), Some(true)));

    // A resource's facts and links change; lists replace, null removes the programme.
    let swit = app
        .data(
            r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id programme { id } } }"#,
            json!({}),
        )
        .await;
    let swit_id = swit["resource"]["id"].as_str().unwrap().to_owned();
    assert!(swit["resource"]["programme"]["id"].is_string());
    let update = "mutation($id: ID!, $i: UpdateResourceInput!) { updateResource(id: $id, input: $i) }";
    let r = app.gql_as(&editor, update, json!({ "id": swit_id, "i": { "kind": "TOOLKIT", "topics": ["gender"], "countries": ["KE"], "organizations": [{ "id": org_id, "role": "AUTHOR" }], "programme": null } })).await;
    assert!(r.get("errors").is_none(), "{r}");
    let d = app.data(r#"query($id: ID!) { resource(id: $id) { kind topics { code } regions { code } countries { code } organizations { acronym } programme { id } } }"#, json!({ "id": swit_id })).await;
    assert_eq!(
        d["resource"],
        json!({ "kind": "TOOLKIT", "topics": [{ "code": "gender" }], "regions": [{ "code": "global" }], "countries": [{ "code": "KE" }], "organizations": [{ "acronym": "KESWA" }], "programme": null }),
        "regions were not in the update and stay"
    );
    assert_eq!(
        first_code(&app.gql_as(&translator, update, json!({ "id": swit_id, "i": { "kind": "GUIDE" } })).await),
        "FORBIDDEN"
    );
    app.stop().await;
}
backend_test!(creating_every_kind_of_item);

async fn filtering_on_translation_state(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let q = |state: &str| {
        format!(
            r#"{{ resources(first: 100, preview: true, filter: {{ translation: {{ locale: "fr", state: {state} }} }}) {{ totalCount edges {{ node {{ id title }} }} }} }}"#
        )
    };
    let total = |body: Value| body["data"]["resources"]["totalCount"].as_i64().unwrap_or_else(|| panic!("{body}"));
    assert_eq!(total(app.gql_as(&editor, &q("OUTDATED"), json!({})).await), 0);
    let missing = total(app.gql_as(&editor, &q("MISSING"), json!({})).await);
    let published = total(app.gql_as(&editor, &q("PUBLISHED"), json!({})).await);
    let all = total(app.gql_as(&editor, "{ resources(preview: true) { totalCount } }", json!({})).await);
    assert!(missing > 0 && published > 0 && missing + published <= all, "{missing} {published} {all}");
    let swit =
        app.data(r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id } }"#, json!({})).await;
    let id = swit["resource"]["id"].as_str().unwrap().to_owned();
    app.gql_as(
        &editor,
        SAVE,
        json!({ "id": id, "l": "en", "i": { "title": "Sex Worker Implementation Tool (SWIT), 2nd edition" } }),
    )
    .await;
    let outdated = app.gql_as(&editor, &q("OUTDATED"), json!({})).await;
    assert_eq!(outdated["data"]["resources"]["edges"][0]["node"]["id"], id.as_str(), "{outdated}");
    assert_eq!(total(outdated), 1);
    // Never on the public API.
    let public = q("DRAFT").replace("preview: true, ", "");
    assert_eq!(first_code(&app.gql(&public, json!({})).await), "FORBIDDEN");
    app.stop().await;
}
backend_test!(filtering_on_translation_state);

async fn updating_facts_of_every_kind(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let d = app
        .data(
            r#"{ goodPractices(first: 1, filter: { countries: ["KE"] }) { edges { node { id } } }
                organizations(filter: { kinds: [REGIONAL_NETWORK], regions: ["africa"] }) { edges { node { id } } }
                nswp: organizations(filter: { kinds: [GLOBAL_NETWORK] }) { edges { node { id } } }
                programmes(first: 1) { edges { node { id } } } }"#,
            json!({}),
        )
        .await;
    let gp = d["goodPractices"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let aswa = d["organizations"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let nswp = d["nswp"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();
    let prog = d["programmes"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();

    let r = app.gql_as(&editor, "mutation($id: ID!) { updateGoodPractice(id: $id, input: { year: 2019, country: null, topics: [\"violence\"] }) }", json!({ "id": gp })).await;
    assert!(r.get("errors").is_none(), "{r}");
    let r = app
        .gql_as(
            &editor,
            "mutation($id: ID!) { updateOrganization(id: $id, input: { acronym: \"ASWA-2\", website: null }) }",
            json!({ "id": aswa }),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let r = app
        .gql_as(
            &editor,
            "mutation($id: ID!, $f: ID!) { updateProgramme(id: $id, input: { endYear: 2030, funders: [$f] }) }",
            json!({ "id": prog, "f": nswp }),
        )
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    let after = app
        .data(
            r#"query($g: ID!, $o: ID!, $p: ID!) { goodPractice(id: $g) { year country { code } topics { code } }
                organization(id: $o) { acronym website parent { acronym } }
                programme(id: $p) { endYear funders { acronym } } }"#,
            json!({ "g": gp, "o": aswa, "p": prog }),
        )
        .await;
    assert_eq!(after["goodPractice"], json!({ "year": 2019, "country": null, "topics": [{ "code": "violence" }] }));
    assert_eq!(after["organization"], json!({ "acronym": "ASWA-2", "website": null, "parent": { "acronym": "NSWP" } }));
    assert_eq!(after["programme"], json!({ "endYear": 2030, "funders": [{ "acronym": "NSWP" }] }));

    for (q, field) in [
        ("mutation($id: ID!) { updateProgramme(id: $id, input: { endYear: 1990 }) }", "input.endYear"),
        ("mutation($id: ID!) { updateOrganization(id: $id, input: { website: \"ftp://x\" }) }", "input.website"),
        ("mutation($id: ID!) { updateGoodPractice(id: $id, input: { country: \"ZZ\" }) }", "input.country"),
    ] {
        let id = if q.contains("Programme") {
            &prog
        } else if q.contains("Organization") {
            &aswa
        } else {
            &gp
        };
        let body = app.gql_as(&editor, q, json!({ "id": id })).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{field}: {body}");
    }
    let updates = count(&app, "SELECT COUNT(*) FROM change_log WHERE operation = 'updated' AND locale IS NULL").await;
    assert_eq!(updates, 3, "one change-log row per successful update, none for refused ones");
    app.stop().await;
}
backend_test!(updating_facts_of_every_kind);

async fn dates_outside_the_year_range_are_refused(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let d = app
        .data(
            r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id publishedOn }
                programmes(first: 1) { edges { node { id startYear endYear } } } }"#,
            json!({}),
        )
        .await;
    let (res, published_on) = (d["resource"]["id"].as_str().unwrap().to_owned(), d["resource"]["publishedOn"].clone());
    let prog = d["programmes"]["edges"][0]["node"].clone();
    let prog_id = prog["id"].as_str().unwrap().to_owned();
    let written = || async {
        (
            count(&app, "SELECT COUNT(*) FROM resources").await,
            count(&app, "SELECT COUNT(*) FROM programmes").await,
            count(&app, "SELECT COUNT(*) FROM change_log").await,
        )
    };
    let before = written().await;

    let create_resource = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let resource_input = |day: &str| json!({ "i": { "kind": "REPORT", "publishedOn": day, "sourceLocale": "en", "text": { "title": "Dated" } } });
    let create_programme = "mutation($i: CreateProgrammeInput!) { createProgramme(input: $i) }";
    let programme_input = |start: i32, end: Option<i32>| json!({ "i": { "startYear": start, "endYear": end, "sourceLocale": "en", "text": { "title": "P" } } });
    let update_resource = "mutation($id: ID!, $d: NaiveDate!) { updateResource(id: $id, input: { publishedOn: $d }) }";
    let update_programme =
        "mutation($id: ID!, $s: Int, $e: Int) { updateProgramme(id: $id, input: { startYear: $s, endYear: $e }) }";
    let refused: [(&str, Value, &str); 10] = [
        (create_resource, resource_input("-0001-01-01"), "input.publishedOn"),
        (create_resource, resource_input("+262142-01-01"), "input.publishedOn"),
        (create_resource, resource_input("1899-12-31"), "input.publishedOn"),
        (create_programme, programme_input(-5, None), "input.startYear"),
        (create_programme, programme_input(2020, Some(99999)), "input.endYear"),
        (update_resource, json!({ "id": res, "d": "-0001-01-01" }), "input.publishedOn"),
        (update_resource, json!({ "id": res, "d": "+262142-01-01" }), "input.publishedOn"),
        (update_programme, json!({ "id": prog_id, "s": -5 }), "input.startYear"),
        (update_programme, json!({ "id": prog_id, "s": 2020, "e": 2201 }), "input.endYear"),
        (update_programme, json!({ "id": prog_id, "s": 1899, "e": 2030 }), "input.startYear"),
    ];
    for (q, variables, field) in refused {
        let body = app.gql_as(&editor, q, variables.clone()).await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{variables}: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{field}: {body}");
    }
    assert_eq!(written().await, before, "nothing written for a refused date");
    let unchanged = app
        .data(
            "query($r: ID!, $p: ID!) { resource(id: $r) { publishedOn } programme(id: $p) { id startYear endYear } }",
            json!({ "r": res, "p": prog_id }),
        )
        .await;
    assert_eq!(unchanged["resource"]["publishedOn"], published_on);
    assert_eq!(unchanged["programme"], prog);

    // Sane dates, the range's ends included, pass.
    for (q, variables) in [
        (create_resource, resource_input("2026-11-01")),
        (create_resource, resource_input("1900-01-01")),
        (create_programme, programme_input(2019, Some(2200))),
        (update_resource, json!({ "id": res, "d": "2200-12-31" })),
        (update_programme, json!({ "id": prog_id, "s": 1900 })),
    ] {
        let body = app.gql_as(&editor, q, variables.clone()).await;
        assert!(body.get("errors").is_none(), "{variables}: {body}");
    }
    let (resources, programmes, _) = written().await;
    assert_eq!((resources, programmes), (before.0 + 2, before.1 + 1));
    app.stop().await;
}
backend_test!(dates_outside_the_year_range_are_refused);
