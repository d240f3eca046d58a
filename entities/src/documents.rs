//! A file uploaded for one locale of an item (one PDF per language, an EPUB, a recording).
//! Its bytes are in the object store under `storage_key` (derived from the SHA-256, so the same
//! content is stored once); the row is written only once the object is.
use sea_orm::entity::prelude::*;

use crate::enums::TextStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The item's content type (`resource`, `good_practice`...) and id.
    pub entity: String,
    pub item_id: i32,
    /// The document's language (a configured code); it is public when the item's version in
    /// this language is (or, with no version in it, when the source version is).
    pub locale: String,
    pub title: Option<String>,
    /// The name it was uploaded with, for the download's name only (never a path).
    pub file_name: String,
    /// Detected from the bytes.
    pub mime_type: String,
    pub size: i64,
    /// Lowercase hex.
    pub sha256: String,
    pub storage_key: String,
    pub pages: Option<i32>,
    pub text_status: TextStatus,
    /// The extracted text (bounded by `documents.max_text_chars`).
    pub text: Option<String>,
    /// Why the text could not be extracted.
    pub text_error: Option<String>,
    /// When an extraction job took the document (a job older than the lease may be retaken).
    pub text_claimed_at: Option<DateTimeUtc>,
    pub uploaded_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
