//! Funded programmes.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, ScalarType, Value};
use chorus_entities as e;
use chrono::{DateTime, Utc};

use super::connection::{self, Connection, FilterBuilder, Listed};
use super::edit::{self, Editable};
use super::ids::{self, NodeType};
use super::loaders::ProgrammeFunders;
use super::localized::LocalizedFields;
use super::organizations::Organization;
use super::page_complexity;
use super::plain::{Plain, PlainFields};
use super::resources::Resource;
use crate::content::Reader;
use crate::content::items::NewItem;
use crate::content::query::{Filter, SortField};
use crate::content::{ContentType, programmes};
use crate::error::AppError;
use async_graphql::Lookahead;

item_type!(Programme, programmes, Programme, prefetch);

/// Loads, one batch per relation, the funders of programmes that `selection` asks for.
async fn prefetch<'a>(
    ctx: &'a Context<'a>,
    models: Vec<Arc<e::programmes::Model>>,
    selection: &'a Lookahead<'a>,
    request: &'a Arc<Reader>,
) -> async_graphql::Result<()> {
    connection::prefetch::<Organization>(ctx, selection, "funders", request, async {
        connection::linked(ctx, models.iter().map(|m| ProgrammeFunders(m.id))).await
    })
    .await
}

impl PlainFields for Programme {
    fn plain_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "id" => Value::String(ids::encode(NodeType::Programme, self.model.id).0),
            "startYear" => self.model.start_year.to_value(),
            "endYear" => self.model.end_year.map_or(Value::Null, |y| y.to_value()),
            "sourceLocale" => Value::String(self.model.source_locale.clone()),
            "updatedAt" => self.model.updated_at.to_value(),
            _ => return self.fields.plain_field(name),
        })
    }
}

/// A funded programme; `body` describes its objectives.
#[Object]
impl Programme {
    pub async fn id(&self) -> ID {
        ids::encode(NodeType::Programme, self.model.id)
    }

    #[graphql(flatten)]
    async fn localized(&self) -> &LocalizedFields {
        &self.fields
    }

    async fn start_year(&self) -> i32 {
        self.model.start_year
    }

    /// Null while the programme runs.
    async fn end_year(&self) -> Option<i32> {
        self.model.end_year
    }

    async fn source_locale(&self) -> &str {
        &self.model.source_locale
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    async fn funders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Organization>>> {
        let ids = connection::links(ctx, ProgrammeFunders(self.model.id)).await?;
        let items = connection::build_items::<Organization>(ctx, &ids, &ctx.look_ahead(), &self.request).await?;
        Ok(items.into_iter().map(|(_, o)| Plain(o)).collect())
    }

    /// The programme's published resources, newest first. One list statement per programme:
    /// ask for it on a single programme rather than across a long list.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn resources(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Resource>> {
        let ordering = connection::ordering(SortField::Date, None);
        let filters = vec![Filter::Programme(self.model.id)];
        let spec = connection::list_spec(ctx, ContentType::Resource, filters, ordering, &self.request);
        connection::connection(ctx, spec, connection::page(first, after, last, before), self.request.clone()).await
    }
}

#[derive(InputObject, Default)]
pub struct ProgrammeFilter {
    /// Funder organisation ids.
    funders: Option<Vec<ID>>,
    /// Programmes running in this year.
    active_in: Option<i32>,
    available_in: Option<Vec<String>>,
    /// The state of the working copy in a locale (with `preview: true` only).
    translation: Option<super::connection::TranslationFilter>,
}

order_input!(ProgrammeOrder, ProgrammeOrderField { StartYear => Date, Title => Title, UpdatedAt => Updated });

impl Listed for Programme {
    type Filter = ProgrammeFilter;
    type Order = ProgrammeOrder;

    fn filters(ctx: &Context<'_>, filter: ProgrammeFilter) -> Result<Vec<Filter>, AppError> {
        let mut b = FilterBuilder::new(ctx);
        b.available_in(filter.available_in)?;
        if let Some(list) = filter.funders {
            let ids = list.iter().map(|id| ids::decode_as(id, NodeType::Organization)).collect::<Result<_, _>>()?;
            b.push(Some(Filter::Funders(ids)));
        }
        b.push(filter.active_in.map(Filter::ActiveIn));
        b.translation(filter.translation)?;
        Ok(b.filters)
    }
}

item_queries!(
    ProgrammeQuery,
    Programme,
    /// Published programmes, newest first by default.
    fn programmes,
    /// One published programme, by `id` or by `slug`.
    fn programme
);

/// A new programme. Ids, statuses, timestamps and authors are never input.
#[derive(InputObject)]
pub struct CreateProgrammeInput {
    start_year: i32,
    end_year: Option<i32>,
    /// Funder organisation ids.
    funders: Option<Vec<ID>>,
    source_locale: String,
    /// The source-locale text (`body` describes the objectives); `title` is required.
    text: super::translate::TranslationInput,
}

/// Changes to a programme's facts; absent fields keep their value, lists replace.
#[derive(InputObject)]
pub struct UpdateProgrammeInput {
    start_year: Option<i32>,
    /// Null while the programme runs.
    end_year: async_graphql::MaybeUndefined<i32>,
    funders: Option<Vec<ID>>,
}

item_mutations!(
    ProgrammeMutation,
    Programme,
    /// Creates a programme with a draft in its source locale; returns its id.
    fn create_programme(CreateProgrammeInput),
    /// Changes a programme's years and funders.
    fn update_programme(UpdateProgrammeInput)
);

impl Editable for Programme {
    type Kind = programmes::Programmes;
    type CreateInput = CreateProgrammeInput;
    type UpdateInput = UpdateProgrammeInput;

    fn new_item(input: CreateProgrammeInput) -> Result<NewItem<programmes::NewProgramme>, AppError> {
        let facts = programmes::NewProgramme {
            start_year: input.start_year,
            end_year: input.end_year,
            funders: edit::organization_ids(input.funders.unwrap_or_default(), "input.funders")?,
        };
        Ok(NewItem { facts, source_locale: input.source_locale, text: input.text.into() })
    }

    fn changes(input: UpdateProgrammeInput) -> Result<programmes::ProgrammeUpdate, AppError> {
        Ok(programmes::ProgrammeUpdate {
            start_year: input.start_year,
            end_year: connection::maybe(input.end_year),
            funders: input.funders.map(|list| edit::organization_ids(list, "input.funders")).transpose()?,
        })
    }
}
