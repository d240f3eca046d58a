//! Relay connections and single-item lookups, shared by every localised type.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, Lookahead, SimpleObject, TypeName};
use futures_util::future::BoxFuture;
use sea_orm::FromQueryResult;

use super::error::IntoGql;
use super::loaders::{BaseModel, BodiesOf, ById, ContentLoader, Loaders, TextsOf, TranslationsOf};
use super::plain::{Plain, PlainFields, PlainObject};
use super::{ids, loader, request_locale, state};
use crate::content::ContentType;
use crate::content::Reader;
use crate::content::query::{self, ListSpec, PageRequest};
use crate::error::AppError;

/// A localised content type served by the API.
pub trait Item: PlainObject + Sized + 'static {
    const TYPE: ContentType;
    const NODE: ids::NodeType;
    type Model: BaseModel;

    fn new(model: Arc<Self::Model>, request: Arc<Reader>, fields: super::localized::LocalizedFields) -> Self;

    /// Loads, one batch per relation, the relations `selection` asks for on these items, so
    /// that each node's resolvers find them in the request's loader cache.
    fn prefetch<'a>(
        _ctx: &'a Context<'a>,
        _models: Vec<Arc<Self::Model>>,
        _selection: &'a Lookahead<'a>,
        _request: &'a Arc<Reader>,
    ) -> BoxFuture<'a, async_graphql::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// The link tables a page of these items reads with its list statement
    /// (`ListSpec::links`) when `selection` (the node's selection) needs them.
    fn page_links(_selection: &Lookahead<'_>) -> Vec<query::Link> {
        Vec::new()
    }

    /// Puts what a page read for `links` (see `page_links`) in the request's loader cache.
    fn feed_links<'a>(
        _ctx: &'a Context<'a>,
        _links: &'a [query::Link],
        _rows: &'a [query::ItemRow],
    ) -> BoxFuture<'a, async_graphql::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// Loads every key in one batch and returns the values.
pub async fn load_all<K, V>(loader: &Loaders, keys: impl IntoIterator<Item = K>) -> async_graphql::Result<HashMap<K, V>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    ContentLoader: async_graphql::dataloader::Loader<K, Value = V, Error = Arc<AppError>>,
    V: Send + Sync + Clone + 'static,
{
    loader.load_many(keys).await.map_err(|e| crate::graphql::error::gql(AppError::internal(e)))
}

