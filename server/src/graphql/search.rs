//! `search` (published content, for everyone) and `searchDrafts` (working copies, for callers
//! allowed to read drafts): full-text search over the indexes of `crate::search`.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Union};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_entities::Taxonomy;
use chorus_search_index as index;
use sea_orm::ActiveEnum;

use super::connection::{Item, build_items, load_all};
use super::error::IntoGql;
use super::good_practices::GoodPractice;
use super::ids::{self, NodeType};
use super::loaders::{ById, TextsOf, TranslationsOf};
use super::organizations::{Organization, OrganizationKind};
use super::plain::{Plain, plain_interface};
use super::programmes::Programme;
use super::resources::{Resource, ResourceKind};
use super::{loader, page_complexity, request_locale, state};
use crate::content::ContentType;
use crate::content::Reader;
use crate::error::{AppError, AppResult};
use crate::search::IndexKind;

/// The kinds of item search finds.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SearchType {
    Resource,
    GoodPractice,
    Organization,
    Programme,
}

impl SearchType {
    pub(crate) fn content_type(self) -> ContentType {
        match self {
            SearchType::Resource => ContentType::Resource,
            SearchType::GoodPractice => ContentType::GoodPractice,
            SearchType::Organization => ContentType::Organization,
            SearchType::Programme => ContentType::Programme,
        }
    }

    /// The index's value: the content type's entity name.
    fn value(self) -> &'static str {
        self.content_type().entity()
    }
}

/// Facets search can count.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SearchFacet {
    /// Values: `SearchType` names.
    Type,
    /// Values: `ResourceKind` and `OrganizationKind` names.
    Kind,
    /// Values: region codes.
    Region,
    /// Values: ISO 3166-1 alpha-2 country codes.
    Country,
    /// Values: topic codes.
    Topic,
    /// Values: locale codes; an item counts in every language it matched in.
    Language,
    /// Values: organisation ids (authors, publishers, funders, practice owners).
    Organization,
    /// Values: programme ids.
    Programme,
    /// Values: years (publication, practice, programme start).
    Year,
}

impl From<SearchFacet> for index::FacetName {
    fn from(f: SearchFacet) -> Self {
        match f {
            SearchFacet::Type => index::FacetName::Type,
            SearchFacet::Kind => index::FacetName::Kind,
            SearchFacet::Region => index::FacetName::Region,
            SearchFacet::Country => index::FacetName::Country,
            SearchFacet::Topic => index::FacetName::Topic,
            SearchFacet::Language => index::FacetName::Language,
            SearchFacet::Organization => index::FacetName::Organization,
            SearchFacet::Programme => index::FacetName::Programme,
            SearchFacet::Year => index::FacetName::Year,
        }
    }
}

fn facet_of(f: index::FacetName) -> SearchFacet {
    match f {
        index::FacetName::Type => SearchFacet::Type,
        index::FacetName::Kind => SearchFacet::Kind,
        index::FacetName::Region => SearchFacet::Region,
        index::FacetName::Country => SearchFacet::Country,
        index::FacetName::Topic => SearchFacet::Topic,
        index::FacetName::Language => SearchFacet::Language,
        index::FacetName::Organization => SearchFacet::Organization,
        index::FacetName::Programme => SearchFacet::Programme,
        index::FacetName::Year => SearchFacet::Year,
    }
}

/// Restrictions on search results: values in one list are alternatives, lists combine with AND.
#[derive(InputObject, Default)]
pub struct SearchFilter {
    types: Option<Vec<SearchType>>,
    resource_kinds: Option<Vec<ResourceKind>>,
    organization_kinds: Option<Vec<OrganizationKind>>,
    /// Region codes.
    regions: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 country codes.
    countries: Option<Vec<String>>,
    /// Topic codes.
    topics: Option<Vec<String>>,
    organizations: Option<Vec<ID>>,
    programmes: Option<Vec<ID>>,
    year_from: Option<i32>,
    year_to: Option<i32>,
}

const MAX_FILTER_VALUES: usize = 100;

