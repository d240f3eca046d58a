//! The translation tables, reached one way for every content type: each type's
//! `*_translations` table has the same columns (`translation_entity!`), so rows are read into one
//! model and written with statements on the type's table name. A working row per (item, locale)
//! is what editors change; a live row, its copy at publication, is what readers see.

use chorus_entities::{self as e, PublicationStatus, TranslationVersion};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoIden, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult};

use super::ContentType;
use super::text::{sanitize_html, slugify, sort_key, source_hashes};
use super::translate::{TextInput, WorkingCopy};
use crate::error::{AppError, AppResult};

/// A row of any translation table (they share one shape).
pub(crate) type Row = e::resource_translations::Model;

const COLUMNS: [&str; 14] = [
    "id",
    "item_id",
    "locale",
    "status",
    "title",
    "summary",
    "body",
    "slug",
    "sort_key",
    "source_hashes",
    "created_at",
    "updated_at",
    "published_at",
    "version",
];

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn select(ty: ContentType) -> SelectStatement {
    let mut q = Query::select();
    q.columns(COLUMNS.map(Alias::new)).from(Alias::new(ty.translation_table()));
    q
}

async fn one(txn: &DatabaseTransaction, q: &SelectStatement) -> AppResult<Option<Row>> {
    Ok(Row::find_by_statement(txn.get_database_backend().build(q)).one(txn).await?)
}

async fn version(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    locale: &str,
    v: TranslationVersion,
) -> AppResult<Option<Row>> {
    let mut q = select(ty);
    q.and_where(col("item_id").eq(id)).and_where(col("locale").eq(locale)).and_where(col("version").eq(v));
    one(txn, &q).await
}

/// The working row of a locale version.
pub(crate) async fn working(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    locale: &str,
) -> AppResult<Option<Row>> {
    version(txn, ty, id, locale, TranslationVersion::Working).await
}

async fn live(txn: &DatabaseTransaction, ty: ContentType, id: i32, locale: &str) -> AppResult<Option<Row>> {
    version(txn, ty, id, locale, TranslationVersion::Live).await
}

async fn slug_taken(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    locale: &str,
    slug: &str,
    v: TranslationVersion,
) -> AppResult<bool> {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from(Alias::new(ty.translation_table()))
        .and_where(col("locale").eq(locale))
        .and_where(col("slug").eq(slug))
        .and_where(col("version").eq(v))
        .and_where(col("item_id").ne(id))
        .limit(1);
    Ok(txn.query_one(&q).await?.is_some())
}

async fn free_slug(txn: &DatabaseTransaction, ty: ContentType, id: i32, locale: &str, base: &str) -> AppResult<String> {
    let mut slug = base.to_owned();
    let mut n = 2;
    while slug_taken(txn, ty, id, locale, &slug, TranslationVersion::Working).await? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

/// Inserts a row from (column, value) pairs and returns it.
async fn insert(txn: &DatabaseTransaction, ty: ContentType, values: Vec<(&str, SimpleExpr)>) -> AppResult<Row> {
    let (columns, values): (Vec<_>, Vec<_>) = values.into_iter().map(|(c, v)| (Alias::new(c).into_iden(), v)).unzip();
    let mut q = Query::insert();
    q.into_table(Alias::new(ty.translation_table()))
        .columns(columns)
        .values(values)
        .map_err(AppError::internal)?
        .returning(Query::returning().columns(COLUMNS.map(Alias::new)));
    Row::find_by_statement(txn.get_database_backend().build(&q))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("an insert returned no row"))
}

/// Sets columns of the row `id` and returns it.
async fn update(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    values: Vec<(&str, SimpleExpr)>,
) -> AppResult<Row> {
    let mut q = Query::update();
    q.table(Alias::new(ty.translation_table()))
        .values(values.into_iter().map(|(c, v)| (Alias::new(c).into_iden(), v)))
        .and_where(col("id").eq(id))
        .returning(Query::returning().columns(COLUMNS.map(Alias::new)));
    Row::find_by_statement(txn.get_database_backend().build(&q))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("no such translation".into()))
}

async fn delete(txn: &DatabaseTransaction, ty: ContentType, id: i32) -> AppResult<()> {
    let q = Query::delete().from_table(Alias::new(ty.translation_table())).and_where(col("id").eq(id)).to_owned();
    txn.execute(&q).await?;
    Ok(())
}

pub(crate) fn copy(m: &Row, live: bool) -> WorkingCopy {
    WorkingCopy {
        locale: m.locale.clone(),
        status: m.status,
        title: m.title.clone(),
        summary: m.summary.clone(),
        body: m.body.clone(),
        slug: m.slug.clone(),
        updated_at: m.updated_at,
        live,
    }
}

