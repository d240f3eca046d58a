//! The partner search endpoint (`/v1/search`) against the same search through GraphQL, on the
//! search benchmark's 100,000 documents: throughput, p99 and the server's CPU per request, with
//! every cache off and with the defaults, for the fixed mix and a long tail of 20,000 queries,
//! GraphQL and the endpoint interleaved in rounds; and the widget's size on the wire.
//!
//! The GraphQL side sends the very query the endpoint runs in-process (`http::embed::QUERY`,
//! same selection and facets), so the difference is what the endpoint adds: the key and origin
//! checks, the rate limit, usage counting and the reshaping into its JSON.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::ConnectionTrait;

use crate::reads::{Make, measure};
use crate::search::{Sdg, corpus_root, load_corpus, query_mix, query_mix_from};

const ORIGIN: &str = "https://partner.example";

/// The same searches both ways: GraphQL with the endpoint's own query (bodies built once), and
/// `/v1/search` with the partner's origin and key.
fn makers(client: &reqwest::Client, server: &str, key: &str, queries: &[String]) -> (Make, Make) {
    let gql_url = format!("{server}/graphql");
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        queries
            .iter()
            .map(|q| {
                serde_json::to_vec(&serde_json::json!({ "query": chorus::http::embed::QUERY,
                    "variables": { "q": q, "locale": "en", "filter": {}, "first": 10 } }))
                .unwrap()
            })
            .collect(),
    );
    let c = client.clone();
    let graphql: Make =
        Arc::new(move |i| c.post(&gql_url).header("content-type", "application/json").body(bodies[i].clone()));
    let urls: Arc<Vec<String>> =
        Arc::new(queries.iter().map(|q| format!("{server}/v1/search?q={}&lang=en&per_page=10", encode(q))).collect());
    let (c, key) = (client.clone(), key.to_owned());
    let endpoint: Make = Arc::new(move |i| c.get(&urls[i]).header("origin", ORIGIN).header("x-chorus-key", &key));
    (graphql, endpoint)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

