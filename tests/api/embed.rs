//! Partner sites' search: partner keys (GraphQL and the command line), `/v1/search` with the
//! key's scope, origins, rate, expiry, revocation and rotation, usage counts, the frame and
//! oEmbed; and the widget in headless Chromium on a partner page of another origin.

use std::time::Duration;

use chorus_entities::Role;
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::first_code;

const PARTNER: &str = "http://partner.example";

const CREATE: &str = "mutation($i: PartnerKeyInput!) { createPartnerKey(input: $i) { key partnerKey { id prefix state origins locales regions kinds } } }";

fn with_embed(config: &mut chorus_tests::chorus::config::Config) {
    config.search.refresh_interval_ms = 100;
    // Keys made without a rate of their own are not limited by a test's own polling: waiting for
    // the index (`until_indexed`) can take more requests than the default burst on a slow machine,
    // which left the next request of the test refused (429). The limit has a test of its own,
    // with a key that names its rate.
    config.embed.default_burst = 100_000;
    config.embed.item_url = "https://network.example/{locale}/{type}/{slug}".into();
}

/// Creates a key as an admin: (id, value).
async fn create_key(app: &TestApp, admin: &str, input: Value) -> (String, String) {
    let r = app.gql_as(admin, CREATE, json!({ "i": input })).await;
    let created = &r["data"]["createPartnerKey"];
    assert!(created["key"].is_string(), "{r}");
    (created["partnerKey"]["id"].as_str().unwrap().to_owned(), created["key"].as_str().unwrap().to_owned())
}

