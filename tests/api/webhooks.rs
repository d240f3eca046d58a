//! Webhooks against a real local receiver: signed, retried with backoff, logged, delivered once
//! per idempotency key, redirects not followed, private targets refused unless allowed.

use std::sync::{Arc, Mutex};

use chorus_entities::Role;
use chorus_tests::{Backend, backend_test, spawn_with};
use hmac::{Hmac, KeyInit, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Request, Response, Route, handler, http::StatusCode, web::Data};
use serde_json::{Value, json};

use crate::first_code;

#[derive(Default)]
struct Received {
    requests: Vec<(String, String, String, String)>, // (path, signature, idempotency key, body)
}

#[handler]
async fn hook(req: &Request, body: String, Data(log): Data<&Arc<Mutex<Received>>>) -> Response {
    let h = |name: &str| req.header(name).unwrap_or_default().to_owned();
    let mut log = log.lock().unwrap();
    log.requests.push((req.uri().path().to_owned(), h("x-chorus-signature"), h("idempotency-key"), body));
    let n = log.requests.iter().filter(|r| r.0 == "/hook").count();
    // The receiver fails twice, then accepts.
    if n <= 2 { StatusCode::INTERNAL_SERVER_ERROR.into() } else { StatusCode::OK.into() }
}

#[handler]
fn redirect(Data(log): Data<&Arc<Mutex<Received>>>) -> Response {
    log.lock().unwrap().requests.push(("/redirect".into(), String::new(), String::new(), String::new()));
    Response::builder().status(StatusCode::FOUND).header("location", "/hook").finish()
}

async fn receiver() -> (u16, Arc<Mutex<Received>>) {
    let log = Arc::new(Mutex::new(Received::default()));
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let app = Route::new().at("/hook", poem::post(hook)).at("/redirect", poem::post(redirect)).data(log.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (port, log)
}

fn expected_signature(secret: &str, header: &str, body: &str) -> String {
    let t = header.split(',').next().unwrap().trim_start_matches("t=");
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

const CREATE: &str = "mutation($u: String!, $e: [String!]!) { createWebhook(input: { url: $u, events: $e }) { secret webhook { id events } } }";

async fn webhooks_are_signed_retried_and_logged(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| {
        c.server.scheduler_interval_ms = 100;
        c.webhooks.allow_private_targets = true;
    })
    .await
    else {
        return;
    };
    let (port, log) = receiver().await;
    let admin = app.sign_in(Role::Admin, &[]).await;
    let editor = app.sign_in(Role::Editor, &[]).await;
    let url = format!("http://127.0.0.1:{port}/hook");
    assert_eq!(first_code(&app.gql_as(&editor, CREATE, json!({ "u": url, "e": ["published"] })).await), "FORBIDDEN");
    let created = app.gql_as(&admin, CREATE, json!({ "u": url, "e": ["published"] })).await;
    let secret = created["data"]["createWebhook"]["secret"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let hook_id = created["data"]["createWebhook"]["webhook"]["id"].as_str().unwrap().to_owned();
    let redirecting = app
        .gql_as(&admin, CREATE, json!({ "u": format!("http://127.0.0.1:{port}/redirect"), "e": ["published"] }))
        .await;
    let redirect_id = redirecting["data"]["createWebhook"]["webhook"]["id"].as_str().unwrap().to_owned();
    let bad = app.gql_as(&admin, CREATE, json!({ "u": url, "e": ["exploded"] })).await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().starts_with("input.events[0]"), "{bad}");

    // Publishing a translation is an event.
    let swit =
        app.data(r#"{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en") { id } }"#, json!({})).await;
    let id = swit["resource"]["id"].as_str().unwrap().to_owned();
    let publish = "mutation($id: ID!) { setTranslationStatus(id: $id, locale: \"fr\", status: PUBLISHED) { live } }";
    assert_eq!(app.gql_as(&editor, publish, json!({ "id": id })).await["data"]["setTranslationStatus"]["live"], true);

    // Two failures, backoff (2 s, then 4 s), then success.
    let mut delivered = false;
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if log.lock().unwrap().requests.iter().filter(|r| r.0 == "/hook").count() >= 3 {
            delivered = true;
            break;
        }
    }
    assert!(delivered, "delivered after two failures");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let requests: Vec<_> = log.lock().unwrap().requests.iter().filter(|r| r.0 == "/hook").cloned().collect();
    assert_eq!(requests.len(), 3, "no delivery after success");
    let (_, signature, key, body) = &requests[2];
    assert_eq!(signature, &expected_signature(&secret, signature, body), "signature verifies");
    assert!(requests.iter().all(|r| &r.2 == key), "one idempotency key across retries");
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (payload["event"].as_str(), payload["locale"].as_str(), payload["entity"].as_str()),
        (Some("published"), Some("fr"), Some("resource"))
    );

    // The delivery log says what happened; the redirect was not followed.
    let q = "query($w: ID!) { webhookDeliveries(webhookId: $w) { attempts lastStatus deliveredAt failedAt } }";
    let d = app.gql_as(&admin, q, json!({ "w": hook_id })).await;
    assert_eq!(d["data"]["webhookDeliveries"][0]["attempts"], 3, "{d}");
    assert_eq!(d["data"]["webhookDeliveries"][0]["lastStatus"], 200);
    let r = app.gql_as(&admin, q, json!({ "w": redirect_id })).await;
    assert_eq!(r["data"]["webhookDeliveries"][0]["lastStatus"], 302, "{r}");
    assert!(r["data"]["webhookDeliveries"][0]["deliveredAt"].is_null());

    // Without the allowance, private and loopback targets are refused.
    let strict = app.sibling(|c| c.webhooks.allow_private_targets = false).await;
    let refused = strict.gql_as(&admin, CREATE, json!({ "u": url, "e": ["published"] })).await;
    assert_eq!(first_code(&refused), "BAD_USER_INPUT");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("loopback"), "{refused}");
    for bad_url in ["ftp://example.org/x", "http://user:pw@example.org/", "not a url"] {
        assert_eq!(
            first_code(&strict.gql_as(&admin, CREATE, json!({ "u": bad_url, "e": ["published"] })).await),
            "BAD_USER_INPUT",
            "{bad_url}"
        );
    }
    strict.stop().await;
    app.stop().await;
}
backend_test!(webhooks_are_signed_retried_and_logged);

