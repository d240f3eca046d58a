//! Accounts: users, login sessions and API tokens. Framework-free: the CLI and GraphQL call these.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use chorus_entities::{Role, api_tokens, sessions, users};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::limiter::LoginLimiter;
use super::{API_TOKEN_PREFIX, Principal, SESSION_PREFIX, Scope, new_token, token_hash};
use crate::error::{AppError, AppResult};
use crate::locale::Locales;
use crate::write::{Actor, Write};

const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 1024;
/// The one answer to every failed login, whether or not the email exists.
const BAD_LOGIN: &str = "invalid email or password";

/// Verified against when an email is unknown, so that a failed login takes as long either way.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default().hash_password(b"chorus-dummy-password").map(|h| h.to_string()).unwrap_or_default()
});

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What `create_user` needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub locales: Vec<String>,
}

async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::internal(format!("password hashing: {e}")))
}

async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// Creates a user, audited as made by `by`. Translators and reviewers must list the configured
/// locales they work in. The password is hashed before the write begins.
pub async fn create_user(
    db: &DatabaseConnection,
    locales: &Locales,
    by: Actor,
    new: NewUser,
) -> AppResult<users::Model> {
    let email = normalize_email(&new.email);
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(AppError::bad_input("email: not an email address"));
    }
    let display_name = new.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 {
        return Err(AppError::bad_input("displayName: between 1 and 200 characters"));
    }
    let n = new.password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(AppError::bad_input(format!("password: between {MIN_PASSWORD} and {MAX_PASSWORD} characters")));
    }
    let mut codes: Vec<String> = Vec::new();
    for raw in &new.locales {
        let code = locales.configured_code(raw).map_err(|e| AppError::bad_input(format!("locales: {e}")))?;
        if !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    }
    if matches!(new.role, Role::Translator | Role::Reviewer) && codes.is_empty() {
        return Err(AppError::bad_input("locales: translators and reviewers work in at least one locale"));
    }
    let password_hash = hash_password(new.password).await?;
    let w = Write::begin(db, by, &()).await?;
    if users::Entity::find().filter(users::Column::Email.eq(email.as_str())).one(w.txn()).await?.is_some() {
        return Err(AppError::bad_input("email: a user with this email exists"));
    }
    let now = Utc::now();
    let user = users::ActiveModel {
        email: Set(email),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        role: Set(new.role),
        locales: Set(codes.join(",")),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(w.txn())
    .await?;
    w.audit("user.create", "user", user.id, None).await?;
    w.commit().await?;
    Ok(user)
}

pub async fn list_users(db: &DatabaseConnection) -> AppResult<Vec<users::Model>> {
    Ok(users::Entity::find().order_by_asc(users::Column::Id).all(db).await?)
}

/// A user named by id (GraphQL) or by email (the command line).
#[derive(Copy, Clone, Debug)]
pub enum UserRef<'a> {
    Id(i32),
    Email(&'a str),
}

/// Disables (or re-enables) a user, audited as done by `by`; disabling ends their sessions at
/// once. No one can disable their own account (an admin would lock themselves out).
pub async fn set_disabled(
    db: &DatabaseConnection,
    by: Actor,
    user: UserRef<'_>,
    disabled: bool,
) -> AppResult<users::Model> {
    if disabled && matches!(user, UserRef::Id(id) if by.user_id == Some(id)) {
        return Err(AppError::bad_input("id: you cannot disable your own account"));
    }
    let w = Write::begin(db, by, &()).await?;
    let found = match user {
        UserRef::Id(id) => users::Entity::find_by_id(id).one(w.txn()).await?,
        UserRef::Email(email) => {
            users::Entity::find().filter(users::Column::Email.eq(normalize_email(email))).one(w.txn()).await?
        }
    };
    let user = found.ok_or_else(|| AppError::NotFound("no such user".into()))?;
    if disabled && w.actor().user_id == Some(user.id) {
        return Err(AppError::bad_input("id: you cannot disable your own account"));
    }
    let mut active: users::ActiveModel = user.into();
    active.disabled = Set(disabled);
    active.updated_at = Set(Utc::now());
    let user = active.update(w.txn()).await?;
    if disabled {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, sea_orm::sea_query::Expr::val(Utc::now()))
            .filter(sessions::Column::UserId.eq(user.id))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(w.txn())
            .await?;
    }
    w.audit(if disabled { "user.disable" } else { "user.enable" }, "user", user.id, None).await?;
    w.commit().await?;
    Ok(user)
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct LoginSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: users::Model,
}

/// Checks a password and opens a session. Unknown emails, wrong passwords and disabled accounts
/// get the same answer, after the same work; repeated failures lock the account for a while. The
/// attempt is reserved before the password is checked, so the limit holds under any concurrency.
pub async fn login(
    db: &DatabaseConnection,
    limiter: &LoginLimiter,
    email: &str,
    password: &str,
    ttl: Duration,
) -> AppResult<LoginSession> {
    let key = normalize_email(email);
    let Some(attempt) = limiter.reserve(db, &key).await? else {
        return Err(AppError::RateLimited("too many failed logins for this account; try again later".into()));
    };
    let password = password.chars().take(MAX_PASSWORD).collect::<String>();
    let user = users::Entity::find().filter(users::Column::Email.eq(key.as_str())).one(db).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
    let ok = match limiter.password_check().await {
        Ok(_permit) => verify_password(password, hash).await,
        Err(busy) => {
            limiter.cancel(db, attempt).await?;
            return Err(busy);
        }
    };
    let user = match user {
        Some(u) if ok && !u.disabled => u,
        _ => {
            limiter.failed(db, attempt).await?;
            return Err(AppError::Unauthenticated(BAD_LOGIN.into()));
        }
    };
    limiter.succeeded(db, attempt).await?;
    let token = new_token(SESSION_PREFIX)?;
    let now = Utc::now();
    let expires_at = now + ttl;
    sessions::ActiveModel {
        user_id: Set(user.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(LoginSession { token, expires_at, user })
}

/// Revokes a session.
pub async fn logout(db: &DatabaseConnection, session_id: i32) -> AppResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, sea_orm::sea_query::Expr::val(Utc::now()))
        .filter(sessions::Column::Id.eq(session_id))
        .exec(db)
        .await?;
    Ok(())
}

