use std::fmt;
use std::str::FromStr;

/// The closed catalogue of permission slugs of the Organizations API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    RepositoriesRead,
    RepositoriesWrite,
    ScansRead,
    ScansWrite,
    DriftsRead,
    DriftsWrite,
    GuardrailsRead,
    GuardrailsWrite,
    MembersRead,
    MembersWrite,
    SettingsRead,
    SettingsWrite,
    BillingRead,
    BillingWrite,
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
    pub const EMPTY: Self = Self(0);

    pub const fn of(permissions: &[Permission]) -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < permissions.len() {
            bits |= permissions[i].bit();
            i += 1;
        }
        Self(bits)
    }

    pub const fn contains(self, permission: Permission) -> bool {
        self.0 & permission.bit() != 0
    }

    pub const fn is_subset_of(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

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
