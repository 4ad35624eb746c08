use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::member::MemberError;
use crate::validation::ValidationError;

/// Why a directory use case was refused or failed. Each variant has a stable code (see
/// `docs/errors.md`) through [`DomainError`]; the SCIM adapter adds its own `scimType`.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The org does not exist or the caller is not a member of it.
    #[error("organization not found")]
    OrgNotFound,
    /// The caller is a member but not the owner, who alone manages the directory.
    #[error("only the owner manages the organization's directory")]
    Forbidden,
    /// The org's plan has no directory (SCIM is on Enterprise).
    #[error("directory provisioning (SCIM) needs the enterprise plan")]
    PlanUpgradeRequired,
    /// The org requires a second factor and the caller has none turned on.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The bearer token is not a directory token, or was revoked.
    #[error("the directory token is missing, unknown or revoked")]
    InvalidToken,
    /// No directory token with that id in this org.
    #[error("directory token not found")]
    TokenNotFound,
    /// No person the directory manages with that id in this org.
    #[error("user not found")]
    UserNotFound,
    /// No directory group with that id in this org.
    #[error("group not found")]
    GroupNotFound,
    /// Another person in the org's directory has that user name, or the account is managed
    /// already.
    #[error("a user with that userName is already provisioned in this organization")]
    UserNameTaken,
    /// Another group in the org's directory has that display name.
    #[error("a group with that displayName already exists in this organization")]
    GroupNameTaken,
    /// The person has no e-mail address: no `emails` and a `userName` that is none.
    #[error("an e-mail address is needed: in emails, or as the userName")]
    EmailRequired,
    /// A group member is not a person the directory manages in this org.
    #[error("a group member is not a user of this directory")]
    UnknownMember,
    /// A mapping or the default role names a custom role the org does not have.
    #[error("no custom role with that id exists in this organization")]
    UnknownRole,
    /// A mapping names a custom role on a plan without custom roles.
    #[error("custom roles need the team plan or higher")]
    CustomRolesUnavailable,
    /// The owner cannot be suspended or removed through the directory.
    #[error("the owner cannot be suspended or removed by the directory")]
    OwnerImmutable,
    /// The org has no seat for one more person.
    #[error("the organization has used all {0} seats of its plan")]
    SeatLimitReached(u64),
    /// The record changed since the version the request named.
    #[error("the resource changed since the version given")]
    VersionMismatch,
    /// A concurrent change got there first.
    #[error("a concurrent change got there first; read the current state and retry")]
    ConcurrentChange,
    /// The input breaks a rule; its `field` names the part at fault.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DirectoryError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(_) => Self::ConcurrentChange,
            other => Self::Store(other),
        }
    }
}

impl From<AccessDenied> for DirectoryError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

/// The member rules the directory shares (roles, seats) report in their own terms.
impl From<MemberError> for DirectoryError {
    fn from(error: MemberError) -> Self {
        match error {
            MemberError::UnknownRole => Self::UnknownRole,
            MemberError::PlanUpgradeRequired => Self::CustomRolesUnavailable,
            MemberError::SeatLimitReached(seats) => Self::SeatLimitReached(seats),
            MemberError::OrgNotFound => Self::OrgNotFound,
            MemberError::OwnerImmutable => Self::OwnerImmutable,
            MemberError::Store(error) => Self::Store(error),
            _ => Self::ConcurrentChange,
        }
    }
}

impl DomainError for DirectoryError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrgNotFound | Self::TokenNotFound | Self::UserNotFound | Self::GroupNotFound => {
                ErrorKind::NotFound
            }
            Self::Forbidden
            | Self::PlanUpgradeRequired
            | Self::MfaRequired
            | Self::CustomRolesUnavailable => ErrorKind::Forbidden,
            Self::InvalidToken => ErrorKind::Unauthenticated,
            Self::UserNameTaken
            | Self::GroupNameTaken
            | Self::OwnerImmutable
            | Self::SeatLimitReached(_)
            | Self::VersionMismatch
            | Self::ConcurrentChange => ErrorKind::Conflict,
            Self::EmailRequired | Self::UnknownMember | Self::UnknownRole => ErrorKind::Invalid,
            Self::Invalid(error) => error.kind(),
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::OrgNotFound => "org_not_found",
            Self::Forbidden => "forbidden",
            Self::PlanUpgradeRequired | Self::CustomRolesUnavailable => "plan_upgrade_required",
            Self::MfaRequired => "mfa_required",
            Self::InvalidToken => "unauthorized",
            Self::TokenNotFound => "token_not_found",
            Self::UserNotFound => "user_not_found",
            Self::GroupNotFound => "group_not_found",
            Self::UserNameTaken => "user_name_taken",
            Self::GroupNameTaken => "group_name_taken",
            Self::EmailRequired => "email_required",
            Self::UnknownMember => "unknown_member",
            Self::UnknownRole => "unknown_role",
            Self::OwnerImmutable => "owner_immutable",
            Self::SeatLimitReached(_) => "seat_limit_reached",
            Self::VersionMismatch => "version_mismatch",
            Self::ConcurrentChange => "concurrent_change",
            Self::Invalid(error) => error.code(),
            Self::Store(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::EmailRequired => Some("emails"),
            Self::UnknownMember => Some("members"),
            Self::UnknownRole | Self::CustomRolesUnavailable => Some("role"),
            Self::Invalid(error) => error.field(),
            _ => None,
        }
    }
}
