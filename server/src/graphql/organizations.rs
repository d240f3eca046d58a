//! Networks and organisations.

use std::sync::Arc;

use async_graphql::resolver_utils::enum_value;
use async_graphql::{Context, Enum, ID, InputObject, Object, ScalarType, Value};
use chorus_entities::{self as e, Taxonomy};
use chrono::{DateTime, Utc};

use super::connection::{self, FilterBuilder, Listed, unique};
use super::edit::Editable;
use super::ids::{self, NodeType};
use super::loaders::OrganizationMembers;
use super::localized::LocalizedFields;
use super::plain::{Plain, PlainFields};
use super::taxonomy::{Region, term};
use crate::content::Reader;
use crate::content::items::NewItem;
use crate::content::organizations;
use crate::content::query::Filter;
use crate::error::AppError;
use async_graphql::Lookahead;

/// What kind of body an organisation is.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chorus_entities::OrganizationKind")]
pub enum OrganizationKind {
    GlobalNetwork,
    RegionalNetwork,
    MemberOrganization,
    Funder,
}

item_type!(Organization, organizations, Organization, prefetch);

/// Loads, one batch per relation, the regions, parents and members of organisations that `selection` asks for.
async fn prefetch<'a>(
    ctx: &'a Context<'a>,
    models: Vec<Arc<e::organizations::Model>>,
    selection: &'a Lookahead<'a>,
    request: &'a Arc<Reader>,
) -> async_graphql::Result<()> {
    let region = async {
        if selection.field("region").exists() {
            connection::prefetch_terms(ctx, models.iter().filter_map(|m| m.region_id)).await?;
        }
        Ok(())
    };
    let parent = connection::prefetch::<Organization>(ctx, selection, "parent", request, async {
        Ok(unique(models.iter().filter_map(|m| m.parent_id)))
    });
    let members = connection::prefetch::<Organization>(ctx, selection, "members", request, async {
        connection::linked(ctx, models.iter().map(|m| OrganizationMembers(m.id))).await
    });
    futures_util::try_join!(region, parent, members)?;
    Ok(())
}

/// A network, member organisation or funder. Its name is `title`.
#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Organization, self.model.id)
    }

    #[graphql(flatten)]
    async fn localized(&self) -> &LocalizedFields {
        &self.fields
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

    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Region>>> {
        term(ctx, self.model.region_id, &self.request).await
    }

    /// The network this organisation belongs to.
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Organization>>> {
        Ok(connection::related::<Organization>(ctx, self.model.parent_id, &self.request).await?.map(Plain))
    }

    /// The organisations whose parent this is (a network's members).
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Organization>>> {
        let ids = connection::links(ctx, OrganizationMembers(self.model.id)).await?;
        let items = connection::build_items::<Organization>(ctx, &ids, &ctx.look_ahead(), &self.request).await?;
        Ok(items.into_iter().map(|(_, o)| Plain(o)).collect())
    }
}

impl PlainFields for Organization {
    fn plain_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "id" => Value::String(ids::encode(NodeType::Organization, self.model.id).0),
            "kind" => enum_value(OrganizationKind::from(self.model.kind)),
            "acronym" => self.model.acronym.as_ref().map_or(Value::Null, |a| Value::String(a.clone())),
            "website" => self.model.website.as_ref().map_or(Value::Null, |w| Value::String(w.clone())),
            "sourceLocale" => Value::String(self.model.source_locale.clone()),
            "updatedAt" => self.model.updated_at.to_value(),
            _ => return self.fields.plain_field(name),
        })
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

order_input!(OrganizationOrder, OrganizationOrderField {
    /// The served name, in the request's collation.
    Title => Title,
    UpdatedAt => Updated,
});

impl Listed for Organization {
    type Filter = OrganizationFilter;
    type Order = OrganizationOrder;

    fn filters(ctx: &Context<'_>, filter: OrganizationFilter) -> Result<Vec<Filter>, AppError> {
        use sea_orm::ActiveEnum;
        let mut b = FilterBuilder::new(ctx);
        b.kinds(
            filter.kinds.map(|k| k.into_iter().map(|k| e::OrganizationKind::from(k).to_value()).collect::<Vec<_>>()),
        )?;
        b.terms(Taxonomy::Region, filter.regions, "regions")?;
        b.available_in(filter.available_in)?;
        if let Some(p) = filter.parent {
            b.push(Some(Filter::Parent(ids::decode_as(&p, NodeType::Organization)?)));
        }
        b.translation(filter.translation)?;
        Ok(b.filters)
    }
}

item_queries!(
    OrganizationQuery,
    Organization,
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
