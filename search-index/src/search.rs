//! Searching: user text to a bounded query, matches grouped by item, facets, highlights.
//!
//! User input is only ever text. It is cut to [`MAX_QUERY_CHARS`](crate::request::MAX_QUERY_CHARS) characters and
//! [`MAX_CLAUSES`](crate::request::MAX_CLAUSES) words or quoted phrases, control characters become spaces, and each word is
//! analysed by every searched language's analyzer; no query-parser syntax exists. The words are
//! OR-ed and ranked by BM25 (title, summary, body, documents, weighted in that order), scored with
//! each language's own statistics; documents that have every word get a bonus; a long query keeps
//! its rarest words; quoted phrases must match. A word of five letters or more that is in no
//! document is matched with one typo (two from nine letters), through the spelling vocabulary;
//! codes (words with digits) never are. The last word, unless followed by a space, also matches
//! as a prefix (as you type).

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use tantivy::columnar::Column;
use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
    TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{BitSet, DocAddress, DocId, Score, Searcher, SegmentOrdinal, TantivyDocument, Term};

use crate::Result;
use crate::analysis::{Analyzer, vocabulary_analyzer};
use crate::columns::{DocColumns, FacetColumn, NO_KEY, NO_LOCALE};
use crate::request::{FacetCount, FacetName, Hit, MAX_CLAUSES, MAX_QUERY_CHARS, SearchRequest, SearchResults};
use crate::schema::{Fields, TextField};
use crate::store::SearchIndex;

const PREFIX_EXPANSIONS: usize = 6;
/// A last word found in this many documents is not expanded as a prefix.
const PREFIX_UNLESS_FREQ: u64 = 50;
const FUZZY_EXPANSIONS: usize = 6;
/// Dictionary entries scanned per segment for one prefix or typo: bounds the work of any query.
const SCAN_LIMIT: usize = 2000;
/// Characters of a summary or body scanned for a snippet.
const SNIPPET_SOURCE_CHARS: usize = 4000;
const FACET_BUCKETS: usize = 100;
/// Words (positions after analysis) a query keeps per language: the rarest, past this many.
const MAX_TERMS: usize = 32;
/// The weight of the bonus for documents that have every word of the query.
const ALL_WORDS_BONUS: f32 = 1.0;

/// A word or phrase of the user's query.
#[derive(Clone, Debug, PartialEq)]
enum Clause {
    Word { text: String, prefix: bool },
    Phrase(String),
}

/// Splits user text into words and quoted phrases; never fails.
fn parse(text: &str) -> Vec<Clause> {
    let cleaned: String =
        text.chars().take(MAX_QUERY_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    let ends_in_word = cleaned.chars().last().is_some_and(|c| !c.is_whitespace() && c != '"');
    let mut clauses = Vec::new();
    let mut rest = cleaned.as_str();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('"') {
            match after.find('"') {
                Some(end) => {
                    if !after[..end].trim().is_empty() {
                        clauses.push(Clause::Phrase(after[..end].to_owned()));
                    }
                    rest = &after[end + 1..];
                }
                // An unclosed quote: the rest is words.
                None => rest = after,
            }
            continue;
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
        clauses.push(Clause::Word { text: rest[..end].to_owned(), prefix: false });
        rest = &rest[end..];
    }
    clauses.truncate(MAX_CLAUSES);
    if ends_in_word && let Some(Clause::Word { prefix, .. }) = clauses.last_mut() {
        *prefix = true;
    }
    clauses
}

/// The terms of a text under an analyzer, grouped by position (alternatives share one).
fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Vec<String>> {
    let mut stream = analyzer.token_stream(text);
    let mut groups: Vec<(usize, Vec<String>)> = Vec::new();
    while stream.advance() {
        let t = stream.token();
        match groups.last_mut() {
            Some((p, alts)) if *p == t.position => {
                if !alts.contains(&t.text) {
                    alts.push(t.text.clone());
                }
            }
            _ => groups.push((t.position, vec![t.text.clone()])),
        }
    }
    groups.into_iter().map(|(_, alts)| alts).collect()
}

fn analyze_with_positions(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out: Vec<(usize, String)> = Vec::new();
    while stream.advance() {
        let t = stream.token();
        if out.last().is_none_or(|(p, _)| *p != t.position) {
            out.push((t.position, t.text.clone()));
        }
    }
    out
}

/// Damerau-Levenshtein (optimal string alignment) distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Typos allowed in a word: none up to four letters or with digits, one up to eight, then two.
fn typo_budget(word: &str) -> u8 {
    let n = word.chars().count();
    if word.chars().any(|c| c.is_numeric()) || !word.chars().all(char::is_alphabetic) || n < 5 {
        0
    } else if n < 9 {
        1
    } else {
        2
    }
}

/// Other spellings of a word found in the vocabulary, with their weight.
#[derive(Default, Debug)]
struct Expansions {
    words: Vec<(String, f32)>,
}

/// The BM25 statistics of one search, each term's document frequency looked up once: building
/// the query, then each pass's weights, would otherwise look every term up in every segment's
/// dictionary three times.
struct Statistics<'a> {
    searcher: &'a Searcher,
    doc_freqs: std::cell::RefCell<HashMap<Term, u64>>,
    tokens: std::cell::RefCell<HashMap<Field, u64>>,
}

impl<'a> Statistics<'a> {
    fn new(searcher: &'a Searcher) -> Statistics<'a> {
        Statistics { searcher, doc_freqs: Default::default(), tokens: Default::default() }
    }

    /// A term's document frequency; a term that cannot be read counts as in no document (the
    /// query then leaves it out), as before the statistics were shared.
    fn doc_freq(&self, term: &Term) -> u64 {
        self.try_doc_freq(term).unwrap_or(0)
    }

    fn try_doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(&n) = self.doc_freqs.borrow().get(term) {
            return Ok(n);
        }
        let n = self.searcher.doc_freq(term)?;
        self.doc_freqs.borrow_mut().insert(term.clone(), n);
        Ok(n)
    }
}

impl tantivy::query::Bm25StatisticsProvider for Statistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(&n) = self.tokens.borrow().get(&field) {
            return Ok(n);
        }
        let n = self.searcher.total_num_tokens(field)?;
        self.tokens.borrow_mut().insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        self.try_doc_freq(term)
    }
}

struct Context<'a> {
    searcher: &'a Searcher,
    fields: &'a Fields,
    stats: &'a Statistics<'a>,
}

