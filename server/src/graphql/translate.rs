//! The translation workflow over GraphQL: save a working copy, change its status, unpublish.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::auth::principal;
use super::error::IntoGql;
use super::ids;
use super::localized::TranslationStatus;
use super::state;
use crate::content::ContentType;
use crate::content::translate::{self, TextInput, WorkingCopy};
use crate::error::{AppError, AppResult};

/// New text for a locale version; absent fields keep their value. Ids, statuses, timestamps and
/// authors are never input: they follow from who does what, and when.
#[derive(InputObject)]
pub struct TranslationInput {
    title: Option<String>,
    /// Plain text.
    summary: Option<String>,
    /// HTML; scripts, event handlers, `javascript:` and `data:` URLs are removed.
    body: Option<String>,
    /// Generated from the title (transliterated) when a new version has none.
    slug: Option<String>,
}

/// The working copy of a locale version, as editors see it.
#[derive(SimpleObject)]
pub struct WorkingTranslation {
    locale: String,
    status: TranslationStatus,
    title: String,
    summary: String,
    slug: String,
    updated_at: DateTime<Utc>,
    /// Whether a published copy is online.
    live: bool,
}

impl From<WorkingCopy> for WorkingTranslation {
    fn from(w: WorkingCopy) -> Self {
        WorkingTranslation {
            locale: w.locale,
            status: w.status.into(),
            title: w.title,
            summary: w.summary,
            slug: w.slug,
            updated_at: w.updated_at,
            live: w.live,
        }
    }
}

pub(super) fn item(id: &ID) -> AppResult<(ContentType, i32)> {
    let (ty, n) = ids::decode(id)?;
    let ty = ty
        .content_type()
        .ok_or_else(|| AppError::bad_input("id: not a resource, good practice, organisation or programme"))?;
    Ok((ty, n))
}

impl From<TranslationInput> for TextInput {
    fn from(i: TranslationInput) -> Self {
        TextInput { title: i.title, summary: i.summary, body: i.body, slug: i.slug, made_from: vec![] }
    }
}

/// A publication waiting for its time.
#[derive(SimpleObject)]
pub struct ScheduledPublication {
    id: ID,
    locale: String,
    publish_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct TranslationMutation;

#[Object]
impl TranslationMutation {
    /// Saves the working copy of an item in a locale (a new one starts as a draft). The live copy,
    /// if any, stays online unchanged until the working copy is published again.
    async fn save_translation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        locale: String,
        input: TranslationInput,
    ) -> async_graphql::Result<WorkingTranslation> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        Ok(translate::save(state(ctx), who, ty, n, &locale, input.into()).await.gql()?.into())
    }

    /// Moves a locale version to a status: `PUBLISHED` puts the working copy online,
    /// `ARCHIVED` takes it offline.
    async fn set_translation_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        locale: String,
        status: TranslationStatus,
    ) -> async_graphql::Result<WorkingTranslation> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        Ok(translate::set_status(state(ctx), who, ty, n, &locale, status.into()).await.gql()?.into())
    }

    /// Deletes an item with all its locale versions (editors and admins).
    async fn delete_item(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        crate::content::items::delete(state(ctx), who, ty, n).await.gql()?;
        Ok(true)
    }

    /// Publishes the working copy of a locale version at a given time (a server process carries
    /// it out within seconds of that time, also after restarts).
    async fn schedule_publication(
        &self,
        ctx: &Context<'_>,
        id: ID,
        locale: String,
        publish_at: DateTime<Utc>,
    ) -> async_graphql::Result<ScheduledPublication> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        let job = crate::content::schedule::schedule(state(ctx), who, ty, n, &locale, publish_at).await.gql()?;
        Ok(ScheduledPublication { id: ID(job.id.to_string()), locale: job.locale, publish_at: job.publish_at })
    }

    /// Saves an old revision's text as the working copy again (recorded as a new revision).
    async fn restore_revision(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WorkingTranslation> {
        let who = principal(ctx).gql()?;
        let revision = revision_id(&id).gql()?;
        Ok(translate::restore(state(ctx), who, revision).await.gql()?.into())
    }

    /// Takes a locale version offline; its working copy becomes a draft.
    async fn unpublish_translation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        locale: String,
    ) -> async_graphql::Result<WorkingTranslation> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        Ok(translate::unpublish(state(ctx), who, ty, n, &locale).await.gql()?.into())
    }
}

/// A source field that changed after a translation was made from it.
#[derive(SimpleObject)]
pub struct ChangedSourceField {
    /// `title`, `summary` or `body`.
    field: String,
    /// The source text the translation was made from (null when no revision holds it).
    old_text: Option<String>,
    new_text: String,
}

/// Why a translation is outdated.
#[derive(SimpleObject)]
pub struct OutdatedInfo {
    fields: Vec<ChangedSourceField>,
    source_changed_at: DateTime<Utc>,
}

