//! SCIM 2.0 for one org at a time: `/scim/v2/{orgId}`, reached with that org's directory
//! token. A driving adapter on the domain only: the protocol (filters, PATCH, the JSON shapes
//! and the error format) lives here, every rule (seats, the owner, audit) in the domain's
//! [`DirectoryService`](tenantry_domain::directory::DirectoryService).

use actix_web::web;

pub mod error;
pub mod filter;
pub mod patch;
pub mod resource;
pub mod routes;

pub use routes::{ClientAddress, ScimState};

/// Registers the SCIM endpoints under `/scim/v2/{orgId}`, for `App::configure`.
pub fn routes(state: ScimState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.service(
            web::scope("/scim/v2/{orgId}")
                .app_data(web::Data::new(state))
                .app_data(web::PayloadConfig::new(routes::MAX_BODY_BYTES))
                .configure(routes::register)
                .default_service(web::to(routes::not_found)),
        );
    }
}
