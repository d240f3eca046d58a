//! A server killed with SIGKILL in the middle of a burst of saves restarts with no partial
//! write, and every pending webhook is delivered, one delivery per idempotency key.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use chorus_entities::{Role, webhooks};
use chorus_tests::chorus::auth::accounts;
use chorus_tests::chorus::{db, demo};
use chorus_tests::{Backend, backend_test, create_postgres_database, drop_postgres_database, test_config};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Request, Route, handler, web::Data};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use serde_json::json;

#[handler]
fn receive(req: &Request, Data(keys): Data<&Arc<Mutex<Vec<String>>>>) -> &'static str {
    keys.lock().unwrap().push(req.header("idempotency-key").unwrap_or_default().to_owned());
    "ok"
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process, killed when dropped (so that a failing test leaves none behind).
struct Server(Child);

impl Server {
    fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }

    fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.0.wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the servers' warnings go: the file `CHORUS_TEST_SERVER_LOG` names (appended to, every
/// server of every test in it), or nowhere.
fn server_log() -> Stdio {
    let Ok(path) = std::env::var("CHORUS_TEST_SERVER_LOG") else { return Stdio::null() };
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
    file.map_or_else(|e| panic!("CHORUS_TEST_SERVER_LOG={path}: {e}"), Stdio::from)
}

fn start(url: &str, dir: &std::path::Path, port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_chorus-test-server"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .env("CHORUS_DATABASE__URL", url)
        .env("CHORUS_WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true")
        .env("CHORUS_SERVER__SCHEDULER_INTERVAL_MS", "100")
        .env("CHORUS_GRAPHQL__CACHE_TTL_MS", "0")
        .env("CHORUS_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(server_log())
        .spawn()
        .expect("server process starts");
    Server(child)
}

async fn ready(client: &reqwest::Client, port: u16) {
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("server not ready");
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get_by_index(0).unwrap()
}

/// A database for a process-level test: migrated, with the demo content and an editor
/// (ed@example.org), in a fresh data directory; `None` when PostgreSQL is asked for and not set.
struct Setup {
    dir: tempfile::TempDir,
    url: String,
    /// The PostgreSQL (server, database) to drop at the end.
    pg: Option<(String, String)>,
    conn: sea_orm::DatabaseConnection,
}

async fn setup(backend: Backend) -> Option<Setup> {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.path().join("chorus.db").display()), None),
        Backend::Postgres => match create_postgres_database().await {
            Some((base, name)) => (format!("{base}/{name}"), Some((base, name))),
            None => {
                eprintln!("skipped: {} is not set, PostgreSQL variant not run", chorus_tests::POSTGRES_ENV);
                return None;
            }
        },
    };
    let config = test_config(dir.path(), url.clone());
    let conn = db::connect(&config, None).await.unwrap();
    db::prepare(&conn, config.database.migrate_on_start).await.unwrap();
    demo::load(&conn).await.unwrap();
    let new = accounts::NewUser {
        email: "ed@example.org".into(),
        display_name: "Editor".into(),
        password: "correct horse battery staple".into(),
        role: Role::Editor,
        locales: vec![],
    };
    accounts::create_user(
        &conn,
        &config.locales().unwrap(),
        chorus_tests::chorus::write::Actor::system("test setup"),
        new,
    )
    .await
    .unwrap();
    Some(Setup { dir, url, pg, conn })
}