/// `GET /v1/search?<query>` with the key in the header and an `Origin`: (status, headers, body).
async fn partner_search(app: &TestApp, key: &str, origin: Option<&[u8]>, query: &str) -> (u16, HeaderMap, Value) {
    let mut req = app.client.get(app.url(&format!("/v1/search?{query}"))).header("x-chorus-key", key);
    if let Some(o) = origin {
        req = req.header("origin", HeaderValue::from_bytes(o).unwrap());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// Polls until the index holds the demo content.
async fn until_indexed(app: &TestApp, key: &str, query: &str) -> Value {
    for _ in 0..300 {
        let (status, _, body) = partner_search(app, key, Some(PARTNER.as_bytes()), query).await;
        if status == 200 && body["total"].as_i64().unwrap_or(0) > 0 {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the search index never answered {query}");
}

fn facet_values(answer: &Value, name: &str) -> Vec<String> {
    answer["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| f["buckets"].as_array().unwrap().iter().map(|b| b["value"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

async fn usage(app: &TestApp, admin: &str, id: &str) -> Value {
    let q = "query($id: ID!) { partnerKey(id: $id) { state usage { day requests zeroResults rateLimited } } }";
    let r = app.gql_as(admin, q, json!({ "id": id })).await;
    assert!(r["errors"].is_null(), "{r}");
    r["data"]["partnerKey"].clone()
}

async fn partner_keys_scope_origins_and_usage(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_embed).await else { return };
    let admin = app.sign_in(Role::Admin, &[]).await;
    let editor = app.sign_in(Role::Editor, &[]).await;

    // Admins only; bad settings are refused with the field named.
    let input = json!({ "description": "Africa partner", "origins": [PARTNER, "https://Other.Example:443/"],
                        "locales": ["fr", "en"], "regions": ["africa"] });
    let r = app.gql_as(&editor, CREATE, json!({ "i": input })).await;
    assert_eq!(first_code(&r), "FORBIDDEN", "{r}");
    let r = app.gql(CREATE, json!({ "i": input })).await;
    assert_eq!(first_code(&r), "UNAUTHENTICATED", "{r}");
    for (bad, field) in [
        (json!({ "description": "x", "origins": ["*"] }), "origins"),
        (json!({ "description": "x", "origins": ["https://a.example/path"] }), "origins"),
        (json!({ "description": "x", "origins": [] }), "origins"),
        (json!({ "description": "x", "origins": [PARTNER], "regions": ["atlantis"] }), "regions"),
        (json!({ "description": "x", "origins": [PARTNER], "locales": ["xx-??"] }), "locales"),
        (json!({ "description": "x", "origins": [PARTNER], "kinds": ["NOVEL"] }), "kinds"),
        (json!({ "description": "x", "origins": [PARTNER], "expiresAt": "2001-01-01T00:00:00Z" }), "expiresAt"),
        (json!({ "description": "", "origins": [PARTNER] }), "description"),
    ] {
        let r = app.gql_as(&admin, CREATE, json!({ "i": bad })).await;
        assert_eq!(first_code(&r), "BAD_USER_INPUT", "{bad}: {r}");
        assert!(r["errors"][0]["message"].as_str().unwrap().contains(field), "{bad}: {r}");
    }
    let r = app.gql_as(&admin, CREATE, json!({ "i": input })).await;
    let created = &r["data"]["createPartnerKey"];
    assert_eq!(created["partnerKey"]["origins"], json!([PARTNER, "https://other.example"]), "{r}");
    assert_eq!(created["partnerKey"]["state"], "ACTIVE");
    let id = created["partnerKey"]["id"].as_str().unwrap().to_owned();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["partnerKey"]["prefix"].as_str().unwrap()), "{r}");
    // The value is never shown again.
    let listed = app.gql_as(&admin, "{ partnerKeys { id prefix } }", json!({})).await;
    assert!(!listed.to_string().contains(&key), "{listed}");

    // The key's scope holds whatever the request asks: only Africa, only French and English.
    let first = until_indexed(&app, &key, "q=sex%20work").await;
    let total = first["total"].as_i64().unwrap();
    assert!(facet_values(&first, "region").iter().all(|r| r == "africa"), "{first}");
    assert!(facet_values(&first, "language").iter().all(|l| l == "fr" || l == "en"), "{first}");
    for hit in first["hits"].as_array().unwrap() {
        assert!(["fr", "en"].contains(&hit["language"].as_str().unwrap()), "{hit}");
        for l in hit["alsoAvailableIn"].as_array().unwrap() {
            assert!(["fr", "en"].contains(&l["code"].as_str().unwrap()), "{hit}");
        }
        for d in hit["documents"].as_array().unwrap() {
            assert!(["fr", "en"].contains(&d["language"].as_str().unwrap()), "{hit}");
        }
        let url = hit["url"].as_str().unwrap();
        assert!(url.starts_with("https://network.example/"), "{hit}");
    }
    // The same search through GraphQL, restricted by hand, finds as many.
    let gql = app
        .gql(
            "query { search(query: \"sex work\", locales: [\"fr\", \"en\"], filter: { regions: [\"africa\"] }) { total } }",
            json!({}),
        )
        .await;
    assert_eq!(gql["data"]["search"]["total"].as_i64().unwrap(), total, "{gql}");
    let everything = app.gql("query { search(query: \"sex work\") { total } }", json!({})).await;
    assert!(everything["data"]["search"]["total"].as_i64().unwrap() > total, "the scope narrows: {everything}");
    // Widening attempts find nothing outside the scope.
    for widen in ["region=global", "language=ru", "region=global&region=africa&language=ru"] {
        let (status, _, body) =
            partner_search(&app, &key, Some(PARTNER.as_bytes()), &format!("q=sex%20work&{widen}")).await;
        assert_eq!(status, 200, "{body}");
        assert!(facet_values(&body, "region").iter().all(|r| r == "africa"), "{widen}: {body}");
        assert!(facet_values(&body, "language").iter().all(|l| l == "fr" || l == "en"), "{widen}: {body}");
        if widen != "region=global&region=africa&language=ru" {
            assert_eq!(body["total"], 0, "{widen}: {body}");
        }
    }

    // CORS: the key's origin exactly, never a wildcard, no credentials.
    let (status, headers, _) = partner_search(&app, &key, Some(PARTNER.as_bytes()), "q=sex%20work").await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], PARTNER);
    assert!(headers.get("access-control-allow-credentials").is_none());
    assert!(headers["vary"].to_str().unwrap().contains("origin"), "{headers:?}");
    assert!(headers["cache-control"].to_str().unwrap().contains("max-age="), "{headers:?}");
    // Forged and missing origins: a precise 4xx, nothing readable.
    for origin in [
        Some(b"http://evil.example".as_slice()),
        Some(b"http://partner.example.evil.example".as_slice()),
        Some(b"null".as_slice()),
        Some(b"http://partn\xc3\xa9r.example".as_slice()),
        Some(b"\xff\xfe".as_slice()),
        None,
    ] {
        let (status, headers, body) = partner_search(&app, &key, origin, "q=sex%20work").await;
        assert_eq!((status, first_code(&body).as_str()), (403, "FORBIDDEN_ORIGIN"), "{origin:?}: {body}");
        assert!(headers.get("access-control-allow-origin").is_none(), "{origin:?}");
        assert!(body["hits"].is_null(), "{body}");
    }
    // Preflight: cached, for origins some key lists.
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/search?q=x"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "x-chorus-key")
            .send()
    };
    let ok = preflight(PARTNER).await.unwrap();
    assert_eq!(ok.status(), 204);
    assert_eq!(ok.headers()["access-control-allow-origin"], PARTNER);
    assert_eq!(ok.headers()["access-control-max-age"], "600");
    assert!(ok.headers()["access-control-allow-headers"].to_str().unwrap().contains("x-chorus-key"));
    let refused = preflight("http://evil.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("access-control-allow-origin").is_none());

    // Keys: missing, malformed, unknown; and a search key opens nothing else.
    for (sent, expected) in [("", 401), ("pk_unknown", 401), ("not-a-key", 401), ("pk_\u{e9}", 401)] {
        let resp = app
            .client
            .get(app.url("/v1/search?q=hiv"))
            .header("origin", PARTNER)
            .header("x-chorus-key", HeaderValue::from_bytes(sent.as_bytes()).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), expected, "{sent}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(first_code(&body), "UNAUTHENTICATED", "{body}");
    }
    let (status, body) = app.post_as(&key, "{ partnerKeys { id } }", json!({})).await;
    assert!(status == 401 || first_code(&body) == "UNAUTHENTICATED", "{status} {body}");
    // Bad parameters are the caller's error, not a crash.
    for bad in ["q=x&page=0", "q=x&page=abc", "q=x&per_page=1000", "q=x&kind=NOVEL", "q=x&lang=%FF"] {
        let (status, _, body) = partner_search(&app, &key, Some(PARTNER.as_bytes()), bad).await;
        assert_eq!((status, first_code(&body).as_str()), (400, "BAD_USER_INPUT"), "{bad}: {body}");
    }

    // Bytes that are not UTF-8 are just text.
    let (status, _, body) = partner_search(&app, &key, Some(PARTNER.as_bytes()), "q=%E0%A4").await;
    assert_eq!(status, 200, "{body}");

    // ETag: the same answer again is a 304.
    let resp = app
        .client
        .get(app.url("/v1/search?q=sex%20work"))
        .header("origin", PARTNER)
        .header("x-chorus-key", &key)
        .send()
        .await
        .unwrap();
    let etag = resp.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/v1/search?q=sex%20work"))
        .header("origin", PARTNER)
        .header("x-chorus-key", &key)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // A query that finds nothing is counted as such; nothing of the query is stored.
    let (status, _, body) = partner_search(&app, &key, Some(PARTNER.as_bytes()), "q=zzqqxxunfindable").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(0)), "{body}");
    let used = usage(&app, &admin, &id).await;
    let today = &used["usage"][0];
    assert!(today["requests"].as_f64().unwrap() >= 10.0, "{used}");
    assert!(today["zeroResults"].as_f64().unwrap() >= 1.0, "{used}");

    // Rotation: the old value stops, the new one works; revocation stops it at once.
    let r = app.gql_as(&admin, "mutation($id: ID!) { rotatePartnerKey(id: $id) { key } }", json!({ "id": id })).await;
    let rotated = r["data"]["rotatePartnerKey"]["key"].as_str().unwrap().to_owned();
    let (status, _, _) = partner_search(&app, &key, Some(PARTNER.as_bytes()), "q=hiv").await;
    assert_eq!(status, 401);
    let (status, _, _) = partner_search(&app, &rotated, Some(PARTNER.as_bytes()), "q=hiv").await;
    assert_eq!(status, 200);
    let r = app.gql_as(&admin, "mutation($id: ID!) { revokePartnerKey(id: $id) { state } }", json!({ "id": id })).await;
    assert_eq!(r["data"]["revokePartnerKey"]["state"], "REVOKED", "{r}");
    let (status, _, body) = partner_search(&app, &rotated, Some(PARTNER.as_bytes()), "q=hiv").await;
    assert_eq!((status, first_code(&body).as_str()), (401, "UNAUTHENTICATED"), "{body}");
    app.stop().await;
}
backend_test!(partner_keys_scope_origins_and_usage);

