//! The content services: framework-free rules for reading the multilingual content model.
//!
//! GraphQL, the CLI and (later) REST call these functions; nothing here knows about GraphQL or
//! HTTP. `query` lists items with filters, ordering and keyset paging; `load` fetches rows in
//! batches for the data loaders; `localize` picks, field by field, the text to serve along a
//! locale chain; `text` holds the write-side text rules.

pub mod documents;
pub mod good_practices;
pub mod items;
pub mod labels;
pub mod load;
pub mod localize;
pub mod organizations;
pub mod programmes;
pub mod query;
pub mod reference;
pub mod resources;
pub mod schedule;
pub mod terms;
pub mod text;
pub mod title_order;
pub mod translate;
pub mod translations;

use chorus_entities as e;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use futures_util::future::BoxFuture;
use sea_orm::DatabaseConnection;

use crate::error::AppResult;
use crate::locale::RequestLocale;
use crate::write::Notify;

/// Who reads, for a content read: the locale chain the request resolved to and which versions it
/// may see (preview only after an authorisation check). Reads through to the locale request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub locale: RequestLocale,
    pub visibility: Visibility,
}

impl Reader {
    /// A public reader in `locale`.
    pub fn public(locale: RequestLocale) -> Reader {
        Reader { locale, visibility: Visibility::Public }
    }
}

impl std::ops::Deref for Reader {
    type Target = RequestLocale;

    fn deref(&self) -> &RequestLocale {
        &self.locale
    }
}

/// Which locale versions a read may see.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Visibility {
    /// Published versions only: the public API, always.
    #[default]
    Public,
    /// Drafts and versions in review as well (authenticated preview; never archived ones).
    Preview,
}

impl Visibility {
    /// The condition a translation row (under `table`, a name or alias) must meet: the public
    /// reads live copies; preview reads working copies that are not archived.
    pub fn condition(self, table: &str) -> sea_orm::sea_query::Expr {
        use e::PublicationStatus::*;
        use sea_orm::sea_query::{Alias, Expr, ExprTrait};
        let c = |column: &str| Expr::col((Alias::new(table), Alias::new(column)));
        match self {
            Visibility::Public => c("version").eq(e::TranslationVersion::Live).and(c("status").eq(Published)),
            Visibility::Preview => {
                c("version").eq(e::TranslationVersion::Working).and(c("status").is_in([Draft, InReview, Published]))
            }
        }
    }
}

/// The content types with localised fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentType {
    Resource,
    GoodPractice,
    Organization,
    Programme,
}

/// What the content services need from the application that runs them: the database, the
/// configured locales, and whom to tell once a write is committed (`write::Notify`). The
/// server's `AppState` provides it; the services never see the rest of it.
pub trait Services: Notify + Sync {
    fn db(&self) -> &DatabaseConnection;
    fn locales(&self) -> &crate::locale::Locales;
}

/// The facts of a content type that the shared mechanisms (listing, loading, workflow,
/// revisions, search) need; each type's home declares its own (`resources::DESCRIPTOR`...).
#[derive(Debug)]
pub struct Descriptor {
    /// The name in the change log, the audit log, revisions and the search index.
    pub entity: &'static str,
    pub base_table: &'static str,
    pub translation_table: &'static str,
    /// The column ordering items "by date", when the type has one.
    pub date: Option<DateColumn>,
    /// Whether translation progress counts this type per `kind` (`resource:report`...).
    pub progress_by_kind: bool,
    /// The condition of a filter only this type has (links, parents, funders...); `None` when
    /// the filter does not apply to the type. Filters every type shares are in `query`.
    pub filter: fn(&query::Filter, sea_orm::DbBackend) -> Option<sea_orm::sea_query::Expr>,
    /// The facts of items that search indexes as facets, by id.
    pub search_facts: SearchFactsFn,
}

