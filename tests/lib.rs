//! Test helpers: spawn the real Chorus server on port 0 with its own data directory and its own
//! database (a SQLite file, or a fresh PostgreSQL database when `CHORUS_TEST_POSTGRES_URL` is set).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use chorus::auth::accounts;
use chorus::config::Config;
use chorus::startup::Application;
use chorus_entities::{Role, users};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub use chorus;

/// The password of every account the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

/// The environment variable naming the PostgreSQL server for the PostgreSQL variants.
pub const POSTGRES_ENV: &str = "CHORUS_TEST_POSTGRES_URL";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub backend: Backend,
    pub config: Config,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique_name() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("chorus_t_{}_{}_{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// The server URL (without database) for PostgreSQL tests, if configured.
pub fn postgres_base() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty()).map(|s| s.trim_end_matches('/').to_owned())
}

/// Creates a fresh database for one test; returns (server base url, database name).
pub async fn create_postgres_database() -> Option<(String, String)> {
    let base = postgres_base()?;
    let name = unique_name();
    let admin = Database::connect(format!("{base}/postgres")).await.expect("connect to PostgreSQL");
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
    admin.close().await.ok();
    Some((base, name))
}

/// A configuration for a test server: port 0, the given data dir and database.
pub fn test_config(dir: &std::path::Path, database_url: String) -> Config {
    let mut config = Config::default();
    config.server.bind = "127.0.0.1:0".parse().unwrap();
    config.server.data_dir = dir.to_owned();
    config.server.shutdown_grace_seconds = 1;
    config.database.url = database_url;
    config.database.max_connections = 4;
    // Tests edit the database behind the server's back; the response cache has its own test.
    config.graphql.cache_ttl_ms = 0;
    // No background statements unless a test asks for the scheduler.
    config.server.scheduler_interval_ms = 0;
    // Nor reads of the change log for reference data (a test that needs them turns them on).
    config.graphql.reference_refresh_ms = 0;
    // The search indexer reads the change log in the background; tests that count statements
    // must not see it. Search tests turn it on.
    config.search.refresh_interval_ms = 0;
    // Nor the document-text job's polling (this process's uploads still wake it).
    config.documents.text_poll_ms = 0;
    config
}

/// An HTTP client for tests (after installing the TLS provider the client needs).
pub fn http_client() -> reqwest::Client {
    chorus::startup::init_tls();
    reqwest::Client::builder().build().expect("http client")
}

/// Spawns a server with demo content. `None` (after saying so) when the backend is unavailable.
pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, true, |_| {}).await
}

