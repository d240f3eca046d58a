//! Resources: the advocacy tools, guides, briefing papers and reports. Their facts (kind,
//! publication date, programme), their links (regions, countries, topics, authoring and
//! publishing organisations) and the rules for them.

use chorus_entities::{self as e, OrganizationRole, ResourceKind, Taxonomy};
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use super::items::{Kind, check_year, no_such_item, once, organization_exists, term_ids};
use super::query::{Filter, Link, col, constant, id_list, linked, linked_values, term_values};
use std::collections::HashMap;

use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbBackend};

use super::{ContentType, DateColumn, Descriptor, SearchFacts, load};
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, ExprTrait};

pub const DESCRIPTOR: Descriptor =
    Descriptor::new("resource", "resources", "resource_translations", filter, search_facts)
        .dated(DateColumn::Day("published_on"))
        .progress_by_kind();

/// A resource's taxonomy terms, read with a page of resources (`ListSpec::links`).
pub const TERM_LINKS: Link =
    Link { alias: "term_links", table: "resource_terms", item: "resource_id", columns: &["term_id"] };

/// A resource's organisations and their roles, read with a page of resources.
pub const ORGANIZATION_LINKS: Link = Link {
    alias: "organization_links",
    table: "resource_organizations",
    item: "resource_id",
    columns: &["organization_id", "role"],
};

/// The term ids a page row holds (`TERM_LINKS`).
pub fn term_links(row: &sea_orm::QueryResult) -> AppResult<Vec<i32>> {
    linked_values(row, &TERM_LINKS)?.iter().map(|v| parse_id(&v[0])).collect()
}

/// The (organisation id, role) pairs a page row holds (`ORGANIZATION_LINKS`).
pub fn organization_links(row: &sea_orm::QueryResult) -> AppResult<Vec<(i32, OrganizationRole)>> {
    use sea_orm::ActiveEnum;
    linked_values(row, &ORGANIZATION_LINKS)?
        .iter()
        .map(|v| {
            let role = v.get(1).cloned().unwrap_or_default();
            let role = OrganizationRole::try_from_value(&role)
                .map_err(|_| AppError::internal(format!("unknown organisation role `{role}`")))?;
            Ok((parse_id(&v[0])?, role))
        })
        .collect()
}

fn parse_id(v: &str) -> AppResult<i32> {
    v.parse().map_err(|_| AppError::internal(format!("a link holds `{v}`, not an id")))
}

/// The filters only resources have.
fn filter(f: &Filter, backend: DbBackend) -> Option<Expr> {
    let base = DESCRIPTOR.base_table;
    Some(match f {
        Filter::Kinds(kinds) => col(base, "kind").is_in(kinds.iter().map(|k| constant(k.as_str(), backend))),
        Filter::Terms(..) | Filter::TermIds(..) => {
            linked(base, "resource_terms", "resource_id", "term_id", term_values(f, backend)?.1)
        }
        Filter::Organizations(orgs) => {
            linked(base, "resource_organizations", "resource_id", "organization_id", id_list(orgs, backend))
        }
        Filter::Programme(id) => col(base, "programme_id").eq(constant(*id, backend)),
        _ => return None,
    })
}

/// What search indexes of resources: kind, terms, organisations, programme, date.
fn search_facts<'a>(db: &'a DatabaseConnection, ids: &'a [i32]) -> BoxFuture<'a, AppResult<HashMap<i32, SearchFacts>>> {
    Box::pin(async move {
        let (base, terms, orgs) = futures_util::try_join!(
            load::resources(db, ids),
            load::resource_terms(db, ids),
            load::resource_organizations(db, ids)
        )?;
        Ok(base
            .into_iter()
            .map(|(id, r)| {
                let organizations = orgs.get(&id).map(|o| o.iter().map(|&(o, _)| i64::from(o)).collect());
                let facts = SearchFacts {
                    kind: Some(r.kind.to_value()),
                    terms: terms.get(&id).cloned().unwrap_or_default(),
                    organizations: organizations.unwrap_or_default(),
                    programme: r.programme_id.map(i64::from),
                    ..SearchFacts::of_day(r.published_on)
                };
                (id, facts)
            })
            .collect())
    })
}

/// The resource content type.
pub struct Resources;

/// A new resource's facts and links.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub kind: ResourceKind,
    pub published_on: NaiveDate,
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub topics: Vec<String>,
    pub organizations: Vec<(i32, OrganizationRole)>,
    pub programme: Option<i32>,
}

