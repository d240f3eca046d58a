//! Locale negotiation and fallback.

use chorus_tests::{Backend, backend_test, spawn};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::first_code;

const SWIT: &str = r#"query($slug: String!, $locale: String) {
  resource(slug: $slug, locale: $locale) {
    title summary locale requestedLocale isFallback availableLocales
    translations { locale status } alternates { locale slug }
  }
}"#;

async fn explicit_locale_and_chains(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let r = |locale: &'static str| {
        let app = &app;
        async move {
            app.data(SWIT, json!({ "slug": "sex-worker-implementation-tool-swit", "locale": locale })).await["resource"]
                .clone()
        }
    };
    let fr = r("fr").await;
    assert_eq!(fr["locale"], "fr");
    assert_eq!(fr["isFallback"], false);
    assert_ne!(fr["title"], r("en").await["title"], "French title differs from English");
    assert_eq!(fr["availableLocales"], json!(["en", "fr", "es", "ru", "zh-Hans"]));
    assert_eq!(fr["alternates"].as_array().unwrap().len(), 5);

    // A well-formed tag that is not configured is served along its chain.
    let fr_ca = r("fr-CA").await;
    assert_eq!((fr_ca["locale"].as_str(), fr_ca["requestedLocale"].as_str()), (Some("fr"), Some("fr-CA")));
    assert_eq!(fr_ca["isFallback"], false);
    assert_eq!(fr_ca["title"], fr["title"]);

    let pt = r("pt").await;
    assert_eq!((pt["locale"].as_str(), pt["isFallback"].as_bool()), (Some("en"), Some(true)));
    assert_eq!(pt["requestedLocale"], "pt");

    // CLDR: Traditional Chinese never falls back to Simplified Chinese.
    let hant = r("zh-Hant").await;
    assert_eq!((hant["locale"].as_str(), hant["isFallback"].as_bool()), (Some("en"), Some(true)));
    let hans = r("zh").await;
    assert_eq!((hans["locale"].as_str(), hans["isFallback"].as_bool()), (Some("zh-Hans"), Some(false)));
    assert_eq!(r("zh-TW").await["locale"], "en");
    app.stop().await;
}
backend_test!(explicit_locale_and_chains);

async fn accept_language_negotiation(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let q = r#"{ resource(slug: "sex-worker-implementation-tool-swit") { locale requestedLocale isFallback } }"#;
    for (header, locale, fallback) in [
        ("es-MX,es;q=0.9,en;q=0.5", "es", false),
        ("de-DE,ru;q=0.8", "ru", false),
        ("zh-CN", "zh-Hans", false),
        ("zh-TW", "en", true),
        ("pt-BR", "en", true),
        ("*;q=x,,;;garbage", "en", false),
    ] {
        let body = app.gql_headers(q, json!({}), &[("accept-language", header)]).await;
        let res = &body["data"]["resource"];
        assert_eq!(res["locale"], locale, "Accept-Language: {header}: {body}");
        assert_eq!(res["isFallback"], fallback, "Accept-Language: {header}: {body}");
    }
    // The argument wins over the header.
    let q = r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "fr") { locale } }"#;
    let body = app.gql_headers(q, json!({}), &[("accept-language", "ru")]).await;
    assert_eq!(body["data"]["resource"]["locale"], "fr");
    app.stop().await;
}
backend_test!(accept_language_negotiation);

