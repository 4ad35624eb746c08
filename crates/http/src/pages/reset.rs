//! The page a password-reset e-mail links to: which account it is for, and a form for the new
//! password. Opening it changes nothing (mail scanners open links); the form's post does.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::user::{AuthError, Password, PasswordResetToken};

use super::layout::page;
use super::verify::{refused, went_wrong};
use crate::ApiState;

/// The form of the page, as posted.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct ResetForm {
    #[serde(default)]
    password: String,
}

/// `GET /reset-password/{token}`: the account's address, with the form that sets a password.
#[utoipa::path(get, path = "/reset-password/{token}", tag = "pages",
    params(("token" = String, Path, description = "the token of the reset e-mail's link")),
    responses(
        (status = 200, description = "the address, with a form for the new password", content_type = "text/html", body = String),
        (status = 404, description = "unknown, used, replaced or expired link", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts from this client", content_type = "text/html", body = String),
    ))]
pub(crate) async fn reset_password_page(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = refused(&state, &request, &path, unknown) {
        return refused;
    }
    let token = PasswordResetToken::from_presented(&path);
    match state.services.auth.password_reset_preview(&token).await {
        Ok(email) => form_page(StatusCode::OK, email.as_str(), None),
        Err(_) => unknown(),
    }
}

/// `POST /reset-password/{token}`: sets the password from the form and uses the link up.
#[utoipa::path(post, path = "/reset-password/{token}", tag = "pages",
    params(("token" = String, Path, description = "the token of the reset e-mail's link")),
    request_body(content = ResetForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "the password is set; every sign-in session ended", content_type = "text/html", body = String),
        (status = 404, description = "unknown, used, replaced or expired link", content_type = "text/html", body = String),
        (status = 422, description = "the password breaks a rule: the form again, saying which", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts from this client", content_type = "text/html", body = String),
    ))]
pub(crate) async fn submit_reset_password(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = refused(&state, &request, &path, unknown) {
        return refused;
    }
    let token = PasswordResetToken::from_presented(&path);
    // A form that does not parse holds no password: the rule says so.
    let form: ResetForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let password = match Password::try_from(form.password.as_str()) {
        Ok(password) => password,
        Err(invalid) => {
            return match state.services.auth.password_reset_preview(&token).await {
                Ok(email) => form_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    email.as_str(),
                    Some(&format!("The password {}.", invalid.message)),
                ),
                Err(_) => unknown(),
            };
        }
    };
    match state.services.auth.reset_password(&token, &password).await {
        Ok(user) => page(
            StatusCode::OK,
            "Password set",
            html! {
                h1 { "Password set" }
                p.done { "The password of " (user.email.as_str()) " is set." }
                p.muted { "You were signed out everywhere. " a href="/console" { "Sign in" } " with it." }
            },
        ),
        Err(AuthError::PasswordResetNotFound) => unknown(),
        Err(error) => went_wrong("setting a password from a reset link", &error),
    }
}

fn form_page(status: StatusCode, email: &str, error: Option<&str>) -> HttpResponse {
    let body: Markup = html! {
        h1 { "Choose a new password" }
        p { "For " strong { (email) } "." }
        @if let Some(error) = error { p.error #reset-error { (error) } }
        form method="post" {
            label for="new-password" { "New password" }
            input #new-password name="password" type="password" autocomplete="new-password"
                required minlength=(Password::MIN_CHARS) maxlength=(Password::MAX_CHARS);
            button #set-password type="submit" { "Set password" }
        }
        p.muted { "Setting it signs you out everywhere." }
    };
    page(status, "Choose a new password", body)
}

fn unknown() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Link not valid",
        html! {
            h1 { "This link is not valid" }
            p {
                "It is unknown, used, replaced by a newer one, or expired (a link works for an "
                "hour). Ask for a new one (POST /api/auth/password-reset)."
            }
        },
    )
}
