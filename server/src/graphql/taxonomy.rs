//! Regions, countries and topics: taxonomies with localised labels.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, Value};
use chorus_entities::Taxonomy;

use super::auth::principal;
use super::error::IntoGql;
use super::ids::{self, NodeType};
use super::loaders::{TermChildren, TermKey};
use super::node::Node;
use super::plain::{Plain, PlainFields};
use super::{loader, request_locale, state};
use crate::content::Reader;
use crate::content::terms::{self as term_service, TermInput};
use crate::content::{Term, load};
use crate::error::AppError;

/// The fields every term shares.
pub struct TermFields {
    term: Arc<Term>,
    request: Arc<Reader>,
    is_fallback: bool,
}

impl TermFields {
    /// Where the label is looked for: the request's chain, then every other configured locale.
    fn order(&self) -> &[String] {
        &self.request.every
    }
}

#[Object]
impl TermFields {
    /// Stable machine code: ISO 3166-1 alpha-2 for countries, a slug for regions and topics.
    async fn code(&self) -> &str {
        &self.term.code
    }

    /// The label in the best available locale (the code when no label exists).
    async fn label(&self) -> &str {
        self.term.label(self.order()).0
    }

    /// The locale of `label`.
    async fn label_locale(&self) -> Option<&str> {
        self.term.label(self.order()).1
    }

    /// The locale the label was served in (as `labelLocale`), like every localised object.
    async fn locale(&self) -> Option<&str> {
        self.term.label(self.order()).1
    }

    /// The canonical form of the locale the client asked for.
    async fn requested_locale(&self) -> &str {
        &self.request.requested
    }

    /// True when the label is not in the requested locale (nor a less specific form of it).
    async fn is_fallback(&self) -> bool {
        self.is_fallback
    }

    /// Locales this term has a label in, in configured order.
    async fn available_locales(&self) -> Vec<&str> {
        self.order().iter().filter(|l| self.term.labels.iter().any(|(ll, _, _)| ll == *l)).map(String::as_str).collect()
    }
}

macro_rules! term_type {
    ($name:ident, $node:expr) => {
        pub struct $name {
            pub term: Arc<Term>,
            pub request: Arc<Reader>,
        }

        impl $name {
            fn fields(&self, ctx: &Context<'_>) -> TermFields {
                let is_fallback = match self.term.label(&self.request.every).1 {
                    Some(served) => state(ctx).locales.is_fallback(&self.request, served),
                    None => true,
                };
                TermFields { term: self.term.clone(), request: self.request.clone(), is_fallback }
            }

            pub fn global_id(&self) -> ID {
                ids::encode($node, self.term.id)
            }
        }

        impl TermType for $name {
            fn of(term: Arc<Term>, request: Arc<Reader>) -> Self {
                $name { term, request }
            }
        }

        impl PlainFields for $name {
            fn plain_field(&self, name: &str) -> Option<Value> {
                Some(match name {
                    "id" => Value::String(self.global_id().0),
                    "code" => Value::String(self.term.code.clone()),
                    "label" => Value::String(self.term.label(&self.request.every).0.to_owned()),
                    "labelLocale" | "locale" => {
                        self.term.label(&self.request.every).1.map_or(Value::Null, |l| Value::String(l.to_owned()))
                    }
                    "requestedLocale" => Value::String(self.request.requested.clone()),
                    _ => return None,
                })
            }
        }
    };
}

/// A GraphQL type of term (region, country, topic), built from a term and the request.
pub trait TermType: Sized {
    fn of(term: Arc<Term>, request: Arc<Reader>) -> Self;
}

impl<T: TermType> TermType for Plain<T> {
    fn of(term: Arc<Term>, request: Arc<Reader>) -> Self {
        Plain(T::of(term, request))
    }
}

/// Wraps terms, in order, as GraphQL terms of one type.
pub fn wrap<T: TermType>(terms: impl IntoIterator<Item = Arc<Term>>, request: &Arc<Reader>) -> Vec<T> {
    terms.into_iter().map(|term| T::of(term, request.clone())).collect()
}

