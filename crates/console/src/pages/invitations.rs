//! The org's invitations: every e-mail invitation and join link with its status; invite an
//! address, create a join link (shown once), revoke, send an e-mail invitation again.

use std::collections::{HashMap, HashSet};

use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::authz::{BuiltinRole, Permission};
use tenantry_domain::ids::{InvitationId, OrgId, UserId};
use tenantry_domain::invitation::{
    EmailInvite, Invitation, InvitationKind, InvitationStatus, IssuedInvitation, LinkInvite,
};
use tenantry_domain::member::{MemberPage, RoleChoice, RoleFilter};
use tenantry_domain::role::CustomRole;
use tenantry_domain::user::Email;
use tenantry_domain::validation::ValidationError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{NoFields, Refused, custom_roles, form, invitation_attempt, org_id, role_options};
use crate::ConsoleState;
use crate::flash::{self, Flash};
use crate::layout::{OrgFrame, Tab, org_frame, org_page};
use crate::session::Viewer;

pub(crate) fn register(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/invitations", web::get().to(page))
        .route(
            "/orgs/{org}/invitations/email",
            web::post().to(invite_by_email),
        )
        .route("/orgs/{org}/invitations/link", web::post().to(create_link))
        .route(
            "/orgs/{org}/invitations/{id}/revoke",
            web::post().to(revoke),
        )
        .route(
            "/orgs/{org}/invitations/{id}/resend",
            web::post().to(resend),
        );
}

fn back(org: OrgId) -> String {
    format!("/console/orgs/{org}/invitations")
}

fn ids(path: &(String, String)) -> Result<(OrgId, InvitationId), Refused> {
    let org = org_id(&path.0)?;
    let id = path.1.parse().map_err(|_| Refused::not_found())?;
    Ok((org, id))
}

async fn page(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    render(&state, &viewer, org, &flash, None).await
}

/// The page, with the join link just created when there is one: its secret exists only in
/// this response, so it is rendered here rather than carried through a redirect's URL.
async fn render(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
    flash: &Flash,
    created: Option<&IssuedInvitation>,
) -> Result<HttpResponse, Refused> {
    let frame = org_frame(state, viewer, org).await?;
    let invitations = state.services.invitations.list(&viewer.actor, org).await?;
    let roles = custom_roles(state, viewer, org).await;
    let inviters = inviter_names(state, viewer, org, &roles, &invitations).await?;
    let resendable = resendable(&invitations);
    let writer = frame.may(Permission::MembersWrite);
    let body = html! {
        section.card {
            h1 { "Invitations to " (frame.org.org.name.as_str()) }
            (flash::banner(flash))
            @if let Some(issued) = created {
                (new_link(issued))
            }
        }
        @if writer {
            section.card {
                h2 { "Invite by e-mail" }
                form.row method="post" action={(frame.url("invitations")) "/email"} {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    div {
                        label for="invite-email" { "E-mail" }
                        input #invite-email type="email" name="email" required maxlength=(Email::MAX_LEN) autocomplete="off";
                    }
                    div {
                        label for="invite-role" { "Role" }
                        select #invite-role name="role" {
                            (role_options(&roles, Some(BuiltinRole::Member.name())))
                        }
                    }
                    button #send-invite type="submit" { "Send invitation" }
                }
                p.muted { "Many people at once? " a #bulk-invite href={(frame.url("invitations")) "/bulk"} { "Invite from a CSV file" } }
            }
            section.card {
                h2 { "Create a join link" }
                p.muted { "Anyone signed in who opens the link joins with its role, until it expires, is revoked or has been used as many times as allowed." }
                form.row method="post" action={(frame.url("invitations")) "/link"} {
                    input type="hidden" name="csrf" value=(viewer.csrf);
                    div {
                        label for="link-role" { "Role" }
                        select #link-role name="role" {
                            (role_options(&roles, Some(BuiltinRole::Member.name())))
                        }
                    }
                    div {
                        label for="link-max-uses" { "Max uses" }
                        input #link-max-uses type="number" name="max_uses" min="1" max=(LinkInvite::MAX_USES) placeholder="No limit";
                    }
                    button #create-link type="submit" { "Create link" }
                }
            }
        }
        section.card {
            h2 { "All invitations" }
            table #invitations {
                thead { tr {
                    th { "Invitee" } th { "Role" } th { "Status" } th { "Invited by" }
                    th { "Created" } th { "Expires" } th { "Uses" }
                    @if writer { th { "Actions" } }
                } }
                tbody {
                    @for invitation in &invitations {
                        (row(&frame, viewer, invitation, &inviters, resendable.contains(&invitation.id)))
                    }
                }
            }
            @if invitations.is_empty() { p.muted #no-invitations { "No invitations yet." } }
        }
    };
    Ok(org_page(&frame, viewer, Tab::Invitations, body))
}

