//! `/api/orgs/{orgId}/scim/...`: the owner connects the org's identity provider. Every route
//! needs the owner, on a plan with directory sync (Enterprise).

use actix_web::{HttpResponse, web};
use tenantry_domain::directory::ProvisioningSettings;
use tenantry_domain::ids::{OrgId, ScimTokenId};
use tenantry_domain::user::TokenName;

use super::{path_id, path_ids};
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::scim::{
    CreatedScimTokenResponse, NewScimTokenRequest, ScimSettingsBody, ScimTokenListResponse,
    ScimTokenResponse,
};
use crate::error::{ApiError, ErrorBody};

/// Makes a directory token; the answer shows it this once.
#[utoipa::path(post, path = "/api/orgs/{orgId}/scim/tokens", tag = "scim",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = NewScimTokenRequest,
    responses(
        (status = 201, body = CreatedScimTokenResponse),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn create_scim_token(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<NewScimTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let name = TokenName::try_from(body.value()?)?;
    let org: OrgId = path_id(&path)?;
    let (info, token) = state
        .services
        .directory
        .create_token(&auth.actor, org, name)
        .await?;
    Ok(HttpResponse::Created().json(CreatedScimTokenResponse {
        info: ScimTokenResponse::from(info),
        token: token.expose().to_owned(),
        scim_path: format!("/scim/v2/{org}"),
    }))
}

/// The org's directory tokens, without the tokens themselves.
#[utoipa::path(get, path = "/api/orgs/{orgId}/scim/tokens", tag = "scim",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = ScimTokenListResponse),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_scim_tokens(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let tokens = state
        .services
        .directory
        .list_tokens(&auth.actor, org)
        .await?;
    Ok(HttpResponse::Ok().json(ScimTokenListResponse {
        tokens: tokens.into_iter().map(ScimTokenResponse::from).collect(),
    }))
}

/// Revokes a directory token at once.
#[utoipa::path(delete, path = "/api/orgs/{orgId}/scim/tokens/{id}", tag = "scim",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found, token_not_found", body = ErrorBody),
    ))]
pub(crate) async fn revoke_scim_token(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, ScimTokenId) = path_ids(&path)?;
    state
        .services
        .directory
        .revoke_token(&auth.actor, org, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The org's directory settings: the default role and the group-to-role mappings.
#[utoipa::path(get, path = "/api/orgs/{orgId}/scim/settings", tag = "scim",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = ScimSettingsBody),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn get_scim_settings(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let settings = state.services.directory.settings(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(ScimSettingsBody::from(settings)))
}

/// Replaces the directory settings; managed members get the roles the new mappings say.
#[utoipa::path(put, path = "/api/orgs/{orgId}/scim/settings", tag = "scim",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = ScimSettingsBody,
    responses(
        (status = 200, body = ScimSettingsBody),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed, unknown_role", body = ErrorBody),
    ))]
pub(crate) async fn put_scim_settings(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<ScimSettingsBody>,
) -> Result<HttpResponse, ApiError> {
    let settings = ProvisioningSettings::try_from(body.value()?)?;
    let org: OrgId = path_id(&path)?;
    let saved = state
        .services
        .directory
        .set_settings(&auth.actor, org, settings)
        .await?;
    Ok(HttpResponse::Ok().json(ScimSettingsBody::from(saved)))
}
