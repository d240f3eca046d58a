//! A programme's resources in date and update order by index: `(programme_id, published_on, id)`
//! and `(programme_id, updated_at, id)` replace the index of `programme_id` alone (their first
//! column serves what it served: the foreign key, counts by programme).
//!
//! A programme's page listed its resources by walking the whole list's date index and skipping
//! other programmes' rows, reading each one: on SQLite, which plans without looking at the
//! programme, about six rows per item shown for a programme with a sixth of the resources. With
//! the programme first, the cursor seeks inside that programme's entries.

use sea_orm_migration::prelude::*;

use crate::builders::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ORDERS: [[&str; 3]; 2] = [["programme_id", "published_on", "id"], ["programme_id", "updated_at", "id"]];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for columns in ORDERS {
            manager.create_index(index("resources", &columns, false)).await?;
        }
        manager
            .drop_index(Index::drop().name("idx_resources_programme_id").table(Alias::new("resources")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("resources", &["programme_id"], false)).await?;
        for columns in ORDERS {
            let name = format!("idx_resources_{}", columns.join("_"));
            manager.drop_index(Index::drop().name(name).table(Alias::new("resources")).to_owned()).await?;
        }
        Ok(())
    }
}
