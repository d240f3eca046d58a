//! What frontend developers' tools send: the standard introspection queries, Apollo's automatic
//! persisted queries (requests reproduced byte for byte), trusted documents, responses in query
//! order, and the API explorer served by the binary.

use chorus_tests::{Backend, TestApp, backend_test, spawn, spawn_with};
use serde_json::{Value, json};

use crate::first_code;

/// The introspection queries graphql-js 16 prints (`tests/fixtures/introspection/`).
fn introspection_queries() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/introspection");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("introspection fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "graphql"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    out.sort();
    assert!(out.len() >= 4, "fixtures missing");
    out
}

async fn post_raw(app: &TestApp, body: &str) -> Value {
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn standard_introspection_passes_the_default_limits(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    assert_eq!(app.config.graphql.max_depth, 12, "the default limits");
    for (name, query) in introspection_queries() {
        let body = app.gql(&query, json!({})).await;
        assert!(body.get("errors").is_none(), "{name}: {body}");
        let types = body["data"]["__schema"]["types"].as_array().expect("types");
        assert!(types.iter().any(|t| t["name"] == "Resource"), "{name}");
        // The TypeRef chain reaches the bottom of `[ResourceEdge!]!`.
        let conn = types.iter().find(|t| t["name"] == "ResourceConnection").unwrap();
        let edges = conn["fields"].as_array().unwrap().iter().find(|f| f["name"] == "edges").unwrap();
        assert_eq!(edges["type"]["ofType"]["ofType"]["ofType"]["name"], "ResourceEdge", "{name}");
        // Scalars are described by Chorus, not by the library that implements them.
        for scalar in ["DateTime", "NaiveDate"] {
            let t = types.iter().find(|t| t["name"] == scalar).unwrap();
            let d = t["description"].as_str().unwrap_or("");
            assert!(!d.contains("Implement") && !d.contains('%'), "{name}: {scalar}: {d}");
        }
    }
    // Meta-fields still count: walking types through `fields { type { fields ... } }` is deep.
    let nested =
        format!("{{ __type(name: \"Resource\") {{ {} name {} }} }}", "fields { type { ".repeat(6), "} } ".repeat(6));
    assert_eq!(first_code(&app.gql(&nested, json!({})).await), "QUERY_TOO_DEEP");
    // And ordinary fields as before.
    let deep =
        format!("{{ organizations {{ edges {{ node {{ {} title {} }} }} }} }}", "parent { ".repeat(9), "} ".repeat(9));
    assert_eq!(first_code(&app.gql(&deep, json!({})).await), "QUERY_TOO_DEEP");
}
backend_test!(standard_introspection_passes_the_default_limits);

async fn responses_follow_the_query_order(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    // Root fields from different parts of the schema, none in alphabetical order.
    let q = "{ topics { code } resources(first: 2) { totalCount edges { node { updatedAt title id } } } \
             locales { name code } regions { code } }";
    let text =
        app.client.post(app.url("/graphql")).json(&json!({ "query": q })).send().await.unwrap().text().await.unwrap();
    let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap_or_else(|| panic!("{key} in {text}"));
    assert!(at("topics") < at("resources") && at("resources") < at("locales") && at("locales") < at("regions"));
    assert!(at("totalCount") < at("edges"));
    assert!(at("updatedAt") < at("title") && at("title") < at("id"));
    let first_locale = &text[at("locales")..];
    assert!(first_locale.find("\"name\"").unwrap() < first_locale.find("\"code\"").unwrap(), "{first_locale}");
}
backend_test!(responses_follow_the_query_order);

/// The SHA-256 of a query, as Apollo Client computes it.
fn sha256(text: &str) -> String {
    chorus_tests::chorus::graphql::persisted::sha256_hex(text)
}

async fn apollo_persisted_queries(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let query = "query Locales {\n  locales {\n    code\n    __typename\n  }\n}";
    let hash = sha256(query);
    let ext = format!(r#"{{"persistedQuery":{{"version":1,"sha256Hash":"{hash}"}}}}"#);
    // 1. Apollo Client's first try: the hash alone, by POST (this is its request body).
    let hash_only = format!(r#"{{"operationName":"Locales","variables":{{}},"extensions":{ext}}}"#);
    let body = post_raw(&app, &hash_only).await;
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound", "{body}");
    assert_eq!(first_code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert!(body.get("data").is_none_or(Value::is_null));
    // 2. Its retry: the hash with the query; the server remembers it.
    let with_query = format!(
        r#"{{"operationName":"Locales","variables":{{}},"extensions":{ext},"query":{}}}"#,
        serde_json::to_string(query).unwrap()
    );
    let body = post_raw(&app, &with_query).await;
    assert_eq!(body["data"]["locales"][0]["code"], "en", "{body}");
    // 3. From now on the hash alone works, by POST and by GET (useGETForHashedQueries).
    let body = post_raw(&app, &hash_only).await;
    assert_eq!(body["data"]["locales"][0]["__typename"], "LocaleInfo", "{body}");
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[("operationName", "Locales"), ("variables", "{}"), ("extensions", ext.as_str())])
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["locales"][0]["code"], "en", "{body}");
    // An unknown hash by GET is a coded error, never the explorer page.
    let unknown = format!(r#"{{"persistedQuery":{{"version":1,"sha256Hash":"{}"}}}}"#, "ab".repeat(32));
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", unknown.as_str())])
        .header("accept", "text/html,application/json")
        .send()
        .await
        .unwrap();
    let body: Value = resp.json().await.expect("JSON, not the explorer");
    assert_eq!(first_code(&body), "PERSISTED_QUERY_NOT_FOUND");
    // A hash that is not the query's is refused, and the query is not run.
    let lie = format!(
        r#"{{"extensions":{{"persistedQuery":{{"version":1,"sha256Hash":"{}"}}}},"query":"{{ regions {{ code }} }}"}}"#,
        hash
    );
    let body = post_raw(&app, &lie).await;
    assert_eq!(first_code(&body), "PERSISTED_QUERY_HASH_MISMATCH", "{body}");
    assert!(body.get("data").is_none_or(Value::is_null));
    // A wrong version or shape is a bad request.
    let v2 = format!(r#"{{"extensions":{{"persistedQuery":{{"version":2,"sha256Hash":"{hash}"}}}}}}"#);
    assert_eq!(first_code(&post_raw(&app, &v2).await), "BAD_REQUEST");
    // With the response cache on, a text answered from the cache still registers its hash.
    let cached = app.sibling(|c| c.graphql.cache_ttl_ms = 60_000).await;
    let popular = "query Regions { regions { code } }";
    // Asked twice: kept from the second time.
    for _ in 0..2 {
        assert!(cached.gql(popular, json!({})).await["data"]["regions"].is_array());
    }
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(popular) } });
    let with_text = json!({ "query": popular, "variables": {}, "extensions": ext });
    assert!(post_raw(&cached, &with_text.to_string()).await["data"]["regions"].is_array());
    let hash_alone = json!({ "variables": {}, "extensions": ext });
    let body = post_raw(&cached, &hash_alone.to_string()).await;
    assert!(body["data"]["regions"].is_array(), "{body}");
    cached.stop().await;
    // A text the schema refuses is not kept under its hash.
    let invalid = "{ noSuchField }";
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(invalid) } });
    let body = post_raw(&app, &json!({ "query": invalid, "extensions": ext }).to_string()).await;
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED");
    let body = post_raw(&app, &json!({ "extensions": ext }).to_string()).await;
    assert_eq!(first_code(&body), "PERSISTED_QUERY_NOT_FOUND");
    // Turned off, Apollo Client is told to stop sending hashes.
    let off = app.sibling(|c| c.graphql.persisted_queries = 0).await;
    let body = post_raw(&off, &hash_only).await;
    assert_eq!(first_code(&body), "PERSISTED_QUERY_NOT_SUPPORTED");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotSupported");
    off.stop().await;
}
backend_test!(apollo_persisted_queries);

