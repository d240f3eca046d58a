//! Listing items: filters, ordering in the request's language, keyset (cursor) paging, counts.
//!
//! Every list is one statement returning the page's ids and sort values; counting is a second
//! statement, run only when a client asks for `totalCount`. Only items with a published
//! translation in a configured locale are visible.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_entities::Taxonomy;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde::{Deserialize, Serialize};

use super::{ContentType, Visibility};
use crate::error::{AppError, AppResult};

/// What a list is ordered by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortField {
    /// The type's date column (publication date, year, start year).
    Date,
    /// The title served in the request's locale chain, by collation key.
    Title,
    /// The item's last update.
    Updated,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ordering {
    pub field: SortField,
    pub descending: bool,
}

/// A sort value carried in a cursor, typed so that comparisons bind correctly on PostgreSQL.
#[derive(Clone, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
pub enum SortValue {
    Date(NaiveDate),
    Int(i32),
    Time(DateTime<Utc>),
    Text(String),
}

impl From<SortValue> for sea_orm::Value {
    fn from(v: SortValue) -> Self {
        match v {
            SortValue::Date(d) => d.into(),
            SortValue::Int(i) => i.into(),
            SortValue::Time(t) => t.into(),
            SortValue::Text(s) => s.into(),
        }
    }
}

/// An opaque position in a list: the sort value and id of an item, and the ordering it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "f")]
    pub field: SortField,
    #[serde(rename = "v")]
    pub value: SortValue,
    #[serde(rename = "i")]
    pub id: i32,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str) -> AppResult<Cursor> {
        let bad = || AppError::bad_input("invalid cursor: pass a cursor returned by this list");
        if raw.len() > 1024 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

/// Which slice of a list to return, in Relay's terms.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// A validated page request.
#[derive(Clone, Debug)]
struct Window {
    size: u64,
    backward: bool,
    cursor: Option<Cursor>,
}

impl PageRequest {
    fn window(&self, default_size: u32, max_size: u32, field: SortField) -> AppResult<Window> {
        let check = |n: i32, arg: &str| -> AppResult<u64> {
            if n < 0 || n as u32 > max_size {
                Err(AppError::bad_input(format!("`{arg}` must be between 0 and {max_size}")))
            } else {
                Ok(n as u64)
            }
        };
        if self.first.is_some() && self.last.is_some() {
            return Err(AppError::bad_input("pass `first` or `last`, not both"));
        }
        if self.last.is_some() && self.after.is_some() || self.first.is_some() && self.before.is_some() {
            return Err(AppError::bad_input("page forwards with `first`/`after` or backwards with `last`/`before`"));
        }
        if self.after.is_some() && self.before.is_some() {
            return Err(AppError::bad_input("pass `after` or `before`, not both"));
        }
        let backward = self.last.is_some() || self.before.is_some();
        let size = match (self.first, self.last) {
            (Some(n), _) => check(n, "first")?,
            (_, Some(n)) => check(n, "last")?,
            _ => default_size as u64,
        };
        let cursor = match self.after.as_deref().or(self.before.as_deref()) {
            Some(raw) => {
                let c = Cursor::decode(raw)?;
                if c.field != field {
                    return Err(AppError::bad_input("the cursor belongs to another ordering of this list"));
                }
                Some(c)
            }
            None => None,
        };
        Ok(Window { size, backward, cursor })
    }
}

/// A filter on a list; the GraphQL layer builds these from its typed input objects.
#[derive(Clone, Debug)]
pub enum Filter {
    /// `kind` is one of these stored values.
    Kinds(Vec<String>),
    /// Linked to a term of this taxonomy with one of these codes.
    Terms(Taxonomy, Vec<String>),
    /// Linked to one of these terms of this taxonomy: `Terms` with its codes already resolved
    /// (from the reference data in memory). Literal ids let the database's statistics on the link
    /// table judge how many items a term has, which a subquery hides from it, so that it still
    /// walks the list's index for a frequent term instead of sorting every match.
    TermIds(Taxonomy, Vec<i32>),
    /// Linked to one of these organisations.
    Organizations(Vec<i32>),
    /// Resources of this programme.
    Programme(i32),
    /// Published in at least one of these (configured) locales, as text or as a document.
    AvailableIn(Vec<String>),
    /// The date column is at least / at most this value (inclusive).
    DateFrom(SortValue),
    DateTo(SortValue),
    /// Organisations whose parent is this one.
    Parent(i32),
    /// Programmes funded by one of these organisations.
    Funders(Vec<i32>),
    /// Programmes running in this year.
    ActiveIn(i32),
    /// The working copy in a locale is in this state (preview only).
    Translation(String, TranslationState),
}

/// The editorial state of an item's working copy in one locale.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TranslationState {
    Status(chorus_entities::PublicationStatus),
    /// Made from a source text that has changed since.
    Outdated,
    /// No version in that locale yet.
    Missing,
}

