//! The index end to end: build, search, replace, rebuild, reopen.

use crate::request::FacetName;
use crate::{IndexDoc, Opened, SearchFilter, SearchIndex, SearchRequest, Store};

fn locales() -> Vec<String> {
    ["en", "fr", "es", "ru", "zh-Hans", "ar"].iter().map(|s| s.to_string()).collect()
}

fn doc(key: u64, locale: &str, title: &str, body: &str) -> IndexDoc {
    IndexDoc {
        item_key: key,
        item_type: "resource".into(),
        item_id: key as i64,
        locale: locale.into(),
        kind: Some(if key.is_multiple_of(2) { "guide" } else { "report" }.into()),
        regions: vec![if key < 5 { "africa" } else { "asia-pacific" }.into()],
        topics: vec!["health".into()],
        year: Some(2020 + key as i64),
        date: Some(18_000 + key as i64),
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        available_locales: vec![locale.into()],
        ..Default::default()
    }
}

fn corpus() -> Vec<(u64, Vec<IndexDoc>)> {
    let mut items = vec![
        (
            1,
            vec![
                doc(
                    1,
                    "en",
                    "Smart Guide to the Global Fund",
                    "How sex workers can take part in Global Fund processes.",
                ),
                doc(
                    1,
                    "fr",
                    "Guide intelligent du Fonds mondial",
                    "Comment les travailleur·se·s du sexe participent au Fonds mondial.",
                ),
                doc(
                    1,
                    "es",
                    "Guía inteligente del Fondo Mundial",
                    "Cómo las trabajadoras sexuales participan en el Fondo Mundial.",
                ),
            ],
        ),
        (
            2,
            vec![doc(
                2,
                "en",
                "Violence against sex workers",
                "Briefing paper on violence, policing and <script>alert(1)</script> safety.",
            )],
        ),
        (3, vec![doc(3, "es", "Violencia contra las trabajadoras sexuales", "Documento sobre la violencia policial.")]),
        (4, vec![doc(4, "ru", "Насилие в отношении секс-работников", "Отчёт о насилии и правах работников.")]),
        (5, vec![doc(5, "zh-Hans", "性工作者的权利", "消除一切形式的贫困和暴力。")]),
        (6, vec![doc(6, "ar", "حقوق العاملين في مجال الجنس", "تقرير عن العُنْف ضد العاملين.")]),
        (7, vec![doc(7, "fr", "La violence envers les travailleurSEs du sexe", "Rapport sur l'accès aux droits.")]),
    ];
    for (_, docs) in &mut items {
        let all: Vec<String> = docs.iter().map(|d| d.locale.clone()).collect();
        for d in docs.iter_mut() {
            d.available_locales = all.clone();
        }
    }
    items
}

fn index(dir: &std::path::Path) -> SearchIndex {
    let store = Store::new(dir, locales());
    let mut rebuild = store.begin_rebuild(1).expect("rebuild");
    for (_, docs) in corpus() {
        for d in docs {
            rebuild.add(&d).expect("add");
        }
    }
    rebuild.finish(42).expect("finish")
}

