//! Organisations: the global and regional networks, their members and funders. Their facts
//! (kind, acronym, website, region, parent network) and the rules for them.

use chorus_entities::{self as e, Taxonomy};
use chrono::Utc;
use sea_orm::{ActiveEnum, ActiveModelTrait, DatabaseTransaction, EntityTrait, Set};

use super::items::{Kind, no_such_item, one_term, organization_ref};
use super::query::{Filter, col, constant, term_values};
use std::collections::HashMap;

use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbBackend};

use super::{ContentType, Descriptor, SearchFacts, load};
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, ExprTrait};

pub const DESCRIPTOR: Descriptor =
    Descriptor::new("organization", "organizations", "organization_translations", filter, search_facts);

/// The filters only organisations have.
fn filter(f: &Filter, backend: DbBackend) -> Option<Expr> {
    let base = DESCRIPTOR.base_table;
    Some(match f {
        Filter::Kinds(kinds) => col(base, "kind").is_in(kinds.iter().map(|k| constant(k.as_str(), backend))),
        Filter::Terms(Taxonomy::Region, _) | Filter::TermIds(Taxonomy::Region, _) => {
            col(base, "region_id").binary(sea_orm::sea_query::BinOper::In, term_values(f, backend)?.1)
        }
        Filter::Parent(id) => col(base, "parent_id").eq(constant(*id, backend)),
        _ => return None,
    })
}

/// What search indexes of organisations: kind and region.
fn search_facts<'a>(db: &'a DatabaseConnection, ids: &'a [i32]) -> BoxFuture<'a, AppResult<HashMap<i32, SearchFacts>>> {
    Box::pin(async move {
        Ok(load::organizations(db, ids)
            .await?
            .into_iter()
            .map(|(id, o)| {
                (
                    id,
                    SearchFacts {
                        kind: Some(o.kind.to_value()),
                        terms: o.region_id.into_iter().collect(),
                        ..Default::default()
                    },
                )
            })
            .collect())
    })
}

/// The organisation content type.
pub struct Organizations;

/// A new organisation's facts.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub kind: e::OrganizationKind,
    pub acronym: Option<String>,
    pub website: Option<String>,
    pub region: Option<String>,
    pub parent: Option<i32>,
}

/// Changes to an organisation's facts; absent fields keep their value, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct OrganizationUpdate {
    pub kind: Option<e::OrganizationKind>,
    pub acronym: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub parent: Option<Option<i32>>,
}

fn check_website(website: &str) -> AppResult<()> {
    let ok = (website.starts_with("https://") || website.starts_with("http://"))
        && website.len() <= 500
        && !website.contains(char::is_whitespace);
    if ok { Ok(()) } else { Err(AppError::bad_input("input.website: an http or https address")) }
}

impl Kind for Organizations {
    const TYPE: ContentType = ContentType::Organization;
    type New = NewOrganization;
    type Update = OrganizationUpdate;

    fn check_new(input: &NewOrganization) -> AppResult<()> {
        if let Some(w) = &input.website {
            check_website(w)?;
        }
        if input.acronym.as_ref().is_some_and(|a| a.trim().is_empty() || a.chars().count() > 32) {
            return Err(AppError::bad_input("input.acronym: between 1 and 32 characters"));
        }
        Ok(())
    }

    fn check_update(id: i32, input: &OrganizationUpdate) -> AppResult<()> {
        if let Some(Some(w)) = &input.website {
            check_website(w)?;
        }
        if input.parent == Some(Some(id)) {
            return Err(AppError::bad_input("input.parent: an organisation is not its own parent"));
        }
        Ok(())
    }

    async fn insert(txn: &DatabaseTransaction, input: NewOrganization, source_locale: &str) -> AppResult<i32> {
        let region_id = one_term(txn, Taxonomy::Region, input.region.as_ref(), "input.region").await?;
        let parent = organization_ref(txn, input.parent, "input.parent").await?;
        let now = Utc::now();
        let m = e::organizations::ActiveModel {
            kind: Set(input.kind),
            acronym: Set(input.acronym.map(|a| a.trim().to_owned())),
            website: Set(input.website),
            region_id: Set(region_id),
            parent_id: Set(parent),
            source_locale: Set(source_locale.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        Ok(m.id)
    }

    async fn apply(txn: &DatabaseTransaction, id: i32, input: OrganizationUpdate) -> AppResult<()> {
        let m = e::organizations::Entity::find_by_id(id).one(txn).await?.ok_or_else(no_such_item)?;
        let mut active: e::organizations::ActiveModel = m.into();
        if let Some(kind) = input.kind {
            active.kind = Set(kind);
        }
        if let Some(acronym) = input.acronym {
            active.acronym = Set(acronym.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()));
        }
        if let Some(website) = input.website {
            active.website = Set(website);
        }
        if let Some(region) = input.region {
            active.region_id = Set(one_term(txn, Taxonomy::Region, region.as_ref(), "input.region").await?);
        }
        if let Some(parent) = input.parent {
            active.parent_id = Set(organization_ref(txn, parent, "input.parent").await?);
        }
        active.updated_at = Set(Utc::now());
        active.update(txn).await?;
        Ok(())
    }
}
