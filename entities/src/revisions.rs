//! One saved state of a locale version: who, when, the full text, and which fields changed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entity: String,
    pub entity_id: i32,
    pub locale: String,
    pub user_id: Option<i32>,
    pub display_name: String,
    pub at: DateTimeUtc,
    pub status: crate::enums::PublicationStatus,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub slug: String,
    /// JSON object: field -> hash of this revision's text.
    pub hashes: String,
    /// Comma-separated fields changed by this save (`status` for status changes).
    pub changed: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
