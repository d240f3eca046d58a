//! Chinese word segmentation: jieba's search mode over a compact dictionary.
//!
//! Chorus segmented Chinese with jieba-rs (through tantivy-jieba), whose dictionary costs 30-51 MB
//! of heap (`chorus-bench segment`): a trie of 1,048,576 16-byte slots, a record and an `f64` per
//! word, and the decompressed dictionary text kept in a static. That was the largest single part
//! of the server's memory. This module runs the same segmentation — jieba-rs 0.11's
//! `cut_for_search` with the HMM: the same blocks, word graph, best route, unjoined runs and
//! search-mode sub-words — over the same dictionary (`data/jieba/`, see its NOTICE) held in
//! about 6 MB (9 MB with what the allocator keeps of the build):
//!
//! - the dictionary is a trie whose nodes are the slots of one open-addressing table keyed by
//!   `(parent node, character)`, a node being its slot's index, its key, word and child filter
//!   packed in 8 bytes, sized for the dictionary's 0.5 M prefixes at a load of 0.7, with the
//!   root's children in a table by character;
//! - a word's log-frequency is one of the 5,087 distinct counts', not an `f64` per word;
//! - the compressed dictionary (1.5 MB, sorted) is streamed twice while the trie is built, never
//!   held whole.
//!
//! The HMM that cuts runs of unknown characters is jieba-rs's own, called on an empty
//! dictionary (it does not depend on the dictionary). `tests` compares every token with jieba-rs
//! on the demo content, the SDG corpus and generated text.
//!
//! The segmentation follows jieba-rs 0.11.0 (MIT, Copyright (c) 2018 messense).

use std::sync::OnceLock;

/// The dictionary, compressed: `word count` per line (see `data/jieba/NOTICE.md`).
static DICTIONARY: &[u8] = include_bytes!("../data/jieba/dict.txt.zst");

/// A slot of the node table is one `u64`: the key `((parent << 21) | char) + 1` in the low 42 bits
/// (0 for an empty slot), then the word ending at the node (13 bits: 0 for none, else an index
/// into the table of distinct counts plus one), then a filter of the characters of the node's
/// children (9 bits, one per character), so most characters that are not children are turned
/// away without a probe and a walk stops at a node without children.
const CHAR_BITS: u32 = 21;
const KEY_BITS: u32 = 42;
const KEY_MASK: u64 = (1 << KEY_BITS) - 1;
const WORD_BITS: u32 = 13;
const WORD_MASK: u64 = ((1 << WORD_BITS) - 1) << KEY_BITS;
const FILTER_SHIFT: u32 = KEY_BITS + WORD_BITS;
/// Nodes a table can hold: parents are written in 21 bits.
const MAX_SLOTS: usize = 1 << (KEY_BITS - CHAR_BITS);

#[inline(always)]
fn child_bit(ch: char) -> u64 {
    1 << (FILTER_SHIFT + ((ch as u32).wrapping_mul(0x9E37_79B1) >> 16) % (64 - FILTER_SHIFT))
}

/// Load factor of the node table, in tenths.
const LOAD_TENTHS: usize = 7;
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// A token of the search-mode segmentation, as jieba-rs gives it: character and byte offsets in
/// the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub word: &'a str,
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// jieba's dictionary as a compact trie, with the total count routes are weighed against.
pub struct Dictionary {
    /// The nodes, one per slot (see [`KEY_BITS`]); the root is node 0 and the node in slot `s`
    /// is node `s + 1`.
    slots: Vec<u64>,
    /// The slot of the root's child for each character of the Basic Multilingual Plane (0 for
    /// none, else slot + 1): the first step from every character, without a probe (256 KB).
    root: Vec<u32>,
    /// `ln(count)` of each distinct count (jieba-rs keeps an `f64` per word; the dictionary has
    /// 5,087 distinct counts for 349,046 words).
    log_counts: Vec<f64>,
    log_total: f64,
}

#[inline(always)]
fn key(parent: usize, ch: char) -> u64 {
    (((parent as u64) << CHAR_BITS) | ch as u64) + 1
}

