//! The shape shared by every `*_translations` table.

/// Declares a translation entity module: per (item, locale), a working row and, once published,
/// a live row (`version`).
///
/// `title` is required (it names the item and orders lists); `summary` is plain text; `body` is
/// sanitised HTML; `sort_key` is the collation key of `title` in the row's locale, so that lists
/// ordered by title page identically on SQLite and PostgreSQL; `source_hashes` is a JSON object
/// mapping each localised field to the hash of the source-locale text this row was made from.
macro_rules! translation_entity {
    ($module:ident, $table:literal) => {
        pub mod $module {
            //! One row per (item, locale) with the localised fields of the item.
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                pub item_id: i32,
                pub locale: String,
                pub status: crate::enums::PublicationStatus,
                pub title: String,
                pub summary: String,
                pub body: String,
                pub slug: String,
                pub sort_key: String,
                pub source_hashes: String,
                pub created_at: DateTimeUtc,
                pub updated_at: DateTimeUtc,
                pub published_at: Option<DateTimeUtc>,
                pub version: crate::enums::TranslationVersion,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}
