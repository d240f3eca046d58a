//! Per-language documents (a PDF, an EPUB, a recording...) of an item: the file's facts and
//! where its bytes are in the object store (keyed by content hash, so the same bytes are stored
//! once), and the text extracted from it for search.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, fk, index, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table!("documents",
                id: pk, entity: string, item_id: int, locale: string, title: string_null,
                file_name: string, mime_type: string, size: big, sha256: string, storage_key: string,
                pages: int_null, text_status: string, text: text_null, text_error: string_null,
                text_claimed_at: timestamp_null, uploaded_by: int_null,
                created_at: timestamp, updated_at: timestamp;
                fk("documents", "uploaded_by", "users", ForeignKeyAction::SetNull)))
            .await?;
        manager.create_index(index("documents", &["entity", "item_id", "locale", "sha256"], true)).await?;
        manager.create_index(index("documents", &["storage_key"], false)).await?;
        manager.create_index(index("documents", &["text_status"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["documents"]).await
    }
}
