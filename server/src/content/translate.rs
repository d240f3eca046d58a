//! The translation workflow: saving the working copy of a locale version, moving it through
//! draft → in review → published → archived, and unpublishing.
//!
//! Saving never touches the live copy: a published text stays online, unchanged, until the
//! working copy is published again. Every step checks the policy, runs in one transaction with
//! its change-log and audit rows, and clears the response cache once committed.

use chorus_entities::{self as e, PublicationStatus, TranslationVersion};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::Services;
use super::{ContentType, translations};
use crate::auth::policy::{Action, Field, Principal, allows};
use crate::error::{AppError, AppResult};
use crate::write::Write;

const MAX_TITLE: usize = 500;
const MAX_SUMMARY: usize = 5_000;
const MAX_BODY: usize = 500_000;

/// The fields to change; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct TextInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub slug: Option<String>,
    /// For a translation made from an earlier source text (an imported file's stale unit): the
    /// hashes of that text per field (`title`, `summary`, `body`), so the version stays marked
    /// outdated. Empty: made from the current source.
    pub made_from: Vec<(&'static str, String)>,
}

/// The working copy of a locale version after a change.
#[derive(Debug, Clone)]
pub struct WorkingCopy {
    pub locale: String,
    pub status: PublicationStatus,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub slug: String,
    pub updated_at: DateTime<Utc>,
    /// Whether a live copy is online.
    pub live: bool,
}

/// The source locale of an item; `NOT_FOUND` when there is no such item.
pub(crate) async fn source_locale<C: ConnectionTrait>(txn: &C, ty: ContentType, id: i32) -> AppResult<String> {
    let q = Query::select()
        .column(Alias::new("source_locale"))
        .from(Alias::new(ty.base_table()))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    let row = txn.query_one(&q).await?.ok_or_else(|| AppError::NotFound("no such item".into()))?;
    Ok(row.try_get("", "source_locale")?)
}

async fn touch(txn: &DatabaseTransaction, ty: ContentType, id: i32) -> AppResult<()> {
    let q = Query::update()
        .table(Alias::new(ty.base_table()))
        .value(Alias::new("updated_at"), Utc::now())
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    txn.execute(&q).await?;
    Ok(())
}

fn check_len(value: &Option<String>, field: &str, max: usize) -> AppResult<()> {
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        return Err(AppError::bad_input(format!("input.{field}: at most {max} characters")));
    }
    Ok(())
}

fn hashes_json(title: &str, summary: &str, body: &str) -> String {
    super::text::source_hashes(title, summary, body)
}

