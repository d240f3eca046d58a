//! Programmes: the consortium's funded programmes. Their facts (start and end years), their
//! funders and the rules for them.

use chorus_entities as e;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::items::{Kind, check_year, no_such_item, once, organization_exists};
use super::query::{Filter, col, id_list, linked};
use std::collections::HashMap;

use futures_util::future::BoxFuture;
use sea_orm::{DatabaseConnection, DbBackend};

use super::{ContentType, DateColumn, Descriptor, SearchFacts, load};
use crate::error::{AppError, AppResult};
use sea_orm::sea_query::{Expr, ExprTrait};

pub const DESCRIPTOR: Descriptor =
    Descriptor::new("programme", "programmes", "programme_translations", filter, search_facts)
        .dated(DateColumn::Year("start_year"));

/// The filters only programmes have.
fn filter(f: &Filter, backend: DbBackend) -> Option<Expr> {
    let base = DESCRIPTOR.base_table;
    Some(match f {
        Filter::Funders(orgs) => {
            linked(base, "programme_funders", "programme_id", "organization_id", id_list(orgs, backend))
        }
        Filter::ActiveIn(year) => {
            col(base, "start_year").lte(*year).and(col(base, "end_year").is_null().or(col(base, "end_year").gte(*year)))
        }
        _ => return None,
    })
}

/// What search indexes of programmes: funders and start year.
fn search_facts<'a>(db: &'a DatabaseConnection, ids: &'a [i32]) -> BoxFuture<'a, AppResult<HashMap<i32, SearchFacts>>> {
    Box::pin(async move {
        let (base, funders) = futures_util::try_join!(load::programmes(db, ids), load::programme_funders(db, ids))?;
        Ok(base
            .into_iter()
            .map(|(id, p)| {
                let organizations = funders.get(&id).map(|f| f.iter().map(|&o| i64::from(o)).collect());
                (
                    id,
                    SearchFacts {
                        organizations: organizations.unwrap_or_default(),
                        ..SearchFacts::of_year(p.start_year)
                    },
                )
            })
            .collect())
    })
}

/// The programme content type.
pub struct Programmes;

/// A new programme's facts.
#[derive(Debug, Clone)]
pub struct NewProgramme {
    pub start_year: i32,
    pub end_year: Option<i32>,
    pub funders: Vec<i32>,
}

/// Changes to a programme's facts; absent fields keep their value, lists replace.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeUpdate {
    pub start_year: Option<i32>,
    pub end_year: Option<Option<i32>>,
    pub funders: Option<Vec<i32>>,
}

fn check_span(start: i32, end: Option<i32>) -> AppResult<()> {
    if end.is_some_and(|end| end < start) {
        return Err(AppError::bad_input("input.endYear: not before startYear"));
    }
    Ok(())
}

impl Kind for Programmes {
    const TYPE: ContentType = ContentType::Programme;
    type New = NewProgramme;
    type Update = ProgrammeUpdate;

    fn check_new(input: &NewProgramme) -> AppResult<()> {
        check_year("input.startYear", input.start_year)?;
        if let Some(end) = input.end_year {
            check_year("input.endYear", end)?;
        }
        check_span(input.start_year, input.end_year)
    }

    fn check_update(_id: i32, input: &ProgrammeUpdate) -> AppResult<()> {
        if let Some(start) = input.start_year {
            check_year("input.startYear", start)?;
        }
        if let Some(Some(end)) = input.end_year {
            check_year("input.endYear", end)?;
        }
        Ok(())
    }

    async fn insert(txn: &DatabaseTransaction, input: NewProgramme, source_locale: &str) -> AppResult<i32> {
        check_funders(txn, &input.funders).await?;
        let now = Utc::now();
        let m = e::programmes::ActiveModel {
            start_year: Set(input.start_year),
            end_year: Set(input.end_year),
            source_locale: Set(source_locale.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        link_funders(txn, m.id, input.funders).await?;
        Ok(m.id)
    }

    async fn apply(txn: &DatabaseTransaction, id: i32, input: ProgrammeUpdate) -> AppResult<()> {
        let m = e::programmes::Entity::find_by_id(id).one(txn).await?.ok_or_else(no_such_item)?;
        let start = input.start_year.unwrap_or(m.start_year);
        let end = input.end_year.unwrap_or(m.end_year);
        check_span(start, end)?;
        let mut active: e::programmes::ActiveModel = m.into();
        active.start_year = Set(start);
        active.end_year = Set(end);
        active.updated_at = Set(Utc::now());
        active.update(txn).await?;
        if let Some(funders) = input.funders {
            check_funders(txn, &funders).await?;
            e::programme_funders::Entity::delete_many()
                .filter(e::programme_funders::Column::ProgrammeId.eq(id))
                .exec(txn)
                .await?;
            link_funders(txn, id, funders).await?;
        }
        Ok(())
    }
}

async fn check_funders(txn: &DatabaseTransaction, funders: &[i32]) -> AppResult<()> {
    for (i, f) in funders.iter().enumerate() {
        organization_exists(txn, *f, &format!("input.funders[{i}]")).await?;
    }
    Ok(())
}

async fn link_funders(txn: &DatabaseTransaction, id: i32, funders: Vec<i32>) -> AppResult<()> {
    for f in once(funders) {
        e::programme_funders::ActiveModel { programme_id: Set(id), organization_id: Set(f) }.insert(txn).await?;
    }
    Ok(())
}
