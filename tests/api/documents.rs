//! Per-language documents: uploaded over REST and GraphQL multipart, refused when disguised or
//! too large, listed on items following their language's publication status, downloaded with
//! safe headers and byte ranges, their text found by search, on the local store and on a real
//! S3-compatible server (moto).

use std::time::Duration;

use chorus_entities::Role;
use chorus_tests::{Backend, TestApp, backend_test, spawn_with};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::first_code;
use crate::translations::cli;

const RU_PDF: &[u8] = include_bytes!("../fixtures/documents/brief-ru.pdf");
const EN_PDF: &[u8] = include_bytes!("../fixtures/documents/brief-en.pdf");

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A resource in English and Russian, both published; its global id.
async fn resource(app: &TestApp, editor: &str) -> String {
    let create = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
    let input = json!({ "i": { "kind": "BRIEFING_PAPER", "publishedOn": "2026-10-01", "sourceLocale": "en",
        "text": { "title": "Community safety", "summary": "Safety of peer educators.", "body": "<p>Safety.</p>" } } });
    let r = app.gql_as(editor, create, input).await;
    let id = r["data"]["createResource"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    let save = "mutation($id: ID!, $l: String!, $i: TranslationInput!) { saveTranslation(id: $id, locale: $l, input: $i) { locale } }";
    let r = app
        .gql_as(
            editor,
            save,
            json!({ "id": id, "l": "ru", "i": { "title": "Безопасность сообществ", "summary": "Кратко." } }),
        )
        .await;
    assert!(r["errors"].is_null(), "{r}");
    for locale in ["en", "ru"] {
        let publish =
            "mutation($id: ID!, $l: String!) { setTranslationStatus(id: $id, locale: $l, status: PUBLISHED) { live } }";
        let r = app.gql_as(editor, publish, json!({ "id": id, "l": locale })).await;
        assert_eq!(r["data"]["setTranslationStatus"]["live"], true, "{r}");
    }
    id
}

async fn upload(app: &TestApp, token: &str, query: &str, bytes: Vec<u8>) -> (u16, Value) {
    let resp = app
        .client
        .post(app.url(&format!("/v1/documents?{query}")))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
}

const DOCUMENTS: &str = "query($id: ID!) { node(id: $id) { ... on Resource { documents { id locale title fileName url \
    mimeType size sha256 pages textStatus } } } }";

async fn documents(app: &TestApp, token: Option<&str>, id: &str) -> Vec<Value> {
    let r = match token {
        Some(t) => app.gql_as(t, DOCUMENTS, json!({ "id": id })).await,
        None => app.gql(DOCUMENTS, json!({ "id": id })).await,
    };
    r["data"]["node"]["documents"].as_array().unwrap_or_else(|| panic!("{r}")).clone()
}

/// Every file under a folder (the local store, the staging folder).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out
}