fn search(index: &SearchIndex, text: &str, preference: &[&str]) -> crate::SearchResults {
    index
        .search(&SearchRequest {
            text: text.into(),
            preference: preference.iter().map(|s| s.to_string()).collect(),
            facets: vec![FacetName::Kind, FacetName::Region, FacetName::Language, FacetName::Year],
            limit: 10,
            snippet_chars: 120,
            ..Default::default()
        })
        .expect("search")
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

fn ids(r: &crate::SearchResults) -> Vec<i64> {
    r.hits.iter().map(|h| h.item_id).collect()
}

#[test]
fn french_reader_finds_french_versions_and_marked_others() {
    let dir = tempfile::tempdir().unwrap();
    let index = index(dir.path());
    assert_eq!(index.cursor(), 42);
    let r = search(&index, "travailleuses du sexe violence", &["fr", "en"]);
    // Item 7 has every word in French and comes first; items with some of the words follow
    // (the words are OR-ed, with a bonus for having them all).
    assert_eq!(ids(&r)[0], 7, "{r:#?}");
    assert!(r.hits[0].score > 1.5 * r.hits[1].score, "{r:#?}");
    assert!(r.all_words_matched);
    assert_eq!(r.hits[0].locale, "fr");
    assert!(r.hits[0].title_html.contains("<mark>violence</mark>"), "{}", r.hits[0].title_html);
    assert!(r.hits[0].title_html.contains("<mark>travailleurSEs</mark>"), "{}", r.hits[0].title_html);

    // Grouping: the Global Fund guide matches in three languages, shown once, in French.
    let r = search(&index, "fonds", &["fr", "en"]);
    assert_eq!(ids(&r), [1]);
    assert_eq!(r.hits[0].locale, "fr");
    let r = search(&index, "fund", &["fr", "en"]);
    assert_eq!(ids(&r), [1]);
    assert_eq!(r.hits[0].locale, "en", "only the English version matched");
    assert_eq!(r.hits[0].available_locales, ["en", "fr", "es"]);
    let r = search(&index, "violence", &["fr", "en"]);
    assert_eq!(ids(&r).len(), 2, "{r:#?}");
    let langs: Vec<&str> = r.hits.iter().map(|h| h.locale.as_str()).collect();
    assert!(langs.contains(&"en") && langs.contains(&"fr"));
}

#[test]
fn languages_are_analysed_their_own_way() {
    let dir = tempfile::tempdir().unwrap();
    let index = index(dir.path());
    assert_eq!(ids(&search(&index, "насилия", &["ru"])), [4], "Russian inflection");
    assert_eq!(ids(&search(&index, "权利", &["zh-Hans"])), [5], "Chinese without spaces");
    assert_eq!(ids(&search(&index, "贫困", &["zh-Hans"])), [5]);
    // Whole questions without spaces: words that no document has ("是什么", "哪里") do not empty
    // the result, and the answer says not every word matched.
    for question in ["性工作者的权利是什么？", "贫困在哪里", "什么是暴力?"] {
        let r = search(&index, question, &["zh-Hans"]);
        assert_eq!((ids(&r), r.all_words_matched), (vec![5], false), "{question}: {r:#?}");
    }
    let r = search(&index, "性工作者的权利", &["zh-Hans"]);
    assert_eq!((ids(&r), r.all_words_matched), (vec![5], true), "every word there: {r:#?}");
    // A word nothing has, alone: nothing found, and not every word matched.
    let r = search(&index, "qqqzzzxx", &["en"]);
    assert!(r.hits.is_empty() && !r.all_words_matched, "{r:#?}");
    assert_eq!(ids(&search(&index, "العنف", &["ar"])), [6], "Arabic diacritics");
    assert_eq!(ids(&search(&index, "acces droits", &["fr"])), [7], "elision and folding");
    assert_eq!(sorted(ids(&search(&index, "trabajadora", &["es"]))), [1, 3], "Spanish plural and singular");
}

#[test]
fn typos_prefixes_phrases_and_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let index = index(dir.path());
    let r = search(&index, "Glbal Fund", &["en"]);
    assert_eq!(ids(&r), [1], "one typo in a five-letter word");
    assert!(r.hits[0].title_html.contains("<mark>Global</mark>"), "{}", r.hits[0].title_html);
    assert_eq!(sorted(ids(&search(&index, "viol", &["en"]))), [2, 3, 7], "prefix as you type, in every language");
    assert!(search(&index, "viol ", &["en"]).hits.is_empty(), "a finished word is not a prefix");
    assert!(search(&index, "fnud", &["en"]).hits.is_empty(), "no typo in four letters");
    assert_eq!(sorted(ids(&search(&index, "\"sex workers\"", &["en"]))), [1, 2], "phrase");
    assert!(search(&index, "\"workers sex\"", &["en"]).hits.is_empty(), "a phrase keeps its order");
    // A word no document has: the other words still find something, flagged as partial.
    let r = search(&index, "fund qqqzzzxx ", &["en"]);
    assert_eq!((ids(&r), r.all_words_matched), (vec![1], false), "{r:#?}");
    let r = search(&index, "fnud", &["en"]);
    assert_eq!(r.suggestion.as_deref(), Some("fund"), "{r:#?}");
    assert_eq!(search(&index, "fund", &["en"]).suggestion, None);
}

