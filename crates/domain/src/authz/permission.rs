use std::fmt;
use std::str::FromStr;

/// The closed catalogue of permission slugs of the Organizations API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// `repositories:read`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    RepositoriesRead,
    /// `repositories:write`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    RepositoriesWrite,
    /// `scans:read`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    ScansRead,
    /// `scans:write`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    ScansWrite,
    /// `drifts:read`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    DriftsRead,
    /// `drifts:write`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    DriftsWrite,
    /// `guardrails:read`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    GuardrailsRead,
    /// `guardrails:write`. Tenantry's own routes never check it; it is there for the
    /// product around Tenantry, to ask about through [`crate::check`].
    GuardrailsWrite,
    /// `members:read`: list the members, the invitations and the custom roles, and ask
    /// permission checks about other members.
    MembersRead,
    /// `members:write`: invite (and cancel or resend invitations), change, move and remove
    /// members, and create, edit and delete custom roles, never beyond the caller's own
    /// permissions.
    MembersWrite,
    /// `settings:read`: list the org's integrations.
    SettingsRead,
    /// `settings:write`: rename the org, change its settings (such as `require_mfa`) and
    /// manage its integrations.
    SettingsWrite,
    /// `billing:read`. Tenantry's own routes never check it; it is there for the product
    /// around Tenantry, to ask about through [`crate::check`].
    BillingRead,
    /// `billing:write`, the one permission `admin` lacks. Tenantry's own routes never check
    /// it (only an operator changes a plan); it is there for the product around Tenantry, to
    /// ask about through [`crate::check`].
    BillingWrite,
    /// `audit:read`: list, verify and export the org's audit log (exporting also needs a plan
    /// with audit export).
    AuditRead,
}

impl Permission {
    /// Every permission, in catalogue order.
    pub const ALL: [Permission; 15] = [
        Self::RepositoriesRead,
        Self::RepositoriesWrite,
        Self::ScansRead,
        Self::ScansWrite,
        Self::DriftsRead,
        Self::DriftsWrite,
        Self::GuardrailsRead,
        Self::GuardrailsWrite,
        Self::MembersRead,
        Self::MembersWrite,
        Self::SettingsRead,
        Self::SettingsWrite,
        Self::BillingRead,
        Self::BillingWrite,
        Self::AuditRead,
    ];

    /// The permission's name in the API and in storage, such as `scans:write`; parsing
    /// accepts only this exact spelling.
    pub const fn slug(self) -> &'static str {
        match self {
            Self::RepositoriesRead => "repositories:read",
            Self::RepositoriesWrite => "repositories:write",
            Self::ScansRead => "scans:read",
            Self::ScansWrite => "scans:write",
            Self::DriftsRead => "drifts:read",
            Self::DriftsWrite => "drifts:write",
            Self::GuardrailsRead => "guardrails:read",
            Self::GuardrailsWrite => "guardrails:write",
            Self::MembersRead => "members:read",
            Self::MembersWrite => "members:write",
            Self::SettingsRead => "settings:read",
            Self::SettingsWrite => "settings:write",
            Self::BillingRead => "billing:read",
            Self::BillingWrite => "billing:write",
            Self::AuditRead => "audit:read",
        }
    }

    /// Parses slugs in order (repeats kept), reporting every unknown one at once.
    pub fn parse_list<'a>(
        slugs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Self>, Vec<UnknownPermission>> {
        let (known, unknown): (Vec<_>, Vec<_>) = slugs
            .into_iter()
            .map(str::parse::<Self>)
            .partition(Result::is_ok);
        if unknown.is_empty() {
            Ok(known.into_iter().flatten().collect())
        } else {
            Err(unknown.into_iter().filter_map(Result::err).collect())
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A slug that is not in the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|permission| permission.slug() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// A set of permissions, held as bits so that checks and subset tests are single instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u16);

impl PermissionSet {
    /// The set that grants nothing.
    pub const EMPTY: Self = Self(0);

    /// The set of `permissions` (repeats do no harm); `const`, so sets can be constants.
    pub const fn of(permissions: &[Permission]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < permissions.len() {
            bits |= permissions[i].bit();
            i += 1;
        }
        Self(bits)
    }

    /// Whether the set grants `permission`.
    pub const fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    /// Whether every permission of `self` is also in `other`.
    pub const fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set grants nothing.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// This set minus `permission`.
    pub const fn without(self, permission: Permission) -> Self {
        Self(self.0 & !permission.bit())
    }

    /// The permissions of `self` that `other` lacks.
    pub fn beyond(self, other: Self) -> Vec<Permission> {
        Self(self.0 & !other.0).iter().collect()
    }

    /// The members in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |permission| self.contains(*permission))
    }

    /// Parses stored slugs: the set of those the catalogue knows, and the others, which grant
    /// nothing (a permission withdrawn from the catalogue must not make its holders' requests
    /// fail, nor keep granting what it named).
    pub fn parse_known<'a>(slugs: impl IntoIterator<Item = &'a str>) -> (Self, Vec<&'a str>) {
        let mut set = Self::EMPTY;
        let mut unknown = Vec::new();
        for slug in slugs {
            match slug.parse::<Permission>() {
                Ok(permission) => set.0 |= permission.bit(),
                Err(_) => unknown.push(slug),
            }
        }
        (set, unknown)
    }

    /// Parses slugs, reporting every unknown one at once.
    pub fn parse<'a>(
        slugs: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, Vec<UnknownPermission>> {
        Permission::parse_list(slugs).map(|permissions| permissions.into_iter().collect())
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().fold(0, |bits, p| bits | p.bit()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slug_parses_back_to_its_permission() {
        for permission in Permission::ALL {
            assert_eq!(permission.slug().parse::<Permission>(), Ok(permission));
        }
    }

    #[test]
    fn parse_reports_every_unknown_slug() {
        let error = PermissionSet::parse(["scans:read", "root", "members:delete"]).unwrap_err();
        assert_eq!(
            error,
            vec![
                UnknownPermission("root".into()),
                UnknownPermission("members:delete".into())
            ]
        );
    }

    #[test]
    fn subset_and_beyond_agree() {
        let small = PermissionSet::of(&[Permission::ScansRead]);
        let large = PermissionSet::of(&[Permission::ScansRead, Permission::ScansWrite]);
        assert!(small.is_subset_of(large));
        assert!(!large.is_subset_of(small));
        assert_eq!(large.beyond(small), vec![Permission::ScansWrite]);
        assert!(small.beyond(large).is_empty());
    }
}
