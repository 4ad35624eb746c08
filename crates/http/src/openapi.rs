//! The OpenAPI document, generated from the handlers' annotations and served at
//! `GET /api/openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{account, health, members, orgs, roles};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry", description = "Multi-tenant organizations: orgs, members, roles."),
    paths(
        health::healthz, health::readyz,
        account::sign_up, account::log_in, account::log_out, account::me,
        orgs::list_orgs, orgs::create_org, orgs::get_org, orgs::update_org, orgs::delete_org,
        members::list_members, members::update_member, members::remove_member,
        members::move_member, members::transfer_ownership, members::leave_org,
        roles::list_roles, roles::create_role, roles::update_role, roles::delete_role,
    ),
    modifiers(&BearerToken),
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub(crate) async fn document() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let json = DOCUMENT.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default());
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(json.as_str())
}
