//! The multilingual content model: taxonomies, organisations, programmes, resources and
//! good-practice examples, each with a translations table keyed by (item, locale).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::builders::{
    drop_tables, fk, index, int, int_null, n, pk, sort_key, string, string_null, table, text, timestamp, timestamp_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables in creation order; `down` drops them in reverse.
const TABLES: &[&str] = &[
    "terms",
    "term_labels",
    "organizations",
    "organization_translations",
    "programmes",
    "programme_translations",
    "programme_funders",
    "resources",
    "resource_translations",
    "resource_terms",
    "resource_organizations",
    "good_practices",
    "good_practice_translations",
    "good_practice_topics",
];

/// The base-table columns every content type shares.
fn content_table(table: &str) -> TableCreateStatement {
    Table::create()
        .table(n(table))
        .col(pk("id"))
        .col(string("source_locale"))
        .col(timestamp("created_at"))
        .col(timestamp("updated_at"))
        .to_owned()
}

fn translation_table(table: &str, parent: &str, backend: DatabaseBackend) -> TableCreateStatement {
    Table::create()
        .table(n(table))
        .col(pk("id"))
        .col(int("item_id"))
        .col(string("locale"))
        .col(string("status"))
        .col(text("title"))
        .col(text("summary"))
        .col(text("body"))
        .col(string("slug"))
        .col(sort_key(backend))
        .col(text("source_hashes"))
        .col(timestamp("created_at"))
        .col(timestamp("updated_at"))
        .col(timestamp_null("published_at"))
        .foreign_key(&mut fk(table, "item_id", parent, ForeignKeyAction::Cascade))
        .to_owned()
}

fn link_table(table: &str, cols: [(&str, &str); 2], extra: Option<&str>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(n(table));
    let mut key = Index::create();
    for (col, parent) in cols {
        t.col(int(col));
        t.foreign_key(&mut fk(table, col, parent, ForeignKeyAction::Cascade));
        key.col(n(col));
    }
    if let Some(extra) = extra {
        t.col(string(extra));
        key.col(n(extra));
    }
    t.primary_key(&mut key);
    t.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let set_null = ForeignKeyAction::SetNull;

        let terms = table!("terms", id: pk, taxonomy: string, code: string, parent_id: int_null, position: int;
            fk("terms", "parent_id", "terms", set_null));
        manager.create_table(terms).await?;
        manager
            .create_table(
                Table::create()
                    .table(n("term_labels"))
                    .col(pk("id"))
                    .col(int("term_id"))
                    .col(string("locale"))
                    .col(text("label"))
                    .col(sort_key(backend))
                    .foreign_key(&mut fk("term_labels", "term_id", "terms", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;

        let mut organizations = content_table("organizations");
        organizations
            .col(string("kind"))
            .col(string_null("acronym"))
            .col(string_null("website"))
            .col(int_null("region_id"))
            .col(int_null("parent_id"))
            .foreign_key(&mut fk("organizations", "region_id", "terms", set_null))
            .foreign_key(&mut fk("organizations", "parent_id", "organizations", set_null));
        manager.create_table(organizations).await?;
        manager.create_table(translation_table("organization_translations", "organizations", backend)).await?;

        let mut programmes = content_table("programmes");
        programmes.col(int("start_year")).col(int_null("end_year"));
        manager.create_table(programmes).await?;
        manager.create_table(translation_table("programme_translations", "programmes", backend)).await?;
        manager
            .create_table(link_table(
                "programme_funders",
                [("programme_id", "programmes"), ("organization_id", "organizations")],
                None,
            ))
            .await?;

        let mut resources = content_table("resources");
        resources
            .col(string("kind"))
            .col(ColumnDef::new(n("published_on")).date().not_null())
            .col(int_null("programme_id"))
            .foreign_key(&mut fk("resources", "programme_id", "programmes", set_null));
        manager.create_table(resources).await?;
        manager.create_table(translation_table("resource_translations", "resources", backend)).await?;
        manager
            .create_table(link_table("resource_terms", [("resource_id", "resources"), ("term_id", "terms")], None))
            .await?;
        manager
            .create_table(link_table(
                "resource_organizations",
                [("resource_id", "resources"), ("organization_id", "organizations")],
                Some("role"),
            ))
            .await?;

        let mut good_practices = content_table("good_practices");
        good_practices
            .col(int("year"))
            .col(int_null("country_id"))
            .col(int_null("region_id"))
            .col(int_null("organization_id"))
            .foreign_key(&mut fk("good_practices", "country_id", "terms", set_null))
            .foreign_key(&mut fk("good_practices", "region_id", "terms", set_null))
            .foreign_key(&mut fk("good_practices", "organization_id", "organizations", set_null));
        manager.create_table(good_practices).await?;
        manager.create_table(translation_table("good_practice_translations", "good_practices", backend)).await?;
        manager
            .create_table(link_table(
                "good_practice_topics",
                [("good_practice_id", "good_practices"), ("term_id", "terms")],
                None,
            ))
            .await?;

        let indexes = [
            index("terms", &["taxonomy", "code"], true),
            index("terms", &["parent_id"], false),
            index("term_labels", &["term_id", "locale"], true),
            index("organizations", &["parent_id"], false),
            index("organizations", &["updated_at", "id"], false),
            index("programmes", &["start_year", "id"], false),
            index("programmes", &["updated_at", "id"], false),
            index("resources", &["published_on", "id"], false),
            index("resources", &["updated_at", "id"], false),
            index("resources", &["programme_id"], false),
            index("resource_terms", &["term_id"], false),
            index("resource_organizations", &["organization_id"], false),
            index("good_practices", &["year", "id"], false),
            index("good_practices", &["updated_at", "id"], false),
            index("good_practice_topics", &["term_id"], false),
        ];
        for idx in indexes {
            manager.create_index(idx).await?;
        }
        for table in [
            "organization_translations",
            "programme_translations",
            "resource_translations",
            "good_practice_translations",
        ] {
            manager.create_index(index(table, &["item_id", "locale"], true)).await?;
            manager.create_index(index(table, &["locale", "slug"], true)).await?;
            manager.create_index(index(table, &["status", "item_id"], false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables: Vec<&str> = TABLES.iter().rev().copied().collect();
        drop_tables(manager, &tables).await
    }
}