/// The rows a list-valued loader key holds (none when it holds nothing).
pub async fn links<K, V>(ctx: &Context<'_>, key: K) -> async_graphql::Result<Arc<[V]>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    ContentLoader: async_graphql::dataloader::Loader<K, Value = Arc<[V]>, Error = Arc<AppError>>,
    V: Send + Sync + 'static,
{
    Ok(loader(ctx).load_one(key).await.map_err(AppError::internal).gql()?.unwrap_or_else(|| Arc::from(Vec::new())))
}

/// One related item, in the reader's language; `None` when there is none or it is not visible.
pub async fn related<T: Item>(
    ctx: &Context<'_>,
    id: impl Into<Option<i32>>,
    request: &Arc<Reader>,
) -> async_graphql::Result<Option<T>> {
    let Some(id) = id.into() else { return Ok(None) };
    Ok(build_items::<T>(ctx, &[id], &ctx.look_ahead(), request).await?.into_iter().next().map(|(_, t)| t))
}

/// The ids a list-valued link holds for these keys (one batch), without repeats.
pub async fn linked<K>(ctx: &Context<'_>, keys: impl IntoIterator<Item = K>) -> async_graphql::Result<Vec<i32>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    ContentLoader: async_graphql::dataloader::Loader<K, Value = Arc<[i32]>, Error = Arc<AppError>>,
{
    let links = load_all(loader(ctx), keys).await?;
    Ok(unique(links.values().flat_map(|v| v.iter().copied())))
}

/// Puts these terms in the request's loader cache (one batch; nothing when there are none).
pub async fn prefetch_terms(ctx: &Context<'_>, ids: impl IntoIterator<Item = i32>) -> async_graphql::Result<()> {
    let ids = unique(ids);
    if !ids.is_empty() {
        load_all(loader(ctx), ids.into_iter().map(super::loaders::TermKey)).await?;
    }
    Ok(())
}

/// Builds, with their own relations, the items of type `T` that `field` of `selection` holds,
/// when that field is selected; `ids` is only awaited then.
pub async fn prefetch<'a, T: Item>(
    ctx: &'a Context<'a>,
    selection: &Lookahead<'a>,
    field: &str,
    request: &'a Arc<Reader>,
    ids: impl Future<Output = async_graphql::Result<Vec<i32>>>,
) -> async_graphql::Result<()> {
    let sel = selection.field(field);
    if sel.exists() {
        let ids = ids.await?;
        build_items::<T>(ctx, &ids, &sel, request).await?;
    }
    Ok(())
}

/// Ids in first-seen order, without repeats.
pub fn unique(ids: impl IntoIterator<Item = i32>) -> Vec<i32> {
    let mut out: Vec<i32> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Builds items for ids, in order, keeping only those with a visible translation, after
/// prefetching what `selection` (the item's selection set) asks for.
pub async fn build_items<'a, T: Item>(
    ctx: &'a Context<'a>,
    ids: &[i32],
    selection: &'a Lookahead<'a>,
    request: &'a Arc<Reader>,
) -> async_graphql::Result<Vec<(i32, T)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let loader = loader(ctx);
    let vis = request.visibility;
    let (models, texts) = futures_util::try_join!(
        load_all(loader, ids.iter().map(|&id| ById::<T::Model>::new(id))),
        load_texts(ctx, T::TYPE, ids, request, selection)
    )?;
    let locales = &state(ctx).locales;
    let visible: Vec<(i32, Arc<T::Model>, super::localized::LocalizedFields)> = ids
        .iter()
        .filter_map(|id| {
            let texts = texts.get(id).filter(|t| !t.is_empty())?;
            let m = models.get(&ById::new(*id))?;
            let fields = super::localized::LocalizedFields::new(
                T::TYPE,
                *id,
                m.source_locale(),
                texts.clone(),
                request,
                locales,
            )?;
            Some((*id, m.clone(), fields))
        })
        .collect();
    let bodies = async {
        if selection.field("body").exists() {
            load_all(loader, visible.iter().map(|(id, _, _)| BodiesOf(T::TYPE, *id, vis))).await?;
        }
        Ok(())
    };
    let relations = T::prefetch(ctx, visible.iter().map(|(_, m, _)| m.clone()).collect(), selection, request);
    futures_util::try_join!(bodies, relations)?;
    Ok(visible.into_iter().map(|(id, m, fields)| (id, T::new(m, request.clone(), fields))).collect())
}

/// The texts items are localised from for `request` (`LocalizedFields` reads them as `TextsOf`):
/// the versions in the request's chain only, unless the selection lists every version
/// (`availableLocales`, `translations`, `alternates`); then, in one more statement, every version
/// of the items that need more (nothing published in the chain, or a selected summary empty in
/// all of its versions: fallback goes on to the source locale and the others). The chain's
/// locales come first in the fallback order, so what they give is what every version would.
pub async fn load_texts(
    ctx: &Context<'_>,
    ty: ContentType,
    ids: &[i32],
    request: &Reader,
    selection: &Lookahead<'_>,
) -> async_graphql::Result<HashMap<i32, Arc<[crate::content::Translation]>>> {
    let loader = loader(ctx);
    let vis = request.visibility;
    let every = lists_every_version(selection);
    let fields = text_fields(selection);
    let key = |id: i32| TextsOf(ty, id, vis, request.chain.clone(), fields);
    let mut out: HashMap<i32, Arc<[crate::content::Translation]>> = HashMap::new();
    let mut rest: Vec<i32> = ids.to_vec();
    if !every {
        let some = load_all(loader, ids.iter().map(|&id| key(id))).await?;
        out.extend(some.into_iter().map(|(k, v)| (k.1, v)));
        rest.retain(|id| {
            out.get(id).is_none_or(|t| t.is_empty() || fields.summary && t.iter().all(|t| t.summary.trim().is_empty()))
        });
    }
    if !rest.is_empty() {
        let all = load_all(loader, rest.iter().map(|&id| TranslationsOf(ty, id, vis))).await?;
        out.extend(all.into_iter().map(|(k, v)| (k.1, v)));
        // Every version localises as well as the chain's: kept under the key `LocalizedFields` reads.
        loader.feed_many(rest.iter().filter_map(|id| Some((key(*id), out.get(id)?.clone())))).await;
    }
    Ok(out)
}

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