impl Dictionary {
    /// jieba's default dictionary, built on first use (about 0.1 s) and kept for the process.
    /// The embedded file is read twice as a stream (sorted, so nodes can be counted before the
    /// table is made), so building holds no more than the table and zstd's 1 MB window: a
    /// process allocator keeps what a build frees, so a build that held the text and a list of
    /// the words would have cost the server as much as it saved.
    pub fn jieba() -> &'static Dictionary {
        static JIEBA: OnceLock<Dictionary> = OnceLock::new();
        JIEBA.get_or_init(|| {
            Dictionary::build(|emit| {
                let decoder = zstd::Decoder::with_buffer(DICTIONARY).expect("the embedded jieba dictionary");
                let mut lines = std::io::BufReader::new(decoder);
                let mut line = String::new();
                while std::io::BufRead::read_line(&mut lines, &mut line).expect("the embedded jieba dictionary") > 0 {
                    if let Some((word, count)) = parse_line(&line) {
                        emit(word, count);
                    }
                    line.clear();
                }
            })
        })
    }

    /// A dictionary from `word count` lines (a missing count is 0; what follows it is ignored).
    /// A word listed twice keeps its last count, and both count toward the total, as in jieba-rs.
    /// Made for jieba's dictionary: it panics past 8,191 distinct counts or 2 M prefixes.
    pub fn parse(text: &str) -> Dictionary {
        let mut words: Vec<(&str, u32)> = text.lines().filter_map(parse_line).collect();
        // Stable, so the last of equal words stays last.
        words.sort_by(|a, b| a.0.cmp(b.0));
        Dictionary::build(|emit| words.iter().for_each(|&(word, count)| emit(word, count)))
    }

    /// A dictionary from `each`, which hands every `(word, count)` to its argument in byte order
    /// of the words (equal words in a row, the last count kept), each time it is called.
    fn build(each: impl Fn(&mut dyn FnMut(&str, u32))) -> Dictionary {
        // First pass: the nodes (distinct prefixes) the words need, the total count and the
        // distinct counts. Node ids are slot indexes, so the table can never grow.
        let mut nodes_needed = 0;
        let mut total: u64 = 0;
        let mut counts = std::collections::BTreeSet::new();
        let mut previous = String::new();
        each(&mut |word, count| {
            assert!(previous.as_str() <= word, "dictionary words out of order: {previous:?} before {word:?}");
            let shared = word.chars().zip(previous.chars()).take_while(|(a, b)| a == b).count();
            nodes_needed += word.chars().count() - shared;
            total += u64::from(count);
            counts.insert(count);
            previous.clear();
            previous.push_str(word);
        });
        let counts: Vec<u32> = counts.into_iter().collect();
        assert!(counts.len() < 1 << WORD_BITS, "too many distinct counts in the dictionary");
        let slots = (nodes_needed * 10).div_ceil(LOAD_TENTHS).max(16);
        assert!(slots < MAX_SLOTS, "too many words in the dictionary");
        let mut dictionary = Dictionary {
            slots: vec![0; slots],
            root: vec![0; 0x1_0000],
            log_counts: counts.iter().map(|&c| f64::from(c).ln()).collect(),
            log_total: (total as f64).ln(),
        };
        each(&mut |word, count| {
            let index = counts.binary_search(&count).expect("a count of the first pass") as u64;
            dictionary.insert(word, index + 1);
        });
        for (slot, &node) in dictionary.slots.iter().enumerate() {
            let key = node & KEY_MASK;
            if key != 0 && key - 1 < 0x1_0000 {
                dictionary.root[(key - 1) as usize] = slot as u32 + 1;
            }
        }
        dictionary
    }

    /// The slot holding `key`, or `Err` with the empty slot where it would go.
    #[inline(always)]
    fn probe(&self, key: u64) -> Result<usize, usize> {
        let len = self.slots.len();
        let mut slot = ((u128::from(key.wrapping_mul(MULTIPLIER)) * len as u128) >> 64) as usize;
        loop {
            match self.slots[slot] & KEY_MASK {
                stored if stored == key => return Ok(slot),
                0 => return Err(slot),
                _ => slot = if slot + 1 == len { 0 } else { slot + 1 },
            }
        }
    }

    fn insert(&mut self, word: &str, word_index: u64) {
        let mut node = 0;
        for ch in word.chars() {
            let k = key(node, ch);
            let slot = match self.probe(k) {
                Ok(slot) => slot,
                Err(slot) => {
                    self.slots[slot] = k;
                    if node > 0 {
                        self.slots[node - 1] |= child_bit(ch);
                    }
                    slot
                }
            };
            node = slot + 1;
        }
        if node > 0 {
            self.slots[node - 1] = (self.slots[node - 1] & !WORD_MASK) | (word_index << KEY_BITS);
        }
    }

    /// The word ending at the node in `slot`: an index into `log_counts` plus one, 0 for none.
    #[inline(always)]
    fn word(&self, slot: usize) -> u32 {
        ((self.slots[slot] & WORD_MASK) >> KEY_BITS) as u32
    }

    /// The slot of node `node`'s child on `ch`, if it has one.
    #[inline(always)]
    fn child(&self, node: usize, ch: char) -> Option<usize> {
        if node == 0 {
            if let Some(&slot) = self.root.get(ch as usize) {
                return (slot != 0).then(|| slot as usize - 1);
            }
        } else if self.slots[node - 1] & child_bit(ch) == 0 {
            return None;
        }
        self.probe(key(node, ch)).ok()
    }

    /// Whether `word` is in the dictionary.
    pub fn contains(&self, word: &str) -> bool {
        let mut node = 0;
        for ch in word.chars() {
            match self.child(node, ch) {
                Some(slot) => node = slot + 1,
                None => return false,
            }
        }
        node > 0 && self.word(node - 1) != 0
    }

    /// Every dictionary word starting at each character of `chars`, into `dag`.
    fn build_dag(&self, chars: &[(u32, char)], dag: &mut Dag) {
        dag.clear();
        for start in 0..chars.len() {
            dag.starts.push(dag.edges.len() as u32);
            let mut node = 0;
            for (end, &(_, ch)) in chars.iter().enumerate().skip(start) {
                let Some(slot) = self.child(node, ch) else { break };
                node = slot + 1;
                let word = self.word(slot);
                if word != 0 {
                    dag.edges.push((end as u32 + 1, word));
                }
            }
        }
        dag.starts.push(dag.edges.len() as u32);
    }

    /// The best route through `dag` (jieba-rs's `calc`): from every character, the step of the
    /// most probable segmentation of the rest, the longer step on a tie.
    fn calc(&self, chars: &[(u32, char)], dag: &Dag, route: &mut Vec<Step>) {
        let n = chars.len();
        route.clear();
        route.resize(n + 1, Step { prob: 0.0, end: n });
        let log_total = self.log_total;
        let log1 = 0.0f64 - log_total;
        for idx in (0..n).rev() {
            let mut best: Option<Step> = None;
            for &(end, word) in dag.edges_at(idx) {
                let end = end as usize;
                let prob = self.log_counts[word as usize - 1] - log_total + route[end].prob;
                match best {
                    Some(b) if !(prob > b.prob || (prob == b.prob && end > b.end)) => {}
                    _ => best = Some(Step { prob, end }),
                }
            }
            route[idx] = best.unwrap_or(Step { prob: log1 + route[idx + 1].prob, end: idx + 1 });
        }
    }

    /// jieba's search mode with the HMM (jieba-rs's `cut_for_search(sentence, true)`): the words
    /// of the best segmentation, each preceded by its dictionary words of two and three
    /// characters and, for an identifier joined by `.`, `_` or `-`, by its parts.
    pub fn cut_for_search<'a>(&self, sentence: &'a str) -> Vec<Piece<'a>> {
        let mut out = Vec::with_capacity((sentence.len() / 2).min(1 << 12));
        SCRATCH.with_borrow_mut(|Scratch { chars, dag, route }| {
            self.cut_sentence(sentence, chars, dag, route, &mut out);
            // A huge text's buffers are not kept for the thread's life.
            if chars.capacity() > 1 << 16 {
                *chars = Vec::new();
                *dag = Dag::default();
                *route = Vec::new();
            }
        });
        out
    }

    fn cut_sentence<'a>(
        &self,
        sentence: &'a str,
        chars: &mut Vec<(u32, char)>,
        dag: &mut Dag,
        route: &mut Vec<Step>,
        out: &mut Vec<Piece<'a>>,
    ) {
        let mut cut = Cut { sentence, unicode_offset: 0, out };
        let mut pos = 0;
        while pos < sentence.len() {
            // A block: a run of characters of one class (jieba's "han" or not).
            chars.clear();
            let start = pos;
            let mut iter = sentence[start..].char_indices();
            let Some((_, first)) = iter.next() else { break };
            let matched = is_han_default(first);
            chars.push((0, first));
            let mut end = start + first.len_utf8();
            for (i, c) in iter {
                if is_han_default(c) != matched {
                    break;
                }
                chars.push((i as u32, c));
                end = start + i + c.len_utf8();
            }
            pos = end;
            let block = Block { text: &sentence[start..end], offset: start, chars };
            if matched {
                self.cut_block(&block, dag, route, &mut cut);
            } else {
                // Each character a token, `\r\n` one.
                let mut i = 0;
                while let Some(&(offset, c)) = chars.get(i) {
                    let (bytes, count) = if c == '\r' && matches!(chars.get(i + 1), Some(&(_, '\n'))) {
                        (2, 2)
                    } else {
                        (c.len_utf8(), 1)
                    };
                    let from = start + offset as usize;
                    cut.push(&sentence[from..from + bytes], count, None);
                    i += count;
                }
            }
        }
    }

    /// A block of jieba's "han" characters along its best route (jieba-rs's `cut_route` with the
    /// HMM): single characters the route leaves unjoined are gathered into runs.
    fn cut_block<'a>(&self, block: &Block<'a, '_>, dag: &mut Dag, route: &mut Vec<Step>, cut: &mut Cut<'a, '_>) {
        self.build_dag(block.chars, dag);
        self.calc(block.chars, dag, route);
        let n = block.chars.len();
        let mut x = 0;
        let mut left: Option<usize> = None;
        while x < n {
            let y = route[x].end;
            if y - x == 1 {
                left.get_or_insert(x);
            } else {
                if let Some(start) = left.take() {
                    self.cut_unjoined_run(block, dag, route, start, x, cut);
                }
                cut.push(block.span(x, y), y - x, Some((block, &*dag, x)));
            }
            x = y;
        }
        if let Some(start) = left {
            self.cut_unjoined_run(block, dag, route, start, n, cut);
        }
    }

    /// Characters `x..y` the route left single, as jieba-rs cuts them: a run that is itself a
    /// dictionary word (the route preferred its characters apart) stays character by character;
    /// any other run of two or more goes through the HMM.
    fn cut_unjoined_run<'a>(
        &self,
        block: &Block<'a, '_>,
        dag: &Dag,
        route: &[Step],
        x: usize,
        y: usize,
        cut: &mut Cut<'a, '_>,
    ) {
        if y - x == 1 || dag.word_at(x, y) {
            let mut x = x;
            while x < y {
                let next = route[x].end;
                cut.push(block.span(x, next), next - x, Some((block, dag, x)));
                x = next;
            }
            return;
        }
        // The HMM's words are slices of the run, with character offsets in it.
        for token in hmm().cut(block.span(x, y), true) {
            cut.push(token.word, token.end - token.start, Some((block, dag, x + token.start)));
        }
    }
}

