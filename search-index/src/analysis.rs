//! Text analysis per language: how titles, summaries, bodies and queries become index terms.
//!
//! Every analyzer starts with [`WordTokenizer`] (or jieba for Chinese), which splits words,
//! lowercases, normalises Arabic letter forms, drops French and Italian elisions (`l'`, `d'`,
//! `dell'`) and the English possessive, and expands French and German gender-inclusive forms
//! (`travailleur·se·s`, `travailleurSEs`, `travailleur.euse.s`, `Arbeiter*innen`) into the words
//! they stand for, all at one position. Then come the language's stop words, folding of
//! diacritics (`sécurité` and `securite` meet) and the Snowball stemmer where tantivy has one.
//! Languages without a stemmer get words, lowercase and folding; Han and kana characters outside
//! Chinese are indexed one by one, so that any text is searchable.

use crate::chinese::Dictionary;
use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, RawTokenizer, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// The analyzers Chorus has, one per language family; locales map to them by language subtag.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Analyzer {
    Arabic,
    Danish,
    Dutch,
    English,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Italian,
    Norwegian,
    Portuguese,
    Romanian,
    Russian,
    Spanish,
    Swedish,
    Tamil,
    Turkish,
    Chinese,
    /// Any other language: words, lowercase, folding.
    Other,
}

impl Analyzer {
    pub const ALL: [Analyzer; 20] = [
        Analyzer::Arabic,
        Analyzer::Danish,
        Analyzer::Dutch,
        Analyzer::English,
        Analyzer::Finnish,
        Analyzer::French,
        Analyzer::German,
        Analyzer::Greek,
        Analyzer::Hungarian,
        Analyzer::Italian,
        Analyzer::Norwegian,
        Analyzer::Portuguese,
        Analyzer::Romanian,
        Analyzer::Russian,
        Analyzer::Spanish,
        Analyzer::Swedish,
        Analyzer::Tamil,
        Analyzer::Turkish,
        Analyzer::Chinese,
        Analyzer::Other,
    ];

    /// The analyzer for a BCP 47 locale, by its language subtag.
    pub fn for_locale(locale: &str) -> Analyzer {
        let language = locale.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match language.as_str() {
            "ar" => Analyzer::Arabic,
            "da" => Analyzer::Danish,
            "nl" => Analyzer::Dutch,
            "en" => Analyzer::English,
            "fi" => Analyzer::Finnish,
            "fr" => Analyzer::French,
            "de" => Analyzer::German,
            "el" => Analyzer::Greek,
            "hu" => Analyzer::Hungarian,
            "it" => Analyzer::Italian,
            "no" | "nb" | "nn" => Analyzer::Norwegian,
            "pt" => Analyzer::Portuguese,
            "ro" => Analyzer::Romanian,
            "ru" => Analyzer::Russian,
            "es" => Analyzer::Spanish,
            "sv" => Analyzer::Swedish,
            "ta" => Analyzer::Tamil,
            "tr" => Analyzer::Turkish,
            "zh" => Analyzer::Chinese,
            _ => Analyzer::Other,
        }
    }