impl Context<'_> {
    fn vocabulary_freq(&self, word: &str) -> u64 {
        self.stats.doc_freq(&Term::from_field_text(self.fields.vocabulary, word))
    }

    /// Vocabulary words starting with `prefix`, most frequent first.
    fn prefixed(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut found: HashMap<String, u64> = HashMap::new();
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xff);
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.vocabulary)?;
            let mut stream = inverted.terms().range().ge(prefix.as_bytes()).lt(&upper).into_stream()?;
            let mut scanned = 0;
            while stream.advance() && scanned < SCAN_LIMIT {
                scanned += 1;
                if let Ok(word) = std::str::from_utf8(stream.key()) {
                    *found.entry(word.to_owned()).or_default() += u64::from(stream.value().doc_freq);
                }
            }
        }
        Ok(top(found, PREFIX_EXPANSIONS))
    }

    /// Vocabulary words within `distance` typos of `word`.
    fn near(&self, word: &str, distance: u8) -> Result<Vec<(String, u64)>> {
        let mut found: HashMap<String, u64> = HashMap::new();
        let automaton = FuzzyTermQuery::new(Term::from_field_text(self.fields.vocabulary, word), distance, true);
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.vocabulary)?;
            let mut stream = inverted.terms().search(automaton.automaton()?).into_stream()?;
            let mut scanned = 0;
            while stream.advance() && scanned < SCAN_LIMIT {
                scanned += 1;
                if let Ok(w) = std::str::from_utf8(stream.key()) {
                    *found.entry(w.to_owned()).or_default() += u64::from(stream.value().doc_freq);
                }
            }
        }
        Ok(found.into_iter().collect())
    }

    fn expansions(&self, vocabulary: &mut TextAnalyzer, word: &str, prefix: bool) -> Result<Expansions> {
        let mut out = Expansions::default();
        let tokens = analyze(vocabulary, word);
        let [alternatives] = tokens.as_slice() else { return Ok(out) };
        let [v] = alternatives.as_slice() else { return Ok(out) };
        if v.chars().any(|c| c.is_numeric() || is_cjk(c)) {
            return Ok(out);
        }
        // As you type: a partial last word also matches the words it starts (unless it is a
        // common word already, which finds plenty by itself).
        if prefix && v.chars().count() >= 3 && self.vocabulary_freq(v) < PREFIX_UNLESS_FREQ {
            for (w, _) in self.prefixed(v)? {
                if &w != v {
                    out.words.push((w, 0.6));
                }
            }
        }
        let budget = typo_budget(v);
        if budget > 0 && self.vocabulary_freq(v) == 0 {
            let mut near: Vec<(String, u64, usize)> =
                self.near(v, budget)?.into_iter().map(|(w, f)| (w.clone(), f, edit_distance(v, &w))).collect();
            near.sort_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
            for (w, _, d) in near.into_iter().take(FUZZY_EXPANSIONS) {
                out.words.push((w, if d <= 1 { 0.5 } else { 0.3 }));
            }
        }
        Ok(out)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn top(found: HashMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = found.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// Terms to highlight, per analyzer.
type Highlights = HashMap<Analyzer, HashSet<String>>;

struct Built {
    /// The documents to rank and count: in each searched language, every word of the query
    /// OR-ed (BM25 over its terms, with that language's statistics) and every phrase required.
    /// Without phrases, a flat union of term queries, which top-k collection can prune block by
    /// block (block-max WAND).
    ranked: Box<dyn Query>,
    /// The documents that have every word (and phrase) of the query in some language, scored as
    /// in `ranked`; `None` when some word is in no document of any searched language.
    all: Option<Box<dyn Query>>,
    /// The terms of `ranked` when it is a flat union of terms (no phrase): what the counting
    /// pass reads directly from the postings.
    terms: Option<Vec<Term>>,
    highlights: Highlights,
}

/// What a word or phrase becomes in one language.
enum Part {
    /// Nothing to search (only stop words).
    Nothing,
    /// Terms that no document of this language has: the word cannot match here.
    Impossible,
    Query(Box<dyn Query>),
}

/// The terms of one word: term queries, the rarest document frequency, the terms themselves.
struct WordTerms {
    queries: Vec<Box<dyn Query>>,
    rarest: u64,
    terms: Vec<Term>,
}

/// The terms of one word (one position after analysis): any of its alternatives (the word, its
/// prefix completions or typo corrections, with their weights) in any text field of the
/// analyzer, each a term query weighted by field and alternative; with the rarest document
/// frequency of its terms, to keep the rarest words of a long query. `None` when no document of
/// the language has any of them.
fn word_query(
    ctx: &Context<'_>,
    analyzer: Analyzer,
    alternatives: &[(String, f32)],
    highlights: &mut HashSet<String>,
) -> Option<WordTerms> {
    let mut terms: Vec<Box<dyn Query>> = Vec::new();
    let mut found: Vec<Term> = Vec::new();
    let mut rarest = u64::MAX;
    for (term, weight) in alternatives {
        for f in TextField::ALL {
            let t = Term::from_field_text(ctx.fields.text(analyzer, f), term);
            let df = ctx.stats.doc_freq(&t);
            if df == 0 {
                continue;
            }
            rarest = rarest.min(df);
            highlights.insert(term.clone());
            found.push(t.clone());
            let q: Box<dyn Query> = Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs));
            terms.push(Box::new(BoostQuery::new(q, f.boost() * weight)));
        }
    }
    (!terms.is_empty()).then_some(WordTerms { queries: terms, rarest, terms: found })
}

/// The OR of queries (the query itself when there is one).
fn any_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    match queries.len() {
        1 => queries.pop().expect("one"),
        _ => Box::new(BooleanQuery::union(queries)),
    }
}

/// A query scored with the BM25 statistics of one language's documents: in an index that holds
/// every language, the document count and average field lengths would otherwise be those of all
/// documents, and a language's scores would depend on how much of the others there is.
#[derive(Debug)]
struct LanguageScored {
    inner: Box<dyn Query>,
    /// The documents of the languages that share this analyzer.
    docs: u64,
}

impl Clone for LanguageScored {
    fn clone(&self) -> Self {
        LanguageScored { inner: self.inner.box_clone(), docs: self.docs }
    }
}

struct LanguageStatistics<'a> {
    searcher: &'a dyn tantivy::query::Bm25StatisticsProvider,
    docs: u64,
}

impl tantivy::query::Bm25StatisticsProvider for LanguageStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        self.searcher.total_num_tokens(field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs.max(1))
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        // A language's field is only in its documents; bounded all the same, as BM25 requires.
        Ok(self.searcher.doc_freq(term)?.min(self.docs.max(1)))
    }
}

impl Query for LanguageScored {
    fn weight(&self, scoring: tantivy::query::EnableScoring<'_>) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        match scoring {
            tantivy::query::EnableScoring::Enabled { searcher, statistics_provider } => {
                let stats = LanguageStatistics { searcher: statistics_provider, docs: self.docs };
                self.inner.weight(tantivy::query::EnableScoring::enabled_from_statistics_provider(&stats, searcher))
            }
            disabled => self.inner.weight(disabled),
        }
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

fn phrase_query(
    ctx: &Context<'_>,
    analyzer: Analyzer,
    terms: &[(usize, String)],
    highlights: &mut HashSet<String>,
) -> Part {
    match terms {
        [] => Part::Nothing,
        [(_, one)] => match word_query(ctx, analyzer, &[(one.clone(), 1.0)], highlights) {
            Some(word) => Part::Query(any_of(word.queries)),
            None => Part::Impossible,
        },
        [(first, _), ..] => {
            let mut shoulds: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for f in TextField::ALL {
                let field = ctx.fields.text(analyzer, f);
                let with_offsets =
                    terms.iter().map(|(p, t)| (p - first, Term::from_field_text(field, t))).collect::<Vec<_>>();
                if with_offsets.iter().any(|(_, t)| ctx.stats.doc_freq(t) == 0) {
                    continue;
                }
                let q: Box<dyn Query> = Box::new(PhraseQuery::new_with_offset(with_offsets));
                shoulds.push((Occur::Should, Box::new(BoostQuery::new(q, f.boost()))));
            }
            if shoulds.is_empty() {
                return Part::Impossible;
            }
            for (_, t) in terms {
                highlights.insert(t.clone());
            }
            Part::Query(Box::new(BooleanQuery::new(shoulds)))
        }
    }
}

impl SearchIndex {
    /// The analyzers of the searched locales, with those locales.
    fn analyzers(&self, locales: &[String]) -> Vec<Analyzer> {
        let mut out: Vec<Analyzer> = Vec::new();
        for l in locales {
            let a = Analyzer::for_locale(l);
            if !out.contains(&a) {
                out.push(a);
            }
        }
        out
    }