/// Everything that defines one list.
#[derive(Clone, Debug)]
pub struct ListSpec {
    pub ty: ContentType,
    pub filters: Vec<Filter>,
    pub ordering: Ordering,
    /// The request's locale chain (configured codes, best first).
    pub chain: Vec<String>,
    /// All configured locale codes.
    pub configured: Vec<String>,
    /// Which versions count: published only, or drafts too (authenticated preview).
    pub visibility: Visibility,
    /// Link tables read with each row of a page (`list` only), so that a page of items and
    /// what they link to take one statement.
    pub links: Vec<Link>,
    /// The versions read with each row of a page (`list` only), so that a page and the texts it
    /// is localised from take one statement.
    pub versions: Option<Versions>,
    /// Whether `content::title_order` keeps this list's titles (lists whose chain is the chain of
    /// its first locale, `Locales::is_locale_chain`; `title_table(visibility)` holds them): a page
    /// by title then seeks that table's index instead of computing every item's title and
    /// sorting them.
    pub title_rows: bool,
}

/// The table of each item's title per locale chain (`content::title_order`) for `visibility`:
/// published versions for readers, working copies for previews.
pub(super) fn title_table(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "title_order",
        Visibility::Preview => "title_order_preview",
    }
}

/// The visible versions of each item in some locales, read with a page's rows or a lookup's:
/// the rows are joined to them (`LEFT JOIN`, see `around`), one row per version (one with empty version
/// columns for an item with none), and [`item_rows`] groups them back into items. The fields the
/// request does not select are read as empty text.
///
/// Rows rather than an aggregate per item (a JSON array was read before): PostgreSQL spent a
/// third of a page's time building JSON (escaping every summary, writing every time as text) and
/// the server parsing it back, where rows travel as they are stored, times in binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versions {
    pub locales: Vec<String>,
    pub visibility: Visibility,
    /// The optional fields read; the others are read as empty text.
    pub fields: TextFields,
}

/// Which of a version's optional text fields a read fills: what the request selects (its locale,
/// status, title and time are always read; bodies are read apart). A version read without one
/// holds it empty, so what was read is part of the request loader's key (`TextsOf`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextFields {
    pub summary: bool,
    pub slug: bool,
}

impl TextFields {
    pub const ALL: TextFields = TextFields { summary: true, slug: true };
}

impl Versions {
    /// `inner`'s rows (`p`) each joined to its visible versions (`v_locale`, `v_status`, ...),
    /// each item's found by the versions' `(item_id, ...)` index.
    ///
    /// On PostgreSQL as a `LATERAL` subquery that cannot be merged into the join (`OFFSET 0`):
    /// the statement is planned once for any page size (`db.rs`), and guessing a tenth of the
    /// list for `LIMIT $n`, the planner would otherwise hash the whole translation table for a
    /// small list. SQLite only nests loops, and has no `LATERAL`: the table is joined as it is.
    fn around(&self, inner: SelectStatement, ty: ContentType, backend: DbBackend) -> SelectStatement {
        let field = |read: bool, column: &str| if read { col("v", column) } else { Expr::cust("''") };
        let columns = [
            (col("v", "locale"), "v_locale"),
            (col("v", "status"), "v_status"),
            (col("v", "title"), "v_title"),
            (field(self.fields.summary, "summary"), "v_summary"),
            (field(self.fields.slug, "slug"), "v_slug"),
            (col("v", "updated_at"), "v_updated_at"),
        ];
        let matching = col("v", "item_id")
            .equals((a("p"), a("id")))
            .and(self.visibility.condition("v"))
            .and(col("v", "locale").is_in(padded(&self.locales)));
        let mut q = Query::select();
        q.column((a("p"), Asterisk)).from_subquery(inner, a("p"));
        match backend {
            DbBackend::Postgres => {
                let mut versions = Query::select();
                for (expr, name) in columns {
                    versions.expr_as(expr, a(name));
                }
                versions.from_as(a(ty.translation_table()), a("v")).and_where(matching).offset(0);
                q.column((a("vs"), Asterisk)).join_lateral(JoinType::LeftJoin, versions, a("vs"), Expr::cust("TRUE"));
            }
            _ => {
                for (expr, name) in columns {
                    q.expr_as(expr, a(name));
                }
                q.join_as(JoinType::LeftJoin, a(ty.translation_table()), a("v"), matching);
            }
        }
        q
    }
}

