use actix_web::http::header::{ContentType, ETag, EntityTag, IfNoneMatch};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use tenantry_domain::ids::{OrgId, UserId};
use tenantry_domain::member::{MemberPage, MoveMember, RoleChoice, VersionedMembers};

use super::{path_id, path_ids};
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::{Body, Query};
use crate::dto::member::{
    MemberListQuery, MemberListResponse, MemberResponse, MoveMemberRequest,
    TransferOwnershipRequest, UpdateMemberRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::member_cache::CachedPage;

/// Members of the organization; needs `members:read`. Without `limit`, the whole list.
/// Answers carry an `ETag` that changes with the list; send it back as `If-None-Match` to get
/// 304 while the list is unchanged.
#[utoipa::path(get, path = "/api/orgs/{orgId}/members", tag = "members", security(("bearer" = [])),
    params(("orgId" = String, Path), MemberListQuery,
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` of an earlier answer")),
    responses(
        (status = 200, body = MemberListResponse, headers(("ETag" = String))),
        (status = 304, description = "the list is unchanged since the `ETag` sent"),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_members(
    request: HttpRequest,
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    query: Query<MemberListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let page = MemberPage::try_from(query.value()?)?;
    let members = &state.services.members;
    let current = members.members_version(&auth.actor, org).await?;
    let cached = match state.member_lists.get(org, page.clone()) {
        Some(cached) if cached.version == current => cached,
        _ => {
            let _turn = state.member_lists.turn(org, page.clone()).await;
            // Whoever held the turn before may have built it meanwhile.
            let cached = state.member_lists.get(org, page.clone());
            let held = cached.as_ref().map(|cached| cached.version);
            match (
                members
                    .list_since(&auth.actor, org, page.clone(), held)
                    .await?,
                cached,
            ) {
                (VersionedMembers::Unchanged(_), Some(cached)) => cached,
                (VersionedMembers::Changed(version, list), _) => {
                    let body = serde_json::to_vec(&MemberListResponse {
                        members: list.members.into_iter().map(MemberResponse::from).collect(),
                        next_cursor: list.next.map(|cursor| cursor.to_string()),
                    })
                    .map_err(ApiError::internal)?;
                    let cached = CachedPage {
                        version,
                        body: body.into(),
                    };
                    state.member_lists.put(org, page, cached.clone());
                    cached
                }
                (VersionedMembers::Unchanged(_), None) => {
                    return Err(ApiError::internal("an unchanged list that was never held"));
                }
            }
        }
    };
    let etag = EntityTag::new_strong(format!("m{}", cached.version.0));
    if let Some(IfNoneMatch::Items(tags)) = request.get_header::<IfNoneMatch>()
        && tags.iter().any(|tag| tag.weak_eq(&etag))
    {
        return Ok(HttpResponse::NotModified()
            .insert_header(ETag(etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header(ETag(etag))
        .content_type(ContentType::json())
        .body(cached.body))
}

/// Changes a member's role; needs `members:write`, and the caller must hold every permission of
/// both the old and the new role.
#[utoipa::path(put, path = "/api/orgs/{orgId}/members/{userId}", tag = "members",
    security(("bearer" = [])), params(("orgId" = String, Path), ("userId" = String, Path)),
    request_body = UpdateMemberRequest,
    responses(
        (status = 200, body = MemberResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found, member_not_found", body = ErrorBody),
        (status = 409, description = "owner_immutable", body = ErrorBody),
        (status = 422, description = "validation_failed, unknown_role", body = ErrorBody),
    ))]
pub(crate) async fn update_member(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<UpdateMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let (org, user): (OrgId, UserId) = path_ids(&path)?;
    let role = RoleChoice::try_from(body)?;
    let member = state
        .services
        .members
        .update_role(&auth.actor, org, user, role)
        .await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Removes a member; needs `members:write`. Never the owner.
#[utoipa::path(delete, path = "/api/orgs/{orgId}/members/{userId}", tag = "members",
    security(("bearer" = [])), params(("orgId" = String, Path), ("userId" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden, privilege_escalation", body = ErrorBody),
        (status = 404, description = "org_not_found, member_not_found", body = ErrorBody),
        (status = 409, description = "owner_immutable", body = ErrorBody),
    ))]
pub(crate) async fn remove_member(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, user): (OrgId, UserId) = path_ids(&path)?;
    state
        .services
        .members
        .remove(&auth.actor, org, user)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves a member to another organization atomically; needs `members:write` in both.
#[utoipa::path(post, path = "/api/orgs/{orgId}/members/{userId}/move", tag = "members",
    security(("bearer" = [])), params(("orgId" = String, Path), ("userId" = String, Path)),
    request_body = MoveMemberRequest,
    responses(
        (status = 200, description = "the membership in the target org", body = MemberResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found, member_not_found", body = ErrorBody),
        (status = 409, description = "owner_immutable, already_member, seat_limit_reached", body = ErrorBody),
        (status = 422, description = "validation_failed, unknown_role, same_org", body = ErrorBody),
    ))]
pub(crate) async fn move_member(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Body<MoveMemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let (org, user): (OrgId, UserId) = path_ids(&path)?;
    let request = MoveMember::try_from(body)?;
    let member = state
        .services
        .members
        .move_member(&auth.actor, org, user, request)
        .await?;
    Ok(HttpResponse::Ok().json(MemberResponse::from(member)))
}

/// Hands ownership to another member; the caller (the owner) becomes an admin.
#[utoipa::path(post, path = "/api/orgs/{orgId}/transfer-ownership", tag = "members",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    request_body = TransferOwnershipRequest,
    responses(
        (status = 204),
        (status = 403, description = "forbidden: only the owner", body = ErrorBody),
        (status = 404, description = "org_not_found, member_not_found", body = ErrorBody),
        (status = 409, description = "already_owner", body = ErrorBody),
    ))]
pub(crate) async fn transfer_ownership(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<TransferOwnershipRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let new_owner = UserId::try_from(body)?;
    state
        .services
        .members
        .transfer_ownership(&auth.actor, org, new_owner)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Leaves the organization. The owner must transfer ownership first.
#[utoipa::path(post, path = "/api/orgs/{orgId}/leave", tag = "members",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 204),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 409, description = "owner_must_transfer", body = ErrorBody),
    ))]
pub(crate) async fn leave_org(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    state.services.members.leave(&auth.actor, org).await?;
    Ok(HttpResponse::NoContent().finish())
}