async fn partner_keys_rate_limit_and_expiry(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_embed).await else { return };
    let admin = app.sign_in(Role::Admin, &[]).await;
    let (_, ready) = create_key(&app, &admin, json!({ "description": "ready", "origins": [PARTNER] })).await;
    until_indexed(&app, &ready, "q=hiv").await;
    let (id, key) = create_key(
        &app,
        &admin,
        json!({ "description": "slow", "origins": [PARTNER], "ratePerMinute": 1, "burst": 2 }),
    )
    .await;
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..4 {
        let (status, headers, body) = partner_search(&app, &key, Some(PARTNER.as_bytes()), "q=hiv").await;
        statuses.push(status);
        if status == 429 {
            assert_eq!(first_code(&body), "RATE_LIMITED", "{body}");
            // The partner's page may read the refusal (its origin is the key's).
            assert_eq!(headers["access-control-allow-origin"], PARTNER);
            retry = Some(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap());
        }
    }
    assert_eq!(statuses, [200, 200, 429, 429]);
    assert!((1..=60).contains(&retry.unwrap()), "{retry:?}");
    let used = usage(&app, &admin, &id).await;
    assert_eq!(used["usage"][0]["requests"], 2.0, "{used}");
    assert_eq!(used["usage"][0]["rateLimited"], 2.0, "{used}");

    // Expiry: a key that expires shortly works, then is refused with the reason.
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(4000)).to_rfc3339();
    let (id2, key2) =
        create_key(&app, &admin, json!({ "description": "brief", "origins": [PARTNER], "expiresAt": soon })).await;
    let (status, _, _) = partner_search(&app, &key2, Some(PARTNER.as_bytes()), "q=hiv").await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(4200)).await;
    let (status, _, body) = partner_search(&app, &key2, Some(PARTNER.as_bytes()), "q=hiv").await;
    assert_eq!((status, first_code(&body).as_str()), (401, "UNAUTHENTICATED"), "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("expired"), "{body}");
    assert_eq!(usage(&app, &admin, &id2).await["state"], "EXPIRED");
    app.stop().await;
}
backend_test!(partner_keys_rate_limit_and_expiry);

