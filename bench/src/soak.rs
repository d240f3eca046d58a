//! `chorus-bench soak`: a long run at a steady share of the measured maximum rate, with a mixed
//! load (anonymous reads in five locales by list, cursor and slug; searches; signed-in saves and
//! publications), against the release server in a child process on its default configuration.
//!
//! First the maximum is measured (a closed loop at the given concurrency), then requests are sent
//! open-loop at `percent` of it: each at its scheduled time whatever the server does, its latency
//! counted from that time (no coordinated omission). Every minute prints requests, errors, p50
//! and p99; the server's RSS is sampled every 10 s. A benchmark: it asserts nothing.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chorus::auth::{Scope, accounts};
use chorus::config::Config;
use chorus_entities as e;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::{LOCALES, Lcg, answered, cpu_model, free_port, loaded_database, rss, wait_ready};

/// Searches as readers type them, in the demo's languages.
const SEARCHES: [(&str, &str); 16] = [
    ("global fund", "en"),
    ("violence against sex workers", "en"),
    ("how can sex workers take part in the Global Fund?", "en"),
    ("criminalisation", "en"),
    ("health rights", "en"),
    ("travailleuses du sexe violence", "fr"),
    ("Fonds mondial", "fr"),
    ("derechos de las trabajadoras sexuales", "es"),
    ("violencia", "es"),
    ("насилие", "ru"),
    ("права секс-работников", "ru"),
    ("性工作者", "zh-Hans"),
    ("全球基金是什么？", "zh-Hans"),
    ("guide", "en"),
    ("implementation tool", "en"),
    ("Glbal Fnd", "en"),
];

const SEARCH: &str = "query($q: String!, $l: String) { search(query: $q, locale: $l, first: 10, facets: [KIND, TOPIC]) { \
    total allWordsMatched hits { locale titleHtml snippetHtml item { __typename ... on Resource { id title } } } \
    facets { facet buckets { value count label } } } }";

const BY_SLUG: &str = "query($s: String!, $l: String) { resource(slug: $s, locale: $l) { id title summary body locale \
    organizations { title } topics { label } } }";

const LIST: &str = "query($locale: String, $after: String) { resources(first: 20, locale: $locale, after: $after) { \
    pageInfo { hasNextPage endCursor } edges { node { id title summary locale isFallback publishedOn \
    organizations { title acronym } topics { label } } } } }";

const SAVE: &str =
    "mutation($id: ID!, $t: String!) { saveTranslation(id: $id, locale: \"fr\", input: { title: $t }) { title } }";

const PUBLISH: &str =
    "mutation($id: ID!) { setTranslationStatus(id: $id, locale: \"fr\", status: PUBLISHED) { live } }";

/// What one request is.
#[derive(Clone, Copy)]
enum Kind {
    Read,
    Search,
    Write,
}

/// The requests of the mix: bodies built ahead, varied (every locale, 40 cursors, 500 slugs, 16
/// searches in 6 languages, writes over 50 items).
struct Mix {
    reads: Vec<Vec<u8>>,
    searches: Vec<Vec<u8>>,
    items: Vec<String>,
    token: String,
}

impl Mix {
    /// Request `n`: 70 % reads, 20 % searches, 10 % writes (a save, then a publication).
    fn pick(&self, n: u64, rng: &mut Lcg) -> (Kind, Vec<u8>) {
        match n % 10 {
            0 => {
                let item = &self.items[rng.next(self.items.len())];
                let body = if n.is_multiple_of(20) {
                    json!({ "query": SAVE, "variables": { "id": item, "t": format!("Titre d'endurance {n}") } })
                } else {
                    json!({ "query": PUBLISH, "variables": { "id": item } })
                };
                (Kind::Write, serde_json::to_vec(&body).unwrap())
            }
            1 | 2 => (Kind::Search, self.searches[rng.next(self.searches.len())].clone()),
            _ => (Kind::Read, self.reads[rng.next(self.reads.len())].clone()),
        }
    }
}

/// Results of requests in one window.
#[derive(Default)]
struct Window {
    latencies: Vec<u64>,
    errors: u64,
    by_kind: [u64; 3],
}

