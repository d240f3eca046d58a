//! The topics a good-practice example is about.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "good_practice_topics")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub good_practice_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub term_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