/// The command line manages the same keys.
async fn partner_keys_from_the_command_line(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let (ok, out) = crate::translations::cli(
        &app,
        &[
            "partner-key",
            "create",
            "--description",
            "CLI partner",
            "--origin",
            PARTNER,
            "--locales",
            "fr",
            "--kinds",
            "REPORT",
        ],
    );
    assert!(ok, "{out}");
    let key = out.lines().find(|l| l.starts_with("pk_")).unwrap_or_else(|| panic!("{out}")).to_owned();
    let (ok, out) = crate::translations::cli(&app, &["partner-key", "list"]);
    assert!(ok && out.contains("CLI partner") && out.contains("active") && out.contains("kinds report"), "{out}");
    assert!(!out.contains(&key), "the value is shown once: {out}");
    let (ok, out) = crate::translations::cli(&app, &["partner-key", "create", "--description", "bad", "--origin", "*"]);
    assert!(!ok && out.contains("wildcards"), "{out}");
    let (ok, out) = crate::translations::cli(&app, &["partner-key", "rotate", "--id", "1"]);
    assert!(ok && out.lines().any(|l| l.starts_with("pk_") && l != key), "{out}");
    let (ok, out) = crate::translations::cli(&app, &["partner-key", "revoke", "--id", "1"]);
    assert!(ok, "{out}");
    let (ok, out) = crate::translations::cli(&app, &["partner-key", "list"]);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, out) = crate::translations::cli(&app, &["partner-key", "usage", "--id", "1"]);
    assert!(ok && out.starts_with("day"), "{out}");
    app.stop().await;
}
backend_test!(partner_keys_from_the_command_line);