// An item of a page and its cursor; named after its item type (`ResourceEdge`).
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct Edge<T: PlainObject> {
    pub cursor: String,
    pub node: Plain<T>,
}

impl<T: PlainObject> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

impl<T: PlainObject> PlainFields for Edge<T> {
    fn plain_field(&self, name: &str) -> Option<async_graphql::Value> {
        (name == "cursor").then(|| async_graphql::Value::String(self.cursor.clone()))
    }
}

// Named after its item type (`ResourceConnection`). The description below is kept word for word
// from when each connection was instantiated by hand: it is part of the published schema.
/// A page of a list. Generic over the edge type so that each concrete connection names its
/// concrete edge.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct Connection<T: PlainObject> {
    pub edges: Vec<Plain<Edge<T>>>,
    pub page_info: PageInfo,
    #[graphql(skip)]
    spec: Arc<ListSpec>,
}

impl<T: PlainObject> TypeName for Connection<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

#[ComplexObject]
impl<T: PlainObject> Connection<T> {
    /// The number of items in the whole list (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let n = query::count(&state(ctx).db, &self.spec).await.gql()?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}

/// Resolves a list query into a connection.
pub async fn connection<T: Item>(
    ctx: &Context<'_>,
    spec: ListSpec,
    page: PageRequest,
    request: Arc<Reader>,
) -> async_graphql::Result<Connection<T>> {
    let st = state(ctx);
    let g = &st.config.graphql;
    let selection = ctx.look_ahead().field("edges").field("node");
    let mut spec = spec;
    spec.links = T::page_links(&selection);
    spec.versions = Some(versions_for(ctx, &selection, &request));
    let mut page = query::list(&st.db, &spec, &page, g.default_page_size, g.max_page_size).await.gql()?;
    feed_rows::<T>(ctx, &spec.links, spec.versions.as_ref(), &mut page.rows, &request).await?;
    let ids: Vec<i32> = page.items.iter().map(|(id, _)| *id).collect();
    let mut items: HashMap<i32, T> = build_items::<T>(ctx, &ids, &selection, &request).await?.into_iter().collect();
    let edges: Vec<Plain<Edge<T>>> = page
        .items
        .iter()
        .filter_map(|(id, cursor)| {
            items.remove(id).map(|node| Plain(Edge { cursor: cursor.encode(), node: Plain(node) }))
        })
        .collect();
    let page_info = PageInfo {
        has_next_page: page.has_next,
        has_previous_page: page.has_previous,
        start_cursor: edges.first().map(|e| e.0.cursor.clone()),
        end_cursor: edges.last().map(|e| e.0.cursor.clone()),
    };
    Ok(Connection { edges, page_info, spec: Arc::new(spec) })
}

/// Primes the request's loader with base rows read by a list statement or `query::rows`, the
/// links and the versions they carry (taken out of the rows), so that building the items fetches
/// none of them again.
async fn feed_rows<T: Item>(
    ctx: &Context<'_>,
    links: &[query::Link],
    versions: Option<&query::Versions>,
    rows: &mut [query::ItemRow],
    request: &Reader,
) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    let models = rows.iter().filter_map(|r| {
        let m = T::Model::from_query_result(&r.row, "").ok()?;
        Some((ById::<T::Model>::new(r.id), Arc::new(m)))
    });
    loader.feed_many(models.collect::<Vec<_>>()).await;
    if let Some(versions) = versions {
        let configured = state(ctx).locales.codes();
        // The chain holds configured locales, each once: as many as configured is all of them.
        let every = versions.locales.len() == configured.len();
        let vis = request.visibility;
        let mut texts = Vec::with_capacity(rows.len());
        for r in rows.iter_mut() {
            let mut list = std::mem::take(&mut r.versions);
            // In configured order, as the loaders give them (`TextsOf`, `TranslationsOf`).
            list.sort_by_key(|t| configured.iter().position(|l| *l == t.locale));
            texts.push((r.id, Arc::<[crate::content::Translation]>::from(list)));
        }
        if every {
            loader.feed_many(texts.iter().map(|(id, t)| (TranslationsOf(T::TYPE, *id, vis), t.clone()))).await;
        }
        let fields = versions.fields;
        loader
            .feed_many(texts.into_iter().map(|(id, t)| (TextsOf(T::TYPE, id, vis, request.chain.clone(), fields), t)))
            .await;
    }
    T::feed_links(ctx, links, rows).await
}

