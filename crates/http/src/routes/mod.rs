//! The route table: every resource answers its methods and a JSON 405 for any other.

pub(crate) mod account;
pub(crate) mod audit;
pub(crate) mod checks;
pub(crate) mod domains;
pub(crate) mod health;
pub(crate) mod integrations;
pub(crate) mod invitations;
pub(crate) mod invitee;
pub(crate) mod members;
pub(crate) mod orgs;
pub(crate) mod roles;
pub(crate) mod scim;
pub(crate) mod tenant;
pub(crate) mod webhooks;

use std::str::FromStr;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, web};

use crate::error::ApiError;

pub(crate) use account::*;
pub(crate) use audit::*;
pub(crate) use checks::*;
pub(crate) use domains::*;
pub(crate) use health::*;
pub(crate) use integrations::*;
pub(crate) use invitations::*;
pub(crate) use invitee::*;
pub(crate) use members::*;
pub(crate) use orgs::*;
pub(crate) use roles::*;
pub(crate) use scim::*;
pub(crate) use tenant::*;
pub(crate) use webhooks::*;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    register(cfg);
}

/// Registers every resource and answers the table of what was registered: each path template
/// with the methods it answers (the OpenAPI test compares it with the document).
pub(crate) fn register(cfg: &mut web::ServiceConfig) -> Vec<(&'static str, Vec<Method>)> {
    let mut routes = Routes {
        cfg,
        table: Vec::new(),
        org_scope: web::scope(ORG_SCOPE),
    };
    routes.add("/healthz", [get(healthz)]);
    routes.add(
        "/invitations/{token}",
        [
            get(crate::pages::invitation_page),
            post(crate::pages::submit_invitation),
        ],
    );
    routes.add(
        "/join/{code}",
        [
            get(crate::pages::join_page),
            post(crate::pages::submit_join),
        ],
    );
    routes.add(
        "/verify-email/{token}",
        [
            get(crate::pages::verify_email_page),
            post(crate::pages::submit_verify_email),
        ],
    );
    routes.add("/readyz", [get(readyz)]);
    routes.add("/metrics", [get(crate::metrics::metrics)]);
    routes.add("/api/openapi.json", [get(crate::openapi::document)]);
    routes.add("/docs", [get(crate::openapi::docs)]);
    routes.add("/api/auth/signup", [post(sign_up)]);
    routes.add("/api/auth/login", [post(log_in)]);
    routes.add("/api/auth/logout", [post(log_out)]);
    routes.add("/api/auth/session", [get(current_session)]);
    routes.add("/api/auth/verify-email", [post(verify_email)]);
    routes.add("/api/auth/password-reset", [post(request_password_reset)]);
    routes.add(
        "/api/auth/password-reset/confirm",
        [post(confirm_password_reset)],
    );
    routes.add(
        "/reset-password/{token}",
        [
            get(crate::pages::reset_password_page),
            post(crate::pages::submit_reset_password),
        ],
    );
    routes.add("/api/me/email/verify", [post(resend_verification)]);
    routes.add(
        "/api/me/joinable-orgs/{org_id}/join",
        [post(join_by_domain)],
    );
    routes.add("/api/me", [get(me)]);
    routes.add("/api/me/active-org", [put(set_active_org)]);
    routes.add("/api/me/tokens", [get(list_tokens), post(create_token)]);
    routes.add("/api/me/tokens/{id}", [delete(revoke_token)]);
    routes.add("/api/me/mfa/totp", [post(start_totp), delete(disable_totp)]);
    routes.add("/api/me/mfa/totp/verify", [post(verify_totp)]);
    routes.add("/api/org/profile", [get(get_profile), put(update_profile)]);
    routes.add("/api/org/members", [get(list_tenant_members)]);
    routes.add("/api/org/members/invite", [post(invite_to_tenant)]);
    routes.add(
        "/api/org/integrations",
        [get(list_integrations), post(create_integration)],
    );
    routes.add(
        "/api/org/integrations/{id}",
        [patch(update_integration), delete(delete_integration)],
    );
    routes.add("/api/me/invitations", [get(my_invitations)]);
    routes.add(
        "/api/me/invitations/{id}/accept",
        [post(accept_my_invitation)],
    );
    routes.add(
        "/api/me/invitations/{id}/decline",
        [post(decline_my_invitation)],
    );
    routes.add("/api/invitations/{token}", [get(preview_invitation)]);
    routes.add("/api/invitations/{token}/accept", [post(accept_invitation)]);
    routes.add(
        "/api/invitations/{token}/decline",
        [post(decline_invitation)],
    );
    routes.add("/api/join/{code}", [get(preview_link), post(join)]);
    routes.add("/api/orgs", [get(list_orgs), post(create_org)]);
    routes.add(
        "/api/orgs/{org_id}",
        [get(get_org), put(update_org), delete(delete_org)],
    );
    routes.add("/api/orgs/{org_id}/members", [get(list_members)]);
    routes.add(
        "/api/orgs/{org_id}/members/{user_id}",
        [put(update_member), delete(remove_member)],
    );
    routes.add(
        "/api/orgs/{org_id}/members/{user_id}/move",
        [post(move_member)],
    );
    routes.add(
        "/api/orgs/{org_id}/transfer-ownership",
        [post(transfer_ownership)],
    );
    routes.add("/api/orgs/{org_id}/leave", [post(leave_org)]);
    routes.add(
        "/api/orgs/{org_id}/webhooks",
        [get(list_webhooks), post(create_webhook)],
    );
    routes.add(
        "/api/orgs/{org_id}/webhooks/{id}",
        [patch(update_webhook), delete(delete_webhook)],
    );
    routes.add(
        "/api/orgs/{org_id}/webhooks/{id}/secret",
        [post(rotate_webhook_secret)],
    );
    routes.add(
        "/api/orgs/{org_id}/webhooks/{id}/test",
        [post(test_webhook)],
    );
    routes.add(
        "/api/orgs/{org_id}/webhooks/{id}/deliveries",
        [get(list_deliveries)],
    );
    routes.add(
        "/api/orgs/{org_id}/domains",
        [get(list_domains), post(add_domain)],
    );
    routes.add(
        "/api/orgs/{org_id}/domains/{id}",
        [patch(update_domain), delete(delete_domain)],
    );
    routes.add(
        "/api/orgs/{org_id}/domains/{id}/verify",
        [post(verify_domain)],
    );
    routes.add("/api/orgs/{org_id}/domain-policy", [put(put_domain_policy)]);
    routes.add(
        "/api/orgs/{org_id}/scim/tokens",
        [get(list_scim_tokens), post(create_scim_token)],
    );
    routes.add(
        "/api/orgs/{org_id}/scim/tokens/{id}",
        [delete(revoke_scim_token)],
    );
    routes.add(
        "/api/orgs/{org_id}/scim/settings",
        [get(get_scim_settings), put(put_scim_settings)],
    );
    routes.add("/api/orgs/{org_id}/audit-logs", [get(list_audit_logs)]);
    routes.add(
        "/api/orgs/{org_id}/audit-logs/export",
        [get(export_audit_logs)],
    );
    routes.add(
        "/api/orgs/{org_id}/audit-logs/verify",
        [get(verify_audit_logs)],
    );
    routes.add("/api/orgs/{org_id}/invitations", [get(list_invitations)]);
    routes.add(
        "/api/orgs/{org_id}/invitations/email",
        [post(invite_by_email)],
    );
    routes.add("/api/orgs/{org_id}/invitations/link", [post(create_link)]);
    routes.add(
        "/api/orgs/{org_id}/invitations/bulk",
        [post(invite_in_bulk)],
    );
    routes.add(
        "/api/orgs/{org_id}/invitations/{id}",
        [delete(revoke_invitation)],
    );
    routes.add(
        "/api/orgs/{org_id}/invitations/{id}/resend",
        [post(resend_invitation)],
    );
    routes.add(
        "/api/orgs/{org_id}/roles",
        [get(list_roles), post(create_role)],
    );
    routes.add(
        "/api/orgs/{org_id}/roles/{role_id}",
        [patch(update_role), delete(delete_role)],
    );
    routes.add(
        "/api/orgs/{org_id}/permissions/check",
        [post(check_permissions)],
    );
    routes.add(
        "/api/orgs/{org_id}/permissions/check-batch",
        [post(check_permissions_batch)],
    );
    routes.finish()
}

