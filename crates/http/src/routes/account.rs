use actix_web::{HttpRequest, HttpResponse, web};
use tenantry_domain::ids::{OrgId, SessionId};
use tenantry_domain::user::{
    AuthError, Email, EmailVerificationToken, NewAccount, NewApiToken, Password,
    PasswordResetToken, reset_attempt_key,
};
use tenantry_domain::validation::ValidationError;

use super::client;
use crate::ApiState;
use crate::auth::Authenticated;
use crate::body::Body;
use crate::dto::auth::{
    CurrentSessionResponse, LogInRequest, MeResponse, MfaCodeRequest, PasswordResetConfirmRequest,
    PasswordResetRequest, SessionResponse, SignUpRequest, SignUpResponse, TotpEnrolmentResponse,
    UserResponse, VerifyEmailRequest,
};
use crate::dto::tenant::ActiveOrgRequest;
use crate::dto::token::{NewTokenRequest, NewTokenResponse, TokenListResponse, TokenResponse};
use crate::error::{ApiError, ErrorBody};

/// Creates an account and signs it in, and mails a link that verifies its address.
#[utoipa::path(post, path = "/api/auth/signup", tag = "account", request_body = SignUpRequest,
    responses(
        (status = 201, body = SignUpResponse),
        (status = 409, description = "email_taken", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn sign_up(
    state: web::Data<ApiState>,
    request: HttpRequest,
    body: Body<SignUpRequest>,
) -> Result<HttpResponse, ApiError> {
    state.auth_rate_limit.check(client(&request), None)?;
    let account = NewAccount::try_from(body.value()?)?;
    let signed_in = state.services.auth.sign_up(account).await?;
    let next_step = format!(
        "We sent a link to {}: follow it to verify your address. Organizations that admit \
         people of your e-mail domain are then offered to you (GET /api/me).",
        signed_in.user.email
    );
    // A new address is never verified yet, so nothing can be offered: orgs are matched to an
    // address only once its holder has shown they read its mailbox.
    Ok(HttpResponse::Created().json(SignUpResponse {
        session: SessionResponse::from(signed_in),
        joinable_orgs: Vec::new(),
        next_step: Some(next_step),
    }))
}

/// Confirms the address a verification link was sent to, and uses the link up. Needs no
/// bearer token: the token of the link is the proof.
#[utoipa::path(post, path = "/api/auth/verify-email", tag = "account",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, body = UserResponse),
        (status = 404, description = "verification_not_found: unknown, used, replaced or expired", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn verify_email(
    state: web::Data<ApiState>,
    request: HttpRequest,
    body: Body<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    // Presenting a token is guessing a secret: it spends the sign-in allowance.
    state.auth_rate_limit.check(client(&request), None)?;
    let raw = body.value()?.token;
    if raw.len() > MAX_VERIFICATION_TOKEN_LENGTH {
        return Err(AuthError::VerificationNotFound.into());
    }
    let token = EmailVerificationToken::from_presented(&raw);
    let user = state.services.auth.verify_email(&token).await?;
    Ok(HttpResponse::Ok().json(UserResponse::new(user, true)))
}

/// Verification and reset tokens are 47 characters; a longer one is refused without a lookup.
pub(crate) const MAX_VERIFICATION_TOKEN_LENGTH: usize = 128;

/// Mails a password-reset link to the address when an account has it. The answer is the same
/// either way, so it tells no one which addresses have accounts.
#[utoipa::path(post, path = "/api/auth/password-reset", tag = "account",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "a link is mailed if an account has the address"),
        (status = 422, description = "validation_failed (field email)", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn request_password_reset(
    state: web::Data<ApiState>,
    request: HttpRequest,
    body: Body<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::try_from(body.value()?.email.as_str())?;
    // The sign-in allowance per client, and one of the address's own (not its sign-in one, which
    // the owner needs); the domain mails one link per address in five minutes at most.
    state
        .auth_rate_limit
        .check(client(&request), Some(&reset_attempt_key(&email)))?;
    state.services.auth.request_password_reset(&email).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Sets a new password with the token of a reset link, and uses the link up. Every sign-in
/// session of the account ends; an account never verified before loses its API tokens and
/// second factor too.
#[utoipa::path(post, path = "/api/auth/password-reset/confirm", tag = "account",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204),
        (status = 404, description = "password_reset_not_found: unknown, used, replaced or expired", body = ErrorBody),
        (status = 422, description = "validation_failed (field password)", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn confirm_password_reset(
    state: web::Data<ApiState>,
    request: HttpRequest,
    body: Body<PasswordResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    // Presenting a token is guessing a secret: it spends the sign-in allowance.
    state.auth_rate_limit.check(client(&request), None)?;
    let body = body.value()?;
    let password = Password::try_from(body.password.as_str())?;
    if body.token.len() > MAX_VERIFICATION_TOKEN_LENGTH {
        return Err(AuthError::PasswordResetNotFound.into());
    }
    let token = PasswordResetToken::from_presented(&body.token);
    state
        .services
        .auth
        .reset_password(&token, &password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mails a new verification link to the caller's address; earlier links stop working.
#[utoipa::path(post, path = "/api/me/email/verify", tag = "account", security(("bearer" = [])),
    responses(
        (status = 202, description = "the e-mail is queued"),
        (status = 409, description = "email_already_verified", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn resend_verification(
    state: web::Data<ApiState>,
    request: HttpRequest,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    // Each request sends a mail: the invitation allowance (per client and per account) keeps
    // an account from flooding its own or anyone's mailbox.
    super::invitation_attempt(&request, Some(&auth.actor))?;
    state.services.auth.resend_verification(&auth.actor).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Signs in with e-mail and password and returns a new bearer token.
#[utoipa::path(post, path = "/api/auth/login", tag = "account", request_body = LogInRequest,
    responses(
        (status = 200, body = SessionResponse),
        (status = 401, description = "invalid_credentials", body = ErrorBody),
        (status = 429, description = "rate_limited", body = ErrorBody),
    ))]
pub(crate) async fn log_in(
    state: web::Data<ApiState>,
    request: HttpRequest,
    body: Body<LogInRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.value()?;
    // The account's bucket is keyed by the address as validated, so spellings that name the
    // same account share it; a malformed address still spends the client's.
    let email = Email::try_from(body.email.as_str()).ok();
    state
        .auth_rate_limit
        .check(client(&request), email.as_ref().map(Email::as_str))?;
    // A malformed e-mail or an over-long password cannot match an account: same answer.
    let email = email.ok_or(AuthError::InvalidCredentials)?;
    let password = Password::presented(&body.password).ok_or(AuthError::InvalidCredentials)?;
    let org = body.org_id.as_deref().map(org_id).transpose()?;
    let signed_in = state
        .services
        .auth
        .log_in(&email, &password, org, body.code.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(SessionResponse::from(signed_in)))
}

fn org_id(raw: &str) -> Result<OrgId, ValidationError> {
    raw.parse()
        .map_err(|_| ValidationError::new("orgId", "must be an organization id"))
}

/// Chooses the org that `/api/org` works on for this session; the caller must belong to it.
#[utoipa::path(put, path = "/api/me/active-org", tag = "account", security(("bearer" = [])),
    request_body = ActiveOrgRequest,
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn set_active_org(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<ActiveOrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let org = org_id(&body.value()?.org_id)?;
    state
        .services
        .auth
        .set_active_org(&auth.actor, &auth.token, org)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Makes an API token, pinned to an org when `orgId` is given; its secret is shown only in
/// this response.
#[utoipa::path(post, path = "/api/me/tokens", tag = "account", security(("bearer" = [])),
    request_body = NewTokenRequest,
    responses(
        (status = 201, body = NewTokenResponse),
        (status = 403, description = "token_pinned: a pinned token may only make tokens pinned to its org; forbidden: a service token by anyone but the org's owner", body = ErrorBody),
        (status = 404, description = "org_not_found", body = ErrorBody),
        (status = 422, description = "validation_failed", body = ErrorBody),
    ))]
pub(crate) async fn create_token(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<NewTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let new = NewApiToken::try_from(body.value()?)?;
    let issued = state
        .services
        .auth
        .create_api_token(&auth.actor, new)
        .await?;
    Ok(HttpResponse::Created().json(NewTokenResponse::from(issued)))
}

/// The caller's API tokens, without secrets.
#[utoipa::path(get, path = "/api/me/tokens", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = TokenListResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_tokens(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let tokens = state.services.auth.list_api_tokens(&auth.actor).await?;
    Ok(HttpResponse::Ok().json(TokenListResponse {
        tokens: tokens.into_iter().map(TokenResponse::from).collect(),
    }))
}

/// Revokes one of the caller's API tokens at once.
#[utoipa::path(delete, path = "/api/me/tokens/{id}", tag = "account", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 204),
        (status = 404, description = "token_not_found", body = ErrorBody),
    ))]
pub(crate) async fn revoke_token(
    state: web::Data<ApiState>,
    auth: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: SessionId = super::path_id(&path)?;
    state
        .services
        .auth
        .revoke_api_token(&auth.actor, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts TOTP enrolment: a new secret, pending until a code from it is verified.
#[utoipa::path(post, path = "/api/me/mfa/totp", tag = "account", security(("bearer" = [])),
    responses(
        (status = 201, body = TotpEnrolmentResponse),
        (status = 409, description = "mfa_already_enabled", body = ErrorBody),
    ))]
pub(crate) async fn start_totp(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let enrolment = state.services.auth.start_totp(&auth.actor).await?;
    Ok(HttpResponse::Created().json(TotpEnrolmentResponse {
        secret: enrolment.secret.base32(),
        otpauth_uri: enrolment.uri,
    }))
}

/// One try of a TOTP code, counted like a sign-in's password: a code has only a million
/// values, and turning TOTP off is what a stolen bearer token would guess for.
fn code_attempt(state: &ApiState, auth: &Authenticated) -> Result<(), ApiError> {
    let account = auth.actor.user_id.to_string();
    state.auth_rate_limit.check(auth.actor.ip, Some(&account))
}

/// Turns TOTP on with a first code from the pending secret; sign-in then needs `code`.
#[utoipa::path(post, path = "/api/me/mfa/totp/verify", tag = "account", security(("bearer" = [])),
    request_body = MfaCodeRequest,
    responses(
        (status = 204),
        (status = 409, description = "mfa_already_enabled, mfa_not_enrolled", body = ErrorBody),
        (status = 422, description = "validation_failed (field code)", body = ErrorBody),
        (status = 429, description = "rate_limited: too many codes tried by this account or client; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn verify_totp(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<MfaCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = body.value()?.code;
    code_attempt(&state, &auth)?;
    state.services.auth.confirm_totp(&auth.actor, &code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Turns TOTP off; needs a current code.
#[utoipa::path(delete, path = "/api/me/mfa/totp", tag = "account", security(("bearer" = [])),
    request_body = MfaCodeRequest,
    responses(
        (status = 204),
        (status = 409, description = "mfa_not_enrolled", body = ErrorBody),
        (status = 422, description = "validation_failed (field code)", body = ErrorBody),
        (status = 429, description = "rate_limited: too many codes tried by this account or client; see Retry-After", body = ErrorBody),
    ))]
pub(crate) async fn disable_totp(
    state: web::Data<ApiState>,
    auth: Authenticated,
    body: Body<MfaCodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let code = body.value()?.code;
    code_attempt(&state, &auth)?;
    state.services.auth.disable_totp(&auth.actor, &code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes the token that authenticated this request.
#[utoipa::path(post, path = "/api/auth/logout", tag = "account", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub(crate) async fn log_out(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    state.services.auth.log_out(&auth.token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The session of the bearer token and its account: the cheapest authenticated request.
/// Served from the session cache when this instance checked the token within
/// `TENANTRY_SESSION_CACHE_SECONDS`, so `lastLoginAt` is as of that check.
#[utoipa::path(get, path = "/api/auth/session", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = CurrentSessionResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn current_session(auth: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(CurrentSessionResponse::from(&*auth.session))
}

/// The signed-in user, their memberships, and the orgs they may join through the domain of
/// their verified address.
#[utoipa::path(get, path = "/api/me", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub(crate) async fn me(
    state: web::Data<ApiState>,
    auth: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let me = state.services.auth.me(&auth.actor).await?;
    let joinable = state.services.domains.joinable(&auth.actor).await?;
    Ok(HttpResponse::Ok().json(MeResponse::new(me, joinable)))
}
