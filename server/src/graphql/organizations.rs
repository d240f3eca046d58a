//! Networks and organisations.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chorus_entities::{self as e, Taxonomy};
use chrono::{DateTime, Utc};

use super::connection::{self, FilterBuilder, Item, Listed, OrderDirection, load_all, unique};
use super::edit::Editable;
use super::ids::{self, NodeType};
use super::loader;
use super::loaders::OrganizationMembers;
use super::loaders::TermKey;
use super::localized::LocalizedFields;
use super::taxonomy::{Region, terms};
use crate::content::Reader;
use crate::content::items::NewItem;
use crate::content::query::{Filter, SortField};
use crate::content::{ContentType, organizations};
use crate::error::AppError;
use async_graphql::Lookahead;
use futures_util::future::BoxFuture;

/// What kind of body an organisation is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chorus_entities::OrganizationKind")]
pub enum OrganizationKind {
    GlobalNetwork,
    RegionalNetwork,
    MemberOrganization,
    Funder,
}

pub struct Organization {
    model: Arc<e::organizations::Model>,
    request: Arc<Reader>,
}

impl Item for Organization {
    const TYPE: ContentType = ContentType::Organization;
    const NODE: NodeType = NodeType::Organization;
    type Model = e::organizations::Model;

    fn new(model: Arc<Self::Model>, request: Arc<Reader>) -> Self {
        Organization { model, request }
    }

    fn prefetch<'a>(
        ctx: &'a Context<'a>,
        models: Vec<Arc<Self::Model>>,
        selection: &'a Lookahead<'a>,
        request: &'a Arc<Reader>,
    ) -> BoxFuture<'a, async_graphql::Result<()>> {
        Box::pin(async move {
            let l = loader(ctx);
            let region = async {
                if selection.field("region").exists() {
                    load_all(l, unique(models.iter().filter_map(|m| m.region_id)).into_iter().map(TermKey)).await?;
                }
                Ok::<_, async_graphql::Error>(())
            };
            let parent = async {
                let sel = selection.field("parent");
                if sel.exists() {
                    let ids = unique(models.iter().filter_map(|m| m.parent_id));
                    connection::build_items::<Organization>(ctx, &ids, &sel, request).await?;
                }
                Ok(())
            };
            let members = async {
                let sel = selection.field("members");
                if sel.exists() {
                    let links = load_all(l, models.iter().map(|m| OrganizationMembers(m.id))).await?;
                    let ids = unique(links.values().flat_map(|v| v.iter().copied()));
                    connection::build_items::<Organization>(ctx, &ids, &sel, request).await?;
                }
                Ok(())
            };
            futures_util::try_join!(region, parent, members)?;
            Ok(())
        })
    }
}

/// A network, member organisation or funder. Its name is `title`.
#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Organization, self.model.id)
    }

    #[graphql(flatten)]
    async fn localized(&self, ctx: &Context<'_>) -> async_graphql::Result<LocalizedFields> {
        LocalizedFields::load(ctx, ContentType::Organization, self.model.id, &self.model.source_locale, &self.request)
            .await
    }

    async fn kind(&self) -> OrganizationKind {
        self.model.kind.into()
    }

    async fn acronym(&self) -> Option<&str> {
        self.model.acronym.as_deref()
    }

    async fn website(&self) -> Option<&str> {
        self.model.website.as_deref()
    }

    async fn source_locale(&self) -> &str {
        &self.model.source_locale
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Region>> {
        let Some(id) = self.model.region_id else { return Ok(None) };
        Ok(terms(ctx, &[id]).await?.into_iter().next().map(|term| Region { term, request: self.request.clone() }))
    }

    /// The network this organisation belongs to.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        let Some(id) = self.model.parent_id else { return Ok(None) };
        connection::related::<Organization>(ctx, id, &self.request).await
    }

    /// The organisations whose parent this is (a network's members).
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Organization>> {
        let ids = connection::links(ctx, OrganizationMembers(self.model.id)).await?;
        let items = connection::build_items::<Organization>(ctx, &ids, &ctx.look_ahead(), &self.request).await?;
        Ok(items.into_iter().map(|(_, o)| o).collect())
    }
}