impl SearchFilter {
    fn into_index(self) -> AppResult<index::SearchFilter> {
        let strings = |v: Option<Vec<String>>, name: &str| -> AppResult<Vec<String>> {
            let v = v.unwrap_or_default();
            if v.len() > MAX_FILTER_VALUES || v.iter().any(|s| s.len() > 64) {
                return Err(AppError::bad_input(format!("filter.{name}: at most {MAX_FILTER_VALUES} codes")));
            }
            Ok(v)
        };
        let ids = |v: Option<Vec<ID>>, ty: NodeType, name: &str| -> AppResult<Vec<i64>> {
            let v = v.unwrap_or_default();
            if v.len() > MAX_FILTER_VALUES {
                return Err(AppError::bad_input(format!("filter.{name}: at most {MAX_FILTER_VALUES} ids")));
            }
            v.iter().map(|id| ids::decode_as(id, ty).map(i64::from)).collect()
        };
        let mut kinds: Vec<String> = self
            .resource_kinds
            .unwrap_or_default()
            .into_iter()
            .map(|k| chorus_entities::ResourceKind::from(k).to_value())
            .collect();
        kinds.extend(
            self.organization_kinds
                .unwrap_or_default()
                .into_iter()
                .map(|k| chorus_entities::OrganizationKind::from(k).to_value()),
        );
        Ok(index::SearchFilter {
            types: self.types.unwrap_or_default().into_iter().map(|t| t.value().to_owned()).collect(),
            kinds,
            regions: strings(self.regions, "regions")?,
            countries: strings(self.countries, "countries")?.into_iter().map(|c| c.to_ascii_uppercase()).collect(),
            topics: strings(self.topics, "topics")?,
            organizations: ids(self.organizations, NodeType::Organization, "organizations")?,
            programmes: ids(self.programmes, NodeType::Programme, "programmes")?,
            year_from: self.year_from.map(i64::from),
            year_to: self.year_to.map(i64::from),
        })
    }
}

/// Any item search can find.
#[derive(Union)]
pub enum SearchItem {
    Resource(Resource),
    GoodPractice(GoodPractice),
    Organization(Organization),
    Programme(Programme),
}

plain_interface!(SearchItem { Resource, GoodPractice, Organization, Programme });

/// One item found, shown in the best language along the reader's chain that matched.
#[derive(SimpleObject)]
pub struct SearchHit {
    /// The item, its fields in `locale` (then its fallbacks).
    item: Plain<SearchItem>,
    /// The language the hit is shown in.
    locale: String,
    /// True when `locale` is not the language the reader asked for.
    is_fallback: bool,
    score: f64,
    /// The title, HTML-escaped, with the matched words in `<mark>`.
    title_html: String,
    /// A fragment of the summary, body or documents, HTML-escaped, with matched words in `<mark>`.
    snippet_html: String,
    /// True when the snippet comes from one of the item's documents in `locale` (its PDF):
    /// the words were found there, not in the text of the page.
    from_document: bool,
    /// The languages the item matched in.
    matched_locales: Vec<String>,
    /// The other languages the item can be read in.
    also_available_in: Vec<String>,
    /// Pass as `after` to continue after this hit.
    cursor: String,
}

#[derive(SimpleObject)]
pub struct FacetBucket {
    /// The value, as the matching filter takes it.
    value: String,
    /// Items (not language versions) with this value.
    count: i32,
    /// The value's label for the reader: a term's label or an item's title in the reader's
    /// language, a kind or type in the reader's language (English when Chorus has no label in
    /// it), a language by its own name.
    label: Option<String>,
}

#[derive(SimpleObject)]
pub struct FacetCounts {
    facet: SearchFacet,
    buckets: Vec<FacetBucket>,
}

#[derive(SimpleObject)]
pub struct SearchPageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct SearchResults {
    /// Items found (each counted once, whatever its number of languages).
    total: i32,
    hits: Vec<SearchHit>,
    page_info: SearchPageInfo,
    /// Counts over all results, for the facets asked for.
    facets: Vec<FacetCounts>,
    /// A respelling of the query that finds something, when the query found nothing.
    did_you_mean: Option<String>,
    /// Whether some hit has every word of the query (words are OR-ed and ranked; items with them
    /// all get a bonus).
    all_words_matched: bool,
}

/// The cursor of the hit at `offset` (0-based), as `after` takes it.
pub(crate) fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("search:{offset}"))
}

fn decode_cursor(cursor: &str) -> AppResult<usize> {
    let bad = || AppError::bad_input("after: pass a cursor returned by search");
    let raw = URL_SAFE_NO_PAD.decode(cursor.as_bytes()).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    text.strip_prefix("search:").and_then(|n| n.parse::<usize>().ok()).map(|n| n + 1).ok_or_else(bad)
}

