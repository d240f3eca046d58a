//! Gathering the units of an export: for each chosen item whose source locale is not the
//! target, its title, summary and body blocks, with the current translation when one exists and
//! whether it was made from the same source text.

use std::collections::{BTreeMap, HashMap};

use chorus_entities::{self as e, PublicationStatus};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::blocks::{Segment, Split};
use super::{ExportFile, ExportItem, ExportUnit, Format, UnitField, UnitState};
use crate::auth::policy::{Action, Principal, allows};
use crate::content::text::field_hash;
use crate::content::{ContentType, Services, translations};
use crate::error::{AppError, AppResult};

/// The longest title and summary (as the editor's forms allow).
pub const MAX_TITLE: usize = 500;
pub const MAX_SUMMARY: usize = 5_000;

/// Which items to export.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Only this type (all types when `None`).
    pub ty: Option<ContentType>,
    /// Only these items (of `ty`).
    pub ids: Vec<i32>,
    /// Only items changed since.
    pub changed_since: Option<DateTime<Utc>>,
    /// Only items whose source is in this locale.
    pub source_locale: Option<String>,
    /// Only items a list with these filters shows (of `ty`; drafts and versions in review
    /// count, as in a preview list).
    pub filters: Vec<crate::content::query::Filter>,
}

/// The list filters REST and the command line take, as comma-separated codes: kinds
/// (`briefing_paper`), regions, countries, topics, and languages the items are available in.
#[derive(Clone, Debug, Default)]
pub struct SimpleFilters {
    pub kinds: Vec<String>,
    pub regions: Vec<String>,
    pub countries: Vec<String>,
    pub topics: Vec<String>,
    pub available_in: Vec<String>,
}

impl SimpleFilters {
    /// The service filters (an unknown code matches nothing; a language must be configured).
    pub fn filters(&self, locales: &crate::locale::Locales) -> AppResult<Vec<crate::content::query::Filter>> {
        use crate::content::query::Filter;
        use chorus_entities::Taxonomy;
        let clean = |v: &[String], upper: bool| -> Vec<String> {
            v.iter()
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .map(|c| if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect()
        };
        let mut out = Vec::new();
        if !self.kinds.is_empty() {
            out.push(Filter::Kinds(clean(&self.kinds, false)));
        }
        for (taxonomy, codes, upper) in [
            (Taxonomy::Region, &self.regions, false),
            (Taxonomy::Country, &self.countries, true),
            (Taxonomy::Topic, &self.topics, false),
        ] {
            if !codes.is_empty() {
                out.push(Filter::Terms(taxonomy, clean(codes, upper)));
            }
        }
        if !self.available_in.is_empty() {
            let mut codes = Vec::new();
            for raw in &self.available_in {
                let code =
                    locales.configured_code(raw).map_err(|e| AppError::bad_input(format!("availableIn: {e}")))?;
                codes.push(code.to_owned());
            }
            out.push(Filter::AvailableIn(codes));
        }
        Ok(out)
    }
}

/// The key of a unit: `resource/12/title`.
pub fn unit_key(ty: ContentType, id: i32, field: &UnitField) -> String {
    format!("{}/{id}/{}", ty.entity(), field.path())
}

/// Reads a unit key back.
pub fn parse_key(key: &str) -> Option<(ContentType, i32, UnitField)> {
    let mut parts = key.splitn(3, '/');
    let ty = ContentType::from_entity(parts.next()?)?;
    let id: i32 = parts.next()?.parse().ok().filter(|i| *i > 0)?;
    let field = match parts.next()? {
        "title" => UnitField::Title,
        "summary" => UnitField::Summary,
        rest => {
            let block = rest.strip_prefix("body/")?;
            if block.is_empty() || block.len() > 24 || !block.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return None;
            }
            UnitField::Body(block.to_owned())
        }
    };
    Some((ty, id, field))
}

