//! The titles of the working copies each item is listed under in preview (editors' lists), kept
//! per locale chain as `title_order` keeps the published ones, so that an editor's list by title
//! seeks an index too.
//!
//! Same shape as `title_order`: one row per item visible in preview (a working copy that is not
//! archived) and configured locale, the collation key of its first such working copy along that
//! locale's chain. Derived data, made by the server: the migration creates the table empty and
//! empties `title_order_chains`, so that the next server to start rebuilds both tables.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, index, n, sort_key, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(n("title_order_preview"))
                    .col(string("item_type"))
                    .col(string("locale"))
                    .col(ColumnDef::new(n("item_id")).integer().not_null())
                    .col(sort_key(manager.get_database_backend()))
                    .primary_key(Index::create().col(n("item_type")).col(n("locale")).col(n("item_id")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("title_order_preview", &["item_type", "locale", "sort_key", "item_id"], true))
            .await?;
        manager.get_connection().execute_unprepared("DELETE FROM title_order_chains").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The published titles were made together with these: rebuilt at the next start.
        manager.get_connection().execute_unprepared("DELETE FROM title_order_chains").await?;
        drop_tables(manager, &["title_order_preview"]).await
    }
}
