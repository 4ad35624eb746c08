use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::authz::Actor;
use tenantry_domain::invitation::{
    Channel, InvitationSecret, InvitationStatus, InvitationView, NewInvitee,
};
use tenantry_domain::user::{AuthError, Email, NewAccount, Password, UserName};

use super::layout::page;
use crate::ApiState;
use crate::dto::invitation::AcceptInvitationRequest;
use crate::error::ApiError;
use crate::routes::{client, secret};

/// Every field any of the page's forms sends; `action` says which form it was: `register`,
/// `sign_up`, `sign_in` or `decline`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct PageForm {
    #[serde(default)]
    action: String,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

/// What a successful form leaves the person with.
enum Done {
    Joined,
    Registered,
    Declined,
}

/// `GET /invitations/{token}`: the page an invitation e-mail links to.
#[utoipa::path(get, path = "/invitations/{token}", tag = "pages",
    params(("token" = String, Path, description = "the invitation's token, from its e-mail")),
    responses(
        (status = 200, description = "the offer, with forms to register, sign in or decline", content_type = "text/html", body = String),
        (status = 404, description = "unknown, or not an e-mail invitation", content_type = "text/html", body = String),
        (status = 410, description = "expired, revoked or used", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts from this client", content_type = "text/html", body = String),
    ))]
pub(crate) async fn invitation_page(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    show(&state, &request, &path, Channel::Email).await
}

/// `GET /join/{code}`: the page a join link opens.
#[utoipa::path(get, path = "/join/{code}", tag = "pages",
    params(("code" = String, Path, description = "the join link's code")),
    responses(
        (status = 200, description = "the offer, with forms to register, sign in or decline", content_type = "text/html", body = String),
        (status = 404, description = "unknown, or not a join link", content_type = "text/html", body = String),
        (status = 410, description = "expired, revoked or used", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts from this client", content_type = "text/html", body = String),
    ))]
pub(crate) async fn join_page(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    show(&state, &request, &path, Channel::Link).await
}

/// `POST /invitations/{token}`: register, sign in, or decline.
#[utoipa::path(post, path = "/invitations/{token}", tag = "pages",
    params(("token" = String, Path, description = "the invitation's token, from its e-mail")),
    request_body(content = PageForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "done, or the page again with what was wrong", content_type = "text/html", body = String),
        (status = 400, description = "no known form was sent", content_type = "text/html", body = String),
        (status = 401, description = "wrong e-mail or password", content_type = "text/html", body = String),
        (status = 403, description = "the signed-in account may not take it up", content_type = "text/html", body = String),
        (status = 404, description = "unknown, or not an e-mail invitation", content_type = "text/html", body = String),
        (status = 409, description = "the account exists, or is a member already", content_type = "text/html", body = String),
        (status = 410, description = "expired, revoked or used", content_type = "text/html", body = String),
        (status = 422, description = "a field is not valid", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts", content_type = "text/html", body = String),
    ))]
pub(crate) async fn submit_invitation(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    submit(&state, &request, &path, &body, Channel::Email).await
}

/// `POST /join/{code}`: sign up or sign in, and join.
#[utoipa::path(post, path = "/join/{code}", tag = "pages",
    params(("code" = String, Path, description = "the join link's code")),
    request_body(content = PageForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "done, or the page again with what was wrong", content_type = "text/html", body = String),
        (status = 400, description = "no known form was sent", content_type = "text/html", body = String),
        (status = 401, description = "wrong e-mail or password", content_type = "text/html", body = String),
        (status = 403, description = "the signed-in account may not take it up", content_type = "text/html", body = String),
        (status = 404, description = "unknown, or not a join link", content_type = "text/html", body = String),
        (status = 409, description = "the account exists, or is a member already", content_type = "text/html", body = String),
        (status = 410, description = "expired, revoked or used", content_type = "text/html", body = String),
        (status = 422, description = "a field is not valid", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts", content_type = "text/html", body = String),
    ))]
pub(crate) async fn submit_join(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    submit(&state, &request, &path, &body, Channel::Link).await
}

async fn show(
    state: &ApiState,
    request: &HttpRequest,
    raw: &str,
    channel: Channel,
) -> HttpResponse {
    if let Err(error) = crate::routes::invitation_attempt(request, None) {
        return problem(&error);
    }
    match preview(state, raw, channel).await {
        Ok((view, _)) => offer(&view, channel, None, StatusCode::OK),
        Err(error) => problem(&error),
    }
}