/// An item's base row as a page or a lookup reads it (every column of the base table, and the
/// links' columns), with the versions read with it.
#[derive(Debug)]
pub struct ItemRow {
    pub id: i32,
    pub row: QueryResult,
    pub versions: Vec<super::Translation>,
}

/// Rows read with [`Versions`] (one per version) grouped into items, in the order each item
/// first comes; without versions, each row is an item.
fn item_rows(rows: Vec<QueryResult>, versions: bool) -> AppResult<Vec<ItemRow>> {
    let mut out: Vec<ItemRow> = Vec::with_capacity(rows.len());
    let mut at: std::collections::HashMap<i32, usize> = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i32 = row.try_get("", "id")?;
        let version = if versions { version_of_row(&row, id)? } else { None };
        let i = match at.get(&id) {
            Some(i) => *i,
            None => {
                at.insert(id, out.len());
                out.push(ItemRow { id, row, versions: Vec::new() });
                out.len() - 1
            }
        };
        out[i].versions.extend(version);
    }
    Ok(out)
}

/// The version a row read with [`Versions`] holds (none for an item without one).
fn version_of_row(row: &QueryResult, item_id: i32) -> AppResult<Option<super::Translation>> {
    use sea_orm::ActiveEnum;
    let Some(locale) = row.try_get::<Option<String>>("", "v_locale")? else { return Ok(None) };
    let status: String = row.try_get("", "v_status")?;
    let status = chorus_entities::PublicationStatus::try_from_value(&status)
        .map_err(|_| AppError::internal(format!("item {item_id}: unknown version status `{status}`")))?;
    Ok(Some(super::Translation {
        item_id,
        locale,
        status,
        title: row.try_get("", "v_title")?,
        summary: row.try_get("", "v_summary")?,
        slug: row.try_get("", "v_slug")?,
        updated_at: row.try_get("", "v_updated_at")?,
    }))
}

/// A link table read with a page of items: each item's linked values, `,`-separated, in a
/// column of the page's rows (`Page::rows`), read back by [`linked_values`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The column's name in the page's rows.
    pub alias: &'static str,
    pub table: &'static str,
    /// The link table's column that holds the item's id.
    pub item: &'static str,
    /// The link's columns, each value written `a:b` (integers and codes, never `,` or `:`).
    pub columns: &'static [&'static str],
}

impl Link {
    /// `(SELECT string_agg(..., ',') FROM table WHERE item = base.id)`: the same text on SQLite
    /// (3.44 and later) and PostgreSQL. Names are the link's constants only. Unordered: an
    /// ordered aggregate sorts each item's few rows (PostgreSQL 15 does even when the index gives
    /// them in order), which [`linked_values`] does for less.
    fn expr(&self, base: &str) -> Expr {
        let value = self.columns.iter().map(|c| format!("CAST(l.{c} AS TEXT)")).collect::<Vec<_>>().join(" || ':' || ");
        Expr::cust(format!(
            "(SELECT string_agg({value}, ',') FROM {table} l WHERE l.{item} = {base}.id)",
            table = self.table,
            item = self.item,
        ))
    }
}

