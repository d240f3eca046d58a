//! Accounts and access: login, sessions, API tokens, rate limiting, no account enumeration.

use chorus_entities::Role;
use chorus_tests::chorus::auth::{Scope, accounts};
use chorus_tests::{Backend, PASSWORD, TestApp, backend_test, spawn_with};
use serde_json::{Value, json};

use crate::first_code;

const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { email role locales } } }";

async fn login(app: &TestApp, email: &str, password: &str) -> Value {
    app.gql(LOGIN, json!({ "e": email, "p": password })).await
}

async fn sessions_and_me(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    app.add_user("Tess@Example.org", Role::Translator, &["fr", "es"]).await;
    let body = login(&app, "  tess@example.ORG ", PASSWORD).await;
    let session = &body["data"]["login"];
    assert_eq!(
        session["user"],
        json!({ "email": "tess@example.org", "role": "TRANSLATOR", "locales": ["fr", "es"] }),
        "{body}"
    );
    let token = session["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("chs_"));

    let (status, me) = app.post_as(&token, "{ me { email displayName role } }", json!({})).await;
    assert_eq!((status, me["data"]["me"]["role"].as_str()), (200, Some("TRANSLATOR")), "{me}");
    let resp = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "{ me { email } }")])
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "private, no-cache", "no shared cache keeps a signed-in answer");
    // Without a token, `me` is refused with a code; a bad header or token is a 401.
    assert_eq!(first_code(&app.gql("{ me { email } }", json!({})).await), "UNAUTHENTICATED");
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer chs_not-a-real-token", "Bearer cht_forged"] {
        let resp = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", header)
            .json(&json!({ "query": "{ locales { code } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{header}");
        assert_eq!(resp.headers()["www-authenticate"], "Bearer");
        assert_eq!(first_code(&resp.json().await.unwrap()), "UNAUTHENTICATED");
    }

    // Logout revokes the session at once.
    let (status, out) = app.post_as(&token, "mutation { logout }", json!({})).await;
    assert_eq!((status, out["data"]["logout"].as_bool()), (200, Some(true)), "{out}");
    let (status, _) = app.post_as(&token, "{ me { email } }", json!({})).await;
    assert_eq!(status, 401);

    // Mutations keep the CSRF rules: not by GET, not as a form.
    let resp = app.client.get(app.url("/graphql")).query(&[("query", "mutation { logout }")]).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    let resp = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body(json!({ "query": LOGIN, "variables": { "e": "tess@example.org", "p": PASSWORD } }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);

    // A disabled account cannot sign in and its sessions end.
    let token = login(&app, "tess@example.org", PASSWORD).await["data"]["login"]["token"].as_str().unwrap().to_owned();
    accounts::set_disabled(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        accounts::UserRef::Email("tess@example.org"),
        true,
    )
    .await
    .unwrap();
    assert_eq!(app.post_as(&token, "{ me { email } }", json!({})).await.0, 401);
    assert_eq!(first_code(&login(&app, "tess@example.org", PASSWORD).await), "UNAUTHENTICATED");
    app.stop().await;
}
backend_test!(sessions_and_me);

async fn failed_logins_reveal_nothing_and_are_limited(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| c.auth.login_max_failures = 3).await else { return };
    app.add_user("rev@example.org", Role::Reviewer, &["fr"]).await;
    app.add_user("ed@example.org", Role::Editor, &[]).await;
    let unknown = login(&app, "nobody@example.org", PASSWORD).await;
    let wrong = login(&app, "rev@example.org", "wrong password, long enough").await;
    assert_eq!(unknown["errors"][0]["message"], wrong["errors"][0]["message"], "same answer: {unknown} {wrong}");
    assert_eq!(first_code(&unknown), "UNAUTHENTICATED");
    assert_eq!(first_code(&wrong), "UNAUTHENTICATED");
    assert!(unknown["data"].is_null());
    // Two more failures reach the limit: even the right password now waits.
    login(&app, "rev@example.org", "wrong again, long enough").await;
    login(&app, "rev@example.org", "and again, long enough!").await;
    assert_eq!(first_code(&login(&app, "rev@example.org", PASSWORD).await), "RATE_LIMITED");
    // The limit holds in every server process on the database.
    let other = app.sibling(|_| {}).await;
    assert_eq!(first_code(&login(&other, "rev@example.org", PASSWORD).await), "RATE_LIMITED");
    // Other accounts are not affected; no email is stored in clear for the limit.
    assert!(login(&app, "ed@example.org", PASSWORD).await["data"]["login"]["token"].is_string());
    use sea_orm::ConnectionTrait;
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT account FROM login_failures",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let account: String = row.try_get("", "account").unwrap();
        assert!(!account.contains('@') && account.len() == 64, "{account}");
        // A keyed hash: the plain SHA-256 of a guessed address does not find the row.
        assert_ne!(account, chorus_tests::chorus::auth::token_hash("rev@example.org"));
    }
    other.stop().await;
    app.stop().await;
}
backend_test!(failed_logins_reveal_nothing_and_are_limited);