pub async fn soak(
    postgres: Option<String>,
    resources: usize,
    minutes: u64,
    percent: u64,
    concurrency: usize,
    calibrate_seconds: u64,
) {
    println!("machine: {} cores, {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), cpu_model());
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let (backend, url, admin) = match &postgres {
        Some(base) => {
            let name = format!("chorus_soak_{}", std::process::id());
            let admin = sea_orm::Database::connect(format!("{base}/postgres")).await.expect("PostgreSQL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
            ("PostgreSQL", format!("{base}/{name}"), Some((admin, name)))
        }
        None => ("SQLite", format!("sqlite://{}?mode=rwc", dir.join("soak.db").display()), None),
    };
    let mix = prepare(&url, dir, resources).await;
    println!(
        "soak: {backend}, demo + {resources} resources in 5 locales, default configuration (response cache 1 s, \
         search result cache on); mix: 70 % reads (lists in 5 locales over 40 cursors, 500 slugs), 20 % searches \
         (16 questions and words in 6 languages), 10 % signed-in writes (saves and publications over 50 items)"
    );

    let port = free_port();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--database-url", &url, "--port", &port.to_string(), "--cache-ttl-ms", "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build().unwrap();
    wait_ready(&client, &base, &mut child).await;
    let url = format!("{base}/graphql");
    let mut mix = mix;
    mix.reads.extend(pages(&client, &url).await);
    let mix = Arc::new(mix);

    // The maximum: a closed loop at `concurrency` after a warm-up.
    closed_loop(&client, &url, &mix, concurrency, Duration::from_secs(5)).await;
    let (done, errors) = closed_loop(&client, &url, &mix, concurrency, Duration::from_secs(calibrate_seconds)).await;
    let max_rate = done as f64 / calibrate_seconds as f64;
    let rate = max_rate * percent as f64 / 100.0;
    println!(
        "maximum: {max_rate:.0} req/s ({concurrency} connections, closed loop, {calibrate_seconds} s, {errors} errors); \
         soak at {percent} %: {rate:.0} req/s for {minutes} min, open loop\n"
    );

    // The soak: one request every 1/rate seconds, each latency counted from its scheduled time.
    let window = Arc::new(Mutex::new(Window::default()));
    let in_flight = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let total = Duration::from_secs(minutes * 60);
    let pid = child.id();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        loop {
            samples.push((started.elapsed().as_secs(), rss(pid).0, anon(pid)));
            if started.elapsed() >= total {
                return samples;
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    });
    let reporter = {
        let window = window.clone();
        tokio::spawn(async move {
            println!("| minute | requests | reads | searches | writes | errors | p50 (ms) | p99 (ms) | max (ms) |");
            println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            let mut summary = (0u64, 0u64, 0.0f64);
            for minute in 1..=minutes {
                tokio::time::sleep_until((started + Duration::from_secs(minute * 60)).into()).await;
                let w = std::mem::take(&mut *window.lock().await);
                let mut l = w.latencies;
                l.sort_unstable();
                let pct = |p: f64| {
                    l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(0) as f64
                        / 1000.0
                };
                let n = l.len() as u64 + w.errors;
                println!(
                    "| {minute} | {n} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} |",
                    w.by_kind[0],
                    w.by_kind[1],
                    w.by_kind[2],
                    w.errors,
                    pct(0.5),
                    pct(0.99),
                    pct(1.0)
                );
                summary.0 += n;
                summary.1 += w.errors;
                summary.2 = summary.2.max(pct(0.99));
            }
            summary
        })
    };
    let mut rng = Lcg(7);
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let mut n: u64 = 0;
    while started.elapsed() < total {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let (kind, body) = mix.pick(n, &mut rng);
        n += 1;
        let (client, url, window, in_flight, token) =
            (client.clone(), url.clone(), window.clone(), in_flight.clone(), mix.token.clone());
        in_flight.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let ok = send(&client, &url, kind, body, &token).await;
            let micros = due.elapsed().as_micros() as u64;
            let mut w = window.lock().await;
            w.by_kind[kind as usize] += 1;
            if ok {
                w.latencies.push(micros);
            } else {
                w.errors += 1;
            }
            in_flight.fetch_sub(1, Ordering::Relaxed);
        });
    }
    let (sent, errors, worst_p99) = reporter.await.unwrap();
    let samples = sampler.await.unwrap();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    if let Some((admin, name)) = admin {
        admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.ok();
    }

    println!("\nserver RSS every 10 s, MB (of which anonymous memory: heap and stacks; the rest is mapped files,");
    println!("mostly the search index's segments):");
    let line: Vec<String> = samples.iter().map(|(s, mb, a)| format!("{s}s {mb:.0} ({a:.0})")).collect();
    println!("{}", line.join(", "));
    // Single samples are noisy (allocation comes and goes within seconds): compare minutes.
    let mean = |minute: u64, pick: fn(&(u64, f64, f64)) -> f64| {
        let w: Vec<f64> = samples.iter().filter(|s| s.0 > (minute - 1) * 60 && s.0 <= minute * 60).map(pick).collect();
        w.iter().sum::<f64>() / w.len().max(1) as f64
    };
    let minutes_list: Vec<u64> = (1..=minutes).collect();
    println!("\n| minute | {} |", minutes_list.iter().map(u64::to_string).collect::<Vec<_>>().join(" | "));
    println!("|---|{}", "---:|".repeat(minutes_list.len()));
    for (what, pick) in
        [("RSS mean (MB)", (|s: &(u64, f64, f64)| s.1) as fn(&_) -> f64), ("anonymous mean (MB)", |s| s.2)]
    {
        let cells: Vec<String> = minutes_list.iter().map(|m| format!("{:.0}", mean(*m, pick))).collect();
        println!("| {what} | {} |", cells.join(" | "));
    }
    if minutes >= 2 {
        let (second, last) = (mean(2, |s| s.1), mean(minutes, |s| s.1));
        println!(
            "RSS from minute 2 to minute {minutes}: {second:.0} MB -> {last:.0} MB ({:+.1} %)",
            (last - second) / second * 100.0
        );
    }
    println!(
        "\nsoak total: {sent} requests, {errors} errors, worst minute p99 {worst_p99:.1} ms, {} still in flight at the end",
        in_flight.load(Ordering::Relaxed)
    );
}