async fn submit(
    state: &ApiState,
    request: &HttpRequest,
    raw: &str,
    body: &[u8],
    channel: Channel,
) -> HttpResponse {
    if let Err(error) = crate::routes::invitation_attempt(request, None) {
        return problem(&error);
    }
    let (view, secret) = match preview(state, raw, channel).await {
        Ok(found) => found,
        Err(error) => return problem(&error),
    };
    let form: PageForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let outcome = match (channel, form.action.as_str()) {
        (Channel::Email, "register") => register(state, request, &secret, form).await,
        (Channel::Link, "sign_up") => sign_up(state, request, &secret, form).await,
        (_, "sign_in") => sign_in(state, request, &secret, channel, form).await,
        (Channel::Email, "decline") => state
            .services
            .invitations
            .decline(&secret)
            .await
            .map(|()| Done::Declined)
            .map_err(ApiError::from),
        _ => Err(ApiError::unreadable_body("choose one of the page's forms")),
    };
    match outcome {
        Ok(done) => finished(&view, &done),
        Err(error) => offer(&view, channel, Some(&error), error.status_code()),
    }
}

/// The invitation behind the secret, which must still be open.
async fn preview(
    state: &ApiState,
    raw: &str,
    channel: Channel,
) -> Result<(InvitationView, InvitationSecret), ApiError> {
    let secret = secret(raw)?;
    let view = state.services.invitations.preview(&secret, channel).await?;
    Ok((view, secret))
}

async fn register(
    state: &ApiState,
    request: &HttpRequest,
    secret: &InvitationSecret,
    form: PageForm,
) -> Result<Done, ApiError> {
    state.auth_rate_limit.check(client(request), None)?;
    let invitee = NewInvitee::try_from(AcceptInvitationRequest {
        name: form.name,
        password: form.password,
    })?;
    state
        .services
        .invitations
        .accept_as_new_account(secret, invitee, client(request))
        .await?;
    Ok(Done::Registered)
}

async fn sign_up(
    state: &ApiState,
    request: &HttpRequest,
    code: &InvitationSecret,
    form: PageForm,
) -> Result<Done, ApiError> {
    state.auth_rate_limit.check(client(request), None)?;
    let account = NewAccount {
        email: Email::try_from(form.email.as_deref().unwrap_or_default())?,
        password: Password::try_from(form.password.as_deref().unwrap_or_default())?,
        name: UserName::try_from(form.name.as_deref().unwrap_or_default())?,
    };
    state
        .services
        .invitations
        .join_as_new_account(code, account, client(request))
        .await?;
    Ok(Done::Registered)
}

/// Checks the password like `POST /api/auth/login` (same rate limits), accepts, and ends the
/// session it had to open: the page keeps none.
async fn sign_in(
    state: &ApiState,
    request: &HttpRequest,
    secret: &InvitationSecret,
    channel: Channel,
    form: PageForm,
) -> Result<Done, ApiError> {
    let raw_email = form.email.unwrap_or_default();
    let normalised = raw_email.trim().to_lowercase();
    state
        .auth_rate_limit
        .check(client(request), Some(&normalised))?;
    let email = Email::try_from(raw_email.as_str()).map_err(|_| AuthError::InvalidCredentials)?;
    let password = Password::presented(form.password.as_deref().unwrap_or_default())
        .ok_or(AuthError::InvalidCredentials)?;
    let auth = &state.services.auth;
    let signed_in = auth.log_in(&email, &password, None, None).await?;
    let actor = Actor::new(signed_in.user.id).with_ip(client(request));
    let accepted = state
        .services
        .invitations
        .accept(&actor, secret, channel)
        .await;
    auth.log_out(&signed_in.token).await?;
    accepted?;
    Ok(Done::Joined)
}

