use actix_web::{HttpResponse, web};
use tenantry_domain::check::Questions;
use tenantry_domain::ids::OrgId;

use super::path_id;
use crate::ApiState;
use crate::auth::CheckCaller;
use crate::body::Body;
use crate::dto::check::{BatchCheckRequest, CheckRequest, CheckResponse};
use crate::error::{ApiError, ErrorBody};

/// Whether a member may use each permission, and why: the role that grants it, or what stands
/// in the way. Asking about oneself needs membership only; about anyone else `members:read`
/// or a service token of the org (the only thing a service token may do).
#[utoipa::path(post, path = "/api/orgs/{orgId}/permissions/check", tag = "permissions",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = CheckRequest,
    responses(
        (status = 200, body = CheckResponse),
        (status = 403, description = "forbidden, mfa_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed (an unknown slug is named)", body = ErrorBody),
    ))]
pub(crate) async fn check_permissions(
    state: web::Data<ApiState>,
    CheckCaller(auth): CheckCaller,
    path: web::Path<String>,
    body: Body<CheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    answer(&state, &auth, org, Questions::try_from(body)?).await
}

/// Up to 100 (user, permission) questions in one request, answered in order.
#[utoipa::path(post, path = "/api/orgs/{orgId}/permissions/check-batch", tag = "permissions",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = BatchCheckRequest,
    responses(
        (status = 200, body = CheckResponse),
        (status = 403, description = "forbidden, mfa_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed (an unknown slug is named)", body = ErrorBody),
    ))]
pub(crate) async fn check_permissions_batch(
    state: web::Data<ApiState>,
    CheckCaller(auth): CheckCaller,
    path: web::Path<String>,
    body: Body<BatchCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    answer(&state, &auth, org, Questions::try_from(body)?).await
}

async fn answer(
    state: &ApiState,
    auth: &crate::auth::Authenticated,
    org: OrgId,
    questions: Questions,
) -> Result<HttpResponse, ApiError> {
    let verdicts = state
        .services
        .checks
        .check(&auth.actor, org, &questions)
        .await?;
    Ok(HttpResponse::Ok().json(CheckResponse::from(verdicts)))
}
