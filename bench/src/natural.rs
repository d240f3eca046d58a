//! Relevance of natural-language queries (`chorus-bench relevance`, second part): questions as
//! readers type them and long texts as queries, in the six languages of the SDG corpus, with a
//! plain BM25 baseline computed in the same run.
//!
//! - The collection: one item per SDG target, a version per language (title: the target, summary:
//!   its goal). Indicators are left out of it, so that an indicator's text, used as a query, has
//!   to find its target by the words they share, not by finding itself.
//! - The queries (composed, NFC, as readers type; parts of the corpus are decomposed), judged
//!   against one target each:
//!   - `indicator`: an indicator's full text (10-40 words, 20-80 characters in Chinese);
//!   - `short question`: a question around the target's two rarest words, with the language's
//!     question words and punctuation ("What is being done about fisheries and subsidies?");
//!   - `long question`: a question quoting the first words of the target, 15-20 words long, so
//!     that its content words come after the question words.
//! - Chorus: every language in one index (as a site has), each query restricted to its language.
//! - Baseline: plain tantivy BM25 over the same analysis, one index per language (its own field
//!   statistics), the OR of the query's analysed terms over title and summary with Chorus's
//!   field weights, no grouping, no typo tolerance, no fallback.

use std::collections::{BTreeMap, HashMap, HashSet};

use chorus_search_index::IndexDoc;
use chorus_search_index::analysis::Analyzer;
use chorus_search_index::schema::TextField;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::{Index, TantivyDocument, Term, doc};

use crate::search::{LANGUAGES, Score, Sdg, chorus_top10, eval_documents, pg_top10, typed, words};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Kind {
    Indicator,
    ShortQuestion,
    LongQuestion,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Indicator, Kind::ShortQuestion, Kind::LongQuestion];

    fn label(self) -> &'static str {
        match self {
            Kind::Indicator => "indicator text",
            Kind::ShortQuestion => "short question",
            Kind::LongQuestion => "long question",
        }
    }
}

pub struct NaturalQuery {
    pub locale: &'static str,
    pub text: String,
    pub kind: Kind,
    pub relevant: String,
}

/// A short question around two words of a target, as a reader of that language would ask it.
pub(crate) fn short_question(locale: &str, a: &str, b: &str) -> String {
    match locale {
        "en" => format!("What is being done about {a} and {b}?"),
        "fr" => format!("Que fait-on pour {a} et {b} ?"),
        "es" => format!("¿Qué se hace sobre {a} y {b}?"),
        "ru" => format!("Что делается для {a} и {b}?"),
        "zh-Hans" => format!("{a}和{b}方面有什么目标？"),
        _ => format!("ماذا يتم بشأن {a} و{b}؟"),
    }
}

/// A long question quoting the start of a target.
fn long_question(locale: &str, quoted: &str) -> String {
    match locale {
        "en" => format!("Which of the goals says that countries should {quoted}?"),
        "fr" => format!("Lequel des objectifs dit que les pays doivent {quoted} ?"),
        "es" => format!("¿Cuál de los objetivos dice que los países deben {quoted}?"),
        "ru" => format!("Какая из целей говорит, что страны должны {quoted}?"),
        "zh-Hans" => format!("请问哪一个目标提出各国应该{quoted}？"),
        _ => format!("ما هو الهدف الذي ينص على أن على البلدان {quoted}؟"),
    }
}

/// The first `n` words of a text (characters for Chinese), without a trailing comma or stop.
fn opening(locale: &str, text: &str, n: usize) -> String {
    let cut: String = if locale == "zh-Hans" {
        text.chars().take(n * 2).collect()
    } else {
        text.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
    };
    cut.trim_end_matches(|c: char| c.is_ascii_punctuation() || c == '，' || c == '、').to_owned()
}

/// The target key of an indicator key (`1-2-1-title` -> `1-2-title`).
fn target_of(indicator: &str) -> String {
    let parts: Vec<&str> = indicator.split('-').collect();
    format!("{}-{}-title", parts[0], parts[1])
}

