//! Importing a translation file: every unit is checked (key, language, rights, inline codes,
//! length, source hash), the units of each (item, language) are turned into one save of the
//! working copy through the one write path, and a report is stored.
//!
//! - A unit whose source changed since export is saved and flagged `SOURCE_CHANGED`; its
//!   version is never published by the import and stays marked outdated.
//! - A body block whose source paragraph changed has a new id; it is placed where that
//!   paragraph was when the units around it show the place (the file's order), else refused.
//! - The writes of a file are one transaction (none or all), or one per item on request; a dry
//!   run makes the same writes and rolls them back.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chorus_entities::{self as e, PublicationStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::blocks::Segment;
use super::export::{MAX_SUMMARY, MAX_TITLE, align, earlier_body_hash, parse_key};
use super::report::{self, Counts, Entry, EntryStatus, Outcome, Report, UnitCode};
use super::{FileUnit, ReadLimits, UnitField, UnitState};
use crate::auth::policy::{Action, Field, Principal, allows};
use crate::content::text::field_hash;
use crate::content::translate::{self, TextInput};
use crate::content::{ContentType, Services, translations};
use crate::error::{AppError, AppResult};
use crate::write::Write;

/// The most items one report is listed under.
const MAX_LISTED_ITEMS: usize = 10_000;

/// Items (and languages) checked and written together: what the check reads and plans is held
/// for this many at a time.
const CHECK_BATCH: usize = 500;

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The uploaded file's name, for the report.
    pub file_name: String,
    /// Check and report without writing.
    pub dry_run: bool,
    /// One transaction per item instead of one for the file.
    pub per_item: bool,
    /// Publish versions whose units are all final, when the uploader may publish.
    pub publish: bool,
    /// The language the upload is for; units in another are refused.
    pub locale: Option<String>,
}

/// One accepted unit, ready to write.
struct Accepted {
    key: String,
    line: u32,
    field: UnitField,
    target: Segment,
    state: UnitState,
    /// The file's hash, when it differs from the current source's (a stale unit).
    stale_hash: Option<String>,
}

/// The units of one (item, language).
struct Group {
    ty: ContentType,
    id: i32,
    locale: String,
    units: Vec<(FileUnit, UnitField)>,
}

/// What an item's units come to: the input to save and the status to reach.
struct Plan {
    ty: ContentType,
    id: i32,
    locale: String,
    source: String,
    input: TextInput,
    to: Option<PublicationStatus>,
    keys: Vec<(String, u32)>,
    /// How its units were counted: accepted, needing review, unchanged.
    tallied: (i32, i32, i32),
}

struct Tally {
    counts: Counts,
    entries: Vec<Entry>,
}

impl Tally {
    fn reject(&mut self, key: &str, line: u32, code: UnitCode, message: impl Into<String>) {
        self.counts.rejected += 1;
        self.entries.push(Entry {
            key: key.to_owned(),
            line,
            status: EntryStatus::Rejected,
            code,
            message: message.into(),
        });
    }

    fn flag(&mut self, key: &str, line: u32, code: UnitCode, message: impl Into<String>) {
        self.counts.needs_review += 1;
        self.entries.push(Entry {
            key: key.to_owned(),
            line,
            status: EntryStatus::NeedsReview,
            code,
            message: message.into(),
        });
    }
}

fn field_of(f: &UnitField) -> Field {
    match f {
        UnitField::Title => Field::Title,
        UnitField::Summary => Field::Summary,
        UnitField::Body(_) => Field::Body,
    }
}

/// Imports a file staged on disk; file-level errors (unreadable, unsafe, unknown format) are
/// returned as errors and nothing is stored. An XLIFF file is read as it streams from the disk;
/// reading runs on a blocking thread (a large file takes a while, and the server's workers go
/// on serving).
pub async fn import_file(
    state: &impl Services,
    who: &Principal,
    file: std::fs::File,
    opts: &ImportOptions,
    limits: ReadLimits,
) -> AppResult<Report> {
    let parsed =
        tokio::task::spawn_blocking(move || super::read_file(file, limits)).await.map_err(AppError::internal)??;
    import_parsed(state, who, parsed, opts).await
}

