//! Reference data in memory: the taxonomy terms with their labels, the organisations and the
//! programmes with their published texts, which nearly every page of resources repeats.
//!
//! A [`Snapshot`] of them is read whole at start; a change to one of their types replaces that
//! type's part of the snapshot, read again whole (a few hundred rows, one or two statements).
//! Changes arrive two ways: this process's own writes (`Write` tells `AppState`, which calls
//! [`Reference::changed`] before the write returns, so a writer reads its own change), and other
//! processes' writes, read from the change log every `graphql.reference_refresh_ms` by the same
//! gap-aware consumer as the search indexer (`changes::Pending`), so no committed change is
//! missed, however late it commits. Reloads are serialised, and each reads after the change it
//! answers committed, so a slower, older reload can never replace a newer one.
//!
//! Only what the public reads is kept (live, published versions in configured locales); previews
//! read the database. Something not in the snapshot (created by another process since the last
//! poll) is read from the database too, so the snapshot only ever saves statements.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chorus_entities as e;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, QueryOrder};

use super::{ContentType, Term, Translation, Visibility};
use crate::changes::{self, Pending};
use crate::error::AppResult;

/// Reference data as of one moment.
#[derive(Default)]
pub struct Snapshot {
    pub terms: HashMap<i32, Arc<Term>>,
    /// Term ids by taxonomy and code.
    pub term_codes: HashMap<(e::Taxonomy, String), i32>,
    pub organizations: HashMap<i32, Arc<e::organizations::Model>>,
    pub programmes: HashMap<i32, Arc<e::programmes::Model>>,
    /// Published texts of organisations and programmes, in configured locale order (an item
    /// with none has an empty list: it is known, and invisible).
    pub texts: HashMap<(ContentType, i32), Arc<[Translation]>>,
}

impl Snapshot {
    /// The ids of these codes of a taxonomy, when every one is known.
    pub fn term_ids(&self, taxonomy: e::Taxonomy, codes: &[String]) -> Option<Vec<i32>> {
        codes.iter().map(|c| self.term_codes.get(&(taxonomy, c.clone())).copied()).collect()
    }

    /// The published texts of an organisation or a programme, when the snapshot knows the item.
    pub fn texts(&self, ty: ContentType, id: i32) -> Option<Arc<[Translation]>> {
        let known = match ty {
            ContentType::Organization => self.organizations.contains_key(&id),
            ContentType::Programme => self.programmes.contains_key(&id),
            _ => false,
        };
        known.then(|| self.texts.get(&(ty, id)).cloned().unwrap_or_else(|| Arc::from(Vec::new())))
    }
}

/// The parts of the snapshot, each read again whole when one of its items changes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Part {
    Terms,
    Organizations,
    Programmes,
}

impl Part {
    fn of_entity(entity: &str) -> Option<Part> {
        match entity {
            "term" => Some(Part::Terms),
            e if e == ContentType::Organization.entity() => Some(Part::Organizations),
            e if e == ContentType::Programme.entity() => Some(Part::Programmes),
            _ => None,
        }
    }
}

/// The change-log consumer's position.
struct Position {
    cursor: i64,
    pending: Pending,
}

