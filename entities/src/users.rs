//! Editors, translators, reviewers, viewers and admins. Passwords are argon2id hashes.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// Lower-cased; unique.
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: crate::enums::Role,
    /// Comma-separated locale codes a translator or reviewer works in.
    pub locales: String,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