/// The ids of the first `n` resources in English.
async fn resource_ids(client: &reqwest::Client, port: u16, n: usize) -> Vec<String> {
    let list = format!(r#"{{ resources(first: {n}, locale: "en") {{ edges {{ node {{ id }} }} }} }}"#);
    let body: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": list }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["resources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A session token of the setup's editor.
async fn editor_token(client: &reqwest::Client, port: u16) -> String {
    let login = "mutation { login(email: \"ed@example.org\", password: \"correct horse battery staple\") { token } }";
    let body: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": login }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["login"]["token"].as_str().unwrap().to_owned()
}

/// Stops the server and drops the test's PostgreSQL database.
async fn teardown(mut server: Server, conn: sea_orm::DatabaseConnection, pg: Option<(String, String)>) {
    server.kill().ok();
    let _ = server.wait();
    conn.close().await.ok();
    if let Some((base, name)) = pg {
        drop_postgres_database(&base, &name).await;
    }
}

async fn killed_mid_burst(backend: Backend) {
    // Set up through the library: schema, demo content, an editor, a webhook to a local receiver.
    let Some(Setup { dir, url, pg, conn }) = setup(backend).await else { return };
    let keys = Arc::new(Mutex::new(Vec::<String>::new()));
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let hook_port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    tokio::spawn(
        poem::Server::new_with_acceptor(acceptor).run(Route::new().at("/", poem::post(receive)).data(keys.clone())),
    );
    webhooks::ActiveModel {
        url: Set(format!("http://127.0.0.1:{hook_port}/")),
        events: Set("updated,published,unpublished,deleted".into()),
        secret: Set("whsec_test".into()),
        active: Set(true),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&conn)
    .await
    .unwrap();

    let client = chorus_tests::http_client();
    let port = free_port();
    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    let base = format!("http://127.0.0.1:{port}/graphql");
    let token = editor_token(&client, port).await;
    let q = r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id } }"#;
    let body: serde_json::Value =
        client.post(&base).json(&json!({ "query": q })).send().await.unwrap().json().await.unwrap();
    let id = body["data"]["resource"]["id"].as_str().unwrap().to_owned();

    // A burst of saves, and SIGKILL in the middle of it.
    let save =
        "mutation($id: ID!, $t: String!) { saveTranslation(id: $id, locale: \"fr\", input: { title: $t }) { title } }";
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut killed = false;
    for i in 0..60 {
        let (client, base, token, id, counter) =
            (client.clone(), base.clone(), token.clone(), id.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let title = format!("Titre numéro {i}");
            let resp = client
                .post(&base)
                .header("authorization", format!("Bearer {token}"))
                .json(&json!({ "query": save, "variables": { "id": id, "t": title } }))
                .send()
                .await
                .ok()?;
            let body: serde_json::Value = resp.json().await.ok()?;
            let title = body["data"]["saveTranslation"]["title"].as_str().map(str::to_owned);
            if title.is_some() {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            title
        }));
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        // SIGKILL once some saves are through, with more still in flight.
        if !killed && done.load(std::sync::atomic::Ordering::SeqCst) >= 5 {
            server.kill().unwrap();
            killed = true;
        }
    }
    if !killed {
        server.kill().unwrap();
    }
    let mut confirmed = Vec::new();
    for t in tasks {
        if let Some(title) = t.await.unwrap() {
            confirmed.push(title);
        }
    }
    let _ = server.wait();

    // Restart: the server comes back, and every pending webhook goes out.
    let server = start(&url, dir.path(), port);
    ready(&client, port).await;
    let mut state = (0, 0, 0);
    // A send cut off by the kill is retried once its claim is stale (15 s).
    for _ in 0..400 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let changes = count(&conn, "SELECT COUNT(*) FROM change_log").await;
        let queued = count(&conn, "SELECT COUNT(*) FROM webhook_deliveries").await;
        let pending = count(&conn, "SELECT COUNT(*) FROM webhook_deliveries WHERE delivered_at IS NULL").await;
        state = (changes, queued, pending);
        if changes > 0 && queued == changes && pending == 0 {
            break;
        }
    }
    assert!(
        state.0 > 0 && state.0 == state.1 && state.2 == 0,
        "every change delivered after the restart: (changes, queued, pending) = {state:?}"
    );

    // No partial write: every confirmed save is there with its revision, and every change-log row
    // has its revision (they share a transaction).
    for title in &confirmed {
        let sql = format!("SELECT COUNT(*) FROM revisions WHERE locale = 'fr' AND title = '{title}'");
        let n = count(&conn, &sql).await;
        assert!(n >= 1, "{title}: {n} revisions");
    }
    let saves = count(&conn, "SELECT COUNT(*) FROM change_log WHERE locale = 'fr' AND operation = 'updated'").await;
    let revisions = count(&conn, "SELECT COUNT(*) FROM revisions WHERE locale = 'fr' AND user_id IS NOT NULL").await;
    assert_eq!(saves, revisions);
    assert!(saves >= confirmed.len() as i64 && !confirmed.is_empty());
    let working = count(&conn, "SELECT COUNT(*) FROM resource_translations WHERE locale = 'fr' AND version = 'working' AND title LIKE 'Titre num%'").await;
    assert_eq!(working, 1, "one working copy, whole");

    // One delivery per idempotency key, every key received.
    let expected: HashSet<String> = {
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT idempotency_key FROM webhook_deliveries",
            ))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "idempotency_key").unwrap()).collect()
    };
    assert_eq!(expected.len() as i64, count(&conn, "SELECT COUNT(*) FROM webhook_deliveries").await, "unique keys");
    let received: HashSet<String> = keys.lock().unwrap().iter().cloned().collect();
    assert_eq!(received, expected, "every key delivered");

    teardown(server, conn, pg).await;
}
backend_test!(killed_mid_burst);

