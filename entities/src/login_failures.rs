//! One login attempt that counts against an account (reserved before the password is checked,
//! kept when it fails): a keyed hash of the email and the time. No address is ever stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// HMAC-SHA256 of the normalised email under the installation's `login` secret.
    pub account: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
