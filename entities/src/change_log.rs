//! The append-only change log: one row per content change, written in the same transaction.
//! Consumers (webhooks, the search index) keep their own cursor (`seq`) and resume after a crash.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// `resource`, `good_practice`, `organization`, `programme` or `term`.
    pub entity: String,
    pub entity_id: i32,
    pub locale: Option<String>,
    /// `created`, `updated`, `deleted`, `published`, `unpublished`.
    pub operation: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
