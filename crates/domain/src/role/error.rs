use crate::authz::{AccessDenied, Permission};
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::member::escalation_message;

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("role not found")]
    RoleNotFound,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error("{}", escalation_message(.0))]
    Escalation(Vec<Permission>),
    #[error("custom roles need the team plan or higher")]
    PlanUpgradeRequired,
    #[error("this organization already has a role with that name")]
    NameTaken,
    #[error("the organization has used all {0} custom roles of its plan")]
    RoleLimitReached(u64),
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
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