fn offer(
    view: &InvitationView,
    channel: Channel,
    error: Option<&ApiError>,
    status: StatusCode,
) -> HttpResponse {
    let invitation = &view.invitation;
    if invitation.status != InvitationStatus::Pending {
        return closed(view);
    }
    let role = invitation.role.display_name();
    let invited = invitation.email().map(ToString::to_string);
    let body = html! {
        h1 { "Join " (view.org_name) }
        p {
            @if let Some(inviter) = &view.inviter_name { (inviter) " invited you" } @else { "You are invited" }
            " to join " strong { (view.org_name) } " as " strong { (role) } "."
        }
        @if let Some(address) = &invited { p.muted { "Invitation for " (address) } }
        @if let Some(error) = error { p.error role="alert" data-code=(error.code()) { (error.message()) } }
        @match channel {
            Channel::Email => {
                h2 { "New here? Set a password" }
                form method="post" {
                    input type="hidden" name="action" value="register";
                    label for="name" { "Your name" }
                    input id="name" name="name" autocomplete="name" required maxlength="100";
                    label for="new-password" { "Password" }
                    input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256";
                    button type="submit" id="register" { "Create account and join" }
                }
            }
            Channel::Link => {
                h2 { "New here? Create an account" }
                form method="post" {
                    input type="hidden" name="action" value="sign_up";
                    label for="name" { "Your name" }
                    input id="name" name="name" autocomplete="name" required maxlength="100";
                    label for="new-email" { "E-mail" }
                    input id="new-email" name="email" type="email" autocomplete="email" required maxlength="254";
                    label for="new-password" { "Password" }
                    input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256";
                    button type="submit" id="sign-up" { "Create account and join" }
                }
            }
        }
        hr;
        h2 { "Already have an account? Sign in" }
        form method="post" {
            input type="hidden" name="action" value="sign_in";
            label for="email" { "E-mail" }
            input id="email" name="email" type="email" autocomplete="email" required value=[invited.as_deref()];
            label for="password" { "Password" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button type="submit" id="sign-in" { "Sign in and join" }
        }
        @if channel == Channel::Email {
            hr;
            form method="post" {
                input type="hidden" name="action" value="decline";
                button.quiet type="submit" id="decline" { "Decline the invitation" }
            }
        }
    };
    page(status, &format!("Join {}", view.org_name), body)
}

/// An invitation that can no longer be used, and why.
fn closed(view: &InvitationView) -> HttpResponse {
    let org = &view.org_name;
    let ask = match &view.inviter_name {
        Some(inviter) => format!("Ask {inviter} for a new invitation."),
        None => format!("Ask an administrator of {org} for a new invitation."),
    };
    let (title, message) = match view.invitation.status {
        InvitationStatus::Expired => ("This invitation has expired", ask),
        InvitationStatus::Revoked => ("This invitation was revoked", ask),
        InvitationStatus::Declined => ("This invitation was declined", ask),
        InvitationStatus::Accepted | InvitationStatus::Pending => (
            "This invitation has already been used",
            format!("If it was you, sign in to {org}. Otherwise: {ask}"),
        ),
    };
    page(
        StatusCode::GONE,
        title,
        html! {
            h1 { (title) }
            p.error role="alert" data-status=(view.invitation.status.name()) { (message) }
        },
    )
}

fn finished(view: &InvitationView, done: &Done) -> HttpResponse {
    let org = &view.org_name;
    let role = view.invitation.role.display_name();
    let body: Markup = match done {
        Done::Joined | Done::Registered => html! {
            h1 { "Welcome to " (org) }
            p.done role="status" { "You are now a member of " strong { (org) } " as " strong { (role) } "." }
            @if matches!(done, Done::Registered) {
                p.muted { "Your account is ready: sign in to the app with your e-mail and password." }
            }
            p { a href="/console/sign-in" { "Open the console" } }
        },
        Done::Declined => html! {
            h1 { "Invitation declined" }
            p.done role="status" { "You declined the invitation to " (org) ". Nobody was added." }
        },
    };
    page(StatusCode::OK, org, body)
}

/// No invitation behind the secret (or another failure before any form could be shown).
fn problem(error: &ApiError) -> HttpResponse {
    let title = if error.status_code() == StatusCode::NOT_FOUND {
        "This link is not valid"
    } else {
        "Something went wrong"
    };
    page(
        error.status_code(),
        title,
        html! {
            h1 { (title) }
            p.error role="alert" data-code=(error.code()) {
                @if error.status_code() == StatusCode::NOT_FOUND {
                    "Check that you opened the whole link from the e-mail or message you received."
                } @else {
                    (error.message())
                }
            }
        },
    )
}