/// The frame (plain HTML, no script) and its oEmbed description; the widget script's size.
async fn the_frame_oembed_and_widget_script(backend: Backend) {
    let Some(app) = spawn_with(backend, true, with_embed).await else { return };
    let admin = app.sign_in(Role::Admin, &[]).await;
    let (_, key) =
        create_key(&app, &admin, json!({ "description": "frame", "origins": [PARTNER], "locales": ["fr"] })).await;
    until_indexed(&app, &key, "q=travailleurs").await;
    let frame = app.url(&format!("/embed/v1/frame?key={key}&lang=fr&q=travailleurs%20du%20sexe"));
    let resp = app.client.get(&frame).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains(&format!("frame-ancestors {PARTNER}")), "{csp}");
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{csp}");
    let html = resp.text().await.unwrap();
    assert!(html.contains("class=\"hit\"") && html.contains("<mark>"), "{html}");
    assert!(html.contains("name=\"q\"") && html.contains("lang=\"fr\""), "{html}");
    assert!(!html.contains("<script"), "{html}");
    // Arabic: right to left, in Arabic.
    let ar = app.client.get(app.url(&format!("/embed/v1/frame?key={key}&lang=ar&q=sex"))).send().await.unwrap();
    let ar = ar.text().await.unwrap();
    assert!(ar.contains("lang=\"ar\" dir=\"rtl\"") && ar.contains("النتائج"), "{ar}");
    // A bad key: an explanation nobody can frame.
    let resp = app.client.get(app.url("/embed/v1/frame?key=pk_nope&q=x")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));

    let oembed = |url: String, extra: &str| {
        let q: String = url
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        app.client.get(app.url(&format!("/embed/v1/oembed?url={q}{extra}"))).send()
    };
    let resp = oembed(frame.clone(), "&maxwidth=500").await.unwrap();
    assert_eq!(resp.status(), 200);
    let o: Value = resp.json().await.unwrap();
    assert_eq!(
        (o["type"].as_str(), o["version"].as_str(), o["width"].as_u64()),
        (Some("rich"), Some("1.0"), Some(500)),
        "{o}"
    );
    assert!(o["html"].as_str().unwrap().starts_with("<iframe src=\"http://127.0.0.1:"), "{o}");
    let resp = oembed("https://elsewhere.example/embed/v1/frame?key=x".into(), "").await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = oembed(frame.replace(&key, "pk_nope"), "").await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = oembed(frame, "&format=xml").await.unwrap();
    assert_eq!(resp.status(), 501);

    // The widget: one script, strings written in, under 15 KB gzipped, cacheable, embeddable.
    let resp =
        app.client.get(app.url("/embed/v1/chorus-search.js")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(resp.headers()["cross-origin-resource-policy"], "cross-origin");
    let gzipped = resp.bytes().await.unwrap().len();
    assert!(gzipped < 15 * 1024, "the widget is {gzipped} bytes gzipped");
    let plain = app.client.get(app.url("/embed/v1/chorus-search.js")).send().await.unwrap().text().await.unwrap();
    assert!(!plain.contains("/*@strings*/") && plain.contains("\"ar\":{"), "strings are written in");
    app.stop().await;
}
backend_test!(the_frame_oembed_and_widget_script);

