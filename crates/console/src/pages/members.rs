//! The org's members: search by name or e-mail, filter by role, page through; change a role,
//! remove, move to another org, transfer ownership (after a confirmation page), leave.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::authz::Permission;
use tenantry_domain::ids::{OrgId, UserId};
use tenantry_domain::member::{
    Member, MemberCursor, MemberPage, MemberSearch, MoveMember, RoleChoice, RoleFilter,
};
use tenantry_domain::role::CustomRole;
use time::format_description::well_known::Rfc3339;

use super::{NoFields, Refused, custom_roles, form, org_id, role_options};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

/// Members per page: a page costs the same however large the org.
const PAGE: u64 = 50;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/members", web::get().to(page))
        .route(
            "/orgs/{org}/members/{user}/role",
            web::post().to(change_role),
        )
        .route("/orgs/{org}/members/{user}/remove", web::post().to(remove))
        .route(
            "/orgs/{org}/members/{user}/move",
            web::post().to(move_member),
        )
        .route(
            "/orgs/{org}/members/{user}/transfer",
            web::get().to(confirm_transfer),
        )
        .route(
            "/orgs/{org}/members/{user}/transfer",
            web::post().to(transfer),
        )
        .route("/orgs/{org}/leave", web::post().to(leave));
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    after: Option<String>,
    done: Option<String>,
    error: Option<String>,
}

fn ids(path: &(String, String)) -> Result<(OrgId, UserId), Refused> {
    let org = org_id(&path.0)?;
    let user = path.1.parse().map_err(|_| Refused::not_found())?;
    Ok((org, user))
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let frame = org_frame(&state, &viewer, org).await?;
    let after = query
        .after
        .as_deref()
        .map(str::parse::<MemberCursor>)
        .transpose()
        .map_err(|_| Refused::not_found())?;
    let search = MemberSearch::parse(query.q.as_deref().unwrap_or_default())?;
    let role = match query.role.as_deref().filter(|role| !role.is_empty()) {
        Some(role) => Some(RoleFilter::try_from(role)?),
        None => None,
    };
    let members_page = MemberPage::new(after, Some(PAGE))?
        .with_role(role)
        .with_search(search);
    let list = state
        .services
        .members
        .list(&viewer.actor, org, members_page)
        .await?;
    let roles = custom_roles(&state, &viewer, org).await;
    let flash = Flash {
        done: query.done.clone(),
        error: query.error.clone(),
    };
    let next = list.next.map(|cursor| {
        let mut query_string = vec![("after", cursor.to_string())];
        if let Some(q) = &query.q {
            query_string.push(("q", q.clone()));
        }
        if let Some(role) = &query.role {
            query_string.push(("role", role.clone()));
        }
        format!(
            "{}?{}",
            frame.url("members"),
            serde_urlencoded::to_string(query_string).unwrap_or_default()
        )
    });
    let body = html! {
        section.card {
            h1 { "Members of " (frame.org.org.name.as_str()) }
            (flash::banner(&flash))
            form.row method="get" action=(frame.url("members")) {
                div {
                    label for="q" { "Name or e-mail" }
                    input #q type="search" name="q" value=[query.q.as_deref()] maxlength=(MemberSearch::MAX_CHARS);
                }
                div {
                    label for="role-filter" { "Role" }
                    select #role-filter name="role" {
                        option value="" { "Any role" }
                        option value="owner" selected[query.role.as_deref() == Some("owner")] { "owner" }
                        (role_options(&roles, query.role.as_deref()))
                    }
                }
                button.quiet #search type="submit" { "Search" }
            }
            table #members {
                thead { tr {
                    th { "Name" } th { "E-mail" } th { "Role" } th { "Joined" } th { "Last sign-in" } th { "2FA" }
                    @if frame.may(Permission::MembersWrite) { th { "Actions" } }
                } }
                tbody {
                    @for member in &list.members {
                        (row(&frame, &viewer, member, &roles))
                    }
                }
            }
            @if list.members.is_empty() { p.muted { "No member matches." } }
            div.pager {
                @if query.after.is_some() { a href=(frame.url("members")) { "First page" } }
                @if let Some(next) = &next { a #next-page href=(next) { "Next page" } }
            }
        }
        @if !frame.org.role.is_owner() {
            section.card {
                h2 { "Leave this organization" }
                form method="post" action=(frame.url("leave")) data-confirm="Leave this organization?" {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    button.danger #leave type="submit" { "Leave" }
                }
            }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Members, body))
}

