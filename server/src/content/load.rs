//! Batch fetches by id for the data loaders: one statement per call, whatever the number of ids.
//!
//! Only visible content is returned: translations in configured locales whose status the
//! caller's `Visibility` allows.

use std::collections::{HashMap, HashSet};

use chorus_entities as e;
use e::OrganizationRole;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Body, ContentType, Term, Translation, Visibility};
use crate::error::AppResult;
use sea_orm::FromQueryResult;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

/// The visible (published, configured-locale) rows of a translation table for some items,
/// reading only the given columns.
fn visible_translations(
    ty: ContentType,
    ids: &[i32],
    locales: &[String],
    visibility: Visibility,
    columns: &[&str],
) -> SelectStatement {
    let mut q = Query::select();
    for c in columns {
        q.column(Alias::new(*c));
    }
    q.from(Alias::new(ty.translation_table()))
        .and_where(Expr::col(Alias::new("item_id")).is_in(ids.iter().copied()))
        .and_where(visibility.condition(ty.translation_table()))
        .and_where(Expr::col(Alias::new("locale")).is_in(locales.iter().cloned()));
    q
}

/// Visible translations (without bodies) of items of one type, grouped by item id.
pub async fn translations<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    ids: &[i32],
    locales: &[String],
    visibility: Visibility,
) -> AppResult<HashMap<i32, Vec<Translation>>> {
    let q = visible_translations(
        ty,
        ids,
        locales,
        visibility,
        &["item_id", "locale", "status", "title", "summary", "slug", "updated_at"],
    );
    let rows = Translation::find_by_statement(db.get_database_backend().build(&q)).all(db).await?;
    Ok(group(rows.into_iter().map(|t| (t.item_id, t))))
}

/// Visible translations (without bodies) of items of one type in the locales of a reader's chain,
/// grouped by item id: what localising for that reader needs unless an item has none of them
/// published, or a summary empty in all of them (see `graphql::connection::load_texts`).
pub async fn texts<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    ids: &[i32],
    chain: &[String],
    visibility: Visibility,
) -> AppResult<HashMap<i32, Vec<Translation>>> {
    translations(db, ty, ids, chain, visibility).await
}

/// Visible bodies of items of one type, grouped by item id.
pub async fn bodies<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    ids: &[i32],
    locales: &[String],
    visibility: Visibility,
) -> AppResult<HashMap<i32, Vec<Body>>> {
    let q = visible_translations(ty, ids, locales, visibility, &["item_id", "locale", "body"]);
    let rows = Body::find_by_statement(db.get_database_backend().build(&q)).all(db).await?;
    Ok(group(rows.into_iter().map(|b| (b.item_id, b))))
}

/// Which of these items of one type have a visible translation, that is, which ones the reader
/// may know exist (one statement).
pub async fn visible_ids<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    ids: &[i32],
    locales: &[String],
    visibility: Visibility,
) -> AppResult<HashSet<i32>> {
    #[derive(FromQueryResult)]
    struct Row {
        item_id: i32,
    }
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut q = visible_translations(ty, ids, locales, visibility, &["item_id"]);
    q.distinct();
    let rows = Row::find_by_statement(db.get_database_backend().build(&q)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.item_id).collect())
}

