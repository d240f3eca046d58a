//! Working copies and live copies: each (item, locale) has a working row, edited by editors and
//! translators and moved through draft → in review, and, once published, a live row that the
//! public API reads. Publishing copies the working row to the live row; editing never touches
//! the live row, so a published text stays online, unchanged, until the next publication.

use sea_orm_migration::prelude::*;

use crate::builders::{col, index, n};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 4] =
    ["resource_translations", "good_practice_translations", "organization_translations", "programme_translations"];

const COLUMNS: &str = "item_id, locale, status, title, summary, body, slug, sort_key, source_hashes, created_at, updated_at, published_at";

fn drop_index(table: &str, cols: &[&str]) -> IndexDropStatement {
    Index::drop().name(format!("idx_{table}_{}", cols.join("_"))).table(n(table)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(n(table))
                        .add_column(col("version").string().not_null().default("working"))
                        .to_owned(),
                )
                .await?;
            manager.drop_index(drop_index(table, &["item_id", "locale"])).await?;
            manager.drop_index(drop_index(table, &["locale", "slug"])).await?;
            manager.drop_index(drop_index(table, &["status", "item_id"])).await?;
            // What was published until now becomes the live copy of its working copy.
            db.execute_unprepared(&format!(
                "INSERT INTO {table} ({COLUMNS}, version) SELECT {COLUMNS}, 'live' FROM {table} WHERE status = 'published'"
            ))
            .await?;
            manager.create_index(index(table, &["item_id", "locale", "version"], true)).await?;
            manager.create_index(index(table, &["locale", "slug", "version"], true)).await?;
            manager.create_index(index(table, &["version", "status", "item_id"], false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLES {
            manager.drop_index(drop_index(table, &["item_id", "locale", "version"])).await?;
            manager.drop_index(drop_index(table, &["locale", "slug", "version"])).await?;
            manager.drop_index(drop_index(table, &["version", "status", "item_id"])).await?;
            // The working copy, with its status, is what the earlier schema kept.
            db.execute_unprepared(&format!("DELETE FROM {table} WHERE version = 'live'")).await?;
            manager.alter_table(Table::alter().table(n(table)).drop_column(n("version")).to_owned()).await?;
            manager.create_index(index(table, &["item_id", "locale"], true)).await?;
            manager.create_index(index(table, &["locale", "slug"], true)).await?;
            manager.create_index(index(table, &["status", "item_id"], false)).await?;
        }
        Ok(())
    }
}