async fn trusted_documents(backend: Backend) {
    let allowed = "query Regions { regions { code } }";
    let relay = "query Topics { topics { code } }";
    let dir = tempfile::tempdir().unwrap();
    let codegen = dir.path().join("persisted-documents.json");
    std::fs::write(&codegen, json!({ sha256(allowed): allowed, "relay-topics-1": relay }).to_string()).unwrap();
    let path = codegen.display().to_string();
    let Some(app) = spawn_with(backend, true, |c| {
        c.graphql.trusted_documents = path.clone();
        c.graphql.trusted_documents_only = true;
    })
    .await
    else {
        return;
    };
    // By document id (GraphQL over HTTP, with or without the hash prefix), by Relay's doc_id.
    let body = post_raw(&app, &json!({ "documentId": format!("sha256:{}", sha256(allowed)) }).to_string()).await;
    assert_eq!(body["data"]["regions"][0]["code"], "global", "{body}");
    let body = post_raw(&app, &json!({ "doc_id": "relay-topics-1" }).to_string()).await;
    assert!(body["data"]["topics"].as_array().is_some_and(|t| !t.is_empty()), "{body}");
    let resp = app.client.get(app.url("/graphql")).query(&[("documentId", sha256(allowed))]).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"]["regions"][0]["code"], "global", "{body}");
    // As Apollo Client sends it (the hash of a listed operation), and as full text.
    let apollo = json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256(allowed) } } });
    assert!(post_raw(&app, &apollo.to_string()).await["data"]["regions"].is_array());
    assert!(app.gql(allowed, json!({})).await["data"]["regions"].is_array());
    // Anything else is refused, introspection and APQ registration included.
    for other in ["{ regions { code } }", "{ __schema { types { name } } }", "query Regions { regions { code label } }"]
    {
        let body = app.gql(other, json!({})).await;
        assert_eq!(first_code(&body), "PERSISTED_QUERY_NOT_IN_LIST", "{other}: {body}");
    }
    let register = json!({
        "query": "{ locales { code } }",
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256("{ locales { code } }") } },
    });
    assert_eq!(first_code(&post_raw(&app, &register.to_string()).await), "PERSISTED_QUERY_NOT_IN_LIST");
    let body = post_raw(&app, &json!({ "documentId": "nope" }).to_string()).await;
    assert_eq!(first_code(&body), "PERSISTED_QUERY_NOT_FOUND");
    // An unreadable manifest stops the server at start, naming the file.
    std::fs::write(&codegen, "{\"a\": 1}").unwrap();
    let mut config = app.config.clone();
    config.graphql.trusted_documents = path.clone();
    let err = chorus_tests::chorus::startup::Application::build(config).await.err().expect("refused");
    assert!(err.to_string().contains("persisted-documents.json"), "{err}");
}
backend_test!(trusted_documents);