/// What the indexes should hold, read from the database: (public documents, draft documents) in
/// the configured locales (the demo also has versions in a locale the test does not configure).
async fn expected_documents(db: &sea_orm::DatabaseConnection) -> (i64, i64) {
    let locales = chorus_tests::chorus::config::Config::default().locales.available;
    let configured = locales.iter().map(|l| format!("'{l}'")).collect::<Vec<_>>().join(", ");
    let mut public = 0;
    let mut drafts = 0;
    for table in
        ["resource_translations", "good_practice_translations", "organization_translations", "programme_translations"]
    {
        public +=
            count(db, &format!("SELECT COUNT(*) FROM {table} WHERE version = 'live' AND status = 'published' AND locale IN ({configured})")).await;
        drafts += count(
            db,
            &format!("SELECT COUNT(*) FROM {table} WHERE version = 'working' AND status IN ('draft', 'in_review', 'published') AND locale IN ({configured})"),
        )
        .await;
    }
    (public, drafts)
}

/// The documents each index of a server process holds, from its metrics.
async fn indexed_documents(client: &reqwest::Client, port: u16) -> Option<(i64, i64)> {
    let text = client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.ok()?.text().await.ok()?;
    let gauge = |index: &str| {
        text.lines()
            .find(|l| l.starts_with("chorus_search_documents") && l.contains(&format!("index=\"{index}\"")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as i64)
    };
    Some((gauge("public")?, gauge("drafts")?))
}

async fn found(client: &reqwest::Client, port: u16, query: &str) -> Option<i64> {
    let q = "query($q: String!) { search(query: $q) { total } }";
    let body: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&json!({ "query": q, "variables": { "q": query } }))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    body["data"]["search"]["total"].as_i64()
}

