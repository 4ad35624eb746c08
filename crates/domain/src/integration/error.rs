use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

use super::ports::SealError;
use crate::validation::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("integration not found")]
    NotFound,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessDenied> for IntegrationError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

impl DomainError for IntegrationError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::OrgNotFound | Self::NotFound => ErrorKind::NotFound,
            Self::Forbidden => ErrorKind::Forbidden,
            Self::Invalid(error) => error.kind(),
            Self::Seal(_) => ErrorKind::Internal,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::MfaRequired => "mfa_required",
            Self::OrgNotFound => "org_not_found",
            Self::NotFound => "integration_not_found",
            Self::Forbidden => "forbidden",
            Self::Invalid(error) => error.code(),
            Self::Seal(_) => "internal",
            Self::Store(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(error) => error.field(),
            _ => None,
        }
    }
}
