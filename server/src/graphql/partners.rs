//! Partner keys for embedded search (admins): create, list, change, rotate, revoke, and their
//! use per day. The service is `crate::partners`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::admin::require;
use super::error::IntoGql;
use super::ids::{self, NodeType};
use super::state;
use crate::auth::policy::Action;
use crate::error::AppError;
use crate::partners::{self, KeySettings, KeyState};
use crate::write::Actor;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PartnerKeyState {
    Active,
    Expired,
    Revoked,
}

/// A partner key (never its value, which is shown once, when created or rotated).
pub struct PartnerKey(partners::PartnerKey);

#[Object]
impl PartnerKey {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Who the key is for.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// `pk_` and the next 8 characters of the key, to recognise it.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// The sites the key may be used from (`https://partner.example`).
    async fn origins(&self) -> &[String] {
        &self.0.origins
    }
    /// The languages searches with the key may find (empty: every configured one).
    async fn locales(&self) -> &[String] {
        &self.0.scope.locales
    }
    /// Region codes (empty: any).
    async fn regions(&self) -> &[String] {
        &self.0.scope.regions
    }
    /// `ResourceKind` and `OrganizationKind` names (empty: any).
    async fn kinds(&self) -> Vec<String> {
        self.0.scope.kinds.iter().map(|k| k.to_ascii_uppercase()).collect()
    }
    /// Topic codes (empty: any).
    async fn topics(&self) -> &[String] {
        &self.0.scope.topics
    }
    /// Programmes (empty: any).
    async fn programmes(&self) -> Vec<ID> {
        self.0
            .scope
            .programmes
            .iter()
            .filter_map(|p| i32::try_from(*p).ok())
            .map(|p| ids::encode(NodeType::Programme, p))
            .collect()
    }
    /// Requests per minute (a token bucket per server process).
    async fn rate_per_minute(&self) -> i32 {
        self.0.rate_per_minute as i32
    }
    /// Requests allowed at once after a quiet spell.
    async fn burst(&self) -> i32 {
        self.0.burst as i32
    }
    async fn state(&self) -> PartnerKeyState {
        match self.0.state(Utc::now()) {
            KeyState::Active => PartnerKeyState::Active,
            KeyState::Expired => PartnerKeyState::Expired,
            KeyState::Revoked => PartnerKeyState::Revoked,
        }
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn rotated_at(&self) -> Option<DateTime<Utc>> {
        self.0.rotated_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Use per UTC day, newest first (counts only: no query or reader address is kept).
    async fn usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] days: i32,
    ) -> async_graphql::Result<Vec<PartnerKeyUsage>> {
        if !(1..=366).contains(&days) {
            return Err(AppError::bad_input("days: between 1 and 366")).gql();
        }
        let st = state(ctx);
        // This process's counts first, so that what it served shows at once.
        st.partners.flush(&st.db).await.gql()?;
        let rows = partners::usage(&st.db, self.0.id, days as u64).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|u| PartnerKeyUsage {
                day: u.day,
                requests: u.requests as f64,
                zero_results: u.zero_results as f64,
                rate_limited: u.rate_limited as f64,
            })
            .collect())
    }
}

/// One day's use of a key.
#[derive(SimpleObject)]
pub struct PartnerKeyUsage {
    /// `YYYY-MM-DD` (UTC).
    day: String,
    /// Requests answered (searches and frames), cached ones included.
    requests: f64,
    /// Searches that found nothing.
    zero_results: f64,
    /// Requests refused by the rate limit.
    rate_limited: f64,
}

/// A key with its value: give the value to the partner now, it is not shown again.
#[derive(SimpleObject)]
pub struct CreatedPartnerKey {
    partner_key: PartnerKey,
    key: String,
}

/// A key's settings; on a change, fields left out are kept.
#[derive(InputObject, Default)]
pub struct PartnerKeyInput {
    description: Option<String>,
    /// Sites the key may be used from: `https://partner.example` (scheme, host, port).
    origins: Option<Vec<String>>,
    /// Languages searches may find (empty: all).
    locales: Option<Vec<String>>,
    regions: Option<Vec<String>>,
    /// `ResourceKind` or `OrganizationKind` names.
    kinds: Option<Vec<String>>,
    topics: Option<Vec<String>>,
    programmes: Option<Vec<ID>>,
    rate_per_minute: Option<i32>,
    burst: Option<i32>,
    expires_at: Option<DateTime<Utc>>,
    /// Removes the expiry (on a change).
    #[graphql(default = false)]
    never_expires: bool,
}

