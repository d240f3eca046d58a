//! The title each item is listed under, kept per locale chain, so that a list ordered by title
//! seeks an index as the date and update orders do.
//!
//! An item's title in a request's language is the collation key of its first visible version
//! along the request's chain, then in its source locale, then in configured order
//! (`query::title_key`): a value of the chain, not of one version, so no index over the versions
//! serves it, and a list that computes it must compute it for every item and sort them. Two tables
//! hold it for every visible item and every configured locale's own chain (`Locales::chains`),
//! under that locale: `title_order` over the published versions (readers' lists) and
//! `title_order_preview` over the working copies (editors' previews; `query::title_table`). A
//! list whose chain is one of these (`ListSpec::title_rows`) joins its visibility's table and
//! reads its `(item_type, locale, sort_key, item_id)` index from the cursor on.
//!
//! The rows are derived data, kept exact in the transaction of every write that records a change
//! to an item ([`keep`], called by `Write::commit` through `Notify::before_commit`). Writes that
//! bypass the write path (the demo and benchmark loaders, tests) call [`rebuild`], and a server
//! rebuilds the tables at start when the chains they were made for (`title_order_chains`) are not
//! the configuration's ([`rebuild_if_stale`]).

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use super::query::{col, constant, title_key, title_table};
use super::{ContentType, Visibility};
use crate::error::{AppError, AppResult};
use crate::locale::Locales;
use crate::write::Changed;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

/// Items written per statement.
const CHUNK: usize = 500;

/// Brings the kept titles of the items a write changed up to date, in its transaction.
pub async fn keep<C: ConnectionTrait>(conn: &C, locales: &Locales, changes: &[Changed]) -> AppResult<()> {
    let mut changed: BTreeMap<(Visibility, ContentType), Vec<i32>> = BTreeMap::new();
    for c in changes {
        let Some(ty) = ContentType::from_entity(&c.entity) else { continue };
        // Any change to an item may change its working copies, which previews list.
        changed.entry((Visibility::Preview, ty)).or_default().push(c.entity_id);
        // Saving a version, a status short of publication: the live versions are as they were
        // (only publishing and taking down write them).
        if !(c.locale.is_some() && c.operation == "updated") {
            changed.entry((Visibility::Public, ty)).or_default().push(c.entity_id);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        // Waits for a rebuild in progress (which holds the table exclusively), and holds a rebuild
        // back until this write commits: otherwise a rebuild's upsert could wait for this one and
        // then write its older view of the item over it. Writes do not exclude each other here
        // (SQLite's write transactions are one at a time already).
        conn.execute_unprepared("LOCK TABLE title_order_chains IN SHARE MODE").await?;
    }
    let chains = locales.chains();
    for ((visibility, ty), mut ids) in changed {
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(CHUNK) {
            refresh(conn, &chains, locales.codes(), visibility, ty, Some(chunk)).await?;
        }
    }
    Ok(())
}

/// Rewrites the titles of `ids` (every item when `None`) of one type in one visibility's table
/// for every chain: an upsert of each visible item's title, then the removal of the rows of items
/// no longer visible. Upserts, so that two writes of the same item in flight at once both succeed.
async fn refresh<C: ConnectionTrait>(
    conn: &C,
    chains: &[(String, Vec<String>)],
    configured: &[String],
    visibility: Visibility,
    ty: ContentType,
    ids: Option<&[i32]>,
) -> AppResult<()> {
    let base = ty.base_table();
    let backend = conn.get_database_backend();
    let table = title_table(visibility);
    let visible = |q: &mut sea_orm::sea_query::SelectStatement| {
        q.from(a(base)).and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(a(ty.translation_table()), a("vt"))
                .and_where(col("vt", "item_id").equals((a(base), a("id"))))
                .and_where(visibility.condition("vt"))
                .and_where(col("vt", "locale").is_in(configured.iter().cloned()))
                .to_owned(),
        ));
        if let Some(ids) = ids {
            q.and_where(col(base, "id").is_in(ids.iter().copied()));
        }
    };
    for (locale, chain) in chains {
        let mut select = Query::select();
        select
            .expr(constant(ty.entity(), backend))
            .expr(constant(locale.as_str(), backend))
            .column((a(base), a("id")))
            .expr(title_key(ty, chain, configured, visibility));
        visible(&mut select);
        let insert = Query::insert()
            .into_table(a(table))
            .columns([a("item_type"), a("locale"), a("item_id"), a("sort_key")])
            .select_from(select)
            .map_err(|e| AppError::internal(format!("title order: {e}")))?
            .on_conflict(
                OnConflict::columns([a("item_type"), a("locale"), a("item_id")])
                    .update_column(a("sort_key"))
                    .to_owned(),
            )
            .to_owned();
        conn.execute(&insert).await?;
    }
    let mut still = Query::select();
    still.column((a(base), a("id")));
    visible(&mut still);
    let mut delete = Query::delete();
    delete
        .from_table(a(table))
        .and_where(Expr::col(a("item_type")).eq(constant(ty.entity(), backend)))
        .and_where(Expr::col(a("item_id")).not_in_subquery(still));
    if let Some(ids) = ids {
        delete.and_where(Expr::col(a("item_id")).is_in(ids.iter().copied()));
    }
    conn.execute(&delete).await?;
    Ok(())
}