async fn malformed_tags_are_bad_input(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    for bad in ["fr_FR!", "x", "<script>alert(1)</script>", "en-", "e'); DROP TABLE resources; --"] {
        let body = app.gql(r#"query($l: String) { resources(locale: $l) { totalCount } }"#, json!({ "l": bad })).await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{bad}: {body}");
        let msg = body["errors"][0]["message"].as_str().unwrap();
        assert!(msg.contains("en, fr, es, ru, zh-Hans"), "lists configured locales: {msg}");
        assert!(!msg.contains('<'), "no raw markup echoed: {msg}");
        assert!(body["data"].is_null(), "{body}");
    }
    // The tag is echoed as it was sent, not altered.
    let body = app.gql(r#"{ topics(locale: "en_US!!") { code } }"#, json!({})).await;
    let msg = body["errors"][0]["message"].as_str().unwrap();
    assert!(msg.starts_with("`en_US!!` is not a well-formed"), "{msg}");
    // availableIn must name configured locales.
    let body = app.gql(r#"{ resources(filter: { availableIn: ["pt"] }) { totalCount } }"#, json!({})).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    app.stop().await;
}
backend_test!(malformed_tags_are_bad_input);

async fn fields_fall_back_independently(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    // Empty the French summary of the SWIT: title stays French, summary comes from English.
    app.db
        .execute_unprepared(
            "UPDATE resource_translations SET summary = '' WHERE locale = 'fr' AND item_id = \
             (SELECT item_id FROM resource_translations WHERE slug = 'sex-worker-implementation-tool-swit' AND version = 'live')",
        )
        .await
        .unwrap();
    let q = |l: &str| json!({ "slug": "sex-worker-implementation-tool-swit", "locale": l });
    let fr = app.data(SWIT, q("fr")).await["resource"].clone();
    let en = app.data(SWIT, q("en")).await["resource"].clone();
    assert_eq!(fr["locale"], "fr");
    assert_ne!(fr["title"], en["title"]);
    assert_eq!(fr["summary"], en["summary"]);
    assert!(!en["summary"].as_str().unwrap().is_empty());
    app.stop().await;
}
backend_test!(fields_fall_back_independently);

async fn drafts_never_show(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    // The Latin America workshop report is published in Spanish only; its English version is a draft.
    let q = r#"query($l: String) { resources(first: 100, locale: $l) { edges { node { title locale availableLocales translations { locale status } } } } }"#;
    let all = app.data(q, json!({ "l": "en" })).await;
    let report = crate::nodes(&all["resources"])
        .into_iter()
        .find(|n| n["title"].as_str().unwrap().starts_with("Informe del taller regional"))
        .expect("Spanish-only report listed in English lists, served in Spanish");
    assert_eq!(report["locale"], "es");
    assert_eq!(report["availableLocales"], json!(["es"]));
    assert_eq!(report["translations"], json!([{ "locale": "es", "status": "PUBLISHED" }]));
    // A draft's slug is not reachable in its own locale.
    let (slug, locale) = draft_translation(&app).await;
    let body = app
        .data(
            r#"query($s: String!, $l: String) { resource(slug: $s, locale: $l) { title } }"#,
            json!({ "s": slug, "l": locale }),
        )
        .await;
    assert!(body["resource"].is_null(), "draft reachable by slug: {body}");
    // An item with no published translation at all is invisible everywhere.
    app.db.execute_unprepared("UPDATE resource_translations SET status = 'draft'").await.unwrap();
    let d = app.data(r#"{ resources { totalCount edges { node { id } } } }"#, json!({})).await;
    assert_eq!(d["resources"]["totalCount"], 0);
    app.stop().await;
}
backend_test!(drafts_never_show);

/// The slug and locale of one draft translation.
async fn draft_translation(app: &chorus_tests::TestApp) -> (String, String) {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT slug, locale FROM resource_translations WHERE status = 'draft' ORDER BY id LIMIT 1",
        ))
        .await
        .unwrap()
        .expect("the demo has draft translations");
    (row.try_get("", "slug").unwrap(), row.try_get("", "locale").unwrap())
}

async fn fallback_reaches_past_the_chain_and_the_source(backend: Backend) {
    // Items are localised from the versions of the reader's chain and the item's source locale,
    // read first; an item needing more (nothing published there, or a summary empty in all of
    // them) is read whole, in lists and single lookups alike.
    let Some(app) = spawn(backend).await else { return };
    let item: i32 = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT item_id FROM resource_translations WHERE slug = 'sex-worker-implementation-tool-swit' AND version = 'live'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "item_id")
        .unwrap();
    let ru_summary: String = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT summary FROM resource_translations WHERE locale = 'ru' AND version = 'live' AND item_id = {item}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "summary")
        .unwrap();
    assert!(!ru_summary.is_empty());
    let list = r#"query($l: String) { resources(first: 100, locale: $l) { edges { node { slug title summary locale isFallback } } } }"#;
    let find = |d: &serde_json::Value, title: &str| {
        crate::nodes(&d["resources"])
            .into_iter()
            .find(|n| n["title"] == title)
            .unwrap_or_else(|| panic!("{title} not listed: {d}"))
    };
    // Summaries empty in every version but the Russian one.
    app.db
        .execute_unprepared(&format!(
            "UPDATE resource_translations SET summary = '' WHERE locale <> 'ru' AND item_id = {item}"
        ))
        .await
        .unwrap();
    let fr = app.data(SWIT, json!({ "slug": "sex-worker-implementation-tool-swit", "locale": "fr" })).await["resource"]
        .clone();
    assert_eq!((fr["locale"].as_str(), fr["summary"].as_str()), (Some("fr"), Some(ru_summary.as_str())));
    let listed = find(&app.data(list, json!({ "l": "fr" })).await, fr["title"].as_str().unwrap());
    assert_eq!(listed["summary"], ru_summary.as_str());
    // Published only in Russian: still listed and served, in Russian, as a fallback.
    app.db
        .execute_unprepared(&format!(
            "DELETE FROM resource_translations WHERE version = 'live' AND locale <> 'ru' AND item_id = {item}"
        ))
        .await
        .unwrap();
    let ru_title: String = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!(
                "SELECT title FROM resource_translations WHERE locale = 'ru' AND version = 'live' AND item_id = {item}"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "title")
        .unwrap();
    let listed = find(&app.data(list, json!({ "l": "fr" })).await, &ru_title);
    assert_eq!((listed["locale"].as_str(), listed["isFallback"].as_bool()), (Some("ru"), Some(true)));
    assert_eq!(listed["summary"], ru_summary.as_str());
    app.stop().await;
}
backend_test!(fallback_reaches_past_the_chain_and_the_source);

