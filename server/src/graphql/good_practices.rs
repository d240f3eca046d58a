//! Good-practice examples.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chorus_entities::{self as e, Taxonomy};
use chrono::{DateTime, Utc};

use super::connection::{self, FilterBuilder, Item, Listed, OrderDirection, load_all, unique};
use super::edit::Editable;
use super::ids::{self, NodeType};
use super::loader;
use super::loaders::GoodPracticeTopics;
use super::loaders::TermKey;
use super::localized::LocalizedFields;
use super::organizations::Organization;
use super::taxonomy::{Country, Region, Topic, terms};
use crate::content::Reader;
use crate::content::items::NewItem;
use crate::content::query::{Filter, SortField, SortValue};
use crate::content::{ContentType, good_practices};
use crate::error::AppError;
use async_graphql::Lookahead;
use futures_util::future::BoxFuture;

pub struct GoodPractice {
    model: Arc<e::good_practices::Model>,
    request: Arc<Reader>,
}

impl Item for GoodPractice {
    const TYPE: ContentType = ContentType::GoodPractice;
    const NODE: NodeType = NodeType::GoodPractice;
    type Model = e::good_practices::Model;

    fn new(model: Arc<Self::Model>, request: Arc<Reader>) -> Self {
        GoodPractice { model, request }
    }

    fn prefetch<'a>(
        ctx: &'a Context<'a>,
        models: Vec<Arc<Self::Model>>,
        selection: &'a Lookahead<'a>,
        request: &'a Arc<Reader>,
    ) -> BoxFuture<'a, async_graphql::Result<()>> {
        Box::pin(async move {
            let l = loader(ctx);
            let terms = async {
                let mut term_ids: Vec<i32> = Vec::new();
                if selection.field("topics").exists() {
                    let links = load_all(l, models.iter().map(|m| GoodPracticeTopics(m.id))).await?;
                    term_ids.extend(links.values().flat_map(|v| v.iter().copied()));
                }
                if selection.field("country").exists() {
                    term_ids.extend(models.iter().filter_map(|m| m.country_id));
                }
                if selection.field("region").exists() {
                    term_ids.extend(models.iter().filter_map(|m| m.region_id));
                }
                if !term_ids.is_empty() {
                    load_all(l, unique(term_ids).into_iter().map(TermKey)).await?;
                }
                Ok::<_, async_graphql::Error>(())
            };
            let organization = async {
                let sel = selection.field("organization");
                if sel.exists() {
                    let org_ids = unique(models.iter().filter_map(|m| m.organization_id));
                    connection::build_items::<Organization>(ctx, &org_ids, &sel, request).await?;
                }
                Ok(())
            };
            futures_util::try_join!(terms, organization)?;
            Ok(())
        })
    }
}

/// A good-practice example of community-led work.
#[Object]
impl GoodPractice {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::GoodPractice, self.model.id)
    }

    #[graphql(flatten)]
    async fn localized(&self, ctx: &Context<'_>) -> async_graphql::Result<LocalizedFields> {
        LocalizedFields::load(ctx, ContentType::GoodPractice, self.model.id, &self.model.source_locale, &self.request)
            .await
    }

    async fn year(&self) -> i32 {
        self.model.year
    }

    async fn source_locale(&self) -> &str {
        &self.model.source_locale
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    async fn country(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Country>> {
        let Some(id) = self.model.country_id else { return Ok(None) };
        Ok(terms(ctx, &[id]).await?.into_iter().next().map(|term| Country { term, request: self.request.clone() }))
    }

    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        let Some(id) = self.model.region_id else { return Ok(None) };
        Ok(terms(ctx, &[id]).await?.into_iter().next().map(|term| Region { term, request: self.request.clone() }))
    }

    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        let Some(id) = self.model.organization_id else { return Ok(None) };
        connection::related::<Organization>(ctx, id, &self.request).await
    }

    async fn topics(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Topic>> {
        let ids = connection::links(ctx, GoodPracticeTopics(self.model.id)).await?;
        Ok(terms(ctx, &ids).await?.into_iter().map(|term| Topic { term, request: self.request.clone() }).collect())
    }
}