/// An id no item has (ids start at 1): what a filter on an invisible item becomes.
const NO_ITEM: i64 = -1;

/// The arguments shared by `search` and `searchDrafts`.
struct Args {
    query: String,
    locale: Option<String>,
    locales: Option<Vec<String>>,
    filter: Option<SearchFilter>,
    facets: Option<Vec<SearchFacet>>,
    first: Option<i32>,
    after: Option<String>,
}

async fn run(ctx: &Context<'_>, kind: IndexKind, args: Args) -> async_graphql::Result<SearchResults> {
    let (reader, found, offset) = find(ctx, kind, args).await.gql()?;
    let hits = items(ctx, kind, &reader, &found.hits, offset).await?;
    let shown_to = offset + found.hits.len();
    let facets = facet_counts(ctx, kind, &reader, found.facets).await.gql()?;
    let max_results = state(ctx).config.search.max_results as usize;
    Ok(SearchResults {
        total: i32::try_from(found.total).unwrap_or(i32::MAX),
        page_info: SearchPageInfo {
            has_next_page: shown_to < found.total.min(max_results),
            end_cursor: (!found.hits.is_empty()).then(|| encode_cursor(shown_to - 1)),
        },
        hits,
        facets,
        did_you_mean: found.suggestion,
        all_words_matched: found.all_words_matched,
    })
}

/// Checks the arguments and asks the index: the reader's locale, what was found, the offset.
async fn find(ctx: &Context<'_>, kind: IndexKind, args: Args) -> AppResult<(Arc<Reader>, index::SearchResults, usize)> {
    let st = state(ctx);
    let reader = request_locale(ctx, args.locale.as_deref(), (kind == IndexKind::Drafts).then_some(true))?;
    let config = &st.config.search;
    let first = match args.first {
        None => config.default_page_size as usize,
        Some(n) if n >= 1 && n as u64 <= config.max_page_size => n as usize,
        Some(_) => return Err(AppError::bad_input(format!("first: between 1 and {}", config.max_page_size))),
    };
    let offset = args.after.as_deref().map(decode_cursor).transpose()?.unwrap_or(0);
    let limit = first.min((config.max_results as usize).saturating_sub(offset));
    let mut locales = Vec::new();
    for raw in args.locales.unwrap_or_default().iter().take(50) {
        let code = st.locales.configured_code(raw).map_err(|e| AppError::bad_input(format!("locales: {e}")))?;
        locales.push(code.to_owned());
    }
    let mut filter = args.filter.unwrap_or_default().into_index()?;
    // A partner key's scope (set only by the public search endpoint): the filters and
    // languages asked for, narrowed to it; asking for something outside it finds nothing.
    if let Some(scope) = ctx.data_opt::<crate::partners::SearchScope>()
        && !scope.apply(&mut locales, &mut filter)
    {
        filter.organizations = vec![NO_ITEM];
    }
    // An organisation or programme the reader may not see filters like one that does not exist
    // (it matches nothing): otherwise the results would tell that it exists and what links it.
    for (ty, ids) in
        [(ContentType::Organization, &mut filter.organizations), (ContentType::Programme, &mut filter.programmes)]
    {
        if ids.is_empty() {
            continue;
        }
        let asked: Vec<i32> = ids.iter().filter_map(|id| i32::try_from(*id).ok()).collect();
        let visible =
            crate::content::load::visible_ids(&st.db, ty, &asked, st.locales.codes(), kind.visibility()).await?;
        for id in ids.iter_mut() {
            if !i32::try_from(*id).is_ok_and(|id| visible.contains(&id)) {
                *id = NO_ITEM;
            }
        }
    }
    let request = index::SearchRequest {
        text: args.query,
        locales,
        preference: reader.chain.to_vec(),
        filter,
        facets: args.facets.unwrap_or_default().into_iter().map(Into::into).collect(),
        offset,
        limit,
        snippet_chars: config.snippet_chars,
    };
    let found = st.search.search(kind, request).await?;
    Ok((reader, found, offset))
}

