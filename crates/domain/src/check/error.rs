use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

/// Why a permission check could not be answered (a refused permission is an answer, not an
/// error).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The org does not exist, or the caller is not a member of it (or their API token is
    /// pinned to another org): a stranger learns nothing, not even about themselves.
    #[error("organization not found")]
    OrgNotFound,
    /// The caller asked about another user without holding `members:read`, and not through a
    /// service token.
    #[error("checking another member's permissions needs members:read")]
    Forbidden,
    /// The org requires a second factor and the caller has none turned on.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The store failed; [`StoreError::Unreachable`] is worth retrying.
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
