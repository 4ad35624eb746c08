//! The tenant face, `/api/org/...`: the caller's current org (the session's active org, or
//! their oldest membership), through the same use cases as `/api/orgs/{orgId}/...`.

use actix_web::{HttpRequest, HttpResponse, web};
use tenantry_domain::ids::OrgId;
use tenantry_domain::invitation::EmailInvite;
use tenantry_domain::member::{MemberPage, RoleFilter};
use tenantry_domain::org::OrgChanges;

use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::{Body, Query};
use crate::dto::tenant::{
    ProfileResponse, ProfileUpdate, TenantInvitationResponse, TenantInviteRequest,
    TenantMemberResponse, TenantMembersQuery,
};
use crate::error::{ApiError, ErrorBody};
use crate::routes::invitation_attempt;

pub(super) async fn current(state: &ApiState, auth: &Authenticated) -> Result<OrgId, ApiError> {
    Ok(state.services.orgs.current(&auth.actor).await?)
}

/// The current org: name, plan as `license_tier`, limits, feature flags and settings. Any
/// member may read it.
#[utoipa::path(get, path = "/api/org/profile", tag = "tenant", security(("bearer" = [])),
    responses(
        (status = 200, body = ProfileResponse),
        (status = 401, body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
    ))]
pub(crate) async fn get_profile(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let org = current(&state, &auth).await?;
    let summary = state.services.orgs.get(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::from(summary)))
}

/// Changes the name and settings; omitted fields keep their values. Needs `settings:write`
/// (owner, admin); audited as `org.updated`.
#[utoipa::path(put, path = "/api/org/profile", tag = "tenant", security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses(
        (status = 200, body = ProfileResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn update_profile(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<ProfileUpdate>,
) -> Result<HttpResponse, ApiError> {
    let changes = OrgChanges::try_from(body.value()?)?;
    let org = current(&state, &auth).await?;
    let summary = state
        .services
        .orgs
        .update(&auth.actor, org, changes)
        .await?;
    Ok(HttpResponse::Ok().json(ProfileResponse::from(summary)))
}

/// The members, with last sign-in and MFA status; `?role=` narrows them. Needs
/// `members:read` (owner, admin, auditor).
#[utoipa::path(get, path = "/api/org/members", tag = "tenant", security(("bearer" = [])),
    params(TenantMembersQuery),
    responses(
        (status = 200, body = Vec<TenantMemberResponse>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn list_tenant_members(
    state: web::Data<ApiState>,
    auth: Authenticated,
    query: Query<TenantMembersQuery>,
) -> Result<HttpResponse, ApiError> {
    let role = Option::<RoleFilter>::try_from(query.value()?)?;
    let org = current(&state, &auth).await?;
    let page = MemberPage::default().with_role(role);
    let list = state.services.members.list(&auth.actor, org, page).await?;
    let members: Vec<_> = list
        .members
        .into_iter()
        .map(TenantMemberResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(members))
}

/// Invites an address as admin, auditor or member: the same invitation and e-mail as
/// `POST /api/orgs/{orgId}/invitations/email`. Needs `members:write` (owner, admin).
#[utoipa::path(post, path = "/api/org/members/invite", tag = "tenant", security(("bearer" = [])),
    request_body = TenantInviteRequest,
    responses(
        (status = 201, body = TenantInvitationResponse),
        (status = 403, description = "forbidden, privilege_escalation", body = ErrorBody),
        (status = 409, description = "no_active_org, active_org_unavailable, already_member, already_invited, seat_limit_reached", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn invite_to_tenant(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    body: Body<TenantInviteRequest>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let invite = EmailInvite::try_from(body.value()?)?;
    let org = current(&state, &auth).await?;
    let issued = state
        .services
        .invitations
        .invite_by_email(&auth.actor, org, invite)
        .await?;
    Ok(HttpResponse::Created().json(TenantInvitationResponse::from(issued)))
}