/// Changes to a resource's facts and links; absent fields keep their value, lists replace.
#[derive(Debug, Clone, Default)]
pub struct ResourceUpdate {
    pub kind: Option<ResourceKind>,
    pub published_on: Option<NaiveDate>,
    pub regions: Option<Vec<String>>,
    pub countries: Option<Vec<String>>,
    pub topics: Option<Vec<String>>,
    pub organizations: Option<Vec<(i32, OrganizationRole)>>,
    /// `Some(None)` removes the programme.
    pub programme: Option<Option<i32>>,
}

const TAXONOMIES: [(Taxonomy, &str); 3] =
    [(Taxonomy::Region, "regions"), (Taxonomy::Country, "countries"), (Taxonomy::Topic, "topics")];

impl Kind for Resources {
    const TYPE: ContentType = ContentType::Resource;
    type New = NewResource;
    type Update = ResourceUpdate;

    fn check_new(input: &NewResource) -> AppResult<()> {
        check_year("input.publishedOn", input.published_on.year())
    }

    fn check_update(_id: i32, input: &ResourceUpdate) -> AppResult<()> {
        match input.published_on {
            Some(day) => check_year("input.publishedOn", day.year()),
            None => Ok(()),
        }
    }

    async fn insert(txn: &DatabaseTransaction, input: NewResource, source_locale: &str) -> AppResult<i32> {
        let mut terms = Vec::new();
        for ((taxonomy, field), codes) in TAXONOMIES.into_iter().zip([&input.regions, &input.countries, &input.topics])
        {
            terms.extend(term_ids(txn, taxonomy, codes, field).await?);
        }
        for (i, (org, _)) in input.organizations.iter().enumerate() {
            organization_exists(txn, *org, &format!("input.organizations[{i}].id")).await?;
        }
        if let Some(p) = input.programme {
            programme_exists(txn, p).await?;
        }
        let now = Utc::now();
        let resource = e::resources::ActiveModel {
            kind: Set(input.kind),
            published_on: Set(input.published_on),
            programme_id: Set(input.programme),
            source_locale: Set(source_locale.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for term_id in terms {
            e::resource_terms::ActiveModel { resource_id: Set(resource.id), term_id: Set(term_id) }.insert(txn).await?;
        }
        link_organizations(txn, resource.id, input.organizations).await?;
        Ok(resource.id)
    }

    async fn apply(txn: &DatabaseTransaction, id: i32, input: ResourceUpdate) -> AppResult<()> {
        let resource = e::resources::Entity::find_by_id(id).one(txn).await?.ok_or_else(no_such_item)?;
        let mut active: e::resources::ActiveModel = resource.into();
        if let Some(kind) = input.kind {
            active.kind = Set(kind);
        }
        if let Some(day) = input.published_on {
            active.published_on = Set(day);
        }
        if let Some(programme) = input.programme {
            if let Some(p) = programme {
                programme_exists(txn, p).await?;
            }
            active.programme_id = Set(programme);
        }
        active.updated_at = Set(Utc::now());
        active.update(txn).await?;
        for ((taxonomy, field), codes) in TAXONOMIES.into_iter().zip([&input.regions, &input.countries, &input.topics])
        {
            let Some(codes) = codes else { continue };
            let ids = term_ids(txn, taxonomy, codes, field).await?;
            let old: Vec<i32> = e::terms::Entity::find()
                .filter(e::terms::Column::Taxonomy.eq(taxonomy))
                .all(txn)
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect();
            e::resource_terms::Entity::delete_many()
                .filter(e::resource_terms::Column::ResourceId.eq(id))
                .filter(e::resource_terms::Column::TermId.is_in(old))
                .exec(txn)
                .await?;
            for term_id in ids {
                e::resource_terms::ActiveModel { resource_id: Set(id), term_id: Set(term_id) }.insert(txn).await?;
            }
        }
        if let Some(orgs) = input.organizations {
            for (i, (org, _)) in orgs.iter().enumerate() {
                organization_exists(txn, *org, &format!("input.organizations[{i}].id")).await?;
            }
            e::resource_organizations::Entity::delete_many()
                .filter(e::resource_organizations::Column::ResourceId.eq(id))
                .exec(txn)
                .await?;
            link_organizations(txn, id, orgs).await?;
        }
        Ok(())
    }
}

async fn programme_exists<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<()> {
    if e::programmes::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(AppError::bad_input("input.programme: no such programme"));
    }
    Ok(())
}

/// Links organisations to a resource, once per (organisation, role).
async fn link_organizations<C: ConnectionTrait>(
    db: &C,
    resource_id: i32,
    orgs: Vec<(i32, OrganizationRole)>,
) -> AppResult<()> {
    for (org, role) in once(orgs) {
        e::resource_organizations::ActiveModel {
            resource_id: Set(resource_id),
            organization_id: Set(org),
            role: Set(role),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}
