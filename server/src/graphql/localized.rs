//! The localisation fields every localised object exposes, flattened into each type:
//! `locale`, `requestedLocale`, `isFallback`, `availableLocales`, `translations`, `alternates`,
//! and the localised text itself, each field falling back along the chain independently.

use std::sync::Arc;

use async_graphql::{Context, Enum, Object, SimpleObject, Value};
use chorus_entities::PublicationStatus;
use chrono::{DateTime, Utc};

use super::error::IntoGql;
use super::loaders::{BodiesOf, DocumentsOf, TranslationsOf};
use super::state;
use crate::content::ContentType;
use crate::content::Reader;
use crate::content::localize::{Localized, item_order, localize, pick_body};
use crate::error::AppError;

/// The editorial state of one locale version.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum TranslationStatus {
    Draft,
    InReview,
    Published,
    Archived,
}

impl From<PublicationStatus> for TranslationStatus {
    fn from(s: PublicationStatus) -> Self {
        match s {
            PublicationStatus::Draft => TranslationStatus::Draft,
            PublicationStatus::InReview => TranslationStatus::InReview,
            PublicationStatus::Published => TranslationStatus::Published,
            PublicationStatus::Archived => TranslationStatus::Archived,
        }
    }
}

impl From<TranslationStatus> for PublicationStatus {
    fn from(s: TranslationStatus) -> Self {
        match s {
            TranslationStatus::Draft => PublicationStatus::Draft,
            TranslationStatus::InReview => PublicationStatus::InReview,
            TranslationStatus::Published => PublicationStatus::Published,
            TranslationStatus::Archived => PublicationStatus::Archived,
        }
    }
}

/// One locale version of an item.
#[derive(SimpleObject)]
pub struct TranslationInfo {
    pub locale: String,
    pub status: TranslationStatus,
    pub updated_at: DateTime<Utc>,
}

/// A link to the same item in another locale, for `hreflang` alternates.
#[derive(SimpleObject)]
pub struct Alternate {
    pub locale: String,
    pub slug: String,
}

/// The localised view of one item for one request.
pub struct LocalizedFields {
    ty: ContentType,
    id: i32,
    localized: Localized,
    request: Arc<Reader>,
    is_fallback: bool,
    key: BodiesOf,
    /// The item's locale order (`item_order`: indices into the configured locales), for `body`.
    order: Vec<usize>,
}

impl LocalizedFields {
    /// Localises an item for the request from `texts`, its versions that the request's chain
    /// needs (`connection::load_texts`); `None` when none of them is in a configured locale.
    pub fn new(
        ty: ContentType,
        id: i32,
        source_locale: &str,
        texts: Arc<[crate::content::Translation]>,
        request: &Arc<Reader>,
        locales: &crate::locale::Locales,
    ) -> Option<LocalizedFields> {
        let order = item_order(&request.chain, source_locale, locales.codes());
        let localized = localize(texts, &order, locales.codes())?;
        let is_fallback = locales.is_fallback(request, localized.locale());
        Some(LocalizedFields {
            ty,
            id,
            localized,
            request: request.clone(),
            is_fallback,
            key: BodiesOf(ty, id, request.visibility),
            order,
        })
    }
}

impl super::plain::PlainFields for LocalizedFields {
    fn plain_field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "locale" => Value::String(self.localized.locale().to_owned()),
            "requestedLocale" => Value::String(self.request.requested.clone()),
            "isFallback" => Value::Boolean(self.is_fallback),
            "title" => Value::String(self.localized.title().to_owned()),
            "summary" => Value::String(self.localized.summary().to_owned()),
            "slug" => Value::String(self.localized.slug().to_owned()),
            _ => return None,
        })
    }
}

impl LocalizedFields {
    /// Every visible version of the item (prefetched for a page when these fields are selected).
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Arc<[crate::content::Translation]>> {
        super::connection::links(ctx, TranslationsOf(self.ty, self.id, self.request.visibility)).await
    }
}

#[Object]
impl LocalizedFields {
    /// The locale this object was served in (the locale of its title).
    async fn locale(&self) -> &str {
        self.localized.locale()
    }

    /// The canonical form of the locale the client asked for.
    async fn requested_locale(&self) -> &str {
        &self.request.requested
    }

    /// True when the served locale is not the requested one (nor a less specific form of it).
    async fn is_fallback(&self) -> bool {
        self.is_fallback
    }

    /// Locales this item is published in, in configured order.
    async fn available_locales(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(self.versions(ctx).await?.iter().map(|t| t.locale.clone()).collect())
    }

    /// The item's locale versions visible to the caller (published ones, on the public API).
    async fn translations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TranslationInfo>> {
        Ok(self
            .versions(ctx)
            .await?
            .iter()
            .map(|t| TranslationInfo { locale: t.locale.clone(), status: t.status.into(), updated_at: t.updated_at })
            .collect())
    }

    /// The slug of each published locale version, for `hreflang` links.
    async fn alternates(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Alternate>> {
        Ok(self
            .versions(ctx)
            .await?
            .iter()
            .map(|t| Alternate { locale: t.locale.clone(), slug: t.slug.clone() })
            .collect())
    }

    async fn title(&self) -> &str {
        self.localized.title()
    }

    /// Plain text.
    async fn summary(&self) -> &str {
        self.localized.summary()
    }

    /// Sanitised HTML.
    async fn body(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let bodies = super::connection::links(ctx, self.key).await?;
        Ok(pick_body(&bodies, &self.order, state(ctx).locales.codes()).to_owned())
    }

    /// The item's documents (one PDF per language...) visible to the caller, in configured
    /// locale order: those of a published version's language, and those of languages the item
    /// has no version in when its source version is published. `locale` keeps one language's.
    async fn documents(
        &self,
        ctx: &Context<'_>,
        locale: Option<String>,
    ) -> async_graphql::Result<Vec<super::documents::Document>> {
        let locales = &state(ctx).locales;
        let only = match locale {
            Some(raw) => Some(
                locales
                    .configured_code(&raw)
                    .map_err(|e| AppError::bad_input(format!("locale: {e}")))
                    .gql()?
                    .to_owned(),
            ),
            None => None,
        };
        let docs = super::connection::links(ctx, DocumentsOf(self.ty, self.id, self.request.visibility)).await?;
        let mut out: Vec<_> = docs.iter().filter(|d| only.as_ref().is_none_or(|l| *l == d.locale)).cloned().collect();
        out.sort_by_key(|d| (locales.codes().iter().position(|l| *l == d.locale), d.id));
        Ok(out.into_iter().map(super::documents::Document).collect())
    }

    /// The slug in the served locale.
    async fn slug(&self) -> &str {
        self.localized.slug()
    }
}
