//! Data loaders: every relation a page of items touches is fetched in one batched statement, so
//! the number of statements of a query does not grow with its page size.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chorus_entities as e;
use sea_orm::DatabaseConnection;

use crate::content::query::TextFields;
use crate::content::reference::Snapshot;
use crate::content::{Body, ContentType, Term, Translation, Visibility, load};
use crate::error::{AppError, AppResult};

/// Batches loads for one request.
pub struct ContentLoader {
    db: DatabaseConnection,
    locales: Arc<[String]>,
    /// Terms, organisations and programmes as this process last read them (public reads only).
    reference: Arc<Snapshot>,
}

/// The cache hashes its keys (ids and configured tags, at most a few pages' worth per request) with
/// FxHash: std's SipHash, built against floods of colliding keys, was 1.4 % of the samples of a
/// PostgreSQL server reading lists (`docs/BENCHMARKS.md`), the loader's share of it.
pub type Loaders = DataLoader<ContentLoader, HashMapCache<rustc_hash::FxBuildHasher>>;

/// A per-request loader with a per-request cache: list resolvers prefetch relations in batches
/// (see `connection::Item::prefetch`), and per-node resolvers then read them from the cache, so
/// the statement count does not depend on how fast sibling nodes resolve.
///
/// Batching is explicit (prefetch calls `load_many` with every key of a page), so a load is
/// dispatched at once (`max_batch_size(1)`) instead of waiting for the loader's timer window.
///
/// Terms, organisations and programmes come from `reference` (the process's snapshot, taken once
/// per request) when it has them; anything else, and every preview, from the database.
pub fn loaders(db: DatabaseConnection, configured: &[String], reference: Arc<Snapshot>) -> Loaders {
    DataLoader::with_cache(
        ContentLoader { db, locales: configured.into(), reference },
        tokio::spawn,
        HashMapCache::<rustc_hash::FxBuildHasher>::new(),
    )
    .max_batch_size(1)
}

/// A base row of type `M` by id.
pub struct ById<M>(pub i32, PhantomData<fn() -> M>);

impl<M> ById<M> {
    pub fn new(id: i32) -> Self {
        ById(id, PhantomData)
    }
}

impl<M> Clone for ById<M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M> Copy for ById<M> {}
impl<M> PartialEq for ById<M> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<M> Eq for ById<M> {}
impl<M> std::hash::Hash for ById<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

/// A base table row type that can be fetched by id in one statement.
pub trait BaseModel: sea_orm::FromQueryResult + Send + Sync + 'static {
    fn fetch(db: &DatabaseConnection, ids: &[i32]) -> impl Future<Output = AppResult<HashMap<i32, Self>>> + Send
    where
        Self: Sized;

    /// The locale the item was written in.
    fn source_locale(&self) -> &str;

    /// The row from the reference snapshot, for the types it holds.
    fn cached(_snapshot: &Snapshot, _id: i32) -> Option<Arc<Self>>
    where
        Self: Sized,
    {
        None
    }
}

macro_rules! base_model {
    ($m:ident, $fetch:ident $(, $snapshot:ident)?) => {
        impl BaseModel for e::$m::Model {
            async fn fetch(db: &DatabaseConnection, ids: &[i32]) -> AppResult<HashMap<i32, Self>> {
                load::$fetch(db, ids).await
            }
            fn source_locale(&self) -> &str {
                &self.source_locale
            }
            $(
                fn cached(snapshot: &Snapshot, id: i32) -> Option<Arc<Self>> {
                    snapshot.$snapshot.get(&id).cloned()
                }
            )?
        }
    };
}
base_model!(resources, resources);
base_model!(good_practices, good_practices);
base_model!(organizations, organizations, organizations);
base_model!(programmes, programmes, programmes);

impl<M: BaseModel> Loader<ById<M>> for ContentLoader {
    type Value = Arc<M>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ById<M>]) -> Result<HashMap<ById<M>, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        for k in keys {
            match M::cached(&self.reference, k.0) {
                Some(m) => {
                    out.insert(*k, m);
                }
                None => missing.push(k.0),
            }
        }
        if !missing.is_empty() {
            let rows = M::fetch(&self.db, &missing).await.map_err(Arc::new)?;
            out.extend(rows.into_iter().map(|(id, m)| (ById::new(id), Arc::new(m))));
        }
        Ok(out)
    }
}

/// The visible translations of an item, in configured locale order.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct TranslationsOf(pub ContentType, pub i32, pub Visibility);

/// The visible translations of an item in the locales of a reader's chain (or more: a superset
/// localises the same), in configured locale order, with at least the optional fields given (a
/// page reads only those its selection has: `query::Versions`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TextsOf(pub ContentType, pub i32, pub Visibility, pub Chain, pub TextFields);

/// A request's locale chain (configured codes, best first).
pub type Chain = Arc<[String]>;

/// The visible bodies of an item.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct BodiesOf(pub ContentType, pub i32, pub Visibility);

/// Splits keys into one group per (type, visibility), each loaded in one statement.
fn groups<K>(
    keys: &[K],
    parts: impl Fn(&K) -> (ContentType, i32, Visibility),
) -> Vec<(ContentType, Visibility, Vec<i32>)> {
    let mut out: Vec<(ContentType, Visibility, Vec<i32>)> = Vec::new();
    for k in keys {
        let (ty, id, vis) = parts(k);
        match out.iter_mut().find(|(t, v, _)| *t == ty && *v == vis) {
            Some((_, _, ids)) => ids.push(id),
            None => out.push((ty, vis, vec![id])),
        }
    }
    out
}