/// The versions a page or a lookup reads with its rows for `selection` (the item's): the
/// request's chain, or every configured locale when the selection lists every version (see
/// `load_texts`).
fn versions_for(ctx: &Context<'_>, selection: &Lookahead<'_>, request: &Reader) -> query::Versions {
    let locales =
        if lists_every_version(selection) { state(ctx).locales.codes().to_vec() } else { request.chain.to_vec() };
    query::Versions { locales, visibility: request.visibility, fields: text_fields(selection) }
}

/// The optional text fields of the versions `selection` (an item's) needs: every one when it
/// lists every version (the loader keeps those as `TranslationsOf` too), else those it selects.
pub fn text_fields(selection: &Lookahead<'_>) -> query::TextFields {
    if lists_every_version(selection) {
        return query::TextFields::ALL;
    }
    query::TextFields { summary: selection.field("summary").exists(), slug: selection.field("slug").exists() }
}

/// Whether the selection lists every version of the item.
fn lists_every_version(selection: &Lookahead<'_>) -> bool {
    ["availableLocales", "translations", "alternates"].iter().any(|f| selection.field(f).exists())
}

/// The page, language and preview arguments every list query takes.
pub struct ListArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub locale: Option<String>,
    pub preview: Option<bool>,
}

/// A type's list query: its filter and order inputs.
pub trait Listed: Item {
    type Filter: Default + Send;
    type Order: OrderInput;

    /// The service filters of a filter input.
    fn filters(ctx: &Context<'_>, filter: Self::Filter) -> Result<Vec<query::Filter>, AppError>;
}

/// Resolves a type's list query.
pub async fn list<T: Listed>(
    ctx: &Context<'_>,
    args: ListArgs,
    filter: Option<T::Filter>,
    order: Option<T::Order>,
) -> async_graphql::Result<Connection<T>> {
    let request = request_locale(ctx, args.locale.as_deref(), args.preview).gql()?;
    let filters = T::filters(ctx, filter.unwrap_or_default()).gql()?;
    let spec = list_spec(ctx, T::TYPE, filters, ordering_of(order), &request);
    connection(ctx, spec, page(args.first, args.after, args.last, args.before), request).await
}

/// A list spec for a type with the request's chain and the configured locales.
pub fn list_spec(
    ctx: &Context<'_>,
    ty: ContentType,
    filters: Vec<query::Filter>,
    ordering: query::Ordering,
    request: &Reader,
) -> ListSpec {
    ListSpec {
        ty,
        filters,
        ordering,
        chain: request.chain.to_vec(),
        configured: state(ctx).locales.codes().to_vec(),
        visibility: request.visibility,
        links: Vec::new(),
        versions: None,
        title_rows: state(ctx).locales.is_locale_chain(&request.chain),
    }
}

/// Resolves a single-item query by id or by slug (looked up along the request's chain).
pub async fn single<T: Item>(
    ctx: &Context<'_>,
    id: Option<ID>,
    slug: Option<String>,
    locale: Option<String>,
    preview: Option<bool>,
) -> async_graphql::Result<Option<T>> {
    let request = request_locale(ctx, locale.as_deref(), preview).gql()?;
    match (id, slug) {
        (Some(id), None) => lookup::<T>(ctx, ids::decode_as(&id, T::NODE).gql()?, &request).await,
        (None, Some(slug)) => {
            if slug.len() > 200 {
                return Ok(None);
            }
            let by = query::Lookup::Slug { slug: &slug, chain: &request.chain, visibility: request.visibility };
            Ok(read::<T>(ctx, by, &request).await?.into_iter().next())
        }
        _ => Err(AppError::bad_input("pass exactly one of `id` or `slug`")).gql(),
    }
}

/// One item asked for by id at the root (`resource(id:)`, `node(id:)`): see `read`. Relations of
/// items already listed use `related`, which finds their rows in the loader.
pub async fn lookup<T: Item>(ctx: &Context<'_>, id: i32, request: &Arc<Reader>) -> async_graphql::Result<Option<T>> {
    Ok(read::<T>(ctx, query::Lookup::Ids(&[id]), request).await?.into_iter().next())
}

/// Items looked up at the root: their rows, the links their selection needs and the versions it
/// is localised from in one statement (`query::rows`), then the items.
async fn read<T: Item>(
    ctx: &Context<'_>,
    by: query::Lookup<'_>,
    request: &Arc<Reader>,
) -> async_graphql::Result<Vec<T>> {
    let selection = ctx.look_ahead();
    let links = T::page_links(&selection);
    let versions = versions_for(ctx, &selection, request);
    let mut rows = query::rows(&state(ctx).db, T::TYPE, by, &links, Some(&versions)).await.gql()?;
    feed_rows::<T>(ctx, &links, Some(&versions), &mut rows, request).await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    Ok(build_items::<T>(ctx, &ids, &selection, request).await?.into_iter().map(|(_, item)| item).collect())
}

/// The fields a type's list can be ordered by; the default field is the type's default order.
pub trait OrderField: Copy + Default {
    fn sort_field(self) -> query::SortField;
}

/// A type's order input (declared with `order_input!`): a field and an optional direction.
pub trait OrderInput: async_graphql::InputType {
    type Field: OrderField;