/// Buffers reused from one text to the next on a thread.
#[derive(Default)]
struct Scratch {
    chars: Vec<(u32, char)>,
    dag: Dag,
    route: Vec<Step>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// A dictionary line: `word count ...`, the count 0 when missing.
fn parse_line(line: &str) -> Option<(&str, u32)> {
    let mut fields = line.split_ascii_whitespace();
    let word = fields.next()?;
    let count = fields.next().map_or(0, |c| c.parse::<u32>().expect("a word count in the dictionary"));
    Some((word, count))
}

/// jieba-rs on an empty dictionary: its HMM, for runs of characters the dictionary does not join.
fn hmm() -> &'static jieba_rs::Jieba {
    static HMM: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    HMM.get_or_init(jieba_rs::Jieba::empty)
}

/// jieba-rs's "han" class (its `RE_HAN_DEFAULT`): CJK ideographs and ASCII alphanumerics with
/// `+#&._%-`; everything else is cut character by character.
fn is_han_default(c: char) -> bool {
    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
        true
    } else if c.is_ascii() {
        c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-')
    } else {
        matches!(c,
            '\u{3400}'..='\u{4DBF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{2A6DF}'
            | '\u{2A700}'..='\u{2B73F}'
            | '\u{2B740}'..='\u{2B81F}'
            | '\u{2B820}'..='\u{2CEAF}'
            | '\u{2CEB0}'..='\u{2EBEF}'
            | '\u{2F800}'..='\u{2FA1F}'
        )
    }
}