async fn the_explorer_is_served_by_the_binary(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let resp = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-eval") && !csp.contains("http"), "{csp}");
    let page = resp.text().await.unwrap();
    assert!(!page.contains("<script>") && !page.contains("https://"), "{page}");
    let mut scripts = 0;
    for src in page.split("src=\"").skip(1).chain(page.split("href=\"").skip(1)) {
        let path = src.split('"').next().unwrap();
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let ty = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ty.starts_with("text/javascript") || ty.starts_with("text/css"), "{path}: {ty}");
        scripts += usize::from(ty.starts_with("text/javascript"));
        assert!(resp.bytes().await.unwrap().len() > 20, "{path}");
    }
    assert_eq!(scripts, 4, "react, react-dom, graphiql, the starter");
    // A browser opening /graphql gets the explorer; an API client without a query, a coded 400.
    let resp = app.client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert!(resp.text().await.unwrap().contains("graphiql-3.9.0.min.js"));
    let resp = app.client.get(app.url("/graphql")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let vary: Vec<&str> = resp.headers().get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(vary.iter().any(|v| v.split(',').any(|p| p.trim() == "accept")), "{vary:?}");
    assert_eq!(first_code(&resp.json().await.unwrap()), "BAD_REQUEST");
    assert_eq!(app.client.get(app.url("/graphiql/assets/nope.js")).send().await.unwrap().status(), 404);
    // Turned off in production.
    let off = app.sibling(|c| c.graphql.graphiql = false).await;
    assert_eq!(off.client.get(off.url("/graphiql")).send().await.unwrap().status(), 404);
    let resp = off.client.get(off.url("/graphiql/assets/graphiql-3.9.0.min.js")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    off.stop().await;
}
backend_test!(the_explorer_is_served_by_the_binary);

/// Whether a client toolchain under `tests/js` is installed (`npm ci` there, as `.ci/run` does);
/// without it the test says so and passes, unless `CHORUS_REQUIRE_CLIENT_TOOLS` is set (CI).
pub(crate) fn client_tools(module: &str) -> Option<std::path::PathBuf> {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    let node = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if node && js.join("node_modules").join(module).exists() {
        return Some(js);
    }
    assert!(
        std::env::var_os("CHORUS_REQUIRE_CLIENT_TOOLS").is_none(),
        "CHORUS_REQUIRE_CLIENT_TOOLS is set but node or tests/js/node_modules/{module} is missing (run npm ci in tests/js)"
    );
    eprintln!("skipped: node or tests/js/node_modules/{module} is missing (npm ci in tests/js)");
    None
}

/// graphql-js 16, as GraphQL Code Generator and Apollo use it: every variant of
/// `getIntrospectionQuery` against the live server → `buildClientSchema` → `validate` of every
/// query and mutation in the README.
async fn graphql_js_builds_the_schema_and_validates_the_readme(backend: Backend) {
    let Some(js) = client_tools("graphql") else { return };
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let url = app.url("/graphql");
    let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").arg(js.join("introspection.mjs")).arg(&url).arg(&readme).output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("ok graphql-js 16."), "{stdout}");
}
backend_test!(graphql_js_builds_the_schema_and_validates_the_readme);

/// Headless Chromium (Debian's `chromium`, or `CHORUS_CHROMIUM`), or `None` after saying so;
/// `CHORUS_REQUIRE_BROWSER` (CI) turns a missing browser into a failure.
pub(crate) fn chromium() -> Option<String> {
    let bin = std::env::var("CHORUS_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    if std::process::Command::new(&bin).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Some(bin);
    }
    assert!(std::env::var_os("CHORUS_REQUIRE_BROWSER").is_none(), "CHORUS_REQUIRE_BROWSER is set but {bin} is missing");
    eprintln!("skipped: no {bin} (apt-get install chromium)");
    None
}

/// The explorer in a real browser with every other host unreachable: it renders, fetches the
/// schema from this server, and breaks no rule of its Content-Security-Policy.
async fn the_explorer_works_offline_in_a_browser(backend: Backend) {
    let Some(bin) = chromium() else { return };
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let posts = || app.metric("chorus_http_requests_total{route=\"/graphql\",method=\"POST\",status=\"200\"}");
    let before = posts().await;
    let profile = tempfile::tempdir().unwrap();
    let url = app.url("/graphiql");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--enable-logging=stderr", "--v=1"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            // No network: every name but the test server's address fails to resolve.
            .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
            .args(["--virtual-time-budget=20000", "--dump-dom", &url])
            .output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        dom.contains("graphiql-container") && dom.contains("graphiql-execute-button"),
        "not rendered: {dom}\n{console:?}"
    );
    assert!(!dom.contains("Loading the explorer"), "{dom}");
    for line in &console {
        let bad = ["Content Security Policy", "Uncaught", "is not defined", "Failed to", "ERR_"];
        assert!(!bad.iter().any(|b| line.contains(b)), "browser console: {line}");
    }
    assert!(posts().await > before, "the explorer fetched the schema from this server");
}
backend_test!(the_explorer_works_offline_in_a_browser);

/// Apollo Client 4 and its persisted-query link (`tests/js/apq.mjs`), as a site sets them up with
/// `useGETForHashedQueries`: the first run sends the hash alone by GET, is told
/// PersistedQueryNotFound and sends the text by POST; a fresh client then gets its answer from
/// the hash alone, by GET.
async fn apollo_client_persisted_query_link(backend: Backend) {
    let Some(js) = client_tools("@apollo/client") else { return };
    let Some(app) = spawn(backend).await else { return };
    let url = app.url("/graphql");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").arg(js.join("apq.mjs")).arg(&url).output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(&stdout).expect("the script's JSON report");
    assert_eq!(report["locales"], json!(["en", "fr", "es", "ru", "zh-Hans"]));
    let sent: Vec<(String, bool)> = report["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["method"].as_str().unwrap().to_owned(), r["hashOnly"].as_bool().unwrap()))
        .collect();
    let expected = [("GET", true), ("POST", false), ("GET", true)].map(|(m, h)| (m.to_owned(), h));
    assert_eq!(sent, expected, "{report}");
}
backend_test!(apollo_client_persisted_query_link);