    /// The short name used in field and tokenizer names.
    pub fn code(self) -> &'static str {
        match self {
            Analyzer::Arabic => "ar",
            Analyzer::Danish => "da",
            Analyzer::Dutch => "nl",
            Analyzer::English => "en",
            Analyzer::Finnish => "fi",
            Analyzer::French => "fr",
            Analyzer::German => "de",
            Analyzer::Greek => "el",
            Analyzer::Hungarian => "hu",
            Analyzer::Italian => "it",
            Analyzer::Norwegian => "no",
            Analyzer::Portuguese => "pt",
            Analyzer::Romanian => "ro",
            Analyzer::Russian => "ru",
            Analyzer::Spanish => "es",
            Analyzer::Swedish => "sv",
            Analyzer::Tamil => "ta",
            Analyzer::Turkish => "tr",
            Analyzer::Chinese => "zh",
            Analyzer::Other => "xx",
        }
    }

    /// The name the analyzer is registered under in the index.
    pub fn tokenizer_name(self) -> String {
        format!("chorus_{}", self.code())
    }

    fn stemmer(self) -> Option<Language> {
        Some(match self {
            Analyzer::Arabic => Language::Arabic,
            Analyzer::Danish => Language::Danish,
            Analyzer::Dutch => Language::Dutch,
            Analyzer::English => Language::English,
            Analyzer::Finnish => Language::Finnish,
            Analyzer::French => Language::French,
            Analyzer::German => Language::German,
            Analyzer::Greek => Language::Greek,
            Analyzer::Hungarian => Language::Hungarian,
            Analyzer::Italian => Language::Italian,
            Analyzer::Norwegian => Language::Norwegian,
            Analyzer::Portuguese => Language::Portuguese,
            Analyzer::Romanian => Language::Romanian,
            Analyzer::Russian => Language::Russian,
            Analyzer::Spanish => Language::Spanish,
            Analyzer::Swedish => Language::Swedish,
            Analyzer::Tamil => Language::Tamil,
            Analyzer::Turkish => Language::Turkish,
            Analyzer::Chinese | Analyzer::Other => return None,
        })
    }

    fn stop_words(self) -> Option<StopWordFilter> {
        match self {
            Analyzer::Arabic => Some(StopWordFilter::remove(ARABIC_STOP_WORDS.iter().map(|w| normalize_word(w)))),
            Analyzer::Chinese | Analyzer::Other => None,
            other => other.stemmer().and_then(StopWordFilter::new),
        }
    }

    /// Whether typo tolerance makes sense for this language's terms.
    pub fn fuzzy(self) -> bool {
        !matches!(self, Analyzer::Chinese)
    }

    /// The words of a text as this analyzer's tokenizer splits them (offsets, positions, each
    /// word normalised but before stop words, folding and stemming), for highlighting; `None`
    /// for Chinese, whose tokenizer is its whole analysis.
    pub fn words(self, text: &str) -> Option<Vec<Token>> {
        (self != Analyzer::Chinese).then(|| words(text, Mode::of(self)))
    }

    /// Builds the analyzer.
    pub fn build(self) -> TextAnalyzer {
        if self == Analyzer::Chinese {
            return TextAnalyzer::builder(ChineseTokenizer)
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
                .filter(AsciiFoldingFilter)
                .build();
        }
        TextAnalyzer::from(Terms {
            words: WordTokenizer { mode: Mode::of(self) },
            word: self.word_analyzer(),
            memo: FxHashMap::default(),
        })
    }

    /// What becomes of one word, tantivy's filters in order: too long, stop word, folding,
    /// stemming.
    fn word_analyzer(self) -> TextAnalyzer {
        let word =
            TextAnalyzer::builder(RawTokenizer::default()).filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES)).dynamic();
        let word = match self.stop_words() {
            Some(stop) => word.filter_dynamic(stop),
            None => word,
        };
        let word = word.filter_dynamic(AsciiFoldingFilter);
        match self.stemmer() {
            Some(language) => word.filter_dynamic(Stemmer::new(language)).build(),
            None => word.build(),
        }
    }
}

/// The analyzer of the spelling vocabulary: words as written, lowercased and folded, not stemmed
/// (typo tolerance, prefixes and "did you mean" work on real words, then each language analyses
/// them).
pub fn vocabulary_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer { mode: Mode::Vocabulary })
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Words remembered per analyzer instance (some hundreds of kilobytes): words follow Zipf's law,
/// so the first ones met are mostly the frequent ones, and the rest are analysed each time.
const MEMO_WORDS: usize = 4096;

/// An analyzer built from [`WordTokenizer`]: each word it gives goes through the language's
/// filters ([`Analyzer::word_analyzer`]) once per analyzer instance and is then remembered, word
/// to term (or to nothing, for a stop word). Indexing a segment uses one instance for all of its
/// documents, where stemming and stop-word lookups otherwise cost a tenth of the build; the terms
/// are the filters' own, so index and queries agree whatever is remembered.
struct Terms {
    words: WordTokenizer,
    word: TextAnalyzer,
    memo: FxHashMap<String, Option<String>>,
}

/// A copy starts with nothing remembered (tantivy copies the registered analyzer for each
/// segment and query).
impl Clone for Terms {
    fn clone(&self) -> Terms {
        Terms { words: self.words.clone(), word: self.word.clone(), memo: FxHashMap::default() }
    }
}