pub fn queries(sdg: &Sdg) -> Vec<NaturalQuery> {
    let mut out = Vec::new();
    for (locale, _) in LANGUAGES {
        for (key, texts) in &sdg.indicators {
            if key.split('-').count() != 4 {
                continue;
            }
            let target = target_of(key);
            if sdg.targets.contains_key(&target) {
                out.push(NaturalQuery { locale, text: typed(&texts[locale]), kind: Kind::Indicator, relevant: target });
            }
        }
        // Rare words of each target in this language (Chinese: rare two- to four-character spans).
        let rare = rare_words(sdg, locale);
        for (key, texts) in &sdg.targets {
            if let Some([a, b]) = rare.get(key).map(|w| [w[0].clone(), w[1].clone()]) {
                out.push(NaturalQuery {
                    locale,
                    text: typed(&short_question(locale, &a, &b)),
                    kind: Kind::ShortQuestion,
                    relevant: key.clone(),
                });
            }
            let text = &texts[locale];
            // Targets often open with "By 2030," and its translations: the words after it.
            let body = match text.split_once([',', '，', '،']) {
                Some((head, rest)) if head.chars().any(|c| c.is_ascii_digit()) && head.chars().count() < 16 => {
                    rest.trim()
                }
                _ => text.as_str(),
            };
            let mut quoted = opening(locale, body, 12);
            if locale != "zh-Hans" {
                let mut c = quoted.chars();
                quoted = match c.next() {
                    Some(first) => first.to_lowercase().chain(c).collect(),
                    None => quoted,
                };
            }
            out.push(NaturalQuery {
                locale,
                text: typed(&long_question(locale, &quoted)),
                kind: Kind::LongQuestion,
                relevant: key.clone(),
            });
        }
    }
    out
}

/// Per target, its two rarest words of four letters or more in `locale` (rarest across that
/// language's targets); for Chinese, two rare spans of two to four characters.
fn rare_words(sdg: &Sdg, locale: &str) -> HashMap<String, Vec<String>> {
    let texts: Vec<(&String, &String)> = sdg.targets.iter().map(|(k, t)| (k, &t[locale])).collect();
    let units = |t: &str| -> Vec<String> {
        if locale == "zh-Hans" {
            let chars: Vec<char> = t.chars().filter(|c| c.is_alphanumeric() && !c.is_ascii()).collect();
            let mut grams = Vec::new();
            for n in 2..=4 {
                grams.extend(chars.windows(n).map(|w| w.iter().collect::<String>()));
            }
            grams
        } else {
            words(t).into_iter().filter(|w| w.chars().count() >= 4 && !w.chars().any(char::is_numeric)).collect()
        }
    };
    let mut df: HashMap<String, usize> = HashMap::new();
    for (_, t) in &texts {
        for u in units(t).into_iter().collect::<HashSet<_>>() {
            *df.entry(u).or_default() += 1;
        }
    }
    let mut out = HashMap::new();
    for (key, t) in texts {
        let mut us: Vec<String> = units(t);
        us.sort();
        us.dedup();
        // Rare but not unique to the target.
        us.retain(|u| (2..=8).contains(&df[u]));
        us.sort_by(|a, b| df[a].cmp(&df[b]).then(b.chars().count().cmp(&a.chars().count())).then(a.cmp(b)));
        let mut picked: Vec<String> = Vec::new();
        for u in us {
            if picked.iter().all(|p| !p.contains(u.as_str()) && !u.contains(p.as_str())) {
                picked.push(u);
            }
            if picked.len() == 2 {
                break;
            }
        }
        if picked.len() == 2 {
            out.insert(key.clone(), picked);
        }
    }
    out
}