/// The values a page row holds for `link`: one list of column values per linked row, in the
/// order of the link's columns, the rows ordered by them as `ORDER BY` would (integers as
/// numbers, the rest as text), the order the loaders read links in.
pub fn linked_values(row: &QueryResult, link: &Link) -> AppResult<Vec<Vec<String>>> {
    let text: Option<String> = row.try_get("", link.alias)?;
    let mut values: Vec<Vec<String>> = text
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|v| !v.is_empty())
        .map(|v| v.split(':').map(str::to_owned).collect())
        .collect();
    values.sort_by(|x, y| {
        x.iter()
            .zip(y)
            .map(|(a, b)| match (a.parse::<i64>(), b.parse::<i64>()) {
                (Ok(a), Ok(b)) => a.cmp(&b),
                _ => a.cmp(b),
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(values)
}

/// One page: item ids with their cursors, in list order, and the items' base rows (every
/// column of the base table) with their links and versions, so that callers need no second
/// statement to fetch them.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<(i32, Cursor)>,
    /// In list order, as `items`.
    pub rows: Vec<ItemRow>,
    pub has_next: bool,
    pub has_previous: bool,
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

pub(super) fn col(table: &str, column: &str) -> Expr {
    Expr::col((a(table), a(column)))
}

/// `EXISTS` a visible translation of the base row in one of `locales`.
fn translation_exists(ty: ContentType, locales: &[String], visibility: Visibility) -> Expr {
    let base = ty.base_table();
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as(a(ty.translation_table()), a("vt"))
            .and_where(col("vt", "item_id").equals((a(base), a("id"))))
            .and_where(visibility.condition("vt"))
            .and_where(col("vt", "locale").is_in(padded(locales)))
            .to_owned(),
    )
}

/// Items whose working copy in `locale` is in `state`.
fn translation_state(ty: ContentType, locale: &str, state: TranslationState) -> Expr {
    let base = ty.base_table();
    let working = |alias: &str| {
        Query::select()
            .expr(Expr::val(1))
            .from_as(a(ty.translation_table()), a(alias))
            .and_where(col(alias, "item_id").equals((a(base), a("id"))))
            .and_where(col(alias, "version").eq(chorus_entities::TranslationVersion::Working))
            .to_owned()
    };
    let mut t = working("tt");
    t.and_where(col("tt", "locale").eq(locale));
    match state {
        TranslationState::Status(status) => Expr::exists(t.and_where(col("tt", "status").eq(status)).to_owned()),
        TranslationState::Missing => Expr::exists(t).not(),
        TranslationState::Outdated => {
            let mut source = working("ts");
            source
                .and_where(col("ts", "locale").equals((a(base), a("source_locale"))))
                .and_where(col("ts", "source_hashes").ne(Expr::col((a("tt"), a("source_hashes")))));
            t.and_where(col("tt", "locale").ne(Expr::col((a(base), a("source_locale")))))
                .and_where(Expr::exists(source));
            Expr::exists(t)
        }
    }
}

/// A filter value: written into the statement's text on PostgreSQL, bound on SQLite.
/// PostgreSQL plans each statement once per connection, for any values (`db.rs`,
/// `plan_cache_mode`): a bound term, programme or organisation id would be planned for without
/// knowing how many items it has, so there these values are part of the text (and of the plan).
/// SQLite plans without looking at bound values (`db.rs`, `sqlite_plan`), so a value in the
/// text would only be one more statement to prepare and keep per connection: a site browsed by
/// its programmes would cycle one text per programme through each connection's statement cache.
/// Cursors and dates are bound on both: the list's index serves them whatever their value.
pub(super) fn constant(v: impl Into<sea_orm::Value>, backend: DbBackend) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::Constant(v.into()),
        _ => Expr::val(v),
    }
}

/// A list of ids as a value list (see `constant`).
pub(super) fn id_list(ids: &[i32], backend: DbBackend) -> Expr {
    Expr::tuple(ids.iter().map(|i| constant(*i, backend)))
}

/// Locales as a list of values of a fixed width (4, 8, then multiples of 8), the last one
/// repeated: the text of a statement then does not change with the length of the request's
/// chain (`fr, en` or `en` alone), so every locale's requests share one prepared statement.
/// Empty stays empty.
pub(super) fn padded(locales: &[String]) -> impl Iterator<Item = &str> + Clone {
    let width = match locales.len() {
        0 => 0,
        1..=4 => 4,
        n => n.div_ceil(8) * 8,
    };
    let last = locales.last().map(String::as_str).unwrap_or_default();
    locales.iter().map(String::as_str).chain(std::iter::repeat(last)).take(width)
}

