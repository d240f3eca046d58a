//! Taxonomy terms (regions, countries, topics): their codes, labels per locale and writes. Each
//! write checks the policy and goes through the one write path (`write::Write`).

use chorus_entities::{Taxonomy, term_labels, terms};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use super::Services;
use super::text::sort_key;
use super::{Term, load};
use crate::auth::policy::{Action, Principal, allows};
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// Longest label accepted.
const MAX_LABEL: usize = 200;

fn require(who: &Principal, action: &Action) -> AppResult<()> {
    if allows(who, action) { Ok(()) } else { Err(AppError::Forbidden("your role does not allow this".into())) }
}

/// A term's new or changed fields.
#[derive(Debug, Clone, Default)]
pub struct TermInput {
    /// Only on creation: codes are stable identifiers.
    pub code: Option<String>,
    /// The region code of a country.
    pub parent: Option<String>,
    /// (locale, label) pairs to set.
    pub labels: Vec<(String, String)>,
    /// Locales whose label is removed.
    pub remove_labels: Vec<String>,
}

fn normalize_code(taxonomy: Taxonomy, raw: &str) -> AppResult<String> {
    let code = raw.trim();
    let ok = match taxonomy {
        Taxonomy::Country => code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()),
        _ => {
            !code.is_empty()
                && code.len() <= 64
                && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
    };
    if !ok {
        let rule = match taxonomy {
            Taxonomy::Country => "an ISO 3166-1 alpha-2 code such as KE",
            _ => "lowercase letters, digits and hyphens, at most 64",
        };
        return Err(AppError::bad_input(format!("input.code: {rule}")));
    }
    Ok(if taxonomy == Taxonomy::Country { code.to_ascii_uppercase() } else { code.to_owned() })
}

/// Labels to set, as (locale, label), and locales whose label goes.
type LabelChanges = (Vec<(String, String)>, Vec<String>);

/// Validates labels: configured locales, 1 to 200 characters, one per locale.
fn validate_labels(state: &impl Services, input: &TermInput) -> AppResult<LabelChanges> {
    let mut labels: Vec<(String, String)> = Vec::new();
    for (i, (locale, label)) in input.labels.iter().enumerate() {
        let code = state
            .locales()
            .configured_code(locale)
            .map_err(|e| AppError::bad_input(format!("input.labels[{i}].locale: {e}")))?
            .to_owned();
        let label = label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL {
            return Err(AppError::bad_input(format!("input.labels[{i}].label: between 1 and {MAX_LABEL} characters")));
        }
        if labels.iter().any(|(l, _)| *l == code) {
            return Err(AppError::bad_input(format!("input.labels[{i}].locale: `{code}` is given twice")));
        }
        labels.push((code, label.to_owned()));
    }
    let mut removed = Vec::new();
    for (i, locale) in input.remove_labels.iter().enumerate() {
        let code = state
            .locales()
            .configured_code(locale)
            .map_err(|e| AppError::bad_input(format!("input.removeLabels[{i}]: {e}")))?;
        removed.push(code.to_owned());
    }
    Ok((labels, removed))
}

async fn region_id<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<i32> {
    terms::Entity::find()
        .filter(terms::Column::Taxonomy.eq(Taxonomy::Region))
        .filter(terms::Column::Code.eq(code.trim().to_ascii_lowercase()))
        .one(db)
        .await?
        .map(|t| t.id)
        .ok_or_else(|| AppError::bad_input(format!("input.parent: no region with code `{}`", code.trim())))
}