impl Loader<TranslationsOf> for ContentLoader {
    type Value = Arc<[Translation]>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TranslationsOf]) -> Result<HashMap<TranslationsOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (ty, vis, mut ids) in groups(keys, |k| (k.0, k.1, k.2)) {
            if vis == Visibility::Public {
                ids.retain(|&id| match self.reference.texts(ty, id) {
                    Some(texts) => {
                        out.insert(TranslationsOf(ty, id, vis), texts);
                        false
                    }
                    None => true,
                });
                if ids.is_empty() {
                    continue;
                }
            }
            let mut rows = load::translations(&self.db, ty, &ids, &self.locales, vis).await.map_err(Arc::new)?;
            // Every key gets an entry, empty ones included, so that the cache answers misses too.
            for id in ids {
                let mut list = rows.remove(&id).unwrap_or_default();
                list.sort_by_key(|t| self.locales.iter().position(|l| *l == t.locale));
                out.insert(TranslationsOf(ty, id, vis), list.into());
            }
        }
        Ok(out)
    }
}

impl Loader<TextsOf> for ContentLoader {
    type Value = Arc<[Translation]>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TextsOf]) -> Result<HashMap<TextsOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        // One statement per (type, visibility, chain), reading every field (what any key asks).
        let mut groups: HashMap<(ContentType, Visibility, Chain), Vec<&TextsOf>> = HashMap::new();
        for k in keys {
            if k.2 == Visibility::Public
                && let Some(texts) = self.reference.texts(k.0, k.1)
            {
                out.insert(k.clone(), texts);
                continue;
            }
            groups.entry((k.0, k.2, k.3.clone())).or_default().push(k);
        }
        for ((ty, vis, chain), keys) in groups {
            let mut ids: Vec<i32> = keys.iter().map(|k| k.1).collect();
            ids.sort_unstable();
            ids.dedup();
            let mut rows = load::texts(&self.db, ty, &ids, &chain, vis).await.map_err(Arc::new)?;
            let mut lists: HashMap<i32, Arc<[Translation]>> = HashMap::with_capacity(ids.len());
            for id in ids {
                let mut list = rows.remove(&id).unwrap_or_default();
                list.sort_by_key(|t| self.locales.iter().position(|l| *l == t.locale));
                lists.insert(id, list.into());
            }
            for k in keys {
                if let Some(list) = lists.get(&k.1) {
                    out.insert(k.clone(), list.clone());
                }
            }
        }
        Ok(out)
    }
}

impl Loader<BodiesOf> for ContentLoader {
    type Value = Arc<[Body]>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[BodiesOf]) -> Result<HashMap<BodiesOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (ty, vis, ids) in groups(keys, |k| (k.0, k.1, k.2)) {
            let mut rows = load::bodies(&self.db, ty, &ids, &self.locales, vis).await.map_err(Arc::new)?;
            for id in ids {
                out.insert(BodiesOf(ty, id, vis), rows.remove(&id).unwrap_or_default().into());
            }
        }
        Ok(out)
    }
}

/// The documents of an item visible to the request.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct DocumentsOf(pub ContentType, pub i32, pub Visibility);

impl Loader<DocumentsOf> for ContentLoader {
    type Value = Arc<[crate::content::documents::Document]>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[DocumentsOf]) -> Result<HashMap<DocumentsOf, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        for (ty, vis, ids) in groups(keys, |k| (k.0, k.1, k.2)) {
            let mut rows = crate::content::documents::for_items(&self.db, ty, &ids, vis).await.map_err(Arc::new)?;
            for id in ids {
                out.insert(DocumentsOf(ty, id, vis), rows.remove(&id).unwrap_or_default().into());
            }
        }
        Ok(out)
    }
}

/// A taxonomy term with its labels.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct TermKey(pub i32);

impl Loader<TermKey> for ContentLoader {
    type Value = Arc<Term>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TermKey]) -> Result<HashMap<TermKey, Self::Value>, Self::Error> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        for k in keys {
            match self.reference.terms.get(&k.0) {
                Some(t) => {
                    out.insert(*k, t.clone());
                }
                None => missing.push(k.0),
            }
        }
        if !missing.is_empty() {
            let terms = load::terms(&self.db, &missing).await.map_err(Arc::new)?;
            out.extend(terms.into_iter().map(|(id, t)| (TermKey(id), Arc::new(t))));
        }
        Ok(out)
    }
}

macro_rules! link_loader {
    ($(#[$doc:meta])* $key:ident, $value:ty, $fetch:ident) => {
        $(#[$doc])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash)]
        pub struct $key(pub i32);

        impl Loader<$key> for ContentLoader {
            type Value = Arc<[$value]>;
            type Error = Arc<AppError>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
                let mut rows = load::$fetch(&self.db, &ids).await.map_err(Arc::new)?;
                // Every key gets an entry, empty ones included, so that the cache answers misses too.
                Ok(ids.into_iter().map(|id| ($key(id), rows.remove(&id).unwrap_or_default().into())).collect())
            }
        }
    };
}
link_loader!(
    /// Term ids of a resource.
    ResourceTerms, i32, resource_terms
);
link_loader!(
    /// (organisation id, role) pairs of a resource.
    ResourceOrganizations, (i32, e::OrganizationRole), resource_organizations
);
link_loader!(
    /// Topic term ids of a good-practice example.
    GoodPracticeTopics, i32, good_practice_topics
);
link_loader!(
    /// Funder organisation ids of a programme.
    ProgrammeFunders, i32, programme_funders
);
link_loader!(
    /// Member organisation ids of an organisation.
    OrganizationMembers, i32, organization_members
);
link_loader!(
    /// Child term ids of a term (the countries of a region).
    TermChildren, i32, term_children
);
