//! Good-practice examples.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, ScalarType, Value};
use chorus_entities::{self as e, Taxonomy};
use chrono::{DateTime, Utc};

use super::connection::{self, FilterBuilder, Listed, unique};
use super::edit::Editable;
use super::ids::{self, NodeType};
use super::loaders::GoodPracticeTopics;
use super::localized::LocalizedFields;
use super::organizations::Organization;
use super::plain::{Plain, PlainFields};
use super::taxonomy::{Country, Region, Topic, term, term_list};
use crate::content::Reader;
use crate::content::good_practices;
use crate::content::items::NewItem;
use crate::content::query::{Filter, SortValue};
use crate::error::AppError;
use async_graphql::Lookahead;

item_type!(GoodPractice, good_practices, GoodPractice, prefetch);

/// Loads, one batch per relation, the relations of good-practice examples that `selection` asks for.
async fn prefetch<'a>(
    ctx: &'a Context<'a>,
    models: Vec<Arc<e::good_practices::Model>>,
    selection: &'a Lookahead<'a>,
    request: &'a Arc<Reader>,
) -> async_graphql::Result<()> {
    let terms = async {
        let mut ids = Vec::new();
        if selection.field("topics").exists() {
            ids = connection::linked(ctx, models.iter().map(|m| GoodPracticeTopics(m.id))).await?;
        }
        if selection.field("country").exists() {
            ids.extend(models.iter().filter_map(|m| m.country_id));
        }
        if selection.field("region").exists() {
            ids.extend(models.iter().filter_map(|m| m.region_id));
        }
        connection::prefetch_terms(ctx, ids).await
    };
    let organization = connection::prefetch::<Organization>(ctx, selection, "organization", request, async {
        Ok(unique(models.iter().filter_map(|m| m.organization_id)))
    });
    futures_util::try_join!(terms, organization)?;
    Ok(())
}

/// A good-practice example of community-led work.
#[Object]
impl GoodPractice {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::GoodPractice, self.model.id)
    }

    #[graphql(flatten)]
    async fn localized(&self) -> &LocalizedFields {
        &self.fields
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

    async fn country(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Country>>> {
        term(ctx, self.model.country_id, &self.request).await
    }

    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Region>>> {
        term(ctx, self.model.region_id, &self.request).await
    }

    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Organization>>> {
        Ok(connection::related::<Organization>(ctx, self.model.organization_id, &self.request).await?.map(Plain))
    }

    async fn topics(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Topic>>> {
        let ids = connection::links(ctx, GoodPracticeTopics(self.model.id)).await?;
        term_list(ctx, &ids, &self.request).await
    }
}

impl PlainFields for GoodPractice {
    fn plain_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "id" => Value::String(ids::encode(NodeType::GoodPractice, self.model.id).0),
            "year" => self.model.year.to_value(),
            "sourceLocale" => Value::String(self.model.source_locale.clone()),
            "updatedAt" => self.model.updated_at.to_value(),
            _ => return self.fields.plain_field(name),
        })
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

order_input!(GoodPracticeOrder, GoodPracticeOrderField { Year => Date, Title => Title, UpdatedAt => Updated });

impl Listed for GoodPractice {
    type Filter = GoodPracticeFilter;
    type Order = GoodPracticeOrder;

    fn filters(ctx: &Context<'_>, filter: GoodPracticeFilter) -> Result<Vec<Filter>, AppError> {
        let mut b = FilterBuilder::new(ctx);
        b.terms(Taxonomy::Region, filter.regions, "regions")?;
        b.terms(Taxonomy::Country, filter.countries, "countries")?;
        b.terms(Taxonomy::Topic, filter.topics, "topics")?;
        b.organizations(filter.organizations)?;
        b.available_in(filter.available_in)?;
        b.push(filter.year_from.map(|y| Filter::DateFrom(SortValue::Int(y))));
        b.push(filter.year_to.map(|y| Filter::DateTo(SortValue::Int(y))));
        b.translation(filter.translation)?;
        Ok(b.filters)
    }
}

item_queries!(
    GoodPracticeQuery,
    GoodPractice,
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