    fn filter_clauses(&self, request: &SearchRequest, locales: &[String]) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut set = |field: Field, values: &[String]| {
            if !values.is_empty() {
                let terms = values.iter().map(|v| Term::from_field_text(field, v));
                out.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
            }
        };
        let filter = &request.filter;
        set(f.item_type, &filter.types);
        set(f.kind, &filter.kinds);
        set(f.region, &filter.regions);
        set(f.country, &filter.countries);
        set(f.topic, &filter.topics);
        if locales.len() < self.locales.len() {
            set(f.locale, locales);
        }
        for (field, values) in [(f.organization, &filter.organizations), (f.programme, &filter.programmes)] {
            if !values.is_empty() {
                let terms = values.iter().map(|v| Term::from_field_i64(field, *v));
                out.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
            }
        }
        if filter.year_from.is_some() || filter.year_to.is_some() {
            let bound =
                |v: Option<i64>| v.map_or(Bound::Unbounded, |y| Bound::Included(Term::from_field_i64(f.year, y)));
            out.push((Occur::Must, Box::new(RangeQuery::new(bound(filter.year_from), bound(filter.year_to)))));
        }
        out
    }

    /// Builds the text part of the query; `None` when the text has no searchable word.
    ///
    /// In each searched language, every word (each position after analysis: an unspaced Chinese
    /// clause is several) is OR-ed: BM25 over the query's terms, weighted by field, so a word
    /// that no document has, a stop word or a question word never empties the result. Documents
    /// that have every word get a bonus when ranked (their words' scores once more, see
    /// `search_with`), so keyword searches rank them first. Quoted phrases must match. A long
    /// query keeps its `MAX_TERMS` rarest words, whatever their place.
    fn text_query(&self, ctx: &Context<'_>, clauses: &[Clause], analyzers: &[Analyzer]) -> Result<Option<Built>> {
        let mut vocabulary = vocabulary_analyzer();
        let mut expansions = Vec::with_capacity(clauses.len());
        for clause in clauses {
            expansions.push(match clause {
                Clause::Word { text, prefix } => ctx.expansions(&mut vocabulary, text, *prefix)?,
                Clause::Phrase(_) => Expansions::default(),
            });
        }
        let mut highlights: Highlights = HashMap::new();
        let mut per_language: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut all_languages: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut union_terms: Option<Vec<Term>> = Some(Vec::new());
        for &analyzer in analyzers {
            let mut a = self.index.tokenizers().get(&analyzer.tokenizer_name()).expect("registered analyzer");
            let marks = highlights.entry(analyzer).or_default();
            let mut words: Vec<WordTerms> = Vec::new();
            let mut phrases: Vec<Box<dyn Query>> = Vec::new();
            // A word (or phrase) that no document of the language has: no document has them all.
            let mut missing = false;
            let mut impossible = false;
            let mut seen: HashSet<Vec<String>> = HashSet::new();
            for (clause, extra) in clauses.iter().zip(&expansions) {
                match clause {
                    Clause::Phrase(text) => {
                        match phrase_query(ctx, analyzer, &analyze_with_positions(&mut a, text), marks) {
                            Part::Query(q) => phrases.push(q),
                            Part::Impossible => impossible = true,
                            Part::Nothing => {}
                        }
                    }
                    Clause::Word { text, .. } => {
                        let exact = analyze(&mut a, text);
                        // One word: its typo corrections and completions are alternatives of it.
                        let mut other: Vec<(String, f32)> = Vec::new();
                        if exact.len() == 1 && analyzer.fuzzy() {
                            for (word, weight) in &extra.words {
                                if let [alternatives] = analyze(&mut a, word).as_slice() {
                                    other.extend(alternatives.iter().map(|t| (t.clone(), *weight)));
                                }
                            }
                        }
                        for position in &exact {
                            // A word said twice counts once.
                            if !seen.insert(position.clone()) {
                                continue;
                            }
                            let mut alternatives: Vec<(String, f32)> =
                                position.iter().map(|t| (t.clone(), 1.0)).collect();
                            for (t, w) in &other {
                                if !alternatives.iter().any(|(x, _)| x == t) {
                                    alternatives.push((t.clone(), *w));
                                }
                            }
                            match word_query(ctx, analyzer, &alternatives, marks) {
                                Some(w) => words.push(w),
                                None => missing = true,
                            }
                        }
                    }
                }
            }
            if impossible || (words.is_empty() && phrases.is_empty()) {
                continue;
            }
            if words.len() > MAX_TERMS {
                // The rarest words carry the query; the commonest add little but work. Past this,
                // no hit is said to have every word.
                words.sort_by_key(|w| w.rarest);
                words.truncate(MAX_TERMS);
                missing = true;
            }
            let docs: u64 = self
                .locales
                .iter()
                .filter(|l| Analyzer::for_locale(l) == analyzer)
                .map(|l| ctx.stats.doc_freq(&Term::from_field_text(self.fields.locale, l)))
                .sum();
            let scored = |inner: Box<dyn Query>| -> Box<dyn Query> { Box::new(LanguageScored { inner, docs }) };
            if !missing {
                let mut musts: Vec<Box<dyn Query>> =
                    words.iter().map(|w| any_of(w.queries.iter().map(|q| q.box_clone()).collect())).collect();
                musts.extend(phrases.iter().map(|q| q.box_clone()));
                let every = match musts.len() {
                    1 => musts.pop().expect("one"),
                    _ => Box::new(BooleanQuery::intersection(musts)) as Box<dyn Query>,
                };
                all_languages.push((Occur::Should, scored(every)));
            }
            if phrases.is_empty() {
                // Each term scored on its own with the language's statistics, so that the
                // union across words, fields and languages stays one flat union of terms.
                for word in words {
                    if let Some(all) = union_terms.as_mut() {
                        all.extend(word.terms);
                    }
                    per_language.extend(word.queries.into_iter().map(|t| (Occur::Should, scored(t))));
                }
            } else {
                union_terms = None;
                let mut clauses_: Vec<(Occur, Box<dyn Query>)> =
                    phrases.into_iter().map(|q| (Occur::Must, q)).collect();
                if !words.is_empty() {
                    clauses_.push((Occur::Should, any_of(words.into_iter().flat_map(|w| w.queries).collect())));
                }
                per_language.push((Occur::Should, scored(Box::new(BooleanQuery::new(clauses_)))));
            }
        }
        if per_language.is_empty() {
            return Ok(None);
        }
        let all = (!all_languages.is_empty()).then(|| Box::new(BooleanQuery::new(all_languages)) as Box<dyn Query>);
        if let Some(terms) = union_terms.as_mut() {
            terms.sort_unstable();
            terms.dedup();
        }
        Ok(Some(Built { ranked: Box::new(BooleanQuery::new(per_language)), all, terms: union_terms, highlights }))
    }

