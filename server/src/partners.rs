//! Partner keys: what a partner site's embedded search may find, from which sites, how fast.
//!
//! Admins create, list, change, rotate and revoke keys (GraphQL and `chorus partner-key`); a key
//! is shown once and stored as SHA-256. Each key carries:
//! - the origins it may be used from (`https://partner.example`: scheme, host and port; never a
//!   wildcard);
//! - a scope applied by the server to every search made with it (locales, regions, kinds,
//!   topics, programmes; an empty list leaves that dimension open): a request can narrow it,
//!   never widen it;
//! - an expiry, and a rate: a token bucket of `burst` requests refilled at `rate_per_minute`.
//!   **The bucket lives in each server process**: behind N processes a partner gets up to N
//!   times the rate.
//!
//! A search key authenticates nothing but the public search endpoint and the frame
//! (`http::embed`); GraphQL never reads it. Use is counted per key and UTC day (requests,
//! searches that found nothing, requests refused by the rate limit) in memory and added to the
//! database every `embed.usage_flush_seconds`, before usage is read, and at shutdown: no query
//! and no reader address is ever stored.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use chorus_entities::{OrganizationKind, ResourceKind, Taxonomy, partner_key_usage as usage, partner_keys as keys};
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::auth::{new_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::locale::Locales;
use crate::write::{Actor, Write};

/// The prefix of every partner key.
pub const KEY_PREFIX: &str = "pk_";
/// Origins a key may list.
pub const MAX_ORIGINS: usize = 20;
/// Values of one scope dimension.
pub const MAX_SCOPE_VALUES: usize = 100;
/// Values remembered by one process (keys or not) before the ones that are no key are dropped.
const MAX_REMEMBERED: usize = 10_000;

/// What searches made with a key may find; an empty list leaves its dimension open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Configured locale codes.
    pub locales: Vec<String>,
    /// Region codes.
    pub regions: Vec<String>,
    /// Kinds as the index holds them (`report`, `network`...).
    pub kinds: Vec<String>,
    /// Topic codes.
    pub topics: Vec<String>,
    /// Programme ids.
    pub programmes: Vec<i64>,
}

impl Scope {
    /// The values a request may use on one dimension: those it asks for that the scope allows
    /// (`None` when it asks only for values outside the scope: nothing can match), or the scope
    /// itself when it asks for none. An open dimension takes what is asked.
    pub fn narrow<T: PartialEq + Clone>(allowed: &[T], asked: Vec<T>) -> Option<Vec<T>> {
        if allowed.is_empty() {
            return Some(asked);
        }
        if asked.is_empty() {
            return Some(allowed.to_vec());
        }
        let kept: Vec<T> = asked.into_iter().filter(|v| allowed.contains(v)).collect();
        (!kept.is_empty()).then_some(kept)
    }

    fn join<T: ToString>(values: &[T]) -> String {
        values.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }

    fn split(stored: &str) -> Vec<String> {
        stored.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }

    fn from_model(m: &keys::Model) -> Scope {
        Scope {
            locales: Scope::split(&m.locales),
            regions: Scope::split(&m.regions),
            kinds: Scope::split(&m.kinds),
            topics: Scope::split(&m.topics),
            programmes: Scope::split(&m.programmes).iter().filter_map(|p| p.parse().ok()).collect(),
        }
    }
}

/// A key's scope as GraphQL request data: only the public search endpoint and the frame put it
/// there (`http::embed`), and `search` narrows its filters and languages to it.
#[derive(Clone, Debug)]
pub struct SearchScope(pub Scope);

impl SearchScope {
    /// Narrows a search's languages and filter to the scope; false when nothing in the scope
    /// can match what was asked (the caller then finds nothing).
    pub fn apply(&self, locales: &mut Vec<String>, filter: &mut chorus_search_index::SearchFilter) -> bool {
        let s = &self.0;
        let narrowed = (|| {
            *locales = Scope::narrow(&s.locales, std::mem::take(locales))?;
            filter.regions = Scope::narrow(&s.regions, std::mem::take(&mut filter.regions))?;
            filter.kinds = Scope::narrow(&s.kinds, std::mem::take(&mut filter.kinds))?;
            filter.topics = Scope::narrow(&s.topics, std::mem::take(&mut filter.topics))?;
            filter.programmes = Scope::narrow(&s.programmes, std::mem::take(&mut filter.programmes))?;
            Some(())
        })();
        narrowed.is_some()
    }
}