async fn get(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(app.url(url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn document_lifecycle(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| {
        c.search.refresh_interval_ms = 100;
        c.documents.max_file_bytes = 100_000;
    })
    .await
    else {
        return;
    };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let id = resource(&app, &editor).await;
    let item = urlencode(&id);

    // REST: the Russian PDF as the body.
    let (s, b) = upload(
        &app,
        &editor,
        &format!("item={item}&locale=ru&name=%D0%9E%D1%82%D1%87%D1%91%D1%82%202025.pdf"),
        RU_PDF.to_vec(),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["created"], true, "{b}");
    let ru = b["document"].clone();
    assert_eq!(ru["locale"], "ru");
    assert_eq!(ru["mimeType"], "application/pdf");
    assert_eq!(ru["size"], RU_PDF.len());
    assert_eq!(ru["sha256"], sha256(RU_PDF));
    assert_eq!(ru["fileName"], "Отчёт 2025.pdf");
    let url = ru["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/v1/documents/") && url.ends_with("/%D0%9E%D1%82%D1%87%D1%91%D1%82-2025.pdf"), "{url}");
    // The same bytes again: nothing new.
    let (s, b) = upload(&app, &editor, &format!("item={item}&locale=ru&name=again.pdf"), RU_PDF.to_vec()).await;
    assert_eq!((s, &b["created"], &b["document"]["id"]), (200, &json!(false), &ru["id"]), "{b}");

    // GraphQL multipart: the English PDF with a title.
    let operations = json!({
        "query": "mutation($item: ID!, $f: Upload!) { uploadDocument(item: $item, locale: \"en\", file: $f, title: \"Briefing (English)\") { created document { locale title mimeType textStatus } } }",
        "variables": { "item": id, "f": null },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part("0", reqwest::multipart::Part::bytes(EN_PDF.to_vec()).file_name("briefing.pdf"));
    let r: Value = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {editor}"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["data"]["uploadDocument"],
        json!({ "created": true, "document": { "locale": "en", "title": "Briefing (English)",
            "mimeType": "application/pdf", "textStatus": "PENDING" } }),
        "{r}"
    );

    // Refused: a web page named .pdf, a file over the limit (declared, and streamed without a
    // declared length), a locale that is not configured, no token. Nothing is kept.
    let files = app.config.documents.dir(&app.config.server.data_dir);
    let staging = app.config.server.data_dir.join("tmp").join("uploads");
    assert_eq!(files_under(&files).len(), 2);
    let (s, b) = upload(
        &app,
        &editor,
        &format!("item={item}&locale=ru&name=x.pdf"),
        b"<html><script>alert(1)</script></html>".to_vec(),
    )
    .await;
    assert_eq!((s, first_code(&b)), (415, "UNSUPPORTED_FILE_FORMAT".to_owned()), "{b}");
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(150_000, b'x');
    let (s, b) = upload(&app, &editor, &format!("item={item}&locale=ru"), big.clone()).await;
    assert_eq!((s, first_code(&b)), (413, "PAYLOAD_TOO_LARGE".to_owned()), "{b}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.chunks(16_384).map(|c| Ok(c.to_vec())).collect();
    let resp = app
        .client
        .post(app.url(&format!("/v1/documents?item={item}&locale=ru")))
        .header("authorization", format!("Bearer {editor}"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    let (s, b) = upload(&app, &editor, &format!("item={item}&locale=xx-Bogus"), RU_PDF.to_vec()).await;
    assert_eq!((s, first_code(&b)), (400, "BAD_USER_INPUT".to_owned()), "{b}");
    let resp = app
        .client
        .post(app.url(&format!("/v1/documents?item={item}&locale=ru")))
        .body(RU_PDF.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(files_under(&files).len(), 2, "refused uploads store nothing");
    assert_eq!(files_under(&staging).len(), 0, "staged files are removed");

    // A translator works in their languages only.
    let fr = app.sign_in(Role::Translator, &["fr"]).await;
    let (s, b) = upload(&app, &fr, &format!("item={item}&locale=ru"), EN_PDF.to_vec()).await;
    assert_eq!((s, first_code(&b)), (403, "FORBIDDEN".to_owned()), "{b}");
    // ...and cannot publish a document in a language the item has no version in.
    let (s, b) = upload(&app, &fr, &format!("item={item}&locale=fr"), EN_PDF.to_vec()).await;
    assert_eq!((s, first_code(&b)), (403, "FORBIDDEN".to_owned()), "{b}");
    assert!(b["errors"][0]["message"].as_str().unwrap().contains("publish"), "{b}");

    // A damaged PDF is stored and downloadable, flagged unreadable; it blocks nothing.
    let mut broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n".to_vec();
    broken.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef].repeat(200));
    let (s, b) = upload(&app, &editor, &format!("item={item}&locale=zh-Hans&name=broken.pdf"), broken).await;
    assert_eq!(s, 201, "{b}");
    let broken_id = b["document"]["id"].as_str().unwrap().to_owned();
    let mut status = Value::Null;
    for _ in 0..200 {
        let all = documents(&app, None, &id).await;
        status =
            all.iter().find(|d| d["id"] == broken_id.as_str()).map(|d| d["textStatus"].clone()).unwrap_or_default();
        if status != "PENDING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "UNREADABLE");
    let r = app.gql_as(&editor, "mutation($id: ID!) { deleteDocument(id: $id) }", json!({ "id": broken_id })).await;
    assert!(r["errors"].is_null(), "{r}");

    // Public: both documents, in configured order, the Russian one's text read in the background.
    let mut listed = Vec::new();
    for _ in 0..200 {
        listed = documents(&app, None, &id).await;
        if listed.iter().all(|d| d["textStatus"] == "EXTRACTED") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed.iter().map(|d| d["locale"].as_str().unwrap()).collect::<Vec<_>>(), ["en", "ru"], "{listed:?}");
    assert_eq!(listed[1]["pages"], 2, "{listed:?}");
    assert_eq!(listed[1]["textStatus"], "EXTRACTED", "{listed:?}");

    // Download: the bytes, as an attachment that nothing renders or sniffs.
    let resp = get(&app, &url, &[]).await;
    assert_eq!(resp.status().as_u16(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"_____-2025.pdf\"; filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82-2025.pdf"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(h["etag"], format!("\"{}\"", sha256(RU_PDF)).as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    assert!(h.get("content-encoding").is_none());
    assert_eq!(resp.bytes().await.unwrap().as_ref(), RU_PDF);
    let resp = get(&app, &url, &[("range", "bytes=100-199")]).await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.headers()["content-range"], format!("bytes 100-199/{}", RU_PDF.len()).as_str());
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &RU_PDF[100..200]);
    let resp = get(&app, &url, &[("range", "bytes=-50"), ("accept-encoding", "gzip, br")]).await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &RU_PDF[RU_PDF.len() - 50..]);
    let resp = get(&app, &url, &[("range", "bytes=999999-")]).await;
    assert_eq!(resp.status().as_u16(), 416);
    assert_eq!(resp.headers()["content-range"], format!("bytes */{}", RU_PDF.len()).as_str());
    let etag = format!("\"{}\"", sha256(RU_PDF));
    let resp = get(&app, &url, &[("if-none-match", &etag)]).await;
    assert_eq!(resp.status().as_u16(), 304);
    let resp = get(&app, "/v1/documents/999999/x.pdf", &[]).await;
    assert_eq!(resp.status().as_u16(), 404);

    // Search finds a phrase that is only in the PDF, in Russian, and says where it was.
    let q = r#"query($q: String!) { search(query: $q, locale: "ru") { total hits { locale fromDocument snippetHtml item { ... on Resource { id } } } } }"#;
    let mut found = Value::Null;
    for _ in 0..200 {
        found = app.data(q, json!({ "q": "Где проходили тренинги по цифровой безопасности?" })).await;
        // The title matches at once; the PDF's text once read and indexed.
        if found["search"]["hits"][0]["fromDocument"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hit = &found["search"]["hits"][0];
    assert_eq!(hit["item"]["id"], id, "{found}");
    assert_eq!((&hit["locale"], &hit["fromDocument"]), (&json!("ru"), &json!(true)), "{found}");
    assert!(hit["snippetHtml"].as_str().unwrap().contains("<mark>"), "{found}");

    // A language with a document and no version (Spanish): public with the source version, and
    // "available in Spanish".
    let (s, b) = upload(&app, &editor, &format!("item={item}&locale=es&name=guia.pdf"), EN_PDF.to_vec()).await;
    assert_eq!(s, 201, "{b}");
    let es = b["document"]["id"].as_str().unwrap().to_owned();
    let available = "query($l: [String!]) { resources(filter: { availableIn: $l }) { edges { node { id } } } }";
    let in_es = app.data(available, json!({ "l": ["es"] })).await;
    assert_eq!(crate::nodes(&in_es["resources"]).len(), 1, "{in_es}");
    let in_zh = app.data(available, json!({ "l": ["zh-Hans"] })).await;
    assert_eq!(crate::nodes(&in_zh["resources"]).len(), 0, "{in_zh}");
    assert_eq!(documents(&app, None, &id).await.len(), 3);

    // Taking the Russian version offline takes its document with it (not for editors).
    let unpublish = "mutation($id: ID!) { unpublishTranslation(id: $id, locale: \"ru\") { live } }";
    let r = app.gql_as(&editor, unpublish, json!({ "id": id })).await;
    assert!(r["errors"].is_null(), "{r}");
    let public: Vec<Value> = documents(&app, None, &id).await;
    assert_eq!(public.iter().map(|d| d["locale"].as_str().unwrap()).collect::<Vec<_>>(), ["en", "es"]);
    assert_eq!(get(&app, &url, &[]).await.status().as_u16(), 404);
    let auth = format!("Bearer {editor}");
    let resp = get(&app, &url, &[("authorization", &auth)]).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["cache-control"], "private, no-store");
    let preview = "{ resources(preview: true, filter: { availableIn: [\"ru\"] }) { edges { node { id } } } }";
    let r = app.gql_as(&editor, preview, json!({})).await;
    assert_eq!(crate::nodes(&r["data"]["resources"]).len(), 1, "{r}");
    let in_ru = app.data(available, json!({ "l": ["ru"] })).await;
    assert_eq!(crate::nodes(&in_ru["resources"]).len(), 0, "{in_ru}");

    // Deleting a document: gone from the item; its object, shared with the English document,
    // stays; the store holds exactly what the rows name.
    let r = app.gql_as(&editor, "mutation($id: ID!) { deleteDocument(id: $id) }", json!({ "id": es })).await;
    assert_eq!(r["data"]["deleteDocument"], es, "{r}");
    let left: Vec<Value> = documents(&app, Some(&editor), &id).await;
    assert_eq!(left.iter().map(|d| d["locale"].as_str().unwrap()).collect::<Vec<_>>(), ["en"], "{left:?}");
    let storage =
        chorus_tests::chorus::storage::Storage::from_config(&app.config.documents, &app.config.server.data_dir)
            .unwrap();
    let check = chorus_tests::chorus::content::documents::check(&app.db, &storage).await.unwrap();
    // The damaged PDF's object is no one's now: the sweeper's, after the grace period.
    assert_eq!((check.rows, check.objects, check.missing.len(), check.unreferenced.len()), (2, 3, 0, 1), "{check:?}");

    // The command line: an upload, a check, and a check that finds a file gone from the store.
    let pdf = app.config.server.data_dir.join("Rapport FR.pdf");
    std::fs::write(&pdf, RU_PDF).unwrap();
    let (ok, out) = cli(&app, &["documents", "upload", pdf.to_str().unwrap(), "--item", &id, "--locale", "fr"]);
    assert!(ok && !out.contains("already there") && out.contains("application/pdf"), "{out}");
    let (ok, out) = cli(&app, &["documents", "check"]);
    assert!(ok && out.contains("3 documents, 3 stored files") && out.contains("unused: "), "{out}");
    let en_object = files_under(&files).into_iter().find(|p| p.ends_with(sha256(EN_PDF))).unwrap();
    std::fs::remove_file(en_object).unwrap();
    let (ok, out) = cli(&app, &["documents", "check"]);
    assert!(!ok && out.contains("missing: document"), "{out}");
    app.stop().await;
}
backend_test!(document_lifecycle);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A moto S3 server on a free port with one bucket, for as long as the value lives; `None`
/// when moto is not installed (a failure when `CHORUS_REQUIRE_S3` is set, as in CI).
struct Moto {
    child: std::process::Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto(bucket: &str) -> Option<Moto> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let spawned = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) => {
            assert!(std::env::var_os("CHORUS_REQUIRE_S3").is_none(), "moto_server is required: {e}");
            eprintln!("skipped: moto_server is not installed (pip install 'moto[server]'), S3 variant not run");
            return None;
        }
    };
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        // moto checks no signatures: a plain PUT creates the bucket.
        if let Ok(r) = client.put(format!("{}/{bucket}", moto.endpoint)).send().await
            && r.status().is_success()
        {
            return Some(moto);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start on port {port}");
}

async fn documents_on_s3(backend: Backend) {
    let Some(s3) = moto("chorus-test").await else { return };
    let endpoint = s3.endpoint.clone();
    let Some(app) = spawn_with(backend, false, move |c| {
        use chorus_tests::chorus::config::{S3Credentials, StorageBackend};
        c.documents.storage = StorageBackend::S3;
        c.documents.s3_bucket = "chorus-test".into();
        c.documents.s3_endpoint = endpoint;
        c.documents.s3_allow_http = true;
        c.documents.s3_prefix = "site-a".into();
        c.documents.s3_credentials = Some(S3Credentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        });
    })
    .await
    else {
        return;
    };
    let editor = app.sign_in(Role::Editor, &[]).await;
    let id = resource(&app, &editor).await;
    let item = urlencode(&id);
    // Large enough for a multipart upload to the store (parts of 5 MiB).
    let mut big = RU_PDF.to_vec();
    big.extend(std::iter::repeat_n(b'%', 6 * 1024 * 1024));
    for (locale, bytes) in [("ru", RU_PDF.to_vec()), ("en", big.clone())] {
        let (s, b) = upload(&app, &editor, &format!("item={item}&locale={locale}&name=brief.pdf"), bytes).await;
        assert_eq!(s, 201, "{b}");
    }
    let listed = documents(&app, None, &id).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let en = listed.iter().find(|d| d["locale"] == "en").unwrap();
    let url = en["url"].as_str().unwrap();
    let resp = get(&app, url, &[]).await;
    assert_eq!(resp.status().as_u16(), 200);
    let got = resp.bytes().await.unwrap();
    assert_eq!(got.len(), big.len());
    assert_eq!(sha256(&got), sha256(&big));
    let resp = get(&app, url, &[("range", "bytes=5242870-5242889")]).await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &big[5_242_870..5_242_890]);

    // The objects are in the bucket, under the prefix, named by their content.
    let listing = reqwest::get(format!("{}/chorus-test?list-type=2", s3.endpoint)).await.unwrap().text().await.unwrap();
    for bytes in [RU_PDF, &big[..]] {
        let h = sha256(bytes);
        assert!(listing.contains(&format!("<Key>site-a/documents/sha256/{}/{h}</Key>", &h[..2])), "{listing}");
    }

    // A deleted document's object goes with the sweep (no grace here); the rest stays.
    let ru = listed.iter().find(|d| d["locale"] == "ru").unwrap()["id"].clone();
    let r = app.gql_as(&editor, "mutation($id: ID!) { deleteDocument(id: $id) }", json!({ "id": ru })).await;
    assert!(r["errors"].is_null(), "{r}");
    let storage =
        chorus_tests::chorus::storage::Storage::from_config(&app.config.documents, &app.config.server.data_dir)
            .unwrap();
    use chorus_tests::chorus::content::documents::{check, sweep};
    let removed = sweep(&app.db, &storage, chrono::Duration::zero()).await.unwrap();
    assert_eq!(removed.len(), 1, "{removed:?}");
    let report = check(&app.db, &storage).await.unwrap();
    assert_eq!((report.rows, report.objects, report.missing.len(), report.unreferenced.len()), (1, 1, 0, 0));
    assert_eq!(get(&app, url, &[]).await.status().as_u16(), 200);
    app.stop().await;
}
backend_test!(documents_on_s3);

/// `chorus demo load` attaches the SWIT checklist in four languages; a running server reads
/// their text (another process's uploads, found by polling) and search finds it.
async fn demo_documents(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| {
        c.search.refresh_interval_ms = 100;
        // The CLI's uploads are another process's: found by polling.
        c.documents.text_poll_ms = 100;
    })
    .await
    else {
        return;
    };
    let (ok, out) = cli(&app, &["demo", "load"]);
    assert!(ok && out.contains("4 documents stored"), "{out}");
    let (ok, out) = cli(&app, &["demo", "load"]);
    assert!(ok && out.contains("0 documents stored"), "{out}");
    let q = r#"query($q: String!, $l: String!) { search(query: $q, locale: $l) { hits { locale fromDocument
        item { ... on Resource { title documents { locale textStatus } } } } } }"#;
    let mut found = Value::Null;
    for _ in 0..300 {
        // SERVICE_UNAVAILABLE while the index is first built.
        found = app.gql(q, json!({ "q": "контрольный список для руководителей", "l": "ru" })).await["data"].clone();
        if found["search"]["hits"][0]["fromDocument"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hit = &found["search"]["hits"][0];
    assert_eq!((&hit["locale"], &hit["fromDocument"]), (&json!("ru"), &json!(true)), "{found}");
    let docs = hit["item"]["documents"].as_array().unwrap();
    assert_eq!(docs.iter().map(|d| d["locale"].as_str().unwrap()).collect::<Vec<_>>(), ["en", "fr", "es", "ru"]);
    app.stop().await;
}
backend_test!(demo_documents);
