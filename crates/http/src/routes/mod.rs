//! The route table: every resource answers its methods and a JSON 405 for any other.

pub(crate) mod account;
pub(crate) mod audit;
pub(crate) mod health;
pub(crate) mod integrations;
pub(crate) mod invitations;
pub(crate) mod invitee;
pub(crate) mod members;
pub(crate) mod orgs;
pub(crate) mod roles;
pub(crate) mod tenant;

use std::str::FromStr;

use actix_web::{HttpResponse, web};

use crate::error::ApiError;

pub(crate) use account::*;
pub(crate) use audit::*;
pub(crate) use health::*;
pub(crate) use integrations::*;
pub(crate) use invitations::*;
pub(crate) use invitee::*;
pub(crate) use members::*;
pub(crate) use orgs::*;
pub(crate) use roles::*;
pub(crate) use tenant::*;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    // `allow` lists the methods a resource's routes answer; any other method gets a 405 that
    // says so in its `Allow` header.
    let resource = |path: &str, allow: &'static str| {
        web::resource(path).default_service(web::to(move || async move {
            Err::<HttpResponse, _>(ApiError::method_not_allowed(allow))
        }))
    };
    cfg.service(resource("/healthz", "GET").route(web::get().to(healthz)))
        .service(
            resource("/invitations/{token}", "GET, POST")
                .route(web::get().to(crate::pages::invitation_page))
                .route(web::post().to(crate::pages::submit_invitation)),
        )
        .service(
            resource("/join/{code}", "GET, POST")
                .route(web::get().to(crate::pages::join_page))
                .route(web::post().to(crate::pages::submit_join)),
        )
        .service(resource("/readyz", "GET").route(web::get().to(readyz)))
        .service(
            resource("/api/openapi.json", "GET").route(web::get().to(crate::openapi::document)),
        )
        .service(resource("/api/auth/signup", "POST").route(web::post().to(sign_up)))
        .service(resource("/api/auth/login", "POST").route(web::post().to(log_in)))
        .service(resource("/api/auth/logout", "POST").route(web::post().to(log_out)))
        .service(resource("/api/auth/session", "GET").route(web::get().to(current_session)))
        .service(resource("/api/me", "GET").route(web::get().to(me)))
        .service(resource("/api/me/active-org", "PUT").route(web::put().to(set_active_org)))
        .service(
            resource("/api/me/tokens", "GET, POST")
                .route(web::get().to(list_tokens))
                .route(web::post().to(create_token)),
        )
        .service(resource("/api/me/tokens/{id}", "DELETE").route(web::delete().to(revoke_token)))
        .service(
            resource("/api/me/mfa/totp", "POST, DELETE")
                .route(web::post().to(start_totp))
                .route(web::delete().to(disable_totp)),
        )
        .service(resource("/api/me/mfa/totp/verify", "POST").route(web::post().to(verify_totp)))
        .service(
            resource("/api/org/profile", "GET, PUT")
                .route(web::get().to(get_profile))
                .route(web::put().to(update_profile)),
        )
        .service(resource("/api/org/members", "GET").route(web::get().to(list_tenant_members)))
        .service(
            resource("/api/org/members/invite", "POST").route(web::post().to(invite_to_tenant)),
        )
        .service(
            resource("/api/org/integrations", "GET, POST")
                .route(web::get().to(list_integrations))
                .route(web::post().to(create_integration)),
        )
        .service(
            resource("/api/org/integrations/{id}", "PATCH, DELETE")
                .route(web::patch().to(update_integration))
                .route(web::delete().to(delete_integration)),
        )
        .service(resource("/api/me/invitations", "GET").route(web::get().to(my_invitations)))
        .service(
            resource("/api/me/invitations/{id}/accept", "POST")
                .route(web::post().to(accept_my_invitation)),
        )
        .service(
            resource("/api/me/invitations/{id}/decline", "POST")
                .route(web::post().to(decline_my_invitation)),
        )
        .service(
            resource("/api/invitations/{token}", "GET").route(web::get().to(preview_invitation)),
        )
        .service(
            resource("/api/invitations/{token}/accept", "POST")
                .route(web::post().to(accept_invitation)),
        )
        .service(
            resource("/api/invitations/{token}/decline", "POST")
                .route(web::post().to(decline_invitation)),
        )
        .service(
            resource("/api/join/{code}", "GET, POST")
                .route(web::get().to(preview_link))
                .route(web::post().to(join)),
        )
        .service(
            resource("/api/orgs", "GET, POST")
                .route(web::get().to(list_orgs))
                .route(web::post().to(create_org)),
        )
        .service(
            resource("/api/orgs/{org_id}", "GET, PUT, DELETE")
                .route(web::get().to(get_org))
                .route(web::put().to(update_org))
                .route(web::delete().to(delete_org)),
        )
        .service(resource("/api/orgs/{org_id}/members", "GET").route(web::get().to(list_members)))
        .service(
            resource("/api/orgs/{org_id}/members/{user_id}", "PUT, DELETE")
                .route(web::put().to(update_member))
                .route(web::delete().to(remove_member)),
        )
        .service(
            resource("/api/orgs/{org_id}/members/{user_id}/move", "POST")
                .route(web::post().to(move_member)),
        )
        .service(
            resource("/api/orgs/{org_id}/transfer-ownership", "POST")
                .route(web::post().to(transfer_ownership)),
        )
        .service(resource("/api/orgs/{org_id}/leave", "POST").route(web::post().to(leave_org)))
        .service(
            resource("/api/orgs/{org_id}/audit-logs", "GET").route(web::get().to(list_audit_logs)),
        )
        .service(
            resource("/api/orgs/{org_id}/audit-logs/export", "GET")
                .route(web::get().to(export_audit_logs)),
        )
        .service(
            resource("/api/orgs/{org_id}/audit-logs/verify", "GET")
                .route(web::get().to(verify_audit_logs)),
        )
        .service(
            resource("/api/orgs/{org_id}/invitations", "GET")
                .route(web::get().to(list_invitations)),
        )
        .service(
            resource("/api/orgs/{org_id}/invitations/email", "POST")
                .route(web::post().to(invite_by_email)),
        )
        .service(
            resource("/api/orgs/{org_id}/invitations/link", "POST")
                .route(web::post().to(create_link)),
        )
        .service(
            resource("/api/orgs/{org_id}/invitations/{id}", "DELETE")
                .route(web::delete().to(revoke_invitation)),
        )
        .service(
            resource("/api/orgs/{org_id}/invitations/{id}/resend", "POST")
                .route(web::post().to(resend_invitation)),
        )
        .service(
            resource("/api/orgs/{org_id}/roles", "GET, POST")
                .route(web::get().to(list_roles))
                .route(web::post().to(create_role)),
        )
        .service(
            resource("/api/orgs/{org_id}/roles/{role_id}", "PATCH, DELETE")
                .route(web::patch().to(update_role))
                .route(web::delete().to(delete_role)),
        );
}

/// The client's address, for rate limits and the audit log.
pub(crate) fn client(request: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
    let state = request.app_data::<web::Data<crate::ApiState>>()?;
    state.trusted_proxies.client_of(request)
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
