//! `chorus-bench translations`: translation files over REST against the release server in a
//! child process. Exports one target language of N resources as XLIFF 1.2, fills in every
//! target as a translation tool would, imports it back (one transaction for the file), and
//! reports units per second and the server's memory (resident before, after, and its peak).
//! `--body-repeat` lengthens every body to reach a large file (the 50 MB case).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use chorus_entities::Role;

use crate::{cpu_model, demo_database, free_port, load_long_resources, rss, wait_ready};

/// Loads the database (bodies `body_repeat` times as long as the demo's) and makes an admin
/// with an API token; the token.
pub(crate) async fn load(url: &str, dir: &Path, resources: usize, body_repeat: usize) -> String {
    let (config, db) = demo_database(url, dir).await;
    load_long_resources(&db, resources, body_repeat).await;
    let new = chorus::auth::accounts::NewUser {
        email: "bench@example.org".into(),
        display_name: "Bench".into(),
        password: "a long bench password".into(),
        role: Role::Admin,
        locales: vec![],
    };
    let actor = || chorus::write::Actor::system("bench");
    chorus::auth::accounts::create_user(&db, &config.locales().unwrap(), actor(), new).await.expect("user");
    let scopes = [chorus::auth::Scope::ReadDrafts, chorus::auth::Scope::Write, chorus::auth::Scope::Publish];
    let (_, token) =
        chorus::auth::accounts::create_api_token(&db, actor(), "bench@example.org", "bench", &scopes, None)
            .await
            .expect("token");
    token
}

/// A target after every source, the source's text with `[b] ` in front (the current targets
/// dropped first).
fn fill(file: &str) -> String {
    let mut bare = String::with_capacity(file.len());
    let mut rest = file;
    while let Some(start) = rest.find("\n    <target") {
        let end = rest[start..].find("</target>").unwrap() + start + 9;
        bare.push_str(&rest[..start]);
        rest = &rest[end..];
    }
    bare.push_str(rest);
    let mut out = String::with_capacity(file.len() * 2);
    let mut rest = bare.as_str();
    while let Some(start) = rest.find("<source>") {
        let end = rest[start..].find("</source>").unwrap() + start;
        out.push_str(&rest[..end + 9]);
        out.push_str("\n    <target state=\"translated\">[b] ");
        out.push_str(&rest[start + 8..end]);
        out.push_str("</target>");
        rest = &rest[end + 9..];
    }
    out.push_str(rest);
    out
}

pub struct Row {
    case: String,
    units: u64,
    export_mb: f64,
    export_s: f64,
    import_mb: f64,
    import_s: f64,
    accepted: i64,
    rss_before: f64,
    rss_after: f64,
    peak: f64,
    export_peak: f64,
}

async fn case(label: &str, resources: usize, body_repeat: usize, no_indexer: bool, warm: bool) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let started = Instant::now();
    let token = load(&url, dir.path(), resources, body_repeat).await;
    eprintln!("{label}: loaded in {:.1} s", started.elapsed().as_secs_f64());
    let port = free_port();
    let start = || {
        Command::new(std::env::current_exe().unwrap())
            .args(["serve", "--data-dir"])
            .arg(dir.path())
            .args(["--database-url", &url, "--port", &port.to_string(), "--cache-ttl-ms", "1000"])
            .env("CHORUS_TRANSLATIONS__MAX_FILE_BYTES", (512u64 << 20).to_string())
            .env("CHORUS_SEARCH__REFRESH_INTERVAL_MS", if no_indexer { "0" } else { "200" })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts")
    };
    let mut child = start();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base, &mut child).await;
    // Let the indexer finish its start-up build before measuring memory.
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;

    let t = Instant::now();
    let resp = client
        .get(format!("{base}/v1/translations/export?locale=fr&sourceLocale=en&type=resource"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let units: u64 = resp.headers()["x-chorus-units"].to_str().unwrap().parse().unwrap();
    let file = resp.text().await.unwrap();
    let export_s = t.elapsed().as_secs_f64();
    let filled = fill(&file);
    // A fresh server for the import, so that its high-water mark is the import's (the export's
    // memory is not counted; in real use the file comes back days later).
    let (_, export_peak) = rss(child.id());
    if !warm {
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
        child = start();
        wait_ready(&client, &base, &mut child).await;
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    let (rss_before, _) = rss(child.id());
    // `CHORUS_BENCH_PERF=FILE`: the server is profiled by `perf record` during the import.
    let perf = std::env::var_os("CHORUS_BENCH_PERF").map(|out| {
        let perf = Command::new("perf")
            .args(["record", "-F", "1999", "-g", "-p", &child.id().to_string(), "-o"])
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("perf record starts");
        std::thread::sleep(std::time::Duration::from_millis(500));
        perf
    });
    let t = Instant::now();
    let resp = client
        .post(format!("{base}/v1/translations/import?locale=fr"))
        .bearer_auth(&token)
        .body(filled.clone())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let report: serde_json::Value = resp.json().await.unwrap();
    let import_s = t.elapsed().as_secs_f64();
    if let Some(mut perf) = perf {
        let _ = Command::new("kill").args(["-INT", &perf.id().to_string()]).status();
        let _ = perf.wait();
    }
    assert!(status.is_success(), "{report}");
    let r = &report["reports"][0];
    eprintln!("{label}: counts {}", r["counts"]);
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for e in r["entries"].as_array().into_iter().flatten() {
        *codes
            .entry(format!("{} {}", e["code"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
            .or_default() += 1;
    }
    for (c, n) in codes.iter().take(8) {
        eprintln!("  {n} x {c}");
    }
    let (rss_after, peak) = rss(child.id());
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    Row {
        case: label.to_owned(),
        units,
        export_mb: file.len() as f64 / 1e6,
        export_s,
        import_mb: filled.len() as f64 / 1e6,
        import_s,
        accepted: report["reports"][0]["counts"]["accepted"].as_i64().unwrap_or(-1),
        rss_before,
        rss_after,
        peak,
        export_peak,
    }
}

pub async fn bench(resources: usize, large_resources: usize, body_repeat: usize, no_indexer: bool, warm: bool) {
    println!("machine: {} cores, {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), cpu_model());
    println!("SQLite; XLIFF 1.2 from English into French over REST; import as one transaction");
    println!("search indexer: {}", if no_indexer { "off (the import's own memory)" } else { "on" });
    println!(
        "import: {}\n",
        if warm { "into the server that just exported (warm)" } else { "into a fresh server (its memory alone)" }
    );
    let mut rows = vec![case(&format!("{resources} resources"), resources, 1, no_indexer, warm).await];
    if large_resources > 0 {
        let label = format!("{large_resources} resources, bodies x{body_repeat}");
        rows.push(case(&label, large_resources, body_repeat, no_indexer, warm).await);
    }
    println!(
        "| case | units | export (MB) | export (s) | export units/s | import file (MB) | import (s) | import units/s | accepted | export: server peak RSS (MB) | import (fresh server): RSS before → after (MB) | import: server peak RSS (MB) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.0} | {:.1} | {:.2} | {:.0} | {} | {:.0} | {:.0} → {:.0} | {:.0} |",
            r.case,
            r.units,
            r.export_mb,
            r.export_s,
            r.units as f64 / r.export_s,
            r.import_mb,
            r.import_s,
            r.units as f64 / r.import_s,
            r.accepted,
            r.export_peak,
            r.rss_before,
            r.rss_after,
            r.peak
        );
    }
}