#[test]
fn facets_filters_and_escaping() {
    let dir = tempfile::tempdir().unwrap();
    let index = index(dir.path());
    let r = search(&index, "violence", &["en"]);
    let kinds = &r.facets.iter().find(|(f, _)| *f == FacetName::Kind).unwrap().1;
    assert_eq!(kinds.iter().map(|c| (c.value.as_str(), c.count)).collect::<Vec<_>>(), [("guide", 1), ("report", 1)]);
    let langs = &r.facets.iter().find(|(f, _)| *f == FacetName::Language).unwrap().1;
    assert_eq!(langs.iter().map(|c| (c.value.as_str(), c.count)).collect::<Vec<_>>(), [("en", 1), ("fr", 1)]);
    let snippet = &r.hits.iter().find(|h| h.item_id == 2).unwrap().snippet_html;
    assert!(snippet.contains("&lt;script&gt;") && !snippet.contains("<script>"), "{snippet}");
    assert!(snippet.contains("<mark>violence</mark>"), "{snippet}");

    let filtered = index
        .search(&SearchRequest {
            text: "violence".into(),
            filter: SearchFilter { kinds: vec!["report".into()], ..Default::default() },
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&filtered), [7]);
    let by_locale = index
        .search(&SearchRequest {
            text: "violencia".into(),
            locales: vec!["es".into()],
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&by_locale), [3]);
    let browse = index
        .search(&SearchRequest {
            text: String::new(),
            filter: SearchFilter { year_from: Some(2024), ..Default::default() },
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ids(&browse), [7, 6, 5, 4], "an empty query browses by date");
}

#[test]
fn hostile_queries_are_text() {
    let dir = tempfile::tempdir().unwrap();
    let index = index(dir.path());
    let long = "violence ".repeat(2000);
    for q in
        ["\"", "*", "(", ")", "field:x", "title_en:fund", "a AND b OR NOT c", "\u{0}\u{1b}[31m", &long, "''''", "+-~^"]
    {
        let r = search(&index, q, &["en"]);
        assert!(r.total <= 7, "{q}");
    }
    assert_eq!(sorted(ids(&search(&index, "(violence:", &["en"]))), [2, 7], "punctuation is just a separator");
    // No field syntax: the same as the three words, none of them a field name.
    let r = search(&index, "title_en:violence", &["en"]);
    assert!(!r.all_words_matched, "{r:#?}");
    assert_eq!(sorted(ids(&r)), sorted(ids(&search(&index, "title en violence", &["en"]))));
}

#[test]
fn apply_replaces_items_and_reopens_at_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = index(dir.path());
        // Item 2 unpublished, item 8 published, item 1 loses its English version.
        let mut one = corpus().remove(0).1;
        one.remove(0);
        index
            .apply(
                &[
                    (2, vec![]),
                    (8, vec![doc(8, "en", "Decriminalisation explained", "Why decriminalisation matters.")]),
                    (1, one),
                ],
                50,
            )
            .unwrap();
        assert!(search(&index, "policing", &["en"]).hits.is_empty());
        assert_eq!(ids(&search(&index, "decriminalisation", &["en"])), [8]);
        assert_eq!(search(&index, "fonds", &["en"]).hits[0].matched_locales, ["fr"]);
        // Applying the same change again changes nothing (idempotent).
        index.apply(&[(2, vec![])], 51).unwrap();
        assert_eq!(index.num_docs(), 9 - 1 - 1 + 1);
    }
    let store = Store::new(dir.path(), locales());
    let Ok(Opened::Ready(index)) = store.open() else { panic!("reopens") };
    assert_eq!(index.cursor(), 51);
    assert_eq!(ids(&search(&index, "decriminalisation", &["en"])), [8]);
    // Other locales: rebuild.
    let other = Store::new(dir.path(), vec!["en".into()]);
    drop(index);
    assert!(matches!(other.open(), Ok(Opened::NeedsRebuild(_))));
}

/// A writer killed inside a commit, after tantivy wrote a segment's new deletions
/// (`<segment>.<opstamp>.del`) and before `meta.json` named them, leaves that file behind. The
/// next process reopens at the previous commit and replays the same changes, which reach the
/// same opstamp and the same file name: the commit must not fail on the leftover (it did, on
/// every retry, so the index stopped following the database until another change came).
#[test]
fn a_commit_cut_off_before_its_meta_does_not_block_the_next_process() {
    let dir = tempfile::tempdir().unwrap();
    let name = index(dir.path()).name().to_owned();
    let meta = dir.path().join(&name).join("meta.json");
    let before = std::fs::read(&meta).unwrap();
    let change = [(2u64, vec![doc(2, "en", "Outreach workers", "Peer outreach in the evening.")])];
    let store = Store::new(dir.path(), locales());
    {
        let Ok(Opened::Ready(index)) = store.open() else { panic!("opens") };
        index.apply(&change, 43).unwrap();
    }
    let deletions = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".del"))
            .collect::<Vec<_>>()
    };
    assert!(!deletions(&dir.path().join(&name)).is_empty(), "the change deleted a document: a .del file");
    // The kill: meta.json as it was before that commit; the files the commit wrote stay.
    std::fs::write(&meta, before).unwrap();
    let Ok(Opened::Ready(index)) = store.open() else { panic!("reopens") };
    assert_eq!(index.cursor(), 42);
    index.apply(&change, 43).expect("the same change commits again");
    assert_eq!(index.cursor(), 43);
    assert_eq!(ids(&search(&index, "outreach", &["en"])), [2]);
}