    /// Runs a search (answered from the result cache when the same request was answered since
    /// the index last changed).
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        if let Some(results) = self.cache.get(request, generation) {
            return Ok(results);
        }
        let results = self.search_with(&searcher, request)?;
        self.cache.put(request, generation, &results);
        Ok(results)
    }

    /// The cached results of a request, if the index has not changed since they were computed.
    pub fn cached(&self, request: &SearchRequest) -> Option<SearchResults> {
        self.cache.get(request, self.reader.searcher().generation().generation_id())
    }

    /// A search, computed: the best items by top-k collection (documents that cannot enter the
    /// top are skipped block by block), then one pass without scoring over every match for the
    /// total, the facets and the language each item is shown in.
    fn search_with(&self, searcher: &Searcher, request: &SearchRequest) -> Result<SearchResults> {
        let stats = Statistics::new(searcher);
        let ctx = Context { searcher, fields: &self.fields, stats: &stats };
        let locales: Vec<String> = if request.locales.is_empty() {
            self.locales.clone()
        } else {
            self.locales.iter().filter(|l| request.locales.contains(l)).cloned().collect()
        };
        if locales.is_empty() {
            return Ok(SearchResults { all_words_matched: true, ..Default::default() });
        }
        let analyzers = self.analyzers(&locales);
        let clauses = parse(&request.text);
        let filter_clauses = self.filter_clauses(request, &locales);
        let filter = DocFilter::new(searcher, &filter_clauses)?;
        let ranks = self.locale_ranks(&request.preference);
        let wanted = request.offset.saturating_add(request.limit);

        if clauses.is_empty() {
            // Browsing: every item the filters allow, newest first.
            let mut grouped = self.count(searcher, Matching::All, &filter, &ranks, true, &[], &request.facets)?;
            grouped.groups.sort_by(|a, b| b.shown.date.cmp(&a.shown.date).then(a.shown.key.cmp(&b.shown.key)));
            let facets = self.facets(searcher, &grouped, &request.facets)?;
            let mut hits = Vec::new();
            let none = Highlights::new();
            let mut marks = Highlighter::new(self, &none);
            for g in grouped.groups.iter().skip(request.offset).take(request.limit) {
                hits.push(self.hit(searcher, g, &mut marks, request.snippet_chars.clamp(40, 1000))?);
            }
            return Ok(SearchResults {
                total: grouped.groups.len(),
                hits,
                facets,
                suggestion: None,
                all_words_matched: true,
            });
        }
        let Some(built) = self.text_query(&ctx, &clauses, &analyzers)? else {
            let suggestion = self.suggest(&ctx, &clauses, &analyzers, &filter)?;
            return Ok(SearchResults { suggestion, all_words_matched: false, ..Default::default() });
        };
        // The best items: those with every word first (their score counted once more), then
        // any word; the threshold the first pass reaches lets the second skip most documents.
        let mut top = TopItems::new(wanted.max(1));
        let all_words_matched = match &built.all {
            Some(all) => self.rank(&ctx, all.as_ref(), &filter, &mut top, 1.0 + ALL_WORDS_BONUS)?,
            None => false,
        };
        self.rank(&ctx, built.ranked.as_ref(), &filter, &mut top, 1.0)?;
        let mut wanted_keys: Vec<u64> = top.top.iter().map(|&(_, k)| k).collect();
        wanted_keys.sort_unstable();
        let matching = match &built.terms {
            Some(terms) => Matching::Terms(terms),
            None => Matching::Query(built.ranked.as_ref()),
        };
        let grouped = self.count(searcher, matching, &filter, &ranks, false, &wanted_keys, &request.facets)?;
        let facets = self.facets(searcher, &grouped, &request.facets)?;
        let mut hits = Vec::new();
        let mut marks = Highlighter::new(self, &built.highlights);
        for &(score, key) in top.top.iter().skip(request.offset).take(request.limit) {
            if let Some(&i) = grouped.index.get(&key) {
                let mut g = grouped.groups[i];
                g.score = score;
                hits.push(self.hit(searcher, &g, &mut marks, request.snippet_chars.clamp(40, 1000))?);
            }
        }
        let suggestion =
            if grouped.groups.is_empty() { self.suggest(&ctx, &clauses, &analyzers, &filter)? } else { None };
        Ok(SearchResults { total: grouped.groups.len(), hits, facets, suggestion, all_words_matched })
    }

    /// A segment's decoded facet column, read on first use and kept while the segment is live.
    fn facet_column(&self, reader: &tantivy::SegmentReader, name: &'static str) -> Result<Arc<FacetColumn>> {
        let key = (reader.segment_id(), name);
        if let Some(c) = self.facet_columns.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(c.clone());
        }
        let column = Arc::new(FacetColumn::read(reader, name)?);
        // Forget the columns of segments merged away or deleted.
        let live = self.live_segments();
        let mut columns = self.facet_columns.lock().unwrap_or_else(|p| p.into_inner());
        columns.retain(|(id, _), _| live.contains(id) || *id == key.0);
        columns.insert(key, column.clone());
        Ok(column)
    }

    /// A segment's decoded item keys and locales, read on first use and kept while the segment
    /// is live.
    fn doc_columns(&self, reader: &tantivy::SegmentReader) -> Result<Arc<DocColumns>> {
        let id = reader.segment_id();
        if let Some(c) = self.doc_columns.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(c.clone());
        }
        let columns = Arc::new(DocColumns::read(reader, &self.locales)?);
        let live = self.live_segments();
        let mut all = self.doc_columns.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|s, _| live.contains(s) || *s == id);
        all.insert(id, columns.clone());
        Ok(columns)
    }

    fn live_segments(&self) -> HashSet<tantivy::index::SegmentId> {
        self.reader.searcher().segment_readers().iter().map(|r| r.segment_id()).collect()
    }

    /// The reader's rank of each of the index's locales (lower is preferred).
    fn locale_ranks(&self, preference: &[String]) -> Vec<usize> {
        (0..self.locales.len())
            .map(|i| preference.iter().position(|p| *p == self.locales[i]).unwrap_or(1000 + i))
            .collect()
    }

    /// Offers the documents of `query` that the filter allows to `top`, scores multiplied by
    /// `factor`, skipping those that cannot enter it; true when any document matched.
    fn rank(
        &self,
        ctx: &Context<'_>,
        query: &dyn Query,
        filter: &DocFilter,
        top: &mut TopItems,
        factor: Score,
    ) -> Result<bool> {
        let searcher = ctx.searcher;
        let weight = query.weight(EnableScoring::enabled_from_statistics_provider(ctx.stats, searcher))?;
        let mut any = false;
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let columns = self.doc_columns(reader)?;
            let allowed = filter.segment(ord);
            let alive = reader.alive_bitset();
            weight.for_each_pruning(top.threshold(factor), reader, &mut |doc, score| {
                if alive.is_some_and(|a| a.is_deleted(doc)) || allowed.is_some_and(|b| !b.contains(doc)) {
                    return top.threshold(factor);
                }
                any = true;
                let key = columns.keys[doc as usize];
                if key != NO_KEY {
                    top.offer(key, score * factor);
                }
                top.threshold(factor)
            })?;
        }
        Ok(any)
    }

    /// Every item with a document of `matching` that the filter allows: the locales it matched
    /// in and the document it is shown in (the reader's best locale). An item's documents are
    /// written together (one segment, consecutive), so most documents join the group of the one
    /// before without a lookup, and the string facets of `facets` are counted as each group
    /// closes (otherwise `facets` counts them after).
    #[allow(clippy::too_many_arguments)]
    fn count(
        &self,
        searcher: &Searcher,
        matching: Matching<'_>,
        filter: &DocFilter,
        ranks: &[usize],
        with_dates: bool,
        wanted: &[u64],
        facets: &[FacetName],
    ) -> Result<Grouped> {
        let weight = match matching {
            Matching::Query(query) => Some(query.weight(EnableScoring::disabled_from_searcher(searcher))?),
            _ => None,
        };
        let mut in_pass: Vec<(FacetName, &'static str)> = Vec::new();
        if self.grouped {
            for &f in facets {
                if let Some(name) = string_facet(f)
                    && !in_pass.iter().any(|(g, _)| *g == f)
                {
                    in_pass.push((f, name));
                }
            }
        }
        let mut out = Grouped {
            groups: Vec::with_capacity(1024),
            index: HashMap::with_capacity_and_hasher(
                if self.grouped { wanted.len() } else { 1024 },
                KeyHasher::default(),
            ),
            facet_counts: in_pass.iter().map(|&(f, _)| (f, HashMap::new())).collect(),
        };
        let mut bits: Vec<u64> = Vec::new();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let columns = self.doc_columns(reader)?;
            let mut facet_columns = Vec::with_capacity(in_pass.len());
            for &(_, name) in &in_pass {
                let column = self.facet_column(reader, name)?;
                let n = column.values.len();
                facet_columns.push((column, vec![0u64; n]));
            }
            let mut pass = SegmentPass {
                segment: ord as SegmentOrdinal,
                columns: &columns,
                dates: if with_dates { Some(reader.fast_fields().date("date")?) } else { None },
                allowed: filter.segment(ord),
                alive: reader.alive_bitset(),
                ranks,
                grouped: self.grouped,
                wanted,
                facet_columns,
                last: None,
                out: &mut out,
            };
            match matching {
                Matching::All => (0..reader.max_doc()).for_each(|doc| pass.visit(doc)),
                Matching::Query(_) => weight.as_ref().expect("built above").for_each_no_score(reader, &mut |docs| {
                    for &doc in docs {
                        pass.visit(doc);
                    }
                })?,
                Matching::Terms(terms) => {
                    bits.clear();
                    bits.resize((reader.max_doc() as usize).div_ceil(64), 0);
                    let mut inverted: Vec<(Field, Arc<tantivy::InvertedIndexReader>)> = Vec::new();
                    for term in terms {
                        let index = match inverted.iter().find(|(f, _)| *f == term.field()) {
                            Some((_, i)) => i.clone(),
                            None => {
                                let i = reader.inverted_index(term.field())?;
                                inverted.push((term.field(), i.clone()));
                                i
                            }
                        };
                        let Some(mut postings) = index.read_block_postings(term, IndexRecordOption::Basic)? else {
                            continue;
                        };
                        loop {
                            let docs = postings.docs();
                            if docs.is_empty() {
                                break;
                            }
                            for &doc in docs {
                                bits[doc as usize >> 6] |= 1u64 << (doc & 63);
                            }
                            postings.advance();
                        }
                    }
                    for (w, &word) in bits.iter().enumerate() {
                        let mut word = word;
                        while word != 0 {
                            pass.visit((w as DocId) << 6 | word.trailing_zeros());
                            word &= word - 1;
                        }
                    }
                }
            }
            pass.close();
            let counted = pass.facet_columns;
            for ((_, counts), (column, counters)) in out.facet_counts.iter_mut().zip(&counted) {
                for (ord, &n) in counters.iter().enumerate() {
                    if n > 0 {
                        *counts.entry(column.values[ord].clone()).or_default() += n;
                    }
                }
            }
        }
        Ok(out)
    }

    fn hit(&self, searcher: &Searcher, g: &Group, marks: &mut Highlighter<'_>, snippet_chars: usize) -> Result<Hit> {
        let doc: TantivyDocument = searcher.doc(DocAddress::new(g.shown.segment, g.shown.doc))?;
        let f = &self.fields;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        let strings =
            |field: Field| doc.get_all(field).filter_map(|v| v.as_str().map(str::to_owned)).collect::<Vec<_>>();
        let locale = text(f.locale).to_owned();
        let analyzer = Analyzer::for_locale(&locale);
        let title_html = marks.mark_all(analyzer, text(f.text(analyzer, TextField::Title)));
        let mut snippet_html = String::new();
        let mut from_document = false;
        for field in [TextField::Summary, TextField::Body, TextField::Document] {
            let mut source = text(f.text(analyzer, field));
            if let Some((cut, _)) = source.char_indices().nth(SNIPPET_SOURCE_CHARS) {
                source = &source[..cut];
            }
            if let Some(html) = marks.snippet(analyzer, source, snippet_chars) {
                snippet_html = html;
                from_document = field == TextField::Document;
                break;
            }
        }
        if snippet_html.is_empty() {
            let summary = text(f.text(analyzer, TextField::Summary));
            let source = if summary.trim().is_empty() { text(f.text(analyzer, TextField::Body)) } else { summary };
            snippet_html = escape(&truncate_words(source, snippet_chars));
        }
        let matched_locales = (0..self.locales.len().min(64))
            .filter(|i| g.locales & (1u64 << i) != 0)
            .map(|i| self.locales[i].clone())
            .collect();
        Ok(Hit {
            item_key: g.shown.key,
            item_type: text(f.item_type).to_owned(),
            item_id: doc.get_first(f.item_id).and_then(|v| v.as_i64()).unwrap_or_default(),
            locale,
            score: g.score,
            title_html,
            snippet_html,
            from_document,
            matched_locales,
            available_locales: strings(f.available),
        })
    }

    fn facets(
        &self,
        searcher: &Searcher,
        grouped: &Grouped,
        wanted: &[FacetName],
    ) -> Result<Vec<(FacetName, Vec<FacetCount>)>> {
        let groups = &grouped.groups;
        let mut out = Vec::new();
        for &facet in wanted {
            if out.iter().any(|(f, _)| *f == facet) {
                continue;
            }
            let mut counts: HashMap<String, u64> = HashMap::new();
            let counted = grouped.facet_counts.iter().find(|(f, _)| *f == facet);
            match facet {
                _ if let Some((_, c)) = counted => counts.clone_from(c),
                FacetName::Language => {
                    let mut per_locale = [0u64; 64];
                    for g in groups {
                        let mut bits = g.locales;
                        while bits != 0 {
                            per_locale[bits.trailing_zeros() as usize] += 1;
                            bits &= bits - 1;
                        }
                    }
                    for (i, l) in self.locales.iter().enumerate().take(64) {
                        if per_locale[i] > 0 {
                            counts.insert(l.clone(), per_locale[i]);
                        }
                    }
                }
                FacetName::Type | FacetName::Kind | FacetName::Region | FacetName::Country | FacetName::Topic => {
                    let name = string_facet(facet).expect("a string facet");
                    // Per segment: its decoded values and a counter per dictionary ordinal (facet
                    // dictionaries are small: kinds, regions, countries, topics).
                    let mut per_segment: Vec<Option<(Arc<FacetColumn>, Vec<u64>)>> =
                        (0..searcher.segment_readers().len()).map(|_| None).collect();
                    for g in groups {
                        let seg = g.shown.segment as usize;
                        if per_segment[seg].is_none() {
                            let column = self.facet_column(searcher.segment_reader(g.shown.segment), name)?;
                            let n = column.values.len();
                            per_segment[seg] = Some((column, vec![0; n]));
                        }
                        let (column, counters) = per_segment[seg].as_mut().expect("set above");
                        for &ord in column.ords_of(g.shown.doc) {
                            counters[ord as usize] += 1;
                        }
                    }
                    for (column, counters) in per_segment.iter().flatten() {
                        for (ord, &n) in counters.iter().enumerate() {
                            if n > 0 {
                                *counts.entry(column.values[ord].clone()).or_default() += n;
                            }
                        }
                    }
                }
                FacetName::Organization | FacetName::Programme | FacetName::Year => {
                    let name = match facet {
                        FacetName::Organization => "organization",
                        FacetName::Programme => "programme",
                        _ => "year",
                    };
                    let mut columns: HashMap<u32, Column<i64>> = HashMap::new();
                    for g in groups {
                        let seg = g.shown.segment;
                        let column = match columns.get(&seg) {
                            Some(c) => c,
                            None => {
                                let c = searcher.segment_reader(seg).fast_fields().i64(name)?;
                                columns.entry(seg).or_insert(c)
                            }
                        };
                        for v in column.values_for_doc(g.shown.doc) {
                            *counts.entry(v.to_string()).or_default() += 1;
                        }
                    }
                }
            }
            let mut buckets: Vec<FacetCount> =
                counts.into_iter().map(|(value, count)| FacetCount { value, count }).collect();
            buckets.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            buckets.truncate(FACET_BUCKETS);
            out.push((facet, buckets));
        }
        Ok(out)
    }

    /// "Did you mean": each word absent from the vocabulary replaced by its most frequent close
    /// spelling, offered only if that finds something.
    fn suggest(
        &self,
        ctx: &Context<'_>,
        clauses: &[Clause],
        analyzers: &[Analyzer],
        filter: &DocFilter,
    ) -> Result<Option<String>> {
        let mut vocabulary = vocabulary_analyzer();
        let mut changed = false;
        let mut respelled: Vec<Clause> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for clause in clauses {
            let Clause::Word { text, .. } = clause else {
                respelled.push(clause.clone());
                if let Clause::Phrase(p) = clause {
                    words.push(format!("\"{p}\""));
                }
                continue;
            };
            let tokens = analyze(&mut vocabulary, text);
            let mut replacement = None;
            if let [alternatives] = tokens.as_slice()
                && let [v] = alternatives.as_slice()
                && !v.chars().any(|c| c.is_numeric() || is_cjk(c))
                && v.chars().count() >= 3
                && ctx.vocabulary_freq(v) == 0
            {
                let budget = if v.chars().count() < 8 { 1 } else { 2 };
                let mut near: Vec<(String, u64, usize)> =
                    ctx.near(v, budget)?.into_iter().map(|(w, f)| (w.clone(), f, edit_distance(v, &w))).collect();
                near.sort_by(|a, b| a.2.cmp(&b.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
                replacement = near.into_iter().next().map(|(w, _, _)| w);
            }
            match replacement {
                Some(w) => {
                    changed = true;
                    words.push(w.clone());
                    respelled.push(Clause::Word { text: w, prefix: false });
                }
                None => {
                    words.push(text.clone());
                    respelled.push(clause.clone());
                }
            }
        }
        if !changed {
            return Ok(None);
        }
        let Some(built) = self.text_query(ctx, &respelled, analyzers)? else { return Ok(None) };
        let mut top = TopItems::new(1);
        if self.rank(ctx, built.ranked.as_ref(), filter, &mut top, 1.0)? {
            return Ok(Some(words.join(" ")));
        }
        Ok(None)
    }
}

/// The highlighting of one search's hits: which words of a text are the query's terms under
/// the text's analyzer. The text is split by the analyzer's tokenizer alone, and each distinct
/// word goes through the analyzer's filters (stop words, folding, stemming) once per search:
/// the same words recur across the hits, and stemming every word of every snippet source was
/// most of a hit's cost.
struct Highlighter<'a> {
    index: &'a SearchIndex,
    highlights: &'a Highlights,
    analyzers: HashMap<Analyzer, Marks>,
}

