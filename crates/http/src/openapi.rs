//! The OpenAPI document, generated from the handlers' annotations and served at
//! `GET /api/openapi.json`.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use tenantry_domain::authz::Permission;
use tenantry_domain::idempotency::{IdempotencyKey, MAX_KEY_CHARS};
use utoipa::openapi::Required;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::routes::{
    account, audit, checks, domains, health, integrations, invitations, invitee, members, orgs,
    roles, scim, tenant, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tenantry", description = "Multi-tenant organizations: orgs, members, roles, invitations, audit logs."),
    paths(
        health::healthz, health::readyz, crate::metrics::metrics, document, docs,
        crate::pages::offer::invitation_page, crate::pages::offer::submit_invitation,
        crate::pages::offer::join_page, crate::pages::offer::submit_join,
        crate::pages::verify::verify_email_page, crate::pages::verify::submit_verify_email,
        crate::pages::reset::reset_password_page, crate::pages::reset::submit_reset_password,
        account::sign_up, account::log_in, account::log_out, account::current_session,
        account::me,
        account::set_active_org, account::create_token, account::list_tokens,
        account::revoke_token, account::start_totp, account::verify_totp, account::disable_totp,
        account::verify_email, account::resend_verification,
        account::request_password_reset, account::confirm_password_reset,
        tenant::get_profile, tenant::update_profile, tenant::list_tenant_members,
        tenant::invite_to_tenant,
        integrations::list_integrations, integrations::create_integration,
        integrations::update_integration, integrations::delete_integration,
        orgs::list_orgs, orgs::create_org, orgs::get_org, orgs::update_org, orgs::delete_org,
        members::list_members, members::update_member, members::remove_member,
        members::move_member, members::transfer_ownership, members::leave_org,
        roles::list_roles, roles::create_role, roles::update_role, roles::delete_role,
        invitations::invite_by_email, invitations::invite_in_bulk, invitations::create_link, invitations::list_invitations,
        invitations::revoke_invitation, invitations::resend_invitation,
        invitee::preview_invitation, invitee::accept_invitation, invitee::decline_invitation,
        invitee::preview_link, invitee::join,
        invitee::my_invitations, invitee::accept_my_invitation, invitee::decline_my_invitation,
        audit::list_audit_logs, audit::export_audit_logs, audit::verify_audit_logs,
        checks::check_permissions, checks::check_permissions_batch,
        webhooks::list_webhooks, webhooks::create_webhook, webhooks::update_webhook,
        webhooks::delete_webhook, webhooks::rotate_webhook_secret, webhooks::test_webhook,
        webhooks::list_deliveries,
        scim::create_scim_token, scim::list_scim_tokens, scim::revoke_scim_token,
        scim::get_scim_settings, scim::put_scim_settings,
        domains::list_domains, domains::add_domain, domains::verify_domain,
        domains::update_domain, domains::delete_domain, domains::put_domain_policy,
        domains::join_by_domain,
    ),
    // Reached only through `schema_with` (the batch's array is built from the domain's limit).
    components(schemas(
        crate::dto::check::CheckQuestion,
        crate::dto::invitation::BulkInvitationRow,
        crate::dto::scim::GroupRoleBody
    )),
    modifiers(&BearerToken, &CommonErrors, &CrossFieldRules),
)]
pub struct ApiDoc;

/// The interactive viewer of this document (Swagger UI, its assets in the binary).
#[utoipa::path(get, path = "/docs", tag = "operations", responses(
    (status = 308, description = "to the viewer at `/docs/`"),
))]
pub(crate) async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// The viewer's pages and assets, under `/docs/`.
pub(crate) fn viewer() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
        .config(utoipa_swagger_ui::Config::from("/api/openapi.json"))
}

/// The failures every operation can answer, declared once instead of on each handler: 401 where
/// a token is needed, 400/413/415/422 where a body or a query is read, 500 and 503 everywhere.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
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
                let checks = operation
                    .tags
                    .iter()
                    .flatten()
                    .any(|tag| tag == "permissions");
                if operation.security.is_some() && !checks {
                    service_token_scope(&mut operation.responses.responses);
                }
                declared.push(("500", "internal: logged, no details returned"));
                declared.push((
                    "503",
                    "unavailable: the database cannot be reached; nothing was done, retry after `Retry-After` seconds",
                ));
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
            if let Some(post) = item.post.as_mut().filter(|_| path.starts_with("/api/")) {
                idempotency_key(post);
            }
        }
    }
}