async fn api_tokens(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    app.add_user("bot@example.org", Role::Editor, &[]).await;
    let (t, token) = accounts::create_api_token(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        "bot@example.org",
        "site build",
        &[Scope::ReadDrafts],
        None,
    )
    .await
    .unwrap();
    assert!(token.starts_with("cht_"));
    assert!(t.last_used_at.is_none());
    assert_ne!(t.token_hash, token, "stored hashed");
    let (status, me) = app.post_as(&token, "{ me { email role } }", json!({})).await;
    assert_eq!((status, me["data"]["me"]["email"].as_str()), (200, Some("bot@example.org")));
    let listed = accounts::list_api_tokens(&app.db).await.unwrap();
    assert!(listed[0].last_used_at.is_some(), "last use recorded");
    // Logout does not apply to API tokens; revoking does.
    assert_eq!(first_code(&app.post_as(&token, "mutation { logout }", json!({})).await.1), "BAD_USER_INPUT");
    accounts::revoke_api_token(&app.db, chorus_tests::chorus::write::Actor::system("test setup"), t.id).await.unwrap();
    assert_eq!(app.post_as(&token, "{ me { email } }", json!({})).await.0, 401);
    // Expired tokens stop working.
    let (_, expired) = accounts::create_api_token(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        "bot@example.org",
        "expired",
        &[Scope::Write],
        Some(chrono::Duration::seconds(-1)),
    )
    .await
    .unwrap();
    assert_eq!(app.post_as(&expired, "{ me { email } }", json!({})).await.0, 401);
    // Bad input is refused with the field named.
    let err = accounts::create_api_token(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        "bot@example.org",
        "none",
        &[],
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("scopes"), "{err}");
    app.stop().await;
}
backend_test!(api_tokens);

async fn accounts_validate_input(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let locales = app.config.locales().unwrap();
    let base = accounts::NewUser {
        email: "a@example.org".into(),
        display_name: "A".into(),
        password: PASSWORD.into(),
        role: Role::Translator,
        locales: vec!["fr".into()],
    };
    let cases = [
        (accounts::NewUser { email: "not-an-email".into(), ..base.clone() }, "email"),
        (accounts::NewUser { password: "short".into(), ..base.clone() }, "password"),
        (accounts::NewUser { locales: vec![], ..base.clone() }, "locales"),
        (accounts::NewUser { locales: vec!["pt".into()], ..base.clone() }, "locales"),
        (accounts::NewUser { display_name: " ".into(), ..base.clone() }, "displayName"),
    ];
    for (new, field) in cases {
        let err =
            accounts::create_user(&app.db, &locales, chorus_tests::chorus::write::Actor::system("test setup"), new)
                .await
                .unwrap_err();
        assert!(err.to_string().starts_with(field), "{field}: {err}");
    }
    accounts::create_user(&app.db, &locales, chorus_tests::chorus::write::Actor::system("test setup"), base.clone())
        .await
        .unwrap();
    let dup = accounts::create_user(
        &app.db,
        &locales,
        chorus_tests::chorus::write::Actor::system("test setup"),
        accounts::NewUser { email: "A@example.org".into(), ..base },
    )
    .await;
    assert!(dup.unwrap_err().to_string().contains("exists"));
    assert_eq!(accounts::list_users(&app.db).await.unwrap().len(), 1, "nothing partial was written");
    app.stop().await;
}
backend_test!(accounts_validate_input);