/// The term with this id, if any (batched).
pub async fn term<T: TermType>(
    ctx: &Context<'_>,
    id: Option<i32>,
    request: &Arc<Reader>,
) -> async_graphql::Result<Option<T>> {
    let Some(id) = id else { return Ok(None) };
    Ok(wrap(terms(ctx, &[id]).await?, request).pop())
}

/// The terms with these ids (batched), in order.
pub async fn term_list<T: TermType>(
    ctx: &Context<'_>,
    ids: &[i32],
    request: &Arc<Reader>,
) -> async_graphql::Result<Vec<T>> {
    Ok(wrap(terms(ctx, ids).await?, request))
}
term_type!(Region, NodeType::Region);
term_type!(Country, NodeType::Country);
term_type!(Topic, NodeType::Topic);

/// A world region.
#[Object]
impl Region {
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    #[graphql(flatten)]
    async fn term(&self, ctx: &Context<'_>) -> TermFields {
        self.fields(ctx)
    }

    /// The countries of this region, ordered by label.
    async fn countries(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Plain<Country>>> {
        let ids = super::connection::links(ctx, TermChildren(self.term.id)).await?;
        let terms = terms(ctx, &ids).await?;
        Ok(wrap(sorted(&self.request, terms), &self.request))
    }
}

/// A country (ISO 3166-1).
#[Object]
impl Country {
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    #[graphql(flatten)]
    async fn term(&self, ctx: &Context<'_>) -> TermFields {
        self.fields(ctx)
    }

    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Plain<Region>>> {
        term(ctx, self.term.parent_id, &self.request).await
    }
}

/// A subject a resource or example is about.
#[Object]
impl Topic {
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    #[graphql(flatten)]
    async fn term(&self, ctx: &Context<'_>) -> TermFields {
        self.fields(ctx)
    }
}

/// Loads terms by id (batched), in the order given.
pub async fn terms(ctx: &Context<'_>, ids: &[i32]) -> async_graphql::Result<Vec<Arc<Term>>> {
    let found = loader(ctx).load_many(ids.iter().map(|&id| TermKey(id))).await.map_err(AppError::internal).gql()?;
    Ok(ids.iter().filter_map(|id| found.get(&TermKey(*id)).cloned()).collect())
}

/// Splits terms by taxonomy into the three GraphQL types.
pub fn of_taxonomy(terms: &[Arc<Term>], taxonomy: Taxonomy) -> impl Iterator<Item = Arc<Term>> + '_ {
    terms.iter().filter(move |t| t.taxonomy == taxonomy).cloned()
}

/// Orders terms by their served label's collation key.
fn sorted(request: &Reader, mut terms: Vec<Arc<Term>>) -> Vec<Arc<Term>> {
    let order = &request.every;
    terms.sort_by(|a, b| a.label(order).2.cmp(b.label(order).2).then(a.code.cmp(&b.code)));
    terms
}

#[derive(Default)]
pub struct TaxonomyQuery;

#[Object]
impl TaxonomyQuery {
    /// Every region, in editorial order.
    async fn regions(&self, ctx: &Context<'_>, locale: Option<String>) -> async_graphql::Result<Vec<Plain<Region>>> {
        let request = request_locale(ctx, locale.as_deref(), None).gql()?;
        let terms = load::taxonomy(&state(ctx).db, Taxonomy::Region).await.gql()?;
        Ok(wrap(terms.into_iter().map(Arc::new), &request))
    }

    /// Every country (or those of one region, by region code), ordered by label.
    async fn countries(
        &self,
        ctx: &Context<'_>,
        locale: Option<String>,
        region: Option<String>,
    ) -> async_graphql::Result<Vec<Plain<Country>>> {
        let request = request_locale(ctx, locale.as_deref(), None).gql()?;
        let db = &state(ctx).db;
        let mut terms: Vec<Arc<Term>> =
            load::taxonomy(db, Taxonomy::Country).await.gql()?.into_iter().map(Arc::new).collect();
        if let Some(region) = region {
            let regions = load::taxonomy(db, Taxonomy::Region).await.gql()?;
            let id = regions.iter().find(|r| r.code == region.to_ascii_lowercase()).map(|r| r.id);
            terms.retain(|t| id.is_some() && t.parent_id == id);
        }
        Ok(wrap(sorted(&request, terms), &request))
    }

