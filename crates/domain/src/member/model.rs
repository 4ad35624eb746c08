use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::authz::{BuiltinRole, PermissionSet};
use crate::ids::{OrgId, RoleId, UserId};
use crate::role::CustomRole;
use crate::user::User;
use crate::validation::ValidationError;

/// The role a member holds: built in, or one of the org's custom roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignedRole {
    Builtin(BuiltinRole),
    Custom(CustomRole),
}

impl AssignedRole {
    pub fn permissions(&self) -> PermissionSet {
        match self {
            Self::Builtin(role) => role.permissions(),
            Self::Custom(role) => role.permissions,
        }
    }

    pub fn is_owner(&self) -> bool {
        matches!(self, Self::Builtin(BuiltinRole::Owner))
    }

    /// What the API shows as `role`: the built-in name or the custom role's id, the same
    /// values the update-role request accepts.
    pub fn key(&self) -> String {
        match self {
            Self::Builtin(role) => role.name().to_owned(),
            Self::Custom(role) => role.id.to_string(),
        }
    }

    /// A human-readable name.
    pub fn display_name(&self) -> &str {
        match self {
            Self::Builtin(role) => role.name(),
            Self::Custom(role) => role.name.as_str(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: AssignedRole,
    pub joined_at: OffsetDateTime,
}

/// A membership as access checks read it: with whether the org requires a second factor and
/// whether the member has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberAccess {
    pub membership: Membership,
    pub org_requires_mfa: bool,
    pub has_mfa: bool,
    pub members_version: MembersVersion,
}

/// The version of an org's member list: it moves, in the same transaction, with every change
/// of what the list shows, so a copy made at one version is the list for as long as the
/// version stays. Caches and HTTP `ETag`s are keyed by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MembersVersion(pub u64);

/// A member list read with a version, or the news that a copy the caller holds is current.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionedMembers {
    Changed(MembersVersion, MemberList),
    Unchanged(MembersVersion),
}

/// A member as the member list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: AssignedRole,
    pub joined_at: OffsetDateTime,
}

/// A role named in a request: a built-in name other than `owner`, or a custom role's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChoice {
    Builtin(BuiltinRole),
    Custom(RoleId),
}

impl Default for RoleChoice {
    fn default() -> Self {
        Self::Builtin(BuiltinRole::Member)
    }
}

impl TryFrom<&str> for RoleChoice {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let raw = raw.trim();
        match raw.parse::<BuiltinRole>() {
            Ok(BuiltinRole::Owner) => Err(ValidationError::new(
                "role",
                "ownership cannot be granted; use transfer-ownership",
            )),
            Ok(role) => Ok(Self::Builtin(role)),
            Err(()) => raw.parse::<RoleId>().map(Self::Custom).map_err(|_| {
                ValidationError::new(
                    "role",
                    "must be admin, auditor, member, viewer or the id of a custom role",
                )
            }),
        }
    }
}

/// A role a member list is narrowed to: any built-in name, `owner` included, or a custom
/// role's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleFilter {
    Builtin(BuiltinRole),
    Custom(RoleId),
}

impl TryFrom<&str> for RoleFilter {
    type Error = ValidationError;

    fn try_from(raw: &str) -> Result<Self, Self::Error> {
        let raw = raw.trim();
        match raw.parse::<BuiltinRole>() {
            Ok(role) => Ok(Self::Builtin(role)),
            Err(()) => raw.parse::<RoleId>().map(Self::Custom).map_err(|_| {
                ValidationError::new(
                    "role",
                    "must be owner, admin, auditor, member, viewer or the id of a custom role",
                )
            }),
        }
    }
}

/// Where a page of the member list starts: after this member in (joined_at, user id) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberCursor {
    pub joined_at: OffsetDateTime,
    pub user_id: UserId,
}

impl MemberCursor {
    /// What `from_str` takes (a little less: times up to the year 9892), for the API document:
    /// microseconds since 1970, a dot, a user id.
    pub const PATTERN: &str = r"^(?:[0-9]{1,17}|1[0-9]{17}|2[0-4][0-9]{16})\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    pub fn after(member: &Member) -> Self {
        Self {
            joined_at: member.joined_at,
            user_id: member.user.id,
        }
    }
}

impl fmt::Display for MemberCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.joined_at.unix_timestamp_nanos() / 1_000;
        write!(f, "{micros}.{}", self.user_id)
    }
}

/// 9999-12-31T23:59:59.999999Z in microseconds since 1970.
const MAX_CURSOR_MICROS: i64 = 253_402_300_799_999_999;

impl FromStr for MemberCursor {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || ValidationError::new("cursor", "is not a cursor this API returned");
        let (micros, user) = s.split_once('.').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        // Join times are never before 1970 nor after 9999; anything else was not made here.
        if !(0..=MAX_CURSOR_MICROS).contains(&micros) {
            return Err(invalid());
        }
        let joined_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .map_err(|_| invalid())?;
        let user_id = user.parse().map_err(|_| invalid())?;
        Ok(Self { joined_at, user_id })
    }
}

/// One page of the member list, and where the next one starts if there is one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberList {
    pub members: Vec<Member>,
    pub next: Option<MemberCursor>,
}

/// Which slice of the member list to read. The default is the whole list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemberPage {
    pub after: Option<MemberCursor>,
    pub limit: Option<u64>,
    /// Only the members holding this role.
    pub role: Option<RoleFilter>,
}

impl MemberPage {
    pub const MAX_LIMIT: u64 = 500;

    pub fn new(after: Option<MemberCursor>, limit: Option<u64>) -> Result<Self, ValidationError> {
        match limit {
            Some(limit) if limit == 0 || limit > Self::MAX_LIMIT => Err(ValidationError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            )),
            _ => Ok(Self {
                after,
                limit,
                role: None,
            }),
        }
    }

    pub fn with_role(self, role: Option<RoleFilter>) -> Self {
        Self { role, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_choice_accepts_builtin_names_and_role_ids_but_not_owner() {
        assert_eq!(
            RoleChoice::try_from("viewer"),
            Ok(RoleChoice::Builtin(BuiltinRole::Viewer))
        );
        let id = RoleId::generate();
        assert_eq!(
            RoleChoice::try_from(id.to_string().as_str()),
            Ok(RoleChoice::Custom(id))
        );
        assert_eq!(RoleChoice::try_from("owner").unwrap_err().field, "role");
        assert!(RoleChoice::try_from("superuser").is_err());
    }

    #[test]
    fn cursor_round_trips_through_its_text() {
        let cursor = MemberCursor {
            joined_at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap()
                + time::Duration::microseconds(123_456),
            user_id: UserId::generate(),
        };
        assert_eq!(cursor.to_string().parse::<MemberCursor>(), Ok(cursor));
        assert!("nonsense".parse::<MemberCursor>().is_err());
        let user = UserId::generate();
        for micros in [
            "-1",
            "253402300800000000",
            "99999999999999999999999999999999999999",
        ] {
            let text = format!("{micros}.{user}");
            assert!(text.parse::<MemberCursor>().is_err(), "{micros}");
        }
    }

    #[test]
    fn page_limit_is_bounded() {
        assert!(MemberPage::new(None, Some(0)).is_err());
        assert!(MemberPage::new(None, Some(501)).is_err());
        assert!(MemberPage::new(None, Some(500)).is_ok());
    }
}