/// One analyzer's share of a `Highlighter`.
struct Marks {
    analyzer: TextAnalyzer,
    /// Whether a word (as the tokenizer gives it) is one of the query's terms.
    known: HashMap<String, bool>,
}

/// A stretch of text for a snippet (as tantivy's snippet generator scores them: consecutive
/// windows of at most `snippet_chars` bytes, one point per term occurrence).
struct Fragment {
    start: usize,
    stop: usize,
    score: usize,
    marked: Vec<std::ops::Range<usize>>,
}

impl<'a> Highlighter<'a> {
    fn new(index: &'a SearchIndex, highlights: &'a Highlights) -> Highlighter<'a> {
        Highlighter { index, highlights, analyzers: HashMap::new() }
    }

    /// The byte ranges of the text's words that are query terms, in order, with every word's
    /// range (`None` when the analyzer has no query term).
    fn words(&mut self, analyzer: Analyzer, text: &str) -> Option<Vec<(std::ops::Range<usize>, bool)>> {
        let terms = self.highlights.get(&analyzer).filter(|t| !t.is_empty())?;
        let index = self.index;
        let marks = self.analyzers.entry(analyzer).or_insert_with(|| Marks {
            analyzer: index.index.tokenizers().get(&analyzer.tokenizer_name()).expect("registered analyzer"),
            known: HashMap::new(),
        });
        let mut out = Vec::new();
        match analyzer.words(text) {
            Some(words) => {
                for w in words {
                    let hit = match marks.known.get(&w.text) {
                        Some(&hit) => hit,
                        None => {
                            let mut hit = false;
                            {
                                let mut stream = marks.analyzer.token_stream(&w.text);
                                while stream.advance() {
                                    hit |= terms.contains(&stream.token().text);
                                }
                            }
                            marks.known.insert(w.text, hit);
                            hit
                        }
                    };
                    out.push((w.offset_from..w.offset_to, hit));
                }
            }
            None => {
                let mut stream = marks.analyzer.token_stream(text);
                while stream.advance() {
                    let t = stream.token();
                    out.push((t.offset_from..t.offset_to, terms.contains(&t.text)));
                }
            }
        }
        Some(out)
    }

    /// Every occurrence of the query's terms in a short text (a title) in `<mark>`.
    fn mark_all(&mut self, analyzer: Analyzer, text: &str) -> String {
        let ranges: Vec<std::ops::Range<usize>> = self
            .words(analyzer, text)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(r, hit)| hit.then_some(r))
            .collect();
        render(text, &ranges)
    }

    /// The best fragment of a text, terms in `<mark>`; `None` when it has no query term.
    fn snippet(&mut self, analyzer: Analyzer, text: &str, max_bytes: usize) -> Option<String> {
        let words = self.words(analyzer, text)?;
        let mut best: Option<Fragment> = None;
        let mut current = Fragment { start: 0, stop: 0, score: 0, marked: Vec::new() };
        let mut consider = |f: Fragment| {
            // The first of the best-scored fragments.
            if f.score > 0 && best.as_ref().is_none_or(|b| f.score > b.score) {
                best = Some(f);
            }
        };
        for (range, hit) in words {
            if range.end - current.start > max_bytes {
                let next = Fragment { start: range.start, stop: range.start, score: 0, marked: Vec::new() };
                consider(std::mem::replace(&mut current, next));
            }
            current.stop = range.end;
            if hit {
                current.score += 1;
                current.marked.push(range);
            }
        }
        consider(current);
        let best = best?;
        let ranges: Vec<std::ops::Range<usize>> =
            best.marked.iter().map(|r| r.start - best.start..r.end - best.start).collect();
        Some(render(&text[best.start..best.stop], &ranges))
    }
}

