//! The console's pages, one module per area, each registering its own routes.

mod account;
mod audit;
mod auth;
mod bulk;
mod invitations;
mod members;
mod orgs;
mod roles;
mod settings;
mod webhooks;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use maud::{Markup, html};
use serde::de::DeserializeOwned;
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::error::{DomainError, ErrorKind};
use tenantry_domain::ids::OrgId;
use tenantry_domain::role::CustomRole;

use crate::ConsoleState;
use crate::csrf;
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(crate::assets::asset));
    auth::register(cfg);
    orgs::register(cfg);
    members::register(cfg);
    invitations::register(cfg);
    bulk::register(cfg);
    roles::register(cfg);
    audit::register(cfg);
    settings::register(cfg);
    webhooks::register(cfg);
    account::register(cfg);
}

/// The org's custom roles, or none where the plan has none.
pub(crate) async fn custom_roles(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
) -> Vec<CustomRole> {
    state
        .services
        .roles
        .list(&viewer.actor, org)
        .await
        .map(|roles| {
            roles
                .into_iter()
                .map(|with_count| with_count.role)
                .collect()
        })
        .unwrap_or_default()
}

/// The roles a member can be given: the built-in ones but owner, then the org's own.
pub(crate) fn role_options(roles: &[CustomRole], selected: Option<&str>) -> Markup {
    html! {
        @for role in BuiltinRole::ALL.into_iter().filter(|r| *r != BuiltinRole::Owner) {
            option value=(role.name()) selected[selected == Some(role.name())] { (role.name()) }
        }
        @for role in roles {
            @let id = role.id.to_string();
            option value=(id) selected[selected == Some(id.as_str())] { (role.name.as_str()) }
        }
    }
}

/// A request the console will not serve, shown as a small page with its status: a forged or
/// expired form (403), an org the viewer is not in (404), a failure of ours (500).
#[derive(Debug)]
pub(crate) struct Refused {
    status: StatusCode,
    message: &'static str,
}

impl Refused {
    pub(crate) fn forged_form() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: "This form expired or did not come from this console. Go back, reload the \
                      page and try again.",
        }
    }

    /// Too many attempts from this client or account; the page says when to try again.
    pub(crate) fn rate_limited() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "Too many attempts. Wait a minute, then try again.",
        }
    }

    pub(crate) fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: "There is no such page, or it is not yours to see.",
        }
    }

    /// The page for a use case's refusal, by its kind. A 5xx logs its cause.
    pub(crate) fn from_domain(error: &(impl DomainError + std::fmt::Display)) -> Self {
        let (status, message) = match error.kind() {
            ErrorKind::NotFound => return Self::not_found(),
            ErrorKind::Forbidden => (
                StatusCode::FORBIDDEN,
                "Your role in this organization does not allow this.",
            ),
            ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "Please sign in again."),
            ErrorKind::Invalid | ErrorKind::Conflict | ErrorKind::Gone => {
                (StatusCode::UNPROCESSABLE_ENTITY, "That cannot be done.")
            }
            ErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is busy. Try again in a moment.",
            ),
            ErrorKind::Internal => {
                tracing::error!(%error, "console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side.",
                )
            }
        };
        Self { status, message }
    }
}

/// A use case's refusal, as its page: `?` on a use case's result in a handler.
impl<E: DomainError + std::fmt::Display> From<E> for Refused {
    fn from(error: E) -> Self {
        Self::from_domain(&error)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl ResponseError for Refused {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = html! {
            h1 { (self.status.canonical_reason().unwrap_or("Refused")) }
            p { (self.message) }
            p { a href="/console/orgs" { "Back to your organizations" } }
        };
        let mut page = crate::layout::plain_page("Refused", None, true, body);
        *page.status_mut() = self.status;
        page
    }
}

/// A form with no field of its own but the CSRF token (a button that acts).
#[derive(serde::Deserialize)]
pub(crate) struct NoFields {}

/// The fields of a form posted by `viewer`, once its CSRF token matches their session's.
pub(crate) fn form<T: DeserializeOwned>(viewer: &Viewer, body: &[u8]) -> Result<T, Refused> {
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(key, _)| key == "csrf"))
        .map(|(_, value)| value)
        .unwrap_or_default();
    if !csrf::matches(&viewer.csrf, &token) {
        return Err(Refused::forged_form());
    }
    serde_urlencoded::from_bytes(body).map_err(|_| Refused {
        status: StatusCode::BAD_REQUEST,
        message: "The form was not sent whole. Reload the page and try again.",
    })
}

/// An org id from the path: a malformed one is a page that does not exist.
pub(crate) fn org_id(raw: &str) -> Result<OrgId, Refused> {
    raw.parse().map_err(|_| Refused::not_found())
}

/// One attempt at an invitation by `viewer`, counted as the API counts its own.
pub(crate) fn invitation_attempt(
    state: &crate::ConsoleState,
    viewer: &Viewer,
) -> Result<(), Refused> {
    let account = viewer.actor.user_id.to_string();
    state
        .invitation_attempts
        .attempt(viewer.actor.ip, Some(&account))
        .map_err(|_| Refused::rate_limited())
}
