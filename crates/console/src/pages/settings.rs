//! The org's settings: its name, its plan with the limits and what is used of them, its
//! feature flags, and deleting it behind a typed confirmation.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::authz::Permission;
use tenantry_domain::invitation::InvitationStatus;
use tenantry_domain::org::OrgName;
use tenantry_domain::plan::{Feature, Plan};
use tenantry_domain::role::RoleError;

use super::{Refused, form, org_id};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/settings", web::get().to(page))
        .route("/orgs/{org}/settings/rename", web::post().to(rename))
        .route("/orgs/{org}/delete", web::post().to(delete));
}

/// What the org uses of one limit, as far as the viewer may see it.
enum Used {
    Count(u64),
    /// The seats: members, and pending e-mail invitations, which hold a seat until they
    /// expire or close.
    Seats {
        members: u64,
        pending: Option<u64>,
    },
    /// Not included in the plan.
    NotIncluded,
    /// Not counted by Tenantry, or not visible to the viewer's role.
    Unknown(&'static str),
}

impl Used {
    fn total(&self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(*n),
            Self::Seats { members, pending } => Some(members + pending.unwrap_or(0)),
            Self::NotIncluded | Self::Unknown(_) => None,
        }
    }
}

/// Pending e-mail invitations, when the viewer may list invitations.
async fn pending_invitations(
    state: &ConsoleState,
    viewer: &Viewer,
    frame: &OrgFrame,
) -> Option<u64> {
    if !frame.may(Permission::MembersRead) {
        return None;
    }
    let invitations = state
        .services
        .invitations
        .list(&viewer.actor, frame.org.org.id)
        .await
        .ok()?;
    let pending = invitations
        .iter()
        .filter(|i| i.email().is_some() && i.status == InvitationStatus::Pending)
        .count();
    u64::try_from(pending).ok()
}

async fn custom_roles_used(state: &ConsoleState, viewer: &Viewer, frame: &OrgFrame) -> Used {
    if !frame.org.org.plan.includes(Feature::CustomRoles) {
        return Used::NotIncluded;
    }
    match state
        .services
        .roles
        .list(&viewer.actor, frame.org.org.id)
        .await
    {
        Ok(roles) => u64::try_from(roles.len()).map_or(Used::Unknown("—"), Used::Count),
        Err(RoleError::PlanUpgradeRequired) => Used::NotIncluded,
        // A role without `members:read` may not list the roles, so not count them either.
        Err(_) => Used::Unknown("not visible to your role"),
    }
}

fn allowed(limit: Option<u64>) -> String {
    limit.map_or_else(|| "unlimited".to_owned(), |n| n.to_string())
}

fn retention(plan: Plan) -> String {
    plan.audit_retention().map_or_else(
        || "for ever".to_owned(),
        |kept| format!("{} days", kept.whole_days()),
    )
}