/// Ids of the terms of a taxonomy with the given codes.
pub(super) fn term_ids(taxonomy: Taxonomy, codes: &[String]) -> SelectStatement {
    Query::select()
        .column(a("id"))
        .from(a("terms"))
        .and_where(Expr::col(a("taxonomy")).eq(taxonomy))
        .and_where(Expr::col(a("code")).is_in(codes.iter().cloned()))
        .to_owned()
}

/// The taxonomy and the term ids (a value list, or a subquery by code) a term filter names.
pub(super) fn term_values(filter: &Filter, backend: DbBackend) -> Option<(Taxonomy, Expr)> {
    match filter {
        Filter::Terms(taxonomy, codes) => Some((*taxonomy, term_ids(*taxonomy, codes).into())),
        Filter::TermIds(taxonomy, ids) => Some((*taxonomy, id_list(ids, backend))),
        _ => None,
    }
}

/// `EXISTS` a row in a link table pointing from the base row to one of `values`.
pub(super) fn linked(base: &str, link: &str, from: &str, to: &str, values: Expr) -> Expr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(a(link))
            .and_where(col(link, from).equals((a(base), a("id"))))
            .and_where(col(link, to).binary(sea_orm::sea_query::BinOper::In, values))
            .to_owned(),
    )
}

fn filter_expr(spec: &ListSpec, filter: &Filter, backend: DbBackend) -> AppResult<Expr> {
    let ty = spec.ty;
    let base = ty.base_table();
    let unsupported = || AppError::bad_input(format!("this filter does not apply to {}", ty.base_table()));
    Ok(match filter {
        // A version in one of the languages, or a document in one.
        Filter::AvailableIn(locales) => translation_exists(ty, locales, spec.visibility)
            .or(super::documents::exists_in(ty, locales, spec.visibility)),
        Filter::DateFrom(v) => {
            col(base, ty.date_column().ok_or_else(unsupported)?).gte(sea_orm::Value::from(v.clone()))
        }
        Filter::DateTo(v) => col(base, ty.date_column().ok_or_else(unsupported)?).lte(sea_orm::Value::from(v.clone())),
        Filter::Translation(locale, state) => {
            if spec.visibility != Visibility::Preview {
                return Err(AppError::Forbidden("filtering on translation status needs preview".into()));
            }
            translation_state(ty, locale, *state)
        }
        other => (ty.descriptor().filter)(other, backend).ok_or_else(unsupported)?,
    })
}

/// The collation key of the title each item is served with: the first visible translation along
/// `chain`, then the source locale, then configured order (see `localize::item_order`). A
/// `COALESCE` of correlated lookups on the (item, locale) index, identical on SQLite and
/// PostgreSQL (SQLite cannot see outer columns in a subquery's `ORDER BY`, so the ranking cannot
/// be written as one ordered subquery). Lists read it from `title_order` when that keeps their
/// chain (`ListSpec::title_rows`); the kept titles are made with it.
pub(super) fn title_key(ty: ContentType, chain: &[String], configured: &[String], visibility: Visibility) -> Expr {
    let base = ty.base_table();
    let lookup = |locale: Expr| -> Expr {
        Query::select()
            .column((a("st"), a("sort_key")))
            .from_as(a(ty.translation_table()), a("st"))
            .and_where(col("st", "item_id").equals((a(base), a("id"))))
            .and_where(col("st", "locale").eq(locale))
            .and_where(visibility.condition("st"))
            .to_owned()
            .into()
    };
    let mut parts: Vec<Expr> = chain.iter().map(|l| lookup(Expr::val(l.as_str()))).collect();
    parts.push(lookup(col(base, "source_locale")));
    for locale in configured.iter().filter(|l| !chain.contains(l)) {
        parts.push(lookup(Expr::val(locale.as_str())));
    }
    Func::coalesce(parts).into()
}

fn sort_expr(spec: &ListSpec) -> AppResult<Expr> {
    let base = spec.ty.base_table();
    Ok(match spec.ordering.field {
        SortField::Date => {
            col(base, spec.ty.date_column().ok_or_else(|| AppError::bad_input("this list has no date to order by"))?)
        }
        SortField::Updated => col(base, "updated_at"),
        SortField::Title if spec.title_rows => col(title_table(spec.visibility), "sort_key"),
        SortField::Title => title_key(spec.ty, &spec.chain, &spec.configured, spec.visibility),
    })
}

