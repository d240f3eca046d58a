//! The title each item is listed under, per locale chain, so that a list ordered by title seeks an
//! index like the date and update orders do.
//!
//! An item's title in a request's language is the collation key of its first published version
//! along the request's fallback chain, then in its source locale, then in configured order: a
//! value of the chain, not of one version, that no index over the versions can serve. The server
//! keeps one row per visible item and configured locale (the head of that locale's chain), in the
//! write transaction of every change to the item, and `title_order_chains` records the chain each
//! locale's rows were made for, so that a change of configuration rebuilds them at start. The rows
//! are derived data: the server makes them from the versions, and this migration creates them
//! empty.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, index, n, sort_key, string, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("title_order"))
                    .col(string("item_type"))
                    .col(string("locale"))
                    .col(ColumnDef::new(n("item_id")).integer().not_null())
                    // Compared byte-wise, as the versions' `sort_key`.
                    .col(sort_key(manager.get_database_backend()))
                    .primary_key(Index::create().col(n("item_type")).col(n("locale")).col(n("item_id")))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("title_order", &["item_type", "locale", "sort_key", "item_id"], true)).await?;
        manager.create_table(table!("title_order_chains", locale: string_pk, chain: string)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["title_order_chains", "title_order"]).await
    }
}
