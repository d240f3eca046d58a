//! What every item shares: creation with its source-locale text as a draft working copy,
//! changes to its language-neutral facts, deletion. The steps are written once here, generic
//! over a [`Kind`], the part each content type's home (`resources.rs`, `good_practices.rs`...)
//! provides: its facts, their validation and their links. Translations and publication follow
//! through `translate`.

use std::future::Future;

use chorus_entities::{self as e, Taxonomy};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::ContentType;
use super::Services;
use super::translate::{self, TextInput};
use crate::auth::policy::{Action, Principal, allows};
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// A content type's writable facts: what its home provides to `create` and `update`.
pub trait Kind {
    const TYPE: ContentType;
    /// A new item's facts and links.
    type New: Send;
    /// Changes to an item's facts and links; absent fields keep their value.
    type Update: Send;

    /// Checks a new item's facts that need no database (dates, addresses, lengths).
    fn check_new(input: &Self::New) -> AppResult<()>;

    /// Checks changes that need no database.
    fn check_update(id: i32, input: &Self::Update) -> AppResult<()>;

    /// Inserts the base row and its links; the new id.
    fn insert(
        txn: &DatabaseTransaction,
        input: Self::New,
        source_locale: &str,
    ) -> impl Future<Output = AppResult<i32>> + Send;

    /// Applies changes to the base row (and its `updated_at`) and its links; `NOT_FOUND` when
    /// there is no such item.
    fn apply(txn: &DatabaseTransaction, id: i32, input: Self::Update) -> impl Future<Output = AppResult<()>> + Send;
}

/// A new item: its facts, the locale it is written in and its text there (`title` required).
#[derive(Debug, Clone)]
pub struct NewItem<N> {
    pub facts: N,
    pub source_locale: String,
    pub text: TextInput,
}

/// Creates an item with a draft working copy in its source locale; its id.
pub async fn create<K: Kind>(state: &impl Services, who: &Principal, input: NewItem<K::New>) -> AppResult<i32> {
    require(who, Action::CreateItem)?;
    let source = state
        .locales()
        .configured_code(&input.source_locale)
        .map(str::to_owned)
        .map_err(|e| AppError::bad_input(format!("input.sourceLocale: {e}")))?;
    if input.text.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(AppError::bad_input("input.text.title: required"));
    }
    K::check_new(&input.facts)?;
    let entity = K::TYPE.entity();
    let w = Write::begin(state.db(), who.into(), state).await?;
    let id = K::insert(w.txn(), input.facts, &source).await?;
    w.record(&format!("{entity}.create"), entity, id, None, "created").await?;
    translate::save_in(&w, who, K::TYPE, id, &source, &source, input.text).await?;
    w.commit().await?;
    Ok(id)
}

/// Changes an item's language-neutral facts and links (its texts change through `translate`).
pub async fn update<K: Kind>(state: &impl Services, who: &Principal, id: i32, input: K::Update) -> AppResult<()> {
    require(who, Action::EditStructure)?;
    K::check_update(id, &input)?;
    let entity = K::TYPE.entity();
    let w = Write::begin(state.db(), who.into(), state).await?;
    K::apply(w.txn(), id, input).await?;
    w.record(&format!("{entity}.update"), entity, id, None, "updated").await?;
    w.commit().await?;
    Ok(())
}

/// Deletes an item with every locale version, link and live copy.
pub async fn delete(state: &impl Services, who: &Principal, ty: ContentType, id: i32) -> AppResult<()> {
    require(who, Action::DeleteItem)?;
    let w = Write::begin(state.db(), who.into(), state).await?;
    let q = Query::delete()
        .from_table(Alias::new(ty.base_table()))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    if w.txn().execute(&q).await?.rows_affected() == 0 {
        return Err(AppError::NotFound("no such item".into()));
    }
    super::documents::delete_for_item(w.txn(), ty, id).await?;
    w.record("item.delete", ty.entity(), id, None, "deleted").await?;
    w.commit().await?;
    Ok(())
}

fn require(who: &Principal, action: Action) -> AppResult<()> {
    if allows(who, &action) { Ok(()) } else { Err(AppError::Forbidden("your role does not allow this".into())) }
}

/// The `NOT_FOUND` of an update on an item that does not exist.
pub(super) fn no_such_item() -> AppError {
    AppError::NotFound("no such item".into())
}

/// The years an item's dates may fall in (a resource's publication date, a good practice's
/// year, a programme's start and end): one rule for every date an editor types, so that a typo
/// (year -5, or chrono's year 262142) is refused instead of being stored and sorted.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

pub(super) fn check_year(field: &str, year: i32) -> AppResult<()> {
    if !YEARS.contains(&year) {
        return Err(AppError::bad_input(format!("{field}: a year between {} and {}", YEARS.start(), YEARS.end())));
    }
    Ok(())
}

fn term_code(taxonomy: Taxonomy, raw: &str) -> String {
    if taxonomy == Taxonomy::Country { raw.trim().to_ascii_uppercase() } else { raw.trim().to_ascii_lowercase() }
}

/// The ids of taxonomy codes, in order, without repeats; an unknown code names its field.
pub(super) async fn term_ids<C: ConnectionTrait>(
    db: &C,
    taxonomy: Taxonomy,
    codes: &[String],
    field: &str,
) -> AppResult<Vec<i32>> {
    let mut ids = Vec::new();
    for (i, raw) in codes.iter().enumerate() {
        let id = term_id(db, taxonomy, raw, &format!("input.{field}[{i}]")).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The id of one optional taxonomy code.
pub(super) async fn one_term<C: ConnectionTrait>(
    db: &C,
    taxonomy: Taxonomy,
    code: Option<&String>,
    field: &str,
) -> AppResult<Option<i32>> {
    match code {
        Some(raw) => Ok(Some(term_id(db, taxonomy, raw, field).await?)),
        None => Ok(None),
    }
}

async fn term_id<C: ConnectionTrait>(db: &C, taxonomy: Taxonomy, raw: &str, field: &str) -> AppResult<i32> {
    let code = term_code(taxonomy, raw);
    let term = e::terms::Entity::find()
        .filter(e::terms::Column::Taxonomy.eq(taxonomy))
        .filter(e::terms::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::bad_input(format!("{field}: no such code `{code}`")))?;
    Ok(term.id)
}

pub(super) async fn organization_exists<C: ConnectionTrait>(db: &C, id: i32, field: &str) -> AppResult<()> {
    if e::organizations::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(AppError::bad_input(format!("{field}: no such organisation")));
    }
    Ok(())
}

/// An optional reference to an organisation, checked to exist.
pub(super) async fn organization_ref<C: ConnectionTrait>(
    db: &C,
    id: Option<i32>,
    field: &str,
) -> AppResult<Option<i32>> {
    if let Some(id) = id {
        organization_exists(db, id, field).await?;
    }
    Ok(id)
}

/// Each value once, in first-seen order.
pub(super) fn once<T: PartialEq>(values: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
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
