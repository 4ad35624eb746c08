//! `/api/orgs/{orgId}/domains`: domains an org verifies by DNS, their auto-join settings, the
//! org's invite-only-within-its-domains policy, and joining an org through one's domain.

use actix_web::{HttpResponse, web};
use tenantry_domain::domains::{DomainChanges, DomainName};
use tenantry_domain::ids::{DomainId, OrgId};

use super::{path_id, path_ids};
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::domain::{
    DomainListResponse, DomainPolicy, DomainResponse, DomainUpdateRequest, NewDomainRequest,
};
use crate::dto::invitation::JoinedResponse;
use crate::error::{ApiError, ErrorBody};

/// The org's domains, oldest first, each with the TXT record that verifies it, and whether
/// invitations are kept within the verified ones.
#[utoipa::path(get, path = "/api/orgs/{orgId}/domains", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = DomainListResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_domains(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let list = state.services.domains.list(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(DomainListResponse::from(list)))
}

/// Claims a domain; the answer names the TXT record to publish before verifying it.
#[utoipa::path(post, path = "/api/orgs/{orgId}/domains", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = NewDomainRequest,
    responses(
        (status = 201, body = DomainResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 409, description = "domain_exists, domain_limit_reached", body = ErrorBody),
        (status = 422, description = "validation_failed (field domain)", body = ErrorBody),
    ))]
pub(crate) async fn add_domain(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<NewDomainRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let domain = DomainName::try_from(body)?;
    let added = state.services.domains.add(&auth.actor, org, domain).await?;
    Ok(HttpResponse::Created().json(DomainResponse::from(added)))
}

/// Looks the TXT record up now and marks the domain verified when it holds the challenge
/// (a verified domain answers as it is).
#[utoipa::path(post, path = "/api/orgs/{orgId}/domains/{id}/verify", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = DomainResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, domain_not_found", body = ErrorBody),
        (status = 409, description = "domain_taken: another org verified it; domain_verification_failed: the record is missing or wrong, or the lookup failed", body = ErrorBody),
    ))]
pub(crate) async fn verify_domain(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, DomainId) = path_ids(&path)?;
    let domain = state.services.domains.verify(&auth.actor, org, id).await?;
    Ok(HttpResponse::Ok().json(DomainResponse::from(domain)))
}

/// Turns auto-join on or off and sets the role people join with.
#[utoipa::path(patch, path = "/api/orgs/{orgId}/domains/{id}", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    request_body = DomainUpdateRequest,
    responses(
        (status = 200, body = DomainResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found, domain_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed (field defaultRole), unknown_role", body = ErrorBody),
    ))]
pub(crate) async fn update_domain(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<DomainUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let (org, id): (OrgId, DomainId) = path_ids(&path)?;
    let changes = DomainChanges::try_from(body)?;
    let domain = state
        .services
        .domains
        .update(&auth.actor, org, id, changes)
        .await?;
    Ok(HttpResponse::Ok().json(DomainResponse::from(domain)))
}

/// Gives the domain up: auto-join through it ends and another org may verify it.
#[utoipa::path(delete, path = "/api/orgs/{orgId}/domains/{id}", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found, domain_not_found", body = ErrorBody),
    ))]
pub(crate) async fn delete_domain(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, DomainId) = path_ids(&path)?;
    state.services.domains.delete(&auth.actor, org, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Keeps invitations by e-mail within the org's verified domains, or lets them go anywhere.
#[utoipa::path(put, path = "/api/orgs/{orgId}/domain-policy", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path)), request_body = DomainPolicy,
    responses(
        (status = 200, body = DomainPolicy),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn put_domain_policy(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<DomainPolicy>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let invite_only_verified_domains = state
        .services
        .domains
        .set_invite_policy(&auth.actor, org, body.invite_only_verified_domains)
        .await?;
    Ok(HttpResponse::Ok().json(DomainPolicy {
        invite_only_verified_domains,
    }))
}

/// Joins the org through a verified domain of it with auto-join on, when the caller's
/// verified address is on that domain (`GET /api/me` lists these orgs as `joinableOrgs`).
///
/// An account route, not an org route: the caller is not a member yet, and an org that does
/// not admit the caller's domain is "not found" like any org of another tenant.
#[utoipa::path(post, path = "/api/me/joinable-orgs/{orgId}/join", tag = "domains",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = JoinedResponse),
        (status = 403, description = "email_unverified, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found: no such org, or it does not admit the caller's domain", body = ErrorBody),
        (status = 409, description = "already_member, seat_limit_reached", body = ErrorBody),
        (status = 422, description = "unknown_role: the domain's default role was deleted", body = ErrorBody),
    ))]
pub(crate) async fn join_by_domain(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let membership = state.services.domains.join(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(JoinedResponse::from(membership)))
}
