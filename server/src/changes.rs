//! Reading the change log as a consumer (webhook fan-out, search indexers).
//!
//! On PostgreSQL a sequence number is taken before commit, so a later number can become visible
//! first. A consumer's cursor only moves over numbers without a gap before them, or past gaps
//! older than [`GAP_TIMEOUT`] (rolled-back transactions leave those for good). Rows beyond a gap
//! may be handled early and again later: consumers must be idempotent.

use chorus_entities::change_log;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::error::AppResult;

/// How long a gap in the change log may be waited for (an uncommitted transaction).
pub const GAP_TIMEOUT: chrono::Duration = chrono::Duration::seconds(60);

/// Changes after `cursor`, oldest first, at most `limit`.
pub async fn after<C: ConnectionTrait>(db: &C, cursor: i64, limit: u64) -> AppResult<Vec<change_log::Model>> {
    Ok(change_log::Entity::find()
        .filter(change_log::Column::Seq.gt(cursor))
        .order_by_asc(change_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The cursor after handling `changes` (read after `cursor`, oldest first): the last number
/// reached without a gap, or with only gaps older than [`GAP_TIMEOUT`] before it.
pub fn advance(cursor: i64, changes: &[change_log::Model], now: DateTime<Utc>) -> i64 {
    let mut last = cursor;
    for change in changes {
        if change.seq == last + 1 || change.at < now - GAP_TIMEOUT {
            last = change.seq;
        } else {
            break;
        }
    }
    last
}

/// A position every earlier change is committed at: the last change older than
/// [`GAP_TIMEOUT`]. A full rebuild starts its cursor there and replays what follows.
pub async fn settled<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> AppResult<i64> {
    let last = change_log::Entity::find()
        .filter(change_log::Column::At.lt(now - GAP_TIMEOUT))
        .order_by_desc(change_log::Column::Seq)
        .one(db)
        .await?;
    Ok(last.map_or(0, |c| c.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(seq: i64, age_seconds: i64) -> change_log::Model {
        change_log::Model {
            seq,
            entity: "resource".into(),
            entity_id: 1,
            locale: None,
            operation: "updated".into(),
            at: Utc::now() - chrono::Duration::seconds(age_seconds),
        }
    }

    #[test]
    fn the_cursor_stops_at_a_recent_gap_and_passes_an_old_one() {
        let now = Utc::now();
        assert_eq!(advance(0, &[change(1, 0), change(2, 0), change(4, 0)], now), 2);
        assert_eq!(advance(0, &[change(1, 0), change(3, 120), change(5, 0)], now), 3);
        assert_eq!(advance(7, &[], now), 7);
    }
}