/// Filters on good-practice examples: values within a field are alternatives; fields combine.
#[derive(InputObject, Default)]
pub struct GoodPracticeFilter {
    regions: Option<Vec<String>>,
    countries: Option<Vec<String>>,
    topics: Option<Vec<String>>,
    organizations: Option<Vec<ID>>,
    available_in: Option<Vec<String>>,
    year_from: Option<i32>,
    year_to: Option<i32>,
    /// The state of the working copy in a locale (with `preview: true` only).
    translation: Option<super::connection::TranslationFilter>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum GoodPracticeOrderField {
    #[default]
    Year,
    Title,
    UpdatedAt,
}

#[derive(InputObject)]
pub struct GoodPracticeOrder {
    field: GoodPracticeOrderField,
    direction: Option<OrderDirection>,
}

impl GoodPracticeFilter {
    fn into_filters(self, ctx: &Context<'_>) -> Result<Vec<Filter>, AppError> {
        let mut b = FilterBuilder::new(ctx);
        b.terms(Taxonomy::Region, self.regions, "regions")?;
        b.terms(Taxonomy::Country, self.countries, "countries")?;
        b.terms(Taxonomy::Topic, self.topics, "topics")?;
        b.organizations(self.organizations)?;
        b.available_in(self.available_in)?;
        b.push(self.year_from.map(|y| Filter::DateFrom(SortValue::Int(y))));
        b.push(self.year_to.map(|y| Filter::DateTo(SortValue::Int(y))));
        b.translation(self.translation)?;
        Ok(b.filters)
    }
}

impl Listed for GoodPractice {
    type Filter = GoodPracticeFilter;
    type Order = GoodPracticeOrder;

    fn filters(ctx: &Context<'_>, filter: GoodPracticeFilter) -> Result<Vec<Filter>, AppError> {
        filter.into_filters(ctx)
    }

    fn ordering(order: Option<GoodPracticeOrder>) -> crate::content::query::Ordering {
        let (field, direction) = order.map(|o| (o.field, o.direction)).unwrap_or_default();
        let field = match field {
            GoodPracticeOrderField::Year => SortField::Date,
            GoodPracticeOrderField::Title => SortField::Title,
            GoodPracticeOrderField::UpdatedAt => SortField::Updated,
        };
        connection::ordering(field, direction)
    }
}

item_queries!(
    GoodPracticeQuery,
    GoodPractice,
    GoodPracticeFilter,
    GoodPracticeOrder,
    /// Published good-practice examples.
    fn good_practices,
    /// One published good-practice example, by `id` or by `slug`.
    fn good_practice
);

/// A new good-practice example. Ids, statuses, timestamps and authors are never input.
#[derive(InputObject)]
pub struct CreateGoodPracticeInput {
    year: i32,
    /// ISO 3166-1 alpha-2 code.
    country: Option<String>,
    /// Region code.
    region: Option<String>,
    organization: Option<ID>,
    topics: Option<Vec<String>>,
    source_locale: String,
    /// The source-locale text; `title` is required.
    text: super::translate::TranslationInput,
}

/// Changes to a good-practice example's facts; absent fields keep their value, null clears.
#[derive(InputObject)]
pub struct UpdateGoodPracticeInput {
    year: Option<i32>,
    country: async_graphql::MaybeUndefined<String>,
    region: async_graphql::MaybeUndefined<String>,
    organization: async_graphql::MaybeUndefined<ID>,
    topics: Option<Vec<String>>,
}

item_mutations!(
    GoodPracticeMutation,
    GoodPractice,
    /// Creates a good-practice example with a draft in its source locale; returns its id.
    fn create_good_practice(CreateGoodPracticeInput),
    /// Changes a good-practice example's year, place, organisation and topics.
    fn update_good_practice(UpdateGoodPracticeInput)
);

impl Editable for GoodPractice {
    type Kind = good_practices::GoodPractices;
    type CreateInput = CreateGoodPracticeInput;
    type UpdateInput = UpdateGoodPracticeInput;

    fn new_item(input: CreateGoodPracticeInput) -> Result<NewItem<good_practices::NewGoodPractice>, AppError> {
        let facts = good_practices::NewGoodPractice {
            year: input.year,
            country: input.country,
            region: input.region,
            organization: connection::optional_id(input.organization, NodeType::Organization, "input.organization")?,
            topics: input.topics.unwrap_or_default(),
        };
        Ok(NewItem { facts, source_locale: input.source_locale, text: input.text.into() })
    }

    fn changes(input: UpdateGoodPracticeInput) -> Result<good_practices::GoodPracticeUpdate, AppError> {
        Ok(good_practices::GoodPracticeUpdate {
            year: input.year,
            country: connection::maybe(input.country),
            region: connection::maybe(input.region),
            organization: connection::maybe_id(input.organization, NodeType::Organization, "input.organization")?,
            topics: input.topics,
        })
    }
}
