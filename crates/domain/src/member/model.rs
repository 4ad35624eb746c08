use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::authz::{BuiltinRole, PermissionSet};
use crate::ids::{OrgId, RoleId, UserId};
use crate::role::CustomRole;
use crate::user::{User, UserName};
use crate::validation::ValidationError;

/// The role a member holds: built in, or one of the org's custom roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignedRole {
    /// A built-in role. Exactly one member of each org holds [`BuiltinRole::Owner`].
    Builtin(BuiltinRole),
    /// One of the org's custom roles, with its permissions as stored.
    Custom(CustomRole),
}

impl AssignedRole {
    /// The permissions the role grants; for a custom role, those it holds now.
    pub fn permissions(&self) -> PermissionSet {
        match self {
            Self::Builtin(role) => role.permissions(),
            Self::Custom(role) => role.permissions,
        }
    }

    /// Whether this is the built-in `owner` role, the only one that can delete the org or
    /// transfer ownership.
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

/// One user's membership of one org: what access checks and member use cases work on. A user
/// has at most one membership per org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The org the user belongs to.
    pub org_id: OrgId,
    /// The member's account.
    pub user_id: UserId,
    /// The one role the member holds in the org.
    pub role: AssignedRole,
    /// When the user joined the org; the member list is ordered by it (to the microsecond),
    /// then by user id.
    pub joined_at: OffsetDateTime,
}

/// A membership as access checks read it: with whether the org requires a second factor and
/// whether the member has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberAccess {
    /// The membership itself.
    pub membership: Membership,
    /// Whether the org's settings require a second factor; if so, a member without one is
    /// refused everything in the org.
    pub org_requires_mfa: bool,
    /// Whether the member has a second factor (TOTP) turned on.
    pub has_mfa: bool,
    /// The org's member-list version, read with the membership so that a list request needs
    /// no second read to learn it.
    pub members_version: MembersVersion,
    /// Whether the org's identity provider suspended the membership; a suspended member is
    /// refused everything in the org, as a stranger is.
    pub suspended: bool,
    /// The member's display name, read with the membership so that a use case that names its
    /// caller (the inviter of an invitation e-mail) needs no second read inside its write.
    pub name: UserName,
}

/// The version of an org's member list: it moves, in the same transaction, with every change
/// of what the list shows, so a copy made at one version is the list for as long as the
/// version stays. Caches and HTTP `ETag`s are keyed by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MembersVersion(pub u64);

/// A member list read with a version, or the news that a copy the caller holds is current.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionedMembers {
    /// The list is not at the version the caller holds (or the caller holds none): the
    /// current version and the page, whose rows are never older than that version.
    Changed(MembersVersion, MemberList),
    /// The copy the caller holds is current, at this version; no member was read.
    Unchanged(MembersVersion),
}

/// A member as the member list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's account: id, e-mail, name, last sign-in and whether it has a second
    /// factor.
    pub user: User,
    /// The role the member holds in the org.
    pub role: AssignedRole,
    /// When the user joined the org; the member list is ordered by it, then by user id.
    pub joined_at: OffsetDateTime,
    /// Whether the org's identity provider suspended the member: they keep seat and role
    /// but can act in the org no more.
    pub suspended: bool,
}

/// A role named in a request: a built-in name other than `owner`, or a custom role's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChoice {
    /// A built-in role. Parsing refuses `owner`: ownership only moves by
    /// [`MemberService::transfer_ownership`](crate::member::MemberService::transfer_ownership).
    Builtin(BuiltinRole),
    /// A custom role of the org, by id. The use case refuses it on a plan without custom
    /// roles, and when the id is not a role of the org.
    Custom(RoleId),
}

/// The text requests and stored settings use: the built-in name or the custom role's id, what
/// [`RoleChoice::try_from`] reads back.
impl fmt::Display for RoleChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Builtin(role) => f.write_str(role.name()),
            Self::Custom(id) => id.fmt(f),
        }
    }
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
    /// The members holding this built-in role.
    Builtin(BuiltinRole),
    /// The members holding the custom role with this id. The id is not checked: one that
    /// names no role of the org matches no member.
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
    /// When the last member of the previous page joined. The text form keeps microseconds,
    /// the precision the list is ordered by.
    pub joined_at: OffsetDateTime,
    /// That member's user id, which orders members who joined in the same microsecond.
    pub user_id: UserId,
}

impl MemberCursor {
    /// What `from_str` takes (a little less: times up to the year 9892), for the API document:
    /// microseconds since 1970, a dot, a user id.
    pub const PATTERN: &str = r"^(?:[0-9]{1,17}|1[0-9]{17}|2[0-4][0-9]{16})\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    /// The cursor of the page that starts right after `member`.
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
    /// The members of the page, ordered by join time, then user id.
    pub members: Vec<Member>,
    /// Where the next page starts: `Some` exactly when more members follow. Always `None`
    /// for a page without a limit.
    pub next: Option<MemberCursor>,
}

/// Which slice of the member list to read. The default is the whole list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemberPage {
    /// Start after this member; `None` starts at the first.
    pub after: Option<MemberCursor>,
    /// At most this many members, 1 to [`MemberPage::MAX_LIMIT`] when built by
    /// [`MemberPage::new`]; `None` reads every member after `after`.
    pub limit: Option<u64>,
    /// Only the members holding this role.
    pub role: Option<RoleFilter>,
    /// Only the members whose name or e-mail contains this text.
    pub search: Option<MemberSearch>,
}

/// Text to find in members' names and e-mail addresses, compared case-insensitively: the
/// console's member search.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemberSearch(String);

impl MemberSearch {
    /// The longest search text, in characters.
    pub const MAX_CHARS: usize = 100;

    /// `raw` trimmed and lower-cased; `None` when nothing is left. Refuses text over
    /// [`MemberSearch::MAX_CHARS`] characters, naming the field `q`.
    pub fn parse(raw: &str) -> Result<Option<Self>, ValidationError> {
        let text = raw.trim().to_lowercase();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "q",
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        Ok((!text.is_empty()).then_some(Self(text)))
    }

    /// The lower-cased text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl MemberPage {
    /// The largest `limit` [`MemberPage::new`] accepts.
    pub const MAX_LIMIT: u64 = 500;

    /// A page of members in every role, after `after` (from the first when `None`), of at
    /// most `limit` members (all of them when `None`). Refuses a `limit` of 0 or above
    /// [`MemberPage::MAX_LIMIT`], naming the field `limit`.
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
                search: None,
            }),
        }
    }

    /// The same page narrowed to the members holding `role`; `None` keeps every role.
    pub fn with_role(self, role: Option<RoleFilter>) -> Self {
        Self { role, ..self }
    }

    /// The same page narrowed to the members whose name or e-mail holds `search`.
    pub fn with_search(self, search: Option<MemberSearch>) -> Self {
        Self { search, ..self }
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