/// A working copy as editors and translators see it.
#[derive(SimpleObject)]
pub struct EditorTranslation {
    locale: String,
    status: TranslationStatus,
    title: String,
    summary: String,
    body: String,
    slug: String,
    updated_at: DateTime<Utc>,
    /// Whether a published copy is online.
    live: bool,
    /// Set when the source text changed after this translation was made; null when up to date
    /// (and for the source locale itself).
    outdated: Option<OutdatedInfo>,
}

#[derive(Default)]
pub struct TranslationQuery;

#[Object]
impl TranslationQuery {
    /// Every working copy of an item, with outdated reports (needs the right to read drafts).
    async fn working_translations(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Vec<EditorTranslation>> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        let views = translate::editor_views(state(ctx), who, ty, n).await.gql()?;
        Ok(views
            .into_iter()
            .map(|v| EditorTranslation {
                locale: v.copy.locale,
                status: v.copy.status.into(),
                title: v.copy.title,
                summary: v.copy.summary,
                body: v.copy.body,
                slug: v.copy.slug,
                updated_at: v.copy.updated_at,
                live: v.copy.live,
                outdated: v.outdated.map(|o| OutdatedInfo {
                    fields: o
                        .fields
                        .into_iter()
                        .map(|f| ChangedSourceField {
                            field: f.field.to_owned(),
                            old_text: f.old_text,
                            new_text: f.new_text,
                        })
                        .collect(),
                    source_changed_at: o.source_changed_at,
                }),
            })
            .collect())
    }
}

/// How far one locale's translations are, for one kind of item.
#[derive(SimpleObject)]
pub struct TranslationProgress {
    /// `resource:report`, `resource:guide`..., `good_practice`, `organization` or `programme`.
    kind: String,
    items: u64,
    /// Items with no version in this locale yet.
    missing: u64,
    draft: u64,
    in_review: u64,
    published: u64,
    archived: u64,
    /// Versions made from a source text that has changed since.
    outdated: u64,
}

#[derive(Default)]
pub struct ProgressQuery;

#[Object]
impl ProgressQuery {
    /// Translation progress of a locale, by kind and status (needs the right to read drafts).
    async fn translation_progress(
        &self,
        ctx: &Context<'_>,
        locale: String,
    ) -> async_graphql::Result<Vec<TranslationProgress>> {
        let who = principal(ctx).gql()?;
        let rows = translate::progress(state(ctx), who, &locale).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|p| TranslationProgress {
                kind: p.kind,
                items: p.items,
                missing: p.missing,
                draft: p.draft,
                in_review: p.in_review,
                published: p.published,
                archived: p.archived,
                outdated: p.outdated,
            })
            .collect())
    }
}

/// One saved state of a locale version.
#[derive(SimpleObject)]
pub struct Revision {
    id: ID,
    at: DateTime<Utc>,
    /// Who saved it ("(before history)" for the state found when history began).
    display_name: String,
    status: TranslationStatus,
    /// The fields this save changed (`status` for status changes).
    changed: Vec<String>,
    title: String,
    summary: String,
    body: String,
    slug: String,
}

/// A field that differs between two revisions.
#[derive(SimpleObject)]
pub struct FieldDiff {
    field: String,
    before: String,
    after: String,
}

fn revision_id(id: &ID) -> AppResult<i64> {
    id.parse().map_err(|_| AppError::bad_input("id: a revision id"))
}

#[derive(Default)]
pub struct HistoryQuery;

#[Object]
impl HistoryQuery {
    /// Every saved state of an item in a locale, newest first (needs the right to read drafts).
    async fn history(&self, ctx: &Context<'_>, id: ID, locale: String) -> async_graphql::Result<Vec<Revision>> {
        let who = principal(ctx).gql()?;
        let (ty, n) = item(&id).gql()?;
        let rows = translate::history(state(ctx), who, ty, n, &locale).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|r| Revision {
                id: ID(r.id.to_string()),
                at: r.at,
                display_name: r.display_name,
                status: r.status.into(),
                changed: r.changed.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
                title: r.title,
                summary: r.summary,
                body: r.body,
                slug: r.slug,
            })
            .collect())
    }

    /// The fields that differ between two revisions of the same locale version.
    async fn revision_diff(&self, ctx: &Context<'_>, from: ID, to: ID) -> async_graphql::Result<Vec<FieldDiff>> {
        let who = principal(ctx).gql()?;
        let (from, to) = (revision_id(&from).gql()?, revision_id(&to).gql()?);
        let diffs = translate::diff(state(ctx), who, from, to).await.gql()?;
        Ok(diffs
            .into_iter()
            .map(|d| FieldDiff { field: d.field.to_owned(), before: d.before, after: d.after })
            .collect())
    }
}