fn usage_row(key: &str, label: &str, used: &Used, limit: Option<u64>) -> Markup {
    let total = used.total();
    html! {
        tr data-limit=(key) {
            th scope="row" { (label) }
            td.used {
                @match used {
                    Used::Count(n) => (n),
                    Used::Seats { members, pending } => {
                        (members + pending.unwrap_or(0))
                        " " span.muted {
                            "(" (members) " member" @if *members != 1 { "s" }
                            @match pending {
                                Some(pending) => { ", " (pending) " pending invitation" @if *pending != 1 { "s" } }
                                // Pending invitations hold seats too, but only `members:read` lists them.
                                None => ", plus any pending invitations",
                            }
                            ")"
                        }
                    }
                    Used::NotIncluded => span.muted { "not on this plan" },
                    Used::Unknown(why) => span.muted { (why) },
                }
            }
            td.limit { (allowed(limit)) }
            td {
                @if let (Some(total), Some(limit)) = (total, limit) {
                    @if limit > 0 {
                        meter min="0" max=(limit) value=(total.min(limit)) { (total) " of " (limit) }
                    }
                    @if total >= limit && limit > 0 { " " span.muted { "full" } }
                }
            }
        }
    }
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let frame = org_frame(&state, &viewer, org).await?;
    let summary = &frame.org;
    let plan = summary.org.plan;
    let limits = plan.limits();
    let seats = Used::Seats {
        members: summary.member_count,
        pending: pending_invitations(&state, &viewer, &frame).await,
    };
    let roles = custom_roles_used(&state, &viewer, &frame).await;
    let name = summary.org.name.as_str();
    let body = html! {
        section.card {
            h1 { "Settings of " (name) }
            (flash::banner(&flash))
            @if frame.may(Permission::SettingsWrite) {
                form.row method="post" action={(frame.url("settings")) "/rename"} {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    div {
                        label for="org-name" { "Name" }
                        input #org-name type="text" name="name" value=(name) required maxlength=(OrgName::MAX_CHARS);
                    }
                    button #rename type="submit" { "Rename" }
                }
            } @else {
                p { "Name: " strong { (name) } }
                p.muted { "Your role does not allow renaming the organization." }
            }
        }
        section.card {
            h2 { "Plan" }
            p #plan { "This organization is on the " strong { (plan.name()) } " plan. Only an operator changes the plan." }
            table #plan-limits {
                thead { tr { th { "Limit" } th { "Used" } th { "Plan allows" } th {} } }
                tbody {
                    (usage_row("seats", "Seats", &seats, limits.seats))
                    (usage_row("custom_roles", "Custom roles", &roles, limits.custom_roles))
                    (usage_row("frameworks", "Compliance frameworks", &Used::Unknown("counted by the product"), limits.frameworks))
                    tr data-limit="audit_retention" {
                        th scope="row" { "Audit log kept" }
                        td.used {}
                        td.limit { (retention(plan)) }
                        td {}
                    }
                }
            }
            p.muted { "Each member takes a seat, the owner included, and so does each pending e-mail invitation until it expires." }
            h2 { "Features" }
            table #feature-flags {
                thead { tr { th { "Feature" } th { "Flag" } th { "On this plan" } } }
                tbody {
                    @for feature in Feature::ALL {
                        @let on = plan.includes(feature);
                        tr data-feature=(feature.name()) data-enabled=(on) {
                            td { (feature_label(feature)) }
                            td { code { (feature.name()) } }
                            td { @if on { "on" } @else { span.muted { "off" } } }
                        }
                    }
                }
            }
        }
        @if summary.role.is_owner() {
            section.card.danger-zone {
                h2 { "Delete this organization" }
                p {
                    "Deleting " strong { (name) } " removes its members, roles, invitations, "
                    "integrations and audit log at once. It cannot be undone."
                }
                form method="post" action=(frame.url("delete")) {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    label for="confirm-name" { "Type the organization's name, " strong { (name) } ", to confirm" }
                    input #confirm-name type="text" name="confirm" required autocomplete="off" spellcheck="false";
                    " "
                    button.danger #delete-org type="submit" { "Delete organization" }
                }
            }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Settings, body))
}

fn feature_label(feature: Feature) -> &'static str {
    match feature {
        Feature::CustomRoles => "Custom roles",
        Feature::AuditExport => "Audit log export",
        Feature::Directory => "Directory sync (SCIM)",
    }
}

#[derive(Deserialize)]
struct RenameForm {
    #[serde(default)]
    name: String,
}

async fn rename(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let form: RenameForm = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/settings");
    let name = match OrgName::try_from(form.name.as_str()) {
        Ok(name) => name,
        Err(invalid) => return Ok(flash::failed(&back, &invalid)),
    };
    Ok(flash::outcome(
        &back,
        state.services.orgs.rename(&viewer.actor, org, name).await,
        "saved",
    ))
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

async fn delete(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let form: DeleteForm = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/settings");
    let summary = match state.services.orgs.get(&viewer.actor, org).await {
        Ok(summary) => summary,
        Err(error) => return Ok(flash::failed(&back, &error)),
    };
    // Read as a name is stored (trimmed, NFKC), so what looks the same on screen matches.
    let typed = OrgName::try_from(form.confirm.as_str()).ok();
    if typed.as_ref() != Some(&summary.org.name) {
        return Ok(flash::refused(&back, "confirmation"));
    }
    Ok(match state.services.orgs.delete(&viewer.actor, org).await {
        Ok(()) => flash::done("/console/orgs", "removed"),
        Err(error) => flash::failed(&back, &error),
    })
}
