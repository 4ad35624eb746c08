use super::actor::Actor;
use super::permission::{Permission, PermissionSet};
use crate::error::StoreError;
use crate::ids::OrgId;
use crate::member::{AssignedRole, MemberAccess, MembersVersion, Membership};
use crate::ports::{Transaction, UnitOfWork};
use crate::user::UserName;

/// What a use case needs from the caller in the target organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// Being a member at all.
    Membership,
    /// Holding one permission slug.
    Permission(Permission),
    /// Being the owner: deleting the org and transferring ownership are not slugs, so no custom
    /// role can ever hold them.
    Owner,
}

/// Why access was refused. A non-member is told "not found" so ids of other tenants reveal nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    /// The caller is not a member of the org, or their API token is pinned to another org.
    #[error("organization not found")]
    NotMember,
    /// The caller is a member but does not meet this requirement.
    #[error("this needs {0:?}")]
    Lacks(Requirement),
    /// The role or permission set acted on holds these permissions, which the caller lacks
    /// (in catalogue order).
    #[error("that would grant permissions the caller lacks: {0:?}")]
    Escalation(Vec<Permission>),
    /// The org requires a second factor and the caller, a member, has none; checked before
    /// the requirement, so it refuses everything in that org.
    #[error("this organization requires a second factor")]
    MfaRequired,
}

/// The caller's membership in the organization a use case acts on, once checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    membership: Membership,
    has_mfa: bool,
    members_version: MembersVersion,
    name: Option<UserName>,
}

impl Access {
    /// The one function that decides whether a membership satisfies a requirement.
    pub fn check(
        membership: Option<Membership>,
        requirement: Requirement,
    ) -> Result<Self, AccessDenied> {
        let membership = membership.ok_or(AccessDenied::NotMember)?;
        let allowed = match requirement {
            Requirement::Membership => true,
            Requirement::Permission(permission) => {
                membership.role.permissions().contains(permission)
            }
            Requirement::Owner => membership.role.is_owner(),
        };
        if allowed {
            Ok(Self {
                membership,
                has_mfa: false,
                members_version: MembersVersion::default(),
                name: None,
            })
        } else {
            Err(AccessDenied::Lacks(requirement))
        }
    }

    /// The membership that was checked: org, user, role and join time.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// The caller's display name as the access check read it; `None` for an access made by
    /// [`Access::check`] from a bare membership.
    pub fn name(&self) -> Option<&UserName> {
        self.name.as_ref()
    }

    /// What the caller's role grants in this org.
    pub fn permissions(&self) -> PermissionSet {
        self.membership.role.permissions()
    }

    /// Refuses to hand out, or to act on, a role holding permissions the caller lacks.
    pub fn may_handle(&self, role: &AssignedRole) -> Result<(), AccessDenied> {
        self.may_handle_set(role.permissions())
    }

    /// [`Access::may_handle`] for a bare permission set, such as a custom role's permissions
    /// before and after an edit. Fails with [`AccessDenied::Escalation`] listing those of
    /// `permissions` the caller lacks.
    pub fn may_handle_set(&self, permissions: PermissionSet) -> Result<(), AccessDenied> {
        let beyond = permissions.beyond(self.permissions());
        if beyond.is_empty() {
            Ok(())
        } else {
            Err(AccessDenied::Escalation(beyond))
        }
    }
}

impl Access {
    /// A write use case's first step: checks each `(org, requirement)` on a read of its own,
    /// then opens the write transaction. A caller refused here never takes a write turn
    /// (SQLite) or an org lock (PostgreSQL), so a stranger cannot hold up another tenant's
    /// writes. The membership may change before the lock is taken: the use case checks again
    /// with [`Access::load`] under it.
    pub async fn begin_for<E>(
        uow: &dyn UnitOfWork,
        actor: &Actor,
        checks: &[(OrgId, Requirement)],
    ) -> Result<Box<dyn Transaction>, E>
    where
        E: From<AccessDenied> + From<StoreError>,
    {
        {
            let read = uow.read_one().await?;
            for &(org, requirement) in checks {
                Self::load::<E>(&*read, org, actor, requirement).await?;
            }
        }
        Ok(uow.begin().await?)
    }

    /// Loads the actor's membership in `org` inside `tx` and checks `requirement` against it.
    pub async fn load<E>(
        tx: &dyn Transaction,
        org: OrgId,
        actor: &Actor,
        requirement: Requirement,
    ) -> Result<Self, E>
    where
        E: From<AccessDenied> + From<StoreError>,
    {
        // A token pinned to another org is, here, a stranger: the same 404 as a non-member.
        if !actor.may_reach(org) {
            return Err(AccessDenied::NotMember.into());
        }
        let found = tx.members().find_access(org, actor.user_id).await?;
        Ok(Self::judge(found, requirement)?)
    }

    /// The rule of [`Access::load`] applied to a membership already read: the org's MFA
    /// policy, then the requirement. Permission checks for other services
    /// ([`crate::check::explain`]) apply this same rule.
    pub fn judge(
        found: Option<MemberAccess>,
        requirement: Requirement,
    ) -> Result<Self, AccessDenied> {
        // A suspended member is, for every purpose, not a member: the same 404, whatever
        // credential they hold.
        let found = found.filter(|found| !found.suspended);
        // Without a second factor a member of an org that requires one is refused everything
        // there; enrolling happens under `/api/me`, outside any org.
        if found
            .as_ref()
            .is_some_and(|found| found.org_requires_mfa && !found.has_mfa)
        {
            return Err(AccessDenied::MfaRequired);
        }
        let has_mfa = found.as_ref().is_some_and(|found| found.has_mfa);
        let members_version = found
            .as_ref()
            .map(|found| found.members_version)
            .unwrap_or_default();
        let name = found.as_ref().map(|found| found.name.clone());
        let access = Self::check(found.map(|found| found.membership), requirement)?;
        Ok(Self {
            has_mfa,
            members_version,
            name,
            ..access
        })
    }

    /// The version of the org's member list as this access check read it (known once loaded).
    pub fn members_version(&self) -> MembersVersion {
        self.members_version
    }

    /// Whether the caller has a second factor on (known once loaded).
    pub fn has_mfa(&self) -> bool {
        self.has_mfa
    }

    /// The checked membership, for a use case that needs to keep it.
    pub fn into_membership(self) -> Membership {
        self.membership
    }
}
