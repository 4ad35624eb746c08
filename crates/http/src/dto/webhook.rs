//! Bodies of `/api/orgs/{orgId}/webhooks`, in the `_id`/camelCase of the multi-org API.

use serde::{Deserialize, Serialize};
use tenantry_domain::validation::ValidationError;
use tenantry_domain::webhook::{
    CreatedWebhook, DeliveryAttempt, DeliveryLog, EventTypes, NewWebhook, Webhook, WebhookChanges,
    WebhookUrl,
};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{rfc3339, utc};

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookResponse {
    #[serde(rename = "_id")]
    pub id: String,
    pub org_id: String,
    pub url: String,
    /// The audit actions delivered (see docs/audit-events.md).
    #[schema(schema_with = crate::dto::schema::webhook_events)]
    pub events: Vec<&'static str>,
    /// Whether events are posted now; a paused webhook's events wait in its queue.
    pub active: bool,
    /// Until when the secret before the last rotation still signs beside the current one
    /// (each delivery then carries both signatures); null when none does.
    #[serde(with = "rfc3339::option")]
    pub previous_secret_expires_at: Option<OffsetDateTime>,
    #[serde(with = "rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<Webhook> for WebhookResponse {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id.to_string(),
            org_id: webhook.org_id.to_string(),
            url: webhook.url.as_str().to_owned(),
            events: webhook.events.actions().iter().map(|a| a.name()).collect(),
            active: webhook.active,
            previous_secret_expires_at: webhook.previous_secret_expires_at.map(utc),
            created_at: utc(webhook.created_at),
        }
    }
}

/// A webhook with a new signing secret: the answers of creating it and of rotating its secret,
/// the only ones that show a secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// `whsec_<base64>`: verify the `webhook-signature` header with it (Standard Webhooks).
    /// Shown once; keep it.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

impl From<CreatedWebhook> for CreatedWebhookResponse {
    fn from(created: CreatedWebhook) -> Self {
        Self {
            secret: created.secret.text(),
            webhook: WebhookResponse::from(created.webhook),
        }
    }
}

/// `POST /api/orgs/{orgId}/webhooks/{id}/test`: the test event, queued.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTestResponse {
    /// The `webhook.tested` audit event: the `webhook-id` header the receiver gets, and the
    /// `eventId` of its tries in the deliveries log.
    pub event_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookListResponse {
    pub webhooks: Vec<WebhookResponse>,
}

/// `POST /api/orgs/{orgId}/webhooks`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// An http or https URL; private, loopback and link-local targets are refused unless the
    /// operator allowed them.
    #[schema(schema_with = crate::dto::schema::webhook_url)]
    pub url: String,
    #[schema(schema_with = crate::dto::schema::webhook_events)]
    pub events: Vec<String>,
}

impl TryFrom<NewWebhookRequest> for NewWebhook {
    type Error = ValidationError;

    fn try_from(body: NewWebhookRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            url: WebhookUrl::try_from(body.url.as_str())?,
            events: EventTypes::parse(body.events.iter().map(String::as_str))?,
        })
    }
}

/// `PATCH /api/orgs/{orgId}/webhooks/{id}`: what is left out (or `null`) stays.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdateRequest {
    #[schema(schema_with = crate::dto::schema::webhook_url_or_null)]
    pub url: Option<String>,
    #[schema(schema_with = crate::dto::schema::webhook_events_or_null)]
    pub events: Option<Vec<String>>,
    /// `false` pauses deliveries (events wait in the queue), `true` resumes them.
    pub active: Option<bool>,
}

impl TryFrom<WebhookUpdateRequest> for WebhookChanges {
    type Error = ValidationError;

    fn try_from(body: WebhookUpdateRequest) -> Result<Self, Self::Error> {
        Ok(Self {
            url: body.url.as_deref().map(WebhookUrl::try_from).transpose()?,
            events: body
                .events
                .map(|names| EventTypes::parse(names.iter().map(String::as_str)))
                .transpose()?,
            active: body.active,
        })
    }
}

/// One try to deliver one event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttemptResponse {
    /// The audit event, also the `webhook-id` header of every try.
    pub event_id: String,
    #[schema(example = "member.joined")]
    pub event_type: &'static str,
    /// 1 for the first try of this event.
    pub attempt: u32,
    /// The receiver's HTTP status; null when no answer came.
    pub status: Option<u16>,
    /// Whether the receiver took it (a 2xx status).
    pub delivered: bool,
    /// Why it failed, when it did.
    pub error: Option<String>,
    #[serde(with = "rfc3339")]
    pub attempted_at: OffsetDateTime,
    pub duration_ms: u32,
}

impl From<DeliveryAttempt> for DeliveryAttemptResponse {
    fn from(attempt: DeliveryAttempt) -> Self {
        Self {
            delivered: attempt.delivered(),
            event_id: attempt.event_id.to_string(),
            event_type: attempt.action.name(),
            attempt: attempt.attempt,
            status: attempt.status,
            error: attempt.error,
            attempted_at: utc(attempt.at),
            duration_ms: attempt.duration_ms,
        }
    }
}

/// A page of attempts, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryLogResponse {
    pub deliveries: Vec<DeliveryAttemptResponse>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

impl From<DeliveryLog> for DeliveryLogResponse {
    fn from(log: DeliveryLog) -> Self {
        Self {
            deliveries: log
                .attempts
                .into_iter()
                .map(DeliveryAttemptResponse::from)
                .collect(),
            total: log.total,
            page: log.page,
            pages: log.pages,
        }
    }
}

/// The page of `GET .../webhooks/{id}/deliveries`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryLogQuery {
    /// From 1 (default 1).
    #[param(minimum = 1, maximum = 100_000)]
    pub page: Option<u64>,
    /// Attempts per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}