#[test]
fn a_broken_or_missing_index_asks_for_a_rebuild_and_a_rebuild_switches() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path(), locales());
    assert!(matches!(store.open(), Ok(Opened::NeedsRebuild(_))));
    let first = index(dir.path());
    let first_name = first.name().to_owned();
    drop(first);
    // A second rebuild switches CURRENT and the first directory can be cleaned up.
    let mut rebuild = store.begin_rebuild(1).unwrap();
    rebuild.add(&doc(9, "en", "Only document", "")).unwrap();
    let second = rebuild.finish(7).unwrap();
    assert_ne!(second.name(), first_name);
    assert_eq!(store.current().as_deref(), Some(second.name()));
    store.clean_up();
    assert!(!dir.path().join(&first_name).exists());
    let name = second.name().to_owned();
    drop(second);
    // Corrupt: the meta file is garbage.
    std::fs::write(dir.path().join(&name).join("meta.json"), b"{not json").unwrap();
    assert!(matches!(store.open(), Ok(Opened::NeedsRebuild(_))));
    // Once replaced, a corrupt directory nobody writes to is removed.
    let third = store.begin_rebuild(1).unwrap().finish(8).unwrap();
    assert_eq!(store.clean_up(), vec![]);
    assert!(!dir.path().join(&name).exists());
    drop(third);
    let name = store.current().unwrap();
    // Missing: the directory is gone.
    std::fs::remove_dir_all(dir.path().join(&name)).unwrap();
    assert!(matches!(store.open(), Ok(Opened::NeedsRebuild(_))));
}

#[test]
fn clean_up_removes_replaced_and_abandoned_directories() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path(), locales());
    let first = index(dir.path());
    let first_name = first.name().to_owned();
    drop(first);
    std::fs::remove_file(dir.path().join("CURRENT")).unwrap();
    let mut abandoned = store.begin_rebuild(1).unwrap();
    abandoned.add(&doc(1, "en", "x", "")).unwrap();
    drop(abandoned);
    let mut rebuild = store.begin_rebuild(1).unwrap();
    rebuild.add(&doc(2, "en", "y", "")).unwrap();
    let live = rebuild.finish(1).unwrap();
    store.clean_up();
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("idx-"))
        .collect();
    assert_eq!(left, [live.name().to_owned()], "{first_name} and the abandoned rebuild are gone");
}

#[test]
fn document_text_is_found_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path(), locales());
    let mut rebuild = store.begin_rebuild(1).expect("rebuild");
    let mut docs: Vec<IndexDoc> = corpus().into_iter().flat_map(|(_, d)| d).collect();
    docs.push(IndexDoc {
        document: "Приложение: декриминализация секс-работы снижает насилие со стороны полиции.".into(),
        ..doc(8, "ru", "Краткий обзор", "Короткое введение.")
    });
    for d in &docs {
        rebuild.add(d).expect("add");
    }
    let index = rebuild.finish(42).expect("finish");
    let r = search(&index, "декриминализации", &["ru"]);
    assert_eq!(ids(&r), vec![8], "{r:#?}");
    let hit = &r.hits[0];
    assert!(hit.from_document, "{hit:#?}");
    assert!(hit.snippet_html.contains("<mark>декриминализация</mark>"), "{hit:#?}");
    let r = search(&index, "насилии", &["ru"]);
    let hit = r.hits.iter().find(|h| h.item_id == 4).expect("the body's match");
    assert!(!hit.from_document, "{hit:#?}");
}

/// A larger generated index (several segments, replaced items, an item whose documents were not
/// written together): any page of top-k collection equals that slice of a search that collects
/// every item, and totals and facets are the same whatever the page.
#[test]
fn top_k_pages_equal_the_full_ranking() {
    top_k_check(false);
    top_k_check(true);
}

