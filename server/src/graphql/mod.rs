//! The public GraphQL API: thin resolvers over the content services.
//!
//! One file per domain, merged into one query root. Every localised object exposes the same
//! localisation fields (`localized.rs`); lists are Relay connections (`connection.rs`).

/// Runs `$body` with `$T` standing for the GraphQL type of the content type `$ty`: the one place
/// where GraphQL maps content types to its types.
macro_rules! with_item_type {
    ($ty:expr, $T:ident => $body:expr) => {
        match $ty {
            $crate::content::ContentType::Resource => {
                type $T = $crate::graphql::resources::Resource;
                $body
            }
            $crate::content::ContentType::GoodPractice => {
                type $T = $crate::graphql::good_practices::GoodPractice;
                $body
            }
            $crate::content::ContentType::Organization => {
                type $T = $crate::graphql::organizations::Organization;
                $body
            }
            $crate::content::ContentType::Programme => {
                type $T = $crate::graphql::programmes::Programme;
                $body
            }
        }
    };
}

/// The query root of a content type: its list (`connection::list`) and its single-item lookup
/// (`connection::single`), one call each; the arguments are the same for every type.
macro_rules! item_queries {
    ($root:ident, $T:ty,
     $(#[$list_doc:meta])* fn $list:ident, $(#[$single_doc:meta])* fn $single:ident) => {
        #[derive(Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {
            $(#[$list_doc])*
            #[graphql(complexity = "crate::graphql::page_complexity(first, last, child_complexity)")]
            #[allow(clippy::too_many_arguments)]
            async fn $list(
                &self,
                ctx: &async_graphql::Context<'_>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
                filter: Option<<$T as $crate::graphql::connection::Listed>::Filter>,
                order_by: Option<<$T as $crate::graphql::connection::Listed>::Order>,
                locale: Option<String>,
                #[graphql(desc = "Include drafts and versions in review (needs the right to read drafts).")]
                preview: Option<bool>,
            ) -> async_graphql::Result<$crate::graphql::connection::Connection<$T>> {
                let args = $crate::graphql::connection::ListArgs { first, after, last, before, locale, preview };
                $crate::graphql::connection::list::<$T>(ctx, args, filter, order_by).await
            }

            $(#[$single_doc])*
            async fn $single(
                &self,
                ctx: &async_graphql::Context<'_>,
                id: Option<async_graphql::ID>,
                slug: Option<String>,
                locale: Option<String>,
                preview: Option<bool>,
            ) -> async_graphql::Result<Option<$crate::graphql::plain::Plain<$T>>> {
                let item = $crate::graphql::connection::single::<$T>(ctx, id, slug, locale, preview).await?;
                Ok(item.map($crate::graphql::plain::Plain))
            }
        }
    };
}

/// A content type's GraphQL object (its model, the reader and its localised fields) and its
/// `Item` impl; `prefetch`, when given, is an async function loading the relations a selection
/// asks for (`Item::prefetch`); `; links: page_links, feed_links`, when given, the link tables a
/// page or a lookup reads with its rows and how they reach the loader (`Item::page_links`).
macro_rules! item_type {
    ($name:ident, $entity:ident, $variant:ident $(, $prefetch:path)? $(; links: $page_links:path, $feed_links:path)?) => {
        pub struct $name {
            model: std::sync::Arc<chorus_entities::$entity::Model>,
            request: std::sync::Arc<$crate::content::Reader>,
            /// Localised once, when the item is built: every flattened field reads it.
            fields: $crate::graphql::localized::LocalizedFields,
        }

        impl $crate::graphql::connection::Item for $name {
            const TYPE: $crate::content::ContentType = $crate::content::ContentType::$variant;
            const NODE: $crate::graphql::ids::NodeType = $crate::graphql::ids::NodeType::$variant;
            type Model = chorus_entities::$entity::Model;

            fn new(
                model: std::sync::Arc<Self::Model>,
                request: std::sync::Arc<$crate::content::Reader>,
                fields: $crate::graphql::localized::LocalizedFields,
            ) -> Self {
                $name { model, request, fields }
            }

            $(
            fn prefetch<'a>(
                ctx: &'a async_graphql::Context<'a>,
                models: Vec<std::sync::Arc<Self::Model>>,
                selection: &'a async_graphql::Lookahead<'a>,
                request: &'a std::sync::Arc<$crate::content::Reader>,
            ) -> futures_util::future::BoxFuture<'a, async_graphql::Result<()>> {
                Box::pin($prefetch(ctx, models, selection, request))
            }
            )?

            $(
            fn page_links(selection: &async_graphql::Lookahead<'_>) -> Vec<$crate::content::query::Link> {
                $page_links(selection)
            }

            fn feed_links<'a>(
                ctx: &'a async_graphql::Context<'a>,
                links: &'a [$crate::content::query::Link],
                rows: &'a [$crate::content::query::ItemRow],
            ) -> futures_util::future::BoxFuture<'a, async_graphql::Result<()>> {
                Box::pin($feed_links(ctx, links, rows))
            }
            )?
        }
    };
}

