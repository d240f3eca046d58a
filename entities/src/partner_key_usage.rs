//! Use of a partner key per UTC day: counts only, never queries or reader addresses.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_key_usage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub key_id: i32,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub requests: i64,
    pub zero_results: i64,
    pub rate_limited: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
