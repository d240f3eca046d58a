//! Scheduled publication: a job row per (item, locale, time), carried out by a loop in every
//! server process. A process claims a due job with a conditional update, so only one publishes
//! it; a claim left by a crashed process is taken again after a minute, and one whose
//! publication failed for a passing reason (a lock, a lost connection) is given back at once.
//! Jobs live in the database, so they survive restarts.

use std::time::Duration;

use chorus_entities::{PublicationStatus, scheduled_publications as jobs};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};

use super::ContentType;
use super::Services;
use super::translate;
use crate::auth::policy::{Action, Principal, allows};
use crate::error::{AppError, AppResult, Code};
use crate::write::Write;

/// A claim older than this belongs to a process that died; the job is taken again.
const STALE_CLAIM: chrono::Duration = chrono::Duration::seconds(60);

/// Schedules the publication of a locale version's working copy.
pub async fn schedule(
    state: &impl Services,
    who: &Principal,
    ty: ContentType,
    id: i32,
    locale: &str,
    at: DateTime<Utc>,
) -> AppResult<jobs::Model> {
    let locale =
        state.locales().configured_code(locale).map_err(|e| AppError::bad_input(format!("locale: {e}")))?.to_owned();
    let source = super::translate::source_locale(state.db(), ty, id).await?;
    if !allows(who, &Action::SetStatus { locale: &locale, source_locale: &source, to: PublicationStatus::Published }) {
        return Err(AppError::Forbidden("your role does not allow publishing in this locale".into()));
    }
    if at > Utc::now() + chrono::Duration::days(5 * 366) {
        return Err(AppError::bad_input("publishAt: at most five years ahead"));
    }
    let working = sea_orm::sea_query::Query::select()
        .expr(Expr::val(1))
        .from(sea_orm::sea_query::Alias::new(ty.translation_table()))
        .and_where(Expr::col(sea_orm::sea_query::Alias::new("item_id")).eq(id))
        .and_where(Expr::col(sea_orm::sea_query::Alias::new("locale")).eq(locale.as_str()))
        .and_where(
            Expr::col(sea_orm::sea_query::Alias::new("version")).eq(chorus_entities::TranslationVersion::Working),
        )
        .to_owned();
    if sea_orm::ConnectionTrait::query_one(state.db(), &working).await?.is_none() {
        return Err(AppError::NotFound("no such translation".into()));
    }
    let w = Write::begin(state.db(), who.into(), state).await?;
    let job = jobs::ActiveModel {
        entity: Set(ty.entity().to_owned()),
        entity_id: Set(id),
        locale: Set(locale.clone()),
        publish_at: Set(at),
        user_id: Set(who.user_id),
        claimed_at: Set(None),
        done_at: Set(None),
        outcome: Set(None),
        ..Default::default()
    }
    .insert(w.txn())
    .await?;
    w.audit("translation.schedule", ty.entity(), id, Some(&locale)).await?;
    w.commit().await?;
    Ok(job)
}

/// Carries out every due job this process can claim; returns how many it ran.
pub async fn run_due(state: &impl Services) -> AppResult<usize> {
    let now = Utc::now();
    let stale = now - STALE_CLAIM;
    let unclaimed = || Condition::any().add(jobs::Column::ClaimedAt.is_null()).add(jobs::Column::ClaimedAt.lt(stale));
    let due = jobs::Entity::find()
        .filter(jobs::Column::DoneAt.is_null())
        .filter(jobs::Column::PublishAt.lte(now))
        .filter(unclaimed())
        .all(state.db())
        .await?;
    let mut ran = 0;
    for job in due {
        let claimed = jobs::Entity::update_many()
            .col_expr(jobs::Column::ClaimedAt, Expr::val(now))
            .filter(jobs::Column::Id.eq(job.id))
            .filter(jobs::Column::DoneAt.is_null())
            .filter(unclaimed())
            .exec(state.db())
            .await?;
        if claimed.rows_affected != 1 {
            continue; // another process has it
        }
        let outcome = match (
            ContentType::from_entity(&job.entity),
            crate::auth::accounts::principal_for_user(state.db(), job.user_id).await?,
        ) {
            (Some(ty), Some(who)) => {
                match translate::set_status(state, &who, ty, job.entity_id, &job.locale, PublicationStatus::Published)
                    .await
                {
                    Ok(_) => "published".to_owned(),
                    Err(e) if matches!(e.code(), Code::Internal | Code::Unavailable) => {
                        // A passing failure (a lock, a lost connection): give the job back so
                        // that the next tick, here or in another process, tries again.
                        e.log_if_internal();
                        release(state, job.id).await?;
                        continue;
                    }
                    // The publication itself is refused (the item or the translation has
                    // gone, the text fails validation): that is the job's outcome.
                    Err(e) => e.public_message(),
                }
            }
            (None, _) => "unknown item type".to_owned(),
            (_, None) => "the user who scheduled it is no longer active".to_owned(),
        };
        let mut active: jobs::ActiveModel = job.into();
        active.done_at = Set(Some(Utc::now()));
        active.outcome = Set(Some(outcome));
        active.update(state.db()).await?;
        ran += 1;
    }
    Ok(ran)
}

/// Gives a claimed job back.
async fn release(state: &impl Services, id: i32) -> AppResult<()> {
    jobs::Entity::update_many()
        .col_expr(jobs::Column::ClaimedAt, Expr::val(Option::<DateTime<Utc>>::None))
        .filter(jobs::Column::Id.eq(id))
        .filter(jobs::Column::DoneAt.is_null())
        .exec(state.db())
        .await?;
    Ok(())
}

/// The loop every server process runs until shutdown, every `every` milliseconds (never when 0).
pub async fn run(state: impl Services, every: u64) {
    if every == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(every));
    loop {
        tick.tick().await;
        if let Err(e) = run_due(&state).await {
            e.log_if_internal();
        }
    }
}