/// The base query: visible items matching every filter.
fn filtered(spec: &ListSpec, backend: DbBackend) -> AppResult<SelectStatement> {
    let base = spec.ty.base_table();
    let mut q = Query::select();
    q.from(a(base)).and_where(translation_exists(spec.ty, &spec.configured, spec.visibility));
    for f in &spec.filters {
        q.and_where(filter_expr(spec, f, backend)?);
    }
    Ok(q)
}

fn read_sort_value(spec: &ListSpec, row: &QueryResult) -> AppResult<SortValue> {
    Ok(match spec.ordering.field {
        SortField::Date if matches!(spec.ty.descriptor().date, Some(super::DateColumn::Day(_))) => {
            SortValue::Date(row.try_get("", "sort_value")?)
        }
        SortField::Date => SortValue::Int(row.try_get("", "sort_value")?),
        SortField::Updated => SortValue::Time(row.try_get("", "sort_value")?),
        SortField::Title => SortValue::Text(row.try_get::<Option<String>>("", "sort_value")?.unwrap_or_default()),
    })
}

/// The statement of one page: the window's items and one more (which tells whether more
/// follow), with their base rows and sort values, joined to their versions. The cursor is a row comparison,
/// `(sort, id) < (value, id)`, which both databases read as a range of the (sort, id) index: a
/// deep page seeks where it starts instead of walking the list up to it.
fn page_statement(spec: &ListSpec, window: &Window, backend: DbBackend) -> AppResult<SelectStatement> {
    let base = spec.ty.base_table();
    let sort = sort_expr(spec)?;
    let seek_titles = spec.ordering.field == SortField::Title && spec.title_rows;
    let titles = title_table(spec.visibility);
    // By title, the kept titles' index orders the page: its `item_id` is the tie-breaker.
    let id = if seek_titles { col(titles, "item_id") } else { col(base, "id") };
    // Walking backwards reverses the order; the page is flipped back afterwards.
    let descending = spec.ordering.descending != window.backward;
    let mut q = filtered(spec, backend)?;
    if seek_titles {
        let head = spec.chain.first().map(String::as_str).unwrap_or_default();
        q.inner_join(
            a(titles),
            col(titles, "item_id")
                .equals((a(base), a("id")))
                .and(col(titles, "item_type").eq(constant(spec.ty.entity(), backend)))
                .and(col(titles, "locale").eq(constant(head, backend))),
        );
    }
    q.column((a(base), Asterisk)).expr_as(sort.clone(), a("sort_value"));
    for link in &spec.links {
        q.expr_as(link.expr(base), a(link.alias));
    }
    if let Some(c) = &window.cursor {
        let key = Expr::tuple([sort.clone(), id.clone()]);
        let at = Expr::tuple([Expr::val(sea_orm::Value::from(c.value.clone())), Expr::val(c.id)]);
        q.and_where(if descending { key.lt(at) } else { key.gt(at) });
    }
    let dir = if descending { Order::Desc } else { Order::Asc };
    q.order_by_expr(sort, dir.clone()).order_by_expr(id, dir).limit(window.size + 1);
    Ok(match &spec.versions {
        // The join keeps no order: `list` puts the page back in order.
        Some(v) => v.around(q, spec.ty, backend),
        None => q,
    })
}

/// The statement `list` runs for this page on `backend` (for reading its query plan).
pub fn list_statement(
    spec: &ListSpec,
    page: &PageRequest,
    default_size: u32,
    max_size: u32,
    backend: DbBackend,
) -> AppResult<SelectStatement> {
    page_statement(spec, &page.window(default_size, max_size, spec.ordering.field)?, backend)
}