#[derive(InputObject, Default)]
pub struct OrganizationFilter {
    kinds: Option<Vec<OrganizationKind>>,
    regions: Option<Vec<String>>,
    /// Members of this network.
    parent: Option<ID>,
    available_in: Option<Vec<String>>,
    /// The state of the working copy in a locale (with `preview: true` only).
    translation: Option<super::connection::TranslationFilter>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum OrganizationOrderField {
    /// The served name, in the request's collation.
    #[default]
    Title,
    UpdatedAt,
}

#[derive(InputObject)]
pub struct OrganizationOrder {
    field: OrganizationOrderField,
    direction: Option<OrderDirection>,
}

impl OrganizationFilter {
    fn into_filters(self, ctx: &Context<'_>) -> Result<Vec<Filter>, AppError> {
        use sea_orm::ActiveEnum;
        let mut b = FilterBuilder::new(ctx);
        b.kinds(
            self.kinds.map(|k| k.into_iter().map(|k| e::OrganizationKind::from(k).to_value()).collect::<Vec<_>>()),
        )?;
        b.terms(Taxonomy::Region, self.regions, "regions")?;
        b.available_in(self.available_in)?;
        if let Some(p) = self.parent {
            b.push(Some(Filter::Parent(ids::decode_as(&p, NodeType::Organization)?)));
        }
        b.translation(self.translation)?;
        Ok(b.filters)
    }
}

impl Listed for Organization {
    type Filter = OrganizationFilter;
    type Order = OrganizationOrder;

    fn filters(ctx: &Context<'_>, filter: OrganizationFilter) -> Result<Vec<Filter>, AppError> {
        filter.into_filters(ctx)
    }

    fn ordering(order: Option<OrganizationOrder>) -> crate::content::query::Ordering {
        let (field, direction) = order.map(|o| (o.field, o.direction)).unwrap_or_default();
        let field = match field {
            OrganizationOrderField::Title => SortField::Title,
            OrganizationOrderField::UpdatedAt => SortField::Updated,
        };
        connection::ordering(field, direction)
    }
}

item_queries!(
    OrganizationQuery,
    Organization,
    OrganizationFilter,
    OrganizationOrder,
    /// Published networks and organisations, ordered by name by default.
    fn organizations,
    /// One published organisation, by `id` or by `slug`.
    fn organization
);

/// A new organisation. Ids, statuses, timestamps and authors are never input.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    kind: OrganizationKind,
    acronym: Option<String>,
    /// An http or https address.
    website: Option<String>,
    /// Region code.
    region: Option<String>,
    /// The network it belongs to.
    parent: Option<ID>,
    source_locale: String,
    /// The source-locale text (`title` is the name and is required).
    text: super::translate::TranslationInput,
}

/// Changes to an organisation's facts; absent fields keep their value, null clears.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    kind: Option<OrganizationKind>,
    acronym: async_graphql::MaybeUndefined<String>,
    website: async_graphql::MaybeUndefined<String>,
    region: async_graphql::MaybeUndefined<String>,
    parent: async_graphql::MaybeUndefined<ID>,
}

item_mutations!(
    OrganizationMutation,
    Organization,
    /// Creates an organisation with a draft in its source locale; returns its id.
    fn create_organization(CreateOrganizationInput),
    /// Changes an organisation's kind, acronym, website, region and network.
    fn update_organization(UpdateOrganizationInput)
);

impl Editable for Organization {
    type Kind = organizations::Organizations;
    type CreateInput = CreateOrganizationInput;
    type UpdateInput = UpdateOrganizationInput;

    fn new_item(input: CreateOrganizationInput) -> Result<NewItem<organizations::NewOrganization>, AppError> {
        let facts = organizations::NewOrganization {
            kind: input.kind.into(),
            acronym: input.acronym,
            website: input.website,
            region: input.region,
            parent: connection::optional_id(input.parent, NodeType::Organization, "input.parent")?,
        };
        Ok(NewItem { facts, source_locale: input.source_locale, text: input.text.into() })
    }

    fn changes(input: UpdateOrganizationInput) -> Result<organizations::OrganizationUpdate, AppError> {
        Ok(organizations::OrganizationUpdate {
            kind: input.kind.map(Into::into),
            acronym: connection::maybe(input.acronym),
            website: connection::maybe(input.website),
            region: connection::maybe(input.region),
            parent: connection::maybe_id(input.parent, NodeType::Organization, "input.parent")?,
        })
    }
}
