//! Reports of translation-file imports: what a file held and what became of each unit, kept so
//! an editor can read them again (`importReport(id)`) and find them per item.

use sea_orm_migration::prelude::*;

use crate::builders::{drop_tables, fk, index, table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(table!("import_reports",
                id: pk, created_at: timestamp, user_id: int_null, display_name: string,
                file_name: string, format: string, dry_run: flag, outcome: string,
                in_file: int, accepted: int, unchanged: int, needs_review: int, rejected: int, missing: int,
                entries: text;
                fk("import_reports", "user_id", "users", ForeignKeyAction::SetNull)))
            .await?;
        manager
            .create_table(table!("import_report_items",
                id: pk, report_id: int, entity: string, item_id: int;
                fk("import_report_items", "report_id", "import_reports", ForeignKeyAction::Cascade)))
            .await?;
        manager.create_index(index("import_report_items", &["entity", "item_id"], false)).await?;
        manager.create_index(index("import_report_items", &["report_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["import_report_items", "import_reports"]).await
    }
}
