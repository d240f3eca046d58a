//! The full-text index of Chorus: tantivy only, knowing nothing of SQL or HTTP.
//!
//! Empty for now: the multilingual search issue fills it with the tantivy schema, the per-language
//! analyzers, the writer fed by the change log and the searcher. The crate exists already so that
//! the workspace layout and its dependency rule (checked in `.ci/run`) are fixed from the start.
