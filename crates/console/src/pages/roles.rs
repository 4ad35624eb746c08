//! The org's custom roles (Team plan and up): the list with each role's permissions and
//! holders, creating one, editing one on a page of its own, deleting one.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use tenantry_domain::authz::{Permission, PermissionSet};
use tenantry_domain::ids::{OrgId, RoleId};
use tenantry_domain::role::{
    CustomRole, NewRole, RoleDescription, RoleError, RoleName, RolePatch, RoleWithCount,
};
use tenantry_domain::validation::ValidationError;

use super::{NoFields, Refused, form, org_id};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/roles", web::get().to(page))
        .route("/orgs/{org}/roles", web::post().to(create))
        .route("/orgs/{org}/roles/{role}", web::get().to(edit_page))
        .route("/orgs/{org}/roles/{role}", web::post().to(update))
        .route("/orgs/{org}/roles/{role}/delete", web::post().to(delete));
}

fn ids(path: &(String, String)) -> Result<(OrgId, RoleId), Refused> {
    let org = org_id(&path.0)?;
    let role = path.1.parse().map_err(|_| Refused::not_found())?;
    Ok((org, role))
}

/// The org's roles, or `None` when its plan has no custom roles: that is explained on the
/// page, while any other refusal is one of the viewer.
async fn listed(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
) -> Result<Option<Vec<RoleWithCount>>, Refused> {
    match state.services.roles.list(&viewer.actor, org).await {
        Ok(roles) => Ok(Some(roles)),
        Err(RoleError::PlanUpgradeRequired) => Ok(None),
        Err(error) => Err(Refused::from_domain(&error)),
    }
}

/// The catalogue as rows of a matrix: each resource with its permissions by action, read off
/// the slugs (`resource:action`) so that a permission added to the catalogue shows up here
/// without a change to the page.
fn catalogue() -> Vec<(&'static str, Vec<(&'static str, Permission)>)> {
    let mut rows: Vec<(&'static str, Vec<(&'static str, Permission)>)> = Vec::new();
    for permission in Permission::ALL {
        let (resource, action) = permission
            .slug()
            .split_once(':')
            .unwrap_or((permission.slug(), ""));
        match rows.iter_mut().find(|(name, _)| *name == resource) {
            Some((_, actions)) => actions.push((action, permission)),
            None => rows.push((resource, vec![(action, permission)])),
        }
    }
    rows
}

