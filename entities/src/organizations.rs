//! Networks and organisations: language-neutral facts; names live in `organization_translations`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: crate::enums::OrganizationKind,
    pub acronym: Option<String>,
    pub website: Option<String>,
    pub region_id: Option<i32>,
    pub parent_id: Option<i32>,
    pub source_locale: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