/// A partner site: `/partner.html` (the widget, under a CSP that allows only Chorus) and
/// `/framed.html` (the frame in an iframe), on its own origin. Returns its origin.
async fn partner_site(chorus: &str, key: &str, query: &str) -> String {
    use poem::listener::{Acceptor, Listener, TcpListener};
    use poem::{EndpointExt, Response, Route, handler, web::Data};

    #[derive(Clone)]
    struct Site {
        chorus: String,
        key: String,
        query: String,
    }

    #[handler]
    fn widget(Data(s): Data<&Site>) -> Response {
        let csp = format!(
            "default-src 'none'; script-src {c}; connect-src {c}; style-src {c}; img-src 'none'; frame-src {c}",
            c = s.chorus
        );
        let html = format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Partenaire</title></head><body>\
             <h1>Bibliothèque</h1><script src=\"{}/embed/v1/chorus-search.js\" async></script>\
             <chorus-search key=\"{}\" lang=\"fr\" per-page=\"3\" sync-url></chorus-search></body></html>",
            s.chorus, s.key
        );
        Response::builder().content_type("text/html; charset=utf-8").header("content-security-policy", csp).body(html)
    }

    #[handler]
    fn framed(Data(s): Data<&Site>) -> Response {
        let q: String = s.query.replace(' ', "+");
        let html = format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Cadre</title></head><body>\
             <iframe src=\"{}/embed/v1/frame?key={}&lang=fr&q={q}\" title=\"Recherche\" width=\"600\" height=\"800\"></iframe>\
             </body></html>",
            s.chorus, s.key
        );
        Response::builder()
            .content_type("text/html; charset=utf-8")
            .header("content-security-policy", format!("default-src 'none'; frame-src {}", s.chorus))
            .body(html)
    }

    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let site = Site { chorus: chorus.to_owned(), key: key.to_owned(), query: query.to_owned() };
    let app = Route::new().at("/partner.html", poem::get(widget)).at("/framed.html", poem::get(framed)).data(site);
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    format!("http://127.0.0.1:{port}")
}

