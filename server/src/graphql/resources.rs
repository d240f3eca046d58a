//! Resources: the advocacy tools and publications.

use std::sync::Arc;

use async_graphql::resolver_utils::enum_value;
use async_graphql::{Context, Enum, ID, InputObject, Object, ScalarType, Value};
use chorus_entities::{self as e, Taxonomy};
use chrono::{DateTime, NaiveDate, Utc};

use super::connection::{self, FilterBuilder, Listed, load_all, unique};
use super::edit::Editable;
use super::error::IntoGql;
use super::ids::{self, NodeType};
use super::loader;
use super::loaders::{ResourceOrganizations, ResourceTerms};
use super::localized::LocalizedFields;
use super::organizations::Organization;
use super::plain::{Plain, PlainFields};
use super::programmes::Programme;
use super::taxonomy::{Country, Region, Topic, of_taxonomy, terms, wrap};
use crate::content::Reader;
use crate::content::items::NewItem;
use crate::content::query::{Filter, ItemRow, Link, SortValue};
use crate::content::resources;
use crate::error::AppError;
use async_graphql::Lookahead;

/// What kind of publication a resource is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chorus_entities::ResourceKind")]
pub enum ResourceKind {
    AdvocacyTool,
    Guide,
    Toolkit,
    BriefingPaper,
    PolicyBrief,
    Report,
    CaseStudy,
    Statement,
    CommunityGuide,
    Video,
    Other,
}

/// The part an organisation played in a resource.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chorus_entities::OrganizationRole")]
pub enum OrganizationRole {
    Author,
    Publisher,
}

item_type!(Resource, resources, Resource, prefetch; links: page_links, feed_links);

/// The links a page of resources reads with its list statement, for the node's selection.
fn page_links(selection: &Lookahead<'_>) -> Vec<Link> {
    let mut links = Vec::new();
    if selects_terms(selection) {
        links.push(resources::TERM_LINKS);
    }
    if selection.field("organizations").exists() {
        links.push(resources::ORGANIZATION_LINKS);
    }
    links
}

/// Whether the selection shows any of the resource's terms.
fn selects_terms(selection: &Lookahead<'_>) -> bool {
    ["regions", "countries", "topics"].iter().any(|f| selection.field(f).exists())
}

/// Puts the links a page read (`page_links`) where `prefetch` and the resolvers look for them.
async fn feed_links(ctx: &Context<'_>, links: &[Link], rows: &[ItemRow]) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    if links.contains(&resources::TERM_LINKS) {
        let mut fed = Vec::with_capacity(rows.len());
        for r in rows {
            fed.push((ResourceTerms(r.id), Arc::from(resources::term_links(&r.row).gql()?)));
        }
        loader.feed_many(fed).await;
    }
    if links.contains(&resources::ORGANIZATION_LINKS) {
        let mut fed = Vec::with_capacity(rows.len());
        for r in rows {
            fed.push((ResourceOrganizations(r.id), Arc::from(resources::organization_links(&r.row).gql()?)));
        }
        loader.feed_many(fed).await;
    }
    Ok(())
}

/// Loads, one batch per relation, the terms, organisations and programmes of resources that `selection` asks for.
async fn prefetch<'a>(
    ctx: &'a Context<'a>,
    models: Vec<Arc<e::resources::Model>>,
    selection: &'a Lookahead<'a>,
    request: &'a Arc<Reader>,
) -> async_graphql::Result<()> {
    let terms = async {
        if selects_terms(selection) {
            let ids = connection::linked(ctx, models.iter().map(|m| ResourceTerms(m.id))).await?;
            connection::prefetch_terms(ctx, ids).await?;
        }
        Ok(())
    };
    let organizations = connection::prefetch::<Organization>(ctx, selection, "organizations", request, async {
        let links = load_all(loader(ctx), models.iter().map(|m| ResourceOrganizations(m.id))).await?;
        Ok(unique(links.values().flat_map(|v| v.iter().map(|(id, _)| *id))))
    });
    let programme = connection::prefetch::<Programme>(ctx, selection, "programme", request, async {
        Ok(unique(models.iter().filter_map(|m| m.programme_id)))
    });
    futures_util::try_join!(terms, organizations, programme)?;
    Ok(())
}

