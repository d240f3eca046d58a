//! Start-up and maintenance: migrations, the database-newer-than-binary guard, demo loading,
//! schema drift.

use chorus_tests::chorus::config::MigrateOnStart;
use chorus_tests::chorus::startup::Application;
use chorus_tests::chorus::{db, demo, graphql};
use chorus_tests::{Backend, backend_test, create_postgres_database, drop_postgres_database, spawn, test_config};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

/// A fresh empty database URL for a backend, with a cleanup handle for PostgreSQL.
async fn fresh_url(backend: Backend, dir: &std::path::Path) -> Option<(String, Option<(String, String)>)> {
    match backend {
        Backend::Sqlite => Some((format!("sqlite://{}?mode=rwc", dir.join("chorus.db").display()), None)),
        Backend::Postgres => {
            let Some((base, name)) = create_postgres_database().await else {
                eprintln!("skipped: {} is not set, PostgreSQL variant not run", chorus_tests::POSTGRES_ENV);
                return None;
            };
            Some((format!("{base}/{name}"), Some((base, name))))
        }
    }
}

async fn count(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}")))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

async fn migrations_are_reversible_and_guarded(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, pg)) = fresh_url(backend, dir.path()).await else { return };
    let config = test_config(dir.path(), url);
    let conn = db::connect(&config, None).await.unwrap();

    // `never` refuses an empty database; `empty` migrates it.
    assert!(db::prepare(&conn, MigrateOnStart::Never).await.is_err());
    db::prepare(&conn, MigrateOnStart::Empty).await.unwrap();
    let state = db::migration_state(&conn).await.unwrap();
    assert!(state.is_current() && !state.applied.is_empty());

    // Down drops every table; up recreates them.
    use chorus_migrations::{Migrator, MigratorTrait};
    Migrator::down(&conn, None).await.unwrap();
    assert!(conn.execute_unprepared("SELECT 1 FROM resources").await.is_err(), "tables dropped");
    let state = db::migration_state(&conn).await.unwrap();
    assert!(state.applied.is_empty() && !state.pending.is_empty());
    Migrator::up(&conn, None).await.unwrap();
    assert_eq!(count(&conn, "resources").await, 0);

    // A database migrated by a newer binary is refused at start-up.
    conn.execute_unprepared("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_future', 0)")
        .await
        .unwrap();
    let err = Application::build(config.clone()).await.err().expect("refuses a newer database");
    assert!(err.to_string().contains("m20991231_000001_future"), "{err}");
    conn.close().await.ok();
    if let Some((base, name)) = pg {
        drop_postgres_database(&base, &name).await;
    }
}
backend_test!(migrations_are_reversible_and_guarded);

async fn demo_load_is_idempotent(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let tables = [
        "terms",
        "term_labels",
        "organizations",
        "resources",
        "resource_translations",
        "resource_terms",
        "good_practices",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count(&app.db, t).await);
    }
    assert!(count(&app.db, "resources").await >= 60);
    let report = demo::load(&app.db).await.unwrap();
    assert_eq!(report.created, 0, "nothing created twice");
    assert!(report.existing > 100);
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(count(&app.db, t).await, n, "{t} unchanged");
    }
    // The demo shows the networks of the consortium, in several languages.
    let d = app
        .data(
            r#"{ organizations(first: 20, locale: "fr") { totalCount edges { node { acronym title locale } } } }"#,
            json!({}),
        )
        .await;
    let acronyms: Vec<&str> =
        d["organizations"]["edges"].as_array().unwrap().iter().filter_map(|e| e["node"]["acronym"].as_str()).collect();
    for a in ["NSWP", "APNSW", "ASWA", "CSWC", "ICRSE", "SWAN", "PLAPERTS"] {
        assert!(acronyms.contains(&a), "{a} in {acronyms:?}");
    }
    app.stop().await;
}
backend_test!(demo_load_is_idempotent);

#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let kept = std::fs::read_to_string(path).expect("schema.graphql at the repository root");
    let current = graphql::sdl();
    assert!(kept == current, "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it");
}

/// The real binary, run once with the given arguments and environment: (success, stdout, stderr).
fn chorus_cli(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_chorus-test-server"))
        .args(args)
        .envs(env.iter().copied())
        .env("CHORUS_LOG__LEVEL", "off")
        .output()
        .expect("chorus runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// What an operator meets when something is taken, empty or unreachable: the address and how to
/// choose another, a word for an empty list, the host and cause but never the password.
async fn operators_are_told_what_went_wrong(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, postgres)) = fresh_url(backend, dir.path()).await else { return };
    let env = [("CHORUS_DATABASE__URL", url.as_str())];
    // A port in use: refused before any migration ran, saying which address and how to change it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    for bind in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let (ok, _, err) = chorus_cli(&["serve", "--bind", &bind], &env);
        assert!(!ok, "{err}");
        assert!(err.contains(&format!("127.0.0.1:{port}")) && err.contains("already in use"), "{err}");
        assert!(err.contains("--bind") && !err.to_lowercase().contains("internal"), "{err}");
    }
    let (ok, status, err) = chorus_cli(&["migrate", "status"], &env);
    assert!(ok && status.contains("pending"), "{status}{err}");
    assert!(!status.contains("applied"), "no migration ran before the bind failed: {status}");
    let (ok, _, err) = chorus_cli(&["serve", "--bind", "localhost:http"], &env);
    assert!(!ok && err.contains("port"), "{err}");
    // Empty lists say so.
    let (ok, out, err) = chorus_cli(&["user", "list"], &env);
    assert!(ok, "{err}");
    assert!(out.starts_with("no users yet"), "{out}");
    let (ok, out, _) = chorus_cli(&["token", "list"], &env);
    assert!(ok && out.starts_with("no API tokens yet"), "{out}");
    // The configuration is shown as TOML, the password hidden.
    let secret_url = "postgres://chorus:hunter2@127.0.0.1:1/chorus";
    let (ok, out, _) = chorus_cli(&["config", "check"], &[("CHORUS_DATABASE__URL", secret_url)]);
    assert!(ok && out.contains("url = \"postgres://chorus:***@127.0.0.1:1/chorus\""), "{out}");
    assert!(!out.contains("hunter2") && out.contains("[graphql]"), "{out}");
    // An unreachable database: its host and the cause, not the password.
    let (ok, _, err) = chorus_cli(&["user", "list"], &[("CHORUS_DATABASE__URL", secret_url)]);
    assert!(!ok && err.contains("127.0.0.1:1") && err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    drop(taken);
    if let Some((base, name)) = postgres {
        drop_postgres_database(&base, &name).await;
    }
}
backend_test!(operators_are_told_what_went_wrong);