/// The widget in headless Chromium on a partner page of another origin under a strict CSP:
/// typed query, highlighted results, facet counts, a filter, the next page; the key's region
/// only; no cookies, no storage, no request beyond the two origins. A page on an origin the key
/// does not list gets nothing; the frame works with JavaScript off, only on the key's origins.
async fn the_widget_in_a_real_browser(backend: Backend) {
    let Some(js) = crate::frontend::client_tools("playwright-core") else { return };
    let Some(chromium) = crate::frontend::chromium() else { return };
    let Some(app) = spawn_with(backend, true, with_embed).await else { return };
    let admin = app.sign_in(Role::Admin, &[]).await;
    let query = "travail du sexe";
    // The partner's origin is known once its site listens; the key is created for it.
    let probe = partner_site(&app.base, "pending", query).await;
    let (id, key) = create_key(
        &app,
        &admin,
        json!({ "description": "browser", "origins": [probe.clone()], "regions": ["global"], "locales": ["fr", "en"] }),
    )
    .await;
    let allowed = partner_site(&app.base, &key, query).await;
    let r = app
        .gql_as(
            &admin,
            "mutation($id: ID!, $i: PartnerKeyInput!) { updatePartnerKey(id: $id, input: $i) { origins } }",
            json!({ "id": id, "i": { "origins": [allowed.clone()] } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    let other = partner_site(&app.base, &key, query).await;
    // The index holds the demo content before the browser starts.
    for _ in 0..300 {
        let (status, _, body) = partner_search(&app, &key, Some(allowed.as_bytes()), "q=travail").await;
        if status == 200 && body["total"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("embed-widget-{backend:?}.png"));
    let args = json!({
        "page": format!("{allowed}/partner.html"),
        "query": query,
        "facet": "kind",
        "screenshot": screenshot,
        "chorusOrigin": app.base,
        "forbiddenPage": format!("{other}/partner.html"),
        "framePage": format!("{allowed}/framed.html"),
        "forbiddenFramePage": format!("{other}/framed.html"),
    });
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(js.join("embed.mjs"))
            .arg(args.to_string())
            .env("CHROMIUM", chromium_path(&chromium))
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let seen: Value = serde_json::from_str(&stdout).expect("the driver's JSON");
    eprintln!("screenshot: {}", screenshot.display());
    assert!(screenshot.exists());

    // Typed query: highlighted results and facet counts, in the key's scope only.
    let first = &seen["first"];
    assert_eq!(first["state"], "ready", "{seen}");
    let hits = first["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3, "{first}");
    assert!(hits.iter().all(|h| !h["marks"].as_array().unwrap().is_empty()), "every hit shows its matches: {first}");
    assert!(hits.iter().all(|h| h["url"].as_str().unwrap().starts_with("https://network.example/")), "{first}");
    assert!(first["status"].as_str().unwrap().chars().any(|c| c.is_ascii_digit()), "{first}");
    let regions = first["facets"]["region"].as_array().unwrap();
    assert!(!regions.is_empty() && regions.iter().all(|b| b["value"] == "global"), "one region only: {first}");
    let languages = first["facets"]["language"].as_array().unwrap();
    assert!(languages.iter().all(|b| b["value"] == "fr" || b["value"] == "en"), "{first}");
    assert!(first["facets"]["kind"].as_array().unwrap().iter().all(|b| b["count"].as_i64().unwrap() > 0), "{first}");
    // A filter: only the chosen kind remains, checked.
    let filtered = &seen["filtered"];
    assert_eq!(filtered["state"], "ready", "{seen}");
    let kinds = filtered["facets"]["kind"].as_array().unwrap();
    assert!(kinds.iter().all(|b| b["value"] == filtered["clicked"] && b["checked"] == true), "{filtered}");
    // The next page, with the focus moved to the results.
    let paged = &seen["paged"];
    assert_eq!(paged["state"], "ready", "{seen}");
    assert!(paged["pagerText"].as_str().unwrap().contains('2'), "{paged}");
    assert_eq!(paged["activeElementPart"], "results", "{paged}");
    // Asked to (`sync-url`), the widget keeps the query, the filter and the page in the URL.
    let url = paged["pageUrl"].as_str().unwrap();
    assert!(url.contains("chorus-q=travail") && url.contains("chorus-page=2") && url.contains("chorus-kind="), "{url}");
    assert!(first["pageUrl"].as_str().unwrap().contains("chorus-q=travail"), "{first}");
    let titles = |o: &Value| o["hits"].as_array().unwrap().iter().map(|h| h["title"].clone()).collect::<Vec<_>>();
    assert_ne!(titles(paged), titles(filtered), "the next page shows other hits");
    // Private by design: nothing stored, no one else asked.
    assert_eq!(seen["cookies"], json!([]), "{seen}");
    assert_eq!(
        (seen["storage"]["localStorage"].as_i64(), seen["storage"]["sessionStorage"].as_i64()),
        (Some(0), Some(0))
    );
    for url in seen["requests"].as_array().unwrap() {
        let url = url.as_str().unwrap();
        assert!(url.starts_with(&allowed) || url.starts_with(&app.base) || url.starts_with(&other), "{url}");
    }
    assert_eq!(seen["consoleErrors"], json!([]), "{seen}");
    // Another origin gets nothing.
    assert_eq!(seen["forbidden"]["hits"], 0, "{seen}");
    assert_eq!(seen["forbidden"]["state"], "error", "{seen}");
    // The frame without JavaScript, on the key's origin only.
    let frame = &seen["frame"];
    assert!(frame["framed"] == true && frame["formPresent"] == true, "{frame}");
    assert!(!frame["hits"].as_array().unwrap().is_empty() && !frame["marks"].as_array().unwrap().is_empty(), "{frame}");
    assert!(seen["forbiddenFrame"]["hits"].as_array().is_none_or(|h| h.is_empty()), "{seen}");
    app.stop().await;
}
backend_test!(the_widget_in_a_real_browser);

/// The browser's path (`CHORUS_CHROMIUM` may name a command on PATH).
fn chromium_path(bin: &str) -> String {
    if bin.contains('/') {
        return bin.to_owned();
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(bin)).find(|p| p.exists()))
        .map_or_else(|| bin.to_owned(), |p| p.display().to_string())
}
