//! Lists: every filter, cursor paging both ways, ordering, statement counts, node lookups.

use std::collections::HashSet;

use chorus_tests::chorus::content::text::sort_key;
use chorus_tests::chorus::content::{ContentType, Visibility, query};
use chorus_tests::chorus::locale::Locales;
use chorus_tests::{Backend, TestApp, backend_test, spawn, spawn_with};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{first_code, nodes};

const RESOURCE_FIELDS: &str = "id title locale kind publishedOn regions { code } countries { code } topics { code } \
     organizations { id acronym } programme { id } availableLocales";

async fn resources(app: &TestApp, args: &str) -> (i64, Vec<Value>) {
    let q = format!("{{ resources(first: 100, {args}) {{ totalCount edges {{ node {{ {RESOURCE_FIELDS} }} }} }} }}");
    let d = app.data(&q, json!({})).await;
    (d["resources"]["totalCount"].as_i64().unwrap(), nodes(&d["resources"]))
}

fn codes(node: &Value, field: &str) -> Vec<String> {
    node[field].as_array().unwrap().iter().map(|v| v["code"].as_str().unwrap().to_owned()).collect()
}

async fn resource_filters(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let (total, all) = resources(&app, "").await;
    assert!(total >= 70, "demo has many resources: {total}");
    assert_eq!(all.len() as i64, total.min(100));

    // Give one resource a country so the country filter has something to find.
    app.db
        .execute_unprepared(
            "INSERT INTO resource_terms (resource_id, term_id) SELECT r.item_id, t.id FROM resource_translations r, terms t \
             WHERE r.slug = 'sex-worker-implementation-tool-swit' AND r.version = 'live' AND t.taxonomy = 'country' AND t.code = 'KE'",
        )
        .await
        .unwrap();

    let check = |name: &str, (n, items): (i64, Vec<Value>), pred: &dyn Fn(&Value) -> bool| {
        assert!(n > 0 && n < total, "{name}: {n} of {total}");
        assert_eq!(n as usize, items.len(), "{name}: totalCount matches the page");
        assert!(items.iter().all(pred), "{name}: every item matches");
    };
    check("kinds", resources(&app, "filter: { kinds: [REPORT, GUIDE] }").await, &|n| {
        n["kind"] == "REPORT" || n["kind"] == "GUIDE"
    });
    check("regions", resources(&app, r#"filter: { regions: ["africa", "asia-pacific"] }"#).await, &|n| {
        codes(n, "regions").iter().any(|c| c == "africa" || c == "asia-pacific")
    });
    check("countries", resources(&app, r#"filter: { countries: ["ke"] }"#).await, &|n| codes(n, "countries") == ["KE"]);
    check("topics", resources(&app, r#"filter: { topics: ["gender"] }"#).await, &|n| {
        codes(n, "topics").contains(&"gender".to_owned())
    });
    check("availableIn", resources(&app, r#"filter: { availableIn: ["ru"] }"#).await, &|n| {
        n["availableLocales"].as_array().unwrap().contains(&json!("ru"))
    });
    check(
        "date range",
        resources(&app, r#"filter: { publishedFrom: "2016-01-01", publishedTo: "2016-12-31" }"#).await,
        &|n| n["publishedOn"].as_str().unwrap().starts_with("2016"),
    );
    check(
        "combined (AND)",
        resources(&app, r#"filter: { kinds: [REPORT], availableIn: ["fr"], publishedTo: "2016-06-30" }"#).await,
        &|n| n["kind"] == "REPORT" && n["publishedOn"].as_str().unwrap() <= "2016-06-30",
    );

    // Organisation and programme filters take ids from the API.
    let d = app
        .data(
            r#"{ organizations(filter: { kinds: [REGIONAL_NETWORK] }) { edges { node { id acronym } } } }"#,
            json!({}),
        )
        .await;
    let aswa = nodes(&d["organizations"]).into_iter().find(|o| o["acronym"] == "ASWA").unwrap();
    let aswa_id = aswa["id"].as_str().unwrap().to_owned();
    check("organizations", resources(&app, &format!(r#"filter: {{ organizations: ["{aswa_id}"] }}"#)).await, &|n| {
        n["organizations"].as_array().unwrap().iter().any(|o| o["id"] == aswa_id.as_str())
    });
    let d = app.data(r#"{ programmes { edges { node { id startYear } } } }"#, json!({})).await;
    let programme = nodes(&d["programmes"]).into_iter().find(|p| p["startYear"] == 2015).unwrap();
    let pid = programme["id"].as_str().unwrap().to_owned();
    check("programme", resources(&app, &format!(r#"filter: {{ programme: "{pid}" }}"#)).await, &|n| {
        n["programme"]["id"] == pid.as_str()
    });
    // A resource id where an organisation id is expected is refused.
    let body = app
        .gql(&format!(r#"{{ resources(filter: {{ organizations: ["{pid}"] }}) {{ totalCount }} }}"#), json!({}))
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    // Unknown codes match nothing, without error.
    let (n, _) = resources(&app, r#"filter: { topics: ["no-such-topic"] }"#).await;
    assert_eq!(n, 0);
    app.stop().await;
}
backend_test!(resource_filters);

async fn other_type_filters(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let gp = |args: &'static str| {
        let app = &app;
        async move {
            let q = format!(
                "{{ goodPractices(first: 100, {args}) {{ totalCount edges {{ node {{ year country {{ code }} region {{ code }} organization {{ acronym }} topics {{ code }} }} }} }} }}"
            );
            let d = app.data(&q, json!({})).await;
            (d["goodPractices"]["totalCount"].as_i64().unwrap(), nodes(&d["goodPractices"]))
        }
    };
    let (total, _) = gp("").await;
    assert!(total >= 8);
    let (n, items) = gp(r#"filter: { countries: ["KE", "TH"] }"#).await;
    assert!(n >= 2 && items.iter().all(|i| ["KE", "TH"].contains(&i["country"]["code"].as_str().unwrap())));
    let (n, items) = gp(r#"filter: { regions: ["caribbean"] }"#).await;
    assert!(n >= 1 && n < total && items.iter().all(|i| i["region"]["code"] == "caribbean"));
    let (n, items) = gp(r#"filter: { topics: ["violence"] }"#).await;
    assert!(n >= 1 && n < total && items.iter().all(|i| codes(i, "topics").contains(&"violence".to_owned())));
    let (n, items) = gp(r#"filter: { yearFrom: 2017, yearTo: 2018 }"#).await;
    assert!(n >= 1 && items.iter().all(|i| (2017..=2018).contains(&i["year"].as_i64().unwrap())));
    let years: Vec<i64> = gp("").await.1.iter().map(|i| i["year"].as_i64().unwrap()).collect();
    assert!(years.windows(2).all(|w| w[0] >= w[1]), "newest first by default: {years:?}");

    // Organisations: kinds and parent; members and parent links.
    let d = app
        .data(r#"{ organizations(filter: { kinds: [GLOBAL_NETWORK] }) { edges { node { id acronym members { acronym parent { acronym } } } } } }"#, json!({}))
        .await;
    let nswp = &nodes(&d["organizations"])[0];
    assert_eq!(nswp["acronym"], "NSWP");
    let members: HashSet<&str> =
        nswp["members"].as_array().unwrap().iter().map(|m| m["acronym"].as_str().unwrap()).collect();
    assert_eq!(members, HashSet::from(["APNSW", "ASWA", "CSWC", "ICRSE", "SWAN", "PLAPERTS"]));
    assert!(nswp["members"].as_array().unwrap().iter().all(|m| m["parent"]["acronym"] == "NSWP"));
    let q =
        format!(r#"{{ organizations(filter: {{ parent: "{}" }}) {{ totalCount }} }}"#, nswp["id"].as_str().unwrap());
    assert_eq!(app.data(&q, json!({})).await["organizations"]["totalCount"], 6);
    let d = app
        .data(r#"{ organizations(filter: { regions: ["africa"] }) { edges { node { acronym } } } }"#, json!({}))
        .await;
    assert_eq!(nodes(&d["organizations"]).iter().map(|o| o["acronym"].clone()).collect::<Vec<_>>(), [json!("ASWA")]);

    // Programmes: funders and years.
    let d = app
        .data(r#"{ organizations(filter: { kinds: [FUNDER] }) { edges { node { id acronym title } } } }"#, json!({}))
        .await;
    let funders = nodes(&d["organizations"]);
    assert_eq!(funders.len(), 2);
    let gf = funders.iter().find(|f| f["title"].as_str().unwrap().contains("Global Fund")).expect("the Global Fund");
    let q = format!(
        r#"{{ programmes(filter: {{ funders: ["{}"] }}) {{ edges {{ node {{ startYear funders {{ title }} resources(first: 3) {{ totalCount edges {{ node {{ title }} }} }} }} }} }} }}"#,
        gf["id"].as_str().unwrap()
    );
    let programmes = nodes(&app.data(&q, json!({})).await["programmes"]);
    assert_eq!(programmes.len(), 1);
    assert_eq!(programmes[0]["startYear"], 2015);
    assert!(programmes[0]["resources"]["totalCount"].as_i64().unwrap() >= 5);
    assert_eq!(programmes[0]["resources"]["edges"].as_array().unwrap().len(), 3);
    let q = r#"{ programmes(filter: { activeIn: 2014 }) { edges { node { startYear } } } }"#;
    assert_eq!(nodes(&app.data(q, json!({})).await["programmes"]).len(), 1);
    app.stop().await;
}
backend_test!(other_type_filters);

/// Walks a whole list forwards then backwards with small pages.
async fn walk(app: &TestApp, order: &str, locale: &str) -> (Vec<String>, Vec<String>, i64) {
    let fwd = format!(
        r#"query($after: String) {{ resources(first: 7, after: $after, orderBy: {order}, locale: "{locale}") {{
            totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ id title }} }} }} }}"#
    );
    let mut ids = Vec::new();
    let mut titles = Vec::new();
    let mut after = Value::Null;
    let mut total: i64;
    loop {
        let d = app.data(&fwd, json!({ "after": after })).await;
        let c = &d["resources"];
        total = c["totalCount"].as_i64().unwrap();
        assert_eq!(c["pageInfo"]["hasPreviousPage"], !after.is_null());
        for e in c["edges"].as_array().unwrap() {
            ids.push(e["node"]["id"].as_str().unwrap().to_owned());
            titles.push(e["node"]["title"].as_str().unwrap().to_owned());
        }
        if c["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = c["pageInfo"]["endCursor"].clone();
    }
    let back = format!(
        r#"query($before: String) {{ resources(last: 5, before: $before, orderBy: {order}, locale: "{locale}") {{
            pageInfo {{ hasPreviousPage startCursor }} edges {{ node {{ id }} }} }} }}"#
    );
    let mut back_ids: Vec<String> = Vec::new();
    let mut before = Value::Null;
    loop {
        let d = app.data(&back, json!({ "before": before })).await;
        let c = &d["resources"];
        let page: Vec<String> = nodes(c).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
        back_ids.splice(0..0, page);
        if c["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = c["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(titles.len(), ids.len());
    (ids, back_ids, total)
}

async fn cursor_paging_both_ways(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    for (order, locale) in [
        ("{ field: PUBLISHED_ON }", "en"),
        ("{ field: TITLE }", "fr"),
        ("{ field: TITLE, direction: DESC }", "ru"),
        ("{ field: UPDATED_AT, direction: ASC }", "en"),
    ] {
        let (fwd, back, total) = walk(&app, order, locale).await;
        assert_eq!(fwd.len() as i64, total, "{order}: forward walk sees every item once");
        assert_eq!(fwd.iter().collect::<HashSet<_>>().len(), fwd.len(), "{order}: no duplicates");
        assert_eq!(back, fwd, "{order}: backward walk sees the same order");
    }
    // Title order follows the collation of the served titles.
    let d = app
        .data(
            r#"{ resources(first: 100, orderBy: { field: TITLE }, locale: "fr") { edges { node { title locale } } } }"#,
            json!({}),
        )
        .await;
    let keys: Vec<String> = nodes(&d["resources"])
        .iter()
        .map(|n| sort_key(n["locale"].as_str().unwrap(), n["title"].as_str().unwrap()))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "titles in collation order");

    // Bad page arguments are refused with a code.
    for args in ["first: 101", "first: -1", "first: 2, last: 2", r#"after: "not-a-cursor""#] {
        let body = app.gql(&format!("{{ resources({args}) {{ totalCount }} }}"), json!({})).await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{args}: {body}");
    }
    // A cursor from one ordering is refused by another.
    let d = app.data(r#"{ resources(first: 1) { pageInfo { endCursor } } }"#, json!({})).await;
    let cursor = d["resources"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let body = app
        .gql(
            r#"query($c: String) { resources(after: $c, orderBy: { field: TITLE }) { totalCount } }"#,
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    app.stop().await;
}
backend_test!(cursor_paging_both_ways);

async fn statements_do_not_grow_with_page_size(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let q = r#"query($n: Int) { resources(first: $n) { edges { node { title summary locale
        organizations { title acronym } topics { label } regions { label } countries { label }
        programme { title } } } } }"#;
    // Give every resource an organisation and a programme, so that every page touches every relation.
    for sql in [
        "UPDATE resources SET programme_id = (SELECT MIN(id) FROM programmes)",
        "INSERT INTO resource_organizations (resource_id, organization_id, role) SELECT r.id, (SELECT MIN(id) FROM organizations), 'author' \
         FROM resources r WHERE NOT EXISTS (SELECT 1 FROM resource_organizations x WHERE x.resource_id = r.id)",
    ] {
        app.db.execute_unprepared(sql).await.unwrap();
    }
    let mut counts = Vec::new();
    for n in [2, 5, 20, 60] {
        let before = app.metric("chorus_db_statements_total").await;
        let d = app.data(q, json!({ "n": n })).await;
        assert_eq!(nodes(&d["resources"]).len(), n);
        let after = app.metric("chorus_db_statements_total").await;
        counts.push(after - before);
    }
    assert!(counts.iter().all(|c| *c == counts[0]), "statement counts differ by page size: {counts:?}");
    // The list (with the resources' rows, their term and organisation links and their English
    // versions, the request's chain) and every version of those without one (the newest demo
    // resource is published in French only); terms with their labels, organisations and
    // programmes with their texts come from memory (`content::reference`).
    assert_eq!(counts[0], 2.0, "one statement for the page, one for fallback: {counts:?}");
    // Listing every version (`availableLocales`, `alternates`) reads every version with the
    // page instead of the chain's: one statement in all.
    let every = q.replace("title summary locale", "title summary locale availableLocales alternates { locale slug }");
    for n in [2, 60] {
        let before = app.metric("chorus_db_statements_total").await;
        let d = app.data(&every, json!({ "n": n })).await;
        assert_eq!(nodes(&d["resources"]).len(), n);
        assert!(!d["resources"]["edges"][0]["node"]["availableLocales"].as_array().unwrap().is_empty());
        let after = app.metric("chorus_db_statements_total").await;
        assert_eq!(after - before, 1.0, "with every version, {n} items");
    }
    app.stop().await;
}
backend_test!(statements_do_not_grow_with_page_size);

/// A lookup reads the item's row with its links and the versions of the request's chain in one
/// statement: by id (`resource(id:)` and `node(id:)`) and by slug.
async fn lookups_read_row_and_links_at_once(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let fields = "title summary locale organizations { title acronym } topics { label } regions { label }";
    let d =
        app.data(&format!("{{ resources(first: 20) {{ edges {{ node {{ id slug {fields} }} }} }} }}"), json!({})).await;
    // An English item (the request's chain is English only: no second statement of versions).
    let item = nodes(&d["resources"]).into_iter().find(|n| n["locale"] == "en").expect("an English resource").clone();
    let count = |q: String, vars: Value| {
        let app = &app;
        async move {
            let before = app.metric("chorus_db_statements_total").await;
            let d = app.data(&q, vars).await;
            (app.metric("chorus_db_statements_total").await - before, d)
        }
    };
    let (n, d) =
        count(format!("query($id: ID) {{ resource(id: $id) {{ {fields} }} }}"), json!({ "id": item["id"] })).await;
    assert_eq!(d["resource"]["title"], item["title"]);
    assert_eq!(d["resource"]["organizations"], item["organizations"]);
    assert_eq!(d["resource"]["topics"], item["topics"]);
    assert_eq!(n, 1.0, "resource(id:)");
    let (n, d) = count(
        format!("query($id: ID!) {{ node(id: $id) {{ ... on Resource {{ {fields} }} }} }}"),
        json!({ "id": item["id"] }),
    )
    .await;
    assert_eq!(d["node"]["organizations"], item["organizations"]);
    assert_eq!(d["node"]["regions"], item["regions"]);
    assert_eq!(n, 1.0, "node(id:)");
    let (n, d) =
        count(format!("query($s: String) {{ resource(slug: $s) {{ {fields} }} }}"), json!({ "s": item["slug"] })).await;
    assert_eq!(d["resource"]["topics"], item["topics"]);
    assert_eq!(n, 1.0, "resource(slug:)");
    app.stop().await;
}
backend_test!(lookups_read_row_and_links_at_once);

async fn single_items_nodes_and_taxonomies(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let d = app.data(r#"{ resources(first: 1) { edges { node { id title slug locale } } } }"#, json!({})).await;
    let first = &nodes(&d["resources"])[0];
    let id = first["id"].as_str().unwrap();
    let by_id = app.data(r#"query($id: ID) { resource(id: $id) { title } }"#, json!({ "id": id })).await;
    assert_eq!(by_id["resource"]["title"], first["title"]);
    let by_slug = app
        .data(
            r#"query($s: String, $l: String) { resource(slug: $s, locale: $l) { id } }"#,
            json!({ "s": first["slug"], "l": first["locale"] }),
        )
        .await;
    assert_eq!(by_slug["resource"]["id"], id);
    let node = app
        .data(r#"query($id: ID!) { node(id: $id) { __typename id ... on Resource { title } } }"#, json!({ "id": id }))
        .await;
    assert_eq!(node["node"]["__typename"], "Resource");
    assert_eq!(node["node"]["title"], first["title"]);

    // Every node type resolves through node(id:).
    let d = app
        .data(
            r#"{ organizations(first: 1) { edges { node { id } } } programmes(first: 1) { edges { node { id } } }
                goodPractices(first: 1) { edges { node { id } } } regions { id countries { id } } topics { id } }"#,
            json!({}),
        )
        .await;
    let ids = [
        (d["organizations"]["edges"][0]["node"]["id"].clone(), "Organization"),
        (d["programmes"]["edges"][0]["node"]["id"].clone(), "Programme"),
        (d["goodPractices"]["edges"][0]["node"]["id"].clone(), "GoodPractice"),
        (d["regions"][0]["id"].clone(), "Region"),
        (d["topics"][0]["id"].clone(), "Topic"),
    ];
    for (id, ty) in ids {
        let n = app.data(r#"query($id: ID!) { node(id: $id) { __typename id } }"#, json!({ "id": id })).await;
        assert_eq!(n["node"]["__typename"], ty);
        assert_eq!(n["node"]["id"], id);
    }
    let country = d["regions"].as_array().unwrap().iter().find_map(|r| r["countries"][0]["id"].as_str()).unwrap();
    let n = app.data(r#"query($id: ID!) { node(id: $id) { __typename } }"#, json!({ "id": country })).await;
    assert_eq!(n["node"]["__typename"], "Country");

    // Malformed ids are bad input; well-formed unknown ids are null.
    let body = app.gql(r#"{ node(id: "%%%") { id } }"#, json!({})).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    let body = app.gql(r#"{ resource(id: "UmVzb3VyY2U6OTk5OTk") { id } }"#, json!({})).await;
    assert!(body["data"]["resource"].is_null() && body.get("errors").is_none(), "{body}");
    let body = app.gql(r#"{ resource { id } }"#, json!({})).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");

    // Taxonomies are localised, with the label's locale.
    let d = app
        .data(r#"{ countries(region: "africa", locale: "fr") { code label labelLocale region { code } } }"#, json!({}))
        .await;
    let countries = d["countries"].as_array().unwrap();
    assert!(countries.iter().any(|c| c["code"] == "KE"));
    assert!(countries.iter().all(|c| c["labelLocale"] == "fr" && c["region"]["code"] == "africa"));
    let d = app.data(r#"{ locales { code name isDefault direction fallbacks } }"#, json!({})).await;
    assert_eq!(
        d["locales"][0],
        json!({ "code": "en", "name": "English", "isDefault": true, "direction": "ltr", "fallbacks": [] })
    );
    assert_eq!(d["locales"][1]["fallbacks"], json!(["en"]));
    app.stop().await;
}
backend_test!(single_items_nodes_and_taxonomies);

async fn reference_data_follows_writes_in_every_process(backend: Backend) {
    // Terms, organisations and programmes are served from memory: this process's writes show at
    // once, another process's within its poll of the change log.
    let Some(app) = chorus_tests::spawn_with(backend, true, |c| c.graphql.reference_refresh_ms = 100).await else {
        return;
    };
    let other = app.sibling(|_| {}).await;
    let q = r#"{ resources(first: 100, locale: "en") { edges { node { id organizations { id title } topics { id label } } } } }"#;
    let d = app.data(q, json!({})).await;
    let items = nodes(&d["resources"]);
    let org = items.iter().find_map(|n| n["organizations"].as_array().and_then(|o| o.first().cloned())).unwrap();
    let topic = items.iter().find_map(|n| n["topics"].as_array().and_then(|t| t.first().cloned())).unwrap();
    let org_id = org["id"].as_str().unwrap().to_owned();
    let editor = app.sign_in(chorus_entities::Role::Admin, &[]).await;
    let save =
        "mutation($id: ID!, $i: TranslationInput!) { saveTranslation(id: $id, locale: \"en\", input: $i) { status } }";
    let status = "mutation($id: ID!) { setTranslationStatus(id: $id, locale: \"en\", status: PUBLISHED) { status } }";
    let title = |d: &Value| -> Vec<String> {
        nodes(&d["resources"])
            .iter()
            .flat_map(|n| n["organizations"].as_array().cloned().unwrap_or_default())
            .filter(|o| o["id"] == org_id.as_str())
            .map(|o| o["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let label = |d: &Value| -> Vec<String> {
        nodes(&d["resources"])
            .iter()
            .flat_map(|n| n["topics"].as_array().cloned().unwrap_or_default())
            .filter(|t| t["id"] == topic["id"])
            .map(|t| t["label"].as_str().unwrap().to_owned())
            .collect()
    };
    // The writer's process shows its own writes at once.
    let saved = app.gql_as(&editor, save, json!({ "id": org_id, "i": { "title": "A renamed network" } })).await;
    assert!(saved["errors"].is_null(), "{saved}");
    let published = app.gql_as(&editor, status, json!({ "id": org_id })).await;
    assert!(published["errors"].is_null(), "{published}");
    let every = |v: Vec<String>, x: &str| !v.is_empty() && v.iter().all(|t| t == x);
    let renamed = title(&app.data(q, json!({})).await);
    assert!(every(renamed.clone(), "A renamed network"), "{renamed:?}");
    let term = "mutation($id: ID!) { updateTerm(id: $id, input: { labels: [{ locale: \"en\", label: \"A relabelled topic\" }] }) { id } }";
    let relabelled = app.gql_as(&editor, term, json!({ "id": topic["id"] })).await;
    assert!(relabelled["errors"].is_null(), "{relabelled}");
    assert!(every(label(&app.data(q, json!({})).await), "A relabelled topic"));
    // The other process reads both from the change log.
    let mut seen = false;
    for _ in 0..100 {
        let d = other.data(q, json!({})).await;
        if every(title(&d), "A renamed network") && every(label(&d), "A relabelled topic") {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the other process still serves the old organisation title or topic label");
    other.stop().await;
    app.stop().await;
}
backend_test!(reference_data_follows_writes_in_every_process);

/// Every item of a list, walked page by page with the list service (ids in list order).
async fn walk_ids(db: &sea_orm::DatabaseConnection, spec: &query::ListSpec) -> Vec<i32> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = query::PageRequest { first: Some(100), after: after.clone(), ..Default::default() };
        let p = query::list(db, spec, &page, 20, 100).await.unwrap();
        out.extend(p.items.iter().map(|(id, _)| *id));
        if !p.has_next {
            return out;
        }
        after = p.items.last().map(|(_, c)| c.encode());
    }
}

/// Lists by title read from the kept titles (`title_order`, `title_order_preview`) give the
/// order computed from the versions, for every type, every configured locale's chain, both
/// directions, published versions and previews.
async fn kept_titles_agree(app: &TestApp, locales: &Locales, what: &str) {
    for visibility in [Visibility::Public, Visibility::Preview] {
        for ty in ContentType::ALL {
            for (_, chain) in locales.chains() {
                for descending in [false, true] {
                    let spec = |title_rows| query::ListSpec {
                        ty,
                        filters: Vec::new(),
                        ordering: query::Ordering { field: query::SortField::Title, descending },
                        chain: chain.clone(),
                        configured: locales.codes().to_vec(),
                        visibility,
                        links: Vec::new(),
                        versions: None,
                        title_rows,
                    };
                    let kept = walk_ids(&app.db, &spec(true)).await;
                    let computed = walk_ids(&app.db, &spec(false)).await;
                    assert!(!computed.is_empty(), "{what}: {ty:?} has items");
                    assert_eq!(
                        kept, computed,
                        "{what}: {ty:?} by title in {chain:?}, descending {descending}, {visibility:?}"
                    );
                }
            }
        }
    }
}

/// The ids of the first resources by title for readers of `locale`, through the API.
async fn first_by_title(app: &TestApp, locale: &str) -> Vec<String> {
    let q = r#"query($l: String) { resources(first: 3, orderBy: { field: TITLE }, locale: $l) { edges { node { id title } } } }"#;
    let d = app.data(q, json!({ "l": locale })).await;
    nodes(&d["resources"]).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect()
}

/// The same in an editor's preview (working copies).
async fn first_in_preview(app: &TestApp, token: &str, locale: &str) -> Vec<String> {
    let q = r#"query($l: String) { resources(first: 3, orderBy: { field: TITLE }, locale: $l, preview: true) { edges { node { id title } } } }"#;
    let body = app.gql_as(token, q, json!({ "l": locale })).await;
    assert!(body.get("errors").is_none(), "{body}");
    nodes(&body["data"]["resources"]).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect()
}

async fn kept_titles_follow_writes_and_configuration(backend: Backend) {
    use chorus_entities::Role;
    let Some(app) = spawn(backend).await else { return };
    let locales = app.config.locales().unwrap();
    kept_titles_agree(&app, &locales, "demo content").await;
    let editor = app.sign_in(Role::Editor, &[]).await;
    let save = "mutation($id: ID!, $l: String!, $i: TranslationInput!) { saveTranslation(id: $id, locale: $l, input: $i) { live } }";
    let status = "mutation($id: ID!, $l: String!, $s: TranslationStatus!) { setTranslationStatus(id: $id, locale: $l, status: $s) { live } }";
    let create = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let ok = |body: Value| assert!(body.get("errors").is_none(), "{body}");

    // A new resource, published in English only, titled to come first: French readers see it
    // first too (their chain falls back to English).
    let input = json!({ "kind": "REPORT", "publishedOn": "2026-11-01", "sourceLocale": "en",
        "text": { "title": "Aaa first of all", "summary": "s", "body": "<p>b</p>" } });
    let created = app.gql_as(&editor, create, json!({ "i": input })).await;
    let id = created["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    assert!(!first_by_title(&app, "fr").await.contains(&id), "a draft is not listed");
    assert_eq!(first_in_preview(&app, &editor, "fr").await[0], id, "a draft comes first in preview");
    kept_titles_agree(&app, &locales, "after a creation").await;
    // A saved working copy moves it in preview, not for readers.
    ok(app.gql_as(&editor, save, json!({ "id": id, "l": "en", "i": { "title": "Zzz draft title" } })).await);
    assert!(!first_in_preview(&app, &editor, "fr").await.contains(&id), "retitled in preview");
    kept_titles_agree(&app, &locales, "after saving a draft").await;
    ok(app.gql_as(&editor, save, json!({ "id": id, "l": "en", "i": { "title": "Aaa first of all" } })).await);
    assert_eq!(first_in_preview(&app, &editor, "fr").await[0], id);
    ok(app.gql_as(&editor, status, json!({ "id": id, "l": "en", "s": "PUBLISHED" })).await);
    assert_eq!(first_by_title(&app, "fr").await[0], id, "published: first for French readers");
    kept_titles_agree(&app, &locales, "after a publication").await;

    // Its French version, titled to come last, moves it for French readers only.
    ok(app.gql_as(&editor, save, json!({ "id": id, "l": "fr", "i": { "title": "Zzz en dernier" } })).await);
    ok(app.gql_as(&editor, status, json!({ "id": id, "l": "fr", "s": "PUBLISHED" })).await);
    assert!(!first_by_title(&app, "fr").await.contains(&id), "French title last");
    assert_eq!(first_by_title(&app, "en").await[0], id, "English readers keep the English title");
    kept_titles_agree(&app, &locales, "after a translation").await;

    // Taken offline in French: back to the English title for French readers.
    let unpublish = "mutation($id: ID!, $l: String!) { unpublishTranslation(id: $id, locale: $l) { live } }";
    ok(app.gql_as(&editor, unpublish, json!({ "id": id, "l": "fr" })).await);
    assert_eq!(first_by_title(&app, "fr").await[0], id);
    kept_titles_agree(&app, &locales, "after unpublishing").await;

    // Its English working copy archived: previews no longer list it under that title.
    ok(app.gql_as(&editor, status, json!({ "id": id, "l": "en", "s": "ARCHIVED" })).await);
    assert_ne!(first_in_preview(&app, &editor, "en").await.first(), Some(&id));
    kept_titles_agree(&app, &locales, "after archiving").await;

    // Deleted: gone from every list.
    ok(app.gql_as(&editor, "mutation($id: ID!) { deleteItem(id: $id) }", json!({ "id": id })).await);
    assert!(!first_by_title(&app, "en").await.contains(&id));
    kept_titles_agree(&app, &locales, "after deleting").await;

    // Written behind Chorus's back (a restore, a script): `chorus reindex` rebuilds them.
    app.db.execute_unprepared("DELETE FROM title_order WHERE locale = 'fr'").await.unwrap();
    app.db.execute_unprepared("DELETE FROM title_order_preview WHERE locale = 'en'").await.unwrap();
    let out = crate::translations::cli(&app, &["reindex"]);
    assert!(out.0 && out.1.contains("titles lists are ordered by: rebuilt"), "{}", out.1);
    kept_titles_agree(&app, &locales, "after reindex").await;

    // Another server on the same database with other fallbacks rebuilds the kept titles at start
    // (Spanish readers now fall back to French before English).
    let sibling = app
        .sibling(|c| {
            c.locales.fallbacks.insert("es".into(), vec!["fr".into(), "en".into()]);
        })
        .await;
    let other = sibling.config.locales().unwrap();
    assert_ne!(other.chains(), locales.chains());
    kept_titles_agree(&sibling, &other, "after a change of fallbacks").await;
    sibling.stop().await;
    app.stop().await;
}
backend_test!(kept_titles_follow_writes_and_configuration);

/// Every object in a response that is the item `id` (has that id) or is an alias `one`.
fn objects_of<'a>(v: &'a Value, id: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if m.get("id").and_then(Value::as_str) == Some(id) {
                out.push(v);
            }
            for (k, child) in m {
                if k == "one" && child.is_object() {
                    out.push(child);
                }
                objects_of(child, id, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| objects_of(c, id, out)),
        _ => {}
    }
}

/// A page reads only the version fields its selection has (`query::TextFields`); what it read is
/// part of the request loader's key, so a field another part of the same request selects for the
/// same items is read, not taken blank from the page's versions. Aliases and fragments count.
async fn pages_read_the_fields_they_select(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let full = r#"query($id: ID!) { resource(id: $id, locale: "fr") { title summary slug } }"#;
    let d = app.data(r#"{ resources(first: 5, locale: "fr") { edges { node { id } } } }"#, json!({})).await;
    let ids: Vec<String> = nodes(&d["resources"]).iter().map(|n| n["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 5);
    for id in &ids {
        let want = app.data(full, json!({ "id": id })).await["resource"].clone();
        assert!(!want["summary"].as_str().unwrap().is_empty() && !want["slug"].as_str().unwrap().is_empty(), "{want}");
        for q in [
            // The page selects titles only; the lookup of one of its items wants the rest.
            r#"query($id: ID!) { resources(first: 5, locale: "fr") { edges { node { id title } } }
               one: node(id: $id, locale: "fr") { ... on Resource { title summary slug } } }"#,
            // The other way round, and through a named fragment.
            r#"query($id: ID!) { one: node(id: $id, locale: "fr") { ... on Resource { title } }
               resources(first: 5, locale: "fr") { edges { node { id ...F } } } }
               fragment F on Resource { title summary slug }"#,
            // Under aliases.
            r#"query($id: ID!) { resources(first: 5, locale: "fr") { edges { node { id t: title s: summary u: slug } } }
               one: resource(id: $id, locale: "fr") { title } }"#,
            // Two pages of the same items, resolved at once, one with titles only.
            r#"query { a: resources(first: 5, locale: "fr") { edges { node { id title } } }
               b: resources(first: 5, locale: "fr") { edges { node { id title summary slug } } }
               c: resources(first: 5, locale: "fr") { edges { node { id slug } } } }"#,
        ] {
            let vars = if q.contains("$id") { json!({ "id": id }) } else { json!({}) };
            let d = app.data(q, vars).await;
            let mut seen = Vec::new();
            objects_of(&d, id, &mut seen);
            assert!(seen.len() >= 2, "{d}");
            for o in seen {
                for (f, alias) in [("title", "t"), ("summary", "s"), ("slug", "u")] {
                    if let Some(v) = o.get(f).or_else(|| o.get(alias)) {
                        assert_eq!(*v, want[f], "{f}: {q}");
                    }
                }
            }
        }
    }
    app.stop().await;
}
backend_test!(pages_read_the_fields_they_select);

/// The fields of `ty` that take no argument and hold scalars or enums (lists of them included):
/// at least `at_least` of them.
async fn leaf_fields(app: &TestApp, ty: &str, at_least: usize) -> Vec<String> {
    let q = "query($t: String!) { __type(name: $t) { fields { name args { name } \
             type { kind ofType { kind ofType { kind ofType { kind } } } } } } }";
    let d = app.data(q, json!({ "t": ty })).await;
    let leaf = |mut t: &Value| loop {
        match t["kind"].as_str() {
            Some("NON_NULL" | "LIST") => t = &t["ofType"],
            Some(kind) => return kind == "SCALAR" || kind == "ENUM",
            None => return false,
        }
    };
    let fields = d["__type"]["fields"].as_array().unwrap_or_else(|| panic!("no type {ty}"));
    let names: Vec<String> = fields
        .iter()
        .filter(|f| f["args"].as_array().is_some_and(Vec::is_empty) && leaf(&f["type"]))
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.len() >= at_least, "{ty}: {names:?}");
    names
}

/// How `objects_resolve_the_same_in_place_and_through_fragments` writes an object's selection.
#[derive(Clone, Copy, PartialEq)]
enum Written {
    /// `{ fields }`
    Direct,
    /// `{ ... on Type { fields } }`
    Inline,
    /// `{ ...F3 }` with `fragment F3 on Type { fields }`
    Named,
    /// `{ ... on Type { fields } id }` (a field given twice): async-graphql's own resolution.
    Merged,
}

/// Objects of a page are resolved in place where they can be (`graphql::plain`), inside the
/// fragments that apply to them too, and by async-graphql otherwise (here: a response key given
/// twice). Every field without arguments of every type a page shows, nested as frontends nest
/// them, answers the same every way, in French (fallbacks on), in lists, single lookups, `node`
/// and search hits.
async fn objects_resolve_the_same_in_place_and_through_fragments(backend: Backend) {
    // Every field of every nested type of 60 items: more than the default complexity allows.
    let Some(app) = spawn_with(backend, true, |c| {
        c.graphql.max_complexity = 100_000;
        c.search.refresh_interval_ms = 100;
    })
    .await
    else {
        return;
    };
    let mut leaves = std::collections::HashMap::new();
    for ty in ["Resource", "GoodPractice", "Organization", "Programme", "Region", "Country", "Topic", "ResourceEdge"] {
        let at_least = if ty == "ResourceEdge" { 1 } else { 6 };
        leaves.insert(ty, leaf_fields(&app, ty, at_least).await.join(" "));
    }
    let query = |written: Written| {
        let fragments = std::cell::RefCell::new(Vec::new());
        // `{ fields }` of a type, written as `written` says.
        let s = |ty: &str, more: &str| {
            let inner = format!("__typename {} {more}", leaves[ty]);
            match written {
                Written::Direct => format!("{{ {inner} }}"),
                Written::Inline => format!("{{ ... on {ty} {{ {inner} }} }}"),
                Written::Named => {
                    let mut f = fragments.borrow_mut();
                    let name = format!("F{}", f.len());
                    f.push(format!("fragment {name} on {ty} {{ {inner} }}"));
                    format!("{{ ...{name} }}")
                }
                Written::Merged => {
                    let again = leaves[ty].split(' ').next().unwrap();
                    format!("{{ ... on {ty} {{ {inner} }} {again} }}")
                }
            }
        };
        let org = s("Organization", &format!("region {} members {}", s("Region", ""), s("Organization", "")));
        let resource = s(
            "Resource",
            &format!(
                "organizations {org} topics {} regions {} countries {} programme {}",
                s("Topic", ""),
                s("Region", ""),
                s("Country", ""),
                s("Programme", &format!("funders {}", s("Organization", "")))
            ),
        );
        let edge = s("ResourceEdge", &format!("node {resource}"));
        let practice = s(
            "GoodPractice",
            &format!(
                "topics {} country {} region {} organization {}",
                s("Topic", ""),
                s("Country", ""),
                s("Region", ""),
                s("Organization", "")
            ),
        );
        let queries = [
            format!("{{ resources(first: 60, locale: \"fr\") {{ edges {edge} }} }}"),
            format!(
                "{{ goodPractices(first: 10, locale: \"fr\") {{ edges {{ node {practice} }} }} \
                   organizations(first: 20, locale: \"fr\") {{ edges {{ node {org} }} }} \
                   regions(locale: \"fr\") {} topics(locale: \"fr\") {} }}",
                s("Region", &format!("countries {}", s("Country", ""))),
                s("Topic", "")
            ),
            // Single items, by id, by slug and by global id (`node`, an interface: fields in
            // fragments, one of which does not apply), and search hits (a union).
            format!(
                "query($r: ID!, $s: String, $o: ID, $q: String!) {{ byId: resource(id: $r, locale: \"fr\") {resource} \
                   bySlug: resource(slug: $s, locale: \"fr\") {resource} \
                   node(id: $r, locale: \"fr\") {{ ... on Resource {resource} ... on Topic {{ label }} }} \
                   organization(id: $o, locale: \"fr\") {org} \
                   search(query: $q, locale: \"fr\") {{ hits {{ item {{ ... on Resource {resource} \
                     ... on Organization {org} ... on GoodPractice {practice} }} }} }} }}"
            ),
        ];
        // Each query with the fragments it uses (GraphQL refuses unused ones), nested included.
        let defined: Vec<(String, String)> =
            fragments.borrow().iter().map(|f| (format!("...{} ", &f[9..f.find(" on ").unwrap()]), f.clone())).collect();
        queries.map(|q| {
            let mut used: Vec<&String> = Vec::new();
            let mut text = q.clone();
            while let Some((_, f)) =
                defined.iter().find(|(spread, f)| text.contains(spread.as_str()) && !used.contains(&f))
            {
                used.push(f);
                text = format!("{text} {f}");
            }
            text
        })
    };
    let q = r#"{ resources(first: 1, locale: "fr") { edges { node { id slug title } } }
                 organizations(first: 1, filter: { kinds: [GLOBAL_NETWORK] }) { edges { node { id } } } }"#;
    let first = app.data(q, json!({})).await;
    let vars = json!({
        "r": first["resources"]["edges"][0]["node"]["id"],
        "s": first["resources"]["edges"][0]["node"]["slug"],
        "o": first["organizations"]["edges"][0]["node"]["id"],
        "q": first["resources"]["edges"][0]["node"]["title"],
    });
    // The index follows the database: wait until the first item is found.
    let probe = r#"query($q: String!) { search(query: $q, locale: "fr") { total } }"#;
    for _ in 0..300 {
        if app.gql(probe, vars.clone()).await["data"]["search"]["total"].as_i64() > Some(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut in_place = json!({});
    let ways = [Written::Direct, Written::Inline, Written::Named, Written::Merged].map(query);
    for (i, direct) in ways[0].iter().enumerate() {
        let d = app.data(direct, vars.clone()).await;
        for other in &ways[1..] {
            assert_eq!(d, app.data(&other[i], vars.clone()).await, "{}", other[i]);
        }
        in_place.as_object_mut().unwrap().extend(d.as_object().unwrap().clone());
    }
    assert_eq!(in_place["byId"], in_place["bySlug"]);
    assert!(in_place["byId"]["title"].is_string(), "{}", in_place["byId"]);
    assert_eq!(in_place["node"], in_place["byId"], "node(id:) answers as resource(id:)");
    let hits = in_place["search"]["hits"].as_array().unwrap();
    assert!(hits.iter().any(|h| h["item"] == in_place["byId"]), "{}", in_place["search"]);
    assert!(in_place["organization"]["members"].as_array().is_some_and(|m| !m.is_empty()));
    // Not a comparison of empty answers: the pages show every kind of nested object.
    let resources = nodes(&in_place["resources"]);
    assert_eq!(resources.len(), 60);
    for field in ["organizations", "topics", "regions"] {
        assert!(resources.iter().any(|r| r[field].as_array().is_some_and(|a| !a.is_empty())), "{field}");
    }
    assert!(nodes(&in_place["goodPractices"]).iter().any(|p| p["country"].is_object()));
    assert!(resources.iter().any(|r| r["programme"].is_object()));
    assert!(resources.iter().any(|r| r["isFallback"] == true) && resources.iter().any(|r| r["isFallback"] == false));
    assert!(nodes(&in_place["organizations"]).iter().any(|o| o["members"].as_array().is_some_and(|m| !m.is_empty())));

    // Keys come in the order selected (the GraphQL spec's ordered response map), the plain
    // fields and the others interleaved.
    let q = r#"{ resources(first: 1, locale: "fr") { edges { node {
        topics { label } title organizations { id } id body publishedOn } cursor } } }"#;
    let text =
        app.client.post(app.url("/graphql")).json(&json!({ "query": q })).send().await.unwrap().text().await.unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} in {text}"));
    let order = ["node", "topics", "title", "organizations", "id", "body", "publishedOn", "cursor"];
    assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
    app.stop().await;
}
backend_test!(objects_resolve_the_same_in_place_and_through_fragments);
