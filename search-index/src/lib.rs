//! The full-text index of Chorus: tantivy only, knowing nothing of SQL or HTTP.
//!
//! - [`analysis`]: per-language analyzers (stemming, stop words, folding, elisions, inclusive
//!   forms, Chinese segmentation).
//! - [`schema`]: one document per published (item, locale) with its facets as fast fields.
//! - [`store`]: an index directory whose commits carry the change-log cursor, rebuilt into a
//!   fresh directory and switched atomically.
//! - [`request`]: what a search asks and answers (plain data).
//! - [`search`]: user text to a bounded tantivy query (never the query parser), grouping by
//!   item along the reader's locale chain, facets, highlights, "did you mean".
//! - [`cache`]: recent results, valid until the index changes.
//! - [`chinese`]: jieba's search-mode segmentation over a compact dictionary.
//! - `columns`: facet values decoded once per segment, for counting every match.
//! - `directory`: the memory-mapped index directory, its document store read by positioned reads.

pub mod analysis;
pub mod cache;
pub mod chinese;
mod columns;
mod directory;
pub mod request;
pub mod schema;
pub mod search;
pub mod store;

pub use cache::CacheSettings;
pub use request::{FacetCount, FacetName, Hit, SearchFilter, SearchRequest, SearchResults};
pub use schema::IndexDoc;
pub use store::{Opened, Rebuild, SearchIndex, Store};

/// Errors of the index: tantivy's, the file system's, a payload that is not ours.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index: {0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests;