    /// Every topic, ordered by label.
    async fn topics(&self, ctx: &Context<'_>, locale: Option<String>) -> async_graphql::Result<Vec<Plain<Topic>>> {
        let request = request_locale(ctx, locale.as_deref(), None).gql()?;
        let terms = load::taxonomy(&state(ctx).db, Taxonomy::Topic).await.gql()?.into_iter().map(Arc::new).collect();
        Ok(wrap(sorted(&request, terms), &request))
    }
}

/// A taxonomy (vocabulary).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "Taxonomy", remote = "chorus_entities::Taxonomy")]
pub enum TaxonomyKind {
    Region,
    Country,
    Topic,
}

/// A label in one locale.
#[derive(InputObject)]
pub struct LabelInput {
    locale: String,
    label: String,
}

#[derive(InputObject)]
pub struct CreateTermInput {
    /// ISO 3166-1 alpha-2 for countries; lowercase letters, digits and hyphens otherwise.
    code: String,
    /// The region code of a country.
    parent: Option<String>,
    labels: Vec<LabelInput>,
}

#[derive(InputObject)]
pub struct UpdateTermInput {
    /// The region code of a country.
    parent: Option<String>,
    /// Labels to set, by locale.
    labels: Option<Vec<LabelInput>>,
    /// Locales whose label is removed.
    remove_labels: Option<Vec<String>>,
}

fn labels(list: Option<Vec<LabelInput>>) -> Vec<(String, String)> {
    list.unwrap_or_default().into_iter().map(|l| (l.locale, l.label)).collect()
}

fn term_node(term: Term, request: Arc<Reader>) -> Node {
    let term = Arc::new(term);
    match term.taxonomy {
        Taxonomy::Region => Node::Region(Region { term, request }),
        Taxonomy::Country => Node::Country(Country { term, request }),
        Taxonomy::Topic => Node::Topic(Topic { term, request }),
    }
}

fn term_id(id: &ID) -> Result<i32, AppError> {
    match ids::decode(id)? {
        (NodeType::Region | NodeType::Country | NodeType::Topic, n) => Ok(n),
        _ => Err(AppError::bad_input("id: not a region, country or topic id")),
    }
}

#[derive(Default)]
pub struct TaxonomyMutation;

/// Editing taxonomies (editors and admins).
#[Object]
impl TaxonomyMutation {
    async fn create_term(
        &self,
        ctx: &Context<'_>,
        taxonomy: TaxonomyKind,
        input: CreateTermInput,
    ) -> async_graphql::Result<Node> {
        let who = principal(ctx).gql()?;
        let request = request_locale(ctx, None, None).gql()?;
        let input = TermInput {
            code: Some(input.code),
            parent: input.parent,
            labels: labels(Some(input.labels)),
            remove_labels: vec![],
        };
        let term = term_service::create_term(state(ctx), who, taxonomy.into(), input).await.gql()?;
        Ok(term_node(term, request))
    }

    async fn update_term(&self, ctx: &Context<'_>, id: ID, input: UpdateTermInput) -> async_graphql::Result<Node> {
        let who = principal(ctx).gql()?;
        let request = request_locale(ctx, None, None).gql()?;
        let id = term_id(&id).gql()?;
        let input = TermInput {
            code: None,
            parent: input.parent,
            labels: labels(input.labels),
            remove_labels: input.remove_labels.unwrap_or_default(),
        };
        let term = term_service::update_term(state(ctx), who, id, input).await.gql()?;
        Ok(term_node(term, request))
    }

    async fn delete_term(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let who = principal(ctx).gql()?;
        let id = term_id(&id).gql()?;
        term_service::delete_term(state(ctx), who, id).await.gql()?;
        Ok(true)
    }
}
