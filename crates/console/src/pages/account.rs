//! The viewer's own account, outside any org: the second factor (TOTP: start enrolment, confirm
//! with a first code, turn off with a code) and their API tokens (list, create, revoke). A new
//! TOTP secret and a new token's secret exist only in the response to the post that made them,
//! so those posts render the page themselves rather than redirect.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::ids::{OrgId, SessionId};
use tenantry_domain::user::{
    ApiToken, AuthError, IssuedApiToken, Me, NewApiToken, TokenLifetime, TokenName, TotpEnrolment,
};
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{NoFields, Refused, form};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::plain_page;
use crate::session::Viewer;

const BACK: &str = "/console/account";

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(page))
        .route("/account/totp", web::post().to(start_totp))
        .route("/account/totp/verify", web::post().to(verify_totp))
        .route("/account/totp/disable", web::post().to(disable_totp))
        .route("/account/tokens", web::post().to(create_token))
        .route("/account/tokens/{id}/revoke", web::post().to(revoke_token));
}

/// What the page shows beyond its usual self, once: only the response to the post that made a
/// secret can show it.
enum Once<'a> {
    Nothing,
    /// A TOTP secret just made, waiting for its first code.
    Enrolment(&'a TotpEnrolment),
    /// A first code that did not match: the pending secret stays, so another code may follow.
    RetryCode,
    /// An API token just made.
    Token(&'a IssuedApiToken),
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, Refused> {
    render(&state, &viewer, &flash, Once::Nothing).await
}

async fn render(
    state: &ConsoleState,
    viewer: &Viewer,
    flash: &Flash,
    once: Once<'_>,
) -> Result<HttpResponse, Refused> {
    let me = state.services.auth.me(&viewer.actor).await?;
    let tokens = state.services.auth.list_api_tokens(&viewer.actor).await?;
    let org_names: HashMap<OrgId, &str> = me
        .memberships
        .iter()
        .map(|membership| (membership.org_id, membership.name.as_str()))
        .collect();
    let now = OffsetDateTime::now_utc();
    let body = html! {
        section.card {
            h1 { "Your account" }
            (flash::banner(flash))
            p { (me.user.name.as_str()) " · " span.muted #account-email { (me.user.email.as_str()) } }
        }
        (totp_section(viewer, &me, &once))
        section.card #api-tokens {
            h2 { "API tokens" }
            p.muted {
                "Bearer tokens for scripts and services: they act as you, through the API, wherever "
                "you may or, pinned to an organization, there only. A token's secret is shown once, "
                "when it is made."
            }
            @if let Once::Token(issued) = &once {
                (new_token(issued))
            }
            @if tokens.is_empty() {
                p.muted #no-tokens { "No API tokens." }
            } @else {
                table #tokens {
                    thead { tr {
                        th { "Name" } th { "Organization" } th { "Created" } th { "Expires" } th { "Actions" }
                    } }
                    tbody {
                        @for token in &tokens {
                            (token_row(viewer, token, &org_names, now))
                        }
                    }
                }
            }
            h3 { "Create a token" }
            form.row method="post" action="/console/account/tokens" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                div {
                    label for="token-name" { "Name" }
                    input #token-name type="text" name="name" required maxlength=(TokenName::MAX_CHARS) autocomplete="off";
                }
                div {
                    label for="token-org" { "Organization" }
                    select #token-org name="org" {
                        option value="" selected { "Any of mine (not pinned)" }
                        @for membership in &me.memberships {
                            option value=(membership.org_id) { "Only " (membership.name.as_str()) }
                        }
                    }
                }
                div {
                    label for="token-days" { "Lifetime (days)" }
                    input #token-days type="number" name="days" min="1" max=(TokenLifetime::MAX_DAYS) value=(TokenLifetime::DEFAULT_DAYS) required;
                }
                button #create-token type="submit" { "Create token" }
            }
        }
    };
    Ok(plain_page(
        "Account",
        Some((me.user.name.as_str(), &viewer.csrf)),
        false,
        body,
    ))
}

