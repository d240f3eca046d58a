//! Administration: user accounts (after the first admin, who is created with the CLI) and the
//! audit log. Admins only.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chorus_entities::audit_log;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::auth::{Role, User, principal};
use super::error::IntoGql;
use super::ids::{self, NodeType};
use super::state;
use crate::auth::policy::{Action, allows};
use crate::auth::{Principal, accounts};
use crate::error::{AppError, AppResult};

pub(super) fn require<'a>(ctx: &Context<'a>, action: Action) -> AppResult<&'a Principal> {
    let who = principal(ctx)?;
    if allows(who, &action) { Ok(who) } else { Err(AppError::Forbidden("administrators only".into())) }
}

/// One entry of the audit log: who did what, when (never from where).
#[derive(SimpleObject)]
pub struct AuditEntry {
    id: ID,
    at: DateTime<Utc>,
    display_name: String,
    action: String,
    entity: String,
    entity_id: i32,
    locale: Option<String>,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    email: String,
    display_name: String,
    /// At least 12 characters.
    password: String,
    role: Role,
    /// The locales a translator or reviewer works in.
    locales: Option<Vec<String>>,
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every user account.
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        require(ctx, Action::ManageUsers).gql()?;
        Ok(accounts::list_users(&state(ctx).db).await.gql()?.into_iter().map(User::from).collect())
    }

    /// The audit log, newest first; pass the last `id` seen as `before` for the next page.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: i32,
        before: Option<ID>,
    ) -> async_graphql::Result<Vec<AuditEntry>> {
        require(ctx, Action::ReadAudit).gql()?;
        log_page(ctx, first).gql()?;
        let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Id).limit(first as u64);
        if let Some(before) = before {
            let id: i64 = before.parse().map_err(|_| AppError::bad_input("before: an audit entry id")).gql()?;
            q = q.filter(audit_log::Column::Id.lt(id));
        }
        let rows = q.all(&state(ctx).db).await.map_err(AppError::from).gql()?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: ID(r.id.to_string()),
                at: r.at,
                display_name: r.display_name,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                locale: r.locale,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates a user account.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> async_graphql::Result<User> {
        let who = require(ctx, Action::ManageUsers).gql()?;
        let st = state(ctx);
        let new = accounts::NewUser {
            email: input.email,
            display_name: input.display_name,
            password: input.password,
            role: input.role.into(),
            locales: input.locales.unwrap_or_default(),
        };
        let user = accounts::create_user(&st.db, &st.locales, who.into(), new).await.gql()?;
        Ok(user.into())
    }

    /// Disables (ending their sessions) or re-enables a user.
    async fn set_user_disabled(&self, ctx: &Context<'_>, id: ID, disabled: bool) -> async_graphql::Result<User> {
        let who = require(ctx, Action::ManageUsers).gql()?;
        let id = ids::decode_as(&id, NodeType::User).gql()?;
        let user =
            accounts::set_disabled(&state(ctx).db, who.into(), accounts::UserRef::Id(id), disabled).await.gql()?;
        Ok(user.into())
    }
}

/// A webhook target (its secret is shown only when created).
#[derive(SimpleObject)]
pub struct Webhook {
    id: ID,
    url: String,
    events: Vec<String>,
    active: bool,
    created_at: DateTime<Utc>,
}

impl From<chorus_entities::webhooks::Model> for Webhook {
    fn from(w: chorus_entities::webhooks::Model) -> Self {
        Webhook {
            id: ID(w.id.to_string()),
            url: w.url,
            events: w.events.split(',').map(str::to_owned).collect(),
            active: w.active,
            created_at: w.created_at,
        }
    }
}

/// A new webhook with its signing secret: store it now, it is not shown again.
#[derive(SimpleObject)]
pub struct CreatedWebhook {
    webhook: Webhook,
    secret: String,
}

/// One queued event for one webhook, with its attempts.
#[derive(SimpleObject)]
pub struct WebhookDelivery {
    id: ID,
    idempotency_key: String,
    event: String,
    payload: String,
    attempts: i32,
    last_status: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// An http or https URL; private and loopback targets need `webhooks.allow_private_targets`.
    url: String,
    /// Any of published, unpublished, updated, deleted.
    events: Vec<String>,
}

fn parse_webhook_id(id: &ID) -> AppResult<i32> {
    id.parse().map_err(|_| AppError::bad_input("id: a webhook id"))
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Registered webhooks (admins).
    async fn webhooks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Webhook>> {
        let who = principal(ctx).gql()?;
        Ok(crate::webhooks::list(state(ctx), who).await.gql()?.into_iter().map(Webhook::from).collect())
    }

    /// The delivery log of a webhook, newest first (admins).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        webhook_id: ID,
        #[graphql(default = 50)] first: i32,
    ) -> async_graphql::Result<Vec<WebhookDelivery>> {
        let who = principal(ctx).gql()?;
        log_page(ctx, first).gql()?;
        let rows =
            crate::webhooks::log(state(ctx), who, parse_webhook_id(&webhook_id).gql()?, first as u64).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|d| WebhookDelivery {
                id: ID(d.id.to_string()),
                idempotency_key: d.idempotency_key,
                event: d.event,
                payload: d.payload,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                next_attempt_at: d.next_attempt_at,
                delivered_at: d.delivered_at,
                failed_at: d.failed_at,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook (admins); returns its signing secret once.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookInput,
    ) -> async_graphql::Result<CreatedWebhook> {
        let who = principal(ctx).gql()?;
        let hook = crate::webhooks::create(state(ctx), who, &input.url, &input.events).await.gql()?;
        let secret = hook.secret.clone();
        Ok(CreatedWebhook { webhook: hook.into(), secret })
    }

    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let who = principal(ctx).gql()?;
        crate::webhooks::delete(state(ctx), who, parse_webhook_id(&id).gql()?).await.gql()?;
        Ok(true)
    }
}

/// Checks the page size of a log against `graphql.max_log_page_size`.
fn log_page(ctx: &Context<'_>, first: i32) -> Result<(), AppError> {
    let max = state(ctx).config.graphql.max_log_page_size;
    if first < 1 || first as u32 > max {
        return Err(AppError::bad_input(format!("first: between 1 and {max}")));
    }
    Ok(())
}