/// Spawns a server, optionally with demo content, after adjusting its configuration.
pub async fn spawn_with(backend: Backend, demo: bool, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, postgres) = match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.path().join("chorus.db").display()), None),
        Backend::Postgres => match create_postgres_database().await {
            Some((base, name)) => (format!("{base}/{name}"), Some((base, name))),
            None => {
                eprintln!("skipped: {POSTGRES_ENV} is not set, PostgreSQL variant not run");
                return None;
            }
        },
    };
    let mut config = test_config(dir.path(), url);
    configure(&mut config);
    let app = Application::build(config.clone()).await.expect("application builds");
    let port = app.port();
    let db = app.state().db.clone();
    if demo {
        chorus::demo::load(&db).await.expect("demo content loads");
        // Loaded behind the server's back: its reference data is read again and the titles lists
        // are ordered by are made, as `serve --demo` does.
        app.state().reference.load(&db).await.expect("reference data reloads");
        chorus::content::title_order::rebuild(&db, &app.state().locales).await.expect("title order rebuilds");
    }
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        rx.await.ok();
    }));
    Some(TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client: http_client(),
        db,
        backend,
        config,
        shutdown: Some(tx),
        server: Some(server),
        postgres,
        _dir: dir,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a GraphQL request as JSON and returns the decoded body.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_headers(query, variables, &[]).await
    }

    /// POSTs a GraphQL request with extra headers.
    pub async fn gql_headers(&self, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
        let mut req = self.client.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request sent");
        assert_eq!(resp.status(), 200, "GraphQL POST status");
        resp.json().await.expect("JSON body")
    }

    /// Creates an account (password [`PASSWORD`]) through the accounts service, as
    /// `chorus user create` does.
    pub async fn add_user(&self, email: &str, role: Role, locales: &[&str]) {
        self.add_named_user(email, email.split('@').next().unwrap_or(email), role, locales).await;
    }

    async fn add_named_user(&self, email: &str, display_name: &str, role: Role, locales: &[&str]) {
        let new = accounts::NewUser {
            email: email.into(),
            display_name: display_name.into(),
            password: PASSWORD.into(),
            role,
            locales: locales.iter().map(|s| s.to_string()).collect(),
        };
        accounts::create_user(
            &self.db,
            &self.config.locales().expect("locales"),
            chorus::write::Actor::system("test setup"),
            new,
        )
        .await
        .expect("user created");
    }

    /// Signs in with `login` and [`PASSWORD`]; the session token.
    pub async fn login(&self, email: &str) -> String {
        let q = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }";
        let body = self.gql(q, json!({ "e": email, "p": PASSWORD })).await;
        body["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("login failed: {body}")).to_owned()
    }

    /// A user with this role and these locales, signed in: their session token. The account is
    /// `email_for(role, locales)`, named "Editor user" (and so on), created on first use.
    pub async fn sign_in(&self, role: Role, locales: &[&str]) -> String {
        let email = email_for(role, locales);
        let exists = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(&self.db)
            .await
            .expect("account lookup")
            .is_some();
        if !exists {
            self.add_named_user(&email, &format!("{role:?} user"), role, locales).await;
        }
        self.login(&email).await
    }

    /// POSTs a GraphQL request with `Authorization: Bearer <token>`: the HTTP status and body.
    pub async fn post_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url("/graphql"))
            .header("authorization", format!("Bearer {token}"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    /// POSTs a GraphQL request as the holder of `token`; the body of its 200 response.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post_as(token, query, variables).await;
        assert_eq!(status, 200, "GraphQL POST status: {body}");
        body
    }

    /// `data` of a successful response; panics with the errors otherwise.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// The value of an unlabelled counter or gauge from `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.client.get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| {
                l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok())
            })
            .unwrap_or(0.0)
    }

    /// Another server process on the same database (its own data directory and port); the
    /// database stays owned by `self`.
    pub async fn sibling(&self, configure: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = self.config.clone();
        config.server.data_dir = dir.path().to_owned();
        configure(&mut config);
        let app = Application::build(config.clone()).await.expect("sibling builds");
        let port = app.port();
        let db = app.state().db.clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            rx.await.ok();
        }));
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            client: http_client(),
            db,
            backend: self.backend,
            config,
            shutdown: Some(tx),
            server: Some(server),
            postgres: None,
            _dir: dir,
        }
    }

    /// Stops the server and drops its PostgreSQL database.
    pub async fn stop(mut self) {
        self.shutdown_now().await;
    }

    async fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some((base, name)) = self.postgres.take() {
            drop_postgres_database(&base, &name).await;
        }
    }
}

/// The email of the account `sign_in(role, locales)` uses: `editor@example.org`,
/// `translator-fr@example.org`, `reviewer-es-fr@example.org`.
pub fn email_for(role: Role, locales: &[&str]) -> String {
    let mut name = format!("{role:?}").to_lowercase();
    for l in locales {
        name.push('-');
        name.push_str(&l.to_lowercase());
    }
    format!("{name}@example.org")
}

pub async fn drop_postgres_database(base: &str, name: &str) {
    if let Ok(admin) = Database::connect(format!("{base}/postgres")).await {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
        admin.close().await.ok();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((base, name)) = self.postgres.take() {
            // A test that panicked still cleans up its database, from a thread of its own.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(drop_postgres_database(&base, &name));
                }
            })
            .join();
        }
    }
}

/// Defines, for an `async fn name(Backend)`, a test that runs it once on SQLite and once on
/// PostgreSQL: `backend_test!(name);`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    };
}