async fn signed_in_requests_bypass_the_response_cache(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |c| c.graphql.cache_ttl_ms = 60_000).await else { return };
    app.add_user("v@example.org", Role::Viewer, &[]).await;
    let token = login(&app, "v@example.org", PASSWORD).await["data"]["login"]["token"].as_str().unwrap().to_owned();
    let q = "{ resources(first: 3) { edges { node { title } } } }";
    // Asked twice: kept from the second time.
    app.data(q, json!({})).await;
    app.data(q, json!({})).await;
    let before = app.metric("chorus_db_statements_total").await;
    app.data(q, json!({})).await;
    assert_eq!(app.metric("chorus_db_statements_total").await, before, "anonymous repeat is cached");
    let (status, _) = app.post_as(&token, q, json!({})).await;
    assert_eq!(status, 200);
    assert!(
        app.metric("chorus_db_statements_total").await > before,
        "a signed-in request is never served from the shared cache"
    );
    app.stop().await;
}
backend_test!(signed_in_requests_bypass_the_response_cache);

async fn preview_shows_drafts_only_to_those_allowed(backend: Backend) {
    let Some(app) = spawn_with(backend, true, |_| {}).await else { return };
    app.add_user("view@example.org", Role::Viewer, &[]).await;
    // A token that cannot read drafts: an API token of an editor with only the write scope.
    app.add_user("ed@example.org", Role::Editor, &[]).await;
    let (_, write_only) = accounts::create_api_token(
        &app.db,
        chorus_tests::chorus::write::Actor::system("test setup"),
        "ed@example.org",
        "w",
        &[Scope::Write],
        None,
    )
    .await
    .unwrap();
    let token = login(&app, "view@example.org", PASSWORD).await["data"]["login"]["token"].as_str().unwrap().to_owned();

    let q = |preview: bool| {
        format!(
            "{{ resources(first: 100, preview: {preview}) {{ totalCount edges {{ node {{ id title translations {{ locale status }} }} }} }} }}"
        )
    };
    let public = app.data(&q(false), json!({})).await;
    let (status, preview) = app.post_as(&token, &q(true), json!({})).await;
    assert_eq!(status, 200, "{preview}");
    let public_total = public["resources"]["totalCount"].as_i64().unwrap();
    let preview_total = preview["data"]["resources"]["totalCount"].as_i64().unwrap();
    assert!(preview_total >= public_total);
    let statuses: Vec<String> = preview["data"]["resources"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["node"]["translations"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap().to_owned())
        })
        .collect();
    assert!(statuses.iter().any(|s| s == "DRAFT") && statuses.iter().any(|s| s == "IN_REVIEW"), "preview shows drafts");
    let public_statuses = public.to_string();
    assert!(!public_statuses.contains("DRAFT") && !public_statuses.contains("IN_REVIEW"), "the public API never does");

    // An item whose every version is a draft exists only in preview, by list, slug and node.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(
            "UPDATE resource_translations SET status = 'draft' WHERE item_id = \
             (SELECT item_id FROM resource_translations WHERE slug = 'sex-worker-implementation-tool-swit' AND version = 'live')",
        )
        .await
        .unwrap();
    let by_slug = |preview: bool| {
        format!(
            r#"{{ resource(slug: "sex-worker-implementation-tool-swit", locale: "en", preview: {preview}) {{ id title }} }}"#
        )
    };
    assert!(app.data(&by_slug(false), json!({})).await["resource"].is_null());
    let (_, found) = app.post_as(&token, &by_slug(true), json!({})).await;
    let id = found["data"]["resource"]["id"].as_str().expect("preview finds the draft").to_owned();
    let node = |preview: bool| format!(r#"{{ node(id: "{id}", preview: {preview}) {{ id }} }}"#);
    assert!(app.data(&node(false), json!({})).await["node"].is_null());
    assert_eq!(app.post_as(&token, &node(true), json!({})).await.1["data"]["node"]["id"], id.as_str());
    let public_after = app.data(&q(false), json!({})).await["resources"]["totalCount"].as_i64().unwrap();
    assert_eq!(public_after, public_total - 1, "counts never include drafts");

    // Anonymous callers and tokens without the read_drafts scope cannot preview.
    assert_eq!(first_code(&app.gql(&q(true), json!({})).await), "UNAUTHENTICATED");
    assert_eq!(first_code(&app.post_as(&write_only, &q(true), json!({})).await.1), "FORBIDDEN");
    app.stop().await;
}
backend_test!(preview_shows_drafts_only_to_those_allowed);

