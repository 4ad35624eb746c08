//! `/api/org/integrations`: the current org's integrations. Credentials are accepted, sealed
//! and never returned.

use actix_web::{HttpResponse, web};
use tenantry_domain::ids::IntegrationId;
use tenantry_domain::integration::{IntegrationChanges, NewIntegration};

use super::path_id;
use super::tenant::current;
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::integration::{
    IntegrationResponse, IntegrationUpdateRequest, NewIntegrationRequest,
};
use crate::error::{ApiError, ErrorBody};

/// The integrations, credentials redacted. Needs `settings:read` (owner, admin, auditor).
#[utoipa::path(get, path = "/api/org/integrations", tag = "tenant", security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<IntegrationResponse>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
    ))]
pub(crate) async fn list_integrations(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let org = current(&state, &auth).await?;
    let integrations = state.services.integrations.list(&auth.actor, org).await?;
    let body: Vec<_> = integrations
        .into_iter()
        .map(IntegrationResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Adds an integration; its credentials are sealed (AES-256-GCM) and never shown again. Needs
/// `settings:write` (owner, admin).
#[utoipa::path(post, path = "/api/org/integrations", tag = "tenant", security(("bearer" = [])),
    request_body = NewIntegrationRequest,
    responses(
        (status = 201, body = IntegrationResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn create_integration(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<NewIntegrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = NewIntegration::try_from(body.value()?)?;
    let org = current(&state, &auth).await?;
    let integration = state
        .services
        .integrations
        .create(&auth.actor, org, new)
        .await?;
    Ok(HttpResponse::Created().json(IntegrationResponse::from(integration)))
}

/// Changes status, last scan, settings or credentials. Needs `settings:write`.
#[utoipa::path(patch, path = "/api/org/integrations/{id}", tag = "tenant",
    security(("bearer" = [])), params(("id" = String, Path)),
    request_body = IntegrationUpdateRequest,
    responses(
        (status = 200, body = IntegrationResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "integration_not_found", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn update_integration(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<IntegrationUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let id: IntegrationId = path_id(&path)?;
    let changes = IntegrationChanges::try_from(body.value()?)?;
    let org = current(&state, &auth).await?;
    let integration = state
        .services
        .integrations
        .update(&auth.actor, org, id, changes)
        .await?;
    Ok(HttpResponse::Ok().json(IntegrationResponse::from(integration)))
}

/// Removes the integration and its credentials. Needs `settings:write`.
#[utoipa::path(delete, path = "/api/org/integrations/{id}", tag = "tenant",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "integration_not_found", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
    ))]
pub(crate) async fn delete_integration(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: IntegrationId = path_id(&path)?;
    let org = current(&state, &auth).await?;
    state
        .services
        .integrations
        .delete(&auth.actor, org, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