/// The prefix of every resource of one org. Its resources are routed inside one scope: actix
/// tries a request against each template in turn, a regex each, and a scope lets every other
/// request pass them all with one test of the prefix.
const ORG_SCOPE: &str = "/api/orgs/{org_id}";

struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    table: Vec<(&'static str, Vec<Method>)>,
    org_scope: actix_web::Scope,
}

impl Routes<'_> {
    /// One resource answering `routes`, and a JSON 405 naming them in `Allow` for any other
    /// method.
    fn add<const N: usize>(&mut self, path: &'static str, routes: [(Method, Route); N]) {
        let methods: Vec<Method> = routes.iter().map(|(method, _)| method.clone()).collect();
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        // Inside the org scope a resource is named by the rest of its path.
        let in_scope = path
            .strip_prefix(ORG_SCOPE)
            .filter(|rest| rest.is_empty() || rest.starts_with('/'));
        let mut resource =
            web::resource(in_scope.unwrap_or(path)).default_service(web::to(move || {
                let refused = ApiError::method_not_allowed(&allow);
                async move { Err::<HttpResponse, _>(refused) }
            }));
        for (_, route) in routes {
            resource = resource.route(route);
        }
        let limit = crate::body::body_limit(path);
        if limit != crate::BODY_LIMIT {
            resource = resource.app_data(web::PayloadConfig::new(limit));
        }
        if in_scope.is_some() {
            let scope = std::mem::replace(&mut self.org_scope, web::scope(ORG_SCOPE));
            self.org_scope = scope.service(resource);
        } else {
            self.cfg.service(resource);
        }
        self.table.push((path, methods));
    }

    /// Registers the org scope after the other resources and answers the table.
    fn finish(self) -> Vec<(&'static str, Vec<Method>)> {
        self.cfg.service(self.org_scope);
        self.table
    }
}