/// Waits until both indexes hold exactly the documents the database says, then checks that every
/// published title token is found once and every other token not at all.
async fn index_matches_database(client: &reqwest::Client, port: u16, db: &sea_orm::DatabaseConnection, tokens: usize) {
    let expected = expected_documents(db).await;
    let mut last = None;
    for _ in 0..600 {
        last = indexed_documents(client, port).await;
        if last == Some(expected) && found(client, port, "").await.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(last, Some(expected), "(public, drafts) documents in the index and in the database");
    for i in 0..tokens {
        let live = count(
            db,
            &format!("SELECT COUNT(*) FROM resource_translations WHERE version = 'live' AND title LIKE 'Kestrel{i} %'"),
        )
        .await;
        // A trailing space: the token is a whole word, not a prefix of Kestrel1x.
        assert_eq!(found(client, port, &format!("kestrel{i} ")).await, Some(live), "Kestrel{i}");
    }
}

/// The search indexes after SIGKILL: during a burst of publications (commits in flight, database
/// committed and index not), with a corrupt or deleted index directory, and during a rebuild.
async fn search_index_survives_kill_9(backend: Backend) {
    let Some(Setup { dir, url, pg, conn }) = setup(backend).await else { return };

    let client = chorus_tests::http_client();
    let port = free_port();
    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    index_matches_database(&client, port, &conn, 0).await;
    let base = format!("http://127.0.0.1:{port}/graphql");
    let token = editor_token(&client, port).await;
    let ids = resource_ids(&client, port, 40).await;

    // A burst of publications, each waking the indexer, and SIGKILL in the middle of it.
    let save =
        "mutation($id: ID!, $t: String!) { saveTranslation(id: $id, locale: \"fr\", input: { title: $t }) { title } }";
    let publish = "mutation($id: ID!) { setTranslationStatus(id: $id, locale: \"fr\", status: PUBLISHED) { live } }";
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut killed = false;
    for (i, id) in ids.iter().enumerate() {
        let (client, base, token, id, counter) =
            (client.clone(), base.clone(), token.clone(), id.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let auth = format!("Bearer {token}");
            let title = format!("Kestrel{i} rapport");
            let vars = json!({ "id": id, "t": title });
            client
                .post(&base)
                .header("authorization", &auth)
                .json(&json!({ "query": save, "variables": vars }))
                .send()
                .await
                .ok()?;
            let vars = json!({ "id": id });
            client
                .post(&base)
                .header("authorization", &auth)
                .json(&json!({ "query": publish, "variables": vars }))
                .send()
                .await
                .ok()?;
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some(())
        }));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        if !killed && done.load(std::sync::atomic::Ordering::SeqCst) >= 8 {
            server.kill().unwrap();
            killed = true;
        }
    }
    if !killed {
        server.kill().unwrap();
    }
    for t in tasks {
        let _ = t.await;
    }
    let _ = server.wait();
    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    index_matches_database(&client, port, &conn, ids.len()).await;

    // A corrupt public index and a deleted drafts index are rebuilt on start.
    server.kill().unwrap();
    let _ = server.wait();
    let public = dir.path().join("search/public");
    let current = std::fs::read_to_string(public.join("CURRENT")).unwrap();
    std::fs::write(public.join(current.trim()).join("meta.json"), b"{ this is not an index").unwrap();
    std::fs::remove_dir_all(dir.path().join("search/drafts")).unwrap();
    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    index_matches_database(&client, port, &conn, ids.len()).await;

    // SIGKILL during a rebuild: the next start rebuilds again and catches up.
    server.kill().unwrap();
    let _ = server.wait();
    std::fs::remove_file(public.join("CURRENT")).unwrap();
    let before: HashSet<_> = std::fs::read_dir(&public).unwrap().flatten().map(|e| e.file_name()).collect();
    let mut server = start(&url, dir.path(), port);
    for _ in 0..2000 {
        let now: HashSet<_> = std::fs::read_dir(&public).unwrap().flatten().map(|e| e.file_name()).collect();
        if now.difference(&before).next().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    server.kill().unwrap();
    let _ = server.wait();
    let server = start(&url, dir.path(), port);
    ready(&client, port).await;
    index_matches_database(&client, port, &conn, ids.len()).await;
    let dirs = std::fs::read_dir(&public)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("idx-"))
        .count();
    let listing: Vec<String> = walk(&public);
    assert_eq!(dirs, 1, "leftovers of the interrupted rebuild are cleaned up: {listing:?}");

    teardown(server, conn, pg).await;
}
backend_test!(search_index_survives_kill_9);

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(e.path().display().to_string());
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        }
    }
    out
}

