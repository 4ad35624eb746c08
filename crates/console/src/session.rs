//! Who is looking: the console's session is a bearer token of the API's own kind, issued at
//! sign-in and kept in an `HttpOnly` cookie, checked on every request like a bearer header.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use tenantry_domain::authz::Actor;
use tenantry_domain::user::SessionToken;

use crate::ConsoleState;
use crate::csrf;

/// The session cookie. Scoped to `/console`: the API never reads it, so a cookie cannot make
/// an API request on anyone's behalf.
pub(crate) const COOKIE: &str = "tenantry_console";

/// A signed-in person, and the CSRF token every form of theirs must carry.
pub(crate) struct Viewer {
    pub(crate) actor: Actor,
    pub(crate) token: SessionToken,
    pub(crate) csrf: String,
}

/// The value of cookie `name` in the request, if sent.
pub(crate) fn cookie(request: &HttpRequest, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/console`, and `Secure` on https.
/// An empty value with `Max-Age=0` deletes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, secure: bool) -> String {
    let mut cookie = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Lax");
    if value.is_empty() {
        cookie.push_str("; Max-Age=0");
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// A redirect to another page, as a refusal: the way to the sign-in page when no one is
/// signed in.
#[derive(Debug)]
pub(crate) struct Redirect(pub(crate) String);

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "see {}", self.0)
    }
}

impl ResponseError for Redirect {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, self.0.as_str()))
            .finish()
    }
}

pub(crate) fn to_sign_in() -> Redirect {
    Redirect("/console/sign-in".to_owned())
}

impl FromRequest for Viewer {
    type Error = Redirect;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Redirect>>>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = request.app_data::<web::Data<ConsoleState>>().cloned();
        let raw = cookie(request, COOKIE);
        let ip = state
            .as_ref()
            .and_then(|state| (state.client_address)(request));
        Box::pin(async move {
            let (Some(state), Some(raw)) = (state, raw) else {
                return Err(to_sign_in());
            };
            let token = SessionToken::from_presented(&raw);
            match state.services.auth.authenticate(&token).await {
                // Only the console's own sign-in sets this cookie; a service token is no person.
                Ok(actor) if !actor.service => Ok(Viewer {
                    actor: actor.with_ip(ip),
                    csrf: csrf::for_session(&raw),
                    token,
                }),
                _ => Err(to_sign_in()),
            }
        })
    }
}
