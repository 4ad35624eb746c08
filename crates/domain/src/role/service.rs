use std::sync::Arc;

use tracing::instrument;

use super::error::RoleError;
use super::model::{CustomRole, NewRole, RolePatch, RoleWithCount};
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, BuiltinRole, Permission, Requirement};
use crate::clock::Clock;
use crate::ids::{OrgId, RoleId};
use crate::member::AssignedRole;
use crate::org::Org;
use crate::plan::Feature;
use crate::ports::{Transaction, UnitOfWork};

const MEMBERS_WRITE: Requirement = Requirement::Permission(Permission::MembersWrite);
/// What the holders of a deleted custom role become.
const FALLBACK_ROLE: BuiltinRole = BuiltinRole::Member;

/// Custom role management. Every route needs the Team plan or higher.
#[derive(Clone)]
pub struct RoleService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl RoleService {
    /// A service over `uow`, stamping roles and audit events with `clock`'s time. Usually
    /// built by [`crate::Services`].
    pub fn new(uow: Arc<dyn UnitOfWork>, clock: Arc<dyn Clock>) -> Self {
        Self { uow, clock }
    }

    /// The org's custom roles, oldest first, each with how many members hold it. Needs
    /// `members:read`, then a plan with custom roles.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(&self, actor: &Actor, org: OrgId) -> Result<Vec<RoleWithCount>, RoleError> {
        let tx = self.uow.read().await?;
        let org_row = tx
            .orgs()
            .find_org(org)
            .await?
            .ok_or(RoleError::OrgNotFound)?;
        authorize(&*tx, &org_row, actor, Permission::MembersRead).await?;
        Ok(tx.roles().list_roles(org).await?)
    }

    /// Creates a custom role and records `role.created` in the audit log. Needs
    /// `members:write`, then a plan with custom roles. Refuses permissions the caller lacks
    /// ([`RoleError::Escalation`]), a name the org already uses ([`RoleError::NameTaken`]) and
    /// a role beyond the plan's limit ([`RoleError::RoleLimitReached`]).
    #[instrument(skip_all, fields(org = %org))]
    pub async fn create(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewRole,
    ) -> Result<RoleWithCount, RoleError> {
        let tx = Access::begin_for::<RoleError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)]).await?;
        let org_row = lock_org(&*tx, org).await?;
        let access = authorize(&*tx, &org_row, actor, Permission::MembersWrite).await?;
        access.may_handle_set(new.permissions)?;
        let used = tx.roles().count_roles(org).await?;
        if !org_row.plan.has_room_for_custom_role(used) {
            return Err(RoleError::RoleLimitReached(
                org_row.plan.limits().custom_roles.unwrap_or(used),
            ));
        }
        let now = self.clock.now();
        let role = CustomRole {
            id: RoleId::generate(),
            org_id: org,
            name: new.name,
            description: new.description,
            permissions: new.permissions,
            created_at: now,
        };
        tx.roles().insert_role(&role).await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::RoleCreated, now)
            .target("roleId", role.id)
            .meta("name", role.name.as_str())
            .meta("permissions", slugs(&role));
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(RoleWithCount {
            role,
            member_count: 0,
        })
    }

    /// Applies `patch` to a custom role and records `role.updated` in the audit log; its
    /// holders' next access checks see the new permissions. Needs `members:write`, then a plan
    /// with custom roles, and the caller must hold every permission of the role both before
    /// and after the change ([`RoleError::Escalation`]). A name the org already uses is
    /// [`RoleError::NameTaken`].
    #[instrument(skip_all, fields(org = %org, role = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        org: OrgId,
        id: RoleId,
        patch: RolePatch,
    ) -> Result<RoleWithCount, RoleError> {
        let tx = Access::begin_for::<RoleError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)]).await?;
        let org_row = lock_org(&*tx, org).await?;
        let access = authorize(&*tx, &org_row, actor, Permission::MembersWrite).await?;
        let current = find_role(&*tx, org, id).await?;
        access.may_handle_set(current.role.permissions)?;
        let changed = patch.apply(&current.role);
        access.may_handle_set(changed.permissions)?;
        tx.roles().update_role(&changed).await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::RoleUpdated, self.clock.now())
            .target("roleId", id)
            .meta("name", changed.name.as_str())
            .meta("permissions", slugs(&changed));
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(RoleWithCount {
            role: changed,
            member_count: current.member_count,
        })
    }

    /// Deletes a role; its members fall back to the built-in `member` role in the same
    /// transaction.
    ///
    /// Invitations to the role are changed to `member` too, and `role.deleted` records how
    /// many members and pending invitations were moved. Needs `members:write`, then a plan
    /// with custom roles; the caller must hold every permission of the role and, when it has
    /// members or pending invitations, every permission of `member` ([`RoleError::Escalation`]).
    #[instrument(skip_all, fields(org = %org, role = %id))]
    pub async fn delete(&self, actor: &Actor, org: OrgId, id: RoleId) -> Result<(), RoleError> {
        let tx = Access::begin_for::<RoleError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)]).await?;
        let org_row = lock_org(&*tx, org).await?;
        let access = authorize(&*tx, &org_row, actor, Permission::MembersWrite).await?;
        let current = find_role(&*tx, org, id).await?;
        access.may_handle_set(current.role.permissions)?;
        if current.member_count > 0 {
            // Its holders become `member`: that is a grant like any other.
            access.may_handle(&AssignedRole::Builtin(FALLBACK_ROLE))?;
        }
        let reassigned = tx
            .members()
            .reassign_custom_role(org, id, FALLBACK_ROLE)
            .await?;
        // Invitations to the role would otherwise point at nothing; they too get the fallback,
        // and for pending ones that is a grant the caller must be able to make.
        let reinvited = tx
            .invitations()
            .reassign_custom_role(org, id, FALLBACK_ROLE)
            .await?;
        if reinvited > 0 {
            access.may_handle(&AssignedRole::Builtin(FALLBACK_ROLE))?;
        }
        tx.roles().delete_role(org, id).await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::RoleDeleted, self.clock.now())
            .target("roleId", id)
            .meta("name", current.role.name.as_str())
            .meta("reassignedMembers", reassigned)
            .meta("reassignedInvitations", reinvited);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn slugs(role: &CustomRole) -> String {
    role.permissions
        .iter()
        .map(|permission| permission.slug())
        .collect::<Vec<_>>()
        .join(",")
}

async fn lock_org(tx: &dyn Transaction, org: OrgId) -> Result<Org, RoleError> {
    tx.orgs().lock_org(org).await?.ok_or(RoleError::OrgNotFound)
}

/// Members learn they lack the permission before they learn about the plan; non-members learn
/// neither.
async fn authorize(
    tx: &dyn Transaction,
    org: &Org,
    actor: &Actor,
    permission: Permission,
) -> Result<Access, RoleError> {
    let access =
        Access::load::<RoleError>(tx, org.id, actor, Requirement::Permission(permission)).await?;
    if !org.plan.includes(Feature::CustomRoles) {
        return Err(RoleError::PlanUpgradeRequired);
    }
    Ok(access)
}

async fn find_role(
    tx: &dyn Transaction,
    org: OrgId,
    id: RoleId,
) -> Result<RoleWithCount, RoleError> {
    tx.roles()
        .list_roles(org)
        .await?
        .into_iter()
        .find(|listed| listed.role.id == id)
        .ok_or(RoleError::RoleNotFound)
}
