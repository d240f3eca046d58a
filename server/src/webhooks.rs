//! Webhooks: admins register targets; every content change in the change log becomes one
//! delivery per matching target (idempotency key `<webhook>:<seq>`, so a change is queued once
//! however many processes read the log), delivered by a loop in every process with a claim, an
//! HMAC-SHA256 signature over timestamp and body, capped exponential backoff and a delivery log.
//!
//! Targets on loopback, private or link-local networks are refused unless the config allows them,
//! checked on the resolved address at creation and at every delivery (the request is pinned to
//! that address), and redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chorus_entities::{consumer_cursors, webhook_deliveries as deliveries, webhooks};
use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::Sha256;

use crate::auth::new_token;
use crate::auth::policy::{Action, Principal, allows};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::write::Write;

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

/// A CIDR block: network address and prefix length.
type Block<T> = (T, u32);

/// IPv4 blocks that are not globally reachable unicast (IANA IPv4 Special-Purpose Address
/// Registry, plus multicast and the reserved 240.0.0.0/4, which holds the broadcast address).
/// The few globally reachable anycast addresses inside 192.0.0.0/24 are refused too: no webhook
/// receiver lives there.
const NOT_GLOBAL_V4: [Block<u32>; 15] = [
    (0x0000_0000, 8),  // 0.0.0.0/8: "this network"
    (0x0a00_0000, 8),  // 10.0.0.0/8: private
    (0x6440_0000, 10), // 100.64.0.0/10: shared address space (CGNAT)
    (0x7f00_0000, 8),  // 127.0.0.0/8: loopback
    (0xa9fe_0000, 16), // 169.254.0.0/16: link-local
    (0xac10_0000, 12), // 172.16.0.0/12: private
    (0xc000_0000, 24), // 192.0.0.0/24: IETF protocol assignments
    (0xc000_0200, 24), // 192.0.2.0/24: documentation (TEST-NET-1)
    (0xc058_6300, 24), // 192.88.99.0/24: deprecated 6to4 relay anycast
    (0xc0a8_0000, 16), // 192.168.0.0/16: private
    (0xc612_0000, 15), // 198.18.0.0/15: benchmarking
    (0xc633_6400, 24), // 198.51.100.0/24: documentation (TEST-NET-2)
    (0xcb00_7100, 24), // 203.0.113.0/24: documentation (TEST-NET-3)
    (0xe000_0000, 4),  // 224.0.0.0/4: multicast
    (0xf000_0000, 4),  // 240.0.0.0/4: reserved, and 255.255.255.255 broadcast
];

/// IPv6 blocks inside global unicast (2000::/3) that are not globally reachable (IANA IPv6
/// Special-Purpose Address Registry). 2002::/16 (6to4) is judged by the IPv4 address it embeds.
const NOT_GLOBAL_V6: [Block<u128>; 3] = [
    // 2001::/23: IETF protocol assignments (Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID
    // and a few anycast service addresses, none of them a webhook receiver).
    (0x2001_0000 << 96, 23),
    (0x2001_0db8 << 96, 32), // 2001:db8::/32: documentation
    (0x3fff << 112, 20),     // 3fff::/20: documentation
];

fn in_v4(ip: u32, (network, len): Block<u32>) -> bool {
    ip >> (32 - len) == network >> (32 - len)
}

fn in_v6(ip: u128, (network, len): Block<u128>) -> bool {
    ip >> (128 - len) == network >> (128 - len)
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    let n = u32::from(ip);
    !NOT_GLOBAL_V4.into_iter().any(|block| in_v4(n, block))
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    let n = u128::from(ip);
    // IPv4 reached through IPv6: the IPv4 address decides.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_global_v4(v4); // ::ffff:0:0/96
    }
    if in_v6(n, (0x0064_ff9b << 96, 96)) {
        return is_global_v4(Ipv4Addr::from(n as u32)); // 64:ff9b::/96: NAT64, IPv4 in the last 32 bits
    }
    if in_v6(n, (0x2002 << 112, 16)) {
        return is_global_v4(Ipv4Addr::from((n >> 80) as u32)); // 2002::/16: 6to4, IPv4 in bits 16 to 48
    }
    // Only global unicast (2000::/3) remains, which leaves out ::, ::1, the deprecated
    // IPv4-compatible ::/96, 64:ff9b:1::/48 (local NAT64), 100::/64 (discard), unique-local
    // fc00::/7, link-local fe80::/10, site-local fec0::/10 and multicast ff00::/8.
    in_v6(n, (0x2000 << 112, 3)) && !NOT_GLOBAL_V6.into_iter().any(|block| in_v6(n, block))
}

