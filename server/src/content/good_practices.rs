//! Good-practice examples: what member organisations did, where and when. Their facts (year,
//! country, region, organisation), their topics and the rules for them.

use chorus_entities::{self as e, Taxonomy};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::items::{Kind, check_year, no_such_item, one_term, organization_ref, term_ids};
use super::query::{Filter, col, id_list, linked, term_values};
use std::collections::HashMap;

use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbBackend};

use super::{ContentType, DateColumn, Descriptor, SearchFacts, load};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, ExprTrait};

pub const DESCRIPTOR: Descriptor =
    Descriptor::new("good_practice", "good_practices", "good_practice_translations", filter, search_facts)
        .dated(DateColumn::Year("year"));

/// The filters only good practices have.
fn filter(f: &Filter, backend: DbBackend) -> Option<Expr> {
    let base = DESCRIPTOR.base_table;
    let in_terms = |column: &str, values: Expr| col(base, column).binary(sea_orm::sea_query::BinOper::In, values);
    Some(match f {
        Filter::Terms(..) | Filter::TermIds(..) => match term_values(f, backend)? {
            (Taxonomy::Topic, values) => linked(base, "good_practice_topics", "good_practice_id", "term_id", values),
            (Taxonomy::Country, values) => in_terms("country_id", values),
            (Taxonomy::Region, values) => in_terms("region_id", values),
        },
        Filter::Organizations(orgs) => {
            col(base, "organization_id").binary(sea_orm::sea_query::BinOper::In, id_list(orgs, backend))
        }
        _ => return None,
    })
}

/// What search indexes of good practices: terms (topics, region, country), organisation, year.
fn search_facts<'a>(db: &'a DatabaseConnection, ids: &'a [i32]) -> BoxFuture<'a, AppResult<HashMap<i32, SearchFacts>>> {
    Box::pin(async move {
        let (base, topics) =
            futures_util::try_join!(load::good_practices(db, ids), load::good_practice_topics(db, ids))?;
        Ok(base
            .into_iter()
            .map(|(id, g)| {
                let mut terms = topics.get(&id).cloned().unwrap_or_default();
                terms.extend(g.region_id);
                terms.extend(g.country_id);
                let organizations = g.organization_id.map(i64::from).into_iter().collect();
                (id, SearchFacts { terms, organizations, ..SearchFacts::of_year(g.year) })
            })
            .collect())
    })
}

/// The good-practice content type.
pub struct GoodPractices;

/// A new good-practice example's facts.
#[derive(Debug, Clone)]
pub struct NewGoodPractice {
    pub year: i32,
    pub country: Option<String>,
    pub region: Option<String>,
    pub organization: Option<i32>,
    pub topics: Vec<String>,
}

/// Changes to a good-practice example's facts; absent fields keep their value, `Some(None)`
/// clears an optional one, lists replace.
#[derive(Debug, Clone, Default)]
pub struct GoodPracticeUpdate {
    pub year: Option<i32>,
    pub country: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub organization: Option<Option<i32>>,
    pub topics: Option<Vec<String>>,
}

impl Kind for GoodPractices {
    const TYPE: ContentType = ContentType::GoodPractice;
    type New = NewGoodPractice;
    type Update = GoodPracticeUpdate;

    fn check_new(input: &NewGoodPractice) -> AppResult<()> {
        check_year("input.year", input.year)
    }

    fn check_update(_id: i32, input: &GoodPracticeUpdate) -> AppResult<()> {
        input.year.map_or(Ok(()), |year| check_year("input.year", year))
    }

    async fn insert(txn: &DatabaseTransaction, input: NewGoodPractice, source_locale: &str) -> AppResult<i32> {
        let country_id = one_term(txn, Taxonomy::Country, input.country.as_ref(), "input.country").await?;
        let region_id = one_term(txn, Taxonomy::Region, input.region.as_ref(), "input.region").await?;
        let topics = term_ids(txn, Taxonomy::Topic, &input.topics, "topics").await?;
        let organization = organization_ref(txn, input.organization, "input.organization").await?;
        let now = Utc::now();
        let m = e::good_practices::ActiveModel {
            year: Set(input.year),
            country_id: Set(country_id),
            region_id: Set(region_id),
            organization_id: Set(organization),
            source_locale: Set(source_locale.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        link_topics(txn, m.id, topics).await?;
        Ok(m.id)
    }

    async fn apply(txn: &DatabaseTransaction, id: i32, input: GoodPracticeUpdate) -> AppResult<()> {
        let m = e::good_practices::Entity::find_by_id(id).one(txn).await?.ok_or_else(no_such_item)?;
        let mut active: e::good_practices::ActiveModel = m.into();
        if let Some(year) = input.year {
            active.year = Set(year);
        }
        if let Some(country) = input.country {
            active.country_id = Set(one_term(txn, Taxonomy::Country, country.as_ref(), "input.country").await?);
        }
        if let Some(region) = input.region {
            active.region_id = Set(one_term(txn, Taxonomy::Region, region.as_ref(), "input.region").await?);
        }
        if let Some(org) = input.organization {
            active.organization_id = Set(organization_ref(txn, org, "input.organization").await?);
        }
        active.updated_at = Set(Utc::now());
        active.update(txn).await?;
        if let Some(topics) = input.topics {
            let ids = term_ids(txn, Taxonomy::Topic, &topics, "topics").await?;
            e::good_practice_topics::Entity::delete_many()
                .filter(e::good_practice_topics::Column::GoodPracticeId.eq(id))
                .exec(txn)
                .await?;
            link_topics(txn, id, ids).await?;
        }
        Ok(())
    }
}

async fn link_topics(txn: &DatabaseTransaction, id: i32, topics: Vec<i32>) -> AppResult<()> {
    for term_id in topics {
        e::good_practice_topics::ActiveModel { good_practice_id: Set(id), term_id: Set(term_id) }.insert(txn).await?;
    }
    Ok(())
}