/// A checkbox's id: slugs hold a `:`, which a CSS selector would read as a pseudo-class.
fn checkbox_id(permission: Permission) -> String {
    format!("perm-{}", permission.slug().replace(':', "-"))
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The permission picker: `checked` ticked; those outside `held` shown but disabled, since the
/// server refuses to grant them anyway.
fn matrix(held: PermissionSet, checked: PermissionSet) -> Markup {
    let rows = catalogue();
    let mut actions: Vec<&str> = Vec::new();
    for (action, _) in rows.iter().flat_map(|(_, actions)| actions) {
        if !actions.contains(action) {
            actions.push(action);
        }
    }
    html! {
        fieldset.permissions {
            legend { "Permissions" }
            p.muted {
                "You can only grant permissions you hold yourself: those your role lacks are "
                "greyed out, and the server refuses them."
            }
            table #permission-matrix {
                thead { tr {
                    th { "Resource" }
                    @for action in &actions { th { (capitalized(action)) } }
                } }
                tbody {
                    @for (resource, permissions) in &rows {
                        tr data-resource=(resource) {
                            th scope="row" { (capitalized(resource)) }
                            @for action in &actions {
                                td {
                                    @if let Some((_, permission)) = permissions.iter().find(|(a, _)| a == action) {
                                        @let id = checkbox_id(*permission);
                                        @let may = held.contains(*permission);
                                        label for=(id) title=[(!may).then_some("Your role does not hold this permission")] {
                                            input #(id) type="checkbox" name="permissions"
                                                value=(permission.slug())
                                                checked[checked.contains(*permission)]
                                                disabled[!may];
                                            " " (action)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The name and description fields, filled from `role` when editing.
fn fields(role: Option<&CustomRole>) -> Markup {
    html! {
        label for="role-name" { "Name" }
        input #role-name type="text" name="name" required maxlength=(RoleName::MAX_CHARS)
            value=[role.map(|r| r.name.as_str())];
        label for="role-description" { "Description " span.muted { "(optional)" } }
        textarea #role-description name="description" rows="2" maxlength=(RoleDescription::MAX_CHARS) {
            @if let Some(description) = role.and_then(|r| r.description.as_ref()) {
                (description.as_str())
            }
        }
    }
}

fn slugs(permissions: PermissionSet) -> Markup {
    html! {
        @for (i, permission) in permissions.iter().enumerate() {
            @if i > 0 { " " }
            code { (permission.slug()) }
        }
    }
}

/// The page for an org whose plan has no custom roles.
fn upgrade(frame: &OrgFrame) -> Markup {
    html! {
        div #roles-upgrade {
            p {
                "Custom roles are a feature of the Team plan and above; this organization is on the "
                strong { (frame.org.org.plan.name()) } " plan."
            }
            p.muted {
                "Its members hold the built-in roles (owner, admin, auditor, member, viewer). On a "
                "higher plan you can define roles of your own, each a named set of permissions."
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
    let roles = listed(&state, &viewer, org).await?;
    let held = frame.permissions();
    let writer = frame.may(Permission::MembersWrite);
    let plan = frame.org.org.plan;
    let body = html! {
        section.card {
            h1 { "Roles of " (frame.org.org.name.as_str()) }
            (flash::banner(&flash))
            @match &roles {
                None => (upgrade(&frame)),
                Some(roles) => {
                    p.muted #roles-usage {
                        (roles.len()) " custom role" @if roles.len() != 1 { "s" }
                        @if let Some(limit) = plan.limits().custom_roles { " of " (limit) " on the " (plan.name()) " plan" }
                        ". Deleting a role makes its holders members."
                    }
                    table #roles {
                        thead { tr {
                            th { "Name" } th { "Description" } th { "Permissions" } th { "Members" }
                            @if writer { th { "Actions" } }
                        } }
                        tbody {
                            @for listed in roles {
                                (row(&frame, &viewer, listed, held, writer))
                            }
                        }
                    }
                    @if roles.is_empty() { p.muted { "No custom role yet." } }
                }
            }
        }
        @if let Some(roles) = &roles {
            @if writer {
                section.card {
                    h2 { "Create a role" }
                    @if plan.has_room_for_custom_role(roles.len() as u64) {
                        form method="post" action=(frame.url("roles")) {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            (fields(None))
                            (matrix(held, PermissionSet::EMPTY))
                            button #create-role type="submit" { "Create role" }
                        }
                    } @else {
                        p #roles-full { "The " (plan.name()) " plan allows no more custom roles. Delete one to make room." }
                    }
                }
            }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Roles, body))
}

fn row(
    frame: &OrgFrame,
    viewer: &Viewer,
    listed: &RoleWithCount,
    held: PermissionSet,
    writer: bool,
) -> Markup {
    let role = &listed.role;
    let url = format!("{}/{}", frame.url("roles"), role.id);
    // The server refuses to change or delete a role granting more than the viewer holds.
    let manageable = role.permissions.is_subset_of(held);
    let confirm = match listed.member_count {
        0 => format!("Delete the role {}?", role.name.as_str()),
        1 => format!(
            "Delete the role {}? Its holder becomes a member.",
            role.name.as_str()
        ),
        n => format!(
            "Delete the role {}? Its {n} holders become members.",
            role.name.as_str()
        ),
    };
    html! {
        tr data-role=(role.name.as_str()) {
            td { (role.name.as_str()) }
            td { @if let Some(description) = &role.description { (description.as_str()) } }
            td.permissions { (slugs(role.permissions)) }
            td.count { (listed.member_count) }
            @if writer {
                td {
                    @if manageable {
                        a href=(url) { "Edit" }
                        " "
                        form.inline method="post" action={(url) "/delete"} data-confirm=(confirm) {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button.danger type="submit" { "Delete" }
                        }
                    } @else {
                        span.muted { "Grants permissions you do not hold" }
                    }
                }
            }
        }
    }
}

async fn edit_page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let frame = org_frame(&state, &viewer, org).await?;
    if !frame.may(Permission::MembersWrite) {
        return Err(Refused::from_domain(&RoleError::Forbidden));
    }
    let Some(roles) = listed(&state, &viewer, org).await? else {
        // The list explains the plan; a refusal page would blame the viewer's role.
        return Ok(flash::refused(&frame.url("roles"), "plan_upgrade_required"));
    };
    let listed = roles
        .into_iter()
        .find(|listed| listed.role.id == id)
        .ok_or_else(Refused::not_found)?;
    let role = &listed.role;
    let held = frame.permissions();
    let body = html! {
        section.card {
            h1 { "Edit the role " (role.name.as_str()) }
            (flash::banner(&flash))
            @if !role.permissions.is_subset_of(held) {
                p.error role="alert" {
                    "This role grants permissions your role does not hold ("
                    (slugs(PermissionSet::from_iter(role.permissions.beyond(held))))
                    "), so you cannot change it."
                }
            }
            p.muted {
                (listed.member_count) " member" @if listed.member_count != 1 { "s" }
                " hold this role; a change applies to their next request."
            }
            form method="post" action={(frame.url("roles")) "/" (role.id)} {
                input type="hidden" name="csrf" value=(viewer.csrf);
                (fields(Some(role)))
                (matrix(held, role.permissions))
                button #save-role type="submit" { "Save" }
                " " a href=(frame.url("roles")) { "Cancel" }
            }
        }
    };
    Ok(org_page(&frame, &viewer, Tab::Roles, body))
}

/// A role form as posted. Checkboxes repeat their name, which no struct of
/// `serde_urlencoded` can take, so the pairs are read one by one.
#[derive(Debug, Default)]
struct RoleForm {
    name: String,
    description: String,
    permissions: Vec<String>,
}

impl RoleForm {
    fn read(viewer: &Viewer, body: &[u8]) -> Result<Self, Refused> {
        let pairs: Vec<(String, String)> = form(viewer, body)?;
        let mut read = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => read.name = value,
                "description" => read.description = value,
                "permissions" => read.permissions.push(value),
                _ => {}
            }
        }
        Ok(read)
    }

    fn name(&self) -> Result<RoleName, ValidationError> {
        RoleName::try_from(self.name.as_str())
    }

    fn description(&self) -> Result<Option<RoleDescription>, ValidationError> {
        RoleDescription::parse(&self.description)
    }

    fn permissions(&self) -> Result<PermissionSet, ValidationError> {
        PermissionSet::parse(self.permissions.iter().map(String::as_str)).map_err(|unknown| {
            let names: Vec<_> = unknown.iter().map(|u| format!("`{}`", u.0)).collect();
            ValidationError::new(
                "permissions",
                format!("unknown permission slugs: {}", names.join(", ")),
            )
        })
    }

    fn new_role(&self) -> Result<NewRole, ValidationError> {
        NewRole::new(self.name()?, self.description()?, self.permissions()?)
    }

    /// Only what differs from `current`, as the API's PATCH would send it; `None` when
    /// nothing does.
    fn patch(&self, current: &CustomRole) -> Result<Option<RolePatch>, ValidationError> {
        let name = Some(self.name()?).filter(|name| name.as_str() != current.name.as_str());
        let description = Some(self.description()?).filter(|d| *d != current.description);
        let permissions = Some(self.permissions()?).filter(|p| *p != current.permissions);
        if name.is_none() && description.is_none() && permissions.is_none() {
            return Ok(None);
        }
        RolePatch::new(name, description, permissions).map(Some)
    }
}

async fn create(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let form = RoleForm::read(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/roles");
    let new = match form.new_role() {
        Ok(new) => new,
        Err(invalid) => return Ok(flash::failed(&back, &invalid)),
    };
    Ok(flash::outcome(
        &back,
        state.services.roles.create(&viewer.actor, org, new).await,
        "created",
    ))
}

async fn update(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let form = RoleForm::read(&viewer, &body)?;
    let list = format!("/console/orgs/{org}/roles");
    let back = format!("{list}/{id}");
    let roles = match state.services.roles.list(&viewer.actor, org).await {
        Ok(roles) => roles,
        Err(error) => return Ok(flash::failed(&back, &error)),
    };
    let Some(current) = roles.into_iter().find(|listed| listed.role.id == id) else {
        return Ok(flash::failed(&back, &RoleError::RoleNotFound));
    };
    let patch = match form.patch(&current.role) {
        Ok(Some(patch)) => patch,
        // Saving an unchanged form changes nothing, and leaves the audit log alone.
        Ok(None) => return Ok(flash::done(&list, "saved")),
        Err(invalid) => return Ok(flash::failed(&back, &invalid)),
    };
    Ok(
        match state
            .services
            .roles
            .update(&viewer.actor, org, id, patch)
            .await
        {
            Ok(_) => flash::done(&list, "saved"),
            Err(error) => flash::failed(&back, &error),
        },
    )
}

async fn delete(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    let back = format!("/console/orgs/{org}/roles");
    Ok(flash::outcome(
        &back,
        state.services.roles.delete(&viewer.actor, org, id).await,
        "removed",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_holds_every_permission_once() {
        let cells: Vec<Permission> = catalogue()
            .into_iter()
            .flat_map(|(_, actions)| actions.into_iter().map(|(_, p)| p))
            .collect();
        assert_eq!(cells, Permission::ALL.to_vec());
        let resources: Vec<_> = catalogue().into_iter().map(|(r, _)| r).collect();
        assert!(resources.contains(&"scans") && resources.contains(&"audit"));
    }

    #[test]
    fn checkbox_ids_hold_no_colon() {
        assert_eq!(checkbox_id(Permission::ScansWrite), "perm-scans-write");
    }
}