/// Lists one page of item ids.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    spec: &ListSpec,
    page: &PageRequest,
    default_size: u32,
    max_size: u32,
) -> AppResult<Page> {
    let window = page.window(default_size, max_size, spec.ordering.field)?;
    let q = page_statement(spec, &window, db.get_database_backend())?;
    let rows = item_rows(db.query_all(&q).await?, spec.versions.is_some())?;
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.id;
        let value = read_sort_value(spec, &row.row)?;
        page.push((Cursor { field: spec.ordering.field, value, id }, row));
    }
    // In the statement's order (`sort, id`, descending when walking backwards); sort values
    // compare as the database compares them (dates, numbers, times, and collation keys byte by
    // byte).
    let descending = spec.ordering.descending != window.backward;
    page.sort_by(|(x, _), (y, _)| {
        let o = x.value.partial_cmp(&y.value).unwrap_or(std::cmp::Ordering::Equal).then(x.id.cmp(&y.id));
        if descending { o.reverse() } else { o }
    });
    let more = page.len() as u64 > window.size;
    page.truncate(window.size as usize);
    if window.backward {
        page.reverse();
    }
    let (items, rows): (Vec<_>, Vec<_>) = page.into_iter().map(|(c, row)| ((c.id, c), row)).unzip();
    let had_cursor = window.cursor.is_some();
    if window.backward {
        Ok(Page { items, rows, has_next: had_cursor, has_previous: more })
    } else {
        Ok(Page { items, rows, has_next: more, has_previous: had_cursor })
    }
}

/// Every item id of a list (no paging, no order): a selection for bulk work (translation
/// export by the list's filters).
pub async fn ids<C: ConnectionTrait>(db: &C, spec: &ListSpec) -> AppResult<Vec<i32>> {
    let mut q = filtered(spec, db.get_database_backend())?;
    q.column((a(spec.ty.base_table()), a("id")));
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        out.push(row.try_get("", "id")?);
    }
    Ok(out)
}

/// Counts every item of a list.
pub async fn count<C: ConnectionTrait>(db: &C, spec: &ListSpec) -> AppResult<u64> {
    let mut q = filtered(spec, db.get_database_backend())?;
    q.expr_as(Expr::cust("COUNT(*)"), a("n"));
    let row = db.query_one(&q).await?.ok_or_else(|| AppError::internal("count returned no row"))?;
    let n: i64 = row.try_get("", "n")?;
    Ok(n as u64)
}

/// Which items a lookup reads (`rows`).
pub enum Lookup<'a> {
    Ids(&'a [i32]),
    /// The item whose visible version in one of `chain`'s locales has this slug, the first
    /// locale of the chain that has it winning.
    Slug {
        slug: &'a str,
        chain: &'a [String],
        visibility: Visibility,
    },
}