fn state_of(status: PublicationStatus) -> UnitState {
    match status {
        PublicationStatus::Published => UnitState::Final,
        _ => UnitState::Translated,
    }
}

fn hashes(json: &str) -> BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The source body a translation's body was made from, when a revision still holds it.
async fn old_source_body<C: ConnectionTrait>(
    conn: &C,
    ty: ContentType,
    id: i32,
    source: &str,
    body_hash: &str,
) -> AppResult<Option<String>> {
    let revisions = e::revisions::Entity::find()
        .filter(e::revisions::Column::Entity.eq(ty.entity()))
        .filter(e::revisions::Column::EntityId.eq(id))
        .filter(e::revisions::Column::Locale.eq(source))
        .filter(e::revisions::Column::Hashes.contains(format!("\"body\":\"{body_hash}\"")))
        .order_by_desc(e::revisions::Column::Id)
        .one(conn)
        .await?;
    Ok(revisions.map(|r| r.body))
}

/// The hash of the source body a target was made from, when it is not the current source's
/// (the target then follows an earlier structure).
pub(crate) fn earlier_body_hash(source: &translations::Row, target: &translations::Row) -> Option<String> {
    let made_from = hashes(&target.source_hashes).get("body").cloned().unwrap_or_default();
    (made_from != field_hash(&source.body)).then_some(made_from)
}

/// The source body's blocks, and the target's translation of each block where the target's
/// structure shows which block it translates (keyed by source block id; `true` when it was made
/// from an earlier source whose text is no longer known). `earlier` is the source body the
/// target was made from when that is not the current one (`None`: unknown).
pub(crate) fn align(
    source: &translations::Row,
    target: Option<&translations::Row>,
    earlier: Option<&str>,
) -> (Split, HashMap<String, (Segment, bool)>) {
    let split = Split::of(&source.body);
    let mut translated: HashMap<String, (Segment, bool)> = HashMap::new();
    if let Some(t) = target {
        let tsplit = Split::of(&t.body);
        // The target follows the structure of the source it was made from.
        let (from, outdated) = match (earlier_body_hash(source, t), earlier) {
            (None, _) => (split.clone(), false),
            (Some(_), Some(old)) => (Split::of(old), false),
            (Some(_), None) => (split.clone(), true),
        };
        if from.blocks.len() == tsplit.blocks.len() {
            for (s, t) in from.blocks.iter().zip(&tsplit.blocks) {
                if t.segment.check_codes(&s.segment).is_ok() {
                    translated.insert(s.id.clone(), (t.segment.clone(), outdated));
                }
            }
        }
    }
    (split, translated)
}

/// `align`, reading the earlier source body from the revisions when the target needs it.
pub(crate) async fn translated_blocks<C: ConnectionTrait>(
    conn: &C,
    ty: ContentType,
    id: i32,
    source: &translations::Row,
    target: Option<&translations::Row>,
) -> AppResult<(Split, HashMap<String, (Segment, bool)>)> {
    let earlier = match target.and_then(|t| earlier_body_hash(source, t)) {
        Some(hash) => old_source_body(conn, ty, id, &source.locale, &hash).await?,
        None => None,
    };
    Ok(align(source, target, earlier.as_deref()))
}

/// The body units of an item: each source block, with its translation when known.
async fn body_units<C: ConnectionTrait>(
    conn: &C,
    ty: ContentType,
    id: i32,
    source: &translations::Row,
    target: Option<&translations::Row>,
) -> AppResult<Vec<ExportUnit>> {
    let (split, translated) = translated_blocks(conn, ty, id, source, target).await?;
    let n = split.blocks.len();
    Ok(split
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (target, outdated) = match translated.get(&b.id) {
                Some((seg, outdated)) => (Some(seg.clone()), *outdated),
                None => (None, false),
            };
            ExportUnit {
                key: unit_key(ty, id, &UnitField::Body(b.id.clone())),
                hash: field_hash(&b.segment.to_placeholders()),
                note: format!("Body, block {} of {n}", i + 1),
                max_chars: None,
                // The row's status; the caller fills it in.
                state: None,
                source: b.segment.clone(),
                codes: b.codes.clone(),
                target,
                outdated,
            }
        })
        .collect())
}