/// An advocacy tool, guide, report or other publication.
#[Object]
impl Resource {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Resource, self.model.id)
    }

    #[graphql(flatten)]
    async fn localized(&self) -> &LocalizedFields {
        &self.fields
    }

    async fn kind(&self) -> ResourceKind {
        self.model.kind.into()
    }

    async fn published_on(&self) -> NaiveDate {
        self.model.published_on
    }

    /// The locale the resource was written in.
    async fn source_locale(&self) -> &str {
        &self.model.source_locale
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    async fn regions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Region>>> {
        let terms = self.terms(ctx).await?;
        Ok(wrap(of_taxonomy(&terms, Taxonomy::Region), &self.request))
    }

    async fn countries(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Country>>> {
        let terms = self.terms(ctx).await?;
        Ok(wrap(of_taxonomy(&terms, Taxonomy::Country), &self.request))
    }

    async fn topics(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Topic>>> {
        let terms = self.terms(ctx).await?;
        Ok(wrap(of_taxonomy(&terms, Taxonomy::Topic), &self.request))
    }

    /// The organisations that wrote or published the resource (optionally of one role).
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        role: Option<OrganizationRole>,
    ) -> async_graphql::Result<Vec<Plain<Organization>>> {
        let links = connection::links(ctx, ResourceOrganizations(self.model.id)).await?;
        let mut ids: Vec<i32> = Vec::new();
        for (id, r) in links.iter() {
            if role.is_none_or(|want| e::OrganizationRole::from(want) == *r) && !ids.contains(id) {
                ids.push(*id);
            }
        }
        let items = connection::build_items::<Organization>(ctx, &ids, &ctx.look_ahead(), &self.request).await?;
        Ok(items.into_iter().map(|(_, o)| Plain(o)).collect())
    }

    async fn programme(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Programme>>> {
        Ok(connection::related::<Programme>(ctx, self.model.programme_id, &self.request).await?.map(Plain))
    }
}

impl PlainFields for Resource {
    fn plain_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "id" => Value::String(ids::encode(NodeType::Resource, self.model.id).0),
            "kind" => enum_value(ResourceKind::from(self.model.kind)),
            "publishedOn" => self.model.published_on.to_value(),
            "sourceLocale" => Value::String(self.model.source_locale.clone()),
            "updatedAt" => self.model.updated_at.to_value(),
            _ => return self.fields.plain_field(name),
        })
    }
}

impl Resource {
    async fn terms(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Arc<crate::content::Term>>> {
        let ids = connection::links(ctx, ResourceTerms(self.model.id)).await?;
        terms(ctx, &ids).await
    }
}

/// Filters on resources: values within a field are alternatives (OR); fields combine (AND).
#[derive(InputObject, Default)]
pub struct ResourceFilter {
    kinds: Option<Vec<ResourceKind>>,
    /// Region codes.
    regions: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 country codes.
    countries: Option<Vec<String>>,
    /// Topic codes.
    topics: Option<Vec<String>>,
    /// Organisation ids (authors or publishers).
    organizations: Option<Vec<ID>>,
    programme: Option<ID>,
    /// Only items published in at least one of these locales.
    available_in: Option<Vec<String>>,
    /// Published on or after this date.
    published_from: Option<NaiveDate>,
    /// Published on or before this date.
    published_to: Option<NaiveDate>,
    /// The state of the working copy in a locale (with `preview: true` only).
    translation: Option<super::connection::TranslationFilter>,
}

order_input!(ResourceOrder, ResourceOrderField {
    PublishedOn => Date,
    /// The served title, in the request's collation.
    Title => Title,
    UpdatedAt => Updated,
});

impl Listed for Resource {
    type Filter = ResourceFilter;
    type Order = ResourceOrder;