fn v(value: impl Into<sea_orm::Value>) -> SimpleExpr {
    Expr::val(value)
}

/// The source hashes a translation records: the source's own, except for fields made from an
/// earlier text.
fn made_from(source: &str, earlier: &[(&'static str, String)]) -> String {
    if earlier.is_empty() {
        return source.to_owned();
    }
    let mut map: std::collections::BTreeMap<String, String> = serde_json::from_str(source).unwrap_or_default();
    for (field, hash) in earlier {
        map.insert((*field).to_owned(), hash.clone());
    }
    serde_json::to_string(&map).unwrap_or_else(|_| source.to_owned())
}

/// The working copy as it is now, if any.
pub async fn current(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    locale: &str,
) -> AppResult<Option<WorkingCopy>> {
    Ok(working(txn, ty, id, locale).await?.map(|m| copy(&m, false)))
}

/// Saves the working copy (a new draft, or a change that leaves review in review and makes
/// anything else a draft again); the live copy is not touched. Returns the copy and the fields
/// that changed.
pub async fn save(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    locale: &str,
    source: &str,
    input: TextInput,
) -> AppResult<(WorkingCopy, Vec<&'static str>)> {
    let now = Utc::now();
    let existing = working(txn, ty, id, locale).await?;
    let before = existing.as_ref().map(|r| (r.title.clone(), r.summary.clone(), r.body.clone(), r.slug.clone()));
    let body = input.body.as_deref().map(sanitize_html);
    let slug = match input.slug.as_deref() {
        Some(raw) => {
            let slug = slugify(raw);
            if slug_taken(txn, ty, id, locale, &slug, TranslationVersion::Working).await? {
                return Err(AppError::bad_input(format!("input.slug: `{slug}` is taken in this locale")));
            }
            Some(slug)
        }
        None => None,
    };
    // The source text this version is made from: its own text for the source locale.
    let source_row = if locale == source { None } else { working(txn, ty, id, source).await? };
    let saved = match existing {
        None => {
            let title = input
                .title
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| AppError::bad_input("input.title: required for a new translation"))?;
            let summary = input.summary.unwrap_or_default();
            let body = body.unwrap_or_default();
            let slug = match slug {
                Some(s) => s,
                None => free_slug(txn, ty, id, locale, &slugify(&title)).await?,
            };
            let hashes = match &source_row {
                Some(s) => made_from(&s.source_hashes, &input.made_from),
                None => source_hashes(&title, &summary, &body),
            };
            insert(
                txn,
                ty,
                vec![
                    ("item_id", v(id)),
                    ("locale", v(locale)),
                    ("status", v(PublicationStatus::Draft)),
                    ("sort_key", v(sort_key(locale, &title))),
                    ("title", v(title)),
                    ("summary", v(summary)),
                    ("body", v(body)),
                    ("slug", v(slug)),
                    ("source_hashes", v(hashes)),
                    ("created_at", v(now)),
                    ("updated_at", v(now)),
                    ("published_at", v(Option::<chrono::DateTime<Utc>>::None)),
                    ("version", v(TranslationVersion::Working)),
                ],
            )
            .await?
        }
        Some(row) => {
            let title = input.title.clone().unwrap_or_else(|| row.title.clone());
            if title.trim().is_empty() {
                return Err(AppError::bad_input("input.title: cannot be empty"));
            }
            let summary = input.summary.clone().unwrap_or_else(|| row.summary.clone());
            let body = body.unwrap_or_else(|| row.body.clone());
            let hashes = match &source_row {
                Some(s) => made_from(&s.source_hashes, &input.made_from),
                None => source_hashes(&title, &summary, &body),
            };
            let mut values = vec![
                ("sort_key", v(sort_key(locale, &title))),
                ("source_hashes", v(hashes)),
                ("title", v(title)),
                ("summary", v(summary)),
                ("body", v(body)),
                ("updated_at", v(now)),
            ];
            if let Some(s) = slug {
                values.push(("slug", v(s)));
            }
            // An edit leaves review in review; anything else becomes a draft again, while the
            // live copy stays online as it was.
            if row.status != PublicationStatus::InReview {
                values.push(("status", v(PublicationStatus::Draft)));
            }
            update(txn, ty, row.id, values).await?
        }
    };
    let is_live = live(txn, ty, id, locale).await?.is_some();
    let changed: Vec<&'static str> = match before {
        None => vec!["title", "summary", "body", "slug"],
        Some((title, summary, body, slug)) => [
            (title != saved.title, "title"),
            (summary != saved.summary, "summary"),
            (body != saved.body, "body"),
            (slug != saved.slug, "slug"),
        ]
        .into_iter()
        .filter_map(|(c, f)| c.then_some(f))
        .collect(),
    };
    Ok((copy(&saved, is_live), changed))
}