/// The column that dates a content type's items.
#[derive(Debug, Clone, Copy)]
pub enum DateColumn {
    /// A calendar day.
    Day(&'static str),
    /// A year, as an integer.
    Year(&'static str),
}

impl Descriptor {
    /// A type's descriptor, undated and with progress counted per type.
    pub const fn new(
        entity: &'static str,
        base_table: &'static str,
        translation_table: &'static str,
        filter: fn(&query::Filter, sea_orm::DbBackend) -> Option<sea_orm::sea_query::Expr>,
        search_facts: SearchFactsFn,
    ) -> Descriptor {
        Descriptor { entity, base_table, translation_table, date: None, progress_by_kind: false, filter, search_facts }
    }

    /// Items are ordered "by date" by this column.
    pub const fn dated(self, date: DateColumn) -> Descriptor {
        Descriptor { date: Some(date), ..self }
    }

    /// Translation progress counts this type per `kind`.
    pub const fn progress_by_kind(self) -> Descriptor {
        Descriptor { progress_by_kind: true, ..self }
    }
}

/// Loads the search facts of items by id (one batch per relation).
pub type SearchFactsFn =
    for<'a> fn(&'a DatabaseConnection, &'a [i32]) -> BoxFuture<'a, AppResult<HashMap<i32, SearchFacts>>>;

/// The facts of an item that its search documents carry, shared by all its locale versions.
#[derive(Clone, Debug, Default)]
pub struct SearchFacts {
    /// The stored kind value.
    pub kind: Option<String>,
    /// Linked taxonomy terms (regions, countries, topics).
    pub terms: Vec<i32>,
    pub organizations: Vec<i64>,
    pub programme: Option<i64>,
    pub year: Option<i64>,
    pub date: Option<NaiveDate>,
}

impl SearchFacts {
    /// The facts of an item dated by a year (filed under its first day).
    pub fn of_year(year: i32) -> SearchFacts {
        SearchFacts { year: Some(i64::from(year)), date: NaiveDate::from_ymd_opt(year, 1, 1), ..Default::default() }
    }

    /// The facts of an item dated by a day.
    pub fn of_day(date: NaiveDate) -> SearchFacts {
        SearchFacts { year: Some(i64::from(date.year())), date: Some(date), ..Default::default() }
    }
}

impl ContentType {
    pub const ALL: [ContentType; 4] =
        [ContentType::Resource, ContentType::GoodPractice, ContentType::Organization, ContentType::Programme];

    /// The type's descriptor, from its home in `content/`.
    pub fn descriptor(self) -> &'static Descriptor {
        match self {
            ContentType::Resource => &resources::DESCRIPTOR,
            ContentType::GoodPractice => &good_practices::DESCRIPTOR,
            ContentType::Organization => &organizations::DESCRIPTOR,
            ContentType::Programme => &programmes::DESCRIPTOR,
        }
    }

    /// The type whose entity name is `entity`.
    pub fn from_entity(entity: &str) -> Option<ContentType> {
        ContentType::ALL.into_iter().find(|t| t.entity() == entity)
    }

    pub fn entity(self) -> &'static str {
        self.descriptor().entity
    }

    pub fn base_table(self) -> &'static str {
        self.descriptor().base_table
    }

    pub fn translation_table(self) -> &'static str {
        self.descriptor().translation_table
    }

    /// The column ordering items "by date", when the type has one.
    pub fn date_column(self) -> Option<&'static str> {
        self.descriptor().date.map(|(DateColumn::Day(c) | DateColumn::Year(c))| c)
    }
}

/// One locale version of an item, whatever its type, without its body: lists rarely show
/// bodies, and bodies are most of the bytes (they are loaded apart, when asked for).
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct Translation {
    pub item_id: i32,
    pub locale: String,
    pub status: e::PublicationStatus,
    pub title: String,
    pub summary: String,
    pub slug: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The body of one locale version.
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct Body {
    pub item_id: i32,
    pub locale: String,
    pub body: String,
}

/// A taxonomy term with all its labels.
#[derive(Clone, Debug)]
pub struct Term {
    pub id: i32,
    pub taxonomy: e::Taxonomy,
    pub code: String,
    pub parent_id: Option<i32>,
    pub position: i32,
    /// (locale, label, sort key)
    pub labels: Vec<(String, String, String)>,
}

impl Term {
    /// The label along a locale chain, with the locale it was found in; the code when no label
    /// exists in any configured locale.
    pub fn label<'a>(&'a self, chain: &[String]) -> (&'a str, Option<&'a str>, &'a str) {
        for locale in chain {
            if let Some((l, label, key)) = self.labels.iter().find(|(l, _, _)| l == locale) {
                return (label, Some(l), key);
            }
        }
        (&self.code, None, &self.code)
    }
}