/// Whether an address is globally reachable unicast, the only kind a webhook may target
/// without `webhooks.allow_private_targets`. IPv6 is an allow-list (global unicast 2000::/3,
/// less its special blocks, or an IPv4 address it carries); IPv4 is its unicast space less the
/// special blocks.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
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
        return Err("the host resolves to a loopback, private, link-local or otherwise non-public address".to_owned());
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
    let w = Write::begin(&state.db, who.into(), state).await?;
    let hook = webhooks::ActiveModel {
        url: Set(url.to_owned()),
        events: Set(chosen.join(",")),
        secret: Set(new_token("whsec_")?),
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(w.txn())
    .await?;
    w.audit("webhook.create", "webhook", hook.id, None).await?;
    w.commit().await?;
    Ok(hook)
}

pub async fn list(state: &AppState, who: &Principal) -> AppResult<Vec<webhooks::Model>> {
    require(who)?;
    Ok(webhooks::Entity::find().order_by_asc(webhooks::Column::Id).all(&state.db).await?)
}

pub async fn delete(state: &AppState, who: &Principal, id: i32) -> AppResult<()> {
    require(who)?;
    let w = Write::begin(&state.db, who.into(), state).await?;
    if webhooks::Entity::delete_by_id(id).exec(w.txn()).await?.rows_affected == 0 {
        return Err(AppError::NotFound("no such webhook".into()));
    }
    w.audit("webhook.delete", "webhook", id, None).await?;
    w.commit().await?;
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
/// `pending` (this process's memory of changes queued past a gap) lets reading go on past gaps
/// instead of waiting them out; a change queued twice is harmless (the idempotency key).
pub async fn fan_out(state: &AppState, pending: &mut crate::changes::Pending) -> AppResult<usize> {
    let txn = crate::db::begin_write(&state.db).await?;
    consumer_cursors::Entity::insert(consumer_cursors::ActiveModel { name: Set(CURSOR.into()), seq: Set(0) })
        .on_conflict(OnConflict::column(consumer_cursors::Column::Name).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    let cursor = consumer_cursors::Entity::find_by_id(CURSOR.to_owned()).one(&txn).await?.map_or(0, |c| c.seq);
    let mut changes = crate::changes::these(&txn, &pending.missing(cursor, 500)).await?;
    changes.extend(crate::changes::after(&txn, pending.read_from(cursor), 500).await?);
    // Applied to `pending` only once the deliveries are committed.
    let mut next = pending.clone();
    next.handled(&changes);
    let last = next.settle(cursor, Utc::now());
    if changes.is_empty() && last == cursor {
        return Ok(0);
    }
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
    *pending = next;
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
    let mut pending = crate::changes::Pending::default();
    loop {
        tick.tick().await;
        for result in [fan_out(&state, &mut pending).await, deliver_due(&state).await] {
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
    fn only_globally_reachable_unicast_is_public() {
        let table: &[(&str, bool)] = &[
            // IPv4 special-purpose blocks.
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("10.1.2.3", false),
            ("100.64.0.1", false),
            ("100.127.255.254", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("169.254.169.254", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.0.0.1", false),
            ("192.0.0.170", false),
            ("192.0.2.1", false),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            // IPv6 special-purpose blocks.
            ("::", false),
            ("::1", false),
            ("::127.0.0.1", false),
            ("::8.8.8.8", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("64:ff9b::7f00:1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b:1::8.8.8.8", false),
            ("100::1", false),
            ("2001::1", false),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
            ("2001:2::1", false),
            ("2001:db8::1", false),
            ("2002:7f00:1::", false),
            ("2002:a00:1::1", false),
            ("2002:c0a8:101::1", false),
            ("3fff::1", false),
            ("5f00::1", false),
            ("fc00::1", false),
            ("fd00::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("ff0e::1", false),
            // Globally reachable.
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("100.63.255.255", true),
            ("100.128.0.1", true),
            ("172.32.0.1", true),
            ("198.20.0.1", true),
            ("223.255.255.254", true),
            ("2606:4700::1111", true),
            ("2001:4860:4860::8888", true),
            ("2a00:1450:4001:80b::200e", true),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::808:808", true),
            ("2002:808:808::1", true),
        ];
        for (ip, public) in table {
            assert_eq!(is_public(ip.parse().unwrap()), *public, "{ip}");
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
