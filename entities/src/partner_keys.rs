//! Partner keys: what a partner site's embedded search may find, from which origins, how fast.
//! The key itself is shown once (at creation and rotation) and stored as SHA-256.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub description: String,
    /// The first characters of the key (`pk_` and 8 more), to recognise it in lists and logs.
    pub key_prefix: String,
    pub key_hash: String,
    /// Allowed origins (`https://partner.example`), one per line.
    pub origins: String,
    /// The scope, each a comma-separated list; empty means no restriction on that dimension.
    pub locales: String,
    pub regions: String,
    pub kinds: String,
    pub topics: String,
    /// Programme ids.
    pub programmes: String,
    pub rate_per_minute: i32,
    pub burst: i32,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub rotated_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
