//! The web console: server-rendered pages under `/console` for the people who run an org
//! (owners, admins, auditors). A driving adapter of its own, on the domain only: every form
//! calls the same use case as the API, so the server refuses what a role may not do even when
//! a page offered it. Pages hide the actions the viewer's role lacks. No JavaScript build:
//! a little CSS and script are compiled into the binary.

mod assets;
mod csrf;
mod flash;
mod layout;
mod pages;
mod session;

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::{HttpRequest, web};
use tenantry_domain::Services;
use tenantry_domain::user::AttemptLimit;

/// The client's address as the operator's proxies report it: the same rule as the API's.
pub type ClientAddress = Arc<dyn Fn(&HttpRequest) -> Option<IpAddr> + Send + Sync>;

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// The use cases, the same as the API's.
    pub services: Services,
    /// Marks the session cookie `Secure`: on when the public URL is https.
    pub secure_cookies: bool,
    /// Sign-up, sign-in and TOTP code attempts: the API's own limiter, so both faces share one
    /// allowance.
    pub sign_in_attempts: Arc<dyn AttemptLimit>,
    /// Invitations made or sent again: the API's own limiter too.
    pub invitation_attempts: Arc<dyn AttemptLimit>,
    /// Who is asking, for the limits and the audit log.
    pub client_address: ClientAddress,
}

/// Registers the console's routes under `/console`, for `App::configure`.
pub fn routes(state: ConsoleState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope("/console")
                .app_data(web::Data::new(state))
                .configure(pages::register),
        );
    }
}