/// What `title_order_chains` holds for these locales: each locale's chain, `,`-separated.
fn chain_rows(locales: &Locales) -> BTreeMap<String, String> {
    locales.chains().into_iter().map(|(locale, chain)| (locale, chain.join(","))).collect()
}

/// Rebuilds every kept title (published and preview) for the configured chains, in one write
/// transaction.
pub async fn rebuild(db: &DatabaseConnection, locales: &Locales) -> AppResult<()> {
    rebuild_when(db, locales, false).await.map(|_| ())
}

/// Rebuilds the kept titles when they were made for other chains than the configuration's (or
/// never made): at start, after a migration or a change of locales or fallbacks. Returns whether
/// it rebuilt. Processes starting at once on one database rebuild once: the check is repeated
/// inside the write transaction, which holds the table.
pub async fn rebuild_if_stale(db: &DatabaseConnection, locales: &Locales) -> AppResult<bool> {
    if stored_chains(db).await? == chain_rows(locales) {
        return Ok(false);
    }
    rebuild_when(db, locales, true).await
}

async fn stored_chains<C: ConnectionTrait>(conn: &C) -> AppResult<BTreeMap<String, String>> {
    let q = Query::select().columns([a("locale"), a("chain")]).from(a("title_order_chains")).to_owned();
    let mut out = BTreeMap::new();
    for row in conn.query_all(&q).await? {
        out.insert(row.try_get("", "locale")?, row.try_get("", "chain")?);
    }
    Ok(out)
}

async fn rebuild_when(db: &DatabaseConnection, locales: &Locales, only_if_stale: bool) -> AppResult<bool> {
    let txn = crate::db::begin_write(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // SQLite's write transaction already excludes other writers.
        txn.execute_unprepared("LOCK TABLE title_order_chains IN EXCLUSIVE MODE").await?;
    }
    let wanted = chain_rows(locales);
    if only_if_stale && stored_chains(&txn).await? == wanted {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let chains = locales.chains();
    for visibility in [Visibility::Public, Visibility::Preview] {
        txn.execute(&Query::delete().from_table(a(title_table(visibility))).to_owned()).await?;
        for ty in ContentType::ALL {
            refresh(&txn, &chains, locales.codes(), visibility, ty, None).await?;
        }
    }
    txn.execute(&Query::delete().from_table(a("title_order_chains")).to_owned()).await?;
    let mut insert = Query::insert();
    insert.into_table(a("title_order_chains")).columns([a("locale"), a("chain")]);
    for (locale, chain) in &wanted {
        insert
            .values([locale.as_str().into(), chain.as_str().into()])
            .map_err(|e| AppError::internal(format!("title order chains: {e}")))?;
    }
    txn.execute(&insert).await?;
    txn.commit().await?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "title order rebuilt for the configured chains");
    Ok(true)
}
