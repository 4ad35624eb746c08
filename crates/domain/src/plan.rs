//! Plans and what each one allows. `docs/plans.md` shows the same table.

use std::fmt;
use std::str::FromStr;

/// The plan an organization is on: it sets the org's [`Limits`], the [`Feature`]s it has and
/// how long its audit log is kept. A new org starts on Free; only an operator changes the plan
/// ([`crate::org::OrgService::set_plan_as_operator`]), and lowering it removes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Plan {
    /// 5 seats, no custom roles, 1 framework, no paid feature; audit events kept 30 days.
    Free,
    /// 50 seats, 20 custom roles, 5 frameworks, every feature but directory sync; audit
    /// events kept 365 days.
    Team,
    /// No limits, every feature; audit events kept for ever.
    Enterprise,
}

/// A feature that only some plans include.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// The custom-role use cases ([`crate::role::RoleService`]) and assigning a custom role to
    /// a member or an invitation. Roles made before a downgrade keep granting their
    /// permissions.
    CustomRoles,
    /// Exporting the audit log ([`crate::audit::AuditService::export`]); listing it is on
    /// every plan.
    AuditExport,
    /// Directory sync: the org's identity provider provisions its members over SCIM
    /// ([`crate::directory::DirectoryService`]). Enterprise only.
    Directory,
}

impl Feature {
    /// Every feature; the API reports each as one of an org's feature flags.
    pub const ALL: [Feature; 3] = [Self::CustomRoles, Self::AuditExport, Self::Directory];

    /// The name clients see among an org's feature flags.
    pub const fn name(self) -> &'static str {
        match self {
            Self::CustomRoles => "custom_roles",
            Self::AuditExport => "audit_export",
            Self::Directory => "scim",
        }
    }
}

/// The quantitative limits of a plan; `None` means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many seats the org has: each member, the owner included, takes one, and so does
    /// each pending e-mail invitation that has not expired.
    pub seats: Option<u64>,
    /// How many custom roles the org may define.
    pub custom_roles: Option<u64>,
    /// Compliance frameworks the product around Tenantry may enable for the org: Tenantry
    /// reports the limit (`max_frameworks`), the product enforces it.
    pub frameworks: Option<u64>,
}

impl Plan {
    /// Every plan, smallest first.
    pub const ALL: [Plan; 3] = [Self::Free, Self::Team, Self::Enterprise];

    /// The plan's name in the API, in storage and for `tenantry set-plan`: `free`, `team` or
    /// `enterprise`; parsing accepts only these spellings.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Team => "team",
            Self::Enterprise => "enterprise",
        }
    }

    /// The plan's seat, custom-role and framework limits.
    pub const fn limits(self) -> Limits {
        match self {
            Self::Free => Limits {
                seats: Some(5),
                custom_roles: Some(0),
                frameworks: Some(1),
            },
            Self::Team => Limits {
                seats: Some(50),
                custom_roles: Some(20),
                frameworks: Some(5),
            },
            Self::Enterprise => Limits {
                seats: None,
                custom_roles: None,
                frameworks: None,
            },
        }
    }

    /// How long audit events are kept; `None` keeps them for ever.
    pub const fn audit_retention(self) -> Option<time::Duration> {
        match self {
            Self::Free => Some(time::Duration::days(30)),
            Self::Team => Some(time::Duration::days(365)),
            Self::Enterprise => None,
        }
    }

    /// Whether the plan has `feature`: Team has every feature but directory sync, Enterprise
    /// every one, Free none.
    pub const fn includes(self, feature: Feature) -> bool {
        match feature {
            Feature::CustomRoles | Feature::AuditExport => !matches!(self, Self::Free),
            Feature::Directory => matches!(self, Self::Enterprise),
        }
    }

    /// Whether an org with `seats_used` members can take `more`.
    pub fn has_seats_for(self, seats_used: u64, more: u64) -> bool {
        within(self.limits().seats, seats_used + more)
    }

    /// Whether an org that has `roles_used` custom roles may create one more.
    pub fn has_room_for_custom_role(self, roles_used: u64) -> bool {
        within(self.limits().custom_roles, roles_used + 1)
    }
}

fn within(limit: Option<u64>, wanted: u64) -> bool {
    limit.is_none_or(|limit| wanted <= limit)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A plan name that does not exist.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan `{0}`: expected free, team or enterprise")]
pub struct UnknownPlan(pub String);

impl FromStr for Plan {
    type Err = UnknownPlan;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|plan| plan.name() == s)
            .ok_or_else(|| UnknownPlan(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_has_five_seats_and_no_custom_roles() {
        assert!(Plan::Free.has_seats_for(4, 1));
        assert!(!Plan::Free.has_seats_for(5, 1));
        assert!(!Plan::Free.includes(Feature::CustomRoles));
        assert!(!Plan::Free.has_room_for_custom_role(0));
    }

    #[test]
    fn team_and_enterprise_include_the_paid_features() {
        for plan in [Plan::Team, Plan::Enterprise] {
            assert!(plan.includes(Feature::CustomRoles));
            assert!(plan.includes(Feature::AuditExport));
        }
        assert!(Plan::Team.has_room_for_custom_role(19));
        assert!(!Plan::Team.has_room_for_custom_role(20));
        assert!(Plan::Enterprise.has_seats_for(1_000_000, 1));
    }

    #[test]
    fn names_round_trip() {
        for plan in Plan::ALL {
            assert_eq!(plan.name().parse::<Plan>(), Ok(plan));
        }
        assert!("gold".parse::<Plan>().is_err());
    }
}