/// Characters that join the parts of an identifier (`WES-5.4.5`).
fn is_connector(c: char) -> bool {
    matches!(c, '.' | '_' | '-')
}

#[derive(Clone, Copy)]
struct Step {
    prob: f64,
    end: usize,
}

/// The dictionary words of a block: `(end character, word)` per starting character, the shorter
/// first, a word being its count's index in `log_counts` plus one.
#[derive(Default)]
struct Dag {
    edges: Vec<(u32, u32)>,
    starts: Vec<u32>,
}

impl Dag {
    fn clear(&mut self) {
        self.edges.clear();
        self.starts.clear();
    }

    fn edges_at(&self, start: usize) -> &[(u32, u32)] {
        &self.edges[self.starts[start] as usize..self.starts[start + 1] as usize]
    }

    /// Whether characters `start..end` are a dictionary word.
    fn word_at(&self, start: usize, end: usize) -> bool {
        self.edges_at(start).iter().any(|&(e, _)| e as usize == end)
    }
}

/// A block of the text: its characters with their byte offsets in it.
struct Block<'a, 'c> {
    text: &'a str,
    /// Byte offset of the block in the text.
    offset: usize,
    chars: &'c [(u32, char)],
}

impl<'a> Block<'a, '_> {
    fn byte_at(&self, idx: usize) -> usize {
        self.chars.get(idx).map_or(self.text.len(), |&(offset, _)| offset as usize)
    }

    fn span(&self, x: usize, y: usize) -> &'a str {
        &self.text[self.byte_at(x)..self.byte_at(y)]
    }
}