fn principal(user: users::Model, scopes: Option<Vec<Scope>>, session_id: Option<i32>) -> Principal {
    Principal {
        user_id: user.id,
        display_name: user.display_name,
        role: user.role,
        locales: user.locales.split(',').filter(|l| !l.is_empty()).map(str::to_owned).collect(),
        scopes,
        session_id,
    }
}

/// The principal of an active user (for work done on their behalf, such as scheduled publishing).
pub async fn principal_for_user(db: &DatabaseConnection, user_id: i32) -> AppResult<Option<Principal>> {
    Ok(users::Entity::find_by_id(user_id).one(db).await?.filter(|u| !u.disabled).map(|u| principal(u, None, None)))
}

/// Resolves a bearer token (session or API token) into the principal it stands for.
pub async fn authenticate(db: &DatabaseConnection, token: &str) -> AppResult<Principal> {
    let invalid = || AppError::Unauthenticated("invalid or expired token".into());
    if token.len() > 128 {
        return Err(invalid());
    }
    let hash = token_hash(token);
    let now = Utc::now();
    if token.starts_with(SESSION_PREFIX) {
        let session = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(hash))
            .one(db)
            .await?
            .filter(|s| s.revoked_at.is_none() && s.expires_at > now)
            .ok_or_else(invalid)?;
        let user =
            users::Entity::find_by_id(session.user_id).one(db).await?.filter(|u| !u.disabled).ok_or_else(invalid)?;
        return Ok(principal(user, None, Some(session.id)));
    }
    if token.starts_with(API_TOKEN_PREFIX) {
        let t = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(hash))
            .one(db)
            .await?
            .filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
            .ok_or_else(invalid)?;
        let user = users::Entity::find_by_id(t.user_id).one(db).await?.filter(|u| !u.disabled).ok_or_else(invalid)?;
        // Recording every use would turn reads into writes: once a minute is precise enough.
        if t.last_used_at.is_none_or(|at| now - at > Duration::seconds(60)) {
            let mut active: api_tokens::ActiveModel = t.clone().into();
            active.last_used_at = Set(Some(now));
            active.update(db).await?;
        }
        let scopes = t.scopes.split(',').filter_map(Scope::parse).collect();
        return Ok(principal(user, Some(scopes), None));
    }
    Err(invalid())
}

async fn user_by_email(db: &DatabaseConnection, email: &str) -> AppResult<users::Model> {
    users::Entity::find()
        .filter(users::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no user with this email".into()))
}

/// The principal of the user with an email (the command line's `--as`).
pub async fn principal_by_email(db: &DatabaseConnection, email: &str) -> AppResult<Principal> {
    let user = user_by_email(db, email).await?;
    Ok(principal(user, None, None))
}

/// Creates an API token for a user, audited as made by `by`; the token is returned once and
/// stored hashed.
pub async fn create_api_token(
    db: &DatabaseConnection,
    by: Actor,
    email: &str,
    name: &str,
    scopes: &[Scope],
    expires_in: Option<Duration>,
) -> AppResult<(api_tokens::Model, String)> {
    let user = user_by_email(db, email).await?;
    if scopes.is_empty() {
        return Err(AppError::bad_input("scopes: at least one of read_drafts, write, publish, admin"));
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("name: between 1 and 200 characters"));
    }
    let token = new_token(API_TOKEN_PREFIX)?;
    let now = Utc::now();
    let w = Write::begin(db, by, &()).await?;
    let model = api_tokens::ActiveModel {
        user_id: Set(user.id),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        scopes: Set(scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")),
        created_at: Set(now),
        expires_at: Set(expires_in.map(|d| now + d)),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(w.txn())
    .await?;
    w.audit("token.create", "api_token", model.id, None).await?;
    w.commit().await?;
    Ok((model, token))
}

pub async fn list_api_tokens(db: &DatabaseConnection) -> AppResult<Vec<api_tokens::Model>> {
    Ok(api_tokens::Entity::find().order_by_asc(api_tokens::Column::Id).all(db).await?)
}

/// Revokes an API token by id, audited as done by `by`.
pub async fn revoke_api_token(db: &DatabaseConnection, by: Actor, id: i32) -> AppResult<()> {
    let w = Write::begin(db, by, &()).await?;
    let t = api_tokens::Entity::find_by_id(id)
        .one(w.txn())
        .await?
        .ok_or_else(|| AppError::NotFound("no such token".into()))?;
    let mut active: api_tokens::ActiveModel = t.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(w.txn()).await?;
    w.audit("token.revoke", "api_token", id, None).await?;
    w.commit().await?;
    Ok(())
}
