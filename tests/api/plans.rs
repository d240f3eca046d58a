//! Query plans of deep pages: a page far down a list is found by seeking the index, not by
//! walking the list from its start, sorting it, or scanning the table.
//!
//! The statement is the one the list service runs (`query::list_statement`), over a few
//! thousand resources, after the database's own statistics are gathered (`ANALYZE`). On
//! PostgreSQL the generic plan the server's connections use (`EXPLAIN (ANALYZE, FORMAT JSON)
//! EXECUTE` of the prepared statement under `force_generic_plan`) must have no sort and no sequential scan
//! of the base table, the cursor must be part of an index condition, and the rows the scans
//! read must stay near the page size; on SQLite (`EXPLAIN QUERY PLAN`) the tables must be
//! searched (`SEARCH`, an index range) and never sorted with a temporary B-tree. Lists by title
//! seek the titles kept per chain (`title_order`, `title_order_preview` for editors' previews)
//! and read each resource by its key. Readers' lists and previews are both checked.

use chorus_entities as e;
use chorus_tests::chorus::content::query::{
    Cursor, Filter, ListSpec, Ordering, PageRequest, SortField, SortValue, TextFields, Versions, list_statement,
};
use chorus_tests::chorus::content::{ContentType, Visibility, resources, title_order};
use chorus_tests::{Backend, backend_test, spawn};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::Value;

const EXTRA: usize = 4000;

/// The `id` column of the first row a statement returns.
async fn first_id(db: &sea_orm::DatabaseConnection, sql: &str) -> i32 {
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get("", "id").unwrap()
}

/// Adds `EXTRA` resources published in English (a quarter of them reports, one in five in the
/// first programme, one in three on the first topic).
async fn many_resources(db: &sea_orm::DatabaseConnection) {
    let programme: i32 = first_id(db, "SELECT MIN(id) AS id FROM programmes").await;
    let kinds =
        [e::ResourceKind::Report, e::ResourceKind::Guide, e::ResourceKind::BriefingPaper, e::ResourceKind::Toolkit];
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for chunk in (0..EXTRA).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|&i| e::resources::ActiveModel {
            kind: Set(kinds[i % 4]),
            published_on: Set(
                NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new((i * 7919 % 9000) as u64)
            ),
            programme_id: Set((i % 5 == 0).then_some(programme)),
            source_locale: Set("en".into()),
            created_at: Set(now),
            updated_at: Set(now - Duration::minutes((i * 104_729 % 500_000) as i64)),
            ..Default::default()
        });
        e::resources::Entity::insert_many(rows).exec(db).await.unwrap();
    }
    // One published English version of each (its working copy and its live copy, as publishing
    // leaves them), and the first topic on every third.
    for sql in [
        "INSERT INTO resource_translations (item_id, locale, status, title, summary, body, slug, sort_key, source_hashes, \
         created_at, updated_at, published_at, version) \
         SELECT r.id, 'en', 'published', 'Extra ' || r.id, '', '', 'extra-' || r.id, 'extra ' || r.id, '', \
         r.created_at, r.updated_at, r.updated_at, v.version FROM resources r, (SELECT 'working' AS version UNION ALL \
         SELECT 'live') v WHERE NOT EXISTS (SELECT 1 FROM resource_translations t WHERE t.item_id = r.id)",
        "INSERT INTO resource_terms (resource_id, term_id) SELECT r.id, (SELECT MIN(id) FROM terms WHERE taxonomy = 'topic') \
         FROM resources r WHERE r.id % 3 = 0 AND NOT EXISTS (SELECT 1 FROM resource_terms x WHERE x.resource_id = r.id)",
        "ANALYZE",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
}

fn spec(field: SortField, descending: bool, filters: Vec<Filter>, visibility: Visibility) -> ListSpec {
    let configured: Vec<String> = ["en", "fr", "es", "ru", "zh-Hans"].iter().map(|s| s.to_string()).collect();
    ListSpec {
        ty: ContentType::Resource,
        filters,
        ordering: Ordering { field, descending },
        chain: vec!["en".into()],
        configured,
        visibility,
        // As a page selecting terms and organisations reads it: the links and the chain's versions
        // are part of the plan.
        links: vec![resources::TERM_LINKS, resources::ORGANIZATION_LINKS],
        versions: Some(Versions { locales: vec!["en".into()], visibility, fields: TextFields::ALL }),
        // English readers' chain is English's own: titles are read from `title_order` (or
        // `title_order_preview`).
        title_rows: true,
    }
}

/// Every node of a JSON plan, depth first.
fn plan_nodes(node: &Value, out: &mut Vec<Value>) {
    out.push(node.clone());
    for child in node["Plans"].as_array().into_iter().flatten() {
        plan_nodes(child, out);
    }
}

