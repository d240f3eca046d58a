//! Index documents from the database: one per visible (item, locale), with the item's facets.

use chorus_entities::Taxonomy;
use chorus_search_index::IndexDoc;
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult};

use crate::content::{ContentType, Visibility, load};
use crate::error::AppResult;

/// The index's key of an item: its type in the high bits, its id in the low ones.
pub fn item_key(ty: ContentType, id: i32) -> u64 {
    let t = ContentType::ALL.iter().position(|t| *t == ty).unwrap_or(0) as u64 + 1;
    (t << 32) | u64::from(id.unsigned_abs())
}

#[derive(FromQueryResult)]
struct IdRow {
    id: i32,
}

/// Item ids of a type after `after`, in order, at most `limit`.
pub async fn ids_after<C: ConnectionTrait>(db: &C, ty: ContentType, after: i32, limit: u64) -> AppResult<Vec<i32>> {
    let q = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(ty.base_table()))
        .and_where(Expr::col(Alias::new("id")).gt(after))
        .order_by(Alias::new("id"), Order::Asc)
        .limit(limit)
        .to_owned();
    let rows = IdRow::find_by_statement(db.get_database_backend().build(&q)).all(db).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// How many items of a type exist (for progress).
pub async fn count<C: ConnectionTrait>(db: &C, ty: ContentType) -> AppResult<u64> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    let q = Query::select()
        .expr_as(Expr::col(Alias::new("id")).count(), Alias::new("n"))
        .from(Alias::new(ty.base_table()))
        .to_owned();
    let n = N::find_by_statement(db.get_database_backend().build(&q)).one(db).await?;
    Ok(n.map_or(0, |n| u64::try_from(n.n).unwrap_or(0)))
}

fn days(date: NaiveDate) -> i64 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date")).num_days()
}

/// The documents of items of one type (ids that no longer exist or have no visible version
/// get an empty list: their documents are to be removed).
pub async fn documents(
    db: &DatabaseConnection,
    ty: ContentType,
    ids: &[i32],
    locales: &[String],
    visibility: Visibility,
) -> AppResult<Vec<(i32, Vec<IndexDoc>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let facts = (ty.descriptor().search_facts)(db, ids).await?;
    let term_ids: Vec<i32> = facts.values().flat_map(|f| f.terms.iter().copied()).collect();
    let (translations, bodies, terms, texts) = futures_util::try_join!(
        load::translations(db, ty, ids, locales, visibility),
        load::bodies(db, ty, ids, locales, visibility),
        load::terms(db, &term_ids),
        crate::content::documents::texts_for_items(db, ty, ids, visibility)
    )?;
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let (Some(f), Some(versions)) = (facts.get(&id), translations.get(&id)) else {
            out.push((id, Vec::new()));
            continue;
        };
        // Configured order, so that "available in" reads the same everywhere.
        let mut versions: Vec<&crate::content::Translation> = versions.iter().collect();
        versions.sort_by_key(|t| locales.iter().position(|l| *l == t.locale).unwrap_or(usize::MAX));
        // The documents' text by language; a language with documents and no version is shown
        // with the source version's title and summary.
        let texts = texts.get(&id).map(Vec::as_slice).unwrap_or_default();
        let document_text = |locale: &str| -> String {
            let parts: Vec<&str> = texts.iter().filter(|d| d.locale == locale).map(|d| d.text.as_str()).collect();
            parts.join("\n")
        };
        let mut shown: Vec<(&crate::content::Translation, String)> =
            versions.iter().map(|t| (*t, t.locale.clone())).collect();
        for d in texts {
            if shown.iter().any(|(_, l)| *l == d.locale) || !locales.contains(&d.locale) {
                continue;
            }
            let base = versions.iter().find(|t| t.locale == d.source_locale).or(versions.first());
            if let Some(base) = base {
                shown.push((*base, d.locale.clone()));
            }
        }
        shown.sort_by_key(|(_, l)| locales.iter().position(|x| x == l).unwrap_or(usize::MAX));
        let available: Vec<String> = shown.iter().map(|(_, l)| l.clone()).collect();
        let mut regions = Vec::new();
        let mut countries = Vec::new();
        let mut topics = Vec::new();
        for t in f.terms.iter().filter_map(|t| terms.get(t)) {
            match t.taxonomy {
                Taxonomy::Region => regions.push(t.code.clone()),
                Taxonomy::Country => countries.push(t.code.clone()),
                Taxonomy::Topic => topics.push(t.code.clone()),
            }
        }
        let docs = shown
            .iter()
            .map(|(t, locale)| {
                let own = t.locale == *locale;
                let body = bodies
                    .get(&id)
                    .and_then(|b| b.iter().find(|b| own && b.locale == t.locale))
                    .map(|b| html_to_text(&b.body))
                    .unwrap_or_default();
                IndexDoc {
                    item_key: item_key(ty, id),
                    item_type: ty.entity().to_owned(),
                    item_id: i64::from(id),
                    locale: locale.clone(),
                    kind: f.kind.clone(),
                    regions: regions.clone(),
                    countries: countries.clone(),
                    topics: topics.clone(),
                    organizations: f.organizations.clone(),
                    programme: f.programme,
                    year: f.year,
                    date: f.date.map(days),
                    title: t.title.clone(),
                    summary: t.summary.clone(),
                    body,
                    document: document_text(locale),
                    available_locales: available.clone(),
                }
            })
            .collect();
        out.push((id, docs));
    }
    Ok(out)
}

/// The text of sanitised HTML: tags become spaces, character references are decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    out.push(' ');
                    rest = &rest[end + 1..];
                }
                None => {
                    rest = "";
                }
            }
            continue;
        }
        let end = rest.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse::<u32>().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        assert_eq!(html_to_text("<p>Sex&nbsp;work &amp; <b>rights</b></p>"), " Sex work &  rights  ");
        assert_eq!(html_to_text("a &#233;t&#xE9; &bogus; <unclosed"), "a été &bogus; ");
        assert_eq!(html_to_text("R&D — доклад & 性工作者"), "R&D — доклад & 性工作者");
        assert_eq!(html_to_text("&#99999999; &"), "&#99999999; &");
    }

    #[test]
    fn keys_are_unique_across_types() {
        assert_ne!(item_key(ContentType::Resource, 1), item_key(ContentType::Programme, 1));
        assert_eq!(ContentType::from_entity("good_practice"), Some(ContentType::GoodPractice));
        assert_eq!(ContentType::from_entity("term"), None);
    }
}