/// The ids of the items chosen, per type, with their source locale.
async fn chosen<C: ConnectionTrait>(
    conn: &C,
    sel: &Selection,
    locales: &[String],
) -> AppResult<Vec<(ContentType, i32, String)>> {
    let mut out = Vec::new();
    if !sel.filters.is_empty() && sel.ty.is_none() {
        return Err(AppError::bad_input("list filters need the type of the items"));
    }
    for ty in ContentType::ALL {
        if sel.ty.is_some_and(|t| t != ty) {
            continue;
        }
        let mut ids = sel.ids.clone();
        if !sel.filters.is_empty() {
            use crate::content::query::{ListSpec, Ordering, SortField, ids as listed};
            let spec = ListSpec {
                ty,
                filters: sel.filters.clone(),
                ordering: Ordering { field: SortField::Updated, descending: true },
                chain: locales.to_vec(),
                configured: locales.to_vec(),
                visibility: crate::content::Visibility::Preview,
                links: Vec::new(),
                versions: None,
                title_rows: false,
            };
            let matching = listed(conn, &spec).await?;
            if ids.is_empty() {
                ids = matching;
            } else {
                ids.retain(|id| matching.contains(id));
            }
            if ids.is_empty() {
                continue;
            }
        }
        let mut q = Query::select();
        q.columns([Alias::new("id"), Alias::new("source_locale")]).from(Alias::new(ty.base_table()));
        if !ids.is_empty() {
            q.and_where(Expr::col(Alias::new("id")).is_in(ids.iter().copied()));
        }
        if let Some(since) = sel.changed_since {
            q.and_where(Expr::col(Alias::new("updated_at")).gte(since));
        }
        if let Some(src) = &sel.source_locale {
            q.and_where(Expr::col(Alias::new("source_locale")).eq(src.as_str()));
        }
        q.order_by(Alias::new("id"), sea_orm::Order::Asc);
        for row in conn.query_all(&q).await? {
            out.push((ty, row.try_get("", "id")?, row.try_get("", "source_locale")?));
        }
    }
    Ok(out)
}

/// The export of the chosen items into one target locale: one file per source locale (most
/// content has one). Items written in the target locale itself are left out.
pub async fn export(
    state: &impl Services,
    who: &Principal,
    sel: &Selection,
    target_locale: &str,
) -> AppResult<Vec<ExportFile>> {
    export_with_progress(state, who, sel, target_locale, &|_, _| {}).await
}

