use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

/// Why an [`AuditService`](super::AuditService) use case failed; its code and kind are listed
/// in `docs/errors.md`.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The org does not exist, or the caller is not a member of it (a token pinned to another
    /// org counts as not a member), so other tenants' ids reveal nothing. `org_not_found`.
    #[error("organization not found")]
    OrgNotFound,
    /// The caller is a member but their role lacks `audit:read`. `forbidden`.
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// An export on a plan without audit export (Free); checked after `audit:read`.
    /// `plan_upgrade_required`.
    #[error("exporting the audit log needs the team plan or higher")]
    PlanUpgradeRequired,
    /// The org requires a second factor and the caller has none. `mfa_required`.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The store failed; its kind and code are those of the [`StoreError`].
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