/// Escaped text with the given byte ranges in `<mark>`.
fn render(text: &str, ranges: &[std::ops::Range<usize>]) -> String {
    let mut ranges = ranges.to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut html = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for r in ranges {
        if r.start < at || r.end > text.len() || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
            continue;
        }
        html.push_str(&escape(&text[at..r.start]));
        html.push_str("<mark>");
        html.push_str(&escape(&text[r.start..r.end]));
        html.push_str("</mark>");
        at = r.end;
    }
    html.push_str(&escape(&text[at..]));
    html
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn truncate_words(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.trim().to_owned();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max_chars / 2 => cut[..i].to_owned(),
        _ => cut,
    };
    format!("{}…", cut.trim_end())
}

/// A fast hasher for item keys (already well-spread integers); SipHash costs more than the
/// grouping itself.
type KeyHasher = std::hash::BuildHasherDefault<MixHasher>;

#[derive(Default)]
struct MixHasher(u64);

impl std::hash::Hasher for MixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, n: u64) {
        // splitmix64's finaliser.
        let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
}

/// A matching document.
#[derive(Clone, Copy, Debug)]
struct Match {
    segment: SegmentOrdinal,
    doc: DocId,
    key: u64,
    /// Index into the index's locales.
    locale: u16,
    /// Seconds since 1970 (read when browsing by date only).
    date: i64,
}