impl Terms {
    /// Replaces the word by its term; false when it has none.
    fn apply(&mut self, token: &mut Token) -> bool {
        if let Some(term) = self.memo.get(token.text.as_str()) {
            let Some(term) = term else { return false };
            if *term != token.text {
                token.text.clear();
                token.text.push_str(term);
            }
            return true;
        }
        let term = {
            let mut stream = self.word.token_stream(&token.text);
            stream.advance().then(|| std::mem::take(&mut stream.token_mut().text))
        };
        if self.memo.len() < MEMO_WORDS {
            self.memo.insert(token.text.clone(), term.clone());
        }
        match term {
            Some(term) => {
                token.text = term;
                true
            }
            None => false,
        }
    }
}

impl Tokenizer for Terms {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = words(text, self.words.mode);
        tokens.retain_mut(|token| self.apply(token));
        VecTokenStream { tokens, next: 0 }
    }
}

/// Tokens longer than this (in bytes) are dropped: they are never words.
const MAX_TOKEN_BYTES: usize = 80;

/// The language rules the word tokenizer applies.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Mode {
    French,
    Italian,
    English,
    German,
    Other,
    /// Every rule that keeps a word whole, for the spelling vocabulary.
    Vocabulary,
}

impl Mode {
    fn of(analyzer: Analyzer) -> Mode {
        match analyzer {
            Analyzer::French => Mode::French,
            Analyzer::Italian => Mode::Italian,
            Analyzer::English => Mode::English,
            Analyzer::German => Mode::German,
            _ => Mode::Other,
        }
    }

    fn elisions(self) -> &'static [&'static str] {
        match self {
            Mode::French | Mode::Vocabulary => FRENCH_ELISIONS,
            Mode::Italian => ITALIAN_ELISIONS,
            _ => &[],
        }
    }
}

const FRENCH_ELISIONS: &[&str] =
    &["l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu", "quelqu"];
const ITALIAN_ELISIONS: &[&str] = &[
    "l", "d", "c", "s", "un", "dell", "all", "dall", "nell", "sull", "coll", "pell", "quest", "quell", "nessun",
    "buon", "tutt",
];

/// Splits text into words and applies the word-level rules of a language.
#[derive(Clone, Debug)]
pub struct WordTokenizer {
    mode: Mode,
}

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream { tokens: words(text, self.mode), next: 0 }
    }
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    // The letters of the scripts most content is in, without the general Unicode lookup.
    match c as u32 {
        0xC0..=0x24F => return c != '×' && c != '÷',
        0x400..=0x52F => return c != '\u{482}',
        0x621..=0x65F | 0x4E00..=0x9FFF => return true,
        _ => {}
    }
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