/// Every route that takes a bearer token, the permission checks aside, refuses a service
/// token.
fn service_token_scope(responses: &mut Responses) {
    mention(
        responses,
        "403",
        "service_token_scope: a service token may only check permissions",
    );
}

type Responses = std::collections::BTreeMap<String, RefOr<Response>>;

/// Adds `description` to the response of `status`, declaring it if it is not yet.
fn mention(responses: &mut Responses, status: &str, description: &str) {
    match responses.get_mut(status) {
        Some(RefOr::T(response)) => {
            response.description = format!("{}; {description}", response.description);
        }
        _ => {
            responses.insert(status.to_owned(), error_response(description));
        }
    }
}

/// Every POST of the JSON API takes an optional `Idempotency-Key` (see `docs/api.md`).
fn idempotency_key(operation: &mut utoipa::openapi::path::Operation) {
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_KEY_CHARS))
        .pattern(Some(IdempotencyKey::PATTERN));
    let parameter = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes a retry safe: the first answer is kept for 24 hours and sent again \
             (with `Idempotent-Replayed: true`) to the same request with the same key",
        ))
        .schema(Some(schema))
        .build();
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(RefOr::T(parameter));
    let responses = &mut operation.responses.responses;
    mention(
        responses,
        "409",
        "idempotency_in_progress: a request with this key is still being served",
    );
    mention(
        responses,
        "422",
        "validation_failed (a malformed Idempotency-Key), idempotency_key_reused: the key was used for another request",
    );
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

/// Rules across fields, which the derived schemas do not carry, added to their schemas.
struct CrossFieldRules;

impl Modify for CrossFieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        if let Some(body) = components.schemas.remove("NewTokenRequest") {
            let ruled = AllOfBuilder::new()
                .item(body)
                .item(crate::dto::token::service_token_names_its_org());
            components
                .schemas
                .insert("NewTokenRequest".into(), ruled.into());
        }
    }
}

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

/// The document as JSON, as `/api/openapi.json` serves it.
pub fn openapi_json() -> Result<String, serde_json::Error> {
    ApiDoc::openapi().to_pretty_json()
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations", responses(
    (status = 200, description = "the OpenAPI document of this API", content_type = "application/json"),
))]
pub(crate) async fn document() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let json = DOCUMENT.get_or_init(|| openapi_json().unwrap_or_default());
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

#[cfg(test)]
mod coverage {
    use std::collections::BTreeSet;

    use utoipa::OpenApi;

    use super::ApiDoc;

    /// `/api/orgs/{org_id}` (actix) and `/api/orgs/{orgId}` (the document, as the contract
    /// spells it) are one template.
    fn template(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                _ if in_param => {}
                _ => out.push(c),
            }
        }
        out
    }

    /// Every method of every path registered in actix is in the document, and the document
    /// promises nothing that is not registered. (The viewer's own assets under `/docs/` are
    /// served by one catch-all and are not API.)
    #[test]
    fn the_document_and_the_route_table_name_the_same_operations() {
        let mut table = Vec::new();
        let _app = actix_web::App::new().configure(|cfg| table = crate::routes::register(cfg));
        let registered: BTreeSet<String> = table
            .iter()
            .flat_map(|(path, methods)| {
                methods
                    .iter()
                    .map(move |method| format!("{method} {}", template(path)))
            })
            .collect();
        let document = ApiDoc::openapi();
        let documented: BTreeSet<String> = document
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                [
                    ("GET", &item.get),
                    ("PUT", &item.put),
                    ("POST", &item.post),
                    ("DELETE", &item.delete),
                    ("PATCH", &item.patch),
                    ("HEAD", &item.head),
                    ("OPTIONS", &item.options),
                ]
                .into_iter()
                .filter(|(_, operation)| operation.is_some())
                .map(move |(method, _)| format!("{method} {}", template(path)))
            })
            .collect();
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        let unregistered: Vec<_> = documented.difference(&registered).collect();
        assert!(
            undocumented.is_empty() && unregistered.is_empty(),
            "registered but not documented: {undocumented:?}\ndocumented but not registered: {unregistered:?}"
        );
        assert!(registered.len() > 50, "{registered:?}");
    }
}