/// The matching documents of one item.
#[derive(Clone, Copy, Debug)]
struct Group {
    /// The best score of its documents (set for the hits).
    score: Score,
    /// Bit i: matched in locale i.
    locales: u64,
    /// The document shown: the best locale along the reader's chain.
    shown: Match,
}

/// Every matching item, and where the wanted ones (or all) are in the list.
struct Grouped {
    groups: Vec<Group>,
    index: HashMap<u64, usize, KeyHasher>,
    /// String facets counted during the pass (over each item's shown document).
    facet_counts: Vec<(FacetName, HashMap<String, u64>)>,
}

/// The column of a facet with string values.
fn string_facet(facet: FacetName) -> Option<&'static str> {
    match facet {
        FacetName::Type => Some("type"),
        FacetName::Kind => Some("kind"),
        FacetName::Region => Some("region"),
        FacetName::Country => Some("country"),
        FacetName::Topic => Some("topic"),
        _ => None,
    }
}

/// Which documents the counting pass visits.
#[derive(Clone, Copy)]
enum Matching<'a> {
    /// Every document (browsing).
    All,
    /// The documents of a query.
    Query(&'a dyn Query),
    /// The documents with any of these terms, read from the postings block by block into a
    /// bitset: a long question's union matches most documents, and this is far cheaper than
    /// advancing the union's scorers document by document.
    Terms(&'a [Term]),
}

/// The counting pass over one segment.
struct SegmentPass<'a> {
    segment: SegmentOrdinal,
    columns: &'a DocColumns,
    dates: Option<Column<tantivy::DateTime>>,
    allowed: Option<&'a BitSet>,
    alive: Option<&'a tantivy::fastfield::AliveBitSet>,
    ranks: &'a [usize],
    grouped: bool,
    wanted: &'a [u64],
    /// The string facets counted as each group closes, with a counter per value ordinal.
    facet_columns: Vec<(Arc<FacetColumn>, Vec<u64>)>,
    /// The last document's item key and group.
    last: Option<(u64, usize)>,
    out: &'a mut Grouped,
}

impl SegmentPass<'_> {
    fn rank(&self, locale: u16) -> usize {
        self.ranks.get(usize::from(locale)).copied().unwrap_or(usize::MAX)
    }

    fn visit(&mut self, doc: DocId) {
        if self.alive.is_some_and(|a| a.is_deleted(doc)) || self.allowed.is_some_and(|b| !b.contains(doc)) {
            return;
        }
        let (key, locale) = (self.columns.keys[doc as usize], self.columns.locales[doc as usize]);
        if key == NO_KEY || locale == NO_LOCALE {
            return;
        }
        let date = self.dates.as_ref().and_then(|d| d.first(doc)).map_or(0, |d| d.into_timestamp_secs());
        let m = Match { segment: self.segment, doc, key, locale, date };
        let i = match self.last {
            Some((k, i)) if k == key => i,
            // Each item's documents are consecutive in one segment: a new key is a new item.
            _ if self.grouped => {
                self.close();
                if self.wanted.binary_search(&key).is_ok() {
                    self.out.index.insert(key, self.out.groups.len());
                }
                self.out.groups.push(Group { score: 0.0, locales: 0, shown: m });
                self.out.groups.len() - 1
            }
            _ => match self.out.index.get(&key) {
                Some(&i) => i,
                None => {
                    self.out.index.insert(key, self.out.groups.len());
                    self.out.groups.push(Group { score: 0.0, locales: 0, shown: m });
                    self.out.groups.len() - 1
                }
            },
        };
        self.last = Some((key, i));
        let better = self.rank(locale) < self.rank(self.out.groups[i].shown.locale);
        let g = &mut self.out.groups[i];
        g.locales |= 1u64 << locale.min(63);
        if better {
            g.shown = m;
        }
    }

    /// Counts the facets of the last group (its shown document is final once the next item
    /// starts).
    fn close(&mut self) {
        if let Some((_, i)) = self.last {
            let doc = self.out.groups[i].shown.doc;
            for (column, counters) in &mut self.facet_columns {
                for &ord in column.ords_of(doc) {
                    counters[ord as usize] += 1;
                }
            }
        }
    }
}

/// The `k` items with the best scores seen so far, best first (ties: lower key first). Fed
/// with documents in any order; an item counts with its best document.
struct TopItems {
    k: usize,
    top: Vec<(Score, u64)>,
    /// The items in `top`, with their scores: finding one is a lookup, not a scan (k reaches a
    /// thousand on deep pages).
    members: HashMap<u64, Score, KeyHasher>,
}

impl TopItems {
    fn new(k: usize) -> TopItems {
        let room = k.min(1024) + 1;
        TopItems {
            k,
            top: Vec::with_capacity(room),
            members: HashMap::with_capacity_and_hasher(room, KeyHasher::default()),
        }
    }

    /// The score a document must pass, before multiplying by `factor`, to change the top: just
    /// under the k-th item's, so that a tie with a lower key still comes in.
    fn threshold(&self, factor: Score) -> Score {
        match self.top.get(self.k - 1) {
            Some(&(score, _)) if self.top.len() >= self.k => (score / factor).next_down(),
            _ => Score::MIN,
        }
    }

    /// Where `(score, key)` stands (or would stand) in `top`.
    fn place(&self, score: Score, key: u64) -> usize {
        self.top.partition_point(|&(s, k)| s > score || (s == score && k < key))
    }

    fn offer(&mut self, key: u64, score: Score) {
        if let Some(&old) = self.members.get(&key) {
            if score <= old {
                return;
            }
            let i = self.place(old, key);
            self.top.remove(i);
        }
        let at = self.place(score, key);
        if at < self.k {
            self.top.insert(at, (score, key));
            self.members.insert(key, score);
            if self.top.len() > self.k
                && let Some((_, out)) = self.top.pop()
            {
                self.members.remove(&out);
            }
        } else {
            self.members.remove(&key);
        }
    }
}

/// The documents the request's filters allow, per segment (`None`: every document).
struct DocFilter {
    segments: Option<Vec<BitSet>>,
}

impl DocFilter {
    fn new(searcher: &Searcher, clauses: &[(Occur, Box<dyn Query>)]) -> Result<DocFilter> {
        if clauses.is_empty() {
            return Ok(DocFilter { segments: None });
        }
        let query = BooleanQuery::new(clauses.iter().map(|(o, q)| (*o, q.box_clone())).collect());
        let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut segments = Vec::new();
        for reader in searcher.segment_readers() {
            let mut set = BitSet::with_max_value(reader.max_doc());
            weight.for_each_no_score(reader, &mut |docs| {
                for &doc in docs {
                    set.insert(doc);
                }
            })?;
            segments.push(set);
        }
        Ok(DocFilter { segments: Some(segments) })
    }

    fn segment(&self, ord: usize) -> Option<&BitSet> {
        self.segments.as_ref().and_then(|s| s.get(ord))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_never_fails_and_is_bounded() {
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse("  \" "), vec![]);
        assert_eq!(
            parse("sex \"work rights\" glob"),
            vec![
                Clause::Word { text: "sex".into(), prefix: false },
                Clause::Phrase("work rights".into()),
                Clause::Word { text: "glob".into(), prefix: true },
            ]
        );
        assert_eq!(parse("fund "), vec![Clause::Word { text: "fund".into(), prefix: false }]);
        assert_eq!(parse("\"unclosed phrase").len(), 2);
        assert_eq!(parse(&"word ".repeat(5000)).len(), MAX_CLAUSES);
        assert_eq!(
            parse("a\u{0}b"),
            vec![Clause::Word { text: "a".into(), prefix: false }, Clause::Word { text: "b".into(), prefix: true }]
        );
    }