/// Loads the hits' items, each in its hit's language, dropping any that the database no longer
/// shows (the index may trail a change by a moment).
async fn items(
    ctx: &Context<'_>,
    kind: IndexKind,
    reader: &Reader,
    hits: &[index::Hit],
    offset: usize,
) -> async_graphql::Result<Vec<SearchHit>> {
    let st = state(ctx);
    let selection = ctx.look_ahead().field("hits").field("item");
    let mut groups: HashMap<(ContentType, String), Vec<i32>> = HashMap::new();
    for h in hits {
        if let (Some(ty), Ok(id)) = (ContentType::from_entity(&h.item_type), i32::try_from(h.item_id)) {
            groups.entry((ty, h.locale.clone())).or_default().push(id);
        }
    }
    // One batch per type for the base rows and translations, whatever the number of languages;
    // the per-language builds below then read the request's loader cache.
    let vis = kind.visibility();
    let mut by_type: HashMap<ContentType, Vec<i32>> = HashMap::new();
    for ((ty, _), ids) in &groups {
        by_type.entry(*ty).or_default().extend(ids);
    }
    for (ty, ids) in &by_type {
        with_item_type!(ty, T => prefetch::<T>(ctx, ids, vis).await)?;
    }
    let mut built: HashMap<(ContentType, i32), SearchItem> = HashMap::new();
    for ((ty, locale), ids) in groups {
        let locale = st.locales.request(&locale).map_err(AppError::internal).gql()?;
        let request = Arc::new(Reader { locale, visibility: kind.visibility() });
        // Every version is in the cache already (`prefetch`): kept too under the key items are
        // localised from for this language's chain, so that building them reads nothing more.
        let all = load_all::<_, Arc<[crate::content::Translation]>>(
            loader(ctx),
            ids.iter().map(|&id| TranslationsOf(ty, id, vis)),
        )
        .await?;
        let fields = super::connection::text_fields(&selection);
        loader(ctx)
            .feed_many(all.into_iter().map(|(k, v)| (TextsOf(ty, k.1, vis, request.chain.clone(), fields), v)))
            .await;
        with_item_type!(ty, T => {
            for (id, item) in build_items::<T>(ctx, &ids, &selection, &request).await? {
                built.insert((ty, id), SearchItem::from(item));
            }
        });
    }
    let mut out = Vec::with_capacity(hits.len());
    for (i, h) in hits.iter().enumerate() {
        let Some(ty) = ContentType::from_entity(&h.item_type) else { continue };
        let Some(item) = i32::try_from(h.item_id).ok().and_then(|id| built.remove(&(ty, id))) else { continue };
        out.push(SearchHit {
            item: Plain(item),
            is_fallback: st.locales.is_fallback(reader, &h.locale),
            locale: h.locale.clone(),
            score: f64::from(h.score),
            title_html: h.title_html.clone(),
            snippet_html: h.snippet_html.clone(),
            from_document: h.from_document,
            matched_locales: h.matched_locales.clone(),
            also_available_in: h.available_locales.iter().filter(|l| **l != h.locale).cloned().collect(),
            cursor: encode_cursor(offset + i),
        });
    }
    Ok(out)
}

async fn prefetch<T: Item>(
    ctx: &Context<'_>,
    ids: &[i32],
    vis: crate::content::Visibility,
) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    let models = load_all::<_, Arc<T::Model>>(loader, ids.iter().map(|&id| ById::<T::Model>::new(id)));
    let translations = load_all::<_, Arc<[crate::content::Translation]>>(
        loader,
        ids.iter().map(|&id| TranslationsOf(T::TYPE, id, vis)),
    );
    futures_util::try_join!(models, translations)?;
    Ok(())
}

