//! The OpenAPI document, generated from the handlers' annotations and served at
//! `GET /api/openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use tenantry_domain::authz::Permission;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::routes::{
    account, audit, health, integrations, invitations, invitee, members, orgs, roles, tenant,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry", description = "Multi-tenant organizations: orgs, members, roles, invitations, audit logs."),
    paths(
        health::healthz, health::readyz,
        account::sign_up, account::log_in, account::log_out, account::current_session,
        account::me,
        account::set_active_org, account::create_token, account::list_tokens,
        account::revoke_token, account::start_totp, account::verify_totp, account::disable_totp,
        tenant::get_profile, tenant::update_profile, tenant::list_tenant_members,
        tenant::invite_to_tenant,
        integrations::list_integrations, integrations::create_integration,
        integrations::update_integration, integrations::delete_integration,
        orgs::list_orgs, orgs::create_org, orgs::get_org, orgs::update_org, orgs::delete_org,
        members::list_members, members::update_member, members::remove_member,
        members::move_member, members::transfer_ownership, members::leave_org,
        roles::list_roles, roles::create_role, roles::update_role, roles::delete_role,
        invitations::invite_by_email, invitations::create_link, invitations::list_invitations,
        invitations::revoke_invitation, invitations::resend_invitation,
        invitee::preview_invitation, invitee::accept_invitation, invitee::decline_invitation,
        invitee::preview_link, invitee::join,
        invitee::my_invitations, invitee::accept_my_invitation, invitee::decline_my_invitation,
        audit::list_audit_logs, audit::export_audit_logs, audit::verify_audit_logs,
    ),
    modifiers(&BearerToken, &CommonErrors),
)]
pub struct ApiDoc;

/// The failures every operation can answer, declared once instead of on each handler: 401 where
/// a token is needed, 400/413/415/422 where a body or a query is read, 500 everywhere.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let has_query = operation.parameters.iter().flatten().any(|parameter| {
                    matches!(parameter, RefOr::T(p) if p.parameter_in == ParameterIn::Query)
                });
                let mut declared = Vec::new();
                if operation.security.is_some() {
                    declared.push((
                        "401",
                        "unauthenticated: missing, malformed, unknown, expired or revoked token",
                    ));
                }
                if operation.request_body.is_some() {
                    declared.extend([
                        ("400", "malformed_json"),
                        ("413", "payload_too_large"),
                        ("415", "unsupported_media_type"),
                    ]);
                }
                if operation.request_body.is_some() || has_query {
                    declared.push(("422", "validation_failed, naming the field"));
                }
                declared.push(("500", "internal: logged, no details returned"));
                for (status, description) in declared {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description));
                }
                // OpenAPI requires a description on every response; a success declared with
                // only a body gets its status's reason phrase.
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        response.description = status
                            .parse::<u16>()
                            .ok()
                            .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
                            .and_then(|code| code.canonical_reason())
                            .unwrap_or("response")
                            .to_owned();
                    }
                }
            }
        }
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// The schema of a permission slug: the domain's catalogue, so the two cannot drift apart.
pub(crate) struct PermissionSlug;

impl PartialSchema for PermissionSlug {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Permission::ALL.map(Permission::slug)))
            .into()
    }
}

impl ToSchema for PermissionSlug {}

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

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;
    use utoipa::openapi::RefOr;

    use super::ApiDoc;

    /// OpenAPI 3 requires a description on every response; validators reject the document
    /// without one.
    #[test]
    fn every_response_has_a_description() {
        let document = ApiDoc::openapi();
        let mut missing = Vec::new();
        for (path, item) in &document.paths.paths {
            let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for operation in operations.into_iter().flatten() {
                for (status, response) in &operation.responses.responses {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        missing.push(format!("{path} {status}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{missing:?}");
    }
}
