//! Creating and deleting items. An item is created with its source-locale text as a draft
//! working copy; translations and publication follow through `translate`.

use chorus_entities::{self as e, OrganizationRole, ResourceKind, Taxonomy};
use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::ContentType;
use super::translate::{self, TextInput};
use super::write::record;
use crate::auth::policy::{Action, Principal, allows};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A new resource: language-neutral facts, links and its source-locale text.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub kind: ResourceKind,
    pub published_on: NaiveDate,
    pub source_locale: String,
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub topics: Vec<String>,
    pub organizations: Vec<(i32, OrganizationRole)>,
    pub programme: Option<i32>,
    pub text: TextInput,
}

async fn term_ids<C: sea_orm::ConnectionTrait>(
    db: &C,
    taxonomy: Taxonomy,
    codes: &[String],
    field: &str,
) -> AppResult<Vec<i32>> {
    let mut ids = Vec::new();
    for (i, raw) in codes.iter().enumerate() {
        let code = if taxonomy == Taxonomy::Country {
            raw.trim().to_ascii_uppercase()
        } else {
            raw.trim().to_ascii_lowercase()
        };
        let term = e::terms::Entity::find()
            .filter(e::terms::Column::Taxonomy.eq(taxonomy))
            .filter(e::terms::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| AppError::bad_input(format!("input.{field}[{i}]: no such code `{code}`")))?;
        if !ids.contains(&term.id) {
            ids.push(term.id);
        }
    }
    Ok(ids)
}

/// Creates a resource with a draft working copy in its source locale.
pub async fn create_resource(state: &AppState, who: &Principal, input: NewResource) -> AppResult<i32> {
    if !allows(who, &Action::CreateItem) {
        return Err(AppError::Forbidden("your role does not allow creating items".into()));
    }
    let source = state
        .locales
        .configured_code(&input.source_locale)
        .map_err(|e| AppError::bad_input(format!("input.sourceLocale: {e}")))?
        .to_owned();
    if input.text.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(AppError::bad_input("input.text.title: required"));
    }
    let txn = state.db.begin().await?;
    let mut terms = term_ids(&txn, Taxonomy::Region, &input.regions, "regions").await?;
    terms.extend(term_ids(&txn, Taxonomy::Country, &input.countries, "countries").await?);
    terms.extend(term_ids(&txn, Taxonomy::Topic, &input.topics, "topics").await?);
    for (i, (org, _)) in input.organizations.iter().enumerate() {
        if e::organizations::Entity::find_by_id(*org).one(&txn).await?.is_none() {
            return Err(AppError::bad_input(format!("input.organizations[{i}].id: no such organisation")));
        }
    }
    if let Some(p) = input.programme
        && e::programmes::Entity::find_by_id(p).one(&txn).await?.is_none()
    {
        return Err(AppError::bad_input("input.programme: no such programme"));
    }
    let now = Utc::now();
    let resource = e::resources::ActiveModel {
        kind: Set(input.kind),
        published_on: Set(input.published_on),
        programme_id: Set(input.programme),
        source_locale: Set(source.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for term_id in terms {
        e::resource_terms::ActiveModel { resource_id: Set(resource.id), term_id: Set(term_id) }.insert(&txn).await?;
    }
    let mut seen = Vec::new();
    for (org, role) in input.organizations {
        if !seen.contains(&(org, role)) {
            seen.push((org, role));
            e::resource_organizations::ActiveModel {
                resource_id: Set(resource.id),
                organization_id: Set(org),
                role: Set(role),
            }
            .insert(&txn)
            .await?;
        }
    }
    record(&txn, who, "resource.create", "resource", resource.id, None, "created").await?;
    translate::save_in(&txn, who, ContentType::Resource, resource.id, &source, &source, input.text).await?;
    txn.commit().await?;
    state.cache.invalidate();
    Ok(resource.id)
}

/// Deletes an item with every locale version, link and live copy.
pub async fn delete(state: &AppState, who: &Principal, ty: ContentType, id: i32) -> AppResult<()> {
    if !allows(who, &Action::DeleteItem) {
        return Err(AppError::Forbidden("your role does not allow deleting items".into()));
    }
    let txn = state.db.begin().await?;
    let q = sea_orm::sea_query::Query::delete()
        .from_table(sea_orm::sea_query::Alias::new(ty.base_table()))
        .and_where(sea_orm::sea_query::ExprTrait::eq(
            sea_orm::sea_query::Expr::col(sea_orm::sea_query::Alias::new("id")),
            id,
        ))
        .to_owned();
    let done = sea_orm::ConnectionTrait::execute(&txn, &q).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no such item".into()));
    }
    record(&txn, who, "item.delete", translate::entity_name(ty), id, None, "deleted").await?;
    txn.commit().await?;
    state.cache.invalidate();
    Ok(())
}