async fn import_parsed(
    state: &impl Services,
    who: &Principal,
    parsed: super::ParsedFile,
    opts: &ImportOptions,
) -> AppResult<Report> {
    let expected = match &opts.locale {
        Some(l) => Some(
            state.locales().configured_code(l).map_err(|e| AppError::bad_input(format!("locale: {e}")))?.to_owned(),
        ),
        None => None,
    };
    let mut tally = Tally { counts: Counts::default(), entries: Vec::new() };
    let mut groups: BTreeMap<(&'static str, i32, String), Group> = BTreeMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    // Every item the file names, so its reports are listed with it (bounded: a file naming
    // more items is still imported, its report listed under the first ones).
    let mut items: BTreeSet<(&'static str, i32)> = BTreeSet::new();
    for u in parsed.units {
        tally.counts.in_file += 1;
        let (key, line) = (u.key.clone(), u.line);
        if u.plural {
            tally.reject(&key, line, UnitCode::PluralNotSupported, "plural forms are not used by Chorus content");
            continue;
        }
        let Some((ty, id, field)) = parse_key(&key) else {
            tally.reject(
                &crate::error::echo_input(&key, 120),
                line,
                UnitCode::UnknownKey,
                "not a key Chorus exported (type/id/title, summary or body/block)",
            );
            continue;
        };
        if items.len() < MAX_LISTED_ITEMS {
            items.insert((ty.entity(), id));
        }
        let Some(raw) = u.locale.clone().or_else(|| expected.clone()) else {
            tally.reject(&key, line, UnitCode::LocaleMissing, "no target language in the unit or the file");
            continue;
        };
        let locale = match state.locales().configured_code(&raw) {
            Ok(l) => l.to_owned(),
            Err(e) => {
                tally.reject(&key, line, UnitCode::LocaleInvalid, format!("target language: {e}"));
                continue;
            }
        };
        if expected.as_ref().is_some_and(|x| *x != locale) {
            let x = expected.as_deref().unwrap_or_default();
            tally.reject(
                &key,
                line,
                UnitCode::LocaleMismatch,
                format!("the unit is in {locale}, the upload is for {x}"),
            );
            continue;
        }
        if !seen.insert((key.clone(), locale.clone())) {
            tally.reject(&key, line, UnitCode::DuplicateKey, "the key appears earlier in the file");
            continue;
        }
        if u.target.as_ref().is_none_or(Segment::is_blank) {
            tally.counts.missing += 1;
            continue;
        }
        groups
            .entry((ty.entity(), id, locale.clone()))
            .or_insert_with(|| Group { ty, id, locale, units: Vec::new() })
            .units
            .push((u, field));
    }

    // Check the items' units against their current text and write them, a batch of items at a
    // time, so that what is read and planned for the check stays bounded whatever the file's
    // size: one transaction for the whole file (or one per item), a dry run rolled back.
    let mut outcome = if opts.dry_run { Outcome::DryRun } else { Outcome::Applied };
    let mut known: HashSet<(ContentType, i32)> = HashSet::new();
    let mut pending: std::collections::VecDeque<Group> = groups.into_values().collect();
    let file_write = if opts.per_item || pending.is_empty() {
        None
    } else {
        Some(Write::begin(state.db(), who.into(), state).await?)
    };
    while !pending.is_empty() {
        let batch: Vec<Group> = pending.drain(..pending.len().min(CHECK_BATCH)).collect();
        let loaded = preload(state.db(), &batch).await?;
        known.extend(loaded.source.keys().copied());
        let mut plans = Vec::new();
        for group in batch {
            if let Some(plan) = check_group(who, group, opts, &mut tally, &loaded).await? {
                plans.push(plan);
            }
        }
        drop(loaded);
        match &file_write {
            None => {
                for plan in &plans {
                    let w = Write::begin(state.db(), who.into(), state).await?;
                    match apply(&w, who, plan).await {
                        Ok(()) if opts.dry_run => w.rollback().await?,
                        Ok(()) => w.commit().await?,
                        Err(e) => {
                            e.log_if_internal();
                            drop(w);
                            write_failed(&mut tally, plan, &e);
                        }
                    }
                }
            }
            Some(w) => {
                if let Err((i, e)) = apply_all(w, who, &mut plans).await {
                    e.log_if_internal();
                    write_failed(&mut tally, &plans[i], &e);
                    // None of the file was written: what was accepted, and what was not checked.
                    let unchecked: i32 = pending.iter().map(|g| g.units.len() as i32).sum();
                    tally.counts.rejected += tally.counts.accepted + tally.counts.needs_review + unchecked;
                    tally.counts.accepted = 0;
                    tally.counts.needs_review = 0;
                    outcome = Outcome::Rejected;
                    pending.clear();
                }
            }
        }
    }
    if let Some(w) = file_write {
        if outcome == Outcome::Applied {
            w.commit().await?;
        } else {
            w.rollback().await?;
        }
    }
    // The report is listed under the items the file names that exist.
    let mut named: Vec<(ContentType, i32)> =
        items.into_iter().filter_map(|(e, id)| ContentType::from_entity(e).map(|t| (t, id))).collect();
    let unknown: Vec<(ContentType, i32)> = named.iter().filter(|k| !known.contains(k)).copied().collect();
    if !unknown.is_empty() {
        let existing = existing(state.db(), &unknown).await?;
        named.retain(|k| known.contains(k) || existing.contains(k));
    }
    let items = named;
    let format = parsed.format.as_str();
    report::store(state.db(), who, &opts.file_name, format, opts.dry_run, outcome, tally.counts, &tally.entries, &items)
        .await
}

fn write_failed(tally: &mut Tally, plan: &Plan, e: &AppError) {
    // The plan's units were counted as accepted, flagged or unchanged; they are refused now.
    let (accepted, flagged, unchanged) = plan.tallied;
    tally.counts.accepted -= accepted;
    tally.counts.needs_review -= flagged;
    tally.counts.unchanged -= unchanged;
    tally.counts.rejected += accepted + flagged + unchanged - 1;
    tally.entries.retain(|x| !plan.keys.iter().any(|(k, _)| *k == x.key));
    let (key, line) = plan.keys.first().cloned().unwrap_or_default();
    let n = plan.keys.len();
    let message =
        format!("{n} units of {}/{} ({}) not saved: {}", plan.ty.entity(), plan.id, plan.locale, e.public_message());
    tally.reject(&key, line, UnitCode::WriteFailed, message);
}

/// Which of these items exist.
async fn existing(
    conn: &sea_orm::DatabaseConnection,
    items: &[(ContentType, i32)],
) -> AppResult<HashSet<(ContentType, i32)>> {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let mut out = HashSet::new();
    for ty in ContentType::ALL {
        let ids: Vec<i32> = items.iter().filter(|(t, _)| *t == ty).map(|(_, id)| *id).collect();
        for chunk in ids.chunks(500) {
            let q = Query::select()
                .column(Alias::new("id"))
                .from(Alias::new(ty.base_table()))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
                .to_owned();
            for row in conn.query_all(&q).await? {
                out.insert((ty, row.try_get("", "id")?));
            }
        }
    }
    Ok(out)
}

/// What the check reads of the items a file names: source languages and working rows, a few
/// statements per type rather than a few per item.
#[derive(Default)]
struct Loaded {
    source: HashMap<(ContentType, i32), String>,
    rows: HashMap<(ContentType, i32, String), translations::Row>,
    /// For targets made from an earlier source: that source's body, when a revision holds it
    /// (by item and target locale).
    earlier: HashMap<(ContentType, i32, String), String>,
}

async fn preload(conn: &sea_orm::DatabaseConnection, groups: &[Group]) -> AppResult<Loaded> {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let mut loaded = Loaded::default();
    for ty in ContentType::ALL {
        let mut ids: Vec<i32> = groups.iter().filter(|g| g.ty == ty).map(|g| g.id).collect();
        if ids.is_empty() {
            continue;
        }
        ids.sort_unstable();
        ids.dedup();
        let mut locales: Vec<String> = groups.iter().filter(|g| g.ty == ty).map(|g| g.locale.clone()).collect();
        for chunk in ids.chunks(500) {
            let q = Query::select()
                .columns([Alias::new("id"), Alias::new("source_locale")])
                .from(Alias::new(ty.base_table()))
                .and_where(Expr::col(Alias::new("id")).is_in(chunk.iter().copied()))
                .to_owned();
            for row in conn.query_all(&q).await? {
                let source: String = row.try_get("", "source_locale")?;
                locales.push(source.clone());
                loaded.source.insert((ty, row.try_get("", "id")?), source);
            }
        }
        locales.sort_unstable();
        locales.dedup();
        let refs: Vec<&str> = locales.iter().map(String::as_str).collect();
        for row in translations::working_rows(conn, ty, &ids, &refs).await? {
            loaded.rows.insert((ty, row.item_id, row.locale.clone()), row);
        }
        // Targets made from an earlier source: the revisions' hashes are read for those items
        // in one statement per chunk, then the bodies of the revisions that match.
        let mut wanted: HashMap<(i32, String), Vec<(String, String)>> = HashMap::new();
        for g in groups.iter().filter(|g| g.ty == ty) {
            let Some(src_locale) = loaded.source.get(&(ty, g.id)) else { continue };
            let (Some(src), Some(t)) =
                (loaded.rows.get(&(ty, g.id, src_locale.clone())), loaded.rows.get(&(ty, g.id, g.locale.clone())))
            else {
                continue;
            };
            if let Some(hash) = earlier_body_hash(src, t) {
                wanted.entry((g.id, src_locale.clone())).or_default().push((g.locale.clone(), hash));
            }
        }
        let need: Vec<i32> = wanted.keys().map(|(id, _)| *id).collect();
        for chunk in need.chunks(500) {
            let revs: Vec<(i64, i32, String, String)> = e::revisions::Entity::find()
                .select_only()
                .columns([
                    e::revisions::Column::Id,
                    e::revisions::Column::EntityId,
                    e::revisions::Column::Locale,
                    e::revisions::Column::Hashes,
                ])
                .filter(e::revisions::Column::Entity.eq(ty.entity()))
                .filter(e::revisions::Column::EntityId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(conn)
                .await?;
            // The newest revision of the source with each wanted body hash.
            let mut pick: HashMap<i64, Vec<(i32, String)>> = HashMap::new();
            for ((id, src_locale), targets) in &wanted {
                for (target_locale, hash) in targets {
                    let found = revs
                        .iter()
                        .filter(|(_, e, l, h)| {
                            e == id && l == src_locale && h.contains(&format!("\"body\":\"{hash}\""))
                        })
                        .map(|(rid, ..)| *rid)
                        .max();
                    if let Some(rid) = found {
                        pick.entry(rid).or_default().push((*id, target_locale.clone()));
                    }
                }
            }
            if pick.is_empty() {
                continue;
            }
            let bodies: Vec<(i64, String)> = e::revisions::Entity::find()
                .select_only()
                .columns([e::revisions::Column::Id, e::revisions::Column::Body])
                .filter(e::revisions::Column::Id.is_in(pick.keys().copied()))
                .into_tuple()
                .all(conn)
                .await?;
            for (rid, body) in bodies {
                for (id, target_locale) in pick.get(&rid).into_iter().flatten() {
                    loaded.earlier.insert((ty, *id, target_locale.clone()), body.clone());
                }
            }
        }
    }
    Ok(loaded)
}

/// Writes every plan in the caller's write: the saves of each type and language together
/// (`translate::save_many_in`), then the publications asked for one by one. On failure, the
/// index of a plan of the failing batch.
async fn apply_all(w: &Write<'_>, who: &Principal, plans: &mut [Plan]) -> Result<(), (usize, AppError)> {
    let mut batches: BTreeMap<(&'static str, String), Vec<usize>> = BTreeMap::new();
    for (i, p) in plans.iter().enumerate() {
        batches.entry((p.ty.entity(), p.locale.clone())).or_default().push(i);
    }
    for indexes in batches.into_values() {
        let first = indexes[0];
        let (ty, locale) = (plans[first].ty, plans[first].locale.clone());
        let items = indexes
            .iter()
            .map(|&i| translate::ManyInput {
                id: plans[i].id,
                source_locale: plans[i].source.clone(),
                input: std::mem::take(&mut plans[i].input),
                to_review: plans[i].to == Some(PublicationStatus::InReview),
            })
            .collect();
        translate::save_many_in(w, who, ty, &locale, items).await.map_err(|e| (first, e))?;
        for &i in &indexes {
            let p = &plans[i];
            if p.to == Some(PublicationStatus::Published) {
                let to = PublicationStatus::Published;
                translate::set_status_in(w, who, p.ty, p.id, &p.locale, &p.source, to).await.map_err(|e| (i, e))?;
            }
        }
    }
    Ok(())
}

async fn apply(w: &Write<'_>, who: &Principal, plan: &Plan) -> AppResult<()> {
    translate::save_in(w, who, plan.ty, plan.id, &plan.locale, &plan.source, plan.input.clone()).await?;
    if let Some(to) = plan.to {
        translate::set_status_in(w, who, plan.ty, plan.id, &plan.locale, &plan.source, to).await?;
    }
    Ok(())
}

/// Checks the units of one (item, language) and plans its save; refused units go to the tally.
async fn check_group(
    who: &Principal,
    group: Group,
    opts: &ImportOptions,
    tally: &mut Tally,
    loaded: &Loaded,
) -> AppResult<Option<Plan>> {
    let Group { ty, id, locale, units } = group;
    let Some(source_locale) = loaded.source.get(&(ty, id)).cloned() else {
        for (u, _) in &units {
            tally.reject(&u.key, u.line, UnitCode::UnknownKey, format!("no {} with id {id}", ty.entity()));
        }
        return Ok(None);
    };
    if source_locale == locale {
        for (u, _) in &units {
            tally.reject(&u.key, u.line, UnitCode::TargetIsSource, format!("{locale} is the item's source language"));
        }
        return Ok(None);
    }
    let Some(source) = loaded.rows.get(&(ty, id, source_locale.clone())) else {
        for (u, _) in &units {
            tally.reject(&u.key, u.line, UnitCode::UnknownKey, "the item has no source text");
        }
        return Ok(None);
    };
    let target = loaded.rows.get(&(ty, id, locale.clone()));
    let earlier = loaded.earlier.get(&(ty, id, locale.clone())).map(String::as_str);
    let (split, existing) = align(source, target, earlier);

    let mut accepted: Vec<Accepted> = Vec::new();
    // Body units whose block id is not in the current source, in file order, with the index of
    // the last block the file placed before them.
    let mut stale_blocks: Vec<(FileUnit, Option<usize>)> = Vec::new();
    let mut last_placed: Option<usize> = None;
    let mut placed: HashMap<usize, usize> = HashMap::new();
    for (u, field) in units {
        let key = u.key.clone();
        if !allows(who, &Action::EditText { locale: &locale, source_locale: &source_locale, field: field_of(&field) }) {
            tally.reject(&key, u.line, UnitCode::Forbidden, format!("your role may not change this field in {locale}"));
            continue;
        }
        let seg = u.target.clone().unwrap_or_default();
        let state_ = u.state.unwrap_or(UnitState::Translated);
        let (src_seg, src_hash, max) = match &field {
            UnitField::Title => (Segment::text(&source.title), field_hash(&source.title), Some(MAX_TITLE)),
            UnitField::Summary => (Segment::text(&source.summary), field_hash(&source.summary), Some(MAX_SUMMARY)),
            UnitField::Body(bid) => match split.block(bid) {
                Some((i, b)) => {
                    if placed.insert(i, accepted.len()).is_some() {
                        tally.reject(&key, u.line, UnitCode::DuplicateKey, "the block appears earlier in the file");
                        continue;
                    }
                    last_placed = Some(i);
                    (b.segment.clone(), field_hash(&b.segment.to_placeholders()), None)
                }
                None => {
                    stale_blocks.push((u, last_placed));
                    continue;
                }
            },
        };
        if let Err(m) = seg.check_codes(&src_seg) {
            if let UnitField::Body(_) = field {
                placed.retain(|_, v| *v != accepted.len());
            }
            tally.reject(&key, u.line, UnitCode::PlaceholderMismatch, m.0);
            continue;
        }
        if let Some(max) = max
            && seg.plain().chars().count() > max
        {
            tally.reject(&key, u.line, UnitCode::TooLong, format!("at most {max} characters"));
            continue;
        }
        let stale_hash = match &u.hash {
            Some(h) if *h != src_hash => Some(h.clone()),
            _ => None,
        };
        accepted.push(Accepted { key, line: u.line, field, target: seg, state: state_, stale_hash });
        if u.hash.is_none() {
            let a = accepted.last().expect("just pushed");
            tally.flag(
                &a.key,
                a.line,
                UnitCode::SourceUnknown,
                "the file gives no source hash: review against the current source",
            );
        } else if accepted.last().is_some_and(|a| a.stale_hash.is_some()) {
            let a = accepted.last().expect("just pushed");
            tally.flag(
                &a.key,
                a.line,
                UnitCode::SourceChanged,
                "the source changed after export: review before publishing",
            );
        }
    }
    // A block whose source paragraph changed: its place is the first block after the last one
    // placed before it that the file does not translate, if that lies before the next placed one.
    for (u, after) in stale_blocks {
        let start = after.map_or(0, |i| i + 1);
        let next_anchor = placed.keys().copied().filter(|i| *i >= start).min().unwrap_or(split.blocks.len());
        let slot = (start..next_anchor).find(|i| !placed.contains_key(i));
        let Some(i) = slot else {
            tally.reject(
                &u.key,
                u.line,
                UnitCode::UnknownKey,
                "the source paragraph is gone and its place could not be found",
            );
            continue;
        };
        let b = &split.blocks[i];
        let seg = u.target.clone().unwrap_or_default();
        if let Err(m) = seg.check_codes(&b.segment) {
            tally.reject(&u.key, u.line, UnitCode::PlaceholderMismatch, format!("placed at block {}: {}", b.id, m.0));
            continue;
        }
        placed.insert(i, accepted.len());
        tally.flag(
            &u.key,
            u.line,
            UnitCode::SourceChanged,
            format!("the source paragraph changed; placed as block {}", b.id),
        );
        accepted.push(Accepted {
            key: u.key,
            line: u.line,
            field: UnitField::Body(b.id.clone()),
            target: seg,
            state: u.state.unwrap_or(UnitState::Translated),
            stale_hash: Some(u.hash.unwrap_or_default()),
        });
    }
    if accepted.is_empty() {
        return Ok(None);
    }
    let has_title = accepted.iter().any(|a| a.field == UnitField::Title);
    if target.is_none() && !has_title {
        // Undo what was counted for these units.
        let flagged: HashSet<&str> =
            tally.entries.iter().filter(|e| e.status == EntryStatus::NeedsReview).map(|e| e.key.as_str()).collect();
        let n_flagged = accepted.iter().filter(|a| flagged.contains(a.key.as_str())).count() as i32;
        tally.counts.needs_review -= n_flagged;
        let keys: HashSet<String> = accepted.iter().map(|a| a.key.clone()).collect();
        tally.entries.retain(|e| !(e.status == EntryStatus::NeedsReview && keys.contains(&e.key)));
        for a in &accepted {
            tally.reject(
                &a.key,
                a.line,
                UnitCode::TitleRequired,
                format!("{locale} has no translation yet: include the title"),
            );
        }
        return Ok(None);
    }

    // What changes.
    let mut input = TextInput::default();
    let mut changed_units = 0;
    let mut body_translations: HashMap<usize, Segment> = HashMap::new();
    let flagged_keys: HashSet<String> =
        tally.entries.iter().filter(|e| e.status == EntryStatus::NeedsReview).map(|e| e.key.clone()).collect();
    let mut tallied = (0, 0, 0);
    for a in &accepted {
        let current: Option<String> = match &a.field {
            UnitField::Title => target.map(|t| t.title.clone()),
            UnitField::Summary => target.map(|t| t.summary.clone()),
            UnitField::Body(bid) => existing.get(bid).map(|(s, _)| s.to_placeholders()),
        };
        let new_text = a.target.to_placeholders();
        let unchanged = current.as_deref() == Some(new_text.as_str()) && a.stale_hash.is_none();
        if flagged_keys.contains(&a.key) {
            tallied.1 += 1;
        } else if unchanged {
            tally.counts.unchanged += 1;
            tallied.2 += 1;
        } else {
            tally.counts.accepted += 1;
            tallied.0 += 1;
        }
        if unchanged {
            continue;
        }
        changed_units += 1;
        match &a.field {
            UnitField::Title => {
                input.title = Some(a.target.plain());
                if let Some(h) = &a.stale_hash {
                    input.made_from.push(("title", h.clone()));
                }
            }
            UnitField::Summary => {
                input.summary = Some(a.target.plain());
                if let Some(h) = &a.stale_hash {
                    input.made_from.push(("summary", h.clone()));
                }
            }
            UnitField::Body(bid) => {
                if let Some((i, _)) = split.block(bid) {
                    body_translations.insert(i, a.target.clone());
                }
                if a.stale_hash.is_some() && !input.made_from.iter().any(|(f, _)| *f == "body") {
                    // Not the hash of any source body: the version stays outdated.
                    input.made_from.push(("body", format!("stale-{}", field_hash(&a.key))));
                }
            }
        }
    }
    if changed_units == 0 {
        return Ok(None);
    }
    if !body_translations.is_empty() {
        let body = split.render(|i| {
            body_translations.get(&i).cloned().or_else(|| existing.get(&split.blocks[i].id).map(|(s, _)| s.clone()))
        });
        input.body = Some(body);
    }
    // The status the version reaches: the least advanced unit decides; flagged ones stop at review.
    let any_flagged = accepted.iter().any(|a| flagged_keys.contains(&a.key));
    let level = accepted.iter().map(|a| a.state).min().unwrap_or(UnitState::Translated);
    let publish = PublicationStatus::Published;
    let review = PublicationStatus::InReview;
    let may = |to| allows(who, &Action::SetStatus { locale: &locale, source_locale: &source_locale, to });
    let to = match level {
        UnitState::Final if opts.publish && !any_flagged && may(publish) => Some(publish),
        UnitState::Final | UnitState::Translated if may(review) => Some(review),
        _ => None,
    };
    Ok(Some(Plan {
        ty,
        id,
        locale,
        source: source_locale,
        input,
        to,
        keys: accepted.iter().map(|a| (a.key.clone(), a.line)).collect(),
        tallied,
    }))
}