/// The base rows of items with the columns of `links` and their `versions`, as a page's rows:
/// what a single item's lookup, by id or by slug, reads in one statement.
pub async fn rows<C: ConnectionTrait>(
    db: &C,
    ty: ContentType,
    lookup: Lookup<'_>,
    links: &[Link],
    versions: Option<&Versions>,
) -> AppResult<Vec<ItemRow>> {
    let base = ty.base_table();
    let mut q = Query::select();
    q.column((a(base), Asterisk)).from(a(base));
    match lookup {
        Lookup::Ids(ids) => q.and_where(col(base, "id").is_in(ids.iter().copied())),
        Lookup::Slug { slug, chain, visibility } => {
            // The chain's first locale ranks first: `CASE locale WHEN 'fr' THEN 0 WHEN 'en' THEN 1 END`.
            // Padded as the list of locales is: a repeated locale ranks as its first.
            let mut rank = sea_orm::sea_query::CaseStatement::new();
            for (i, locale) in padded(chain).enumerate() {
                rank = rank.case(col("s", "locale").eq(locale), Expr::val(i as i32));
            }
            let found = Query::select()
                .column((a("s"), a("item_id")))
                .from_as(a(ty.translation_table()), a("s"))
                .and_where(col("s", "slug").eq(slug))
                .and_where(col("s", "locale").is_in(padded(chain)))
                .and_where(visibility.condition("s"))
                .order_by_expr(rank.into(), Order::Asc)
                .limit(1)
                .to_owned();
            q.and_where(col(base, "id").eq(Expr::from(found)))
        }
    };
    for link in links {
        q.expr_as(link.expr(base), a(link.alias));
    }
    let q = match versions {
        Some(v) => v.around(q, ty, db.get_database_backend()),
        None => q,
    };
    item_rows(db.query_all(&q).await?, versions.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_read_only_the_selected_text_fields() {
        let spec = |fields| ListSpec {
            ty: ContentType::Resource,
            filters: Vec::new(),
            ordering: Ordering { field: SortField::Date, descending: true },
            chain: vec!["fr".into(), "en".into()],
            configured: vec!["en".into(), "fr".into()],
            visibility: Visibility::Public,
            links: Vec::new(),
            versions: Some(Versions {
                locales: vec!["fr".into(), "en".into()],
                visibility: Visibility::Public,
                fields,
            }),
            title_rows: false,
        };
        let sql = |fields| {
            let q = list_statement(&spec(fields), &PageRequest::default(), 20, 100, DbBackend::Postgres).unwrap();
            DbBackend::Postgres.build(&q).sql
        };
        let (summary, slug, title) = (r#""v"."summary""#, r#""v"."slug""#, r#""v"."title""#);
        let all = sql(TextFields::ALL);
        assert!(all.contains(summary) && all.contains(slug), "{all}");
        let title_only = sql(TextFields { summary: false, slug: false });
        assert!(!title_only.contains(summary) && !title_only.contains(slug), "{title_only}");
        assert!(title_only.contains(title), "{title_only}");
        let slug_only = sql(TextFields { summary: false, slug: true });
        assert!(!slug_only.contains(summary) && slug_only.contains(slug), "{slug_only}");
    }

    #[test]
    fn statements_do_not_change_with_the_chain_or_on_sqlite_the_filter_values() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(padded(&strings(&["fr", "en"])).collect::<Vec<_>>(), ["fr", "en", "en", "en"]);
        assert_eq!(padded(&strings(&["a", "b", "c", "d", "e"])).count(), 8);
        assert_eq!(padded(&[]).count(), 0);
        let configured = strings(&["en", "fr", "es", "ru", "zh"]);
        let spec = |chain: &[&str], programme: i32| ListSpec {
            ty: ContentType::Resource,
            filters: vec![Filter::Programme(programme), Filter::Kinds(vec!["report".into()])],
            ordering: Ordering { field: SortField::Date, descending: true },
            chain: strings(chain),
            configured: configured.clone(),
            visibility: Visibility::Public,
            links: Vec::new(),
            versions: Some(Versions {
                locales: strings(chain),
                visibility: Visibility::Public,
                fields: TextFields::ALL,
            }),
            title_rows: false,
        };
        let sql = |spec: &ListSpec, backend: DbBackend| {
            let q = list_statement(spec, &PageRequest::default(), 20, 100, backend).unwrap();
            backend.build(&q)
        };
        for backend in [DbBackend::Sqlite, DbBackend::Postgres] {
            // One locale or two: one text.
            assert_eq!(sql(&spec(&["en"], 7), backend).sql, sql(&spec(&["fr", "en"], 7), backend).sql);
        }
        // PostgreSQL plans for the programme and the kind: they are in the text. SQLite binds them.
        let (pg7, pg8) = (sql(&spec(&["en"], 7), DbBackend::Postgres), sql(&spec(&["en"], 8), DbBackend::Postgres));
        assert_ne!(pg7.sql, pg8.sql);
        assert!(pg7.sql.contains("'report'"), "{}", pg7.sql);
        let (lite7, lite8) = (sql(&spec(&["en"], 7), DbBackend::Sqlite), sql(&spec(&["en"], 8), DbBackend::Sqlite));
        assert_eq!(lite7.sql, lite8.sql);
        assert!(!lite7.sql.contains("report"), "{}", lite7.sql);
        assert_ne!(lite7.values, lite8.values);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { field: SortField::Title, value: SortValue::Text("élan".into()), id: 7 };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in ["", "!!!", "e30", &"A".repeat(2000)] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn page_requests_are_validated() {
        let w = |p: PageRequest| p.window(20, 100, SortField::Date);
        assert_eq!(w(PageRequest::default()).unwrap().size, 20);
        assert!(w(PageRequest { first: Some(101), ..Default::default() }).is_err());
        assert!(w(PageRequest { first: Some(-1), ..Default::default() }).is_err());
        assert!(w(PageRequest { first: Some(1), last: Some(1), ..Default::default() }).is_err());
        let other = Cursor { field: SortField::Title, value: SortValue::Int(1), id: 1 }.encode();
        assert!(w(PageRequest { after: Some(other), ..Default::default() }).is_err());
        assert!(w(PageRequest { last: Some(5), ..Default::default() }).unwrap().backward);
    }
}