fn totp_section(viewer: &Viewer, me: &Me, once: &Once<'_>) -> Markup {
    let confirm = html! {
        form.row method="post" action="/console/account/totp/verify" {
            input type="hidden" name="csrf" value=(viewer.csrf);
            div {
                label for="totp-code" { "Code from the app" }
                input #totp-code type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required;
            }
            button #verify-totp type="submit" { "Turn on" }
        }
    };
    let start = |label: &str| {
        html! {
            form.inline method="post" action="/console/account/totp" {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button.quiet[label != "Set up"] #start-totp type="submit" { (label) }
            }
        }
    };
    html! {
        section.card #two-factor data-enabled=(me.user.mfa_enabled) {
            h2 { "Two-factor authentication" }
            @if me.user.mfa_enabled {
                p #totp-status { strong { "On." } " Signing in asks for a code from your authenticator app." }
                h3 { "Turn it off" }
                form.row method="post" action="/console/account/totp/disable" data-confirm="Turn off two-factor authentication? Signing in will need your password only." {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    div {
                        label for="disable-code" { "Current code" }
                        input #disable-code type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required;
                    }
                    button.danger #disable-totp type="submit" { "Turn off" }
                }
            } @else {
                p #totp-status { strong { "Off." } " Signing in asks for your password only." }
                @match once {
                    Once::Enrolment(enrolment) => {
                        div #totp-enrolment {
                            p { "Add this secret to your authenticator app, then enter the code it shows to turn two-factor authentication on." }
                            label for="totp-secret" { "Secret" }
                            div {
                                input #totp-secret type="text" readonly value=(enrolment.secret.base32()) size="40" aria-describedby="totp-note";
                                " "
                                button.quiet #copy-secret type="button" data-copy="totp-secret" { "Copy" }
                            }
                            p.muted { "Or the app's URI: " code #totp-uri { (enrolment.uri) } }
                            p.muted #totp-note { "Shown only now. Until a code is confirmed, two-factor authentication stays off." }
                            (confirm)
                        }
                    }
                    Once::RetryCode => {
                        div #totp-enrolment {
                            p { "Enter the current code from the app you added the secret to, or start again with a new secret." }
                            (confirm)
                            p { (start("Start again")) }
                        }
                    }
                    _ => {
                        p { "Protect your account with a code from an authenticator app at every sign-in." }
                        (start("Set up"))
                    }
                }
            }
        }
    }
}

/// The token just made, once: only its hash is kept.
fn new_token(issued: &IssuedApiToken) -> Markup {
    html! {
        div #created-token data-id=(issued.token.id) {
            label for="new-token" { "Your new token " strong { (issued.token.name.as_str()) } }
            div {
                input #new-token type="text" readonly value=(issued.secret.expose()) size="60" aria-describedby="new-token-note";
                " "
                button.quiet #copy-token type="button" data-copy="new-token" { "Copy" }
            }
            p.muted #new-token-note {
                "Shown only now: copy it before leaving this page. Send it as "
                code { "Authorization: Bearer <token>" } ". It works until " (when(issued.token.expires_at)) "."
            }
        }
    }
}

fn when(at: OffsetDateTime) -> Markup {
    let full = at.format(&Rfc3339).unwrap_or_default();
    let day: String = full.chars().take(10).collect();
    html! { time datetime=(full) title=(full) { (day) } }
}

fn token_row(
    viewer: &Viewer,
    token: &ApiToken,
    org_names: &HashMap<OrgId, &str>,
    now: OffsetDateTime,
) -> Markup {
    let expired = token.expires_at <= now;
    html! {
        tr data-id=(token.id) data-expired=(expired) {
            td.name {
                (token.name.as_str())
                @if token.service { " " span.muted { "(service)" } }
            }
            td.org {
                @match token.org {
                    Some(org) => {
                        @match org_names.get(&org) {
                            Some(name) => { (name) }
                            None => { span.muted { "an organization you left" } }
                        }
                    }
                    None => { span.muted { "any" } }
                }
            }
            td { (when(token.created_at)) }
            td {
                (when(token.expires_at))
                @if expired { " " span.muted { "(expired)" } }
            }
            td {
                form.inline method="post" action={"/console/account/tokens/" (token.id) "/revoke"} data-confirm="Revoke this token? Whatever uses it stops working at once." {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    button.danger.revoke type="submit" { "Revoke" }
                }
            }
        }
    }
}