    #[test]
    fn typo_budget_grows_with_length_and_spares_codes() {
        assert_eq!(typo_budget("fund"), 0);
        assert_eq!(typo_budget("glbal"), 1);
        assert_eq!(typo_budget("communities"), 2);
        assert_eq!(typo_budget("3.8.1a"), 0);
        assert_eq!(typo_budget("SDG2030"), 0);
        assert_eq!(edit_distance("glbal", "global"), 1);
        assert_eq!(edit_distance("fnud", "fund"), 1);
    }

    #[test]
    fn top_items_keep_each_item_once_with_its_best_score() {
        let mut top = TopItems::new(3);
        assert_eq!(top.threshold(1.0), Score::MIN);
        for (key, score) in [(1, 1.0), (2, 5.0), (1, 4.0), (3, 2.0), (2, 3.0), (4, 2.0), (5, 0.5), (3, 6.0)] {
            top.offer(key, score);
        }
        assert_eq!(top.top, vec![(6.0, 3), (5.0, 2), (4.0, 1)]);
        // Item 4 fell out; it comes back with a better document; a tie goes to the lower key.
        top.offer(4, 5.0);
        assert_eq!(top.top, vec![(6.0, 3), (5.0, 2), (5.0, 4)]);
        top.offer(1, 5.0);
        assert_eq!(top.top, vec![(6.0, 3), (5.0, 1), (5.0, 2)]);
        assert_eq!(top.members.len(), 3);
        assert!(top.threshold(1.0) < 5.0 && top.threshold(1.0) > 4.99);
        assert!((top.threshold(2.0) - 2.5).abs() < 1e-6);
    }

    /// The counting pass reads a union of terms from the postings into a bitset, and counts
    /// the string facets as each item's group closes: the same items, languages, shown
    /// documents and facet counts as running the union query and counting facets after, and
    /// the same items as tantivy's own collection of the query's documents.
    #[test]
    fn counting_from_postings_equals_the_union_query() {
        use crate::request::SearchFilter;
        for split in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let index = crate::tests::generated_index(dir.path(), split);
            let searcher = index.reader.searcher();
            let stats = Statistics::new(&searcher);
            let ctx = Context { searcher: &searcher, fields: &index.fields, stats: &stats };
            let analyzers = index.analyzers(&index.locales);
            let ranks = index.locale_ranks(&["fr".to_string()]);
            let facets = [FacetName::Kind, FacetName::Region, FacetName::Language];
            let queries = [
                "fund",
                "rights violence",
                "police and community workers?",
                "youth survey funding nonexistentword",
                "fund health rights violence police community workers grant report network",
            ];
            for q in queries {
                let built = index.text_query(&ctx, &parse(q), &analyzers).unwrap().unwrap();
                let terms = built.terms.as_ref().expect("no phrase: a union of terms");
                for kinds in [vec![], vec!["guide".to_string()]] {
                    let request =
                        SearchRequest { filter: SearchFilter { kinds, ..Default::default() }, ..Default::default() };
                    let filter = DocFilter::new(&searcher, &index.filter_clauses(&request, &index.locales)).unwrap();
                    let count = |m: Matching<'_>, f: &[FacetName]| {
                        index.count(&searcher, m, &filter, &ranks, false, &[], f).unwrap()
                    };
                    let from_postings = count(Matching::Terms(terms), &facets);
                    let by_query = count(Matching::Query(built.ranked.as_ref()), &[]);
                    let summary = |g: &Grouped| {
                        g.groups
                            .iter()
                            .map(|g| (g.shown.key, g.locales, g.shown.segment, g.shown.doc))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(summary(&from_postings), summary(&by_query), "{q}");
                    assert_eq!(from_postings.facet_counts.is_empty(), split, "facets counted in the pass when grouped");
                    assert_eq!(
                        index.facets(&searcher, &from_postings, &facets).unwrap(),
                        index.facets(&searcher, &by_query, &facets).unwrap(),
                        "{q}"
                    );
                    let docs = searcher.search(built.ranked.as_ref(), &tantivy::collector::DocSetCollector).unwrap();
                    let mut keys: Vec<u64> = docs
                        .iter()
                        .filter(|a| filter.segment(a.segment_ord as usize).is_none_or(|b| b.contains(a.doc_id)))
                        .map(|a| {
                            let keys = searcher.segment_reader(a.segment_ord).fast_fields().u64("item_key").unwrap();
                            keys.first(a.doc_id).unwrap()
                        })
                        .collect();
                    keys.sort_unstable();
                    keys.dedup();
                    let mut counted: Vec<u64> = from_postings.groups.iter().map(|g| g.shown.key).collect();
                    counted.sort_unstable();
                    assert!(!keys.is_empty(), "{q}: found");
                    assert_eq!(counted, keys, "{q}");
                }
            }
        }
    }

    /// The highlighter runs each distinct word through the analyzer's filters once: it marks
    /// exactly the words that analysing the whole text finds among the query's terms.
    #[test]
    fn highlights_equal_those_of_the_whole_analysis() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::new(dir.path(), vec!["en".into()]);
        let index = store.begin_rebuild(1).unwrap().finish(0).unwrap();
        let cases = [
            (
                Analyzer::English,
                "The workers' rights: Workers organise; a worker's right to organising!",
                "worker rights organising",
            ),
            (
                Analyzer::French,
                "L'accès des travailleur·ses du sexe aux droits, et l'organisation des travailleuses.",
                "travailleuses accès droit",
            ),
            (
                Analyzer::German,
                "Die Rechte der Sexarbeiter*innen und Arbeiterinnen; Sexarbeit ist Arbeit.",
                "Sexarbeiterinnen Rechte Arbeit",
            ),
            (
                Analyzer::Russian,
                "Права секс-работников и работниц: декриминализация секс-работы.",
                "права работников декриминализации",
            ),
            (Analyzer::Arabic, "حقوق العاملين في مجال الجنس والعاملات، وإلغاء التجريم", "حقوق العاملات التجريم"),
            (Analyzer::Chinese, "性工作者的权利是什么？全球基金支持性工作者网络。", "性工作者 全球基金"),
        ];
        for (analyzer, text, query) in cases {
            let mut a = index.index.tokenizers().get(&analyzer.tokenizer_name()).unwrap();
            let terms: HashSet<String> = analyze(&mut a, query).into_iter().flatten().collect();
            let mut expected = Vec::new();
            let mut stream = a.token_stream(text);
            while stream.advance() {
                let t = stream.token();
                if terms.contains(&t.text) && !expected.contains(&(t.offset_from..t.offset_to)) {
                    expected.push(t.offset_from..t.offset_to);
                }
            }
            assert!(!expected.is_empty(), "{text}");
            let highlights: Highlights = HashMap::from([(analyzer, terms)]);
            let mut marks = Highlighter::new(&index, &highlights);
            for _ in 0..2 {
                assert_eq!(marks.mark_all(analyzer, text), render(text, &expected), "{analyzer:?}");
            }
            // A snippet ends with its last word.
            let snippet = marks.snippet(analyzer, text, 1000).unwrap();
            let whole = render(text, &expected);
            assert!(whole.starts_with(&snippet) && whole.len() - snippet.len() <= 3, "{snippet}");
            assert_eq!(snippet.matches("<mark>").count(), whole.matches("<mark>").count(), "{analyzer:?}");
            assert!(marks.snippet(analyzer, "nothing of the kind", 1000).is_none());
        }
    }

    #[test]
    fn rendering_escapes_html() {
        assert_eq!(render("<b>a & b</b>", std::slice::from_ref(&(3..4))), "&lt;b&gt;<mark>a</mark> &amp; b&lt;/b&gt;");
        assert_eq!(escape("\"'"), "&quot;&#39;");
    }
}
