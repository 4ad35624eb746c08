use std::net::IpAddr;

use time::OffsetDateTime;

use crate::ids::{OrgId, ScimGroupId, ScimTokenId, UserId};
use crate::member::RoleChoice;
use crate::user::secret_type;
use crate::user::{Email, TokenName, UserName};
use crate::validation::{ValidationError, trimmed_text};

secret_type!(
    /// The bearer token an identity provider presents at one org's directory endpoint, and
    /// nowhere else. Only its hash is stored.
    DirectoryToken,
    "tnt_scim_"
);

/// A directory token as its org's owner lists it; the token itself is shown once, at creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryTokenInfo {
    /// Names the token in the list and in audit events of the changes made with it.
    pub id: ScimTokenId,
    /// The only org whose directory the token reaches.
    pub org_id: OrgId,
    /// The owner's label for it, such as the identity provider's name.
    pub name: TokenName,
    /// When it was made.
    pub created_at: OffsetDateTime,
}

/// The caller of the directory use cases: an identity provider, known by the token it
/// presented. Audit events of its changes carry no user but this token's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryCaller {
    /// The org the token belongs to: the only org the caller reaches.
    pub org_id: OrgId,
    /// The token presented.
    pub token_id: ScimTokenId,
    /// The client's address, for the audit log.
    pub ip: Option<IpAddr>,
}

/// A name the directory keys by: a user's `userName` or a group's `displayName`. Trimmed,
/// NFKC, 1 to [`DirectoryName::MAX_CHARS`] characters; unique per org without regard to case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryName(String);

impl DirectoryName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 256;

    /// Validates `raw`; errors name `field`.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        trimmed_text(field, raw, Self::MAX_CHARS).map(Self)
    }

    /// The name as validated.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What uniqueness and lookups compare: the name in lower case.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

/// The identity provider's own id for a user or group (`externalId`): compared exactly, 1 to
/// [`ExternalId::MAX_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExternalId(String);

impl ExternalId {
    /// The longest external id, in characters.
    pub const MAX_CHARS: usize = 256;

    /// Validates `raw`, naming the field `externalId`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        trimmed_text("externalId", raw, Self::MAX_CHARS).map(Self)
    }

    /// The id as validated.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

/// The attributes a directory adapter keeps for a user or group beyond those the domain
/// reads (for SCIM: name parts, e-mail list, ...), as the adapter's own JSON text. Kept and
/// handed back unchanged, up to [`Attributes::MAX_BYTES`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes(String);

impl Attributes {
    /// The most a record may keep, in bytes.
    pub const MAX_BYTES: usize = 16 * 1024;

    /// Refuses text over [`Attributes::MAX_BYTES`], naming `field`.
    pub fn new(field: &'static str, text: String) -> Result<Self, ValidationError> {
        if text.len() > Self::MAX_BYTES {
            return Err(ValidationError::new(
                field,
                format!("must be at most {} bytes", Self::MAX_BYTES),
            ));
        }
        Ok(Self(text))
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For adapters reading back values that were validated on the way in.
    pub fn from_trusted(value: String) -> Self {
        Self(value)
    }
}

/// What an identity provider says about one person in the org.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    /// Unique in the org's directory, without regard to case.
    pub user_name: DirectoryName,
    /// The provider's id for the person.
    pub external_id: Option<ExternalId>,
    /// The address the account is found or made by. When `None`, `user_name` must be an
    /// e-mail address. Only read when the person is provisioned: a directory never changes
    /// an account's address, which other orgs share.
    pub email: Option<Email>,
    /// The name a new account gets; `None` takes it from `user_name`.
    pub name: Option<UserName>,
    /// `false` suspends the membership: the person keeps seat and role but can no longer act
    /// in the org, with any credential.
    pub active: bool,
    /// The adapter's other attributes.
    pub attributes: Attributes,
}

impl DirectoryUser {
    /// The address to find or make the account by: `email`, else `user_name` when it is one.
    pub fn account_email(&self) -> Option<Email> {
        self.email
            .clone()
            .or_else(|| Email::try_from(self.user_name.as_str()).ok())
    }

    /// The name a new account gets.
    pub fn account_name(&self) -> UserName {
        self.name.clone().unwrap_or_else(|| {
            let name: String = self
                .user_name
                .as_str()
                .chars()
                .take(UserName::MAX_CHARS)
                .collect();
            UserName::try_from(name.as_str())
                .unwrap_or_else(|_| UserName::from_trusted("Directory user".to_owned()))
        })
    }
}

/// A person the org's directory manages: the membership's directory record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUserRecord {
    /// The org.
    pub org_id: OrgId,
    /// The account, which is also the record's id in the directory.
    pub user_id: UserId,
    /// What the provider last said.
    pub user: DirectoryUser,
    /// When the provider first provisioned the person.
    pub created_at: OffsetDateTime,
    /// When the provider last changed the record.
    pub updated_at: OffsetDateTime,
    /// Moves by one with every change; a replace may name the version it read, and is refused
    /// when another change came in between.
    pub version: u64,
}

/// A group of the org's directory; its members get a role when the org's
/// [`ProvisioningSettings`] map the group to one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryGroup {
    /// Unique in the org's directory, without regard to case; what role mappings name.
    pub display_name: DirectoryName,
    /// The provider's id for the group.
    pub external_id: Option<ExternalId>,
    /// Members: people the directory manages in this org, each once.
    pub members: Vec<UserId>,
    /// The adapter's other attributes.
    pub attributes: Attributes,
}

impl DirectoryGroup {
    /// The most members a group holds.
    pub const MAX_MEMBERS: usize = 10_000;
}

/// A group as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryGroupRecord {
    /// The group's id in the directory.
    pub id: ScimGroupId,
    /// The org.
    pub org_id: OrgId,
    /// What the provider last said.
    pub group: DirectoryGroup,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// As [`DirectoryUserRecord::version`].
    pub version: u64,
}

/// Which role the members of a directory group get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRole {
    /// The group's display name, compared without regard to case.
    pub group: DirectoryName,
    /// The role its members get.
    pub role: RoleChoice,
}

/// An org's directory settings, set by its owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvisioningSettings {
    /// The role of a person the directory provisions, and of a managed member in no mapped
    /// group once mappings exist.
    pub default_role: RoleChoice,
    /// In order: a managed member gets the role of the first mapping whose group holds them.
    /// With no mappings, groups give no roles and roles are managed by hand.
    pub group_roles: Vec<GroupRole>,
}

impl ProvisioningSettings {
    /// The most group mappings an org keeps.
    pub const MAX_GROUP_ROLES: usize = 50;

    /// The role for a member in the groups named by `groups` (their keys).
    pub fn role_for(&self, groups: &[String]) -> RoleChoice {
        self.group_roles
            .iter()
            .find(|mapping| groups.contains(&mapping.group.key()))
            .map_or(self.default_role, |mapping| mapping.role)
    }
}
