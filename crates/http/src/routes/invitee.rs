//! Invitations as their invitees meet them: by the e-mailed token, by a join-link code, or in
//! the signed-in caller's own list.

use actix_web::{HttpRequest, HttpResponse, web};
use tenantry_domain::ids::InvitationId;
use tenantry_domain::invitation::{Channel, InvitationSecret, NewInvitee};

use super::{client, invitation_attempt, path_id};
use crate::ApiState;
use crate::auth::{Authenticated, MaybeAuthenticated};
use crate::body::Body;
use crate::dto::auth::SessionResponse;
use crate::dto::invitation::{
    AcceptInvitationRequest, InvitationPreview, JoinedResponse, MyInvitationsResponse,
};
use crate::error::{ApiError, ErrorBody};

/// Longer than any secret this service issues; longer ones are refused before any lookup.
const MAX_SECRET_LENGTH: usize = 128;

pub(crate) fn secret(raw: &str) -> Result<InvitationSecret, ApiError> {
    if raw.len() > MAX_SECRET_LENGTH {
        return Err(ApiError::not_found());
    }
    Ok(InvitationSecret::from_presented(raw))
}

/// What an e-mailed invitation offers, with its status. No token needed but the one in the
/// path; reading never uses the invitation up (mail scanners open links).
#[utoipa::path(get, path = "/api/invitations/{token}", tag = "invitee",
    params(("token" = String, Path)),
    responses(
        (status = 200, body = InvitationPreview),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn preview_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, None)?;
    preview(&state, &path, Channel::Email).await
}

async fn preview(state: &ApiState, raw: &str, channel: Channel) -> Result<HttpResponse, ApiError> {
    let view = state
        .services
        .invitations
        .preview(&secret(raw)?, channel)
        .await?;
    Ok(HttpResponse::Ok().json(InvitationPreview::from(view)))
}

/// Accepts an e-mailed invitation. Signed in as the invited address: no body needed, answers
/// 200 with the membership. Not signed in: `{name, password}` creates the account for the
/// invited address, joins, and answers 201 with a bearer token like sign-up.
#[utoipa::path(post, path = "/api/invitations/{token}/accept", tag = "invitee",
    security((), ("bearer" = [])), params(("token" = String, Path)),
    request_body(content = AcceptInvitationRequest, description = "only when not signed in"),
    responses(
        (status = 200, description = "signed in: the new membership", body = JoinedResponse),
        (status = 201, description = "registered and signed in", body = SessionResponse),
        (status = 403, description = "invitation_wrong_account, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 409, description = "already_member, account_exists, seat_limit_reached", body = ErrorBody),
        (status = 410, description = "invitation_expired, invitation_revoked, invitation_used, invitation_declined", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn accept_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: MaybeAuthenticated,
    path: web::Path<String>,
    body: Body<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, auth.0.as_ref().map(|auth| &auth.actor))?;
    let secret = secret(&path)?;
    let invitations = &state.services.invitations;
    if let Some(auth) = auth.0 {
        let membership = invitations
            .accept(&auth.actor, &secret, Channel::Email)
            .await?;
        return Ok(HttpResponse::Ok().json(JoinedResponse::from(membership)));
    }
    // Registering hashes a password: limited like sign-up.
    state.auth_rate_limit.check(client(&request), None)?;
    let invitee = NewInvitee::try_from(body.value()?)?;
    let signed_in = invitations
        .accept_as_new_account(&secret, invitee, client(&request))
        .await?;
    Ok(HttpResponse::Created().json(SessionResponse::from(signed_in)))
}

/// The invitee declines; the invitation can no longer be accepted. The token is the proof.
#[utoipa::path(post, path = "/api/invitations/{token}/decline", tag = "invitee",
    params(("token" = String, Path)),
    responses(
        (status = 204),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 410, description = "invitation_expired, invitation_revoked, invitation_used, invitation_declined", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn decline_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, None)?;
    state.services.invitations.decline(&secret(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a join link offers, with its status.
#[utoipa::path(get, path = "/api/join/{code}", tag = "invitee",
    params(("code" = String, Path)),
    responses(
        (status = 200, body = InvitationPreview),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn preview_link(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, None)?;
    preview(&state, &path, Channel::Link).await
}

/// Joins the link's org with its role.
#[utoipa::path(post, path = "/api/join/{code}", tag = "invitee", security(("bearer" = [])),
    params(("code" = String, Path)),
    responses(
        (status = 200, body = JoinedResponse),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 409, description = "already_member, seat_limit_reached", body = ErrorBody),
        (status = 410, description = "invitation_expired, invitation_revoked, invitation_used", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn join(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let membership = state
        .services
        .invitations
        .accept(&auth.actor, &secret(&path)?, Channel::Link)
        .await?;
    Ok(HttpResponse::Ok().json(JoinedResponse::from(membership)))
}

/// Pending invitations addressed to the caller's e-mail, across all orgs.
#[utoipa::path(get, path = "/api/me/invitations", tag = "invitee", security(("bearer" = [])),
    responses(
        (status = 200, body = MyInvitationsResponse),
        (status = 403, description = "email_unverified", body = ErrorBody),
    ))]
pub(crate) async fn my_invitations(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let views = state.services.invitations.list_mine(&auth.actor).await?;
    Ok(HttpResponse::Ok().json(MyInvitationsResponse {
        invitations: views.into_iter().map(InvitationPreview::from).collect(),
    }))
}

/// Accepts one of the caller's invitations by id, without the e-mailed token.
#[utoipa::path(post, path = "/api/me/invitations/{id}/accept", tag = "invitee",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 200, body = JoinedResponse),
        (status = 403, description = "email_unverified, plan_upgrade_required", body = ErrorBody),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 409, description = "already_member, seat_limit_reached", body = ErrorBody),
        (status = 410, description = "invitation_expired, invitation_revoked, invitation_used, invitation_declined", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn accept_my_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let id: InvitationId = path_id(&path)?;
    let membership = state
        .services
        .invitations
        .accept_mine(&auth.actor, id)
        .await?;
    Ok(HttpResponse::Ok().json(JoinedResponse::from(membership)))
}

/// Declines one of the caller's invitations by id.
#[utoipa::path(post, path = "/api/me/invitations/{id}/decline", tag = "invitee",
    security(("bearer" = [])), params(("id" = String, Path)),
    responses(
        (status = 204),
        (status = 403, description = "email_unverified", body = ErrorBody),
        (status = 404, description = "invitation_not_found", body = ErrorBody),
        (status = 410, description = "invitation_expired, invitation_revoked, invitation_used, invitation_declined", body = ErrorBody),
        (status = 429, description = "rate_limited: too many invitation attempts from this client or account; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn decline_my_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    invitation_attempt(&request, Some(&auth.actor))?;
    let id: InvitationId = path_id(&path)?;
    state
        .services
        .invitations
        .decline_mine(&auth.actor, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
