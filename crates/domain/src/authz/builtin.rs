use std::fmt;
use std::str::FromStr;

use super::permission::{Permission as P, PermissionSet};

/// The roles every organization has. `docs/roles.md` shows the same table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuiltinRole {
    /// Every permission, and the only role that meets [`Requirement::Owner`]: deleting the org
    /// and transferring ownership. Exactly one per org: its creator at first, then whoever it is
    /// transferred to; no request can grant it otherwise.
    ///
    /// [`Requirement::Owner`]: crate::authz::Requirement::Owner
    Owner,
    /// Every permission except `billing:write`.
    Admin,
    /// Every `:read` permission and nothing else.
    Auditor,
    /// Read and write on repositories, scans, drifts and guardrails; cannot read the member
    /// list. The default [`RoleChoice`](crate::member::RoleChoice), and what holders of a
    /// deleted custom role become.
    Member,
    /// Read on repositories, scans, drifts and guardrails, and nothing else.
    Viewer,
}

const READ_ALL: PermissionSet = PermissionSet::of(&[
    P::RepositoriesRead,
    P::ScansRead,
    P::DriftsRead,
    P::GuardrailsRead,
    P::MembersRead,
    P::SettingsRead,
    P::BillingRead,
    P::AuditRead,
]);

const WORK: PermissionSet = PermissionSet::of(&[
    P::RepositoriesRead,
    P::RepositoriesWrite,
    P::ScansRead,
    P::ScansWrite,
    P::DriftsRead,
    P::DriftsWrite,
    P::GuardrailsRead,
    P::GuardrailsWrite,
]);

const VIEW: PermissionSet = PermissionSet::of(&[
    P::RepositoriesRead,
    P::ScansRead,
    P::DriftsRead,
    P::GuardrailsRead,
]);

impl BuiltinRole {
    /// Every built-in role, owner first.
    pub const ALL: [BuiltinRole; 5] = [
        Self::Owner,
        Self::Admin,
        Self::Auditor,
        Self::Member,
        Self::Viewer,
    ];

    /// The role's name in the API and in storage, lower case. Parsing accepts only this exact
    /// spelling (`"Admin"` is refused), and no custom role may take a name that looks like it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Auditor => "auditor",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }

    /// What the role grants, as in the table of `docs/roles.md`.
    pub const fn permissions(self) -> PermissionSet {
        match self {
            Self::Owner => PermissionSet::of(&P::ALL),
            Self::Admin => PermissionSet::of(&P::ALL).without(P::BillingWrite),
            Self::Auditor => READ_ALL,
            Self::Member => WORK,
            Self::Viewer => VIEW,
        }
    }
}

impl fmt::Display for BuiltinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BuiltinRole {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.name() == s)
            .ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_holds_every_permission_and_admin_all_but_billing_write() {
        assert!(PermissionSet::of(&P::ALL).is_subset_of(BuiltinRole::Owner.permissions()));
        assert_eq!(
            PermissionSet::of(&P::ALL).beyond(BuiltinRole::Admin.permissions()),
            vec![P::BillingWrite]
        );
    }

    #[test]
    fn auditor_reads_everything_and_writes_nothing() {
        let auditor = BuiltinRole::Auditor.permissions();
        for permission in P::ALL {
            assert_eq!(
                auditor.contains(permission),
                permission.slug().ends_with(":read"),
                "{permission}"
            );
        }
    }

    #[test]
    fn member_cannot_read_members_and_viewer_only_reads_the_four_work_areas() {
        assert!(!BuiltinRole::Member.permissions().contains(P::MembersRead));
        assert!(
            BuiltinRole::Member
                .permissions()
                .contains(P::GuardrailsWrite)
        );
        let viewer: Vec<_> = BuiltinRole::Viewer.permissions().iter().collect();
        assert_eq!(
            viewer,
            vec![
                P::RepositoriesRead,
                P::ScansRead,
                P::DriftsRead,
                P::GuardrailsRead
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for role in BuiltinRole::ALL {
            assert_eq!(role.name().parse::<BuiltinRole>(), Ok(role));
        }
        assert!("Owner".parse::<BuiltinRole>().is_err());
    }
}