impl PartnerKeyInput {
    fn into_settings(self) -> Result<KeySettings, AppError> {
        let count = |n: Option<i32>, name: &str| -> Result<Option<u32>, AppError> {
            n.map(|n| u32::try_from(n).map_err(|_| AppError::bad_input(format!("{name}: a positive number"))))
                .transpose()
        };
        let programmes = self
            .programmes
            .map(|list| list.iter().map(|id| ids::decode_as(id, NodeType::Programme).map(i64::from)).collect())
            .transpose()?;
        Ok(KeySettings {
            description: self.description,
            origins: self.origins,
            locales: self.locales,
            regions: self.regions,
            kinds: self.kinds,
            topics: self.topics,
            programmes,
            rate_per_minute: count(self.rate_per_minute, "ratePerMinute")?,
            burst: count(self.burst, "burst")?,
            expires_at: if self.never_expires { Some(None) } else { self.expires_at.map(Some) },
        })
    }
}

fn key_id(id: &ID) -> Result<i32, AppError> {
    id.parse().map_err(|_| AppError::bad_input("id: a partner key id"))
}

#[derive(Default)]
pub struct PartnerKeyQuery;

#[Object]
impl PartnerKeyQuery {
    /// Every partner key, oldest first (admins).
    async fn partner_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PartnerKey>> {
        require(ctx, Action::ManagePartnerKeys).gql()?;
        Ok(partners::list(&state(ctx).db).await.gql()?.into_iter().map(PartnerKey).collect())
    }

    /// One partner key (admins).
    async fn partner_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<PartnerKey> {
        require(ctx, Action::ManagePartnerKeys).gql()?;
        Ok(PartnerKey(partners::get(&state(ctx).db, key_id(&id).gql()?).await.gql()?))
    }
}

#[derive(Default)]
pub struct PartnerKeyMutation;

#[Object]
impl PartnerKeyMutation {
    /// Creates a partner key (admins); its value is returned this once.
    async fn create_partner_key(
        &self,
        ctx: &Context<'_>,
        input: PartnerKeyInput,
    ) -> async_graphql::Result<CreatedPartnerKey> {
        let who = require(ctx, Action::ManagePartnerKeys).gql()?;
        let st = state(ctx);
        let (key, value) =
            partners::create(&st.db, &st.locales, &st.config.embed, Actor::from(who), input.into_settings().gql()?)
                .await
                .gql()?;
        st.partners.forget();
        Ok(CreatedPartnerKey { partner_key: PartnerKey(key), key: value })
    }

    /// Changes a key's description, origins, scope, rate or expiry (admins).
    async fn update_partner_key(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PartnerKeyInput,
    ) -> async_graphql::Result<PartnerKey> {
        let who = require(ctx, Action::ManagePartnerKeys).gql()?;
        let st = state(ctx);
        let settings = input.into_settings().gql()?;
        let key =
            partners::update(&st.db, &st.locales, &st.config.embed, Actor::from(who), key_id(&id).gql()?, settings)
                .await
                .gql()?;
        st.partners.forget();
        Ok(PartnerKey(key))
    }

    /// Gives a key a new value (admins); the old value stops working. The new one is returned
    /// this once.
    async fn rotate_partner_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CreatedPartnerKey> {
        let who = require(ctx, Action::ManagePartnerKeys).gql()?;
        let st = state(ctx);
        let (key, value) = partners::rotate(&st.db, Actor::from(who), key_id(&id).gql()?).await.gql()?;
        st.partners.forget();
        Ok(CreatedPartnerKey { partner_key: PartnerKey(key), key: value })
    }

    /// Revokes a key for good (admins).
    async fn revoke_partner_key(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<PartnerKey> {
        let who = require(ctx, Action::ManagePartnerKeys).gql()?;
        let st = state(ctx);
        let key = partners::revoke(&st.db, Actor::from(who), key_id(&id).gql()?).await.gql()?;
        st.partners.forget();
        Ok(PartnerKey(key))
    }
}
