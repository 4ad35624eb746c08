//! Invitations as an org's managers handle them: `/api/orgs/{orgId}/invitations/...`.

use actix_web::{HttpRequest, HttpResponse, web};
use tenantry_domain::ids::{InvitationId, OrgId};
use tenantry_domain::invitation::{EmailInvite, LinkInvite};

use super::{invitation_attempt, path_id, path_ids};
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::invitation::{
    BulkInvitationRequest, BulkInvitationResponse, BulkRowResult, EmailInvitationRequest,
    InvitationListResponse, InvitationResponse, LinkInvitationRequest,
};
use crate::error::{ApiError, ErrorBody};

/// Invites an address; the e-mail goes out through the outbox. Needs `members:write` and every
/// permission of the role offered. A pending invitation holds a seat of the plan.
#[utoipa::path(post, path = "/api/orgs/{orgId}/invitations/email", tag = "invitations",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    request_body = EmailInvitationRequest,
    responses(
        (status = 201, body = InvitationResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 409, description = "already_member, already_invited, seat_limit_reached", body = ErrorBody),
        (status = 422, description = "validation_failed, unknown_role", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn invite_by_email(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<EmailInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let invite = EmailInvite::try_from(body)?;
    let issued = state
        .services
        .invitations
        .invite_by_email(&auth.actor, org, invite)
        .await?;
    Ok(HttpResponse::Created().json(InvitationResponse::from(issued)))
}

/// Invites up to 1,000 addresses in one transaction: each row is judged as
/// `POST .../invitations/email` would judge it (counting the rows before it against the seats),
/// the rows that pass are applied together, and the answer says row by row what happened. A
/// refused row does not stop the others; a failure of the store applies none.
#[utoipa::path(post, path = "/api/orgs/{orgId}/invitations/bulk", tag = "invitations",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    request_body = BulkInvitationRequest,
    responses(
        (status = 200, description = "every row's outcome", body = BulkInvitationResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed (no rows, or more than 1,000)", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn invite_in_bulk(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<BulkInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let emails: Vec<String> = body
        .invitations
        .iter()
        .map(|row| row.email.clone())
        .collect();
    let rows = body
        .invitations
        .into_iter()
        .map(EmailInvite::try_from)
        .collect();
    let outcomes = state
        .services
        .invitations
        .invite_bulk(&auth.actor, org, rows)
        .await?;
    let results: Vec<BulkRowResult> = outcomes
        .into_iter()
        .zip(emails)
        .enumerate()
        .map(|(index, (outcome, email))| match outcome {
            Ok(issued) => BulkRowResult {
                row: index + 1,
                email,
                status: "invited",
                invitation_id: Some(issued.invitation.id.to_string()),
                error: None,
            },
            Err(error) => BulkRowResult {
                row: index + 1,
                email,
                status: "failed",
                invitation_id: None,
                error: Some(ApiError::from(error).detail()),
            },
        })
        .collect();
    let invited = results.iter().filter(|row| row.status == "invited").count();
    Ok(HttpResponse::Ok().json(BulkInvitationResponse {
        invited,
        failed: results.len() - invited,
        results,
    }))
}

/// Creates a join link: anyone signed in who opens it joins with its role until it expires,
/// is revoked or has been used `maxUses` times. The link is shown only in this response.
#[utoipa::path(post, path = "/api/orgs/{orgId}/invitations/link", tag = "invitations",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    request_body = LinkInvitationRequest,
    responses(
        (status = 201, body = InvitationResponse),
        (status = 403, description = "forbidden, privilege_escalation, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed, unknown_role", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn create_link(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<String>,
    body: Body<LinkInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let body = body.value()?;
    let org: OrgId = path_id(&path)?;
    let invite = LinkInvite::try_from(body)?;
    let issued = state
        .services
        .invitations
        .create_link(&auth.actor, org, invite)
        .await?;
    Ok(HttpResponse::Created().json(InvitationResponse::from(issued)))
}

/// Every invitation and join link of the org, newest first, with its status as of now;
/// needs `members:read`.
#[utoipa::path(get, path = "/api/orgs/{orgId}/invitations", tag = "invitations",
    security(("bearer" = [])), params(("orgId" = String, Path)),
    responses(
        (status = 200, body = InvitationListResponse),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
    ))]
pub(crate) async fn list_invitations(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let org: OrgId = path_id(&path)?;
    let invitations = state.services.invitations.list(&auth.actor, org).await?;
    Ok(HttpResponse::Ok().json(InvitationListResponse {
        invitations: invitations
            .into_iter()
            .map(InvitationResponse::from)
            .collect(),
    }))
}

/// Revokes an invitation or join link: its link stops working at once. Needs `members:write`.
#[utoipa::path(delete, path = "/api/orgs/{orgId}/invitations/{id}", tag = "invitations",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "forbidden, privilege_escalation", body = ErrorBody),
        (status = 404, description = "org_not_found, invitation_not_found", body = ErrorBody),
        (status = 410, description = "invitation_used, invitation_declined", body = ErrorBody),
    ))]
pub(crate) async fn revoke_invitation(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, id): (OrgId, InvitationId) = path_ids(&path)?;
    state
        .services
        .invitations
        .revoke(&auth.actor, org, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a pending or expired e-mail invitation again with a new token and expiry; the old
/// link stops working. Needs `members:write`.
#[utoipa::path(post, path = "/api/orgs/{orgId}/invitations/{id}/resend", tag = "invitations",
    security(("bearer" = [])), params(("orgId" = String, Path), ("id" = String, Path)),
    responses(
        (status = 200, body = InvitationResponse),
        (status = 403, description = "forbidden, privilege_escalation", body = ErrorBody),
        (status = 404, description = "org_not_found, invitation_not_found", body = ErrorBody),
        (status = 409, description = "seat_limit_reached", body = ErrorBody),
        (status = 410, description = "invitation_used, invitation_declined, invitation_revoked, invitation_expired (replaced by a newer one)", body = ErrorBody),
        (status = 422, description = "not_an_email_invitation", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn resend_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let (org, id): (OrgId, InvitationId) = path_ids(&path)?;
    let issued = state
        .services
        .invitations
        .resend(&auth.actor, org, id)
        .await?;
    Ok(HttpResponse::Ok().json(InvitationResponse::from(issued)))
}