/// Moves the working copy to a status: publishing copies it live, archiving takes the live copy
/// offline. Returns the copy and the change-log operation (`published`, `unpublished`).
pub async fn set_status(
    txn: &DatabaseTransaction,
    ty: ContentType,
    id: i32,
    locale: &str,
    to: PublicationStatus,
) -> AppResult<(WorkingCopy, Option<&'static str>)> {
    let now = Utc::now();
    let row = working(txn, ty, id, locale).await?.ok_or_else(|| AppError::NotFound("no such translation".into()))?;
    let current_live = live(txn, ty, id, locale).await?;
    let mut operation = None;
    match to {
        PublicationStatus::Published => {
            if slug_taken(txn, ty, id, locale, &row.slug, TranslationVersion::Live).await? {
                return Err(AppError::bad_input("slug: taken by another published item in this locale"));
            }
            let fields = vec![
                ("status", v(PublicationStatus::Published)),
                ("title", v(row.title.clone())),
                ("summary", v(row.summary.clone())),
                ("body", v(row.body.clone())),
                ("slug", v(row.slug.clone())),
                ("sort_key", v(row.sort_key.clone())),
                ("source_hashes", v(row.source_hashes.clone())),
                ("updated_at", v(now)),
                ("published_at", v(Some(now))),
            ];
            match current_live {
                Some(l) => {
                    update(txn, ty, l.id, fields).await?;
                }
                None => {
                    let mut values = vec![
                        ("item_id", v(id)),
                        ("locale", v(locale)),
                        ("created_at", v(now)),
                        ("version", v(TranslationVersion::Live)),
                    ];
                    values.extend(fields);
                    insert(txn, ty, values).await?;
                }
            }
            operation = Some("published");
        }
        PublicationStatus::Archived => {
            if let Some(l) = current_live {
                delete(txn, ty, l.id).await?;
                operation = Some("unpublished");
            }
        }
        PublicationStatus::Draft | PublicationStatus::InReview => {}
    }
    let mut values = vec![("status", v(to)), ("updated_at", v(now))];
    if to == PublicationStatus::Published {
        values.push(("published_at", v(Some(now))));
    }
    let saved = update(txn, ty, row.id, values).await?;
    let is_live = live(txn, ty, id, locale).await?.is_some();
    Ok((copy(&saved, is_live), operation))
}

/// Takes a locale version offline: the live copy goes, the working copy becomes a draft.
pub async fn unpublish(txn: &DatabaseTransaction, ty: ContentType, id: i32, locale: &str) -> AppResult<WorkingCopy> {
    let row = working(txn, ty, id, locale).await?.ok_or_else(|| AppError::NotFound("no such translation".into()))?;
    let l =
        live(txn, ty, id, locale).await?.ok_or_else(|| AppError::bad_input("locale: this version is not published"))?;
    delete(txn, ty, l.id).await?;
    let saved =
        update(txn, ty, row.id, vec![("status", v(PublicationStatus::Draft)), ("updated_at", v(Utc::now()))]).await?;
    Ok(copy(&saved, false))
}

/// The working rows of many items of one type in some locales (for translation files).
pub(crate) async fn working_rows<C: ConnectionTrait>(
    conn: &C,
    ty: ContentType,
    ids: &[i32],
    locales: &[&str],
) -> AppResult<Vec<Row>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = select(ty);
        q.and_where(col("item_id").is_in(chunk.iter().copied()))
            .and_where(col("locale").is_in(locales.iter().copied()))
            .and_where(col("version").eq(TranslationVersion::Working));
        out.extend(Row::find_by_statement(conn.get_database_backend().build(&q)).all(conn).await?);
    }
    Ok(out)
}

/// One of many saves (a translation-file import): the item, its working row in the locale as it
/// is now, the source's hashes, the new text, and whether the save also sends it to review.
pub(crate) struct ManySave {
    pub id: i32,
    pub existing: Option<Row>,
    pub source_hashes: String,
    pub input: TextInput,
    pub to_review: bool,
}