type Scores = BTreeMap<(&'static str, Kind), Score>;

/// Plain BM25: one in-memory tantivy index per language with that language's analyzer, the OR
/// of the query's analysed terms in title and summary, weighted as Chorus weighs them.
fn baseline(docs: &[(u64, String, IndexDoc)], queries: &[NaturalQuery]) -> Scores {
    let mut scores = Scores::new();
    for (locale, _) in LANGUAGES {
        let analyzer = Analyzer::for_locale(locale);
        let mut sb = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("lang")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let key = sb.add_text_field("key", STRING | STORED);
        let title = sb.add_text_field("title", text.clone());
        let summary = sb.add_text_field("summary", text);
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register("lang", analyzer.build());
        let mut writer = index.writer::<TantivyDocument>(50_000_000).unwrap();
        for (_, k, d) in docs.iter().filter(|(_, _, d)| d.locale == locale) {
            writer
                .add_document(doc!(key => k.as_str(), title => d.title.as_str(), summary => d.summary.as_str()))
                .unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let mut a = analyzer.build();
        for q in queries.iter().filter(|q| q.locale == locale) {
            let mut terms: Vec<String> = Vec::new();
            let mut stream = a.token_stream(&q.text);
            while stream.advance() {
                let t = stream.token().text.clone();
                if !terms.contains(&t) {
                    terms.push(t);
                }
            }
            let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for t in &terms {
                for (field, boost) in [(title, TextField::Title.boost()), (summary, TextField::Summary.boost())] {
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(Term::from_field_text(field, t), IndexRecordOption::WithFreqs));
                    shoulds.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
                }
            }
            let top = searcher.search(&BooleanQuery::new(shoulds), &TopDocs::with_limit(10).order_by_score()).unwrap();
            let keys: Vec<String> = top
                .iter()
                .map(|(_, addr)| {
                    let d: TantivyDocument = searcher.doc(*addr).unwrap();
                    d.get_first(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
                })
                .collect();
            scores.entry((locale, q.kind)).or_default().add(keys.iter().position(|k| *k == q.relevant));
        }
    }
    scores
}

/// Runs the natural-language evaluation and prints its tables.
pub async fn evaluate(sdg: &Sdg, postgres: Option<&str>) {
    let docs = eval_documents(sdg, false);
    let queries = queries(sdg);
    println!(
        "\n### Natural-language queries\n\ncollection: {} SDG targets x {} languages (title: target, summary: goal; no indicators); {} queries",
        sdg.targets.len(),
        LANGUAGES.len(),
        queries.len()
    );
    let asked: Vec<(&str, &str)> = queries.iter().map(|q| (q.locale, q.text.as_str())).collect();
    let mut chorus = Scores::new();
    let mut all_words = 0usize;
    for (q, (keys, all)) in queries.iter().zip(chorus_top10(&docs, &asked)) {
        all_words += usize::from(all);
        chorus.entry((q.locale, q.kind)).or_default().add(keys.iter().position(|k| *k == q.relevant));
    }
    let base = baseline(&docs, &queries);
    let mut pg = Scores::new();
    if let Some(url) = postgres {
        for (q, keys) in queries.iter().zip(pg_top10(url, &docs, &asked).await) {
            pg.entry((q.locale, q.kind)).or_default().add(keys.iter().position(|k| *k == q.relevant));
        }
    }
    println!(
        "\n| language | query kind | queries | Chorus MRR@10 | Chorus recall@10 | BM25 baseline MRR@10 | baseline recall@10 | PostgreSQL MRR@10 | PostgreSQL recall@10 |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (locale, _) in LANGUAGES {
        for kind in Kind::ALL {
            let c = chorus.get(&(locale, kind)).copied().unwrap_or_default();
            let b = base.get(&(locale, kind)).copied().unwrap_or_default();
            let p = pg.get(&(locale, kind)).copied().unwrap_or_default();
            println!(
                "| {locale} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                kind.label(),
                c.queries,
                c.mrr(),
                c.recall(),
                b.mrr(),
                b.recall(),
                p.mrr(),
                p.recall()
            );
        }
    }
    println!("\nqueries answered with allWordsMatched: {all_words} of {}", queries.len());
    println!("\nExamples:");
    for q in queries.iter().step_by(211).take(10) {
        println!("- [{}] {:?} ({}) -> {}", q.locale, q.text, q.kind.label(), q.relevant);
    }
}
