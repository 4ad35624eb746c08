use actix_web::{HttpResponse, web};
use tenantry_domain::ids::OrgId;
use tenantry_domain::org::OrgName;

use super::path_id;
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::org::{OrgListResponse, OrgRequest, OrgResponse};
use crate::error::{ApiError, ErrorBody};

/// Organizations the caller belongs to.
#[utoipa::path(get, path = "/api/orgs", tag = "organizations", security(("bearer" = [])),
    responses((status = 200, body = OrgListResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_orgs(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let orgs = state.services.orgs.list(&auth.actor).await?;
    Ok(HttpResponse::Ok().json(OrgListResponse {
        organizations: orgs.into_iter().map(OrgResponse::from).collect(),
    }))
}

/// Creates an organization on the free plan, owned by the caller.
#[utoipa::path(post, path = "/api/orgs", tag = "organizations", security(("bearer" = [])),
    request_body = OrgRequest,
    responses(
        (status = 201, body = OrgResponse),
        (status = 401, body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn create_org(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<OrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let name = OrgName::try_from(body)?;
    let created = state.services.orgs.create(&auth.actor, name).await?;
    Ok(HttpResponse::Created().json(OrgResponse::from(created)))
}

/// One organization the caller belongs to.
#[utoipa::path(get, path = "/api/orgs/{orgId}", tag = "organizations", security(("bearer" = [])),
    params(("orgId" = String, Path)),
    responses(
        (status = 200, body = OrgResponse),
        (status = 404, description = "org_not_found, also for orgs the caller is not in", body = ErrorBody),
    ))]
pub(crate) async fn get_org(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let summary = state.services.orgs.get(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(OrgResponse::from(summary)))
}

/// Renames the organization; needs `settings:write` (owner, admin).
#[utoipa::path(put, path = "/api/orgs/{orgId}", tag = "organizations", security(("bearer" = [])),
    params(("orgId" = String, Path)), request_body = OrgRequest,
    responses(
        (status = 200, body = OrgResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn update_org(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<OrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let name = OrgName::try_from(body)?;
    let summary = state.services.orgs.rename(&auth.actor, org, name).await?;
    Ok(HttpResponse::Ok().json(OrgResponse::from(summary)))
}

/// Deletes the organization with all of its data; owner only.
#[utoipa::path(delete, path = "/api/orgs/{orgId}", tag = "organizations", security(("bearer" = [])),
    params(("orgId" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn delete_org(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    state.services.orgs.delete(&auth.actor, org).await?;
    Ok(HttpResponse::NoContent().finish())
}