/// Saves the working copies of many items of one type in one locale with the rules of `save`
/// (sanitised body, sort key, free slug for new versions, the source's hashes, review kept or
/// draft again, or review when asked), in few statements: an UPDATE per changed row, one INSERT
/// per chunk of new ones. Returns per item the copy saved, the fields changed and whether the
/// status changed.
pub(crate) async fn save_many(
    txn: &DatabaseTransaction,
    ty: ContentType,
    locale: &str,
    saves: Vec<ManySave>,
) -> AppResult<Vec<(i32, WorkingCopy, Vec<&'static str>, bool)>> {
    let now = Utc::now();
    let mut out = Vec::with_capacity(saves.len());
    // Slugs taken in the locale, read once when some version is new.
    let mut taken: Option<std::collections::HashSet<String>> = None;
    let mut new_rows: Vec<Vec<SimpleExpr>> = Vec::new();
    for s in saves {
        let input = s.input;
        let body = input.body.as_deref().map(sanitize_html);
        let hashes = made_from(&s.source_hashes, &input.made_from);
        match s.existing {
            Some(row) => {
                let title = input.title.clone().unwrap_or_else(|| row.title.clone());
                if title.trim().is_empty() {
                    return Err(AppError::bad_input("input.title: cannot be empty"));
                }
                let summary = input.summary.clone().unwrap_or_else(|| row.summary.clone());
                let body = body.unwrap_or_else(|| row.body.clone());
                let status = if s.to_review || row.status == PublicationStatus::InReview {
                    PublicationStatus::InReview
                } else {
                    PublicationStatus::Draft
                };
                let changed: Vec<&'static str> =
                    [(title != row.title, "title"), (summary != row.summary, "summary"), (body != row.body, "body")]
                        .into_iter()
                        .filter_map(|(c, f)| c.then_some(f))
                        .collect();
                let q = Query::update()
                    .table(Alias::new(ty.translation_table()))
                    .values([
                        (Alias::new("sort_key").into_iden(), v(sort_key(locale, &title))),
                        (Alias::new("source_hashes").into_iden(), v(hashes)),
                        (Alias::new("title").into_iden(), v(title.clone())),
                        (Alias::new("summary").into_iden(), v(summary.clone())),
                        (Alias::new("body").into_iden(), v(body.clone())),
                        (Alias::new("status").into_iden(), v(status)),
                        (Alias::new("updated_at").into_iden(), v(now)),
                    ])
                    .and_where(col("id").eq(row.id))
                    .to_owned();
                txn.execute(&q).await?;
                let copy = WorkingCopy {
                    locale: locale.to_owned(),
                    status,
                    title,
                    summary,
                    body,
                    slug: row.slug.clone(),
                    updated_at: now,
                    live: false,
                };
                out.push((s.id, copy, changed, status != row.status));
            }
            None => {
                let title = input
                    .title
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| AppError::bad_input("input.title: required for a new translation"))?;
                if taken.is_none() {
                    let mut q = Query::select();
                    q.column(Alias::new("slug"))
                        .from(Alias::new(ty.translation_table()))
                        .and_where(col("locale").eq(locale))
                        .and_where(col("version").eq(TranslationVersion::Working));
                    let rows = txn.query_all(&q).await?;
                    taken = Some(rows.iter().filter_map(|r| r.try_get::<String>("", "slug").ok()).collect());
                }
                let set = taken.as_mut().expect("read above");
                let base = slugify(&title);
                let mut slug = base.clone();
                let mut n = 2;
                while set.contains(&slug) {
                    slug = format!("{base}-{n}");
                    n += 1;
                }
                set.insert(slug.clone());
                let summary = input.summary.unwrap_or_default();
                let body = body.unwrap_or_default();
                let status = if s.to_review { PublicationStatus::InReview } else { PublicationStatus::Draft };
                new_rows.push(vec![
                    v(s.id),
                    v(locale),
                    v(status),
                    v(sort_key(locale, &title)),
                    v(title.clone()),
                    v(summary.clone()),
                    v(body.clone()),
                    v(slug.clone()),
                    v(hashes),
                    v(now),
                    v(now),
                    v(Option::<chrono::DateTime<Utc>>::None),
                    v(TranslationVersion::Working),
                ]);
                let copy = WorkingCopy {
                    locale: locale.to_owned(),
                    status,
                    title,
                    summary,
                    body,
                    slug,
                    updated_at: now,
                    live: false,
                };
                out.push((s.id, copy, vec!["title", "summary", "body", "slug"], true));
            }
        }
    }
    for chunk in new_rows.chunks(100) {
        let mut q = Query::insert();
        q.into_table(Alias::new(ty.translation_table())).columns(
            [
                "item_id",
                "locale",
                "status",
                "sort_key",
                "title",
                "summary",
                "body",
                "slug",
                "source_hashes",
                "created_at",
                "updated_at",
                "published_at",
                "version",
            ]
            .map(Alias::new),
        );
        for row in chunk {
            q.values(row.clone()).map_err(AppError::internal)?;
        }
        txn.execute(&q).await?;
    }
    Ok(out)
}