async fn start_totp(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let _: NoFields = form(&viewer, &body)?;
    match state.services.auth.start_totp(&viewer.actor).await {
        Ok(enrolment) => {
            render(
                &state,
                &viewer,
                &Flash::default(),
                Once::Enrolment(&enrolment),
            )
            .await
        }
        Err(error) => Ok(flash::failed(BACK, &error)),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

/// One try of a TOTP code, counted against the allowance the API's tries and sign-ins share.
fn code_attempt(state: &ConsoleState, viewer: &Viewer) -> Result<(), Refused> {
    let account = viewer.actor.user_id.to_string();
    state
        .sign_in_attempts
        .attempt(viewer.actor.ip, Some(&account))
        .map_err(|_| Refused::rate_limited())
}

async fn verify_totp(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form: CodeForm = form(&viewer, &body)?;
    code_attempt(&state, &viewer)?;
    match state
        .services
        .auth
        .confirm_totp(&viewer.actor, &form.code)
        .await
    {
        Ok(()) => Ok(flash::done(BACK, "totp_on")),
        // The pending secret is still there: ask again rather than send them back to the
        // start, which would need a new secret in their app.
        Err(AuthError::WrongMfaCode) => {
            let flash = Flash {
                done: None,
                error: Some("wrong_mfa_code".to_owned()),
            };
            let mut page = render(&state, &viewer, &flash, Once::RetryCode).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
        Err(error) => Ok(flash::failed(BACK, &error)),
    }
}

async fn disable_totp(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form: CodeForm = form(&viewer, &body)?;
    code_attempt(&state, &viewer)?;
    match state
        .services
        .auth
        .disable_totp(&viewer.actor, &form.code)
        .await
    {
        Ok(()) => Ok(flash::done(BACK, "totp_off")),
        Err(AuthError::WrongMfaCode) => Ok(flash::refused(BACK, "wrong_mfa_code")),
        Err(error) => Ok(flash::failed(BACK, &error)),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    days: String,
}

/// The token asked for, validated as the API validates its body; never a service token here.
fn new_api_token(form: &TokenForm) -> Result<NewApiToken, ValidationError> {
    let org = match form.org.trim() {
        "" => None,
        raw => Some(
            raw.parse::<OrgId>()
                .map_err(|_| ValidationError::new("orgId", "must be an organization id"))?,
        ),
    };
    let days = match form.days.trim() {
        "" => None,
        raw => Some(raw.parse::<u64>().map_err(|_| {
            ValidationError::new(
                "expiresInDays",
                format!("must be between 1 and {}", TokenLifetime::MAX_DAYS),
            )
        })?),
    };
    Ok(NewApiToken {
        name: TokenName::try_from(form.name.as_str())?,
        org,
        lifetime: TokenLifetime::days(days)?,
        service: false,
    })
}

async fn create_token(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let form: TokenForm = form(&viewer, &body)?;
    let new = match new_api_token(&form) {
        Ok(new) => new,
        Err(invalid) => return Ok(flash::failed(BACK, &invalid)),
    };
    match state
        .services
        .auth
        .create_api_token(&viewer.actor, new)
        .await
    {
        Ok(issued) => {
            let flash = Flash {
                done: Some("token".to_owned()),
                error: None,
            };
            render(&state, &viewer, &flash, Once::Token(&issued)).await
        }
        Err(error) => Ok(flash::failed(BACK, &error)),
    }
}

async fn revoke_token(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let id: SessionId = path.parse().map_err(|_| Refused::not_found())?;
    let _: NoFields = form(&viewer, &body)?;
    Ok(flash::outcome(
        BACK,
        state
            .services
            .auth
            .revoke_api_token(&viewer.actor, id)
            .await,
        "revoked",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_form(name: &str, org: &str, days: &str) -> TokenForm {
        TokenForm {
            name: name.to_owned(),
            org: org.to_owned(),
            days: days.to_owned(),
        }
    }

    #[test]
    fn a_token_form_is_validated_as_the_api_validates_its_body() {
        let new = new_api_token(&token_form(" ci ", "", "")).unwrap();
        assert_eq!(new.name.as_str(), "ci");
        assert_eq!(new.org, None);
        assert_eq!(new.lifetime, TokenLifetime::days(None).unwrap());
        assert!(!new.service);
        assert_eq!(
            new_api_token(&token_form("ci", "", "30")).unwrap().lifetime,
            TokenLifetime::days(Some(30)).unwrap()
        );
        assert_eq!(
            new_api_token(&token_form("", "", "")).unwrap_err().field,
            "name"
        );
        assert_eq!(
            new_api_token(&token_form("ci", "not-an-id", ""))
                .unwrap_err()
                .field,
            "orgId"
        );
        for days in ["0", "366", "ten", "-1"] {
            assert_eq!(
                new_api_token(&token_form("ci", "", days))
                    .unwrap_err()
                    .field,
                "expiresInDays"
            );
        }
    }
}