    fn parts(self) -> (Self::Field, Option<OrderDirection>);
}

/// The service ordering of an order input (the type's default without one).
fn ordering_of<O: OrderInput>(order: Option<O>) -> query::Ordering {
    let (field, direction) = order.map(O::parts).unwrap_or_default();
    ordering(field.sort_field(), direction)
}

/// Sort direction of a list.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum OrderDirection {
    Asc,
    Desc,
}

/// The editorial state of a working copy, for filtering in preview.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum TranslationState {
    Draft,
    InReview,
    Published,
    Archived,
    /// Made from a source text that has changed since.
    Outdated,
    /// No version in that locale yet.
    Missing,
}

/// Items whose working copy in `locale` is in `state` (with `preview: true` only).
#[derive(async_graphql::InputObject)]
pub struct TranslationFilter {
    locale: String,
    state: TranslationState,
}

/// Longest list accepted in one filter field.
const MAX_FILTER_VALUES: usize = 100;

fn check_len<T>(values: &[T], field: &str) -> Result<(), AppError> {
    if values.len() > MAX_FILTER_VALUES {
        return Err(AppError::bad_input(format!("filter `{field}` accepts at most {MAX_FILTER_VALUES} values")));
    }
    Ok(())
}

/// Filter input shared by the list queries, turned into service filters.
pub struct FilterBuilder<'a> {
    ctx: &'a Context<'a>,
    pub filters: Vec<query::Filter>,
}

