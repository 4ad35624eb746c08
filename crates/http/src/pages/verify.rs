//! The page a verification e-mail links to. Opening it only shows which address it confirms
//! (mail scanners open links); the button on it confirms.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use tenantry_domain::user::EmailVerificationToken;

use super::layout::page;
use crate::ApiState;
use crate::routes::client;

use crate::routes::MAX_VERIFICATION_TOKEN_LENGTH as MAX_TOKEN_LENGTH;

/// `GET /verify-email/{token}`: which address the link confirms, with the button that does.
#[utoipa::path(get, path = "/verify-email/{token}", tag = "pages",
    params(("token" = String, Path, description = "the token of the verification e-mail's link")),
    responses(
        (status = 200, description = "the address, with a button to confirm it", content_type = "text/html", body = String),
        (status = 404, description = "unknown, used, replaced or expired link", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts from this client", content_type = "text/html", body = String),
    ))]
pub(crate) async fn verify_email_page(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = refused(&state, &request, &path, unknown) {
        return refused;
    }
    let token = EmailVerificationToken::from_presented(&path);
    match state.services.auth.verification_preview(&token).await {
        Ok(email) => page(
            StatusCode::OK,
            "Verify your e-mail address",
            html! {
                h1 { "Verify your e-mail address" }
                p { "Confirm that " strong { (email.as_str()) } " is your address." }
                form method="post" {
                    button type="submit" { "Confirm" }
                }
            },
        ),
        Err(_) => unknown(),
    }
}

/// `POST /verify-email/{token}`: confirms the address and uses the link up.
#[utoipa::path(post, path = "/verify-email/{token}", tag = "pages",
    params(("token" = String, Path, description = "the token of the verification e-mail's link")),
    responses(
        (status = 200, description = "the address is verified", content_type = "text/html", body = String),
        (status = 404, description = "unknown, used, replaced or expired link", content_type = "text/html", body = String),
        (status = 429, description = "too many attempts from this client", content_type = "text/html", body = String),
    ))]
pub(crate) async fn submit_verify_email(
    state: web::Data<ApiState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = refused(&state, &request, &path, unknown) {
        return refused;
    }
    let token = EmailVerificationToken::from_presented(&path);
    match state.services.auth.verify_email(&token).await {
        Ok(user) => page(
            StatusCode::OK,
            "Address verified",
            html! {
                h1 { "Address verified" }
                p.done { (user.email.as_str()) " is verified." }
                p.muted {
                    "Organizations that admit people of your e-mail domain are now offered to you "
                    "(GET /api/me lists them)."
                }
            },
        ),
        Err(error) => {
            if matches!(
                error,
                tenantry_domain::user::AuthError::VerificationNotFound
            ) {
                unknown()
            } else {
                went_wrong("verifying an address", &error)
            }
        }
    }
}

/// A failure of the server behind a link's page: logged with `what` was being done, and
/// answered without its cause.
pub(super) fn went_wrong(what: &str, error: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(%error, "{what} failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        html! { h1 { "Something went wrong" } p { "Try again in a moment." } },
    )
}

/// A token that cannot be one (answered with `unknown`), or a client past its allowance, is
/// answered without a lookup.
pub(super) fn refused(
    state: &ApiState,
    request: &HttpRequest,
    token: &str,
    unknown: fn() -> HttpResponse,
) -> Option<HttpResponse> {
    if token.len() > MAX_TOKEN_LENGTH {
        return Some(unknown());
    }
    // Guessing a token is guessing a secret: the sign-in allowance applies.
    state
        .auth_rate_limit
        .check(client(request), None)
        .err()
        .map(|_| {
            page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                html! { h1 { "Too many attempts" } p { "Wait a minute and try again." } },
            )
        })
}

fn unknown() -> HttpResponse {
    page(
        StatusCode::NOT_FOUND,
        "Link not valid",
        html! {
            h1 { "This link is not valid" }
            p {
                "It is unknown, used, replaced by a newer one, or expired. Sign in and ask for a "
                "new one (POST /api/me/email/verify)."
            }
        },
    )
}