/// Han, kana: scripts written without spaces, indexed one character at a time.
fn is_unspaced(c: char) -> bool {
    (c as u32) >= 0x3040
        && matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Characters that join the parts of a gender-inclusive word.
fn is_inclusive_joiner(c: char, mode: Mode) -> bool {
    match mode {
        Mode::French | Mode::Vocabulary => matches!(c, '·' | '.' | '•' | '‧' | '⋅'),
        Mode::German => matches!(c, '*' | ':' | '_' | '·'),
        _ => false,
    }
}

/// Lowercases and normalises one word: Unicode NFC first (text pasted from some systems is
/// decomposed, `e` + combining acute, and must match the composed `é` a reader types; folding
/// then treats both alike), Arabic diacritics and tatweel go, alef, ya and ta marbuta forms are
/// unified, Russian ё is е.
pub fn normalize_word(word: &str) -> String {
    if word.is_ascii() {
        return word.to_ascii_lowercase();
    }
    let composed: String;
    let word = if !word.chars().all(composed_alone)
        && unicode_normalization::is_nfc_quick(word.chars()) != unicode_normalization::IsNormalized::Yes
    {
        use unicode_normalization::UnicodeNormalization;
        composed = word.nfc().collect();
        composed.as_str()
    } else {
        word
    };
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            'ё' | 'Ё' => out.push('е'),
            // Latin-1 and basic Cyrillic capitals (the general lookup costs more).
            'À'..='Þ' if c != '×' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
            'Ѐ'..='Џ' => out.push(char::from_u32(c as u32 + 0x50).unwrap_or(c)),
            'ß'..='ÿ' | 'а'..='я' | 'ѐ'..='џ' | '\u{4E00}'..='\u{9FFF}' => out.push(c),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Characters that are in NFC and never combine, alone or with neighbours (Latin to U+02FF,
/// Cyrillic letters, Arabic letters, common Han): a word made only of them needs no normalisation check,
/// which costs a table lookup per character (`fast_paths_agree_with_unicode` checks the ranges).
fn composed_alone(c: char) -> bool {
    matches!(c as u32, 0..=0x2FF | 0x400..=0x482 | 0x48A..=0x52F | 0x621..=0x64A | 0x4E00..=0x9FFF)
}

struct Part {
    start: usize,
    end: usize,
    /// The character joining this part to the previous one, if any.
    joiner: Option<char>,
}

/// The words of a text with their byte offsets and positions.
fn words(text: &str, mode: Mode) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0usize;
    let mut parts: Vec<Part> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if !is_word_char(c) {
            chars.next();
            continue;
        }
        if is_unspaced(c) {
            chars.next();
            let one = &text[start..start + c.len_utf8()];
            push_one(&mut tokens, &mut position, start, start + c.len_utf8(), normalize_word(one));
            continue;
        }
        // One "word": runs of word characters joined by single apostrophes or inclusive joiners.
        parts.clear();
        parts.push(Part { start, end: start, joiner: None });
        while let Some(&(i, c)) = chars.peek() {
            if is_word_char(c) && !is_unspaced(c) {
                parts.last_mut().expect("a part").end = i + c.len_utf8();
                chars.next();
                continue;
            }
            if is_apostrophe(c) || is_inclusive_joiner(c, mode) {
                let mut ahead = chars.clone();
                ahead.next();
                if let Some(&(j, n)) = ahead.peek()
                    && is_word_char(n)
                    && !is_unspaced(n)
                {
                    chars.next();
                    parts.push(Part { start: j, end: j, joiner: Some(c) });
                    continue;
                }
            }
            break;
        }
        emit_word(text, &parts, mode, &mut tokens, &mut position);
    }
    tokens
}

/// One word at the next position.
fn push_one(tokens: &mut Vec<Token>, position: &mut usize, from: usize, to: usize, word: String) {
    if word.is_empty() {
        return;
    }
    tokens.push(Token { offset_from: from, offset_to: to, position: *position, text: word, position_length: 1 });
    *position += 1;
}

fn push(tokens: &mut Vec<Token>, position: &mut usize, from: usize, to: usize, variants: Vec<String>) {
    let first = tokens.len();
    for v in variants {
        if v.is_empty() || tokens[first..].iter().any(|t| t.text == v) {
            continue;
        }
        tokens.push(Token { offset_from: from, offset_to: to, position: *position, text: v, position_length: 1 });
    }
    if tokens.len() > first {
        *position += 1;
    }
}

fn emit_word(text: &str, parts: &[Part], mode: Mode, tokens: &mut Vec<Token>, position: &mut usize) {
    let span = |p: &Part| &text[p.start..p.end];
    // Elision: "l'homme", "dell'arte" -> the word after the apostrophe.
    let mut parts = parts;
    if parts.len() >= 2
        && parts[1].joiner.is_some_and(is_apostrophe)
        && mode.elisions().contains(&normalize_word(span(&parts[0])).as_str())
    {
        parts = &parts[1..];
    }
    // English possessive: "women's" -> "women".
    if mode == Mode::English
        && parts.len() >= 2
        && parts[parts.len() - 1].joiner.is_some_and(is_apostrophe)
        && normalize_word(span(&parts[parts.len() - 1])) == "s"
    {
        parts = &parts[..parts.len() - 1];
    }
    let from = parts[0].start;
    let to = parts[parts.len() - 1].end;
    // Gender-inclusive forms joined by dots or stars: base, feminine suffix, plural.
    if parts.len() >= 2 && parts[1..].iter().all(|p| p.joiner.is_some_and(|j| is_inclusive_joiner(j, mode))) {
        let lowered: Vec<String> = parts.iter().map(|p| normalize_word(span(p))).collect();
        if let Some(variants) = inclusive_variants(&lowered, mode) {
            push(tokens, position, from, to, variants);
            return;
        }
    }
    if parts.len() == 1 {
        let word = span(&parts[0]);
        // "travailleurSEs", "ArbeiterInnen": lowercase stem, capitalised suffix.
        if let Some((base, suffix, plural)) = capitalised_suffix(word, mode) {
            let lowered = [normalize_word(base), normalize_word(suffix)];
            let mut list: Vec<String> = lowered.to_vec();
            if !plural.is_empty() {
                list.push(plural.to_owned());
            }
            if let Some(mut variants) = inclusive_variants(&list, mode) {
                variants.push(normalize_word(word));
                push(tokens, position, from, to, variants);
                return;
            }
        }
        push_one(tokens, position, from, to, normalize_word(word));
        return;
    }
    // Otherwise each part is a word of its own.
    for p in parts {
        push_one(tokens, position, p.start, p.end, normalize_word(span(p)));
    }
}

/// Splits "travailleurSEs" into ("travailleur", "SE", "s") and "ArbeiterInnen" into
/// ("Arbeiter", "Innen", "").
fn capitalised_suffix(word: &str, mode: Mode) -> Option<(&str, &str, &str)> {
    if !matches!(mode, Mode::French | Mode::German | Mode::Vocabulary) {
        return None;
    }
    // Most words have no capital after their first letter: no allocation for them.
    if !word.chars().skip(1).any(char::is_uppercase) {
        return None;
    }
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    // The lowercase run must follow at most one capital and be at least three letters long.
    let mut i = usize::from(chars.first().is_some_and(|(_, c)| c.is_uppercase()));
    let lower_start = i;
    while i < chars.len() && chars[i].1.is_lowercase() {
        i += 1;
    }
    if i - lower_start < 3 || i == chars.len() {
        return None;
    }
    let base_end = chars[i].0;
    if mode == Mode::German || (mode == Mode::Vocabulary && word[base_end..].starts_with("Inn")) {
        let rest = &word[base_end..];
        return matches!(rest, "In" | "Innen").then_some((&word[..base_end], rest, ""));
    }
    let upper_start = i;
    while i < chars.len() && chars[i].1.is_uppercase() {
        i += 1;
    }
    let upper_len = i - upper_start;
    if !(1..=4).contains(&upper_len) {
        return None;
    }
    let upper_end = chars.get(i).map_or(word.len(), |(b, _)| *b);
    let rest = &word[upper_end..];
    if !matches!(rest, "" | "s" | "x") {
        return None;
    }
    Some((&word[..base_end], &word[base_end..upper_end], rest))
}

/// The words an inclusive form stands for: masculine and feminine, singular and plural.
fn inclusive_variants(parts: &[String], mode: Mode) -> Option<Vec<String>> {
    let base = parts.first()?;
    if base.chars().count() < 3 || parts.len() > 3 || !base.chars().all(char::is_alphabetic) {
        return None;
    }
    let suffix = parts.get(1)?;
    if suffix.is_empty() || suffix.chars().count() > 5 || !suffix.chars().all(char::is_alphabetic) {
        return None;
    }
    if mode == Mode::German {
        // Arbeiter*innen, Arbeiter:in: the feminine form adds the suffix.
        if !matches!(suffix.as_str(), "in" | "innen") || parts.len() > 2 {
            return None;
        }
        return Some(vec![base.clone(), format!("{base}{suffix}")]);
    }
    let plural = match parts.get(2).map(String::as_str) {
        None => None,
        Some(p @ ("s" | "x")) => Some(p),
        Some(_) => return None,
    };
    // "e·s" written as one part: travailleur·es.
    let (suffix, plural) = match (suffix.as_str(), plural) {
        ("es", None) => ("e", Some("s")),
        (s, p) => (s, p),
    };
    let feminine = feminize(base, suffix);
    let mut out = vec![base.clone(), feminine.clone()];
    if let Some(p) = plural {
        out.push(format!("{base}{p}"));
        out.push(format!("{feminine}{p}"));
    }
    Some(out)
}

/// The feminine of a French word given the suffix an inclusive form writes.
fn feminize(base: &str, suffix: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    if suffix == "e" {
        return format!("{base}e");
    }
    // acteur·rice, lecteur·ice -> actrice, lectrice
    if (suffix == "rice" || suffix == "ice") && base.ends_with("teur") {
        return format!("{}rice", &base[..base.len() - 3]);
    }
    // travailleur·euse, nouveau·elle: the suffix replaces the ending from its first letter.
    let first = suffix.chars().next().unwrap_or('e');
    let tail_start = chars.len().saturating_sub(3);
    if let Some(k) = (tail_start..chars.len()).rev().find(|&k| chars[k] == first) {
        return format!("{}{suffix}", chars[..k].iter().collect::<String>());
    }
    // travailleur·se, heureux·se, tous·tes: the suffix replaces the last letter.
    format!("{}{suffix}", chars[..chars.len() - 1].iter().collect::<String>())
}

/// Jieba's search-mode segmentation ([`crate::chinese`]) with punctuation dropped and words
/// lowercased; positions and offsets as jieba gives them (a sub-word shares its word's positions).
#[derive(Clone, Default)]
pub struct ChineseTokenizer;

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = Dictionary::jieba()
            .cut_for_search(text)
            .into_iter()
            .filter(|piece| piece.word.chars().any(is_word_char))
            .map(|piece| Token {
                offset_from: piece.byte_start,
                offset_to: piece.byte_end,
                position: piece.start,
                position_length: piece.end - piece.start,
                text: normalize_word(piece.word),
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

/// Common Arabic function words (prepositions, pronouns, particles, auxiliaries), written
/// without diacritics; they are normalised like indexed text before use. Tantivy has no Arabic
/// list; this one follows the usual short lists (Lucene's, stopwords-iso) in spirit.
const ARABIC_STOP_WORDS: &[&str] = &[
    "من",
    "في",
    "على",
    "إلى",
    "الى",
    "عن",
    "مع",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هؤلاء",
    "التي",
    "الذي",
    "الذين",
    "اللذين",
    "اللتين",
    "اللاتي",
    "اللواتي",
    "هو",
    "هي",
    "هم",
    "هن",
    "هما",
    "نحن",
    "أنا",
    "أنت",
    "أنتم",
    "أن",
    "إن",
    "أنه",
    "أنها",
    "إنه",
    "إنها",
    "كان",
    "كانت",
    "كانوا",
    "يكون",
    "تكون",
    "ما",
    "لا",
    "لم",
    "لن",
    "قد",
    "كل",
    "بعض",
    "أو",
    "او",
    "ثم",
    "أي",
    "اي",
    "أيضا",
    "حتى",
    "عند",
    "عندما",
    "بين",
    "بعد",
    "قبل",
    "منذ",
    "حول",
    "ضد",
    "غير",
    "لكن",
    "ولكن",
    "و",
    "ف",
    "ب",
    "ل",
    "ك",
    "هناك",
    "هنا",
    "كما",
    "مثل",
    "إذا",
    "اذا",
    "إذ",
    "أما",
    "وقد",
    "وفي",
    "ومن",
    "وعلى",
    "وهو",
    "وهي",
    "وأن",
    "فيه",
    "فيها",
    "عليه",
    "عليها",
    "منه",
    "منها",
    "له",
    "لها",
    "لهم",
    "به",
    "بها",
    "بهم",
    "نحو",
    "خلال",
    "دون",
    "ذات",
    "ليس",
    "ليست",
    "وكان",
    "وكانت",
    "الا",
    "إلا",
    "لقد",
    "التى",
    "عليهم",
    "فيهم",
    "لدى",
    "لدي",
    "كانا",
    "وإن",
    "وان",
    "هل",
    "يا",
    "لماذا",
    "كيف",
    "أين",
    "متى",
    "وما",
    "ولا",
    "فقط",
    "جدا",
    "تم",
    "حيث",
    "وذلك",
    "ضمن",
    "أكثر",
    "اكثر",
    "أقل",
    "كلا",
    "كلتا",
    "سوف",
    "عبر",
    "لدى",
    "إلي",
    "عليك",
    "لك",
    "لكم",
    "بكم",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(analyzer: Analyzer, text: &str) -> Vec<String> {
        let mut a = analyzer.build();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    fn same(analyzer: Analyzer, a: &str, b: &str) {
        assert_eq!(terms(analyzer, a), terms(analyzer, b), "{a} and {b} should meet in {analyzer:?}");
    }

    fn shares(analyzer: Analyzer, text: &str, query: &str) {
        let doc = terms(analyzer, text);
        let q = terms(analyzer, query);
        assert!(!q.is_empty() && q.iter().all(|t| doc.contains(t)), "{query:?} ({q:?}) not in {text:?} ({doc:?})");
    }

    #[test]
    fn english_stems_and_drops_stop_words() {
        same(Analyzer::English, "communities", "community");
        same(Analyzer::English, "workers", "worker");
        assert_eq!(terms(Analyzer::English, "The rights of sex workers"), ["right", "sex", "worker"]);
        same(Analyzer::English, "women's", "women");
    }

    #[test]
    fn french_elisions_diacritics_and_stems() {
        assert_eq!(terms(Analyzer::French, "l'accès"), terms(Analyzer::French, "acces"));
        same(Analyzer::French, "d’organisations", "organisation");
        same(Analyzer::French, "Sécurité", "securite");
        same(Analyzer::French, "violences", "violence");
        assert!(terms(Analyzer::French, "du la le des").is_empty());
    }

    #[test]
    fn decomposed_text_meets_composed_queries() {
        // Text pasted from systems that store letters decomposed (e + U+0301, и + U+0306).
        same(Analyzer::French, "de\u{301}veloppement durable", "développement durable");
        same(Analyzer::Spanish, "informacio\u{301}n pu\u{301}blica", "información pública");
        same(Analyzer::Russian, "детеи\u{306} Всемирнои\u{306}", "детей Всемирной");
        same(Analyzer::English, "cafe\u{301}", "café");
        let mut v = vocabulary_analyzer();
        let mut stream = v.token_stream("re\u{301}silience");
        assert!(stream.advance());
        assert_eq!(stream.token().text, "resilience");
    }

    #[test]
    fn french_inclusive_forms_match_their_parts() {
        for written in ["travailleur·se·s", "travailleurSEs", "travailleur.euse.s", "travailleur·euse·s"] {
            shares(Analyzer::French, &format!("Les {written} du sexe"), "travailleuses");
            shares(Analyzer::French, &format!("Les {written} du sexe"), "travailleurs");
            shares(Analyzer::French, &format!("Les {written} du sexe"), "travailleur");
        }
        shares(Analyzer::French, "les militant·e·s", "militantes");
        shares(Analyzer::French, "les acteur·rice·s", "actrices");
        shares(Analyzer::French, "tous·tes", "toutes");
        // A domain name or an abbreviation is not an inclusive form.
        assert_eq!(terms(Analyzer::Other, "nswp.org"), ["nswp", "org"]);
    }

    #[test]
    fn german_inclusive_forms() {
        shares(Analyzer::German, "Sexarbeiter*innen", "Sexarbeiterinnen");
        shares(Analyzer::German, "SexarbeiterInnen", "Sexarbeiter");
        shares(Analyzer::German, "Sexarbeiter:innen", "Sexarbeiterinnen");
    }

    #[test]
    fn spanish_portuguese_italian_stems() {
        same(Analyzer::Spanish, "trabajadoras", "trabajadora");
        same(Analyzer::Spanish, "Derechos", "derecho");
        same(Analyzer::Portuguese, "trabalhadoras", "trabalhadora");
        same(Analyzer::Italian, "dell'organizzazione", "organizzazione");
        same(Analyzer::Italian, "lavoratrici", "lavoratrice");
    }

    #[test]
    fn russian_inflections_meet() {
        same(Analyzer::Russian, "работников", "работники");
        same(Analyzer::Russian, "насилия", "насилие");
        same(Analyzer::Russian, "ещё", "еще");
        assert!(terms(Analyzer::Russian, "и в на").is_empty());
    }

    #[test]
    fn arabic_normalisation_and_stop_words() {
        // Diacritics and alef forms.
        same(Analyzer::Arabic, "العُنْف", "العنف");
        same(Analyzer::Arabic, "أحمد", "احمد");
        same(Analyzer::Arabic, "مستشفى", "مستشفي");
        assert!(terms(Analyzer::Arabic, "في من على").is_empty());
        assert!(!terms(Analyzer::Arabic, "حقوق العاملين").is_empty());
    }

    #[test]
    fn chinese_is_segmented_without_spaces() {
        let t = terms(Analyzer::Chinese, "性工作者的权利，和健康。");
        assert!(t.iter().any(|w| w == "工作者" || w == "工作"), "{t:?}");
        assert!(t.iter().any(|w| w == "权利"), "{t:?}");
        assert!(!t.iter().any(|w| w == "，" || w == "。"), "{t:?}");
        shares(Analyzer::Chinese, "消除一切形式的贫困", "贫困");
        assert_eq!(terms(Analyzer::Chinese, "HIV 检测"), ["hiv", "检测"]);
    }

    #[test]
    fn other_languages_get_words_and_unigrams() {
        assert_eq!(terms(Analyzer::Other, "Ngày Quốc tế"), ["ngay", "quoc", "te"]);
        assert_eq!(terms(Analyzer::Other, "日本語"), ["日", "本", "語"]);
    }

    #[test]
    fn positions_of_variants_are_shared() {
        let mut a = Analyzer::French.build();
        let mut stream = a.token_stream("les travailleur·se·s du sexe");
        let mut positions = Vec::new();
        while stream.advance() {
            positions.push((stream.token().text.clone(), stream.token().position));
        }
        let p: Vec<usize> = positions.iter().map(|(_, p)| *p).collect();
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{positions:?}");
        assert!(positions.iter().filter(|(_, p)| *p == 1).count() >= 2, "{positions:?}");
    }

    /// The memo of [`Terms`] gives what tantivy's filters give after the word tokenizer, on a fresh
    /// instance, on words seen before and once the memo is full.
    #[test]
    fn remembered_words_give_the_filters_terms() {
        fn tokens(a: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
            let mut stream = a.token_stream(text);
            let mut out = Vec::new();
            while stream.advance() {
                let t = stream.token();
                out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
            }
            out
        }
        let texts = [
            "The rights of sex workers: the workers' organisations and THE Organisations, again the rights",
            "Les droits des travailleur·se·s du sexe, l'accès à la santé ; les Droits, la Santé",
            "Права секс-работников и доступ к здравоохранению: права, ПРАВА, здравоохранения",
            "Los derechos de las trabajadoras sexuales y el acceso a la salud; los Derechos",
            "Die Rechte der Sexarbeiter*innen und der Zugang zur Gesundheit, die RECHTE",
            "حقوق العاملين في مجال الجنس والوصول إلى الصحة",
        ];
        let long = "x".repeat(MAX_TOKEN_BYTES + 1);
        // More distinct words than the memo keeps.
        let many: String = (0..MEMO_WORDS + 100).map(|i| format!("word{i} ")).collect();
        for analyzer in [
            Analyzer::English,
            Analyzer::French,
            Analyzer::Russian,
            Analyzer::Spanish,
            Analyzer::German,
            Analyzer::Arabic,
        ] {
            let reference = TextAnalyzer::builder(WordTokenizer { mode: Mode::of(analyzer) })
                .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
                .dynamic();
            let reference = match analyzer.stop_words() {
                Some(stop) => reference.filter_dynamic(stop),
                None => reference,
            };
            let reference = reference.filter_dynamic(AsciiFoldingFilter);
            let mut reference = match analyzer.stemmer() {
                Some(language) => reference.filter_dynamic(Stemmer::new(language)).build(),
                None => reference.build(),
            };
            let mut remembering = analyzer.build();
            for text in texts.iter().map(|t| format!("{t} {long}")).chain([many.clone()]).chain(texts.map(String::from))
            {
                let expected = tokens(&mut reference, &text);
                assert_eq!(tokens(&mut remembering, &text), expected, "{analyzer:?}: {text}");
                assert_eq!(tokens(&mut remembering, &text), expected, "{analyzer:?} again: {text}");
                assert_eq!(tokens(&mut analyzer.build(), &text), expected, "{analyzer:?} fresh: {text}");
            }
        }
    }

    #[test]
    fn fast_paths_agree_with_unicode() {
        for c in (0xA0u32..0x600).chain(0x4E00..0x4E10).filter_map(char::from_u32) {
            let general = c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c);
            assert_eq!(is_word_char(c), general, "{c:?}");
            if c != 'ё' && c != 'Ё' && general {
                use unicode_normalization::UnicodeNormalization;
                let word = c.to_string();
                assert_eq!(normalize_word(&word), word.nfc().collect::<String>().to_lowercase(), "{c:?}");
            }
        }
        // Words of these characters skip the normalisation check: each is in NFC on its own and
        // combines with nothing.
        for c in (0..0xA000).filter_map(char::from_u32).filter(|&c| composed_alone(c)) {
            assert_eq!(
                unicode_normalization::is_nfc_quick(std::iter::once(c)),
                unicode_normalization::IsNormalized::Yes,
                "{c:?}"
            );
            assert_eq!(unicode_normalization::char::canonical_combining_class(c), 0, "{c:?}");
        }
    }

    #[test]
    fn hostile_text_is_just_text() {
        let long = "a".repeat(10_000);
        assert!(terms(Analyzer::English, &long).is_empty());
        assert_eq!(terms(Analyzer::English, "\u{0}\u{7}field:x ( * \""), ["field", "x"]);
        assert!(terms(Analyzer::French, "''·.·'").is_empty());
    }
}
