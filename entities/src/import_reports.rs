//! The report of one translation-file import (or dry run): counts and the units it flagged.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub created_at: DateTimeUtc,
    pub user_id: Option<i32>,
    pub display_name: String,
    /// The uploaded file's name, as sent (shown, never used as a path).
    pub file_name: String,
    /// `xliff-1.2`, `xliff-2.0`, `po`, `json`, `csv`.
    pub format: String,
    pub dry_run: bool,
    /// `applied`, `dry_run` or `rejected` (nothing written).
    pub outcome: String,
    pub in_file: i32,
    pub accepted: i32,
    pub unchanged: i32,
    pub needs_review: i32,
    pub rejected: i32,
    pub missing: i32,
    /// JSON array of the flagged and rejected units: key, line, status, code, message.
    pub entries: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
