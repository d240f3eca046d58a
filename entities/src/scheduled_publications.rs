//! A locale version to publish at a given time, on behalf of the user who scheduled it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_publications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub entity: String,
    pub entity_id: i32,
    pub locale: String,
    pub publish_at: DateTimeUtc,
    pub user_id: i32,
    /// Set when a process takes the job; a stale claim (crash) is taken again.
    pub claimed_at: Option<DateTimeUtc>,
    pub done_at: Option<DateTimeUtc>,
    /// `published`, or why it could not be.
    pub outcome: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
