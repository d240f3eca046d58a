//! `chorus-bench documents`: a large file uploaded over REST and downloaded back, against the
//! release server in a child process, on the local store and (when `moto_server` is installed)
//! on an S3-compatible store. Reports throughput and the server's resident memory: before,
//! the highest value sampled every 20 ms during the transfer, and after. The file is streamed
//! from disk by the client and hashed on the way back, so the client holds no copy either.
//! Each store is also measured after a first 6 MiB transfer (the one-time set-up of a process
//! apart from the transfer).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::{cpu_model, free_port, rss, wait_ready};

struct Row {
    store: String,
    mb: f64,
    upload_s: f64,
    download_s: f64,
    before: f64,
    upload_peak: f64,
    download_peak: f64,
    after: f64,
}

/// Samples the process's resident memory until stopped; the highest value.
fn sampler(pid: u32) -> (Arc<AtomicBool>, std::thread::JoinHandle<f64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut peak = 0f64;
        while !flag.load(Ordering::Relaxed) {
            peak = peak.max(rss(pid).0);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        peak.max(rss(pid).0)
    });
    (stop, handle)
}

fn file_chunks(path: std::path::PathBuf) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::unfold(std::fs::File::open(path).unwrap(), |mut f| async move {
        use std::io::Read;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

/// Writes a PDF-typed file of `mb` MiB (its bytes vary with `seed`); its size and SHA-256.
fn make_file(path: &std::path::Path, mb: usize, seed: usize) -> (u64, String) {
    {
        let mut f = std::fs::File::create(path).unwrap();
        f.write_all(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").unwrap();
        let mut block = vec![0u8; 1 << 20];
        for i in 0..mb {
            for (j, b) in block.iter_mut().enumerate() {
                *b = (i.wrapping_mul(31) ^ j.wrapping_mul(7) ^ seed) as u8;
            }
            f.write_all(&block).unwrap();
        }
    }
    let size = std::fs::metadata(path).unwrap().len();
    let expected: String = {
        let mut h = Sha256::new();
        let mut f = std::fs::File::open(path).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).unwrap();
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    };
    (size, expected)
}

/// One upload of the file at `path` and its download back: (upload s, download s, peak RSS
/// during each).
async fn transfer(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    item: &str,
    path: &std::path::Path,
    (size, expected): &(u64, String),
    pid: u32,
) -> (f64, f64, f64, f64) {
    let (stop, peak) = sampler(pid);
    let t = Instant::now();
    let resp = client
        .post(format!("{base}/v1/documents?item={item}&locale=en&name=big.pdf"))
        .bearer_auth(token)
        .body(reqwest::Body::wrap_stream(file_chunks(path.to_owned())))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let uploaded: serde_json::Value = resp.json().await.unwrap();
    let upload_s = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let upload_peak = peak.join().unwrap();
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["document"]["sha256"], *expected);
    let doc_url = uploaded["document"]["url"].as_str().unwrap().to_owned();

    let (stop, peak) = sampler(pid);
    let t = Instant::now();
    let resp = client.get(format!("{base}{doc_url}")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut h = Sha256::new();
    let mut got = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        got += chunk.len() as u64;
        h.update(&chunk);
    }
    let download_s = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let download_peak = peak.join().unwrap();
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((got, &hash), (*size, expected));
    (upload_s, download_s, upload_peak, download_peak)
}

/// The first transfers of a process also set up what any request would (database connections
/// and their caches, the object store's client, allocator arenas of the threads involved): with
/// `warm_up`, a 6 MiB file (past one S3 part) goes up and down first, and memory is measured
/// from there.
async fn case(label: &str, mb: usize, s3: Option<&str>, isolate: bool, warm_up: bool) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let token = crate::translations::load(&url, dir.path(), 0, 1).await;
    let path = dir.path().join("big.pdf");
    let file = make_file(&path, mb, 0);
    let size = file.0;
    let port = free_port();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--database-url", &url, "--port", &port.to_string(), "--cache-ttl-ms", "1000"])
        .env("CHORUS_DOCUMENTS__MAX_FILE_BYTES", (2048u64 << 20).to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if isolate {
        // The transfer alone: no search indexer (it would re-index the item after the upload)
        // and no text extraction (which reads files up to documents.max_extract_bytes).
        cmd.env("CHORUS_SEARCH__REFRESH_INTERVAL_MS", "0").env("CHORUS_DOCUMENTS__MAX_EXTRACT_BYTES", "0");
    }
    if let Some(endpoint) = s3 {
        cmd.env("CHORUS_DOCUMENTS__STORAGE", "s3")
            .env("CHORUS_DOCUMENTS__S3_BUCKET", "bench")
            .env("CHORUS_DOCUMENTS__S3_ENDPOINT", endpoint)
            .env("CHORUS_DOCUMENTS__S3_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench");
    }
    let mut child = cmd.spawn().expect("server starts");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base, &mut child).await;
    // Let the indexer finish its start-up build before measuring memory.
    if !isolate {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    let list = "{ resources(first: 1) { edges { node { id } } } }";
    let r: serde_json::Value = client
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": list }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = r["data"]["resources"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned();

    if warm_up {
        let small = dir.path().join("warm.pdf");
        let small_file = make_file(&small, 6, 1);
        transfer(&client, &base, &token, &item, &small, &small_file, child.id()).await;
    }
    let (before, _) = rss(child.id());
    let (upload_s, download_s, upload_peak, download_peak) =
        transfer(&client, &base, &token, &item, &path, &file, child.id()).await;
    let (after, _) = rss(child.id());
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
    Row {
        store: label.to_owned(),
        mb: size as f64 / 1e6,
        upload_s,
        download_s,
        before,
        upload_peak,
        download_peak,
        after,
    }
}

/// A moto S3 server with a `bench` bucket, if moto is installed.
async fn moto() -> Option<(std::process::Child, String)> {
    let port = free_port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if let Ok(r) = reqwest::Client::new().put(format!("{endpoint}/bench")).send().await
            && r.status().is_success()
        {
            return Some((child, endpoint));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

pub async fn bench(mb: usize) {
    println!("machine: {} cores, {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), cpu_model());
    println!(
        "one {mb} MiB file uploaded over REST (streamed, no Content-Length) and downloaded back; server RSS sampled every 20 ms\n"
    );
    let mut rows = vec![
        case("local folder", mb, None, false, false).await,
        case("local folder, indexer and text extraction off", mb, None, true, false).await,
        case("local folder, indexer and text extraction off, after a 6 MiB transfer", mb, None, true, true).await,
    ];
    match moto().await {
        Some((mut child, endpoint)) => {
            rows.push(case("S3 (moto_server on this machine)", mb, Some(&endpoint), false, false).await);
            rows.push(case("S3, indexer and text extraction off", mb, Some(&endpoint), true, false).await);
            rows.push(
                case("S3, indexer and text extraction off, after a 6 MiB transfer", mb, Some(&endpoint), true, true)
                    .await,
            );
            let _ = child.kill();
            let _ = child.wait();
        }
        None => eprintln!("moto_server not installed: the S3 row is skipped (pip install 'moto[server]')"),
    }
    println!(
        "| store | file (MB) | upload (s) | upload MB/s | download (s) | download MB/s | server RSS before (MB) | peak during upload (MB) | peak during download (MB) | after (MB) | growth, worst (MB) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.0} | {:.2} | {:.0} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
            r.store,
            r.mb,
            r.upload_s,
            r.mb / r.upload_s,
            r.download_s,
            r.mb / r.download_s,
            r.before,
            r.upload_peak,
            r.download_peak,
            r.after,
            r.upload_peak.max(r.download_peak) - r.before
        );
    }
}