fn date(at: time::OffsetDateTime) -> String {
    at.format(&Rfc3339)
        .map(|text| text.chars().take(10).collect())
        .unwrap_or_default()
}

fn row(frame: &OrgFrame, viewer: &Viewer, member: &Member, roles: &[CustomRole]) -> Markup {
    let user = member.user.id;
    let base = format!("{}/{user}", frame.url("members"));
    let is_self = user == viewer.actor.user_id;
    let manageable = frame.may(Permission::MembersWrite) && !member.role.is_owner() && !is_self;
    let others: Vec<_> = frame
        .orgs
        .iter()
        .filter(|org| org.org_id != frame.org.org.id)
        .collect();
    html! {
        tr data-email=(member.user.email.as_str()) {
            td {
                (member.user.name.as_str())
                // The identity provider's suspension (SCIM): seat and role kept, no access.
                @if member.suspended { " " span.muted { "(suspended)" } }
            }
            td { (member.user.email.as_str()) }
            td.role { (member.role.display_name()) }
            td { (date(member.joined_at)) }
            td { (member.user.last_login_at.map(date).unwrap_or_else(|| "never".into())) }
            td { @if member.user.mfa_enabled { "on" } @else { "off" } }
            @if frame.may(Permission::MembersWrite) {
                td {
                    @if manageable {
                        form.inline method="post" action={(base) "/role"} {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            select name="role" aria-label="New role" {
                                (role_options(roles, Some(member.role.key().as_str())))
                            }
                            button.quiet type="submit" { "Change role" }
                        }
                        " "
                        form.inline method="post" action={(base) "/remove"} data-confirm="Remove this member?" {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button.danger type="submit" { "Remove" }
                        }
                        @if !others.is_empty() {
                            details {
                                summary.muted { "Move to another organization" }
                                form.inline method="post" action={(base) "/move"} {
                                    input type="hidden" name="csrf" value=(viewer.csrf);
                                    select name="target" aria-label="Organization" {
                                        @for org in &others {
                                            option value=(org.org_id) { (org.name.as_str()) }
                                        }
                                    }
                                    button.quiet type="submit" { "Move" }
                                }
                            }
                        }
                    }
                    @if frame.org.role.is_owner() && !is_self {
                        " " a href={(base) "/transfer"} { "Make owner…" }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn change_role(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, user) = ids(&path)?;
    let form: RoleForm = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/members");
    let choice = match RoleChoice::try_from(form.role.as_str()) {
        Ok(choice) => choice,
        Err(invalid) => return Ok(flash::failed(&back, &invalid)),
    };
    Ok(flash::outcome(
        &back,
        state
            .services
            .members
            .update_role(&viewer.actor, org, user, choice)
            .await,
        "saved",
    ))
}

async fn remove(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, user) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/members");
    Ok(flash::outcome(
        &back,
        state
            .services
            .members
            .remove(&viewer.actor, org, user)
            .await,
        "removed",
    ))
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    target: String,
}

async fn move_member(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, user) = ids(&path)?;
    let form: MoveForm = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/members");
    let target = org_id(&form.target)?;
    let request = MoveMember {
        target_org: target,
        role: RoleChoice::default(),
    };
    Ok(flash::outcome(
        &back,
        state
            .services
            .members
            .move_member(&viewer.actor, org, user, request)
            .await,
        "moved",
    ))
}

async fn confirm_transfer(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Refused> {
    let (org, user) = ids(&path)?;
    let frame = org_frame(&state, &viewer, org).await?;
    let body = html! {
        section.card {
            h1 { "Transfer ownership" }
            p { "The member you chose becomes the owner of " strong { (frame.org.org.name.as_str()) }
                ". You become an admin, and only the new owner can give ownership back." }
            form method="post" action={(frame.url("members")) "/" (user) "/transfer"} {
                input type="hidden" name="csrf" value=(viewer.csrf);
                button.danger #confirm-transfer type="submit" { "Transfer ownership" }
                " " a href=(frame.url("members")) { "Cancel" }
            }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Members, body))
}

async fn transfer(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, user) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/members");
    Ok(flash::outcome(
        &back,
        state
            .services
            .members
            .transfer_ownership(&viewer.actor, org, user)
            .await,
        "transferred",
    ))
}

async fn leave(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    Ok(
        match state.services.members.leave(&viewer.actor, org).await {
            Ok(()) => flash::done("/console/orgs", "removed"),
            Err(error) => flash::failed(&format!("/console/orgs/{org}/members"), &error),
        },
    )
}