macro_rules! by_ids {
    ($name:ident, $m:ident) => {
        /// Base rows by id.
        pub async fn $name<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, e::$m::Model>> {
            Ok(e::$m::Entity::find()
                .filter(e::$m::Column::Id.is_in(ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|m| (m.id, m))
                .collect())
        }
    };
}
by_ids!(resources, resources);
by_ids!(good_practices, good_practices);
by_ids!(organizations, organizations);
by_ids!(programmes, programmes);

/// Taxonomy terms with all their labels (two statements).
pub async fn terms<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Term>> {
    let terms = e::terms::Entity::find().filter(e::terms::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    terms_with_labels(db, terms).await
}

/// Every term of a taxonomy, in position order.
pub async fn taxonomy<C: ConnectionTrait>(db: &C, taxonomy: e::Taxonomy) -> AppResult<Vec<Term>> {
    let terms = e::terms::Entity::find()
        .filter(e::terms::Column::Taxonomy.eq(taxonomy))
        .order_by_asc(e::terms::Column::Position)
        .order_by_asc(e::terms::Column::Code)
        .all(db)
        .await?;
    let order: Vec<i32> = terms.iter().map(|t| t.id).collect();
    let mut by_id = terms_with_labels(db, terms).await?;
    Ok(order.into_iter().filter_map(|id| by_id.remove(&id)).collect())
}

pub(crate) async fn terms_with_labels<C: ConnectionTrait>(
    db: &C,
    terms: Vec<e::terms::Model>,
) -> AppResult<HashMap<i32, Term>> {
    let ids: Vec<i32> = terms.iter().map(|t| t.id).collect();
    let mut labels: HashMap<i32, Vec<(String, String, String)>> = HashMap::new();
    if !ids.is_empty() {
        for l in e::term_labels::Entity::find().filter(e::term_labels::Column::TermId.is_in(ids)).all(db).await? {
            labels.entry(l.term_id).or_default().push((l.locale, l.label, l.sort_key));
        }
    }
    Ok(terms
        .into_iter()
        .map(|t| {
            let term = Term {
                id: t.id,
                taxonomy: t.taxonomy,
                code: t.code,
                parent_id: t.parent_id,
                position: t.position,
                labels: labels.remove(&t.id).unwrap_or_default(),
            };
            (t.id, term)
        })
        .collect())
}

/// The term ids linked to each resource.
pub async fn resource_terms<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<i32>>> {
    // In the order a page reads them (`resources::TERM_LINKS`).
    let rows = e::resource_terms::Entity::find()
        .filter(e::resource_terms::Column::ResourceId.is_in(ids.iter().copied()))
        .order_by_asc(e::resource_terms::Column::TermId)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|r| (r.resource_id, r.term_id))))
}

/// The organisations linked to each resource, with their role.
pub async fn resource_organizations<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
) -> AppResult<HashMap<i32, Vec<(i32, OrganizationRole)>>> {
    // In the order a page reads them (`resources::ORGANIZATION_LINKS`).
    let rows = e::resource_organizations::Entity::find()
        .filter(e::resource_organizations::Column::ResourceId.is_in(ids.iter().copied()))
        .order_by_asc(e::resource_organizations::Column::OrganizationId)
        .order_by_asc(e::resource_organizations::Column::Role)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|r| (r.resource_id, (r.organization_id, r.role)))))
}

/// The topic term ids of each good-practice example.
pub async fn good_practice_topics<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<i32>>> {
    let rows = e::good_practice_topics::Entity::find()
        .filter(e::good_practice_topics::Column::GoodPracticeId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|r| (r.good_practice_id, r.term_id))))
}

/// The funder organisation ids of each programme.
pub async fn programme_funders<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<i32>>> {
    let rows = e::programme_funders::Entity::find()
        .filter(e::programme_funders::Column::ProgrammeId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(group(rows.into_iter().map(|r| (r.programme_id, r.organization_id))))
}

/// The member organisation ids of each parent organisation.
pub async fn organization_members<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<i32>>> {
    let rows = e::organizations::Entity::find()
        .filter(e::organizations::Column::ParentId.is_in(ids.iter().copied()))
        .order_by_asc(e::organizations::Column::Id)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().filter_map(|o| o.parent_id.map(|p| (p, o.id)))))
}

fn group<K: std::hash::Hash + Eq, V>(pairs: impl Iterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut out: HashMap<K, Vec<V>> = HashMap::new();
    for (k, v) in pairs {
        out.entry(k).or_default().push(v);
    }
    out
}

/// The child term ids of each term (countries of a region).
pub async fn term_children<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<i32>>> {
    let rows = e::terms::Entity::find()
        .filter(e::terms::Column::ParentId.is_in(ids.iter().copied()))
        .order_by_asc(e::terms::Column::Position)
        .order_by_asc(e::terms::Column::Code)
        .all(db)
        .await?;
    Ok(group(rows.into_iter().filter_map(|t| t.parent_id.map(|p| (p, t.id)))))
}
