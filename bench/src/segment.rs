//! `chorus-bench segment`: Chorus's Chinese segmenter (`chorus_search_index::chinese`) against
//! jieba-rs, whose search mode it follows, on the SDG corpus's Chinese text.

use std::time::{Duration, Instant};

use chorus_search_index::chinese::Dictionary;

/// Anonymous resident memory of this process, in MB.
fn anonymous_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The best of `rounds` times `cut` takes over every line, and the tokens of one pass.
fn time_cuts(lines: &[&str], rounds: usize, mut cut: impl FnMut(&str) -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut tokens = 0;
    for _ in 0..rounds.max(1) {
        let started = Instant::now();
        tokens = lines.iter().map(|l| cut(l)).sum();
        best = best.min(started.elapsed());
    }
    (best, tokens)
}

pub fn run(rounds: usize) {
    let dir = crate::search::corpus_root().join("zh-Hans");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).expect("the corpus's Chinese folder").flatten() {
        text.push_str(&std::fs::read_to_string(entry.path()).expect("a corpus file"));
        text.push('\n');
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let chars = text.chars().count();
    println!("machine: {}", crate::cpu_model());
    println!("text: {} lines, {chars} characters of the SDG corpus in Chinese; best of {rounds} passes", lines.len());

    let before = anonymous_mb();
    let started = Instant::now();
    let ours = Dictionary::jieba();
    let ours_built = started.elapsed();
    let ours_mb = anonymous_mb() - before;
    let (ours_time, ours_tokens) = time_cuts(&lines, rounds, |l| ours.cut_for_search(l).len());

    let before = anonymous_mb();
    let started = Instant::now();
    let jieba = jieba_rs::Jieba::new();
    let jieba_built = started.elapsed();
    let jieba_mb = anonymous_mb() - before;
    let (jieba_time, jieba_tokens) = time_cuts(&lines, rounds, |l| jieba.cut_for_search(l, true).len());

    let same = lines.iter().all(|l| {
        let a: Vec<&str> = ours.cut_for_search(l).iter().map(|p| p.word).collect();
        let b: Vec<&str> = jieba.cut_for_search(l, true).iter().map(|t| t.word).collect();
        a == b
    });
    println!();
    println!("| segmenter | dictionary built (ms) | anonymous memory added (MB) | cut (ms) | characters/s | tokens |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, built, mb, time, tokens) in [
        ("Chorus (`chinese.rs`)", ours_built, ours_mb, ours_time, ours_tokens),
        ("jieba-rs 0.11", jieba_built, jieba_mb, jieba_time, jieba_tokens),
    ] {
        println!(
            "| {name} | {:.0} | {mb:.1} | {:.1} | {:.0} | {tokens} |",
            built.as_secs_f64() * 1000.0,
            time.as_secs_f64() * 1000.0,
            chars as f64 / time.as_secs_f64()
        );
    }
    println!();
    println!("same tokens on every line: {}", if same { "yes" } else { "NO" });
}
