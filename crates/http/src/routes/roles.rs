use actix_web::{HttpResponse, web};
use tenantry_domain::ids::{OrgId, RoleId};
use tenantry_domain::role::{NewRole, RolePatch};

use super::{path_id, path_ids};
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::role::{CreateRoleRequest, RoleListResponse, RoleResponse, UpdateRoleRequest};
use crate::error::{ApiError, ErrorBody};

/// The organization's custom roles; needs `members:read` and the team plan or higher.
#[utoipa::path(get, path = "/api/orgs/{orgId}/roles", tag = "roles", security(("bearer" = [])),
    params(("orgId" = String, Path)),
    responses(
        (status = 200, body = RoleListResponse),
        (status = 403, description = "forbidden, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_roles(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let roles = state.services.roles.list(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(RoleListResponse {
        roles: roles.into_iter().map(RoleResponse::from).collect(),
    }))
}

/// Creates a custom role; needs `members:write`, and only permissions the caller holds.
#[utoipa::path(post, path = "/api/orgs/{orgId}/roles", tag = "roles", security(("bearer" = [])),
    params(("orgId" = String, Path)), request_body = CreateRoleRequest,
    responses(
        (status = 201, body = RoleResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 409, description = "role_name_taken, custom_role_limit_reached", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn create_role(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<CreateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let new = NewRole::try_from(body)?;
    let role = state.services.roles.create(&auth.actor, org, new).await?;
    Ok(HttpResponse::Created().json(RoleResponse::from(role)))
}

/// Changes a custom role's name, description or permissions.
#[utoipa::path(patch, path = "/api/orgs/{orgId}/roles/{roleId}", tag = "roles",
    security(("bearer" = [])), params(("orgId" = String, Path), ("roleId" = String, Path)),
    request_body = UpdateRoleRequest,
    responses(
        (status = 200, body = RoleResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found, role_not_found", body = ErrorBody),
        (status = 409, description = "role_name_taken", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn update_role(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<UpdateRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let (org, role): (OrgId, RoleId) = path_ids(&path)?;
    let patch = RolePatch::try_from(body)?;
    let updated = state
        .services
        .roles
        .update(&auth.actor, org, role, patch)
        .await?;
    Ok(HttpResponse::Ok().json(RoleResponse::from(updated)))
}

/// Deletes a custom role; its members become `member`.
#[utoipa::path(delete, path = "/api/orgs/{orgId}/roles/{roleId}", tag = "roles",
    security(("bearer" = [])), params(("orgId" = String, Path), ("roleId" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found, role_not_found", body = ErrorBody),
    ))]
pub(crate) async fn delete_role(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, role): (OrgId, RoleId) = path_ids(&path)?;
    state.services.roles.delete(&auth.actor, org, role).await?;
    Ok(HttpResponse::NoContent().finish())
}