/// `export`, telling `progress(done, total)` as items are gathered.
pub async fn export_with_progress(
    state: &impl Services,
    who: &Principal,
    sel: &Selection,
    target_locale: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> AppResult<Vec<ExportFile>> {
    if !allows(who, &Action::ReadDrafts) {
        return Err(AppError::Forbidden("your role does not allow reading working copies".into()));
    }
    let target = state
        .locales()
        .configured_code(target_locale)
        .map_err(|e| AppError::bad_input(format!("locale: {e}")))?
        .to_owned();
    if let Some(src) = &sel.source_locale {
        state.locales().configured_code(src).map_err(|e| AppError::bad_input(format!("sourceLocale: {e}")))?;
    }
    let conn = state.db();
    let items = chosen(conn, sel, state.locales().codes()).await?;
    if !sel.ids.is_empty() && items.is_empty() {
        return Err(AppError::NotFound("no such item".into()));
    }
    let mut files: Vec<ExportFile> = Vec::new();
    let total = items.len() as u64;
    let mut done = 0u64;
    progress(0, total);
    for ty in ContentType::ALL {
        let of_type: Vec<&(ContentType, i32, String)> = items.iter().filter(|(t, ..)| *t == ty).collect();
        if of_type.is_empty() {
            continue;
        }
        let ids: Vec<i32> = of_type.iter().map(|(_, id, _)| *id).collect();
        let mut locales: Vec<&str> = of_type.iter().map(|(.., s)| s.as_str()).collect();
        locales.push(&target);
        locales.sort_unstable();
        locales.dedup();
        let rows = translations::working_rows(conn, ty, &ids, &locales).await?;
        let by: HashMap<(i32, &str), &translations::Row> =
            rows.iter().map(|r| ((r.item_id, r.locale.as_str()), r)).collect();
        for (_, id, source_locale) in of_type {
            done += 1;
            if done.is_multiple_of(100) || done == total {
                progress(done, total);
            }
            if *source_locale == target {
                continue;
            }
            let Some(source) = by.get(&(*id, source_locale.as_str())) else { continue };
            let target_row = by.get(&(*id, target.as_str())).copied();
            let made_from = target_row.map(|t| hashes(&t.source_hashes)).unwrap_or_default();
            let status = target_row.map(|t| t.status);
            let mut units = Vec::new();
            let text_unit = |field: UnitField, text: &str, translated: Option<&str>, label: &str, max: usize| {
                let hash = field_hash(text);
                let name = if field == UnitField::Title { "title" } else { "summary" };
                ExportUnit {
                    key: unit_key(ty, *id, &field),
                    source: Segment::text(text),
                    target: translated.filter(|t| !t.is_empty()).map(Segment::text),
                    state: status.map(state_of),
                    outdated: made_from.get(name).is_some_and(|h| *h != hash),
                    hash,
                    note: format!("{label}, at most {max} characters"),
                    max_chars: Some(max),
                    codes: vec![],
                }
            };
            units.push(text_unit(
                UnitField::Title,
                &source.title,
                target_row.map(|t| t.title.as_str()),
                "Title",
                MAX_TITLE,
            ));
            if !source.summary.trim().is_empty() {
                units.push(text_unit(
                    UnitField::Summary,
                    &source.summary,
                    target_row.map(|t| t.summary.as_str()),
                    "Summary",
                    MAX_SUMMARY,
                ));
            }
            let mut body = body_units(conn, ty, *id, source, target_row).await?;
            for u in &mut body {
                if u.target.is_some() {
                    u.state = status.map(state_of);
                }
            }
            units.extend(body);
            let item = ExportItem { key: format!("{}/{id}", ty.entity()), title: source.title.clone(), units };
            match files.iter_mut().find(|f| f.source_locale == *source_locale) {
                Some(f) => f.items.push(item),
                None => files.push(ExportFile {
                    source_locale: source_locale.clone(),
                    target_locale: target.clone(),
                    items: vec![item],
                }),
            }
        }
    }
    Ok(files)
}

/// The one file of an export; several source languages need `sourceLocale` to choose.
pub fn one_file(mut files: Vec<ExportFile>, target: &str, source: Option<&str>) -> AppResult<ExportFile> {
    match files.len() {
        0 => Ok(ExportFile {
            source_locale: source.unwrap_or_default().to_owned(),
            target_locale: target.to_owned(),
            items: vec![],
        }),
        1 => Ok(files.remove(0)),
        _ => {
            let names: Vec<&str> = files.iter().map(|f| f.source_locale.as_str()).collect();
            Err(AppError::bad_input(format!(
                "sourceLocale: the chosen items are written in {}; export one source language at a time",
                names.join(", ")
            )))
        }
    }
}

/// The file name of an export.
pub fn file_name(file: &ExportFile, format: Format, template: bool) -> String {
    if template {
        // A template has no target language.
        return format!("chorus-{}.pot", file.source_locale);
    }
    format!("chorus-{}-{}.{}", file.source_locale, file.target_locale, format.extension())
}
