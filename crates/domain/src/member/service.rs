use std::sync::Arc;

use time::OffsetDateTime;
use tracing::instrument;

use super::error::MemberError;
use super::model::{
    AssignedRole, Member, MemberCursor, MemberList, MemberPage, MembersVersion, Membership,
    RoleChoice, VersionedMembers,
};
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, BuiltinRole, Permission, Requirement};
use crate::clock::Clock;
use crate::ids::{OrgId, UserId};
use crate::org::Org;
use crate::plan::Feature;
use crate::ports::{Transaction, UnitOfWork};
use crate::user::{Email, PasswordHash, User, UserName};

const MEMBERS_READ: Requirement = Requirement::Permission(Permission::MembersRead);
const MEMBERS_WRITE: Requirement = Requirement::Permission(Permission::MembersWrite);

/// Where to move a member, and with which role there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveMember {
    /// The org to move the member into. It must not be the source org, and the caller needs
    /// `members:write` there too.
    pub target_org: OrgId,
    /// The member's role in the target org, judged against that org's plan, custom roles and
    /// the caller's permissions there. The HTTP API defaults it to `member`.
    pub role: RoleChoice,
}

/// Member management: list, change role, remove, move, transfer ownership, leave.
#[derive(Clone)]
pub struct MemberService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl MemberService {
    /// Builds the service over the store and the clock that dates memberships and audit
    /// events.
    pub fn new(uow: Arc<dyn UnitOfWork>, clock: Arc<dyn Clock>) -> Self {
        Self { uow, clock }
    }

    /// One page of members (the whole list when the page has no limit).
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(
        &self,
        actor: &Actor,
        org: OrgId,
        page: MemberPage,
    ) -> Result<MemberList, MemberError> {
        let tx = self.uow.read().await?;
        Access::load::<MemberError>(&*tx, org, actor, MEMBERS_READ).await?;
        read_page(&*tx, org, page).await
    }