impl<'a> FilterBuilder<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Self {
        FilterBuilder { ctx, filters: Vec::new() }
    }

    /// Taxonomy codes; an unknown code simply matches nothing.
    pub fn terms(
        &mut self,
        taxonomy: chorus_entities::Taxonomy,
        codes: Option<Vec<String>>,
        field: &str,
    ) -> Result<(), AppError> {
        let Some(codes) = codes else { return Ok(()) };
        check_len(&codes, field)?;
        let codes = codes
            .into_iter()
            .map(|c| {
                let c = c.trim();
                if taxonomy == chorus_entities::Taxonomy::Country {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect::<Vec<String>>();
        // Resolved from the reference data when every code is known there (see `TermIds`); a
        // code it does not know (unknown, or created by another process since its last read) is
        // looked up by the database.
        let known = state(self.ctx).reference.snapshot().term_ids(taxonomy, &codes);
        self.filters.push(match known {
            Some(ids) => query::Filter::TermIds(taxonomy, ids),
            None => query::Filter::Terms(taxonomy, codes),
        });
        Ok(())
    }

    pub fn organizations(&mut self, list: Option<Vec<ID>>) -> Result<(), AppError> {
        let Some(list) = list else { return Ok(()) };
        check_len(&list, "organizations")?;
        let ids = list.iter().map(|id| ids::decode_as(id, ids::NodeType::Organization)).collect::<Result<_, _>>()?;
        self.filters.push(query::Filter::Organizations(ids));
        Ok(())
    }

    /// Locales must be configured: filtering on a locale that can never match is a mistake.
    pub fn available_in(&mut self, list: Option<Vec<String>>) -> Result<(), AppError> {
        let Some(list) = list else { return Ok(()) };
        check_len(&list, "availableIn")?;
        let locales = &state(self.ctx).locales;
        let codes = list
            .iter()
            .map(|raw| locales.configured_code(raw).map(str::to_owned).map_err(|e| AppError::bad_input(e.to_string())))
            .collect::<Result<_, _>>()?;
        self.filters.push(query::Filter::AvailableIn(codes));
        Ok(())
    }

    pub fn kinds<K: Into<String>>(&mut self, list: Option<Vec<K>>) -> Result<(), AppError> {
        let Some(list) = list else { return Ok(()) };
        check_len(&list, "kinds")?;
        self.filters.push(query::Filter::Kinds(list.into_iter().map(Into::into).collect()));
        Ok(())
    }

    pub fn translation(&mut self, filter: Option<TranslationFilter>) -> Result<(), AppError> {
        use chorus_entities::PublicationStatus as S;
        let Some(f) = filter else { return Ok(()) };
        let locales = &state(self.ctx).locales;
        let locale =
            locales.configured_code(&f.locale).map_err(|e| AppError::bad_input(format!("translation.locale: {e}")))?;
        let state = match f.state {
            TranslationState::Draft => query::TranslationState::Status(S::Draft),
            TranslationState::InReview => query::TranslationState::Status(S::InReview),
            TranslationState::Published => query::TranslationState::Status(S::Published),
            TranslationState::Archived => query::TranslationState::Status(S::Archived),
            TranslationState::Outdated => query::TranslationState::Outdated,
            TranslationState::Missing => query::TranslationState::Missing,
        };
        self.filters.push(query::Filter::Translation(locale.to_owned(), state));
        Ok(())
    }

    pub fn push(&mut self, filter: Option<query::Filter>) {
        self.filters.extend(filter);
    }
}

/// An optional input that may also be set to null: absent = keep, null = clear.
pub fn maybe<T>(m: async_graphql::MaybeUndefined<T>) -> Option<Option<T>> {
    match m {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// Decodes an optional id of one node type, naming the field when it is of another type.
pub fn optional_id(id: Option<ID>, ty: ids::NodeType, field: &str) -> Result<Option<i32>, AppError> {
    id.map(|id| ids::decode_as(&id, ty).map_err(|_| AppError::bad_input(format!("{field}: wrong kind of id"))))
        .transpose()
}

/// Like `maybe`, decoding an id of one node type.
pub fn maybe_id(
    m: async_graphql::MaybeUndefined<ID>,
    ty: ids::NodeType,
    field: &str,
) -> Result<Option<Option<i32>>, AppError> {
    maybe(m)
        .map(|v| {
            v.map(|id| ids::decode_as(&id, ty).map_err(|_| AppError::bad_input(format!("{field}: wrong kind of id"))))
                .transpose()
        })
        .transpose()
}

/// The page arguments of a connection field.
pub fn page(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> PageRequest {
    PageRequest { first, after, last, before }
}

/// The ordering for an order field and optional direction, with the field's natural default.
pub fn ordering(field: query::SortField, direction: Option<OrderDirection>) -> query::Ordering {
    let descending = match direction {
        Some(d) => d == OrderDirection::Desc,
        None => field != query::SortField::Title,
    };
    query::Ordering { field, descending }
}