/// The join link just created, once: only its hash is kept.
fn new_link(issued: &IssuedInvitation) -> Markup {
    let invitation = &issued.invitation;
    let limit = match invitation.kind {
        InvitationKind::Link {
            max_uses: Some(max),
            ..
        } => format!("Up to {max} people"),
        _ => "Any number of people".to_owned(),
    };
    html! {
        div #new-link data-id=(invitation.id) {
            label for="join-link" { "Join link" }
            div {
                input #join-link type="text" readonly value=(issued.link) size="60" aria-describedby="join-link-note";
                " "
                button.quiet #copy-link type="button" data-copy="join-link" { "Copy" }
            }
            p.muted #join-link-note {
                "Shown only now: copy it before leaving this page. " (limit) " can join through it as "
                strong { (invitation.role.display_name()) } " until " (when(invitation.expires_at)) "."
            }
        }
    }
}

/// The e-mail invitations a resend can renew: pending or expired, and the newest to their
/// address. An older one was replaced by the newer, and the domain would refuse it as expired.
fn resendable(invitations: &[Invitation]) -> HashSet<InvitationId> {
    let mut seen = HashSet::new();
    let mut ids = HashSet::new();
    // The list is newest first, so the first invitation met for an address is its newest.
    for invitation in invitations {
        let Some(email) = invitation.email() else {
            continue;
        };
        if seen.insert(email.as_str())
            && matches!(
                invitation.status,
                InvitationStatus::Pending | InvitationStatus::Expired
            )
        {
            ids.insert(invitation.id);
        }
    }
    ids
}

/// The names of the members who issued the invitations. Only the holders of roles with
/// `members:write` can have, so only they are read, not the whole org. An inviter not among
/// them has left or lost that role since.
async fn inviter_names(
    state: &ConsoleState,
    viewer: &Viewer,
    org: OrgId,
    roles: &[CustomRole],
    invitations: &[Invitation],
) -> Result<HashMap<UserId, String>, Refused> {
    let mut wanted: HashSet<UserId> = invitations.iter().filter_map(|i| i.invited_by).collect();
    let mut names = HashMap::new();
    let builtin = BuiltinRole::ALL
        .into_iter()
        .filter(|role| role.permissions().contains(Permission::MembersWrite))
        .map(RoleFilter::Builtin);
    let custom = roles
        .iter()
        .filter(|role| role.permissions.contains(Permission::MembersWrite))
        .map(|role| RoleFilter::Custom(role.id));
    for filter in builtin.chain(custom) {
        if wanted.is_empty() {
            break;
        }
        let holders = MemberPage::new(None, None)?.with_role(Some(filter));
        let list = state
            .services
            .members
            .list(&viewer.actor, org, holders)
            .await?;
        for member in list.members {
            if wanted.remove(&member.user.id) {
                names.insert(member.user.id, member.user.name.as_str().to_owned());
            }
        }
    }
    Ok(names)
}

fn when(at: OffsetDateTime) -> Markup {
    let full = at.format(&Rfc3339).unwrap_or_default();
    let day: String = full.chars().take(10).collect();
    html! { time datetime=(full) title=(full) { (day) } }
}

