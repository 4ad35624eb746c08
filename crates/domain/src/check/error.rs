use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

/// Why a permission check could not be answered (a refused permission is an answer, not an
/// error).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("checking another member's permissions needs members:read")]
    Forbidden,
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessDenied> for CheckError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

impl DomainError for CheckError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrgNotFound => ErrorKind::NotFound,
            Self::Forbidden | Self::MfaRequired => ErrorKind::Forbidden,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::OrgNotFound => "org_not_found",
            Self::Forbidden => "forbidden",
            Self::MfaRequired => "mfa_required",
            Self::Store(error) => error.code(),
        }
    }
}