/// Anonymous resident memory of a process (heap, stacks), in MB.
fn anon(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// The first eight pages of the list in each locale (cursors are opaque: walked through the API).
async fn pages(client: &reqwest::Client, url: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for locale in LOCALES {
        let mut after: Option<String> = None;
        for _ in 0..8 {
            let body = json!({ "query": LIST, "variables": { "locale": locale, "after": after } });
            let answer: Value = client.post(url).json(&body).send().await.unwrap().json().await.unwrap();
            out.push(serde_json::to_vec(&body).unwrap());
            let info = &answer["data"]["resources"]["pageInfo"];
            match info["endCursor"].as_str() {
                Some(c) if info["hasNextPage"] == true => after = Some(c.to_owned()),
                _ => break,
            }
        }
    }
    out
}

/// One request; true when it is answered 200 without GraphQL errors.
async fn send(client: &reqwest::Client, url: &str, kind: Kind, body: Vec<u8>, token: &str) -> bool {
    let mut req = client.post(url).header("content-type", "application/json").body(body);
    if matches!(kind, Kind::Write) {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    answered(req).await
}

/// Requests of the mix from `concurrency` tasks for `duration`: (answered, errors).
async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    mix: &Arc<Mix>,
    concurrency: usize,
    duration: Duration,
) -> (u64, u64) {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url, mix, done, errors) =
            (client.clone(), url.to_owned(), mix.clone(), done.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Lcg(worker as u64 + 100);
            let mut n = worker as u64;
            while Instant::now() < deadline {
                let (kind, body) = mix.pick(n, &mut rng);
                n += concurrency as u64;
                if send(&client, &url, kind, body, &mix.token).await {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed))
}

/// Loads the database and builds the mix's requests: cursors walked from the first page, slugs
/// and item ids read from the database, an editor's API token.
async fn prepare(url: &str, dir: &Path, resources: usize) -> Mix {
    let db = loaded_database(url, dir, resources).await;
    let locales = Config::default().locales().unwrap();
    let editor = accounts::NewUser {
        email: "soak@example.org".into(),
        display_name: "Soak".into(),
        password: "a long soak password".into(),
        role: e::Role::Editor,
        locales: vec![],
    };
    accounts::create_user(&db, &locales, chorus::write::Actor::system("test setup"), editor).await.unwrap();
    let (_, token) = accounts::create_api_token(
        &db,
        chorus::write::Actor::system("test setup"),
        "soak@example.org",
        "soak",
        &[Scope::Write, Scope::Publish],
        None,
    )
    .await
    .unwrap();

    let live = e::resource_translations::Entity::find()
        .filter(e::resource_translations::Column::Version.eq(e::TranslationVersion::Live))
        .order_by_asc(e::resource_translations::Column::Id);
    let slugs: Vec<(String, String)> =
        live.clone().limit(2500).all(&db).await.unwrap().into_iter().step_by(5).map(|t| (t.slug, t.locale)).collect();
    let items: Vec<String> = e::resources::Entity::find()
        .order_by_desc(e::resources::Column::Id)
        .limit(50)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| chorus::graphql::ids::encode(chorus::graphql::ids::NodeType::Resource, r.id).0)
        .collect();
    db.close().await.ok();

    let mut reads = Vec::new();
    for (slug, locale) in &slugs {
        reads.push(json!({ "query": BY_SLUG, "variables": { "s": slug, "l": locale } }));
    }
    let reads: Vec<Vec<u8>> = reads.iter().map(|b| serde_json::to_vec(b).unwrap()).collect();
    let searches = SEARCHES
        .iter()
        .map(|(q, l)| serde_json::to_vec(&json!({ "query": SEARCH, "variables": { "q": q, "l": l } })).unwrap())
        .collect();
    Mix { reads, searches, items, token }
}