/// Kill -9 in a loop: writers save, publish and take down concurrently, the server is killed
/// mid-burst, restarted, and checked: every acknowledged write is there (and at most the one in
/// flight per writer besides), and search matches the published content soon after the restart,
/// takedowns included (within 2 s on a quiet machine: the time is printed; the bound asserted
/// is 5 s, room for CI's two shared cores). `CHORUS_TEST_KILL_CYCLES` sets the number of cycles
/// (5).
async fn kill_9_loops(backend: Backend) {
    const WRITERS: usize = 4;
    let cycles: usize = std::env::var("CHORUS_TEST_KILL_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let Some(Setup { dir, url, pg, conn }) = setup(backend).await else { return };
    let client = chorus_tests::http_client();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/graphql");
    let post = {
        let (client, base) = (client.clone(), base.clone());
        move |body: serde_json::Value, token: Option<String>| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let mut req = client.post(&base).json(&body);
                if let Some(t) = token {
                    req = req.header("authorization", format!("Bearer {t}"));
                }
                req.send().await.ok()?.json::<serde_json::Value>().await.ok()
            }
        }
    };

    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    let login = "mutation { login(email: \"ed@example.org\", password: \"correct horse battery staple\") { token } }";
    let token =
        post(json!({ "query": login }), None).await.unwrap()["data"]["login"]["token"].as_str().unwrap().to_owned();
    let ids = resource_ids(&client, port, WRITERS).await;
    assert_eq!(ids.len(), WRITERS);
    let item_id = |gid: &str| chorus_tests::chorus::graphql::ids::decode(gid).unwrap().1;
    let revisions = |id: i32| {
        let conn = conn.clone();
        async move {
            count(&conn, &format!("SELECT COUNT(*) FROM revisions WHERE entity = 'resource' AND entity_id = {id} AND locale = 'fr' AND user_id IS NOT NULL")).await
        }
    };
    // Acknowledged operations per writer, over every cycle.
    let mut acked = [0i64; WRITERS];
    let mut before = [0i64; WRITERS];
    for (w, gid) in ids.iter().enumerate() {
        before[w] = revisions(item_id(gid)).await;
    }
    let save =
        "mutation($id: ID!, $t: String!) { saveTranslation(id: $id, locale: \"fr\", input: { title: $t }) { title } }";
    let publish = "mutation($id: ID!) { setTranslationStatus(id: $id, locale: \"fr\", status: PUBLISHED) { live } }";
    let unpublish = "mutation($id: ID!) { unpublishTranslation(id: $id, locale: \"fr\") { live } }";

    for cycle in 0..cycles {
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut writers = Vec::new();
        for (w, gid) in ids.iter().enumerate() {
            let (post, token, gid, done) = (post.clone(), token.clone(), gid.clone(), done.clone());
            writers.push(tokio::spawn(async move {
                // Sequential per writer (one item each): save, publish, and every third round a
                // takedown. Returns the operations acknowledged.
                let mut ok = 0i64;
                for n in 0.. {
                    let title = format!("Wren{w} c{cycle} n{n}");
                    let steps = [
                        (save, json!({ "id": gid, "t": title }), "saveTranslation"),
                        (publish, json!({ "id": gid }), "setTranslationStatus"),
                        (unpublish, json!({ "id": gid }), "unpublishTranslation"),
                    ];
                    for (q, vars, field) in steps.into_iter().take(if n % 3 == 2 { 3 } else { 2 }) {
                        let Some(body) = post(json!({ "query": q, "variables": vars }), Some(token.clone())).await
                        else {
                            return ok;
                        };
                        assert!(body["errors"].is_null() && !body["data"][field].is_null(), "{body}");
                        ok += 1;
                        done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
                ok
            }));
        }
        // SIGKILL with every writer mid-burst.
        let target = 20 + 7 * cycle;
        for _ in 0..2000 {
            if done.load(std::sync::atomic::Ordering::SeqCst) >= target {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        server.kill().unwrap();
        let _ = server.wait();
        for (w, writer) in writers.into_iter().enumerate() {
            acked[w] += writer.await.unwrap();
        }

        server = start(&url, dir.path(), port);
        ready(&client, port).await;
        // The clock starts once search answers (the index is open; a kill during a commit can
        // mean a rebuild first).
        let started = std::time::Instant::now();
        while found(&client, port, "").await.is_none() {
            assert!(started.elapsed() < std::time::Duration::from_secs(60), "search never came back");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let restarted = std::time::Instant::now();
        // Every acknowledged write is there; at most the one in flight per writer besides.
        for (w, gid) in ids.iter().enumerate() {
            let n = revisions(item_id(gid)).await - before[w];
            assert!(
                n >= acked[w] && n <= acked[w] + 1,
                "cycle {cycle}, writer {w}: {n} revisions for {} acknowledged writes",
                acked[w]
            );
            // What the next cycle counts from: the in-flight write, if it landed, is no loss.
            before[w] += n - acked[w];
        }
        // Search matches the published content, takedowns included.
        let bound = std::time::Duration::from_secs(5);
        let mut mismatch = String::new();
        loop {
            mismatch.clear();
            for w in 0..WRITERS {
                let live = count(
                    &conn,
                    &format!("SELECT COUNT(*) FROM resource_translations WHERE version = 'live' AND locale = 'fr' AND title LIKE 'Wren{w} %'"),
                )
                .await;
                let shown = found(&client, port, &format!("wren{w} ")).await;
                if shown != Some(live) {
                    mismatch = format!("writer {w}: {live} published, search shows {shown:?}");
                }
            }
            if mismatch.is_empty() || restarted.elapsed() > bound {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(mismatch.is_empty(), "cycle {cycle}, {:?} after the restart: {mismatch}", restarted.elapsed());
        eprintln!(
            "kill -9 cycle {cycle} ({backend:?}): {} writes acknowledged so far, search matched {:?} after the restart",
            acked.iter().sum::<i64>(),
            restarted.elapsed()
        );
    }
    assert!(acked.iter().all(|a| *a > 0), "every writer got writes through: {acked:?}");

    teardown(server, conn, pg).await;
}
backend_test!(kill_9_loops);

/// A translation file's import killed with SIGKILL part-way leaves none or all of its items
/// saved (one transaction for the file); one answered before the kill is all there.
async fn import_killed_midway(backend: Backend) {
    let Some(Setup { dir, url, pg, conn }) = setup(backend).await else { return };
    let client = chorus_tests::http_client();
    let port = free_port();
    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let token = editor_token(&client, port).await;
    // Enough items that the import takes a while.
    let body_html = "<p>One <strong>paragraph</strong>.</p><p>Two.</p><ul><li>Three</li><li>Four</li></ul>";
    for i in 0..150 {
        let q = "mutation($i: CreateResourceInput!) { createResource(input: $i) }";
        let input = json!({ "i": { "kind": "REPORT", "publishedOn": "2026-01-01", "sourceLocale": "en",
            "text": { "title": format!("Crash report {i}"), "summary": "Summary.", "body": body_html } } });
        let r: serde_json::Value = client
            .post(format!("{base}/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": q, "variables": input }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(r["errors"].is_null(), "{r}");
    }
    // Cut at a tenth and at half of the time a dry run of the same import takes (the same
    // writes, rolled back), and after the answer (then every item is there).
    for (share, locale) in [(Some(0.1), "fr"), (Some(0.5), "es"), (None, "ru")] {
        let file = client
            .get(format!("{base}/v1/translations/export?locale={locale}&sourceLocale=en&type=resource"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let items = file.matches("<file ").count() as i64;
        assert!(items >= 150, "{items}");
        // The current translations (the demo's) are replaced, as a tool overwrites them.
        let mut bare = String::new();
        let mut rest = file.as_str();
        while let Some(start) = rest.find("<target") {
            let end = rest[start..].find("</target>").unwrap() + start + 9;
            bare.push_str(&rest[..start]);
            rest = &rest[end..];
        }
        bare.push_str(rest);
        let mut filled = String::new();
        let mut rest = bare.as_str();
        while let Some(start) = rest.find("<source>") {
            let end = rest[start..].find("</source>").unwrap() + start;
            filled.push_str(&rest[..end + 9]);
            filled.push_str(&format!("<target state=\"translated\">[{locale}] {}</target>", &rest[start + 8..end]));
            rest = &rest[end + 9..];
        }
        filled.push_str(rest);
        let saves = format!("SELECT COUNT(*) FROM audit_log WHERE action = 'translation.save' AND locale = '{locale}'");
        let before = count(&conn, &saves).await;
        let timed = std::time::Instant::now();
        let dry = client
            .post(format!("{base}/v1/translations/import?locale={locale}&dryRun=true"))
            .bearer_auth(&token)
            .body(filled.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(dry.status(), 200);
        let took = timed.elapsed();
        assert_eq!(count(&conn, &saves).await, before, "a dry run writes nothing");
        let cut_ms = share.map_or(u64::MAX, |s| (took.as_secs_f64() * s * 1000.0) as u64);
        let request = client
            .post(format!("{base}/v1/translations/import?locale={locale}"))
            .bearer_auth(&token)
            .body(filled)
            .send();
        let in_flight = tokio::spawn(request);
        if cut_ms == u64::MAX {
            let answer = in_flight.await.unwrap().unwrap();
            assert_eq!(answer.status(), 200);
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(cut_ms)).await;
        }
        server.kill().unwrap();
        let _ = server.wait();
        server = start(&url, dir.path(), port);
        ready(&client, port).await;
        let saved = count(&conn, &saves).await - before;
        assert!(saved == 0 || saved == items, "cut at {cut_ms} ms: {saved} of {items} items saved");
        if cut_ms == u64::MAX {
            assert_eq!(saved, items, "an answered import is all there");
        }
        let rows = format!(
            "SELECT COUNT(*) FROM resource_translations t JOIN resources r ON r.id = t.item_id \
             WHERE t.locale = '{locale}' AND t.version = 'working' AND t.title LIKE '[{locale}]%'"
        );
        assert_eq!(count(&conn, &rows).await, saved, "cut at {cut_ms} ms: rows and audit agree");
        eprintln!("cut at {cut_ms} ms: {saved} of {items} items saved");
    }
    teardown(server, conn, pg).await;
}
backend_test!(import_killed_midway);

/// Uploads cut by SIGKILL at every stage (arriving, stored, row being written): after the
/// restart every document row has its object, every answered upload is there, and what was
/// cut left no row.
async fn upload_killed_midway(backend: Backend) {
    let Some(Setup { dir, url, pg, conn }) = setup(backend).await else { return };
    let client = chorus_tests::http_client();
    let port = free_port();
    let mut server = start(&url, dir.path(), port);
    ready(&client, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let token = editor_token(&client, port).await;
    let item = resource_ids(&client, port, 1).await.remove(0);
    let config = test_config(dir.path(), url.clone());
    let storage = chorus_tests::chorus::storage::Storage::from_config(&config.documents, dir.path()).unwrap();
    let mut answered = 0i64;
    for (cycle, cut_ms) in [80u64, 400, 1200].into_iter().enumerate() {
        // Four uploaders, each sending distinct 1 MB PDFs one after another.
        let acked = Arc::new(Mutex::new(0i64));
        let mut uploaders = Vec::new();
        for u in 0..4 {
            let (client, base, token, item, acked) =
                (client.clone(), base.clone(), token.clone(), item.clone(), acked.clone());
            uploaders.push(tokio::spawn(async move {
                for n in 0.. {
                    let mut bytes = format!("%PDF-1.4\n% cycle {cycle} uploader {u} file {n}\n").into_bytes();
                    bytes.resize(1_000_000, b' ');
                    let sent = client
                        .post(format!("{base}/v1/documents?item={item}&locale=en&name=cut.pdf"))
                        .bearer_auth(&token)
                        .body(bytes)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 201 => *acked.lock().unwrap() += 1,
                        _ => return,
                    }
                }
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(cut_ms)).await;
        server.kill().unwrap();
        let _ = server.wait();
        for u in uploaders {
            let _ = u.await;
        }
        answered += *acked.lock().unwrap();
        server = start(&url, dir.path(), port);
        ready(&client, port).await;
        let rows = count(&conn, "SELECT COUNT(*) FROM documents").await;
        let report = chorus_tests::chorus::content::documents::check(&conn, &storage).await.unwrap();
        assert!(report.missing.is_empty(), "cut at {cut_ms} ms: rows without their object: {report:?}");
        assert!(rows >= answered, "cut at {cut_ms} ms: {rows} rows, {answered} uploads answered");
        eprintln!(
            "cut at {cut_ms} ms: {rows} documents ({answered} answered), {} objects, {} unused",
            report.objects,
            report.unreferenced.len()
        );
    }
    assert!(answered > 0, "some uploads completed before the cuts");
    teardown(server, conn, pg).await;
}
backend_test!(upload_killed_midway);