pub async fn run(
    documents: usize,
    seconds: u64,
    concurrency: usize,
    rounds: usize,
    only: Option<String>,
    base: String,
) {
    let sdg = Sdg::load(&corpus_root());
    let items = documents / crate::LOCALES.len();
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        crate::cpu_model()
    );
    let name = format!("chorus_embed_bench_{}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{base}/postgres")).await.expect("PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let url = format!("{base}/{name}");
    let mut config = chorus::config::Config::default();
    config.database.url = url.clone();
    let db = chorus::db::connect(&config, None).await.expect("connect");
    chorus::db::prepare(&db, config.database.migrate_on_start).await.expect("migrate");
    chorus::demo::load(&db).await.expect("demo");
    load_corpus(&db, items).await;
    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    let locales = config.locales().unwrap();
    let settings = chorus::partners::KeySettings {
        description: Some("benchmark".into()),
        origins: Some(vec![ORIGIN.into()]),
        rate_per_minute: Some(1_000_000),
        burst: Some(100_000),
        ..Default::default()
    };
    let (_, key) =
        chorus::partners::create(&db, &locales, &config.embed, chorus::write::Actor::system("bench"), settings)
            .await
            .expect("partner key");
    db.close().await.ok();
    println!(
        "corpus: {items} resources x {} locales = {} documents (the search benchmark's); PostgreSQL",
        crate::LOCALES.len(),
        items * crate::LOCALES.len()
    );

    let queries = Arc::new(query_mix(&sdg, 300));
    let tail = Arc::new(query_mix_from(&sdg, 20_000, 1_000_003));
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let setups = [
        ("every cache off: each search computed", "0", "0"),
        ("defaults: index result cache, 1 s response cache", "1000", "1000"),
    ];
    let mut rows: Vec<String> = Vec::new();
    let mut ratios: Vec<String> = Vec::new();
    let mut widget = None;
    let setups = setups.into_iter().filter(|(setup, ..)| only.as_deref().is_none_or(|o| setup.starts_with(o)));
    for (setup, cache_ttl, result_cache) in setups {
        let port = crate::free_port();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "serve",
                "--data-dir",
                dir.path().to_str().unwrap(),
                "--database-url",
                &url,
                "--port",
                &port.to_string(),
                "--cache-ttl-ms",
                cache_ttl,
            ])
            .env("CHORUS_SEARCH__RESULT_CACHE_ENTRIES", result_cache)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("server starts");
        let server = format!("http://127.0.0.1:{port}");
        crate::wait_ready(&client, &server, &mut child).await;
        // The first start builds the index; later ones open it.
        for _ in 0..1200 {
            let r = client
                .get(format!("{server}/v1/search?q=water"))
                .header("origin", ORIGIN)
                .header("x-chorus-key", &key)
                .send()
                .await;
            if r.is_ok_and(|r| r.status() == 200) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if widget.is_none() {
            let mut sizes = Vec::new();
            for encoding in ["identity", "gzip", "br"] {
                let r = client
                    .get(format!("{server}/embed/v1/chorus-search.js"))
                    .header("accept-encoding", encoding)
                    .send()
                    .await
                    .unwrap();
                sizes.push((encoding, r.bytes().await.unwrap().len()));
            }
            widget = Some(sizes);
        }
        let pid = child.id();
        // Untimed first: the index's files into the page cache, the pools filled.
        let (graphql_make, endpoint_make) = makers(&client, &server, &key, &queries);
        for make in [graphql_make, endpoint_make] {
            crate::hammer_with(queries.len(), make, concurrency, Duration::from_secs(seconds), crate::Order::Cyclic)
                .await;
        }
        for round in 1..=rounds {
            for (mix, list) in [("fixed mix of 300", &queries), ("long tail of 20,000", &tail)] {
                let (graphql_make, endpoint_make) = makers(&client, &server, &key, list);
                let n = list.len();
                // Which goes first alternates from round to round.
                let (graphql, endpoint) = if round % 2 == 1 {
                    let g = measure(graphql_make, n, crate::Order::Cyclic, concurrency, seconds, pid, false).await;
                    let e = measure(endpoint_make, n, crate::Order::Cyclic, concurrency, seconds, pid, false).await;
                    (g, e)
                } else {
                    let e = measure(endpoint_make, n, crate::Order::Cyclic, concurrency, seconds, pid, false).await;
                    let g = measure(graphql_make, n, crate::Order::Cyclic, concurrency, seconds, pid, false).await;
                    (g, e)
                };
                for (path, m) in [("GraphQL `search` (the endpoint's query)", &graphql), ("`/v1/search`", &endpoint)] {
                    rows.push(format!(
                        "| {round} | {setup} | {mix} | {path} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
                        m.rate, m.p50, m.p99, m.cpu_ms, m.errors
                    ));
                }
                ratios.push(format!(
                    "| {round} | {setup} | {mix} | {:+.1} % | {:+.1} % |",
                    (endpoint.cpu_ms / graphql.cpu_ms - 1.0) * 100.0,
                    (graphql.rate / endpoint.rate - 1.0) * 100.0,
                ));
            }
        }
        let (rss, _) = crate::rss(pid);
        rows.push(format!("| | {setup} | | server RSS after the runs: {rss:.0} MB | | | | | |"));
        let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        let _ = child.wait();
    }
    admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.ok();

    println!(
        "\nPartner search: {concurrency} connections, {seconds} s after 3 s warm-up per row; GraphQL and the endpoint \
         interleaved (which goes first alternates by round, after an untimed pass of each); English reader, all languages searched, 10 hits, facets on kind, region, topic and language; \
         CPU is the server's (user + system) per answered request:\n"
    );
    println!("| round | caches | queries | path | req/s | p50 (ms) | p99 (ms) | server CPU/request (ms) | errors |");
    println!("|---:|---|---|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!("{r}");
    }
    println!("\nWhat the endpoint adds to the same search through GraphQL:\n");
    println!("| round | caches | queries | CPU per request | time per request (1/throughput) |");
    println!("|---:|---|---|---:|---:|");
    for r in &ratios {
        println!("{r}");
    }
    if let Some(sizes) = widget {
        println!("\nThe widget (/embed/v1/chorus-search.js, strings included) on the wire:\n");
        println!("| encoding | bytes |");
        println!("|---|---:|");
        for (encoding, n) in sizes {
            println!("| {encoding} | {n} |");
        }
    }
}