async fn admins_manage_users_and_read_the_audit_log(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    app.add_user("root@example.org", Role::Admin, &[]).await;
    app.add_user("ed@example.org", Role::Editor, &[]).await;
    let admin = login(&app, "root@example.org", PASSWORD).await["data"]["login"]["token"].as_str().unwrap().to_owned();
    let editor = login(&app, "ed@example.org", PASSWORD).await["data"]["login"]["token"].as_str().unwrap().to_owned();
    let create = |email: &str| {
        format!(
            r#"mutation {{ createUser(input: {{ email: "{email}", displayName: "Fatou", password: "{PASSWORD}", role: TRANSLATOR, locales: ["fr"] }}) {{ id email role locales disabled }} }}"#
        )
    };
    assert_eq!(first_code(&app.post_as(&editor, &create("f@example.org"), json!({})).await.1), "FORBIDDEN");
    let (_, created) = app.post_as(&admin, &create("f@example.org"), json!({})).await;
    let user = &created["data"]["createUser"];
    assert_eq!((user["role"].as_str(), user["locales"].clone()), (Some("TRANSLATOR"), json!(["fr"])), "{created}");
    let id = user["id"].as_str().unwrap().to_owned();
    let (_, users) = app.post_as(&admin, "{ users { email } }", json!({})).await;
    assert_eq!(users["data"]["users"].as_array().unwrap().len(), 3);
    assert_eq!(first_code(&app.post_as(&editor, "{ users { email } }", json!({})).await.1), "FORBIDDEN");

    // Disabling ends the user's sessions; an admin cannot lock themselves out.
    let fatou = login(&app, "f@example.org", PASSWORD).await["data"]["login"]["token"].as_str().unwrap().to_owned();
    let disable = format!(r#"mutation {{ setUserDisabled(id: "{id}", disabled: true) {{ disabled }} }}"#);
    assert_eq!(app.post_as(&admin, &disable, json!({})).await.1["data"]["setUserDisabled"]["disabled"], true);
    assert_eq!(app.post_as(&fatou, "{ me { email } }", json!({})).await.0, 401);
    let (_, me) = app.post_as(&admin, "{ me { id } }", json!({})).await;
    let self_disable = format!(
        r#"mutation {{ setUserDisabled(id: "{}", disabled: true) {{ disabled }} }}"#,
        me["data"]["me"]["id"].as_str().unwrap()
    );
    assert_eq!(first_code(&app.post_as(&admin, &self_disable, json!({})).await.1), "BAD_USER_INPUT");

    // The audit log names who did what, newest first, and pages.
    let (_, log) = app.post_as(&admin, "{ auditLog(first: 1) { id action displayName entity } }", json!({})).await;
    let newest = &log["data"]["auditLog"][0];
    assert_eq!((newest["action"].as_str(), newest["entity"].as_str()), (Some("user.disable"), Some("user")), "{log}");
    // Before it, the admin's createUser, then the accounts the test set up (audited too).
    let next =
        format!(r#"{{ auditLog(first: 2, before: "{}") {{ action displayName }} }}"#, newest["id"].as_str().unwrap());
    let expected = json!([{ "action": "user.create", "displayName": "root" },
        { "action": "user.create", "displayName": "system (test setup)" }]);
    assert_eq!(app.post_as(&admin, &next, json!({})).await.1["data"]["auditLog"], expected);
    assert_eq!(first_code(&app.post_as(&editor, "{ auditLog { id } }", json!({})).await.1), "FORBIDDEN");
    assert!(!log.to_string().contains("127.0.0.1"), "no addresses in the audit log");
    app.stop().await;
}
backend_test!(admins_manage_users_and_read_the_audit_log);

/// Many wrong guesses at once, through two server processes, cannot check more passwords than
/// the limit allows, and a right password sent with them still waits for the window.
async fn concurrent_guesses_cannot_beat_the_lockout(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |c| c.auth.login_max_failures = 5).await else { return };
    app.add_user("rev@example.org", Role::Reviewer, &["fr"]).await;
    let other = app.sibling(|_| {}).await;
    let guesses = (0..40).map(|i| {
        let target = if i % 2 == 0 { &app } else { &other };
        async move { first_code(&login(target, "rev@example.org", &format!("wrong guess number {i:02}")).await) }
    });
    let codes = futures_util::future::join_all(guesses).await;
    let checked = codes.iter().filter(|c| *c == "UNAUTHENTICATED").count();
    let refused = codes.iter().filter(|c| *c == "RATE_LIMITED").count();
    assert_eq!(checked + refused, 40, "{codes:?}");
    assert_eq!(checked, 5, "passwords checked: exactly the limit, however many at once: {codes:?}");
    assert_eq!(first_code(&login(&app, "rev@example.org", PASSWORD).await), "RATE_LIMITED");
    assert_eq!(first_code(&login(&other, "rev@example.org", PASSWORD).await), "RATE_LIMITED");
    other.stop().await;
    app.stop().await;
}
backend_test!(concurrent_guesses_cannot_beat_the_lockout);

/// One request checks at most one password, however many sign-ins it carries as aliases or as a
/// batch.
async fn one_request_checks_one_password(backend: Backend) {
    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    for i in 0..4 {
        app.add_user(&format!("user{i}@example.org"), Role::Editor, &[]).await;
    }
    let aliased: String = (0..4)
        .map(|i| {
            format!("a{i}: login(email: \"user{i}@example.org\", password: \"not the password {i}\") {{ token }} ")
        })
        .collect();
    let body = app.gql(&format!("mutation {{ {aliased} }}"), json!({})).await;
    let codes: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["extensions"]["code"].as_str().unwrap()).collect();
    assert_eq!(codes.iter().filter(|c| **c == "UNAUTHENTICATED").count(), 1, "one check: {body}");
    assert!(codes.iter().all(|c| *c == "UNAUTHENTICATED" || *c == "RATE_LIMITED"), "{body}");
    // A batch shares the request's one check: the second sign-in is refused even with the right
    // password.
    let batch = json!([
        { "query": LOGIN, "variables": { "e": "user0@example.org", "p": "still not the password" } },
        { "query": LOGIN, "variables": { "e": "user1@example.org", "p": PASSWORD } },
    ]);
    let resp = app.client.post(app.url("/graphql")).json(&batch).send().await.unwrap();
    let answers: Value = resp.json().await.unwrap();
    assert_eq!(first_code(&answers[0]), "UNAUTHENTICATED", "{answers}");
    assert_eq!(first_code(&answers[1]), "RATE_LIMITED", "{answers}");
    // Alone, the right password signs in: the refusals above did not count against it.
    assert!(login(&app, "user1@example.org", PASSWORD).await["data"]["login"]["token"].is_string());
    app.stop().await;
}
backend_test!(one_request_checks_one_password);

