//! Full-text search through the real API: languages, grouping and fallback, facets, filters,
//! highlighting, drafts, unpublishing, hostile input, paging, and two processes on one database.

use std::time::Duration;

use chorus_entities::Role;
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use serde_json::{Value, json};

use crate::first_code;

const SEARCH: &str = r#"query($q: String!, $l: String, $ls: [String!], $f: SearchFilter, $first: Int, $after: String) {
  search(query: $q, locale: $l, locales: $ls, filter: $f, first: $first, after: $after,
         facets: [TYPE, KIND, REGION, TOPIC, LANGUAGE, YEAR]) {
    total allWordsMatched didYouMean
    pageInfo { hasNextPage endCursor }
    hits { locale isFallback titleHtml snippetHtml matchedLocales alsoAvailableIn cursor
           item { __typename ... on Resource { id title locale } } }
    facets { facet buckets { value count label } }
  }
}"#;

const DRAFTS: &str = r#"query($q: String!) { searchDrafts(query: $q) { total hits { locale titleHtml } } }"#;

/// Test servers run without the indexer unless asked (see `test_config`).
fn with_search(config: &mut chorus_tests::chorus::config::Config) {
    config.search.refresh_interval_ms = 100;
}

/// Creates a resource with one published (or draft) version per (locale, title, summary, body).
async fn resource(
    app: &TestApp,
    token: &str,
    kind: &str,
    versions: &[(&str, &str, &str, &str)],
    publish: bool,
) -> String {
    let (source, title, summary, body) = versions[0];
    let create = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let input = json!({ "kind": kind, "publishedOn": "2025-06-01", "sourceLocale": source, "regions": ["africa"],
        "topics": ["violence"], "text": { "title": title, "summary": summary, "body": body } });
    let created = app.gql_as(token, create, json!({ "i": input })).await;
    let id = created["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let save = "mutation($id: ID!, $l: String!, $i: TranslationInput!) { saveTranslation(id: $id, locale: $l, input: $i) { locale } }";
    for (locale, title, summary, body) in &versions[1..] {
        let r = app
            .gql_as(
                token,
                save,
                json!({ "id": id, "l": locale, "i": { "title": title, "summary": summary, "body": body } }),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    if publish {
        for (locale, ..) in versions {
            publish_version(app, token, &id, locale).await;
        }
    }
    id
}

async fn publish_version(app: &TestApp, token: &str, id: &str, locale: &str) {
    let status =
        "mutation($id: ID!, $l: String!) { setTranslationStatus(id: $id, locale: $l, status: PUBLISHED) { live } }";
    let r = app.gql_as(token, status, json!({ "id": id, "l": locale })).await;
    assert_eq!(r["data"]["setTranslationStatus"]["live"], true, "{r}");
}

async fn search(app: &TestApp, variables: Value) -> Value {
    let r = app.gql(SEARCH, variables).await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["search"].clone()
}

/// Polls a search until `done` holds (the index follows the database asynchronously).
async fn until(app: &TestApp, variables: Value, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        let r = app.gql(SEARCH, variables.clone()).await;
        if r["errors"].is_null() {
            last = r["data"]["search"].clone();
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("search never reached the expected state; last: {last}");
}

fn titles(result: &Value) -> Vec<String> {
    result["hits"].as_array().unwrap().iter().map(|h| h["item"]["title"].as_str().unwrap_or("").to_owned()).collect()
}

fn bucket(result: &Value, facet: &str, value: &str) -> i64 {
    result["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["facet"] == facet)
        .and_then(|f| f["buckets"].as_array().unwrap().iter().find(|b| b["value"] == value))
        .map_or(0, |b| b["count"].as_i64().unwrap())
}

async fn readers_language_grouping_facets_and_highlights(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    let token = app.sign_in(Role::Editor, &[]).await;
    let both = resource(
        &app,
        &token,
        "REPORT",
        &[
            (
                "en",
                "Zephyrine report on violence against sex workers",
                "Tom & Jerry <script>alert(1)</script> zephyrine",
                "<p>How the fund helps.</p>",
            ),
            (
                "fr",
                "Rapport Zéphyrine sur les violences envers les travailleur·se·s du sexe",
                "Résumé zéphyrine",
                "<p>L'accès aux droits.</p>",
            ),
        ],
        true,
    )
    .await;
    let spanish =
        resource(&app, &token, "GUIDE", &[("es", "Guía Zephyrine sobre la violencia", "Solo en español", "")], true)
            .await;

    // A French reader: the French version of the report, the Spanish-only guide marked.
    let r = until(&app, json!({ "q": "zephyrine", "l": "fr" }), |r| r["total"] == 2).await;
    let report = r["hits"].as_array().unwrap().iter().find(|h| h["item"]["id"] == both.as_str()).expect("the report");
    assert_eq!(report["locale"], "fr");
    assert_eq!(report["isFallback"], false);
    assert_eq!(report["item"]["locale"], "fr", "the item is served in the hit's language");
    assert_eq!(report["alsoAvailableIn"], json!(["en"]));
    assert_eq!(report["matchedLocales"], json!(["en", "fr"]));
    let guide = r["hits"].as_array().unwrap().iter().find(|h| h["item"]["id"] == spanish.as_str()).expect("the guide");
    assert_eq!((guide["locale"].as_str(), guide["isFallback"].as_bool()), (Some("es"), Some(true)));
    assert_eq!(bucket(&r, "LANGUAGE", "en"), 1);
    assert_eq!(bucket(&r, "LANGUAGE", "fr"), 1);
    assert_eq!(bucket(&r, "LANGUAGE", "es"), 1);
    assert_eq!(bucket(&r, "KIND", "REPORT"), 1);
    assert_eq!(bucket(&r, "KIND", "GUIDE"), 1);
    assert_eq!(bucket(&r, "TYPE", "RESOURCE"), 2);
    assert_eq!(bucket(&r, "REGION", "africa"), 2);
    assert_eq!(bucket(&r, "YEAR", "2025"), 2);
    // Every bucket is labelled for the French reader: kinds and types in French, languages by
    // their own names.
    let label = |r: &Value, facet: &str, value: &str| -> String {
        let f = r["facets"].as_array().unwrap().iter().find(|f| f["facet"] == facet).unwrap();
        let b = f["buckets"].as_array().unwrap().iter().find(|b| b["value"] == value).unwrap();
        b["label"].as_str().unwrap_or_else(|| panic!("{facet} {value} has no label")).to_owned()
    };
    for f in r["facets"].as_array().unwrap() {
        for b in f["buckets"].as_array().unwrap() {
            assert!(b["label"].as_str().is_some_and(|l| !l.is_empty()), "{f}");
        }
    }
    assert_eq!(label(&r, "KIND", "REPORT"), "Rapport");
    assert_eq!(label(&r, "TYPE", "RESOURCE"), "Ressource");
    assert_eq!(label(&r, "LANGUAGE", "es"), "Español");
    let r = search(&app, json!({ "q": "zephyrine", "l": "en" })).await;
    assert_eq!(label(&r, "KIND", "GUIDE"), "Guide");
    assert_eq!(label(&r, "LANGUAGE", "fr"), "Français");

    // Inclusive forms and stemming, highlighted.
    let r = search(&app, json!({ "q": "travailleuses du sexe violence", "l": "fr", "first": 50 })).await;
    let hit = r["hits"].as_array().unwrap().iter().find(|h| h["item"]["id"] == both.as_str()).expect("the report");
    let html = hit["titleHtml"].as_str().unwrap();
    assert!(html.contains("<mark>violences</mark>") && html.contains("<mark>travailleur·se·s</mark>"), "{html}");
    // Snippets escape the text they show.
    let r = search(&app, json!({ "q": "jerry", "l": "en" })).await;
    let snippet = r["hits"][0]["snippetHtml"].as_str().unwrap();
    assert!(
        snippet.contains("&lt;script&gt;") && !snippet.contains("<script>") && snippet.contains("&amp;"),
        "{snippet}"
    );
    assert!(snippet.contains("<mark>Jerry</mark>"), "{snippet}");
    // Typos and "did you mean".
    assert_eq!(search(&app, json!({ "q": "zepyrine ", "l": "en" })).await["total"], 2);
    let r = search(&app, json!({ "q": "fnud", "l": "en" })).await;
    assert_eq!((r["total"].as_i64(), r["didYouMean"].as_str()), (Some(0), Some("fund")), "{r}");
    // Filters, languages and paging.
    let r = search(&app, json!({ "q": "zephyrine", "f": { "resourceKinds": ["GUIDE"] } })).await;
    assert_eq!(titles(&r), ["Guía Zephyrine sobre la violencia"]);
    let r = search(&app, json!({ "q": "zephyrine", "ls": ["es"] })).await;
    assert_eq!(r["total"], 1);
    let bad = app.gql(SEARCH, json!({ "q": "x", "ls": ["xx-invalid-"] })).await;
    assert_eq!(first_code(&bad), "BAD_USER_INPUT");
    let page = search(&app, json!({ "q": "zephyrine", "first": 1 })).await;
    assert_eq!((page["hits"].as_array().unwrap().len(), page["pageInfo"]["hasNextPage"].as_bool()), (1, Some(true)));
    let next = search(&app, json!({ "q": "zephyrine", "first": 1, "after": page["pageInfo"]["endCursor"] })).await;
    assert_eq!(next["hits"].as_array().unwrap().len(), 1);
    assert_eq!(next["pageInfo"]["hasNextPage"], false);
    assert_ne!(next["hits"][0]["item"]["id"], page["hits"][0]["item"]["id"]);
    assert_eq!(first_code(&app.gql(SEARCH, json!({ "q": "x", "after": "garbage" })).await), "BAD_USER_INPUT");
    assert_eq!(first_code(&app.gql(SEARCH, json!({ "q": "x", "first": 1000 })).await), "BAD_USER_INPUT");
}
backend_test!(readers_language_grouping_facets_and_highlights);

async fn drafts_stay_private_and_unpublishing_removes_at_once(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    let token = app.sign_in(Role::Editor, &[]).await;
    let id = resource(&app, &token, "REPORT", &[("en", "Quillwort policy draft", "Not public yet", "")], false).await;
    // Wait until the drafts index has it; the public index never does.
    let mut found = Value::Null;
    for _ in 0..300 {
        found = app.gql_as(&token, DRAFTS, json!({ "q": "quillwort" })).await;
        if found["data"]["searchDrafts"]["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found["data"]["searchDrafts"]["total"], 1, "{found}");
    assert_eq!(search(&app, json!({ "q": "quillwort" })).await["total"], 0);
    assert_eq!(first_code(&app.gql(DRAFTS, json!({ "q": "quillwort" })).await), "UNAUTHENTICATED");

    // The empty answer above is in the index's result cache: the commit that indexes the
    // publication must empty it.
    publish_version(&app, &token, &id, "en").await;
    until(&app, json!({ "q": "quillwort" }), |r| r["total"] == 1).await;
    let unpublish = "mutation($id: ID!) { unpublishTranslation(id: $id, locale: \"en\") { live } }";
    app.gql_as(&token, unpublish, json!({ "id": id })).await;
    // Gone from the index before the mutation returned: no title, snippet or count is left.
    let r = search(&app, json!({ "q": "quillwort" })).await;
    assert_eq!(r["total"], 0, "{r}");
    assert!(r["hits"].as_array().unwrap().is_empty(), "{r}");
    let drafts = app.gql_as(&token, DRAFTS, json!({ "q": "quillwort" })).await;
    assert_eq!(drafts["data"]["searchDrafts"]["total"], 1, "still a working copy: {drafts}");
}
backend_test!(drafts_stay_private_and_unpublishing_removes_at_once);

async fn hostile_queries_are_just_text(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    until(&app, json!({ "q": "" }), |r| r["total"].as_i64().unwrap_or(0) > 50).await;
    let long = "violence ".repeat(1112); // 10,008 characters
    let control: String = (0u8..32).map(char::from).collect();
    for q in [
        "\"",
        "*",
        "(",
        ")",
        "field:x",
        "title_en:fund",
        "a AND (b OR NOT c)",
        "\"unclosed",
        "''",
        "+-~^:!{}[]",
        "\\",
        &long,
        &control,
        "ﷺ\u{202e}\u{feff}",
    ] {
        let r = app.gql(SEARCH, json!({ "q": q })).await;
        assert!(r["errors"].is_null(), "{q:?}: {r}");
    }
    // The demo's user story: French, Russian, Chinese, a typo.
    let r = search(&app, json!({ "q": "travailleuses du sexe violence", "l": "fr" })).await;
    assert!(r["total"].as_i64().unwrap() >= 3, "{r}");
    assert!(r["hits"].as_array().unwrap().iter().all(|h| h["locale"] == "fr"), "{r}");
    assert!(search(&app, json!({ "q": "насилия", "l": "ru" })).await["total"].as_i64().unwrap() >= 1);
    assert!(search(&app, json!({ "q": "性工作者", "l": "zh-Hans" })).await["total"].as_i64().unwrap() >= 1);
    let r = search(&app, json!({ "q": "Glbal Fund", "l": "en" })).await;
    assert!(r["hits"][0]["titleHtml"].as_str().unwrap().contains("<mark>Global</mark> <mark>Fund</mark>"), "{r}");
}
backend_test!(hostile_queries_are_just_text);

async fn each_process_keeps_its_own_index(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    let other = app.sibling(|_| {}).await;
    let token = app.sign_in(Role::Editor, &[]).await;
    resource(&app, &token, "REPORT", &[("en", "Marram grass in two processes", "", "")], true).await;
    let r = until(&other, json!({ "q": "marram" }), |r| r["total"] == 1).await;
    assert_eq!(titles(&r), ["Marram grass in two processes"]);
    other.stop().await;
}
backend_test!(each_process_keeps_its_own_index);

/// A change-log number that never commits (a rolled-back or killed write) holds back nothing:
/// with more than a batch of changes past such a gap, a takedown made in one process leaves
/// that process's search before the mutation returns and another process's in a moment.
async fn takedowns_leave_search_at_once_past_gaps(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    let other = app.sibling(|_| {}).await;
    let token = app.sign_in(Role::Editor, &[]).await;
    let id = resource(&app, &token, "REPORT", &[("en", "Samphire outreach notes", "", "")], true).await;
    until(&app, json!({ "q": "samphire" }), |r| r["total"] == 1).await;
    until(&other, json!({ "q": "samphire" }), |r| r["total"] == 1).await;

    // Five numbers that will never commit, then 1,100 changes past them.
    let db = &app.db;
    match backend {
        Backend::Postgres => {
            for _ in 0..5 {
                db.execute_unprepared("SELECT nextval(pg_get_serial_sequence('change_log', 'seq'))").await.unwrap();
            }
        }
        Backend::Sqlite => {
            db.execute_unprepared("UPDATE sqlite_sequence SET seq = seq + 5 WHERE name = 'change_log'").await.unwrap();
        }
    }
    let now = chrono::Utc::now().to_rfc3339();
    let rows: Vec<String> = (0..1100).map(|i| format!("('filler', {i}, NULL, 'updated', '{now}')")).collect();
    db.execute_unprepared(&format!(
        "INSERT INTO change_log (entity, entity_id, locale, operation, at) VALUES {}",
        rows.join(",")
    ))
    .await
    .unwrap();

    let unpublish = "mutation($id: ID!) { unpublishTranslation(id: $id, locale: \"en\") { live } }";
    let r = app.gql_as(&token, unpublish, json!({ "id": id })).await;
    assert_eq!(r["data"]["unpublishTranslation"]["live"], false, "{r}");
    let r = search(&app, json!({ "q": "samphire" })).await;
    assert_eq!(r["total"], 0, "this process: gone before the mutation returned: {r}");
    // Well within the 60 s a gap was once waited for (2 s on a quiet machine; the bound leaves
    // room for a loaded one).
    let started = std::time::Instant::now();
    until(&other, json!({ "q": "samphire" }), |r| r["total"] == 0).await;
    assert!(started.elapsed() < Duration::from_secs(10), "other process: {:?}", started.elapsed());

    // A publication past the gap shows up as quickly, and a deletion leaves at once.
    publish_version(&app, &token, &id, "en").await;
    until(&other, json!({ "q": "samphire" }), |r| r["total"] == 1).await;
    until(&app, json!({ "q": "samphire" }), |r| r["total"] == 1).await;
    let delete = "mutation($id: ID!) { deleteItem(id: $id) }";
    let r = app.gql_as(&token, delete, json!({ "id": id })).await;
    assert!(r["errors"].is_null(), "{r}");
    assert_eq!(search(&app, json!({ "q": "samphire" })).await["total"], 0);
    until(&other, json!({ "q": "samphire" }), |r| r["total"] == 0).await;
    other.stop().await;
}
backend_test!(takedowns_leave_search_at_once_past_gaps);

/// Readers' questions in unspaced scripts find what their words find: a word that no document
/// has (什么, 哪里) never empties the result, and the answer says not every word matched.
async fn questions_without_spaces_find_something(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    until(&app, json!({ "q": "" }), |r| r["total"].as_i64().unwrap_or(0) > 50).await;
    for (words, question) in
        [("全球基金", "全球基金是什么？"), ("性工作者", "性工作者的权利是什么"), ("性工作者", "哪里有性工作者的报告?")]
    {
        let alone = search(&app, json!({ "q": words, "l": "zh-Hans" })).await;
        assert!(alone["total"].as_i64().unwrap() >= 1, "{words}: {alone}");
        let asked = search(&app, json!({ "q": question, "l": "zh-Hans" })).await;
        assert!(asked["total"].as_i64().unwrap() >= 1, "{question}: {asked}");
        assert_eq!(asked["allWordsMatched"], false, "{question}: {asked}");
        // What the words alone find comes first among the question's hits.
        assert_eq!(asked["hits"][0]["item"]["id"], alone["hits"][0]["item"]["id"], "{question}: {asked}");
    }
    let nothing = search(&app, json!({ "q": "qqqzzzxx" })).await;
    assert_eq!((nothing["total"].as_i64(), &nothing["allWordsMatched"]), (Some(0), &json!(false)), "{nothing}");
}
backend_test!(questions_without_spaces_find_something);

/// Long questions keep their content words wherever they stand (the eleventh word and past), and
/// rank by what they share with a text, not by whether a text has every word.
async fn long_questions_find_their_words(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    let token = app.sign_in(Role::Editor, &[]).await;
    let eiffel = resource(&app, &token, "REPORT", &[("en", "The Eiffel Tower stands in Paris.", "", "")], true).await;
    let moscow = resource(
        &app,
        &token,
        "REPORT",
        &[("ru", "Права секс-работников в Восточной Европе", "Обзор законов и практики полиции.", "")],
        true,
    )
    .await;
    until(&app, json!({ "q": "Eiffel" }), |r| r["total"] == 1).await;
    let titled = |r: &Value| r["hits"].as_array().is_some_and(|h| h.iter().any(|h| h["item"]["id"] == json!(moscow)));
    until(&app, json!({ "q": "Права секс-работников в Восточной Европе", "l": "ru" }), titled).await;
    let asked =
        search(&app, json!({ "q": "What is the name of the city where the famous Eiffel Tower stands?", "l": "en" }))
            .await;
    assert_eq!(asked["hits"][0]["item"]["id"], json!(eiffel), "{asked}");
    assert_eq!(asked["allWordsMatched"], false, "no text has every word: {asked}");
    assert!(asked["hits"][0]["titleHtml"].as_str().unwrap().contains("<mark>Eiffel</mark>"), "{asked}");
    // A paragraph pasted as the query, its useful words at the end.
    let pasted =
        format!("{} Eiffel Tower", "I would like to know, if it is at all possible for you to tell me, ".repeat(4));
    let r = search(&app, json!({ "q": pasted, "l": "en" })).await;
    assert_eq!(r["hits"][0]["item"]["id"], json!(eiffel), "{r}");
    // A Russian question, words in other grammatical cases than the title's: found among the
    // first hits (the demo's network "for the rights of sex workers", a short title with three
    // of the words, is as good an answer and may come first).
    let r =
        search(&app, json!({ "q": "Какие права есть у секс-работников в странах Восточной Европы?", "l": "ru" })).await;
    let top3: Vec<&Value> = r["hits"].as_array().unwrap().iter().take(3).map(|h| &h["item"]["id"]).collect();
    assert!(top3.contains(&&json!(moscow)), "{r}");
    // Text stored decomposed (pasted from a system that writes e + U+0301) is found by the
    // composed word a reader types, and the reverse.
    let nfd =
        resource(&app, &token, "REPORT", &[("fr", "Le de\u{301}veloppement des re\u{301}seaux", "", "")], true).await;
    let found = |r: &Value| r["hits"].as_array().is_some_and(|h| h.iter().any(|h| h["item"]["id"] == json!(nfd)));
    until(&app, json!({ "q": "développement réseaux", "l": "fr" }), found).await;
    let r = search(&app, json!({ "q": "re\u{301}seau", "l": "fr" })).await;
    assert!(found(&r), "{r}");
    // Keywords that one text has all of still rank it first, and say so.
    let r = search(&app, json!({ "q": "Eiffel Paris", "l": "en" })).await;
    assert_eq!((r["hits"][0]["item"]["id"].clone(), r["allWordsMatched"].clone()), (json!(eiffel), json!(true)), "{r}");
}
backend_test!(long_questions_find_their_words);

const FACETS: &str = r#"query($q: String!) { search(query: $q, facets: [ORGANIZATION, PROGRAMME]) {
  total facets { facet buckets { value count label } } } }"#;

async fn facets_name_only_public_organisations_and_programmes(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_search).await else { return };
    let token = app.sign_in(Role::Editor, &[]).await;
    let created = |query: &'static str, input: Value| {
        let app = &app;
        let token = &token;
        async move {
            let r = app.gql_as(token, query, json!({ "i": input })).await;
            r["data"]
                .as_object()
                .and_then(|d| d.values().next())
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned()
        }
    };
    let org = "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) }";
    let org_input =
        |title: &str| json!({ "kind": "MEMBER_ORGANIZATION", "sourceLocale": "en", "text": { "title": title } });
    let hidden_org = created(org, org_input("Unannounced coalition")).await;
    let shown_org = created(org, org_input("Announced coalition")).await;
    publish_version(&app, &token, &shown_org, "en").await;
    let prog = "mutation($i: CreateProgrammeInput!) { createProgramme(input: $i) }";
    let hidden_prog =
        created(prog, json!({ "startYear": 2025, "sourceLocale": "en", "text": { "title": "Unannounced programme" } }))
            .await;
    let res = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let resource = created(
        res,
        json!({ "kind": "REPORT", "publishedOn": "2025-06-01", "sourceLocale": "en",
        "organizations": [{ "id": hidden_org, "role": "AUTHOR" }, { "id": shown_org, "role": "PUBLISHER" }],
        "programme": hidden_prog, "text": { "title": "Zanthoxylum outreach report" } }),
    )
    .await;
    publish_version(&app, &token, &resource, "en").await;

    let facets = |r: &Value| {
        r["data"]["search"]["facets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                f["buckets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| (f["facet"].as_str().unwrap().to_owned(), b["value"].as_str().unwrap().to_owned()))
            })
            .collect::<Vec<_>>()
    };
    let mut found = Value::Null;
    for _ in 0..300 {
        found = app.gql(FACETS, json!({ "q": "zanthoxylum" })).await;
        if found["data"]["search"]["total"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found["data"]["search"]["total"], 1, "{found}");
    assert_eq!(
        facets(&found),
        [("ORGANIZATION".to_owned(), shown_org.clone())],
        "only the published organisation, no programme: {found}"
    );
    // Labelled by its title in the reader's language.
    assert_eq!(found["data"]["search"]["facets"][0]["buckets"][0]["label"], "Announced coalition", "{found}");
    // Filtering on them tells nothing either: an unpublished one filters like no item at all.
    let total = |f: Value| {
        let app = &app;
        async move { search(app, json!({ "q": "zanthoxylum", "f": f })).await["total"].as_i64().unwrap() }
    };
    assert_eq!(total(json!({ "organizations": [hidden_org] })).await, 0);
    assert_eq!(total(json!({ "programmes": [hidden_prog] })).await, 0);
    assert_eq!(total(json!({ "organizations": [shown_org] })).await, 1);
    assert_eq!(total(json!({ "organizations": [hidden_org, shown_org] })).await, 1);

    // Publishing them is what makes them show.
    publish_version(&app, &token, &hidden_org, "en").await;
    publish_version(&app, &token, &hidden_prog, "en").await;
    let found = app.gql(FACETS, json!({ "q": "zanthoxylum" })).await;
    let mut shown = facets(&found);
    shown.sort();
    let mut expected = vec![
        ("ORGANIZATION".to_owned(), hidden_org.clone()),
        ("ORGANIZATION".to_owned(), shown_org.clone()),
        ("PROGRAMME".to_owned(), hidden_prog.clone()),
    ];
    expected.sort();
    assert_eq!(shown, expected, "{found}");
    assert_eq!(total(json!({ "organizations": [hidden_org] })).await, 1);
    assert_eq!(total(json!({ "programmes": [hidden_prog] })).await, 1);
    app.stop().await;
}
backend_test!(facets_name_only_public_organisations_and_programmes);
