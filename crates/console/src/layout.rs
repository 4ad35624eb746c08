//! The frame of every page: the header with the org switcher, the org's tabs (only those the
//! viewer's role may use), and the headers that keep the pages to themselves.

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentType};
use maud::{DOCTYPE, Markup, html};
use tenantry_domain::authz::{Permission, PermissionSet};
use tenantry_domain::ids::OrgId;
use tenantry_domain::org::{OrgError, OrgSummary};
use tenantry_domain::user::MyMembership;

use crate::ConsoleState;
use crate::assets::{css_url, js_url};
use crate::session::Viewer;

/// Only the console's own stylesheet and script; forms post to the console only; no framing.
const POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The tabs of an org's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tab {
    Members,
    Invitations,
    Roles,
    Audit,
    Webhooks,
    Settings,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Members,
        Tab::Invitations,
        Tab::Roles,
        Tab::Audit,
        Tab::Webhooks,
        Tab::Settings,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Members => "Members",
            Tab::Invitations => "Invitations",
            Tab::Roles => "Roles",
            Tab::Audit => "Audit log",
            Tab::Webhooks => "Webhooks",
            Tab::Settings => "Settings",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Tab::Members => "members",
            Tab::Invitations => "invitations",
            Tab::Roles => "roles",
            Tab::Audit => "audit",
            Tab::Webhooks => "webhooks",
            Tab::Settings => "settings",
        }
    }

    /// Whether the tab is shown to a role with `permissions`; the server checks again.
    fn shown(self, permissions: PermissionSet) -> bool {
        match self {
            Tab::Members | Tab::Invitations | Tab::Roles => {
                permissions.contains(Permission::MembersRead)
            }
            Tab::Audit => permissions.contains(Permission::AuditRead),
            Tab::Webhooks => permissions.contains(Permission::SettingsWrite),
            Tab::Settings => true,
        }
    }
}

/// What an org's page frame shows: the org as the viewer sees it and their other orgs.
pub(crate) struct OrgFrame {
    pub(crate) org: OrgSummary,
    pub(crate) orgs: Vec<MyMembership>,
    pub(crate) user_name: String,
}

impl OrgFrame {
    /// The viewer's permissions in the org, to hide what they may not do.
    pub(crate) fn permissions(&self) -> PermissionSet {
        self.org.role.permissions()
    }

    pub(crate) fn may(&self, permission: Permission) -> bool {
        self.permissions().contains(permission)
    }

    /// `/console/orgs/<id>/<tab>`.
    pub(crate) fn url(&self, tab: &str) -> String {
        format!("/console/orgs/{}/{tab}", self.org.org.id)
    }
}

/// Reads the frame of `org` for `viewer`: not found unless they are a member.
pub(crate) async fn org_frame(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
) -> Result<OrgFrame, OrgError> {
    let summary = state.services.orgs.get(&viewer.actor, org).await?;
    let me = state
        .services
        .auth
        .me(&viewer.actor)
        .await
        .map_err(|_| OrgError::NotFound)?;
    Ok(OrgFrame {
        org: summary,
        orgs: me.memberships,
        user_name: me.user.name.as_str().to_owned(),
    })
}

fn document(title: &str, header: Markup, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · Tenantry" }
                link rel="stylesheet" href=(css_url());
                script src=(js_url()) defer {}
            }
            body { (header) (body) }
        }
    };
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, POLICY))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

fn top(user_name: Option<&str>, csrf: &str, switcher: Markup) -> Markup {
    html! {
        header.top {
            a.brand href="/console/orgs" { "Tenantry" }
            (switcher)
            span.spacer {}
            @if let Some(name) = user_name {
                a.muted #account-link href="/console/account" title="Your account" { (name) }
                form method="post" action="/console/sign-out" {
                    input type="hidden" name="csrf" value=(csrf);
                    button.quiet type="submit" { "Sign out" }
                }
            }
        }
    }
}

/// A page outside any org (sign-in, the org list), narrow when `narrow`.
pub(crate) fn plain_page(
    title: &str,
    signed_in: Option<(&str, &str)>,
    narrow: bool,
    body: Markup,
) -> HttpResponse {
    let (name, csrf) = signed_in.unzip();
    let header = top(name, csrf.unwrap_or_default(), html! {});
    let body = html! { main.narrow[narrow] { (body) } };
    document(title, header, body)
}

/// A page of one org, under its tabs, `tab` marked.
pub(crate) fn org_page(frame: &OrgFrame, viewer: &Viewer, tab: Tab, body: Markup) -> HttpResponse {
    let current = frame.org.org.id;
    let switcher = html! {
        form.inline method="get" action="/console/switch" {
            label.muted for="org-switch" { "Organization" }
            select #org-switch name="org" {
                @for membership in &frame.orgs {
                    option value=(membership.org_id) selected[membership.org_id == current] {
                        (membership.name.as_str())
                    }
                }
            }
            button.quiet type="submit" { "Go" }
        }
    };
    let header = html! {
        (top(Some(&frame.user_name), &viewer.csrf, switcher))
        nav.tabs aria-label="Organization" {
            @for each in Tab::ALL.into_iter().filter(|t| t.shown(frame.permissions())) {
                a.on[each == tab] href=(frame.url(each.path())) { (each.label()) }
            }
        }
    };
    let title = format!("{} · {}", tab.label(), frame.org.org.name.as_str());
    document(&title, header, html! { main { (body) } })
}