/// The command line writes through the same path as the API: `chorus user create`, `chorus
/// token create` and `chorus user disable` are in the audit log, made by the system.
async fn the_command_line_is_audited(backend: Backend) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    let Some(app) = spawn_with(backend, false, |_| {}).await else { return };
    let admin = app.sign_in(Role::Admin, &[]).await;
    let chorus = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chorus-test-server"))
            .args(args)
            .env("CHORUS_DATABASE__URL", &app.config.database.url)
            .env("CHORUS_LOG__LEVEL", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chorus runs");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let create = ["user", "create", "--email", "cli@example.org", "--name", "Cli", "--role", "editor"];
    chorus(&create, &format!("{PASSWORD}\n"));
    chorus(&["token", "create", "--email", "cli@example.org", "--name", "ci", "--scopes", "write"], "");
    chorus(&["user", "disable", "--email", "cli@example.org"], "");
    let log = app.gql_as(&admin, "{ auditLog(first: 3) { action displayName entity } }", json!({})).await;
    assert_eq!(
        log["data"]["auditLog"],
        json!([
            { "action": "user.disable", "displayName": "system (chorus user disable)", "entity": "user" },
            { "action": "token.create", "displayName": "system (chorus token create)", "entity": "api_token" },
            { "action": "user.create", "displayName": "system (chorus user create)", "entity": "user" },
        ]),
        "{log}"
    );
    app.stop().await;
}
backend_test!(the_command_line_is_audited);
