//! `/api/orgs/{orgId}/webhooks`: endpoints that receive the org's audit events, signed as
//! Standard Webhooks. Every route needs `settings:write`.

use actix_web::{HttpResponse, web};
use tenantry_domain::audit::AuditPage;
use tenantry_domain::ids::{OrgId, WebhookId};
use tenantry_domain::webhook::{NewWebhook, WebhookChanges};

use super::{path_id, path_ids};
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::{Body, Query};
use crate::dto::webhook::{
    CreatedWebhookResponse, DeliveryLogQuery, DeliveryLogResponse, NewWebhookRequest,
    WebhookListResponse, WebhookResponse, WebhookTestResponse, WebhookUpdateRequest,
};
use crate::error::{ApiError, ErrorBody};

/// The org's webhooks, oldest first, without their secrets.
#[utoipa::path(get, path = "/api/orgs/{orgId}/webhooks", tag = "webhooks",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = WebhookListResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_webhooks(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let webhooks = state.services.webhooks.list(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(WebhookListResponse {
        webhooks: webhooks.into_iter().map(WebhookResponse::from).collect(),
    }))
}

/// Adds a webhook; the answer carries its signing secret, shown this once. Events recorded
/// from now on are delivered to it.
#[utoipa::path(post, path = "/api/orgs/{orgId}/webhooks", tag = "webhooks",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = NewWebhookRequest,
    responses(
        (status = 201, body = CreatedWebhookResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 409, description = "webhook_limit_reached", body = ErrorBody),
        (status = 422, description = "validation_failed (a private target is refused on `url`)", body = ErrorBody),
    ))]
pub(crate) async fn create_webhook(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<NewWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let new = NewWebhook::try_from(body)?;
    let created = state
        .services
        .webhooks
        .create(&auth.actor, org, new)
        .await?;
    Ok(HttpResponse::Created().json(CreatedWebhookResponse::from(created)))
}

/// Changes the URL, the events or `active` (pause and resume); what is left out stays.
#[utoipa::path(patch, path = "/api/orgs/{orgId}/webhooks/{id}", tag = "webhooks",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    request_body = WebhookUpdateRequest,
    responses(
        (status = 200, body = WebhookResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, webhook_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn update_webhook(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<WebhookUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let (org, id): (OrgId, WebhookId) = path_ids(&path)?;
    let changes = WebhookChanges::try_from(body)?;
    let webhook = state
        .services
        .webhooks
        .update(&auth.actor, org, id, changes)
        .await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(webhook)))
}

/// Replaces the signing secret; the answer carries the new one, shown this once. The old one
/// keeps signing beside it for 24 hours (`previousSecretExpiresAt`), so receivers can switch
/// without refusing a delivery.
#[utoipa::path(post, path = "/api/orgs/{orgId}/webhooks/{id}/secret", tag = "webhooks",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = CreatedWebhookResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, webhook_not_found", body = ErrorBody),
    ))]
pub(crate) async fn rotate_webhook_secret(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, WebhookId) = path_ids(&path)?;
    let rotated = state
        .services
        .webhooks
        .rotate_secret(&auth.actor, org, id)
        .await?;
    Ok(HttpResponse::Ok().json(CreatedWebhookResponse::from(rotated)))
}

/// Queues a test event (`webhook.tested`) for the webhook, whatever it subscribes to, and makes
/// it due now; the workers post it as they post every event, after those queued before it.
#[utoipa::path(post, path = "/api/orgs/{orgId}/webhooks/{id}/test", tag = "webhooks",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 202, body = WebhookTestResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, webhook_not_found", body = ErrorBody),
    ))]
pub(crate) async fn test_webhook(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, WebhookId) = path_ids(&path)?;
    let event = state
        .services
        .webhooks
        .send_test(&auth.actor, org, id)
        .await?;
    Ok(HttpResponse::Accepted().json(WebhookTestResponse {
        event_id: event.to_string(),
    }))
}

/// Deletes the webhook; events not yet delivered to it are dropped.
#[utoipa::path(delete, path = "/api/orgs/{orgId}/webhooks/{id}", tag = "webhooks",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, webhook_not_found", body = ErrorBody),
    ))]
pub(crate) async fn delete_webhook(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, WebhookId) = path_ids(&path)?;
    state.services.webhooks.delete(&auth.actor, org, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The webhook's delivery attempts, newest first, with the receiver's HTTP status.
#[utoipa::path(get, path = "/api/orgs/{orgId}/webhooks/{id}/deliveries", tag = "webhooks",
    security(("bearer" = [])),
    params(("orgId" = String, Path), ("id" = String, Path), DeliveryLogQuery),
    responses(
        (status = 200, body = DeliveryLogResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, webhook_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_deliveries(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    query: Query<DeliveryLogQuery>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, WebhookId) = path_ids(&path)?;
    let query = query.value()?;
    let page = AuditPage::new(query.page, query.limit)?;
    let log = state
        .services
        .webhooks
        .deliveries(&auth.actor, org, id, page)
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryLogResponse::from(log)))
}