/// The pieces being cut, with the character offset reached.
struct Cut<'a, 'o> {
    sentence: &'a str,
    unicode_offset: usize,
    out: &'o mut Vec<Piece<'a>>,
}

impl<'a> Cut<'a, '_> {
    /// A token of `count` characters, preceded by its search-mode sub-words: the parts of an
    /// identifier, and (for a token of a "han" block, `from` = the block, its graph and the
    /// token's first character) its two- then three-character dictionary words.
    fn push(&mut self, word: &'a str, count: usize, from: Option<(&Block<'a, '_>, &Dag, usize)>) {
        let byte_start = word.as_ptr() as usize - self.sentence.as_ptr() as usize;
        let token = Piece {
            word,
            start: self.unicode_offset,
            end: self.unicode_offset + count,
            byte_start,
            byte_end: byte_start + word.len(),
        };
        self.unicode_offset += count;
        if word.contains(is_connector) {
            let mut offset = 0;
            for part in word.split(is_connector) {
                // Parts that could be searched on their own: not a number alone, not one character.
                if part.len() >= 2 && part.bytes().any(|b| b.is_ascii_alphabetic()) {
                    let part_start = token.byte_start + offset;
                    self.out.push(Piece {
                        word: part,
                        start: token.start + word[..offset].chars().count(),
                        end: token.start + word[..offset + part.len()].chars().count(),
                        byte_start: part_start,
                        byte_end: part_start + part.len(),
                    });
                }
                offset += part.len() + 1;
            }
        }
        if let Some((block, dag, x)) = from {
            for len in [2, 3] {
                if count > len {
                    for i in 0..=count - len {
                        if dag.word_at(x + i, x + i + len) {
                            let gram = block.span(x + i, x + i + len);
                            let gram_start = block.offset + block.byte_at(x + i);
                            self.out.push(Piece {
                                word: gram,
                                start: token.start + i,
                                end: token.start + i + len,
                                byte_start: gram_start,
                                byte_end: gram_start + gram.len(),
                            });
                        }
                    }
                }
            }
        }
        self.out.push(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `text` as jieba-rs's search mode with the HMM gives it.
    fn assert_same_as_jieba(jieba: &jieba_rs::Jieba, text: &str) {
        assert_same(Dictionary::jieba(), jieba, text)
    }

    fn assert_same(dictionary: &Dictionary, jieba: &jieba_rs::Jieba, text: &str) {
        let ours = dictionary.cut_for_search(text);
        let theirs: Vec<Piece<'_>> = jieba
            .cut_for_search(text, true)
            .into_iter()
            .map(|t| Piece { word: t.word, start: t.start, end: t.end, byte_start: t.byte_start, byte_end: t.byte_end })
            .collect();
        if ours != theirs {
            let first = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
            panic!(
                "segmentation differs from jieba-rs for {text:?} at token {first}:\n ours   {:?}\n jieba  {:?}",
                &ours[first.saturating_sub(2)..(first + 3).min(ours.len())],
                &theirs[first.saturating_sub(2)..(first + 3).min(theirs.len())]
            );
        }
    }

    /// Every string of CJK text in a JSON document.
    fn chinese_strings(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) if s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) => {
                out.push(s.clone())
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| chinese_strings(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| chinese_strings(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_demo_content_and_the_sdg_corpus_segment_as_jieba_does() {
        let jieba = jieba_rs::Jieba::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let demo = std::fs::read_to_string(root.join("server/demo/demo.json")).expect("the demo content");
        let mut texts = Vec::new();
        chinese_strings(&serde_json::from_str(&demo).expect("demo JSON"), &mut texts);
        assert!(texts.len() > 20, "the demo content has Chinese text ({} strings)", texts.len());
        // The UN's SDG texts in Chinese, where the workplace has them (the bench needs them too).
        let sdg = root.join("../shared/corpus/sdg/zh-Hans");
        if let Ok(dir) = std::fs::read_dir(&sdg) {
            for file in dir.flatten() {
                let text = std::fs::read_to_string(file.path()).expect("a corpus file");
                texts.extend(text.lines().map(str::to_owned));
                texts.push(text);
            }
        } else {
            eprintln!("{} is not there: the demo content and generated text only", sdg.display());
        }
        for text in &texts {
            assert_same_as_jieba(&jieba, text);
        }
    }

    #[test]
    fn mixed_scripts_identifiers_and_unknown_words_segment_as_jieba_does() {
        let jieba = jieba_rs::Jieba::new();
        for text in [
            "",
            "全球基金是什么？",
            "性工作者的权利是什么",
            "我来到北京清华大学，他来到了网易杭研大厦",
            "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
            "WES-5.4.5版本和 3.6.3 发布了；C++ 与 C# 100% a_b-c.d",
            "行\r\n下一行\n\r\t  全角ＡＢＣ１２３",
            "𠀀𠀁 㐀㐁 豈更 😀 emoji 和 中文",
            "abc- -abc .5 5. __init__ x--y",
            "桃花坞里桃花庵，桃花庵里桃花仙",
            "艾滋病毒感染者和性工作者团体倡导去刑罪化",
            "ÀÉÎ café 性工作 naïve",
        ] {
            assert_same_as_jieba(&jieba, text);
        }
    }

    /// Text generated from dictionary words, unknown characters, ASCII, connectors and
    /// punctuation, seeded so a failure repeats.
    #[test]
    fn generated_text_segments_as_jieba_does() {
        let jieba = jieba_rs::Jieba::new();
        let words: Vec<&str> = [
            "性工作者",
            "权利",
            "全球",
            "基金",
            "卫生",
            "服务",
            "社区",
            "组织",
            "倡导",
            "法律",
            "改革",
            "网络",
            "亚太",
            "地区",
            "非洲",
            "可持续",
            "发展",
            "目标",
            "指标",
            "的",
            "和",
            "是",
            "在",
            "了",
            "我们",
            "中华人民共和国",
            "联合国",
            "艾滋病",
            "去刑罪化",
            "歧视",
            "暴力",
            "健康",
            "人权",
            "妇女",
            "儿童",
        ]
        .into();
        let odd = [
            "羟", "蚍", "犭", "龘", "𠀀", "㐀", "A", "z", "9", "0", "-", ".", "_", "%", "+", "#", "&", " ", "，", "。",
            "？", "！", "、", "\n", "\r\n", "é", "Ж", "ا", "😀", "ｑ", "abc", "v2.0", "x-y",
        ];
        // A small LCG: deterministic, no dependency.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % n
        };
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..next(25) {
                if next(4) == 0 {
                    text.push_str(odd[next(odd.len())]);
                } else {
                    text.push_str(words[next(words.len())]);
                }
            }
            assert_same_as_jieba(&jieba, &text);
        }
    }

    #[test]
    fn the_dictionary_is_jiebas() {
        let dictionary = Dictionary::jieba();
        for word in ["性工作者", "全球", "基金", "中华人民共和国", "1号店", "4S店"] {
            assert!(dictionary.contains(word), "{word} is a word");
        }
        for word in ["性工作者的", "全球基金是", "", "羟蚍"] {
            assert!(!dictionary.contains(word), "{word} is not a word");
        }
        // The table is sized for its nodes, not a power of two above them.
        let occupied = dictionary.slots.iter().filter(|&&k| k != 0).count();
        assert!(occupied * 10 / dictionary.slots.len() >= 6, "{occupied} nodes in {} slots", dictionary.slots.len());
    }

    /// Two routes of equal weight: the longer first step wins, as in jieba.
    #[test]
    fn ties_break_as_jiebas_do() {
        let text = "甲乙 1\n丙 1\n甲 1\n乙丙 1\n乙 1\n";
        let ours = Dictionary::parse(text);
        let jieba = jieba_rs::Jieba::with_dict(&mut text.as_bytes()).expect("a dictionary");
        for sentence in ["甲乙丙", "甲乙丙甲乙丙", "丙甲乙丙"] {
            assert_same(&ours, &jieba, sentence);
        }
        let words: Vec<&str> = ours.cut_for_search("甲乙丙").iter().map(|p| p.word).collect();
        assert_eq!(words, ["甲乙", "丙"]);
    }

    #[test]
    fn a_small_dictionary_parses_with_duplicates_and_missing_counts() {
        let dictionary = Dictionary::parse("甲乙 3\n甲 1 n\n甲乙 5\n丙\n");
        assert!(dictionary.contains("甲乙") && dictionary.contains("甲") && dictionary.contains("丙"));
        assert!(!dictionary.contains("乙"));
        assert_eq!(dictionary.log_total, 9f64.ln());
        let log_count = |word: &str| {
            let mut node = 0;
            for ch in word.chars() {
                node = dictionary.child(node, ch).expect("a node") + 1;
            }
            dictionary.log_counts[dictionary.word(node - 1) as usize - 1]
        };
        assert_eq!(log_count("甲乙"), 5f64.ln(), "the last count of a word listed twice");
        assert_eq!(log_count("丙"), 0f64.ln());
    }
}
