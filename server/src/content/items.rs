//! Creating and deleting items. An item is created with its source-locale text as a draft
//! working copy; translations and publication follow through `translate`.

use chorus_entities::{self as e, OrganizationRole, ResourceKind, Taxonomy};
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::ContentType;
use super::translate::{self, TextInput};
use crate::auth::policy::{Action, Principal, allows};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::write::Write;

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
    require(who, Action::CreateItem)?;
    let source = source_code(state, &input.source_locale)?;
    require_title(&input.text)?;
    check_year("input.publishedOn", input.published_on.year())?;
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let mut terms = term_ids(txn, Taxonomy::Region, &input.regions, "regions").await?;
    terms.extend(term_ids(txn, Taxonomy::Country, &input.countries, "countries").await?);
    terms.extend(term_ids(txn, Taxonomy::Topic, &input.topics, "topics").await?);
    for (i, (org, _)) in input.organizations.iter().enumerate() {
        organization_exists(txn, *org, &format!("input.organizations[{i}].id")).await?;
    }
    if let Some(p) = input.programme
        && e::programmes::Entity::find_by_id(p).one(txn).await?.is_none()
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
    .insert(txn)
    .await?;
    for term_id in terms {
        e::resource_terms::ActiveModel { resource_id: Set(resource.id), term_id: Set(term_id) }.insert(txn).await?;
    }
    link_organizations(txn, resource.id, input.organizations).await?;
    w.record("resource.create", "resource", resource.id, None, "created").await?;
    translate::save_in(&w, who, ContentType::Resource, resource.id, &source, &source, input.text).await?;
    w.commit().await?;
    Ok(resource.id)
}

fn require(who: &Principal, action: Action) -> AppResult<()> {
    if allows(who, &action) { Ok(()) } else { Err(AppError::Forbidden("your role does not allow this".into())) }
}

fn source_code(state: &AppState, raw: &str) -> AppResult<String> {
    state
        .locales
        .configured_code(raw)
        .map(str::to_owned)
        .map_err(|e| AppError::bad_input(format!("input.sourceLocale: {e}")))
}

/// The years an item's dates may fall in (a resource's publication date, a good practice's
/// year, a programme's start and end): one rule for every date an editor types, so that a typo
/// (year -5, or chrono's year 262142) is refused instead of being stored and sorted.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

fn check_year(field: &str, year: i32) -> AppResult<()> {
    if !YEARS.contains(&year) {
        return Err(AppError::bad_input(format!("{field}: a year between {} and {}", YEARS.start(), YEARS.end())));
    }
    Ok(())
}

fn check_website(website: &str) -> AppResult<()> {
    let ok = (website.starts_with("https://") || website.starts_with("http://"))
        && website.len() <= 500
        && !website.contains(char::is_whitespace);
    if ok { Ok(()) } else { Err(AppError::bad_input("input.website: an http or https address")) }
}