/// 400 items in English (and French for two in three) over a skewed vocabulary of 24 words, in
/// several segments with a tenth of the items replaced twice; with `split`, item 1's French
/// document is written apart from its English one.
pub(crate) fn generated_index(dir: &std::path::Path, split: bool) -> SearchIndex {
    const WORDS: [&str; 24] = [
        "fund",
        "health",
        "rights",
        "violence",
        "police",
        "community",
        "workers",
        "grant",
        "report",
        "network",
        "budget",
        "access",
        "stigma",
        "housing",
        "migrant",
        "legal",
        "clinic",
        "safety",
        "training",
        "youth",
        "advocacy",
        "survey",
        "policy",
        "funding",
    ];
    let mut seed = 12345u64;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    // Skewed word choice: early words are common, later ones rare.
    let mut text =
        |n: usize| (0..n).map(|_| WORDS[next(WORDS.len()).min(next(WORDS.len()))]).collect::<Vec<_>>().join(" ");
    let mut items: Vec<(u64, Vec<IndexDoc>)> = Vec::new();
    for key in 1..=400u64 {
        let mut docs = vec![doc(key, "en", &text(3), &text(12))];
        if key % 3 != 0 {
            docs.push(doc(key, "fr", &text(3), &text(12)));
        }
        items.push((key, docs));
    }
    let store = Store::new(dir, locales());
    let mut rebuild = store.begin_rebuild(2).unwrap();
    // With `split`, item 1's French document comes after item 2's: not next to its English one.
    let (first, second) = (items[0].1.clone(), items[1].1.clone());
    let order: Vec<&IndexDoc> = if split {
        vec![&first[0], &second[0], &second[1], &first[1]]
    } else {
        first.iter().chain(second.iter()).collect()
    };
    for d in order {
        rebuild.add(d).unwrap();
    }
    for (_, docs) in &items[2..] {
        for d in docs {
            rebuild.add(d).unwrap();
        }
    }
    let index = rebuild.finish(1).unwrap();
    assert_eq!(index.grouped, !split);
    // Replace a tenth of the items in two commits: more segments, deleted documents.
    for round in 0..2u64 {
        let changed: Vec<(u64, Vec<IndexDoc>)> = items
            .iter()
            .filter(|(k, _)| k % 10 == round)
            .map(|(k, docs)| (*k, docs.iter().map(|d| doc(*k, &d.locale, &text(3), &text(12))).collect()))
            .collect();
        index.apply(&changed, 2 + round as i64).unwrap();
    }
    assert!(index.segments() >= 2, "several segments");
    index
}

fn top_k_check(split: bool) {
    let dir = tempfile::tempdir().unwrap();
    let index = generated_index(dir.path(), split);
    let request = |text: &str, offset: usize, limit: usize, kinds: &[&str]| SearchRequest {
        text: text.into(),
        preference: vec!["fr".into()],
        facets: vec![FacetName::Kind, FacetName::Language],
        filter: SearchFilter { kinds: kinds.iter().map(|k| k.to_string()).collect(), ..Default::default() },
        offset,
        limit,
        snippet_chars: 80,
        ..Default::default()
    };
    let queries = [
        "fund",
        "rights violence",
        "youth survey funding",
        "police and community workers?",
        "\"health rights\" stigma",
        "migrant nonexistentword",
        "fund health rights violence police community workers grant report network",
    ];
    for q in queries {
        for kinds in [&[][..], &["guide"][..]] {
            let full = index.search(&request(q, 0, 1000, kinds)).unwrap();
            assert!(full.total > 0, "{q}: found");
            assert_eq!(full.hits.len(), full.total, "{q}: every item listed");
            let keys: Vec<u64> = full.hits.iter().map(|h| h.item_key).collect();
            let mut unique = keys.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), keys.len(), "{q}: an item once");
            for w in full.hits.windows(2) {
                assert!(w[0].score >= w[1].score, "{q}: best first");
            }
            for offset in [0, 10, 25] {
                let page = index.search(&request(q, offset, 10, kinds)).unwrap();
                let got: Vec<u64> = page.hits.iter().map(|h| h.item_key).collect();
                let want: Vec<u64> = keys.iter().skip(offset).take(10).copied().collect();
                assert_eq!(got, want, "{q} {kinds:?} at {offset}");
                assert_eq!(page.total, full.total, "{q}: total");
                assert_eq!(page.facets, full.facets, "{q}: facets");
                assert_eq!(page.all_words_matched, full.all_words_matched, "{q}: all words");
                for (h, f) in page.hits.iter().zip(full.hits.iter().skip(offset)) {
                    assert_eq!((h.locale.as_str(), &h.matched_locales), (f.locale.as_str(), &f.matched_locales));
                }
            }
        }
    }
    // Item 1 (written apart or not): one item, counted once, found in both languages.
    let found = index.search(&request("", 0, 1000, &[])).unwrap();
    assert_eq!(found.hits.iter().filter(|h| h.item_key == 1).count(), 1);
    assert_eq!(found.total, 400);
    let one = found.hits.iter().find(|h| h.item_key == 1).unwrap();
    assert_eq!(one.matched_locales, vec!["en".to_string(), "fr".to_string()]);
    assert_eq!(one.locale, "fr");
}