    fn filters(ctx: &Context<'_>, filter: ResourceFilter) -> Result<Vec<Filter>, AppError> {
        let mut b = FilterBuilder::new(ctx);
        b.kinds(filter.kinds.map(|k| k.into_iter().map(|k| kind_value(k.into())).collect::<Vec<_>>()))?;
        b.terms(Taxonomy::Region, filter.regions, "regions")?;
        b.terms(Taxonomy::Country, filter.countries, "countries")?;
        b.terms(Taxonomy::Topic, filter.topics, "topics")?;
        b.organizations(filter.organizations)?;
        b.available_in(filter.available_in)?;
        if let Some(p) = filter.programme {
            b.push(Some(Filter::Programme(ids::decode_as(&p, NodeType::Programme)?)));
        }
        b.push(filter.published_from.map(|d| Filter::DateFrom(SortValue::Date(d))));
        b.push(filter.published_to.map(|d| Filter::DateTo(SortValue::Date(d))));
        b.translation(filter.translation)?;
        Ok(b.filters)
    }
}

/// The stored string of a resource kind.
fn kind_value(kind: e::ResourceKind) -> String {
    use sea_orm::ActiveEnum;
    kind.to_value()
}

item_queries!(
    ResourceQuery,
    Resource,
    /// Published resources, in the request's language where translated.
    fn resources,
    /// One published resource, by `id` or by `slug` (looked up along the locale chain).
    fn resource
);

/// An organisation linked to a new resource.
#[derive(InputObject)]
pub struct OrganizationLinkInput {
    id: ID,
    role: OrganizationRole,
}

/// A new resource. Ids of the resource itself, statuses, timestamps and authors are never input.
#[derive(InputObject)]
pub struct CreateResourceInput {
    kind: ResourceKind,
    published_on: NaiveDate,
    /// The locale the resource is written in.
    source_locale: String,
    /// Region codes.
    regions: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 country codes.
    countries: Option<Vec<String>>,
    /// Topic codes.
    topics: Option<Vec<String>>,
    organizations: Option<Vec<OrganizationLinkInput>>,
    programme: Option<ID>,
    /// The source-locale text; `title` is required.
    text: super::translate::TranslationInput,
}

/// Changes to a resource's facts and links; absent fields keep their value, lists replace.
#[derive(InputObject)]
pub struct UpdateResourceInput {
    kind: Option<ResourceKind>,
    published_on: Option<NaiveDate>,
    regions: Option<Vec<String>>,
    countries: Option<Vec<String>>,
    topics: Option<Vec<String>>,
    organizations: Option<Vec<OrganizationLinkInput>>,
    /// A programme id; `null` removes the programme.
    programme: async_graphql::MaybeUndefined<ID>,
}

fn organization_links(links: Vec<OrganizationLinkInput>) -> Result<Vec<(i32, e::OrganizationRole)>, AppError> {
    links
        .into_iter()
        .enumerate()
        .map(|(i, link)| {
            ids::decode_as(&link.id, NodeType::Organization)
                .map(|id| (id, link.role.into()))
                .map_err(|_| AppError::bad_input(format!("input.organizations[{i}].id: not an organisation id")))
        })
        .collect()
}

item_mutations!(
    ResourceMutation,
    Resource,
    /// Creates a resource with a draft in its source locale; returns its id.
    fn create_resource(CreateResourceInput),
    /// Changes a resource's kind, date and links (its texts change through `saveTranslation`).
    fn update_resource(UpdateResourceInput)
);

impl Editable for Resource {
    type Kind = resources::Resources;
    type CreateInput = CreateResourceInput;
    type UpdateInput = UpdateResourceInput;

    fn new_item(input: CreateResourceInput) -> Result<NewItem<resources::NewResource>, AppError> {
        let facts = resources::NewResource {
            kind: input.kind.into(),
            published_on: input.published_on,
            regions: input.regions.unwrap_or_default(),
            countries: input.countries.unwrap_or_default(),
            topics: input.topics.unwrap_or_default(),
            organizations: organization_links(input.organizations.unwrap_or_default())?,
            programme: connection::optional_id(input.programme, NodeType::Programme, "input.programme")?,
        };
        Ok(NewItem { facts, source_locale: input.source_locale, text: input.text.into() })
    }

    fn changes(input: UpdateResourceInput) -> Result<resources::ResourceUpdate, AppError> {
        Ok(resources::ResourceUpdate {
            kind: input.kind.map(Into::into),
            published_on: input.published_on,
            regions: input.regions,
            countries: input.countries,
            topics: input.topics,
            organizations: input.organizations.map(organization_links).transpose()?,
            programme: connection::maybe_id(input.programme, NodeType::Programme, "input.programme")
                .map_err(|_| AppError::bad_input("input.programme: not a programme id"))?,
        })
    }
}
