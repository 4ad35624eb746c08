//! Signing up, in (with the TOTP step when the account has one) and out.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::error::DomainError;
use tenantry_domain::user::{AuthError, Email, NewAccount, Password, SignedIn, UserName};

use super::{NoFields, Refused, form};
use crate::ConsoleState;
use crate::csrf::{self, ANONYMOUS_COOKIE};
use crate::flash::{self, Flash};
use crate::layout::plain_page;
use crate::session::{COOKIE, Viewer, cookie, set_cookie};

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .route("/sign-in", web::get().to(sign_in_page))
        .route("/sign-in", web::post().to(sign_in))
        .route("/sign-up", web::get().to(sign_up_page))
        .route("/sign-up", web::post().to(sign_up))
        .route("/sign-out", web::post().to(sign_out))
        .route("/forgot-password", web::get().to(forgot_page))
        .route("/forgot-password", web::post().to(forgot));
}

async fn home() -> HttpResponse {
    see("/console/orgs")
}

fn see(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    code: Option<String>,
}

/// The anonymous CSRF token of this browser, made (and set as a cookie) if it has none.
fn anonymous_token(request: &HttpRequest) -> (String, Option<String>) {
    match cookie(request, ANONYMOUS_COOKIE) {
        Some(token) if !token.is_empty() => (token, None),
        _ => {
            let token = csrf::fresh();
            (token.clone(), Some(token))
        }
    }
}

fn with_token(state: &ConsoleState, mut page: HttpResponse, new: Option<String>) -> HttpResponse {
    if let Some(token) = new
        && let Ok(value) = set_cookie(ANONYMOUS_COOKIE, &token, state.secure_cookies).parse()
    {
        page.headers_mut().append(header::SET_COOKIE, value);
    }
    page
}

fn sign_in_form(token: &str, email: &str, ask_code: bool, flash: &Flash) -> Markup {
    html! {
        h1 { "Sign in" }
        (flash::banner(flash))
        form method="post" action="/console/sign-in" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { "E-mail" }
            input #email type="email" name="email" value=(email) required autocomplete="username";
            label for="password" { "Password" }
            input #password type="password" name="password" required autocomplete="current-password";
            @if ask_code {
                label for="code" { "Code from your authenticator app" }
                input #code type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required;
            }
            p { button #sign-in type="submit" { "Sign in" } }
        }
        p.muted {
            a #forgot-password href="/console/forgot-password" { "Forgot your password?" }
            " · No account yet? " a href="/console/sign-up" { "Sign up" }
        }
    }
}

fn forgot_form(token: &str, flash: &Flash) -> Markup {
    html! {
        h1 { "Forgot your password?" }
        (flash::banner(flash))
        p.muted { "We mail a link to your address; it lets you choose a new password for an hour." }
        form method="post" action="/console/forgot-password" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { "E-mail" }
            input #email type="email" name="email" required autocomplete="username";
            p { button #send-reset type="submit" { "Send the link" } }
        }
        p.muted { a href="/console/sign-in" { "Back to sign-in" } }
    }
}

async fn forgot_page(
    state: web::Data<ConsoleState>,
    request: HttpRequest,
    flash: web::Query<Flash>,
) -> HttpResponse {
    let (token, new) = anonymous_token(&request);
    let page = plain_page(
        "Forgot your password?",
        None,
        true,
        forgot_form(&token, &flash),
    );
    with_token(&state, page, new)
}

/// Asks for a reset link as `POST /api/auth/password-reset` does, with its allowance, and
/// answers alike whether or not an account has the address.
async fn forgot(
    state: web::Data<ConsoleState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form = anonymous_form(&request, &body)?;
    let Ok(email) = Email::try_from(form.email.as_str()) else {
        return Ok(flash::refused(
            "/console/forgot-password",
            "validation_failed",
        ));
    };
    let account = tenantry_domain::user::reset_attempt_key(&email);
    state
        .sign_in_attempts
        .attempt((state.client_address)(&request), Some(&account))
        .map_err(|_| Refused::rate_limited())?;
    state
        .services
        .auth
        .request_password_reset(&email)
        .await
        .map_err(|error| Refused::from_domain(&error))?;
    Ok(flash::done("/console/sign-in", "reset_sent"))
}

async fn sign_in_page(
    state: web::Data<ConsoleState>,
    request: HttpRequest,
    flash: web::Query<Flash>,
) -> HttpResponse {
    let (token, new) = anonymous_token(&request);
    let page = plain_page(
        "Sign in",
        None,
        true,
        sign_in_form(&token, "", false, &flash),
    );
    with_token(&state, page, new)
}

/// The anonymous token of the form, checked against this browser's cookie.
fn anonymous_form(request: &HttpRequest, body: &[u8]) -> Result<SignInForm, Refused> {
    let form: SignInForm =
        serde_urlencoded::from_bytes(body).map_err(|_| Refused::forged_form())?;
    let expected = cookie(request, ANONYMOUS_COOKIE).unwrap_or_default();
    if csrf::matches(&expected, &form.csrf) {
        Ok(form)
    } else {
        Err(Refused::forged_form())
    }
}