    /// The version of the org's member list, for a caller allowed to read the list (see
    /// [`MembersVersion`]): one read, the access check included.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn members_version(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<MembersVersion, MemberError> {
        let tx = self.uow.read_one().await?;
        let access = Access::load::<MemberError>(&*tx, org, actor, MEMBERS_READ).await?;
        Ok(access.members_version())
    }

    /// Like [`list`](Self::list), for a caller holding a copy of the page made at `held`:
    /// when the list has not changed since, only that is said and no member is read. The
    /// access check runs either way.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list_since(
        &self,
        actor: &Actor,
        org: OrgId,
        page: MemberPage,
        held: Option<MembersVersion>,
    ) -> Result<VersionedMembers, MemberError> {
        // Statement by statement: the version is read before the rows, so rows read after it
        // are never older than the version they are filed under.
        let tx = self.uow.read_one().await?;
        let access = Access::load::<MemberError>(&*tx, org, actor, MEMBERS_READ).await?;
        let version = access.members_version();
        if held == Some(version) {
            return Ok(VersionedMembers::Unchanged(version));
        }
        let list = read_page(&*tx, org, page).await?;
        Ok(VersionedMembers::Changed(version, list))
    }

    /// Gives a member another role and returns them as the member list shows them. Needs
    /// `members:write`, and the caller must hold every permission of both the member's
    /// current role and the new one. Refuses the owner, a custom role on a plan without
    /// custom roles, and a role id that is not one of the org's. Records
    /// `member.role_updated`.
    #[instrument(skip_all, fields(org = %org, user = %user))]
    pub async fn update_role(
        &self,
        actor: &Actor,
        org: OrgId,
        user: UserId,
        choice: RoleChoice,
    ) -> Result<Member, MemberError> {
        let tx =
            Access::begin_for::<MemberError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)]).await?;
        let org_row = lock_org(&*tx, org).await?;
        let access = Access::load::<MemberError>(&*tx, org, actor, MEMBERS_WRITE).await?;
        let target = managed_member(&*tx, &access, org, user).await?;
        let role = resolve_role(&*tx, &org_row, choice).await?;
        access.may_handle(&role)?;
        tx.members().set_member_role(org, user, &role).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::MemberRoleUpdated,
            self.clock.now(),
        )
        .target("userId", user)
        .meta("from", target.role.key())
        .meta("role", role.key());
        tx.audit().append(&event).await?;
        let member = member_view(&*tx, Membership { role, ..target }).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Removes a member from the org; their account stays. Needs `members:write` and every
    /// permission of the member's role. Refuses the owner. Records `member.removed`.
    #[instrument(skip_all, fields(org = %org, user = %user))]
    pub async fn remove(&self, actor: &Actor, org: OrgId, user: UserId) -> Result<(), MemberError> {
        let tx =
            Access::begin_for::<MemberError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)]).await?;
        lock_org(&*tx, org).await?;
        let access = Access::load::<MemberError>(&*tx, org, actor, MEMBERS_WRITE).await?;
        let target = managed_member(&*tx, &access, org, user).await?;
        tx.members().delete_member(org, user).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::MemberRemoved,
            self.clock.now(),
        )
        .target("userId", user)
        .meta("role", target.role.key());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a member out of `org` into another org in one transaction. The caller needs
    /// `members:write` in both.
    #[instrument(skip_all, fields(org = %org, user = %user))]
    pub async fn move_member(
        &self,
        actor: &Actor,
        org: OrgId,
        user: UserId,
        request: MoveMember,
    ) -> Result<Member, MemberError> {
        let target_org = request.target_org;
        if target_org == org {
            return Err(MemberError::SameOrg);
        }
        let both = [(org, MEMBERS_WRITE), (target_org, MEMBERS_WRITE)];
        let tx = Access::begin_for::<MemberError>(&*self.uow, actor, &both).await?;
        // Locks are always taken in id order so two opposite moves cannot deadlock.
        let (source_row, target_row) = if org < target_org {
            let source = lock_org(&*tx, org).await;
            (source, lock_org(&*tx, target_org).await)
        } else {
            let target = lock_org(&*tx, target_org).await;
            (lock_org(&*tx, org).await, target)
        };
        source_row?;
        let source_access = Access::load::<MemberError>(&*tx, org, actor, MEMBERS_WRITE).await?;
        let target_row = target_row?;
        let target_access =
            Access::load::<MemberError>(&*tx, target_org, actor, MEMBERS_WRITE).await?;

        managed_member(&*tx, &source_access, org, user).await?;
        let role = resolve_role(&*tx, &target_row, request.role).await?;
        target_access.may_handle(&role)?;
        if tx.members().find_member(target_org, user).await?.is_some() {
            return Err(MemberError::AlreadyMember);
        }
        let now = self.clock.now();
        ensure_seat(&*tx, &target_row, now, 0).await?;
        tx.members().delete_member(org, user).await?;
        let joined = Membership {
            org_id: target_org,
            user_id: user,
            role,
            joined_at: now,
        };
        tx.members().insert_member(&joined).await?;
        let moved_out = AuditEvent::new(org, Some(actor), AuditAction::MemberMovedOut, now)
            .target("userId", user)
            .meta("targetOrgId", target_org);
        let moved_in = AuditEvent::new(target_org, Some(actor), AuditAction::MemberMovedIn, now)
            .target("userId", user)
            .meta("sourceOrgId", org)
            .meta("role", joined.role.key());
        tx.audit().append(&moved_out).await?;
        tx.audit().append(&moved_in).await?;
        let member = member_view(&*tx, joined).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Hands ownership to another member; the old owner becomes an admin. Both changes and the
    /// org lock live in one transaction, so the org has exactly one owner at every moment.
    #[instrument(skip_all, fields(org = %org, new_owner = %new_owner))]
    pub async fn transfer_ownership(
        &self,
        actor: &Actor,
        org: OrgId,
        new_owner: UserId,
    ) -> Result<(), MemberError> {
        let owner = [(org, Requirement::Owner)];
        let tx = Access::begin_for::<MemberError>(&*self.uow, actor, &owner).await?;
        lock_org(&*tx, org).await?;
        Access::load::<MemberError>(&*tx, org, actor, Requirement::Owner).await?;
        if new_owner == actor.user_id {
            return Err(MemberError::AlreadyOwner);
        }
        find_member(&*tx, org, new_owner).await?;
        // Demote first: the store allows one owner per org at any statement.
        tx.members()
            .set_member_role(
                org,
                actor.user_id,
                &AssignedRole::Builtin(BuiltinRole::Admin),
            )
            .await?;
        tx.members()
            .set_member_role(org, new_owner, &AssignedRole::Builtin(BuiltinRole::Owner))
            .await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::OwnershipTransferred,
            self.clock.now(),
        )
        .target("userId", new_owner)
        .meta("previousOwnerId", actor.user_id);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the caller's own membership; any member may. Refuses the owner, who must
    /// transfer ownership first. Records `member.left`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn leave(&self, actor: &Actor, org: OrgId) -> Result<(), MemberError> {
        let member = [(org, Requirement::Membership)];
        let tx = Access::begin_for::<MemberError>(&*self.uow, actor, &member).await?;
        lock_org(&*tx, org).await?;
        let access = Access::load::<MemberError>(&*tx, org, actor, Requirement::Membership).await?;
        if access.membership().role.is_owner() {
            return Err(MemberError::OwnerMustTransfer);
        }
        tx.members().delete_member(org, actor.user_id).await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::MemberLeft, self.clock.now())
            .target("userId", actor.user_id);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an existing user to an org on an operator's behalf (the `add-member` command).
    #[instrument(skip_all, fields(org = %org))]
    pub async fn add_as_operator(
        &self,
        org: OrgId,
        email: &Email,
        choice: RoleChoice,
    ) -> Result<Member, MemberError> {
        let tx = self.uow.begin().await?;
        let org_row = lock_org(&*tx, org).await?;
        let user = tx
            .users()
            .find_user_by_email(email)
            .await?
            .ok_or(MemberError::UserNotFound)?
            .user;
        let role = resolve_role(&*tx, &org_row, choice).await?;
        if tx.members().find_member(org, user.id).await?.is_some() {
            return Err(MemberError::AlreadyMember);
        }
        let now = self.clock.now();
        let role = add_by_operator(&*tx, &org_row, &user, role, now).await?;
        tx.commit().await?;
        Ok(Member {
            user,
            role,
            joined_at: now,
            suspended: false,
        })
    }

    /// Adds many people at once on an operator's behalf, in one transaction and by the same
    /// rules as one at a time (role, seats, audit). Accounts are made for addresses that
    /// have none, without a password; people who already are members are left as they are.
    #[instrument(skip_all, fields(org = %org, rows = rows.len()))]
    pub async fn import_as_operator(
        &self,
        org: OrgId,
        rows: &[ImportedMember],
    ) -> Result<ImportReport, MemberError> {
        let tx = self.uow.begin().await?;
        let org_row = lock_org(&*tx, org).await?;
        let now = self.clock.now();
        let mut roles = Vec::<(RoleChoice, AssignedRole)>::new();
        let mut report = ImportReport::default();
        for row in rows {
            let role = match roles.iter().find(|(choice, _)| *choice == row.role) {
                Some((_, role)) => role.clone(),
                None => {
                    let role = resolve_role(&*tx, &org_row, row.role).await?;
                    roles.push((row.role, role.clone()));
                    role
                }
            };
            let user = match tx.users().find_user_by_email(&row.email).await? {
                Some(found) => found.user,
                None => {
                    let user = User {
                        id: UserId::generate(),
                        email: row.email.clone(),
                        name: row.name.clone(),
                        created_at: now,
                        last_login_at: None,
                        mfa_enabled: false,
                    };
                    tx.users().insert_user(&user, &PasswordHash::none()).await?;
                    report.accounts_created += 1;
                    user
                }
            };
            if tx.members().find_member(org, user.id).await?.is_some() {
                report.already_members += 1;
                continue;
            }
            add_by_operator(&*tx, &org_row, &user, role, now).await?;
            report.added += 1;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// One person to add by [`MemberService::import_as_operator`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedMember {
    /// The person's address. An account without a password is made for it when none has it.
    pub email: Email,
    /// The account's name, when one has to be made.
    pub name: UserName,
    /// The role the person gets, unless they already are a member.
    pub role: RoleChoice,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// People made members of the org, those with a new account included.
    pub added: u64,
    /// Accounts made, without a password, for addresses that had none.
    pub accounts_created: u64,
    /// Rows left as they were because the person already was a member (an address that
    /// appears twice counts here the second time).
    pub already_members: u64,
}

/// Makes `user` a member with `role` on an operator's behalf, within the seats, with its audit
/// event; returns the role.
async fn add_by_operator(
    tx: &dyn Transaction,
    org: &Org,
    user: &User,
    role: AssignedRole,
    now: OffsetDateTime,
) -> Result<AssignedRole, MemberError> {
    ensure_seat(tx, org, now, 0).await?;
    let membership = Membership {
        org_id: org.id,
        user_id: user.id,
        role,
        joined_at: now,
    };
    tx.members().insert_member(&membership).await?;
    let event = AuditEvent::new(org.id, None, AuditAction::MemberAdded, now)
        .target("userId", user.id)
        .target("email", &user.email)
        .meta("role", membership.role.key());
    tx.audit().append(&event).await?;
    Ok(membership.role)
}

async fn lock_org(tx: &dyn Transaction, org: OrgId) -> Result<Org, MemberError> {
    tx.orgs()
        .lock_org(org)
        .await?
        .ok_or(MemberError::OrgNotFound)
}

async fn find_member(
    tx: &dyn Transaction,
    org: OrgId,
    user: UserId,
) -> Result<Membership, MemberError> {
    tx.members()
        .find_member(org, user)
        .await?
        .ok_or(MemberError::MemberNotFound)
}

/// A member the actor may manage: present, not the owner (ownership only moves by transfer),
/// and holding no permission the actor lacks.
async fn managed_member(
    tx: &dyn Transaction,
    access: &Access,
    org: OrgId,
    user: UserId,
) -> Result<Membership, MemberError> {
    let target = find_member(tx, org, user).await?;
    if target.role.is_owner() {
        return Err(MemberError::OwnerImmutable);
    }
    access.may_handle(&target.role)?;
    Ok(target)
}

async fn member_view(tx: &dyn Transaction, membership: Membership) -> Result<Member, MemberError> {
    let user = tx
        .users()
        .find_user(membership.user_id)
        .await?
        .ok_or(MemberError::MemberNotFound)?;
    let suspended = tx
        .members()
        .find_access(membership.org_id, membership.user_id)
        .await?
        .is_some_and(|access| access.suspended);
    Ok(Member {
        user,
        role: membership.role,
        joined_at: membership.joined_at,
        suspended,
    })
}

/// Turns a requested role into the role to store, checking the org's plan for custom ones.
pub(crate) async fn resolve_role(
    tx: &dyn Transaction,
    org: &Org,
    choice: RoleChoice,
) -> Result<AssignedRole, MemberError> {
    match choice {
        // Parsing refuses it; this keeps a library caller from building it by hand.
        RoleChoice::Builtin(BuiltinRole::Owner) => Err(MemberError::OwnershipNotGrantable),
        RoleChoice::Builtin(role) => Ok(AssignedRole::Builtin(role)),
        RoleChoice::Custom(id) => {
            if !org.plan.includes(Feature::CustomRoles) {
                return Err(MemberError::PlanUpgradeRequired);
            }
            let role = tx
                .roles()
                .find_role(org.id, id)
                .await?
                .ok_or(MemberError::UnknownRole)?;
            Ok(AssignedRole::Custom(role))
        }
    }
}

/// Whether one more person fits the plan. Seats are held by members and by pending e-mail
/// invitations; `reserved` of those are the newcomer's own (the invitation being accepted).
/// The org must be locked by the caller so the counts stay true.
pub(crate) async fn ensure_seat(
    tx: &dyn Transaction,
    org: &Org,
    now: OffsetDateTime,
    reserved: u64,
) -> Result<(), MemberError> {
    // Without a seat limit there is nothing to count: adding stays as cheap however many
    // members and pending invitations the org has.
    if org.plan.limits().seats.is_none() {
        return Ok(());
    }
    let used = tx.members().count_members(org.id).await?
        + tx.invitations().count_pending_emails(org.id, now).await?;
    if org.plan.has_seats_for(used.saturating_sub(reserved), 1) {
        Ok(())
    } else {
        Err(MemberError::SeatLimitReached(
            org.plan.limits().seats.unwrap_or(used),
        ))
    }
}

async fn read_page(
    tx: &dyn Transaction,
    org: OrgId,
    page: MemberPage,
) -> Result<MemberList, MemberError> {
    // One row more than asked tells whether another page follows.
    let probe = MemberPage {
        limit: page.limit.map(|limit| limit + 1),
        ..page
    };
    let mut members = tx.members().list_members(org, probe).await?;
    let next = match page.limit {
        Some(limit) if members.len() as u64 > limit => {
            members.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            members.last().map(MemberCursor::after)
        }
        _ => None,
    };
    Ok(MemberList { members, next })
}