/// The cursor of the item at `position` of a list (the service's own answer, walked by ids).
async fn cursor_at(db: &sea_orm::DatabaseConnection, spec: &ListSpec, position: usize) -> Cursor {
    let page = PageRequest { first: Some(100), ..Default::default() };
    let mut after: Option<String> = None;
    let mut seen = 0;
    loop {
        let p = chorus_tests::chorus::content::query::list(
            db,
            spec,
            &PageRequest { after: after.clone(), ..page.clone() },
            20,
            100,
        )
        .await
        .unwrap();
        for (_, c) in &p.items {
            if seen == position {
                return c.clone();
            }
            seen += 1;
        }
        assert!(p.has_next, "the list has {seen} items, fewer than {position}");
        after = p.items.last().map(|(_, c)| c.encode());
    }
}

async fn deep_pages_seek_by_index(backend: Backend) {
    let Some(app) = spawn(backend).await else { return };
    let db = &app.db;
    many_resources(db).await;
    // Written directly, as the benchmark's loader does: the kept titles are made for them.
    let locales = app.config.locales().unwrap();
    assert!(locales.is_locale_chain(&spec(SortField::Title, false, vec![], Visibility::Public).chain));
    title_order::rebuild(db, &locales).await.unwrap();
    db.execute_unprepared("ANALYZE").await.unwrap();
    let topic: i32 = first_id(db, "SELECT MIN(id) AS id FROM terms WHERE taxonomy = 'topic'").await;
    let programme: i32 = first_id(db, "SELECT MIN(id) AS id FROM programmes").await;
    let filters: Vec<(&str, Vec<Filter>)> = vec![
        ("no filter", vec![]),
        ("kind", vec![Filter::Kinds(vec!["report".into()])]),
        ("programme", vec![Filter::Programme(programme)]),
        // As the API sends it: codes resolved to ids from the reference data in memory.
        ("topic", vec![Filter::TermIds(e::Taxonomy::Topic, vec![topic])]),
        ("dates", vec![Filter::DateFrom(SortValue::Date(NaiveDate::from_ymd_opt(2005, 1, 1).unwrap()))]),
    ];
    let mut checked = 0;
    let orders = [
        (SortField::Date, true),
        (SortField::Date, false),
        (SortField::Updated, true),
        (SortField::Title, false),
        (SortField::Title, true),
    ];
    for ((field, descending), visibility) in
        orders.into_iter().flat_map(|o| [(o, Visibility::Public), (o, Visibility::Preview)])
    {
        // The table whose index the cursor seeks: by title, the kept titles.
        let seek = match (field, visibility) {
            (SortField::Title, Visibility::Public) => "title_order",
            (SortField::Title, Visibility::Preview) => "title_order_preview",
            _ => "resources",
        };
        for (name, filter) in &filters {
            let spec = spec(field, descending, filter.clone(), visibility);
            // Near the end of the list: the page a walk from the start would reach last.
            let total = chorus_tests::chorus::content::query::count(db, &spec).await.unwrap() as usize;
            let cursor = cursor_at(db, &spec, total * 9 / 10).await;
            let what = format!("{field:?} {} / {name} / {visibility:?}", if descending { "desc" } else { "asc" });
            // A programme's resources by date or update: the cursor seeks within the programme's
            // entries of an index that starts with it, not along the whole list's.
            let key = if *name == "programme" && seek == "resources" { "programme_id" } else { "" };
            for backward in [false, true] {
                let page = if backward {
                    PageRequest { last: Some(20), before: Some(cursor.encode()), ..Default::default() }
                } else {
                    PageRequest { first: Some(20), after: Some(cursor.encode()), ..Default::default() }
                };
                let q = list_statement(&spec, &page, 20, 100, db.get_database_backend()).unwrap();
                let built = db.get_database_backend().build(&q);
                let what = format!("{what}{}", if backward { " (backwards)" } else { "" });
                match backend {
                    Backend::Postgres => check_postgres(db, &built, &what, seek, key).await,
                    Backend::Sqlite => check_sqlite(db, &built, &what, seek, key).await,
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 100);
    app.stop().await;
}
backend_test!(deep_pages_seek_by_index);

/// `key`: a column the seeking scan's index condition must also name (none when empty).
async fn check_postgres(db: &sea_orm::DatabaseConnection, built: &Statement, what: &str, seek: &str, key: &str) {
    // The plan the server runs: its connections plan each statement once, for any values
    // (`plan_cache_mode = force_generic_plan`, set by `db.rs` on each connection of the pool
    // this is), which PostgreSQL 15 shows for a prepared statement executed on such a
    // connection (an `EXPLAIN` with bound values would show the plan made for those values).
    use sea_orm::TransactionTrait;
    use sea_orm::sea_query::{PostgresQueryBuilder, QueryBuilder};
    let txn = db.begin().await.unwrap();
    txn.execute_unprepared(&format!("PREPARE page AS {}", built.sql)).await.unwrap();
    let values = built.values.as_ref().map(|v| v.0.as_slice()).unwrap_or_default();
    let args: Vec<String> = values.iter().map(|v| PostgresQueryBuilder.value_to_string(v)).collect();
    let explain = Statement::from_string(
        built.db_backend,
        format!("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE page({})", args.join(", ")),
    );
    let row = txn.query_one_raw(explain).await.unwrap().unwrap();
    // A prepared statement outlives the transaction: it is the session's.
    txn.execute_unprepared("DEALLOCATE page").await.unwrap();
    txn.rollback().await.unwrap();
    let plan: Value = row.try_get::<serde_json::Value>("", "QUERY PLAN").unwrap();
    let mut nodes = Vec::new();
    plan_nodes(&plan[0]["Plan"], &mut nodes);
    let text = serde_json::to_string_pretty(&plan).unwrap();
    assert!(!nodes.iter().any(|n| n["Node Type"] == "Sort"), "{what}: the plan sorts:\n{text}");
    let base: Vec<&Value> = nodes.iter().filter(|n| n["Relation Name"] == "resources").collect();
    assert_eq!(base.len(), 1, "{what}: one scan of resources:\n{text}");
    assert!(
        base[0]["Node Type"].as_str().is_some_and(|t| t.starts_with("Index")),
        "{what}: resources is not read through an index:\n{text}"
    );
    // The page's items are joined to their versions by the versions' index, item by item: the
    // plan is made for any page size (`LIMIT $n`), which PostgreSQL guesses at a tenth of the
    // list, and must still not hash the whole table.
    let versions = nodes.iter().filter(|n| n["Relation Name"] == "resource_translations");
    for node in versions {
        assert!(
            node["Node Type"].as_str().is_some_and(|t| t.starts_with("Index")),
            "{what}: versions are not read through an index:\n{text}"
        );
    }
    let scans: Vec<&Value> = nodes.iter().filter(|n| n["Relation Name"] == seek).collect();
    assert_eq!(scans.len(), 1, "{what}: one scan of {seek}:\n{text}");
    let scan = scans[0];
    assert!(
        scan["Node Type"].as_str().is_some_and(|t| t.starts_with("Index")),
        "{what}: {seek} is not read through an index:\n{text}"
    );
    let cond = scan["Index Cond"].as_str().unwrap_or_default();
    assert!(cond.contains(key), "{what}: the scan of {seek} does not seek by {key}:\n{text}");
    assert!(cond.contains("ROW("), "{what}: the cursor is not an index condition of {seek}:\n{text}");
    assert!(cond.contains('$'), "{what}: not the generic plan (the cursor is not a parameter):\n{text}");
    // The rows read to fill the page: on the seeking scan, and on the base table it filters.
    for node in [scan, base[0]] {
        let loops = node["Actual Loops"].as_f64().unwrap_or(1.0).max(1.0);
        let read = (node["Actual Rows"].as_f64().unwrap_or(0.0)
            + node["Rows Removed by Filter"].as_f64().unwrap_or(0.0))
            * loops;
        assert!(read <= 400.0, "{what}: {} read {read} rows for a page of 20:\n{text}", node["Relation Name"]);
    }
}

async fn check_sqlite(db: &sea_orm::DatabaseConnection, built: &Statement, what: &str, seek: &str, key: &str) {
    let explain = Statement::from_sql_and_values(
        built.db_backend,
        format!("EXPLAIN QUERY PLAN {}", built.sql),
        built.values.clone().map(|v| v.0).unwrap_or_default(),
    );
    let rows = db.query_all_raw(explain).await.unwrap();
    let lines: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect();
    let text = lines.join("\n");
    let sorts = lines.iter().filter(|l| l.contains("TEMP B-TREE")).count();
    assert_eq!(sorts, 0, "{what}: the plan sorts:\n{text}");
    let reads = |table: &str| -> Vec<&String> {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("SCAN {table} ")) || l.starts_with(&format!("SEARCH {table} ")))
            .collect()
    };
    let base = reads("resources");
    assert_eq!(base.len(), 1, "{what}: one read of resources:\n{text}");
    assert!(base[0].starts_with("SEARCH resources USING"), "{what}: resources is scanned:\n{text}");
    // A range of the (sort, id) index: `SEARCH resources USING INDEX idx_resources_published_on_id
    // (published_on<?)` (SQLite seeks by the row value's first column and checks the id as it
    // reads); by title, `SEARCH title_order USING COVERING INDEX ... (item_type=? AND locale=? AND
    // (sort_key,item_id)>(?,?))`, and resources by its key.
    // The items' versions come from an index holding what a page reads of them (migration 15):
    // the rows themselves, with their bodies, are not read.
    let versions: Vec<&String> = lines.iter().filter(|l| l.contains("_translations_versions_read")).collect();
    assert!(
        !versions.is_empty() && versions.iter().all(|l| l.contains("USING COVERING INDEX")),
        "{what}: the versions are not read from their covering index:\n{text}"
    );
    let scans = reads(seek);
    assert_eq!(scans.len(), 1, "{what}: one read of {seek}:\n{text}");
    let cursor =
        ["published_on<?", "published_on>?", "updated_at<?", "updated_at>?", "item_id)<(?,?)", "item_id)>(?,?)"];
    assert!(
        scans[0].starts_with(&format!("SEARCH {seek} USING")) && cursor.iter().any(|s| scans[0].contains(s)),
        "{what}: {seek} is not searched by the cursor:\n{text}"
    );
    assert!(
        scans[0].contains(&format!("{key}=?")) || key.is_empty(),
        "{what}: {seek} is not searched by {key}:\n{text}"
    );
}