/// Facet values as the filters take them, each with its label for the reader.
/// Organisation and programme buckets name items by id; only those the reader may see are kept
/// (a published resource can link an organisation that has nothing published).
async fn facet_counts(
    ctx: &Context<'_>,
    kind: IndexKind,
    reader: &Reader,
    facets: Vec<(index::FacetName, Vec<index::FacetCount>)>,
) -> AppResult<Vec<FacetCounts>> {
    let st = state(ctx);
    let labels = ctx.look_ahead().field("facets").field("buckets").field("label").exists();
    let mut out = Vec::with_capacity(facets.len());
    for (name, mut counts) in facets {
        let facet = facet_of(name);
        let item_type = match facet {
            SearchFacet::Organization => Some(ContentType::Organization),
            SearchFacet::Programme => Some(ContentType::Programme),
            _ => None,
        };
        if let Some(ty) = item_type {
            let ids: Vec<i32> = counts.iter().filter_map(|c| c.value.parse().ok()).collect();
            let visible =
                crate::content::load::visible_ids(&st.db, ty, &ids, st.locales.codes(), kind.visibility()).await?;
            counts.retain(|c| c.value.parse::<i32>().is_ok_and(|id| visible.contains(&id)));
        }
        let taxonomy = match facet {
            SearchFacet::Region => Some(Taxonomy::Region),
            SearchFacet::Country => Some(Taxonomy::Country),
            SearchFacet::Topic => Some(Taxonomy::Topic),
            _ => None,
        };
        let terms = match taxonomy {
            Some(t) if labels && !counts.is_empty() => crate::content::load::taxonomy(&st.db, t).await?,
            _ => Vec::new(),
        };
        let titles = match item_type {
            Some(ty) if labels && !counts.is_empty() => {
                let ids: Vec<i32> = counts.iter().filter_map(|c| c.value.parse().ok()).collect();
                item_titles(ctx, ty, &ids, reader).await?
            }
            _ => Default::default(),
        };
        let buckets = counts
            .into_iter()
            .map(|c| {
                let label = match facet {
                    SearchFacet::Region | SearchFacet::Country | SearchFacet::Topic => {
                        terms.iter().find(|t| t.code == c.value).map(|t| t.label(&reader.chain).0.to_owned())
                    }
                    SearchFacet::Type | SearchFacet::Kind => {
                        crate::content::labels::label(&c.value, &reader.chain).map(str::to_owned)
                    }
                    SearchFacet::Language => Some(crate::locale::autonym(&c.value).to_owned()),
                    SearchFacet::Organization | SearchFacet::Programme => {
                        c.value.parse::<i32>().ok().and_then(|id| titles.get(&id).cloned())
                    }
                    // A year is its own label.
                    SearchFacet::Year => Some(c.value.clone()),
                };
                let value = match facet {
                    SearchFacet::Type | SearchFacet::Kind => c.value.to_ascii_uppercase(),
                    SearchFacet::Organization | SearchFacet::Programme => {
                        let ty = if facet == SearchFacet::Organization {
                            NodeType::Organization
                        } else {
                            NodeType::Programme
                        };
                        c.value.parse::<i32>().map(|id| ids::encode(ty, id).0).unwrap_or(c.value)
                    }
                    _ => c.value,
                };
                FacetBucket { value, count: i32::try_from(c.count).unwrap_or(i32::MAX), label }
            })
            .collect();
        out.push(FacetCounts { facet, buckets });
    }
    Ok(out)
}

/// The titles of items in the reader's language (batched through the request's loader).
async fn item_titles(
    ctx: &Context<'_>,
    ty: ContentType,
    ids: &[i32],
    reader: &Reader,
) -> AppResult<std::collections::HashMap<i32, String>> {
    let st = state(ctx);
    let keys = ids.iter().map(|&id| TranslationsOf(ty, id, reader.visibility));
    let found = loader(ctx).load_many(keys).await.map_err(AppError::internal)?;
    let order = crate::content::localize::item_order(&reader.chain, st.locales.default_code(), st.locales.codes());
    Ok(found
        .into_iter()
        .filter_map(|(key, translations)| {
            crate::content::localize::localize(translations, &order, st.locales.codes())
                .map(|l| (key.1, l.title().to_owned()))
        })
        .collect())
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Full-text search over published content in every configured language (or `locales`),
    /// one hit per item in the reader's best language (`locale`, else Accept-Language).
    #[graphql(complexity = "page_complexity(first, None, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the reader typed; any text.")] query: String,
        locale: Option<String>,
        #[graphql(desc = "Search only these languages.")] locales: Option<Vec<String>>,
        filter: Option<SearchFilter>,
        facets: Option<Vec<SearchFacet>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SearchResults> {
        run(ctx, IndexKind::Public, Args { query, locale, locales, filter, facets, first, after }).await
    }

    /// The same over working copies (drafts, in review, published): for callers allowed to
    /// read drafts only.
    #[graphql(complexity = "page_complexity(first, None, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn search_drafts(
        &self,
        ctx: &Context<'_>,
        query: String,
        locale: Option<String>,
        locales: Option<Vec<String>>,
        filter: Option<SearchFilter>,
        facets: Option<Vec<SearchFacet>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SearchResults> {
        run(ctx, IndexKind::Drafts, Args { query, locale, locales, filter, facets, first, after }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(9)).unwrap(), 10);
        for bad in ["", "!!", "c2VhcmNoOng", &URL_SAFE_NO_PAD.encode("search:-1")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
