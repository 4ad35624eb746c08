use crate::authz::{AccessDenied, Permission};
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::member::escalation_message;

/// Why a [`RoleService`](crate::role::RoleService) use case refused or failed. Through
/// [`DomainError`] each variant has an error kind and the code named below.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// The org does not exist, the caller is not a member of it, or their token is pinned to
    /// another org (`org_not_found`).
    #[error("organization not found")]
    OrgNotFound,
    /// The org has no custom role with that id (`role_not_found`).
    #[error("role not found")]
    RoleNotFound,
    /// The caller is a member but lacks `members:read` (to list) or `members:write` (to
    /// change) (`forbidden`).
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// The role, before or after the change, or the `member` role its holders would fall back
    /// to, holds these permissions, which the caller lacks (`privilege_escalation`).
    #[error("{}", escalation_message(.0))]
    Escalation(Vec<Permission>),
    /// The org's plan does not include custom roles; only callers who hold the permission the
    /// use case needs are told (`plan_upgrade_required`).
    #[error("custom roles need the team plan or higher")]
    PlanUpgradeRequired,
    /// Another role of the org has that name, ignoring case and look-alike characters
    /// (`role_name_taken`).
    #[error("this organization already has a role with that name")]
    NameTaken,
    /// The org already has as many custom roles as its plan allows, given here
    /// (`custom_role_limit_reached`).
    #[error("the organization has used all {0} custom roles of its plan")]
    RoleLimitReached(u64),
    /// The org requires a second factor and the caller has none (`mfa_required`).
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// Storage failed. A uniqueness conflict is reported as [`RoleError::NameTaken`] instead.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for RoleError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(_) => Self::NameTaken,
            other => Self::Store(other),
        }
    }
}

impl From<AccessDenied> for RoleError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) => Self::Forbidden,
            AccessDenied::Escalation(beyond) => Self::Escalation(beyond),
        }
    }
}

impl DomainError for RoleError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::OrgNotFound | Self::RoleNotFound => ErrorKind::NotFound,
            Self::Forbidden | Self::Escalation(_) | Self::PlanUpgradeRequired => {
                ErrorKind::Forbidden
            }
            Self::NameTaken | Self::RoleLimitReached(_) => ErrorKind::Conflict,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::MfaRequired => "mfa_required",
            Self::OrgNotFound => "org_not_found",
            Self::RoleNotFound => "role_not_found",
            Self::Forbidden => "forbidden",
            Self::Escalation(_) => "privilege_escalation",
            Self::PlanUpgradeRequired => "plan_upgrade_required",
            Self::NameTaken => "role_name_taken",
            Self::RoleLimitReached(_) => "custom_role_limit_reached",
            Self::Store(error) => error.code(),
        }
    }
}
