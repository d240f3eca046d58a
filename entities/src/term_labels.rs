//! Localised labels of taxonomy terms, one row per (term, locale).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "term_labels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub term_id: i32,
    pub locale: String,
    pub label: String,
    pub sort_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