/// Keeps the state of a locale version after a change as a revision.
async fn revision(
    txn: &DatabaseTransaction,
    who: &Principal,
    ty: ContentType,
    id: i32,
    saved: &WorkingCopy,
    changed: &[&str],
) -> AppResult<()> {
    e::revisions::ActiveModel {
        entity: Set(ty.entity().to_owned()),
        entity_id: Set(id),
        locale: Set(saved.locale.clone()),
        user_id: Set((who.user_id > 0).then_some(who.user_id)),
        display_name: Set(who.display_name.clone()),
        at: Set(Utc::now()),
        status: Set(saved.status),
        title: Set(saved.title.clone()),
        summary: Set(saved.summary.clone()),
        body: Set(saved.body.clone()),
        slug: Set(saved.slug.clone()),
        hashes: Set(hashes_json(&saved.title, &saved.summary, &saved.body)),
        changed: Set(changed.join(",")),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

fn configured(state: &impl Services, raw: &str) -> AppResult<String> {
    state.locales().configured_code(raw).map(str::to_owned).map_err(|e| AppError::bad_input(format!("locale: {e}")))
}

fn forbidden() -> AppError {
    AppError::Forbidden("your role does not allow this for this locale or field".into())
}

/// Saves the working copy of one locale version (creating it as a draft when new).
pub async fn save(
    state: &impl Services,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
    input: TextInput,
) -> AppResult<WorkingCopy> {
    let locale = configured(state, locale)?;
    let w = Write::begin(state.db(), who.into(), state).await?;
    let source = source_locale(w.txn(), ty, id).await?;
    let saved = save_in(&w, who, ty, id, &locale, &source, input).await?;
    w.commit().await?;
    Ok(saved)
}

/// The lengths of a change and the caller's right to change each of its fields.
fn check_text(who: &Principal, locale: &str, source: &str, input: &TextInput) -> AppResult<()> {
    check_len(&input.title, "title", MAX_TITLE)?;
    check_len(&input.summary, "summary", MAX_SUMMARY)?;
    check_len(&input.body, "body", MAX_BODY)?;
    let fields: Vec<Field> = [
        (input.title.is_some(), Field::Title),
        (input.summary.is_some(), Field::Summary),
        (input.body.is_some(), Field::Body),
        (input.slug.is_some(), Field::Slug),
    ]
    .into_iter()
    .filter_map(|(given, f)| given.then_some(f))
    .collect();
    if fields.is_empty() {
        return Err(AppError::bad_input("input: nothing to change"));
    }
    for field in fields {
        if !allows(who, &Action::EditText { locale, source_locale: source, field }) {
            return Err(forbidden());
        }
    }
    Ok(())
}

/// `save` inside the caller's transaction (`locale` already a configured code).
pub async fn save_in(
    w: &Write<'_>,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
    source: &str,
    input: TextInput,
) -> AppResult<WorkingCopy> {
    let txn = w.txn();
    check_text(who, locale, source, &input)?;
    // The first change of a version that predates revisions keeps its earlier state as a baseline,
    // so that outdated translations can still show the text they were made from.
    let has_history = e::revisions::Entity::find()
        .filter(e::revisions::Column::Entity.eq(ty.entity()))
        .filter(e::revisions::Column::EntityId.eq(id))
        .filter(e::revisions::Column::Locale.eq(locale))
        .one(txn)
        .await?
        .is_some();
    if !has_history && let Some(before) = translations::current(txn, ty, id, locale).await? {
        let baseline = Principal {
            user_id: 0,
            display_name: "(before history)".into(),
            role: chorus_entities::Role::Viewer,
            locales: vec![],
            scopes: None,
            session_id: None,
        };
        revision(txn, &baseline, ty, id, &before, &[]).await?;
    }
    let (saved, changed) = translations::save(txn, ty, id, locale, source, input).await?;
    revision(txn, who, ty, id, &saved, &changed).await?;
    touch(txn, ty, id).await?;
    w.record("translation.save", ty.entity(), id, Some(locale), "updated").await?;
    Ok(saved)
}

/// Moves the working copy of one locale version to a status; publishing copies it live,
/// archiving takes the live copy offline.
pub async fn set_status(
    state: &impl Services,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
    to: PublicationStatus,
) -> AppResult<WorkingCopy> {
    let locale = configured(state, locale)?;
    let w = Write::begin(state.db(), who.into(), state).await?;
    let source = source_locale(w.txn(), ty, id).await?;
    let saved = set_status_in(&w, who, ty, id, &locale, &source, to).await?;
    w.commit().await?;
    Ok(saved)
}

/// `set_status` inside the caller's write (`locale` already a configured code).
pub async fn set_status_in(
    w: &Write<'_>,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
    source: &str,
    to: PublicationStatus,
) -> AppResult<WorkingCopy> {
    let txn = w.txn();
    if !allows(who, &Action::SetStatus { locale, source_locale: source, to }) {
        return Err(forbidden());
    }
    let (saved, operation) = translations::set_status(txn, ty, id, locale, to).await?;
    revision(txn, who, ty, id, &saved, &["status"]).await?;
    touch(txn, ty, id).await?;
    w.record("translation.status", ty.entity(), id, Some(locale), operation.unwrap_or("updated")).await?;
    Ok(saved)
}

/// Takes one locale version offline; its working copy goes back to draft.
pub async fn unpublish(
    state: &impl Services,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
) -> AppResult<WorkingCopy> {
    let locale = configured(state, locale)?;
    if !allows(who, &Action::Unpublish { locale: &locale }) {
        return Err(forbidden());
    }
    let w = Write::begin(state.db(), who.into(), state).await?;
    let txn = w.txn();
    source_locale(txn, ty, id).await?;
    let saved = translations::unpublish(txn, ty, id, &locale).await?;
    revision(txn, who, ty, id, &saved, &["status"]).await?;
    touch(txn, ty, id).await?;
    w.record("translation.unpublish", ty.entity(), id, Some(&locale), "unpublished").await?;
    w.commit().await?;
    Ok(saved)
}

/// One source field that changed after a translation was made from it.
#[derive(Debug, Clone)]
pub struct ChangedField {
    pub field: &'static str,
    /// The source text the translation was made from, when a revision still holds it.
    pub old_text: Option<String>,
    pub new_text: String,
}

/// Why a translation is outdated.
#[derive(Debug, Clone)]
pub struct Outdated {
    pub fields: Vec<ChangedField>,
    /// When the source locale version last changed.
    pub source_changed_at: DateTime<Utc>,
}

/// A working copy with its outdated report, for editors.
#[derive(Debug, Clone)]
pub struct EditorView {
    pub copy: WorkingCopy,
    pub outdated: Option<Outdated>,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct Row {
    locale: String,
    status: PublicationStatus,
    title: String,
    summary: String,
    body: String,
    slug: String,
    source_hashes: String,
    updated_at: DateTime<Utc>,
    version: TranslationVersion,
}

fn parse_hashes(json: &str) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The working copies of an item in every locale, each translation with what changed in its
/// source since it was made (field by field, with the old and new source text).
pub async fn editor_views(
    state: &impl Services,
    who: &Principal,
    ty: ContentType,
    id: i32,
) -> AppResult<Vec<EditorView>> {
    if !allows(who, &Action::ReadDrafts) {
        return Err(forbidden());
    }
    let txn = crate::db::begin_write(state.db()).await?;
    let source = source_locale(&txn, ty, id).await?;
    let q = Query::select()
        .columns(
            ["locale", "status", "title", "summary", "body", "slug", "source_hashes", "updated_at", "version"]
                .map(Alias::new),
        )
        .from(Alias::new(ty.translation_table()))
        .and_where(Expr::col(Alias::new("item_id")).eq(id))
        .to_owned();
    let rows =
        <Row as sea_orm::FromQueryResult>::find_by_statement(txn.get_database_backend().build(&q)).all(&txn).await?;
    let revisions = e::revisions::Entity::find()
        .filter(e::revisions::Column::Entity.eq(ty.entity()))
        .filter(e::revisions::Column::EntityId.eq(id))
        .filter(e::revisions::Column::Locale.eq(source.as_str()))
        .all(&txn)
        .await?;
    txn.commit().await?;
    let live: Vec<&str> =
        rows.iter().filter(|r| r.version == TranslationVersion::Live).map(|r| r.locale.as_str()).collect();
    let source_row = rows.iter().find(|r| r.version == TranslationVersion::Working && r.locale == source);
    let mut views: Vec<EditorView> = rows
        .iter()
        .filter(|r| r.version == TranslationVersion::Working)
        .map(|r| {
            let outdated = match source_row {
                Some(src) if r.locale != source => outdated(r, src, &revisions),
                _ => None,
            };
            EditorView {
                copy: WorkingCopy {
                    locale: r.locale.clone(),
                    status: r.status,
                    title: r.title.clone(),
                    summary: r.summary.clone(),
                    body: r.body.clone(),
                    slug: r.slug.clone(),
                    updated_at: r.updated_at,
                    live: live.contains(&r.locale.as_str()),
                },
                outdated,
            }
        })
        .collect();
    let order = state.locales().codes();
    views.sort_by_key(|v| order.iter().position(|c| *c == v.copy.locale));
    Ok(views)
}

fn outdated(translation: &Row, source: &Row, revisions: &[e::revisions::Model]) -> Option<Outdated> {
    let made_from = parse_hashes(&translation.source_hashes);
    let current = [("title", &source.title), ("summary", &source.summary), ("body", &source.body)];
    let fields: Vec<ChangedField> = current
        .into_iter()
        .filter(|(field, text)| made_from.get(*field).is_some_and(|h| *h != super::text::field_hash(text)))
        .map(|(field, text)| {
            let wanted = made_from.get(field);
            let old_text =
                revisions.iter().rev().find(|r| parse_hashes(&r.hashes).get(field) == wanted).map(|r| match field {
                    "title" => r.title.clone(),
                    "summary" => r.summary.clone(),
                    _ => r.body.clone(),
                });
            ChangedField { field, old_text, new_text: text.clone() }
        })
        .collect();
    (!fields.is_empty()).then_some(Outdated { fields, source_changed_at: source.updated_at })
}

/// Counts of one locale's versions for one kind of item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// `resource:report`, `resource:guide`..., `good_practice`, `organization`, `programme`.
    pub kind: String,
    pub items: u64,
    /// Items with no version in this locale yet.
    pub missing: u64,
    pub draft: u64,
    pub in_review: u64,
    pub published: u64,
    pub archived: u64,
    /// Versions made from a source text that has changed since (never the source locale).
    pub outdated: u64,
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct ProgressRow {
    kind: String,
    status: Option<PublicationStatus>,
    outdated: Option<bool>,
}

/// Translation progress of one locale: counts by kind and status, outdated ones included.
pub async fn progress(state: &impl Services, who: &Principal, locale: &str) -> AppResult<Vec<Progress>> {
    if !allows(who, &Action::ReadDrafts) {
        return Err(forbidden());
    }
    let locale = configured(state, locale)?;
    let db = state.db();
    let mut out: Vec<Progress> = Vec::new();
    for ty in ContentType::ALL {
        let (base, table) = (ty.base_table(), ty.translation_table());
        let kind = if ty.descriptor().progress_by_kind {
            format!("'{}:' || b.kind", ty.entity())
        } else {
            format!("'{}'", ty.entity())
        };
        // `outdated`: the version's recorded source hashes differ from the source's own.
        let sql = format!(
            "SELECT {kind} AS kind, t.status AS status, \
             CASE WHEN t.locale <> b.source_locale AND t.source_hashes <> s.source_hashes THEN TRUE ELSE FALSE END AS outdated \
             FROM {base} b \
             LEFT JOIN {table} t ON t.item_id = b.id AND t.locale = $1 AND t.version = 'working' \
             LEFT JOIN {table} s ON s.item_id = b.id AND s.locale = b.source_locale AND s.version = 'working'"
        );
        let sql = match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => sql,
            _ => sql.replace("$1", "?"),
        };
        let stmt = sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, [locale.clone().into()]);
        let rows = <ProgressRow as sea_orm::FromQueryResult>::find_by_statement(stmt).all(db).await?;
        for row in rows {
            let entry = match out.iter_mut().position(|p| p.kind == row.kind) {
                Some(i) => &mut out[i],
                None => {
                    out.push(Progress { kind: row.kind.clone(), ..Default::default() });
                    out.last_mut().expect("just pushed")
                }
            };
            entry.items += 1;
            match row.status {
                None => entry.missing += 1,
                Some(PublicationStatus::Draft) => entry.draft += 1,
                Some(PublicationStatus::InReview) => entry.in_review += 1,
                Some(PublicationStatus::Published) => entry.published += 1,
                Some(PublicationStatus::Archived) => entry.archived += 1,
            }
            if row.status.is_some() && row.outdated == Some(true) {
                entry.outdated += 1;
            }
        }
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    Ok(out)
}

/// The saved states of one locale version, newest first.
pub async fn history(
    state: &impl Services,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
) -> AppResult<Vec<e::revisions::Model>> {
    if !allows(who, &Action::ReadDrafts) {
        return Err(forbidden());
    }
    let locale = configured(state, locale)?;
    use sea_orm::QueryOrder;
    Ok(e::revisions::Entity::find()
        .filter(e::revisions::Column::Entity.eq(ty.entity()))
        .filter(e::revisions::Column::EntityId.eq(id))
        .filter(e::revisions::Column::Locale.eq(locale))
        .order_by_desc(e::revisions::Column::Id)
        .all(state.db())
        .await?)
}

async fn revision_by_id(state: &impl Services, id: i64) -> AppResult<e::revisions::Model> {
    e::revisions::Entity::find_by_id(id)
        .one(state.db())
        .await?
        .ok_or_else(|| AppError::NotFound("no such revision".into()))
}

/// One field that differs between two revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

/// The fields that differ between two revisions of the same locale version.
pub async fn diff(state: &impl Services, who: &Principal, from: i64, to: i64) -> AppResult<Vec<FieldDiff>> {
    if !allows(who, &Action::ReadDrafts) {
        return Err(forbidden());
    }
    let (a, b) = (revision_by_id(state, from).await?, revision_by_id(state, to).await?);
    if (a.entity.as_str(), a.entity_id, a.locale.as_str()) != (b.entity.as_str(), b.entity_id, b.locale.as_str()) {
        return Err(AppError::bad_input("to: not a revision of the same locale version"));
    }
    // As the API spells statuses: IN_REVIEW, PUBLISHED...
    let status = |s: PublicationStatus| sea_orm::ActiveEnum::to_value(&s).to_ascii_uppercase();
    Ok([
        ("title", a.title.clone(), b.title.clone()),
        ("summary", a.summary.clone(), b.summary.clone()),
        ("body", a.body.clone(), b.body.clone()),
        ("slug", a.slug.clone(), b.slug.clone()),
        ("status", status(a.status), status(b.status)),
    ]
    .into_iter()
    .filter(|(_, x, y)| x != y)
    .map(|(field, before, after)| FieldDiff { field, before, after })
    .collect())
}

/// Restores a revision's text as a new save of the working copy (a new revision; the live copy
/// changes only when published again).
pub async fn restore(state: &impl Services, who: &Principal, revision: i64) -> AppResult<WorkingCopy> {
    let r = revision_by_id(state, revision).await?;
    let ty = ContentType::ALL
        .into_iter()
        .find(|t| t.entity() == r.entity)
        .ok_or_else(|| AppError::bad_input("id: not a revision of content"))?;
    let input = TextInput {
        title: Some(r.title),
        summary: Some(r.summary),
        body: Some(r.body),
        slug: Some(r.slug),
        made_from: vec![],
    };
    save(state, who, ty, r.entity_id, &r.locale, input).await
}

/// One translation of many, for [`save_many_in`].
pub struct ManyInput {
    pub id: i32,
    pub source_locale: String,
    pub input: TextInput,
    /// Send the version to review with the save.
    pub to_review: bool,
}

/// Saves many translations of one type into one locale inside the caller's write (the
/// translation-file import): the rules and records of `save_in` (and of `set_status_in` to
/// review), with the statements batched: each version's revision, the items' `updated_at`, a
/// change-log row per item and the audit rows go in multi-row statements.
pub async fn save_many_in(
    w: &Write<'_>,
    who: &Principal,
    ty: ContentType,
    locale: &str,
    items: Vec<ManyInput>,
) -> AppResult<()> {
    use std::collections::{HashMap, HashSet};
    let txn = w.txn();
    for it in &items {
        check_text(who, locale, &it.source_locale, &it.input)?;
        let to = PublicationStatus::InReview;
        if it.to_review && !allows(who, &Action::SetStatus { locale, source_locale: &it.source_locale, to }) {
            return Err(forbidden());
        }
    }
    let ids: Vec<i32> = items.iter().map(|i| i.id).collect();
    let sources: Vec<&str> = {
        let mut s: Vec<&str> = items.iter().map(|i| i.source_locale.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let mut wanted: Vec<&str> = sources.clone();
    wanted.push(locale);
    let rows = translations::working_rows(txn, ty, &ids, &wanted).await?;
    let by: HashMap<(i32, &str), &translations::Row> =
        rows.iter().map(|r| ((r.item_id, r.locale.as_str()), r)).collect();
    // Versions with a revision already; the others keep their state before this change as a
    // baseline (as `save_in` does).
    let mut with_history: HashSet<i32> = HashSet::new();
    for chunk in ids.chunks(500) {
        let found = e::revisions::Entity::find()
            .select_only()
            .column(e::revisions::Column::EntityId)
            .filter(e::revisions::Column::Entity.eq(ty.entity()))
            .filter(e::revisions::Column::Locale.eq(locale))
            .filter(e::revisions::Column::EntityId.is_in(chunk.iter().copied()))
            .distinct()
            .into_tuple::<i32>()
            .all(txn)
            .await?;
        with_history.extend(found);
    }
    let now = Utc::now();
    let revision_row =
        |user: Option<i32>, name: &str, id: i32, c: &WorkingCopy, changed: &[&str]| e::revisions::ActiveModel {
            entity: Set(ty.entity().to_owned()),
            entity_id: Set(id),
            locale: Set(c.locale.clone()),
            user_id: Set(user),
            display_name: Set(name.to_owned()),
            at: Set(now),
            status: Set(c.status),
            title: Set(c.title.clone()),
            summary: Set(c.summary.clone()),
            body: Set(c.body.clone()),
            slug: Set(c.slug.clone()),
            hashes: Set(hashes_json(&c.title, &c.summary, &c.body)),
            changed: Set(changed.join(",")),
            ..Default::default()
        };
    let mut revisions = Vec::new();
    let mut saves = Vec::with_capacity(items.len());
    for it in items {
        let existing = by.get(&(it.id, locale)).map(|r| (*r).clone());
        if let Some(before) = &existing
            && !with_history.contains(&it.id)
        {
            revisions.push(revision_row(None, "(before history)", it.id, &translations::copy(before, false), &[]));
        }
        let source_hashes = by
            .get(&(it.id, it.source_locale.as_str()))
            .map(|r| r.source_hashes.clone())
            .ok_or_else(|| AppError::NotFound("no source text".into()))?;
        saves.push(translations::ManySave {
            id: it.id,
            existing,
            source_hashes,
            input: it.input,
            to_review: it.to_review,
        });
    }
    let saved = translations::save_many(txn, ty, locale, saves).await?;
    let user = (who.user_id > 0).then_some(who.user_id);
    let mut records = Vec::with_capacity(saved.len() * 2);
    for (id, copy, changed, status_moved) in &saved {
        let mut fields: Vec<&str> = changed.clone();
        if *status_moved {
            fields.push("status");
        }
        revisions.push(revision_row(user, &who.display_name, *id, copy, &fields));
        records.push(crate::write::Recorded {
            action: "translation.save",
            entity: ty.entity(),
            entity_id: *id,
            locale: Some(locale),
            operation: Some("updated"),
        });
        if *status_moved && copy.status == PublicationStatus::InReview {
            records.push(crate::write::Recorded {
                action: "translation.status",
                entity: ty.entity(),
                entity_id: *id,
                locale: Some(locale),
                operation: None,
            });
        }
    }
    let mut revisions = revisions.into_iter().peekable();
    while revisions.peek().is_some() {
        let chunk: Vec<_> = revisions.by_ref().take(200).collect();
        e::revisions::Entity::insert_many(chunk).exec(txn).await?;
    }
    for chunk in ids.chunks(500) {
        let q = Query::update()
            .table(Alias::new(ty.base_table()))
            .value(Alias::new("updated_at"), now)
            .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
            .to_owned();
        txn.execute(&q).await?;
    }
    w.record_many(&records).await
}
