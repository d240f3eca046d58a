//! Reading the change log as a consumer (webhook fan-out, search indexers).
//!
//! On PostgreSQL a sequence number is taken before commit, so a later number can become visible
//! first. A consumer's cursor only moves over numbers without a gap before them, or past gaps
//! older than [`GAP_TIMEOUT`] (rolled-back and killed transactions leave those for good). Rows
//! beyond a gap may be handled early and again later: consumers must be idempotent.
//!
//! A consumer that keeps [`Pending`] never waits for a gap: it reads on past the highest number it
//! handled, and revisits only the missing numbers until they commit or expire. Both consumers
//! (the search indexer, the webhook fan-out) do.

use chorus_entities::change_log;
use std::collections::BTreeMap;

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

/// The changes with these numbers (late commits filling gaps), oldest first.
pub async fn these<C: ConnectionTrait>(db: &C, seqs: &[i64]) -> AppResult<Vec<change_log::Model>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    Ok(change_log::Entity::find()
        .filter(change_log::Column::Seq.is_in(seqs.iter().copied()))
        .order_by_asc(change_log::Column::Seq)
        .all(db)
        .await?)
}

/// What a consumer handled beyond its settled cursor (after a gap), kept in memory: the cursor
/// stays where every earlier number is handled, while reading goes on from the highest.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    /// Numbers handled beyond the cursor, with their times.
    beyond: BTreeMap<i64, DateTime<Utc>>,
}

impl Pending {
    /// Forgets everything (the consumer's cursor was reset).
    pub fn clear(&mut self) {
        self.beyond.clear();
    }

    /// Where reading new changes goes on from: the highest number handled.
    pub fn read_from(&self, cursor: i64) -> i64 {
        self.beyond.keys().next_back().copied().map_or(cursor, |high| high.max(cursor))
    }

    /// The missing numbers between the cursor and the highest handled one, lowest first, at most
    /// `limit`: the gaps to look at again.
    pub fn missing(&self, cursor: i64, limit: usize) -> Vec<i64> {
        let high = self.read_from(cursor);
        ((cursor + 1)..high).filter(|n| !self.beyond.contains_key(n)).take(limit).collect()
    }

    /// Records handled changes.
    pub fn handled<'a>(&mut self, changes: impl IntoIterator<Item = &'a change_log::Model>) {
        for c in changes {
            self.beyond.insert(c.seq, c.at);
        }
    }

    /// Moves the cursor over every handled number without a gap before it, and over gaps whose
    /// next handled change is older than [`GAP_TIMEOUT`]; returns the new cursor.
    pub fn settle(&mut self, cursor: i64, now: DateTime<Utc>) -> i64 {
        let mut last = cursor;
        loop {
            if self.beyond.contains_key(&(last + 1)) {
                last += 1;
                continue;
            }
            match self.beyond.range(last + 1..).next() {
                Some((&seq, &at)) if at < now - GAP_TIMEOUT => last = seq,
                _ => break,
            }
        }
        self.beyond = self.beyond.split_off(&(last + 1));
        last
    }
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
    fn pending_reads_past_gaps_and_revisits_them() {
        let now = Utc::now();
        let mut p = Pending::default();
        // 1, 2 and 4 handled; 3 is missing (an open or rolled-back transaction).
        p.handled(&[change(1, 0), change(2, 0), change(4, 0), change(5, 0)]);
        assert_eq!(p.settle(0, now), 2);
        assert_eq!(p.read_from(2), 5, "reading goes on past the gap");
        assert_eq!(p.missing(2, 10), vec![3]);
        // 3 commits late: the cursor moves over everything.
        p.handled(&[change(3, 0)]);
        assert_eq!(p.settle(2, now), 5);
        assert_eq!(p.read_from(5), 5);
        assert!(p.missing(5, 10).is_empty());
        // A gap whose next change is older than the timeout is given up.
        p.handled(&[change(8, 120), change(9, 0)]);
        assert_eq!(p.missing(5, 10), vec![6, 7]);
        assert_eq!(p.settle(5, now), 9);
        assert_eq!(p.read_from(9), 9);
        // Nothing handled: the cursor stays.
        assert_eq!(p.settle(9, now), 9);
    }
}