/// Links organisations to a resource, once per (organisation, role).
async fn link_organizations<C: sea_orm::ConnectionTrait>(
    db: &C,
    resource_id: i32,
    orgs: Vec<(i32, OrganizationRole)>,
) -> AppResult<()> {
    let mut seen = Vec::new();
    for (org, role) in orgs {
        if !seen.contains(&(org, role)) {
            seen.push((org, role));
            e::resource_organizations::ActiveModel {
                resource_id: Set(resource_id),
                organization_id: Set(org),
                role: Set(role),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

fn require_title(text: &TextInput) -> AppResult<()> {
    if text.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(AppError::bad_input("input.text.title: required"));
    }
    Ok(())
}

async fn one_term<C: sea_orm::ConnectionTrait>(
    db: &C,
    taxonomy: Taxonomy,
    code: Option<&String>,
    field: &str,
) -> AppResult<Option<i32>> {
    let Some(raw) = code else { return Ok(None) };
    let code =
        if taxonomy == Taxonomy::Country { raw.trim().to_ascii_uppercase() } else { raw.trim().to_ascii_lowercase() };
    let term = e::terms::Entity::find()
        .filter(e::terms::Column::Taxonomy.eq(taxonomy))
        .filter(e::terms::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(format!("{field}: no such code `{code}`")))?;
    Ok(Some(term.id))
}

async fn organization_exists<C: sea_orm::ConnectionTrait>(db: &C, id: i32, field: &str) -> AppResult<()> {
    if e::organizations::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(AppError::bad_input(format!("{field}: no such organisation")));
    }
    Ok(())
}

/// A new good-practice example.
#[derive(Debug, Clone)]
pub struct NewGoodPractice {
    pub year: i32,
    pub country: Option<String>,
    pub region: Option<String>,
    pub organization: Option<i32>,
    pub topics: Vec<String>,
    pub source_locale: String,
    pub text: TextInput,
}

pub async fn create_good_practice(state: &AppState, who: &Principal, input: NewGoodPractice) -> AppResult<i32> {
    require(who, Action::CreateItem)?;
    let source = source_code(state, &input.source_locale)?;
    require_title(&input.text)?;
    check_year("input.year", input.year)?;
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let country_id = one_term(txn, Taxonomy::Country, input.country.as_ref(), "input.country").await?;
    let region_id = one_term(txn, Taxonomy::Region, input.region.as_ref(), "input.region").await?;
    let topics = term_ids(txn, Taxonomy::Topic, &input.topics, "topics").await?;
    if let Some(o) = input.organization {
        organization_exists(txn, o, "input.organization").await?;
    }
    let now = Utc::now();
    let m = e::good_practices::ActiveModel {
        year: Set(input.year),
        country_id: Set(country_id),
        region_id: Set(region_id),
        organization_id: Set(input.organization),
        source_locale: Set(source.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    for term_id in topics {
        e::good_practice_topics::ActiveModel { good_practice_id: Set(m.id), term_id: Set(term_id) }.insert(txn).await?;
    }
    w.record("good_practice.create", "good_practice", m.id, None, "created").await?;
    translate::save_in(&w, who, ContentType::GoodPractice, m.id, &source, &source, input.text).await?;
    w.commit().await?;
    Ok(m.id)
}

/// A new organisation.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub kind: e::OrganizationKind,
    pub acronym: Option<String>,
    pub website: Option<String>,
    pub region: Option<String>,
    pub parent: Option<i32>,
    pub source_locale: String,
    pub text: TextInput,
}

pub async fn create_organization(state: &AppState, who: &Principal, input: NewOrganization) -> AppResult<i32> {
    require(who, Action::CreateItem)?;
    let source = source_code(state, &input.source_locale)?;
    require_title(&input.text)?;
    if let Some(w) = &input.website {
        check_website(w)?;
    }
    if input.acronym.as_ref().is_some_and(|a| a.trim().is_empty() || a.chars().count() > 32) {
        return Err(AppError::bad_input("input.acronym: between 1 and 32 characters"));
    }
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let region_id = one_term(txn, Taxonomy::Region, input.region.as_ref(), "input.region").await?;
    if let Some(p) = input.parent {
        organization_exists(txn, p, "input.parent").await?;
    }
    let now = Utc::now();
    let m = e::organizations::ActiveModel {
        kind: Set(input.kind),
        acronym: Set(input.acronym.map(|a| a.trim().to_owned())),
        website: Set(input.website),
        region_id: Set(region_id),
        parent_id: Set(input.parent),
        source_locale: Set(source.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    w.record("organization.create", "organization", m.id, None, "created").await?;
    translate::save_in(&w, who, ContentType::Organization, m.id, &source, &source, input.text).await?;
    w.commit().await?;
    Ok(m.id)
}

/// A new programme.
#[derive(Debug, Clone)]
pub struct NewProgramme {
    pub start_year: i32,
    pub end_year: Option<i32>,
    pub funders: Vec<i32>,
    pub source_locale: String,
    pub text: TextInput,
}

pub async fn create_programme(state: &AppState, who: &Principal, input: NewProgramme) -> AppResult<i32> {
    require(who, Action::CreateItem)?;
    let source = source_code(state, &input.source_locale)?;
    require_title(&input.text)?;
    check_year("input.startYear", input.start_year)?;
    if let Some(end) = input.end_year {
        check_year("input.endYear", end)?;
    }
    if input.end_year.is_some_and(|end| end < input.start_year) {
        return Err(AppError::bad_input("input.endYear: not before startYear"));
    }
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    for (i, f) in input.funders.iter().enumerate() {
        organization_exists(txn, *f, &format!("input.funders[{i}]")).await?;
    }
    let now = Utc::now();
    let m = e::programmes::ActiveModel {
        start_year: Set(input.start_year),
        end_year: Set(input.end_year),
        source_locale: Set(source.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut seen = Vec::new();
    for f in input.funders {
        if !seen.contains(&f) {
            seen.push(f);
            e::programme_funders::ActiveModel { programme_id: Set(m.id), organization_id: Set(f) }.insert(txn).await?;
        }
    }
    w.record("programme.create", "programme", m.id, None, "created").await?;
    translate::save_in(&w, who, ContentType::Programme, m.id, &source, &source, input.text).await?;
    w.commit().await?;
    Ok(m.id)
}

/// Changes to a resource's language-neutral facts and links; absent fields keep their value.
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

pub async fn update_resource(state: &AppState, who: &Principal, id: i32, input: ResourceUpdate) -> AppResult<()> {
    require(who, Action::EditStructure)?;
    if let Some(day) = input.published_on {
        check_year("input.publishedOn", day.year())?;
    }
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let resource = e::resources::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such item".into()))?;
    let mut active: e::resources::ActiveModel = resource.into();
    if let Some(kind) = input.kind {
        active.kind = Set(kind);
    }
    if let Some(day) = input.published_on {
        active.published_on = Set(day);
    }
    if let Some(programme) = input.programme {
        if let Some(p) = programme
            && e::programmes::Entity::find_by_id(p).one(txn).await?.is_none()
        {
            return Err(AppError::bad_input("input.programme: no such programme"));
        }
        active.programme_id = Set(programme);
    }
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    for (taxonomy, codes, field) in [
        (Taxonomy::Region, &input.regions, "regions"),
        (Taxonomy::Country, &input.countries, "countries"),
        (Taxonomy::Topic, &input.topics, "topics"),
    ] {
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
    w.record("resource.update", "resource", id, None, "updated").await?;
    w.commit().await?;
    Ok(())
}

/// Changes to a good-practice example's facts; absent fields keep their value, `Some(None)`
/// clears an optional one, lists replace.
#[derive(Debug, Clone, Default)]
pub struct GoodPracticeUpdate {
    pub year: Option<i32>,
    pub country: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub organization: Option<Option<i32>>,
    pub topics: Option<Vec<String>>,
}

pub async fn update_good_practice(
    state: &AppState,
    who: &Principal,
    id: i32,
    input: GoodPracticeUpdate,
) -> AppResult<()> {
    require(who, Action::EditStructure)?;
    if let Some(year) = input.year {
        check_year("input.year", year)?;
    }
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let m = e::good_practices::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such item".into()))?;
    let mut active: e::good_practices::ActiveModel = m.into();
    if let Some(year) = input.year {
        active.year = Set(year);
    }
    if let Some(country) = input.country {
        active.country_id = Set(one_term(txn, Taxonomy::Country, country.as_ref(), "input.country").await?);
    }
    if let Some(region) = input.region {
        active.region_id = Set(one_term(txn, Taxonomy::Region, region.as_ref(), "input.region").await?);
    }
    if let Some(org) = input.organization {
        if let Some(o) = org {
            organization_exists(txn, o, "input.organization").await?;
        }
        active.organization_id = Set(org);
    }
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    if let Some(topics) = input.topics {
        let ids = term_ids(txn, Taxonomy::Topic, &topics, "topics").await?;
        e::good_practice_topics::Entity::delete_many()
            .filter(e::good_practice_topics::Column::GoodPracticeId.eq(id))
            .exec(txn)
            .await?;
        for term_id in ids {
            e::good_practice_topics::ActiveModel { good_practice_id: Set(id), term_id: Set(term_id) }
                .insert(txn)
                .await?;
        }
    }
    w.record("good_practice.update", "good_practice", id, None, "updated").await?;
    w.commit().await?;
    Ok(())
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

pub async fn update_organization(
    state: &AppState,
    who: &Principal,
    id: i32,
    input: OrganizationUpdate,
) -> AppResult<()> {
    require(who, Action::EditStructure)?;
    if let Some(Some(w)) = &input.website {
        check_website(w)?;
    }
    if input.parent == Some(Some(id)) {
        return Err(AppError::bad_input("input.parent: an organisation is not its own parent"));
    }
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let m = e::organizations::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such item".into()))?;
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
        if let Some(p) = parent {
            organization_exists(txn, p, "input.parent").await?;
        }
        active.parent_id = Set(parent);
    }
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    w.record("organization.update", "organization", id, None, "updated").await?;
    w.commit().await?;
    Ok(())
}

/// Changes to a programme's facts; absent fields keep their value, lists replace.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeUpdate {
    pub start_year: Option<i32>,
    pub end_year: Option<Option<i32>>,
    pub funders: Option<Vec<i32>>,
}

pub async fn update_programme(state: &AppState, who: &Principal, id: i32, input: ProgrammeUpdate) -> AppResult<()> {
    require(who, Action::EditStructure)?;
    if let Some(start) = input.start_year {
        check_year("input.startYear", start)?;
    }
    if let Some(Some(end)) = input.end_year {
        check_year("input.endYear", end)?;
    }
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let m = e::programmes::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such item".into()))?;
    let start = input.start_year.unwrap_or(m.start_year);
    let end = input.end_year.unwrap_or(m.end_year);
    if end.is_some_and(|e| e < start) {
        return Err(AppError::bad_input("input.endYear: not before startYear"));
    }
    let mut active: e::programmes::ActiveModel = m.into();
    active.start_year = Set(start);
    active.end_year = Set(end);
    active.updated_at = Set(Utc::now());
    active.update(txn).await?;
    if let Some(funders) = input.funders {
        for (i, f) in funders.iter().enumerate() {
            organization_exists(txn, *f, &format!("input.funders[{i}]")).await?;
        }
        e::programme_funders::Entity::delete_many()
            .filter(e::programme_funders::Column::ProgrammeId.eq(id))
            .exec(txn)
            .await?;
        let mut seen = Vec::new();
        for f in funders {
            if !seen.contains(&f) {
                seen.push(f);
                e::programme_funders::ActiveModel { programme_id: Set(id), organization_id: Set(f) }
                    .insert(txn)
                    .await?;
            }
        }
    }
    w.record("programme.update", "programme", id, None, "updated").await?;
    w.commit().await?;
    Ok(())
}

/// Deletes an item with every locale version, link and live copy.
pub async fn delete(state: &AppState, who: &Principal, ty: ContentType, id: i32) -> AppResult<()> {
    require(who, Action::DeleteItem)?;
    let w = Write::begin(&state.db, who.into(), state).await?;
    let txn = w.txn();
    let q = sea_orm::sea_query::Query::delete()
        .from_table(sea_orm::sea_query::Alias::new(ty.base_table()))
        .and_where(sea_orm::sea_query::ExprTrait::eq(
            sea_orm::sea_query::Expr::col(sea_orm::sea_query::Alias::new("id")),
            id,
        ))
        .to_owned();
    let done = sea_orm::ConnectionTrait::execute(txn, &q).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("no such item".into()));
    }
    w.record("item.delete", translate::entity_name(ty), id, None, "deleted").await?;
    w.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_bounded_and_the_field_is_named() {
        for year in [1900, 2026, 2200] {
            assert!(check_year("input.year", year).is_ok(), "{year}");
        }
        for year in [-5, -1, 0, 1899, 2201, 262_142] {
            let err = check_year("input.startYear", year).unwrap_err();
            assert_eq!(err.code(), crate::error::Code::BadUserInput);
            assert!(err.to_string().contains("input.startYear"), "{year}: {err}");
        }
    }
}
