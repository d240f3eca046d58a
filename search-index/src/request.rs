//! What a search asks and what it answers: plain data, shared by the searcher, the result cache
//! and callers, depending on nothing else in the crate.

/// Characters of a query that are considered; the rest is ignored (a paragraph pasted as a
/// query fits).
pub const MAX_QUERY_CHARS: usize = 1000;
/// Words and phrases of a query that are read; of their terms after analysis, the rarest are
/// kept (`search::MAX_TERMS`), so the bound is on work, not on where a word stands.
pub const MAX_CLAUSES: usize = 200;
/// Facets that can be counted.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FacetName {
    Type,
    Kind,
    Region,
    Country,
    Topic,
    Language,
    Organization,
    Programme,
    Year,
}

/// Restrictions on the results; values within one list are alternatives.
#[derive(Clone, Debug, Default, Hash)]
pub struct SearchFilter {
    pub types: Vec<String>,
    pub kinds: Vec<String>,
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub topics: Vec<String>,
    pub organizations: Vec<i64>,
    pub programmes: Vec<i64>,
    pub year_from: Option<i64>,
    pub year_to: Option<i64>,
}

/// A search.
#[derive(Clone, Debug, Default, Hash)]
pub struct SearchRequest {
    pub text: String,
    /// The locales searched (each with its analyzer); empty for all of the index's locales.
    pub locales: Vec<String>,
    /// The reader's locale chain: the locale each item is shown in is the first of these that
    /// matched, else the first matching locale in configured order.
    pub preference: Vec<String>,
    pub filter: SearchFilter,
    pub facets: Vec<FacetName>,
    pub offset: usize,
    pub limit: usize,
    /// Characters of the snippet.
    pub snippet_chars: usize,
}

/// One item found.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub item_key: u64,
    pub item_type: String,
    pub item_id: i64,
    /// The locale the item is shown in.
    pub locale: String,
    pub score: f32,
    /// The title, HTML-escaped, with matches in `<mark>`.
    pub title_html: String,
    /// A fragment of the summary, body or documents, HTML-escaped, with matches in `<mark>`.
    pub snippet_html: String,
    /// The snippet is from one of the item's documents (its PDF), the only part that matched
    /// besides, perhaps, the title.
    pub from_document: bool,
    /// The locales in which the item matched.
    pub matched_locales: Vec<String>,
    /// Every locale the item can be read in.
    pub available_locales: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Default)]
pub struct SearchResults {
    /// Items found (not documents).
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Vec<(FacetName, Vec<FacetCount>)>,
    /// When nothing was found and a respelling of the query finds something.
    pub suggestion: Option<String>,
    /// False when no item had every word and the words were OR-ed.
    pub all_words_matched: bool,
}