macro_rules! method_routes {
    ($($name:ident => $method:ident),* $(,)?) => {$(
        fn $name<F, Args>(handler: F) -> (Method, Route)
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            (Method::$method, web::$name().to(handler))
        }
    )*};
}

method_routes!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

/// The client's address, for rate limits and the audit log.
pub(crate) fn client(request: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
    let state = request.app_data::<web::Data<crate::ApiState>>()?;
    state.trusted_proxies.client_of(request)
}

/// One attempt at an invitation (made, looked up or taken up) from this client and, when
/// signed in, this account.
pub(crate) fn invitation_attempt(
    request: &actix_web::HttpRequest,
    account: Option<&tenantry_domain::authz::Actor>,
) -> Result<(), ApiError> {
    let state = request
        .app_data::<web::Data<crate::ApiState>>()
        .ok_or_else(|| ApiError::internal("no application state"))?;
    let account = account.map(|actor| actor.user_id.to_string());
    state
        .invitation_rate_limit
        .check(client(request), account.as_deref())
}

/// An id in the path that does not parse names nothing that exists.
pub(crate) fn path_id<T: FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Both ids of a nested path such as `/api/orgs/{org_id}/members/{user_id}`.
pub(crate) fn path_ids<A: FromStr, B: FromStr>(
    path: &(String, String),
) -> Result<(A, B), ApiError> {
    Ok((path_id(&path.0)?, path_id(&path.1)?))
}