/// The reference data of one process.
pub struct Reference {
    locales: Arc<[String]>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Held while a part is read and swapped in (see the module's note on ordering).
    reload: tokio::sync::Mutex<Position>,
}

/// Changes read per poll.
const BATCH: u64 = 1000;

impl Reference {
    /// An empty snapshot (everything is read from the database until [`Reference::load`]).
    pub fn new(configured: &[String]) -> Reference {
        Reference {
            locales: configured.into(),
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            reload: tokio::sync::Mutex::new(Position { cursor: 0, pending: Pending::default() }),
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads everything, noting first a position every earlier change is committed at (later
    /// changes are applied by the polls that follow, again if need be: reloads are idempotent).
    pub async fn load<C: ConnectionTrait>(&self, db: &C) -> AppResult<()> {
        let mut position = self.reload.lock().await;
        position.cursor = changes::settled(db, chrono::Utc::now()).await?;
        position.pending.clear();
        for part in [Part::Terms, Part::Organizations, Part::Programmes] {
            self.read_part(db, part).await?;
        }
        Ok(())
    }

    /// This process committed changes to these entities: reads the parts they touch again.
    pub async fn changed<C: ConnectionTrait>(&self, db: &C, entities: impl IntoIterator<Item = &str>) -> AppResult<()> {
        let parts = dedup(entities.into_iter().filter_map(Part::of_entity).collect());
        if parts.is_empty() {
            return Ok(());
        }
        let _position = self.reload.lock().await;
        for part in parts {
            self.read_part(db, part).await?;
        }
        Ok(())
    }

    /// Applies the change log since the last poll (other processes' writes); true when a full
    /// batch was read and more may follow.
    pub async fn poll<C: ConnectionTrait>(&self, db: &C) -> AppResult<bool> {
        let mut position = self.reload.lock().await;
        let Position { cursor, pending } = &mut *position;
        let mut seen = changes::after(db, pending.read_from(*cursor), BATCH).await?;
        let more = seen.len() as u64 == BATCH;
        seen.extend(changes::these(db, &pending.missing(*cursor, 1000)).await?);
        let parts = dedup(seen.iter().filter_map(|c| Part::of_entity(&c.entity)).collect());
        for part in parts {
            self.read_part(db, part).await?;
        }
        pending.handled(&seen);
        *cursor = pending.settle(*cursor, chrono::Utc::now());
        Ok(more)
    }

    async fn read_part<C: ConnectionTrait>(&self, db: &C, part: Part) -> AppResult<()> {
        let mut next = Snapshot::default();
        match part {
            Part::Terms => {
                let terms = e::terms::Entity::find().order_by_asc(e::terms::Column::Id).all(db).await?;
                next.term_codes = terms.iter().map(|t| ((t.taxonomy, t.code.clone()), t.id)).collect();
                next.terms = super::load::terms_with_labels(db, terms)
                    .await?
                    .into_iter()
                    .map(|(id, t)| (id, Arc::new(t)))
                    .collect();
            }
            Part::Organizations => {
                let rows = e::organizations::Entity::find().all(db).await?;
                next.organizations = rows.into_iter().map(|m| (m.id, Arc::new(m))).collect();
                next.texts = self.texts(db, ContentType::Organization).await?;
            }
            Part::Programmes => {
                let rows = e::programmes::Entity::find().all(db).await?;
                next.programmes = rows.into_iter().map(|m| (m.id, Arc::new(m))).collect();
                next.texts = self.texts(db, ContentType::Programme).await?;
            }
        }
        let mut slot = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let old = &**slot;
        let keep = |ty: ContentType| old.texts.iter().filter(move |((t, _), _)| *t == ty).map(|(k, v)| (*k, v.clone()));
        let merged = match part {
            Part::Terms => Snapshot {
                terms: next.terms,
                term_codes: next.term_codes,
                organizations: old.organizations.clone(),
                programmes: old.programmes.clone(),
                texts: old.texts.clone(),
            },
            Part::Organizations => Snapshot {
                terms: old.terms.clone(),
                term_codes: old.term_codes.clone(),
                organizations: next.organizations,
                programmes: old.programmes.clone(),
                texts: next.texts.into_iter().chain(keep(ContentType::Programme)).collect(),
            },
            Part::Programmes => Snapshot {
                terms: old.terms.clone(),
                term_codes: old.term_codes.clone(),
                organizations: old.organizations.clone(),
                programmes: next.programmes,
                texts: next.texts.into_iter().chain(keep(ContentType::Organization)).collect(),
            },
        };
        *slot = Arc::new(merged);
        Ok(())
    }

    /// Every published text of a type, grouped by item in configured locale order.
    async fn texts<C: ConnectionTrait>(
        &self,
        db: &C,
        ty: ContentType,
    ) -> AppResult<HashMap<(ContentType, i32), Arc<[Translation]>>> {
        let table = ty.translation_table();
        let mut q = Query::select();
        for c in ["item_id", "locale", "status", "title", "summary", "slug", "updated_at"] {
            q.column(Alias::new(c));
        }
        q.from(Alias::new(table))
            .and_where(Visibility::Public.condition(table))
            .and_where(Expr::col(Alias::new("locale")).is_in(self.locales.iter().cloned()));
        let rows = Translation::find_by_statement(db.get_database_backend().build(&q)).all(db).await?;
        let mut grouped: HashMap<i32, Vec<Translation>> = HashMap::new();
        for t in rows {
            grouped.entry(t.item_id).or_default().push(t);
        }
        Ok(grouped
            .into_iter()
            .map(|(id, mut list)| {
                list.sort_by_key(|t| self.locales.iter().position(|l| *l == t.locale));
                ((ty, id), list.into())
            })
            .collect())
    }
}

/// The parts in first-seen order, each once.
fn dedup(parts: Vec<Part>) -> Vec<Part> {
    let mut out = Vec::new();
    for p in parts {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}