/// Into the console: the session cookie, and on to the org list.
fn signed_in(state: &ConsoleState, signed: &SignedIn) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/orgs"))
        .append_header((
            header::SET_COOKIE,
            set_cookie(COOKIE, signed.token.expose(), state.secure_cookies),
        ))
        .append_header((
            header::SET_COOKIE,
            set_cookie(ANONYMOUS_COOKIE, "", state.secure_cookies),
        ))
        .finish()
}

async fn sign_in(
    state: web::Data<ConsoleState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form = anonymous_form(&request, &body)?;
    // Keyed by the address as validated, as the API keys its sign-ins.
    let account = Email::try_from(form.email.as_str()).ok();
    state
        .sign_in_attempts
        .attempt(
            (state.client_address)(&request),
            account.as_ref().map(Email::as_str),
        )
        .map_err(|_| Refused::rate_limited())?;
    let refused = |error: &AuthError| {
        let ask_code = matches!(
            error,
            AuthError::MfaCodeRequired | AuthError::InvalidMfaCode
        );
        let flash = Flash {
            done: None,
            error: Some(error.code().to_owned()),
        };
        let mut page = plain_page(
            "Sign in",
            None,
            true,
            sign_in_form(&form.csrf, &form.email, ask_code, &flash),
        );
        *page.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
        page
    };
    let (Ok(email), Some(password)) = (
        Email::try_from(form.email.as_str()),
        Password::presented(&form.password),
    ) else {
        return Ok(refused(&AuthError::InvalidCredentials));
    };
    let code = form.code.as_deref().filter(|code| !code.is_empty());
    match state
        .services
        .auth
        .log_in(&email, &password, None, code)
        .await
    {
        Ok(signed) => Ok(signed_in(&state, &signed)),
        Err(error) if error.kind() == tenantry_domain::error::ErrorKind::Internal => {
            Err(Refused::from_domain(&error))
        }
        Err(error) => Ok(refused(&error)),
    }
}

fn sign_up_form(token: &str, form: Option<&SignInForm>, flash: &Flash) -> Markup {
    html! {
        h1 { "Create your account" }
        (flash::banner(flash))
        form method="post" action="/console/sign-up" {
            input type="hidden" name="csrf" value=(token);
            label for="name" { "Your name" }
            input #name type="text" name="name" value=[form.map(|f| f.name.as_str())] required autocomplete="name";
            label for="email" { "E-mail" }
            input #email type="email" name="email" value=[form.map(|f| f.email.as_str())] required autocomplete="username";
            label for="password" { "Password" }
            input #password type="password" name="password" required minlength=(Password::MIN_CHARS) autocomplete="new-password";
            p { button #sign-up type="submit" { "Sign up" } }
        }
        p.muted { "Have an account? " a href="/console/sign-in" { "Sign in" } }
    }
}

async fn sign_up_page(
    state: web::Data<ConsoleState>,
    request: HttpRequest,
    flash: web::Query<Flash>,
) -> HttpResponse {
    let (token, new) = anonymous_token(&request);
    let page = plain_page("Sign up", None, true, sign_up_form(&token, None, &flash));
    with_token(&state, page, new)
}

async fn sign_up(
    state: web::Data<ConsoleState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form = anonymous_form(&request, &body)?;
    state
        .sign_in_attempts
        .attempt((state.client_address)(&request), None)
        .map_err(|_| Refused::rate_limited())?;
    let account = Email::try_from(form.email.as_str()).and_then(|email| {
        Ok(NewAccount {
            email,
            password: Password::try_from(form.password.as_str())?,
            name: UserName::try_from(form.name.as_str())?,
        })
    });
    let refused = |code: &str, detail: Option<String>| {
        let flash = Flash {
            done: None,
            error: Some(code.to_owned()),
        };
        let body = html! {
            (sign_up_form(&form.csrf, Some(&form), &flash))
            @if let Some(detail) = &detail { p.muted { (detail) } }
        };
        let mut page = plain_page("Sign up", None, true, body);
        *page.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
        page
    };
    let account = match account {
        Ok(account) => account,
        Err(invalid) => return Ok(refused(invalid.code(), Some(invalid.to_string()))),
    };
    match state.services.auth.sign_up(account).await {
        Ok(signed) => Ok(signed_in(&state, &signed)),
        Err(error) if error.kind() == tenantry_domain::error::ErrorKind::Internal => {
            Err(Refused::from_domain(&error))
        }
        Err(error) => Ok(refused(error.code(), None)),
    }
}

async fn sign_out(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let _: NoFields = form(&viewer, &body)?;
    if let Err(error) = state.services.auth.log_out(&viewer.token).await {
        return Err(Refused::from_domain(&error));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/sign-in"))
        .append_header((
            header::SET_COOKIE,
            set_cookie(COOKIE, "", state.secure_cookies),
        ))
        .finish())
}
