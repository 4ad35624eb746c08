use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::validation::ValidationError;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("organization not found")]
    NotFound,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error("you belong to no organization yet: create one or accept an invitation")]
    NoActiveOrg,
    #[error(
        "you no longer belong to this session's organization: choose another with \
         PUT /api/me/active-org"
    )]
    ActiveOrgUnavailable,
    #[error("this API token is pinned to one organization and cannot act beyond it")]
    TokenPinned,
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessDenied> for OrgError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::NotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

impl DomainError for OrgError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::NotFound => ErrorKind::NotFound,
            Self::Forbidden | Self::TokenPinned => ErrorKind::Forbidden,
            Self::NoActiveOrg | Self::ActiveOrgUnavailable => ErrorKind::Conflict,
            Self::Invalid(error) => error.kind(),
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::MfaRequired => "mfa_required",
            Self::NotFound => "org_not_found",
            Self::Forbidden => "forbidden",
            Self::NoActiveOrg => "no_active_org",
            Self::TokenPinned => "token_pinned",
            Self::ActiveOrgUnavailable => "active_org_unavailable",
            Self::Invalid(error) => error.code(),
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