async fn non_public_address_literals_are_refused(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| c.webhooks.allow_private_targets = false).await else { return };
    let admin = app.sign_in(Role::Admin, &[]).await;
    // Loopback and private networks reached through IPv6 forms and special-purpose blocks that a
    // check of loopback and RFC 1918 alone lets through; none needs DNS.
    for url in [
        "http://[::127.0.0.1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b:1::a00:1]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[2001::1]/hook",
        "http://[fec0::1]/hook",
        "http://[fd12:3456::1]/hook",
        "http://[2001:db8::1]/hook",
        "http://198.18.0.1/hook",
        "http://100.64.0.1/hook",
        "http://192.0.0.8/hook",
        "http://240.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://0.1.2.3/hook",
        "http://224.0.0.1/hook",
        "http://2130706433/hook",
    ] {
        let refused = app.gql_as(&admin, CREATE, json!({ "u": url, "e": ["published"] })).await;
        assert_eq!(first_code(&refused), "BAD_USER_INPUT", "{url}: {refused}");
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("input.url: the host resolves to a loopback"), "{url}: {message}");
    }
    let listed = app.gql_as(&admin, "{ webhooks { id } }", json!({})).await;
    assert_eq!(listed["data"]["webhooks"], json!([]), "nothing was registered: {listed}");

    // The refusal is the address rule's: with the allowance, the same literal is registered.
    let lenient = app.sibling(|c| c.webhooks.allow_private_targets = true).await;
    let created = lenient.gql_as(&admin, CREATE, json!({ "u": "http://[::127.0.0.1]/hook", "e": ["published"] })).await;
    assert!(created["data"]["createWebhook"]["webhook"]["id"].is_string(), "{created}");
    lenient.stop().await;
    app.stop().await;
}
backend_test!(non_public_address_literals_are_refused);
