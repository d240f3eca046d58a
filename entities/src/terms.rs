//! Taxonomy terms (regions, countries, topics), one vocabulary per `taxonomy` value, as Drupal does.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "terms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub taxonomy: crate::enums::Taxonomy,
    /// Stable machine code: ISO 3166-1 alpha-2 for countries, a slug for regions and topics.
    pub code: String,
    /// For countries, the region they belong to.
    pub parent_id: Option<i32>,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