/// Whether a kind value (`report`) is a resource kind (else an organisation kind).
pub fn is_resource_kind(value: &str) -> bool {
    use sea_orm::Iterable;
    ResourceKind::iter().any(|k| k.to_value() == value)
}

/// Where a key stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Expired,
    Revoked,
}

/// A partner key as admins see it (never its value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerKey {
    pub id: i32,
    pub description: String,
    /// `pk_` and the next 8 characters of the key.
    pub prefix: String,
    pub origins: Vec<String>,
    pub scope: Scope,
    pub rate_per_minute: u32,
    pub burst: u32,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl PartnerKey {
    fn from_model(m: &keys::Model) -> PartnerKey {
        PartnerKey {
            id: m.id,
            description: m.description.clone(),
            prefix: m.key_prefix.clone(),
            origins: m.origins.lines().map(str::to_owned).filter(|o| !o.is_empty()).collect(),
            scope: Scope::from_model(m),
            rate_per_minute: m.rate_per_minute.max(1) as u32,
            burst: m.burst.max(1) as u32,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            rotated_at: m.rotated_at,
            created_at: m.created_at,
        }
    }

    pub fn state(&self, now: DateTime<Utc>) -> KeyState {
        if self.revoked_at.is_some() {
            KeyState::Revoked
        } else if self.expires_at.is_some_and(|e| e <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

/// What a key is given or changed to; `None` keeps (or, at creation, defaults) a value.
#[derive(Clone, Debug, Default)]
pub struct KeySettings {
    pub description: Option<String>,
    pub origins: Option<Vec<String>>,
    /// Locale tags, region and topic codes, kinds (`REPORT` or `report`), programme ids.
    pub locales: Option<Vec<String>>,
    pub regions: Option<Vec<String>>,
    pub kinds: Option<Vec<String>>,
    pub topics: Option<Vec<String>>,
    pub programmes: Option<Vec<i64>>,
    pub rate_per_minute: Option<u32>,
    pub burst: Option<u32>,
    /// `Some(None)` removes the expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

/// One key's use on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayUsage {
    pub day: String,
    pub requests: i64,
    pub zero_results: i64,
    pub rate_limited: i64,
}

/// The canonical form of an allowed origin, as browsers send it in `Origin`: `scheme://host`
/// with the port only when it is not the scheme's default, the host lower-cased and in
/// punycode. Paths, queries, credentials and wildcards are refused.
pub fn normalize_origin(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.contains('*') {
        return Err(format!("{raw}: wildcards are not allowed; list each site"));
    }
    let url = reqwest::Url::parse(raw).map_err(|_| format!("{raw}: not an origin (https://site.example)"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{raw}: only http and https origins"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{raw}: an origin has no credentials"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{raw}: an origin has no path, query or fragment"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{raw}: no host"));
    }
    Ok(url.origin().ascii_serialization())
}

/// Every kind as the index holds it: resource kinds, then organisation kinds.
static KINDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    use sea_orm::Iterable;
    ResourceKind::iter().map(|k| k.to_value()).chain(OrganizationKind::iter().map(|k| k.to_value())).collect()
});

/// A kind as the index holds it, from a GraphQL enum name (`REPORT`) or a stored value.
pub fn kind_value(raw: &str) -> Option<String> {
    let v = raw.trim().to_ascii_lowercase();
    KINDS.contains(&v).then_some(v)
}

