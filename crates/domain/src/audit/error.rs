use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error("exporting the audit log needs the team plan or higher")]
    PlanUpgradeRequired,
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessDenied> for AuditError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

impl DomainError for AuditError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::OrgNotFound => ErrorKind::NotFound,
            Self::Forbidden | Self::PlanUpgradeRequired => ErrorKind::Forbidden,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::MfaRequired => "mfa_required",
            Self::OrgNotFound => "org_not_found",
            Self::Forbidden => "forbidden",
            Self::PlanUpgradeRequired => "plan_upgrade_required",
            Self::Store(error) => error.code(),
        }
    }
}
