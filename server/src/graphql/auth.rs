//! Signing in and out, and who the caller is.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chorus_entities::users;
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;

use super::error::IntoGql;
use super::ids::{self, NodeType};
use super::state;
use crate::auth::{PasswordBudget, Principal, accounts};
use crate::error::{AppError, AppResult};

/// What a user may do (see the policy in ARCHITECTURE.md).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "chorus_entities::Role")]
pub enum Role {
    Admin,
    Editor,
    Translator,
    Reviewer,
    Viewer,
}

/// A signed-in user, as they see themselves.
#[derive(SimpleObject)]
pub struct User {
    id: ID,
    email: String,
    display_name: String,
    role: Role,
    /// The locales a translator or reviewer works in.
    locales: Vec<String>,
    disabled: bool,
}

impl From<users::Model> for User {
    fn from(u: users::Model) -> Self {
        User {
            id: ids::encode(NodeType::User, u.id),
            email: u.email,
            display_name: u.display_name,
            role: u.role.into(),
            locales: u.locales.split(',').filter(|l| !l.is_empty()).map(str::to_owned).collect(),
            disabled: u.disabled,
        }
    }
}

/// A login session. Send `token` as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct Session {
    token: String,
    expires_at: DateTime<Utc>,
    user: User,
}

/// The authenticated caller, or `UNAUTHENTICATED`.
pub fn principal<'a>(ctx: &Context<'a>) -> AppResult<&'a Principal> {
    ctx.data_opt::<Principal>().ok_or_else(|| AppError::Unauthenticated("sign in first".into()))
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let p = principal(ctx).gql()?;
        let user = users::Entity::find_by_id(p.user_id)
            .one(&state(ctx).db)
            .await
            .map_err(AppError::from)
            .gql()?
            .ok_or_else(|| AppError::Unauthenticated("sign in first".into()))
            .gql()?;
        Ok(user.into())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in. Every failure has the same answer, whether or not the email exists; repeated
    /// failures lock the account for a while (`RATE_LIMITED`).
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> async_graphql::Result<Session> {
        let st = state(ctx);
        if ctx.data_opt::<PasswordBudget>().is_some_and(|budget| !budget.take()) {
            return Err(AppError::RateLimited("one sign-in per request".into())).gql();
        }
        let ttl = chrono::Duration::hours(i64::from(st.config.auth.session_ttl_hours));
        let s = accounts::login(&st.db, &st.login_limiter, &email, &password, ttl).await.gql()?;
        Ok(Session { token: s.token, expires_at: s.expires_at, user: s.user.into() })
    }

    /// Ends the current session: its token stops working at once.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let p = principal(ctx).gql()?;
        let Some(session) = p.session_id else {
            return Err(AppError::bad_input("API tokens are revoked with `chorus token revoke`, not logout")).gql();
        };
        accounts::logout(&state(ctx).db, session).await.gql()?;
        Ok(true)
    }
}