/// A type's order input and the enum of its order fields, each with the service field it sorts
/// by; the first is the default.
macro_rules! order_input {
    ($name:ident, $field:ident {
        $(#[$first_meta:meta])* $first:ident => $first_sort:ident
        $(, $(#[$meta:meta])* $variant:ident => $sort:ident)* $(,)?
    }) => {
        #[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Default)]
        pub enum $field {
            $(#[$first_meta])*
            #[default]
            $first,
            $($(#[$meta])* $variant,)*
        }

        impl $crate::graphql::connection::OrderField for $field {
            fn sort_field(self) -> $crate::content::query::SortField {
                match self {
                    Self::$first => $crate::content::query::SortField::$first_sort,
                    $(Self::$variant => $crate::content::query::SortField::$sort,)*
                }
            }
        }

        #[derive(async_graphql::InputObject)]
        pub struct $name {
            field: $field,
            /// Defaults to descending for dates, ascending for titles.
            direction: Option<$crate::graphql::connection::OrderDirection>,
        }

        impl $crate::graphql::connection::OrderInput for $name {
            type Field = $field;

            fn parts(self) -> ($field, Option<$crate::graphql::connection::OrderDirection>) {
                (self.field, self.direction)
            }
        }
    };
}

/// The mutation root of a content type: create and update, one call each (`graphql::edit`).
macro_rules! item_mutations {
    ($root:ident, $T:ty, $(#[$create_doc:meta])* fn $create:ident($create_input:ty),
     $(#[$update_doc:meta])* fn $update:ident($update_input:ty)) => {
        #[derive(Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {
            $(#[$create_doc])*
            async fn $create(
                &self,
                ctx: &async_graphql::Context<'_>,
                input: $create_input,
            ) -> async_graphql::Result<async_graphql::ID> {
                $crate::graphql::edit::create::<$T>(ctx, input).await
            }

            $(#[$update_doc])*
            async fn $update(
                &self,
                ctx: &async_graphql::Context<'_>,
                id: async_graphql::ID,
                input: $update_input,
            ) -> async_graphql::Result<async_graphql::ID> {
                $crate::graphql::edit::update::<$T>(ctx, id, input).await
            }
        }
    };
}

mod admin;
mod auth;
mod connection;
pub mod document;
mod documents;
mod edit;
pub mod error;
pub mod exchange;
mod good_practices;
pub mod ids;
mod loaders;
mod locales;
mod localized;
mod node;
mod organizations;
mod partners;
pub mod persisted;
mod plain;
mod programmes;
mod resources;
mod search;
mod taxonomy;
mod translate;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};

pub use loaders::{Loaders, loaders};
pub(crate) use search::encode_cursor as search_cursor;

use crate::content::Reader;
use crate::error::AppResult;
use crate::locale::RequestLocale;
use crate::state::AppState;

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    resources::ResourceQuery,
    good_practices::GoodPracticeQuery,
    organizations::OrganizationQuery,
    programmes::ProgrammeQuery,
    taxonomy::TaxonomyQuery,
    locales::LocaleQuery,
    node::NodeQuery,
    auth::AuthQuery,
    admin::AdminQuery,
    translate::TranslationQuery,
    translate::ProgressQuery,
    translate::HistoryQuery,
    admin::WebhookQuery,
    partners::PartnerKeyQuery,
    search::SearchQuery,
    exchange::ExchangeQuery,
);

/// Mutations: sent only by POST with `Content-Type: application/json` (the endpoint enforces it).
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutation,
    taxonomy::TaxonomyMutation,
    translate::TranslationMutation,
    resources::ResourceMutation,
    good_practices::GoodPracticeMutation,
    organizations::OrganizationMutation,
    programmes::ProgrammeMutation,
    admin::AdminMutation,
    admin::WebhookMutation,
    partners::PartnerKeyMutation,
    exchange::ExchangeMutation,
    documents::DocumentMutation,
);

pub type ChorusSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// The locale negotiated from the request's `Accept-Language` header, set by the HTTP layer.
#[derive(Clone, Debug)]
pub struct HeaderLocale(pub RequestLocale);

/// Builds the schema with the configured protection limits.
pub fn build_schema(state: AppState) -> ChorusSchema {
    let g = &state.config.graphql;
    PAGE_SIZES[0].store(g.default_page_size, Ordering::Relaxed);
    PAGE_SIZES[1].store(g.max_page_size, Ordering::Relaxed);
    let mut builder = schema_builder()
        // The depth limit is the endpoint's (`document::depth`), which counts a chain of
        // `ofType` fields once so that standard introspection queries pass.
        .limit_complexity(g.max_complexity)
        .limit_recursive_depth(g.max_recursive_depth)
        .limit_directives(g.max_directives);
    if !g.introspection {
        // Suggestions ("did you mean") would leak the schema that introspection hides.
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.data(state).finish()
}

/// The schema in SDL, as `chorus schema` prints it and `schema.graphql` keeps it.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The schema's types, with Chorus's own descriptions of the scalars it takes from libraries.
/// No extension: lists' objects write most fields in place (`plain.rs`), where an extension's
/// per-field hooks would not run.
fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(
            "A moment in time, as an RFC 3339 timestamp in UTC with its offset: \
             `2026-03-01T09:30:00.123456+00:00`. Input accepts any RFC 3339 offset (`Z`, `+01:00`).",
        )
        .override_output_type_description::<chrono::NaiveDate>(
            "A calendar day, ISO 8601 `YYYY-MM-DD` (`2025-06-01`), with no time or time zone: \
             a publication date, or the bounds of a date filter.",
        )
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

pub(crate) fn loader<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

/// The request locale: the `locale` argument when given, else `Accept-Language`, else default;
/// with `preview: true`, drafts become visible to a caller allowed to read them.
pub(crate) fn request_locale(ctx: &Context<'_>, locale: Option<&str>, preview: Option<bool>) -> AppResult<Arc<Reader>> {
    let locales = &state(ctx).locales;
    let request = match locale {
        Some(raw) => locales.request(raw).map_err(|e| crate::error::AppError::bad_input(e.to_string()))?,
        None => match ctx.data_opt::<HeaderLocale>() {
            Some(h) => h.0.clone(),
            None => locales.default_request(),
        },
    };
    let mut reader = Reader::public(request);
    if preview == Some(true) {
        let principal = auth::principal(ctx)?;
        if !crate::auth::policy::allows(principal, &crate::auth::Action::ReadDrafts) {
            return Err(crate::error::AppError::Forbidden("preview needs the right to read drafts".into()));
        }
        reader.visibility = crate::content::Visibility::Preview;
    }
    Ok(Arc::new(reader))
}

/// The configured list page sizes (default, largest), published when the schema is built:
/// async-graphql computes a field's complexity in a function that sees only its arguments.
static PAGE_SIZES: [AtomicU32; 2] = [AtomicU32::new(20), AtomicU32::new(100)];

/// Complexity of a connection field: its page size (`graphql.default_page_size` when not given,
/// at most `graphql.max_page_size`) times the cost of one node.
pub(crate) fn page_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let [default, max] = [&PAGE_SIZES[0], &PAGE_SIZES[1]].map(|a| a.load(Ordering::Relaxed) as i32);
    let n = first.or(last).unwrap_or(default).clamp(1, max.max(1)) as usize;
    n.saturating_mul(child).saturating_add(1)
}