/// A slug is looked up along the request's chain in one statement, the chain's first locale that
/// has it winning; the versions the lookup reads with the row carry their editing times as stored.
async fn slugs_resolve_along_the_chain_in_order(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let db = &app.db;
    let ids: Vec<i32> = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT DISTINCT f.item_id AS id FROM resource_translations f JOIN resource_translations e \
             ON e.item_id = f.item_id AND e.locale = 'en' AND e.version = 'live' AND e.status = 'published' \
             WHERE f.locale = 'fr' AND f.version = 'live' AND f.status = 'published' ORDER BY f.item_id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "id").unwrap())
        .collect();
    assert!(ids.len() >= 2, "two resources in French and English: {ids:?}");
    let (a, b) = (ids[0], ids[1]);
    // The same slug: A's French version, B's English one.
    for (item, locale) in [(a, "fr"), (b, "en")] {
        db.execute_unprepared(&format!(
            "UPDATE resource_translations SET slug = 'shared-slug' WHERE item_id = {item} AND locale = '{locale}'"
        ))
        .await
        .unwrap();
    }
    let q = r#"query($l: String) { resource(slug: "shared-slug", locale: $l) {
        id locale translations { locale updatedAt } } }"#;
    let found = |l: &'static str| {
        let app = &app;
        async move { app.data(q, json!({ "l": l })).await["resource"].clone() }
    };
    let row_id =
        |r: &serde_json::Value| chorus_tests::chorus::graphql::ids::decode(r["id"].as_str().unwrap()).unwrap().1;
    let fr = found("fr").await;
    assert_eq!((row_id(&fr), fr["locale"].as_str()), (a, Some("fr")), "French first for a French reader: {fr}");
    let en = found("en").await;
    assert_eq!((row_id(&en), en["locale"].as_str()), (b, Some("en")), "{en}");
    // Spanish readers fall back to English: B's English slug, not A's French one.
    assert_eq!(row_id(&found("es").await), b);
    // Every version's time, read as JSON with the row, is the time the database holds.
    let stored = chorus_tests::chorus::content::load::translations(
        db,
        chorus_tests::chorus::content::ContentType::Resource,
        &[a],
        &["en".into(), "fr".into(), "es".into(), "ru".into(), "zh-Hans".into()],
        chorus_tests::chorus::content::Visibility::Public,
    )
    .await
    .unwrap();
    let listed = fr["translations"].as_array().unwrap();
    assert_eq!(listed.len(), stored[&a].len(), "{fr}");
    for t in &stored[&a] {
        let got = listed.iter().find(|l| l["locale"] == t.locale.as_str()).unwrap();
        let got: chrono::DateTime<chrono::Utc> = got["updatedAt"].as_str().unwrap().parse().unwrap();
        assert_eq!(got, t.updated_at, "{}", t.locale);
    }
    app.stop().await;
}
backend_test!(slugs_resolve_along_the_chain_in_order);