fn row(
    frame: &OrgFrame,
    viewer: &Viewer,
    invitation: &Invitation,
    inviters: &HashMap<UserId, String>,
    resendable: bool,
) -> Markup {
    let base = format!("{}/{}", frame.url("invitations"), invitation.id);
    let status = invitation.status;
    let email = invitation.email().map(Email::as_str);
    html! {
        tr data-id=(invitation.id) data-kind=(invitation.kind.channel().name()) data-status=(status.name()) data-email=[email] {
            td {
                @match &invitation.kind {
                    InvitationKind::Email(email) => { (email.as_str()) }
                    InvitationKind::Link { .. } => { "Join link" }
                }
            }
            td.role { (invitation.role.display_name()) }
            td.status { (status.name()) }
            td.inviter {
                @match invitation.invited_by {
                    Some(id) => {
                        @match inviters.get(&id) {
                            Some(name) => { (name) }
                            None => { span.muted { "former manager" } }
                        }
                    }
                    None => { span.muted { "deleted account" } }
                }
            }
            td { (when(invitation.created_at)) }
            td { (when(invitation.expires_at)) }
            td.uses {
                @match invitation.kind {
                    InvitationKind::Link { uses, max_uses: Some(max) } => { (uses) " / " (max) }
                    InvitationKind::Link { uses, max_uses: None } => { (uses) " / no limit" }
                    InvitationKind::Email(_) => { span.muted { "—" } }
                }
            }
            @if frame.may(Permission::MembersWrite) {
                td {
                    @if resendable {
                        form.inline method="post" action={(base) "/resend"} {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button.quiet.resend type="submit" { "Resend" }
                        }
                        " "
                    }
                    @if status == InvitationStatus::Pending {
                        form.inline method="post" action={(base) "/revoke"} data-confirm="Revoke this invitation? Its link stops working at once." {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button.danger.revoke type="submit" { "Revoke" }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    max_uses: String,
}

/// The role picked, `member` when none was, as the API defaults it.
fn role_choice(raw: &str) -> Result<RoleChoice, ValidationError> {
    match raw.trim() {
        "" => Ok(RoleChoice::default()),
        role => RoleChoice::try_from(role),
    }
}

/// An empty field is no limit.
fn max_uses(raw: &str) -> Result<Option<u32>, ValidationError> {
    match raw.trim() {
        "" => Ok(None),
        number => number.parse().map(Some).map_err(|_| {
            ValidationError::new(
                "maxUses",
                format!("must be a whole number from 1 to {}", LinkInvite::MAX_USES),
            )
        }),
    }
}

async fn invite_by_email(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let form: EmailForm = form(&viewer, &body)?;
    invitation_attempt(&state, &viewer)?;
    let back = back(org);
    let invite = match (
        Email::try_from(form.email.as_str()),
        role_choice(&form.role),
    ) {
        (Ok(email), Ok(role)) => EmailInvite { email, role },
        (Err(invalid), _) | (_, Err(invalid)) => return Ok(flash::failed(&back, &invalid)),
    };
    Ok(
        match state
            .services
            .invitations
            .invite_by_email(&viewer.actor, org, invite)
            .await
        {
            // The invitation's link is for the invitee's mailbox only; the inviter never sees it.
            Ok(_) => flash::done(&back, "invited"),
            Err(error) => flash::failed(&back, &error),
        },
    )
}

async fn create_link(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let org = org_id(&path)?;
    let form: LinkForm = form(&viewer, &body)?;
    invitation_attempt(&state, &viewer)?;
    let back = back(org);
    let invite = match role_choice(&form.role)
        .and_then(|role| LinkInvite::new(role, max_uses(&form.max_uses)?))
    {
        Ok(invite) => invite,
        Err(invalid) => return Ok(flash::failed(&back, &invalid)),
    };
    match state
        .services
        .invitations
        .create_link(&viewer.actor, org, invite)
        .await
    {
        Ok(issued) => {
            let flash = Flash {
                done: Some("link".to_owned()),
                error: None,
            };
            render(&state, &viewer, org, &flash, Some(&issued)).await
        }
        Err(error) => Ok(flash::failed(&back, &error)),
    }
}

async fn revoke(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    let back = back(org);
    Ok(flash::outcome(
        &back,
        state
            .services
            .invitations
            .revoke(&viewer.actor, org, id)
            .await,
        "revoked",
    ))
}

async fn resend(
    state: web::Data<ConsoleState>,
    viewer: Viewer,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Refused> {
    let (org, id) = ids(&path)?;
    let _: NoFields = form(&viewer, &body)?;
    invitation_attempt(&state, &viewer)?;
    let back = back(org);
    Ok(flash::outcome(
        &back,
        state
            .services
            .invitations
            .resend(&viewer.actor, org, id)
            .await,
        "resent",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_uses_is_optional_and_numeric() {
        assert_eq!(max_uses("").unwrap(), None);
        assert_eq!(max_uses(" 5 ").unwrap(), Some(5));
        assert_eq!(max_uses("five").unwrap_err().field, "maxUses");
        assert_eq!(max_uses("-1").unwrap_err().field, "maxUses");
    }

    #[test]
    fn role_defaults_to_member_and_never_owner() {
        assert_eq!(role_choice("").unwrap(), RoleChoice::default());
        assert!(role_choice("admin").is_ok());
        assert!(role_choice("owner").is_err());
    }
}