/// Checks and stores the settings on a key being created (`current` is `None`) or changed.
async fn apply_settings(
    db: &impl sea_orm::ConnectionTrait,
    locales: &Locales,
    defaults: &crate::config::EmbedConfig,
    model: &mut keys::ActiveModel,
    current: Option<&keys::Model>,
    s: KeySettings,
) -> AppResult<()> {
    fn bad(m: impl Into<String>) -> AppError {
        AppError::bad_input(m)
    }
    if let Some(d) = s.description {
        let d = d.trim();
        if d.is_empty() || d.chars().count() > 200 {
            return Err(bad("description: between 1 and 200 characters"));
        }
        model.description = Set(d.to_owned());
    } else if current.is_none() {
        return Err(bad("description: required (who the key is for)"));
    }
    if let Some(origins) = s.origins {
        if origins.is_empty() || origins.len() > MAX_ORIGINS {
            return Err(bad(format!("origins: between 1 and {MAX_ORIGINS} sites the key may be used from")));
        }
        let mut out: Vec<String> = Vec::new();
        for o in &origins {
            let o = normalize_origin(o).map_err(|e| bad(format!("origins: {e}")))?;
            if !out.contains(&o) {
                out.push(o);
            }
        }
        model.origins = Set(out.join("\n"));
    } else if current.is_none() {
        return Err(bad("origins: at least one site the key may be used from (https://partner.example)"));
    }
    let count = |name: &str, n: usize| {
        if n > MAX_SCOPE_VALUES { Err(bad(format!("{name}: at most {MAX_SCOPE_VALUES} values"))) } else { Ok(()) }
    };
    if let Some(list) = s.locales {
        count("locales", list.len())?;
        let mut codes = Vec::new();
        for raw in &list {
            let code = locales.configured_code(raw).map_err(|e| bad(format!("locales: {e}")))?;
            if !codes.iter().any(|c: &String| c == code) {
                codes.push(code.to_owned());
            }
        }
        model.locales = Set(Scope::join(&codes));
    } else if current.is_none() {
        model.locales = Set(String::new());
    }
    for (name, taxonomy, list, column) in [
        ("regions", Taxonomy::Region, s.regions, &mut model.regions),
        ("topics", Taxonomy::Topic, s.topics, &mut model.topics),
    ] {
        if let Some(list) = list {
            count(name, list.len())?;
            let known: HashSet<String> =
                crate::content::load::taxonomy(db, taxonomy).await?.into_iter().map(|t| t.code).collect();
            for code in &list {
                if !known.contains(code) {
                    return Err(bad(format!(
                        "{name}: no {} `{}`",
                        taxonomy.to_value(),
                        crate::error::echo_input(code, 64)
                    )));
                }
            }
            *column = Set(Scope::join(&list));
        } else if current.is_none() {
            *column = Set(String::new());
        }
    }
    if let Some(list) = s.kinds {
        count("kinds", list.len())?;
        let values = list
            .iter()
            .map(|k| {
                kind_value(k).ok_or_else(|| {
                    bad(format!(
                        "kinds: `{}` is not a resource or organisation kind (e.g. {})",
                        crate::error::echo_input(k, 64),
                        ResourceKind::Report.to_value().to_ascii_uppercase()
                    ))
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        model.kinds = Set(Scope::join(&values));
    } else if current.is_none() {
        model.kinds = Set(String::new());
    }
    if let Some(list) = s.programmes {
        count("programmes", list.len())?;
        for id in &list {
            let found = i32::try_from(*id).ok().map(chorus_entities::programmes::Entity::find_by_id);
            let exists = match found {
                Some(q) => q.one(db).await?.is_some(),
                None => false,
            };
            if !exists {
                return Err(bad(format!("programmes: no programme {id}")));
            }
        }
        model.programmes = Set(Scope::join(&list));
    } else if current.is_none() {
        model.programmes = Set(String::new());
    }
    let rate = s.rate_per_minute.or(current.is_none().then_some(defaults.default_rate_per_minute));
    if let Some(rate) = rate {
        if !(1..=1_000_000).contains(&rate) {
            return Err(bad("ratePerMinute: between 1 and 1000000"));
        }
        model.rate_per_minute = Set(rate as i32);
    }
    let burst = s.burst.or(current.is_none().then_some(defaults.default_burst));
    if let Some(burst) = burst {
        if !(1..=100_000).contains(&burst) {
            return Err(bad("burst: between 1 and 100000"));
        }
        model.burst = Set(burst as i32);
    }
    if let Some(expires) = s.expires_at {
        if expires.is_some_and(|e| e <= Utc::now()) {
            return Err(bad("expiresAt: a time in the future"));
        }
        model.expires_at = Set(expires);
    } else if current.is_none() {
        model.expires_at = Set(None);
    }
    Ok(())
}

fn key_prefix(key: &str) -> String {
    key.chars().take(KEY_PREFIX.len() + 8).collect()
}

/// Creates a key; returns it with its value, shown this once.
pub async fn create(
    db: &DatabaseConnection,
    locales: &Locales,
    embed: &crate::config::EmbedConfig,
    by: Actor,
    settings: KeySettings,
) -> AppResult<(PartnerKey, String)> {
    let value = new_token(KEY_PREFIX)?;
    let w = Write::begin(db, by, &()).await?;
    let mut model = keys::ActiveModel {
        key_prefix: Set(key_prefix(&value)),
        key_hash: Set(token_hash(&value)),
        revoked_at: Set(None),
        rotated_at: Set(None),
        created_by: Set(w.actor().user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    apply_settings(w.txn(), locales, embed, &mut model, None, settings).await?;
    let model = model.insert(w.txn()).await?;
    w.audit("partner_key.create", "partner_key", model.id, None).await?;
    w.commit().await?;
    Ok((PartnerKey::from_model(&model), value))
}

async fn existing(txn: &impl sea_orm::ConnectionTrait, id: i32) -> AppResult<keys::Model> {
    keys::Entity::find_by_id(id).one(txn).await?.ok_or_else(|| AppError::NotFound(format!("no partner key {id}")))
}

/// Changes a key's description, origins, scope, rate or expiry (not its value).
pub async fn update(
    db: &DatabaseConnection,
    locales: &Locales,
    embed: &crate::config::EmbedConfig,
    by: Actor,
    id: i32,
    settings: KeySettings,
) -> AppResult<PartnerKey> {
    let w = Write::begin(db, by, &()).await?;
    let current = existing(w.txn(), id).await?;
    let mut model: keys::ActiveModel = current.clone().into();
    apply_settings(w.txn(), locales, embed, &mut model, Some(&current), settings).await?;
    let model = model.update(w.txn()).await?;
    w.audit("partner_key.update", "partner_key", id, None).await?;
    w.commit().await?;
    Ok(PartnerKey::from_model(&model))
}

/// Gives a key a new value; the old one stops working at once (in other processes within
/// `embed.key_refresh_seconds`). Returns the new value, shown this once.
pub async fn rotate(db: &DatabaseConnection, by: Actor, id: i32) -> AppResult<(PartnerKey, String)> {
    let w = Write::begin(db, by, &()).await?;
    let current = existing(w.txn(), id).await?;
    if current.revoked_at.is_some() {
        return Err(AppError::bad_input(format!("partner key {id} is revoked; create a new one")));
    }
    let value = new_token(KEY_PREFIX)?;
    let mut model: keys::ActiveModel = current.into();
    model.key_prefix = Set(key_prefix(&value));
    model.key_hash = Set(token_hash(&value));
    model.rotated_at = Set(Some(Utc::now()));
    let model = model.update(w.txn()).await?;
    w.audit("partner_key.rotate", "partner_key", id, None).await?;
    w.commit().await?;
    Ok((PartnerKey::from_model(&model), value))
}

/// Revokes a key for good.
pub async fn revoke(db: &DatabaseConnection, by: Actor, id: i32) -> AppResult<PartnerKey> {
    let w = Write::begin(db, by, &()).await?;
    let current = existing(w.txn(), id).await?;
    if current.revoked_at.is_some() {
        w.rollback().await?;
        return Ok(PartnerKey::from_model(&current));
    }
    let mut model: keys::ActiveModel = current.into();
    model.revoked_at = Set(Some(Utc::now()));
    let model = model.update(w.txn()).await?;
    w.audit("partner_key.revoke", "partner_key", id, None).await?;
    w.commit().await?;
    Ok(PartnerKey::from_model(&model))
}

/// Every key, oldest first.
pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<PartnerKey>> {
    let rows = keys::Entity::find().order_by_asc(keys::Column::Id).all(db).await?;
    Ok(rows.iter().map(PartnerKey::from_model).collect())
}

pub async fn get(db: &DatabaseConnection, id: i32) -> AppResult<PartnerKey> {
    Ok(PartnerKey::from_model(&existing(db, id).await?))
}

/// A key's use over its last `days` days with any use, newest first.
pub async fn usage(db: &DatabaseConnection, id: i32, days: u64) -> AppResult<Vec<DayUsage>> {
    use sea_orm::QuerySelect;
    existing(db, id).await?;
    let rows = usage::Entity::find()
        .filter(usage::Column::KeyId.eq(id))
        .order_by_desc(usage::Column::Day)
        .limit(days)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| DayUsage {
            day: r.day,
            requests: r.requests,
            zero_results: r.zero_results,
            rate_limited: r.rate_limited,
        })
        .collect())
}

/// A key in use: what a request made with it may do.
#[derive(Debug)]
pub struct ActiveKey {
    pub key: PartnerKey,
    /// Kept across refreshes while the rate stays the same: rereading must not refill it.
    limiter: Arc<DefaultDirectRateLimiter>,
}

fn bucket(rate_per_minute: u32, burst: u32) -> Arc<DefaultDirectRateLimiter> {
    let rate = NonZeroU32::new(rate_per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(Quota::per_minute(rate).allow_burst(burst)))
}

/// A refused or failed admission.
#[derive(Debug)]
pub enum AdmitError {
    Refused(Refusal),
    Failed(AppError),
}

impl From<Refusal> for AdmitError {
    fn from(r: Refusal) -> Self {
        AdmitError::Refused(r)
    }
}

impl From<AppError> for AdmitError {
    fn from(e: AppError) -> Self {
        AdmitError::Failed(e)
    }
}

/// Why a request with a key is refused.
#[derive(Debug)]
pub enum Refusal {
    /// 401: no key, not a key, unknown, expired or revoked.
    Key(String),
    /// 403: the request's origin is not one of the key's.
    Origin(String),
    /// 429: the key's bucket is empty; try again after this long.
    Rate(Duration),
}

#[derive(Default, Clone, Copy)]
struct Counts {
    requests: i64,
    zero_results: i64,
    rate_limited: i64,
}

/// A key as read at an instant (`None`: no such key, or revoked).
type Remembered = (Instant, Option<Arc<ActiveKey>>);
/// A bucket with the rate and burst it was made for.
type Bucket = (u32, u32, Arc<DefaultDirectRateLimiter>);

/// This process's view of the keys: recently read keys, their buckets, and uncounted use.
pub struct Partners {
    refresh: Duration,
    /// By key value: when it was read, and the key (`None`: no such key, or revoked).
    keys: Mutex<HashMap<String, Remembered>>,
    /// Every origin of an active key, for preflights (which carry no key).
    origins: Mutex<Option<(Instant, Arc<HashSet<String>>)>>,
    /// Each key's bucket with the rate and burst it was made for, by key id: kept when a key
    /// is read again (a refresh must not refill it) and replaced when its rate changes.
    buckets: Mutex<HashMap<i32, Bucket>>,
    /// By key id and UTC day (days since 1970-01-01).
    usage: Mutex<HashMap<(i32, i64), Counts>>,
}

impl Partners {
    pub fn new(refresh: Duration) -> Partners {
        Partners {
            refresh,
            keys: Mutex::new(HashMap::new()),
            origins: Mutex::new(None),
            buckets: Mutex::new(HashMap::new()),
            usage: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets what was read (after this process changed a key): the next request reads again.
    pub fn forget(&self) {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.origins.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The key a request sent, checked for its state and the request's origin, and charged one
    /// request against its bucket. `origin` is the raw `Origin` header (`None` when absent:
    /// a navigation, whose embedding the frame's `frame-ancestors` controls instead).
    pub async fn admit(
        &self,
        db: &DatabaseConnection,
        sent: Option<&str>,
        origin: Option<&[u8]>,
        require_origin: bool,
    ) -> Result<Arc<ActiveKey>, AdmitError> {
        let sent = sent.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            Refusal::Key("a partner key is required (the X-Chorus-Key header, or `key` in the query string)".into())
        })?;
        let well_formed = sent.len() <= 100
            && sent.starts_with(KEY_PREFIX)
            && sent.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !well_formed {
            return Err(Refusal::Key("not a partner key".into()).into());
        }
        let active = self.find(db, sent).await?.ok_or_else(|| Refusal::Key("unknown or revoked partner key".into()))?;
        if let Some(expired) = active.key.expires_at.filter(|e| *e <= Utc::now()) {
            return Err(Refusal::Key(format!("this partner key expired at {}", expired.to_rfc3339())).into());
        }
        match origin {
            Some(raw) => {
                let allowed = std::str::from_utf8(raw).ok().is_some_and(|o| active.key.allows_origin(o));
                if !allowed {
                    return Err(Refusal::Origin("this partner key may not be used from this site".into()).into());
                }
            }
            None if require_origin => {
                return Err(Refusal::Origin(
                    "no Origin header: this endpoint answers the partner sites of the key, from a browser".into(),
                )
                .into());
            }
            None => {}
        }
        if let Err(until) = active.limiter.check() {
            let wait = until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            self.count(active.key.id, |c| c.rate_limited += 1);
            return Err(Refusal::Rate(wait).into());
        }
        self.count(active.key.id, |c| c.requests += 1);
        Ok(active)
    }

    /// The key with this value, remembered by value (the value is public: it is in partners'
    /// pages) so that a request costs no hashing; read by its hash when not remembered.
    async fn find(&self, db: &DatabaseConnection, sent: &str) -> AppResult<Option<Arc<ActiveKey>>> {
        if let Some((at, key)) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(sent)
            && at.elapsed() < self.refresh
        {
            return Ok(key.clone());
        }
        let row = keys::Entity::find().filter(keys::Column::KeyHash.eq(token_hash(sent))).one(db).await?;
        let found = row.filter(|m| m.revoked_at.is_none()).map(|m| {
            let key = PartnerKey::from_model(&m);
            let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
            let limiter = match buckets.get(&key.id) {
                Some((rate, burst, limiter)) if (*rate, *burst) == (key.rate_per_minute, key.burst) => limiter.clone(),
                _ => {
                    let limiter = bucket(key.rate_per_minute, key.burst);
                    buckets.insert(key.id, (key.rate_per_minute, key.burst, limiter.clone()));
                    limiter
                }
            };
            Arc::new(ActiveKey { key, limiter })
        });
        let mut cached = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if cached.len() >= MAX_REMEMBERED {
            // Values that are no key (a flood of made-up ones) go first; real keys are few.
            cached.retain(|_, (at, key)| key.is_some() && at.elapsed() < self.refresh);
        }
        cached.insert(sent.to_owned(), (Instant::now(), found.clone()));
        Ok(found)
    }

    /// Whether some active key lists `origin` (a preflight carries no key).
    pub async fn known_origin(&self, db: &DatabaseConnection, origin: &[u8]) -> AppResult<bool> {
        let Ok(origin) = std::str::from_utf8(origin) else { return Ok(false) };
        let fresh = self
            .origins
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .filter(|(at, _)| at.elapsed() < self.refresh);
        let set = match fresh {
            Some((_, set)) => set,
            None => {
                let now = Utc::now();
                let rows = keys::Entity::find().filter(keys::Column::RevokedAt.is_null()).all(db).await?;
                let set: HashSet<String> = rows
                    .iter()
                    .map(PartnerKey::from_model)
                    .filter(|k| k.state(now) == KeyState::Active)
                    .flat_map(|k| k.origins)
                    .collect();
                let set = Arc::new(set);
                *self.origins.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), set.clone()));
                set
            }
        };
        Ok(set.contains(origin))
    }

    /// Counts a search that found nothing.
    pub fn zero_result(&self, key_id: i32) {
        self.count(key_id, |c| c.zero_results += 1);
    }

    fn count(&self, key_id: i32, f: impl FnOnce(&mut Counts)) {
        let day = Utc::now().timestamp().div_euclid(86_400);
        let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
        f(usage.entry((key_id, day)).or_default());
    }

    /// Adds the counts kept in memory to the database (one upsert per key and day).
    pub async fn flush(&self, db: &DatabaseConnection) -> AppResult<()> {
        let pending: Vec<((i32, i64), Counts)> =
            std::mem::take(&mut *self.usage.lock().unwrap_or_else(|p| p.into_inner())).into_iter().collect();
        for (i, ((key_id, day), c)) in pending.iter().enumerate() {
            let date = DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default().format("%Y-%m-%d").to_string();
            let row = usage::ActiveModel {
                key_id: Set(*key_id),
                day: Set(date),
                requests: Set(c.requests),
                zero_results: Set(c.zero_results),
                rate_limited: Set(c.rate_limited),
                ..Default::default()
            };
            let upsert = OnConflict::columns([usage::Column::KeyId, usage::Column::Day])
                .value(usage::Column::Requests, Expr::cust("partner_key_usage.requests + excluded.requests"))
                .value(usage::Column::ZeroResults, Expr::cust("partner_key_usage.zero_results + excluded.zero_results"))
                .value(usage::Column::RateLimited, Expr::cust("partner_key_usage.rate_limited + excluded.rate_limited"))
                .to_owned();
            let done = usage::Entity::insert(row).on_conflict(upsert).exec_without_returning(db).await;
            if let Err(e) = done {
                // A key deleted meanwhile has no row to count into; anything else is kept for
                // the next flush.
                let mut usage = self.usage.lock().unwrap_or_else(|p| p.into_inner());
                for ((k, d), c) in &pending[i..] {
                    let slot = usage.entry((*k, *d)).or_default();
                    slot.requests += c.requests;
                    slot.zero_results += c.zero_results;
                    slot.rate_limited += c.rate_limited;
                }
                return Err(e.into());
            }
        }
        Ok(())
    }
}
