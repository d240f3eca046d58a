//! Webhooks: admins register targets; every content change in the change log becomes one
//! delivery per matching target (idempotency key `<webhook>:<seq>`, so a change is queued once
//! however many processes read the log), delivered by a loop in every process with a claim, an
//! HMAC-SHA256 signature over timestamp and body, capped exponential backoff and a delivery log.
//!
//! Targets on loopback, private or link-local networks are refused unless the config allows them,
//! checked on the resolved address at creation and at every delivery (the request is pinned to
//! that address), and redirects are never followed.

use std::net::IpAddr;
use std::time::Duration;

use chorus_entities::{consumer_cursors, webhook_deliveries as deliveries, webhooks};
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::Sha256;

use crate::auth::new_token;
use crate::auth::policy::{Action, Principal, allows};
use crate::content::write::audit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The events a webhook can ask for.
pub const EVENTS: [&str; 4] = ["published", "unpublished", "updated", "deleted"];
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 8;
const MAX_BACKOFF_SECONDS: i64 = 300;
/// A claim lasts one send (10 s at most); an older one belongs to a process that died.
const STALE_CLAIM: chrono::Duration = chrono::Duration::seconds(15);
const CURSOR: &str = "webhooks";

fn require(who: &Principal) -> AppResult<()> {
    if allows(who, &Action::ManageWebhooks) { Ok(()) } else { Err(AppError::Forbidden("administrators only".into())) }
}

/// The event a change-log operation is announced as.
fn event_of(operation: &str) -> &'static str {
    match operation {
        "published" => "published",
        "unpublished" => "unpublished",
        "deleted" => "deleted",
        _ => "updated",
    }
}

/// Whether an address is on the public internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Resolves a target URL and checks where it points; returns the host and the address to pin.
async fn resolve(state: &AppState, raw: &str) -> Result<(reqwest::Url, String, std::net::SocketAddr), String> {
    let url = reqwest::Url::parse(raw).map_err(|_| "not a URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() || url.password().is_some() {
        return Err("only http and https URLs without credentials".to_owned());
    }
    let host = url.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| "the host does not resolve".to_owned())?
        .collect();
    let first = *addrs.first().ok_or("the host does not resolve")?;
    if !state.config.webhooks.allow_private_targets && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err("the host resolves to a loopback, private or link-local address".to_owned());
    }
    Ok((url, host, first))
}