async fn set_labels<C: ConnectionTrait>(
    db: &C,
    term_id: i32,
    labels: &[(String, String)],
    removed: &[String],
) -> AppResult<()> {
    for (locale, label) in labels {
        let existing = term_labels::Entity::find()
            .filter(term_labels::Column::TermId.eq(term_id))
            .filter(term_labels::Column::Locale.eq(locale.as_str()))
            .one(db)
            .await?;
        match existing {
            Some(row) => {
                let mut active: term_labels::ActiveModel = row.into();
                active.label = Set(label.clone());
                active.sort_key = Set(sort_key(locale, label));
                active.update(db).await?;
            }
            None => {
                term_labels::ActiveModel {
                    term_id: Set(term_id),
                    locale: Set(locale.clone()),
                    label: Set(label.clone()),
                    sort_key: Set(sort_key(locale, label)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    if !removed.is_empty() {
        term_labels::Entity::delete_many()
            .filter(term_labels::Column::TermId.eq(term_id))
            .filter(term_labels::Column::Locale.is_in(removed.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

async fn reload(state: &impl Services, id: i32) -> AppResult<Term> {
    load::terms(state.db(), &[id]).await?.remove(&id).ok_or_else(|| AppError::NotFound("no such term".into()))
}

/// Creates a taxonomy term with its labels.
pub async fn create_term(
    state: &impl Services,
    who: &Principal,
    taxonomy: Taxonomy,
    input: TermInput,
) -> AppResult<Term> {
    require(who, &Action::ManageTaxonomy)?;
    let code = normalize_code(taxonomy, input.code.as_deref().unwrap_or_default())?;
    let (labels, _) = validate_labels(state, &input)?;
    if labels.is_empty() {
        return Err(AppError::bad_input("input.labels: at least one label"));
    }
    if input.parent.is_some() && taxonomy != Taxonomy::Country {
        return Err(AppError::bad_input("input.parent: only countries belong to a region"));
    }
    let w = Write::begin(state.db(), who.into(), state).await?;
    let txn = w.txn();
    let exists = terms::Entity::find()
        .filter(terms::Column::Taxonomy.eq(taxonomy))
        .filter(terms::Column::Code.eq(code.as_str()))
        .one(txn)
        .await?;
    if exists.is_some() {
        return Err(AppError::bad_input(format!("input.code: `{code}` is taken")));
    }
    let parent_id = match &input.parent {
        Some(p) => Some(region_id(txn, p).await?),
        None => None,
    };
    let position = terms::Entity::find()
        .filter(terms::Column::Taxonomy.eq(taxonomy))
        .select_only()
        .column_as(terms::Column::Position.max(), "max")
        .into_tuple::<Option<i32>>()
        .one(txn)
        .await?
        .flatten()
        .map_or(0, |m| m + 1);
    let term = terms::ActiveModel {
        taxonomy: Set(taxonomy),
        code: Set(code),
        parent_id: Set(parent_id),
        position: Set(position),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    set_labels(txn, term.id, &labels, &[]).await?;
    w.record("term.create", "term", term.id, None, "created").await?;
    w.commit().await?;
    reload(state, term.id).await
}

/// Changes a term's labels (and a country's region). Codes never change.
pub async fn update_term(state: &impl Services, who: &Principal, id: i32, input: TermInput) -> AppResult<Term> {
    require(who, &Action::ManageTaxonomy)?;
    if input.code.is_some() {
        return Err(AppError::bad_input("input.code: codes are stable; create a new term instead"));
    }
    let (labels, removed) = validate_labels(state, &input)?;
    let w = Write::begin(state.db(), who.into(), state).await?;
    let txn = w.txn();
    let term =
        terms::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| AppError::NotFound("no such term".into()))?;
    if let Some(p) = &input.parent {
        if term.taxonomy != Taxonomy::Country {
            return Err(AppError::bad_input("input.parent: only countries belong to a region"));
        }
        let parent = region_id(txn, p).await?;
        let mut active: terms::ActiveModel = term.clone().into();
        active.parent_id = Set(Some(parent));
        active.update(txn).await?;
    }
    set_labels(txn, id, &labels, &removed).await?;
    let left = term_labels::Entity::find().filter(term_labels::Column::TermId.eq(id)).count(txn).await?;
    if left == 0 {
        return Err(AppError::bad_input("input.removeLabels: a term keeps at least one label"));
    }
    w.record("term.update", "term", id, None, "updated").await?;
    w.commit().await?;
    reload(state, id).await
}

/// Deletes a term; items lose the link, countries of a deleted region lose their region.
pub async fn delete_term(state: &impl Services, who: &Principal, id: i32) -> AppResult<()> {
    require(who, &Action::ManageTaxonomy)?;
    let w = Write::begin(state.db(), who.into(), state).await?;
    let txn = w.txn();
    let deleted = terms::Entity::delete_by_id(id).exec(txn).await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("no such term".into()));
    }
    w.record("term.delete", "term", id, None, "deleted").await?;
    w.commit().await?;
    Ok(())
}