/// Registers a webhook; the returned model carries the secret, shown once.
pub async fn create(state: &AppState, who: &Principal, url: &str, events: &[String]) -> AppResult<webhooks::Model> {
    require(who)?;
    if url.len() > 2000 {
        return Err(AppError::bad_input("input.url: at most 2000 characters"));
    }
    resolve(state, url).await.map_err(|e| AppError::bad_input(format!("input.url: {e}")))?;
    let mut chosen: Vec<&str> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let e = EVENTS
            .into_iter()
            .find(|x| x.eq_ignore_ascii_case(e.trim()))
            .ok_or_else(|| AppError::bad_input(format!("input.events[{i}]: one of {}", EVENTS.join(", "))))?;
        if !chosen.contains(&e) {
            chosen.push(e);
        }
    }
    if chosen.is_empty() {
        return Err(AppError::bad_input("input.events: at least one event"));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let hook = webhooks::ActiveModel {
        url: Set(url.to_owned()),
        events: Set(chosen.join(",")),
        secret: Set(new_token("whsec_")?),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit(&txn, who, "webhook.create", "webhook", hook.id, None).await?;
    txn.commit().await?;
    Ok(hook)
}

pub async fn list(state: &AppState, who: &Principal) -> AppResult<Vec<webhooks::Model>> {
    require(who)?;
    Ok(webhooks::Entity::find().order_by_asc(webhooks::Column::Id).all(&state.db).await?)
}

pub async fn delete(state: &AppState, who: &Principal, id: i32) -> AppResult<()> {
    require(who)?;
    let txn = crate::db::begin_write(&state.db).await?;
    if webhooks::Entity::delete_by_id(id).exec(&txn).await?.rows_affected == 0 {
        return Err(AppError::NotFound("no such webhook".into()));
    }
    audit(&txn, who, "webhook.delete", "webhook", id, None).await?;
    txn.commit().await?;
    Ok(())
}

/// The delivery log of a webhook, newest first.
pub async fn log(state: &AppState, who: &Principal, webhook: i32, limit: u64) -> AppResult<Vec<deliveries::Model>> {
    require(who)?;
    Ok(deliveries::Entity::find()
        .filter(deliveries::Column::WebhookId.eq(webhook))
        .order_by_desc(deliveries::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?)
}

/// Queues a delivery per (active webhook, matching change) after the cursor, then moves it.
pub async fn fan_out(state: &AppState) -> AppResult<usize> {
    let txn = crate::db::begin_write(&state.db).await?;
    consumer_cursors::Entity::insert(consumer_cursors::ActiveModel { name: Set(CURSOR.into()), seq: Set(0) })
        .on_conflict(OnConflict::column(consumer_cursors::Column::Name).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    let cursor = consumer_cursors::Entity::find_by_id(CURSOR.to_owned()).one(&txn).await?.map_or(0, |c| c.seq);
    let changes = crate::changes::after(&txn, cursor, 500).await?;
    if changes.is_empty() {
        return Ok(0);
    }
    // Rows beyond a gap are queued now and again later, which the idempotency key makes harmless.
    let last = crate::changes::advance(cursor, &changes, Utc::now());
    let hooks = webhooks::Entity::find().filter(webhooks::Column::Active.eq(true)).all(&txn).await?;
    let now = Utc::now();
    let mut queued = 0;
    for change in &changes {
        let event = event_of(&change.operation);
        for hook in hooks.iter().filter(|h| h.events.split(',').any(|e| e == event)) {
            let key = format!("{}:{}", hook.id, change.seq);
            let payload = serde_json::json!({
                "id": key,
                "event": event,
                "entity": change.entity,
                "entityId": change.entity_id,
                "locale": change.locale,
                "seq": change.seq,
                "at": change.at,
            });
            let row = deliveries::ActiveModel {
                webhook_id: Set(hook.id),
                idempotency_key: Set(key),
                event: Set(event.to_owned()),
                payload: Set(payload.to_string()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                created_at: Set(now),
                ..Default::default()
            };
            deliveries::Entity::insert(row)
                .on_conflict(OnConflict::column(deliveries::Column::IdempotencyKey).do_nothing().to_owned())
                .exec_without_returning(&txn)
                .await?;
            queued += 1;
        }
    }
    consumer_cursors::Entity::update_many()
        .col_expr(consumer_cursors::Column::Seq, Expr::val(last))
        .filter(consumer_cursors::Column::Name.eq(CURSOR))
        .filter(consumer_cursors::Column::Seq.lt(last))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(queued)
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

async fn send(state: &AppState, hook: &webhooks::Model, d: &deliveries::Model) -> Result<u16, String> {
    let (url, host, addr) = resolve(state, &hook.url).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .resolve(&host, addr)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let ts = Utc::now().timestamp();
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Chorus-Webhooks/1")
        .header("x-chorus-event", d.event.as_str())
        .header("x-chorus-signature", signature(&hook.secret, ts, &d.payload))
        .header("idempotency-key", d.idempotency_key.as_str())
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| if e.is_timeout() { "timed out".to_owned() } else { "connection failed".to_owned() })?;
    Ok(resp.status().as_u16())
}

/// Delivers every due delivery this process can claim.
pub async fn deliver_due(state: &AppState) -> AppResult<usize> {
    let now = Utc::now();
    let unclaimed = || {
        Condition::any()
            .add(deliveries::Column::ClaimedAt.is_null())
            .add(deliveries::Column::ClaimedAt.lt(now - STALE_CLAIM))
    };
    let due = deliveries::Entity::find()
        .filter(deliveries::Column::DeliveredAt.is_null())
        .filter(deliveries::Column::FailedAt.is_null())
        .filter(deliveries::Column::NextAttemptAt.lte(now))
        .filter(unclaimed())
        .order_by_asc(deliveries::Column::Id)
        .limit(50)
        .all(&state.db)
        .await?;
    let mut done = 0;
    for d in due {
        let claimed = deliveries::Entity::update_many()
            .col_expr(deliveries::Column::ClaimedAt, Expr::val(now))
            .filter(deliveries::Column::Id.eq(d.id))
            .filter(deliveries::Column::DeliveredAt.is_null())
            .filter(unclaimed())
            .exec(&state.db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let outcome = match webhooks::Entity::find_by_id(d.webhook_id).one(&state.db).await? {
            Some(hook) if hook.active => send(state, &hook, &d).await,
            _ => Err("the webhook is gone".to_owned()),
        };
        let attempts = d.attempts + 1;
        let mut active: deliveries::ActiveModel = d.into();
        active.attempts = Set(attempts);
        active.claimed_at = Set(None);
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                active.delivered_at = Set(Some(Utc::now()));
                active.last_status = Set(Some(i32::from(status)));
                active.last_error = Set(None);
            }
            other => {
                match other {
                    Ok(status) => {
                        active.last_status = Set(Some(i32::from(status)));
                        active.last_error = Set(Some(format!("HTTP {status}")));
                    }
                    Err(e) => active.last_error = Set(Some(e)),
                }
                if attempts >= MAX_ATTEMPTS {
                    active.failed_at = Set(Some(Utc::now()));
                } else {
                    let backoff = (1i64 << attempts.min(16)).min(MAX_BACKOFF_SECONDS);
                    active.next_attempt_at = Set(Utc::now() + chrono::Duration::seconds(backoff));
                }
            }
        }
        active.update(&state.db).await?;
        done += 1;
    }
    Ok(done)
}

/// The loop every server process runs (at the scheduler's interval; 0 turns it off).
pub async fn run(state: AppState) {
    let every = state.config.server.scheduler_interval_ms;
    if every == 0 {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(every));
    loop {
        tick.tick().await;
        for result in [fan_out(&state).await, deliver_due(&state).await] {
            if let Err(e) = result {
                e.log_if_internal();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = signature("k", 1, "{}");
        assert!(a.starts_with("t=1,v1=") && a.len() == "t=1,v1=".len() + 64);
        assert_ne!(a, signature("k", 2, "{}"));
        assert_ne!(a, signature("k", 1, "{ }"));
        assert_ne!(a, signature("other", 1, "{}"));
    }
}
