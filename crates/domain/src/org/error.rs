use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::validation::ValidationError;

/// Why an organization use case failed. Each variant has a stable code (see `docs/errors.md`)
/// through [`DomainError`].
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// The org does not exist, the actor is not a member of it, or the actor's API token is
    /// pinned to another org: all three look the same, so ids of other tenants reveal nothing.
    #[error("organization not found")]
    NotFound,
    /// The actor is a member but may not do this: their role lacks `settings:write` (rename,
    /// update), or they are not the owner (delete).
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// [`OrgService::current`](super::OrgService::current) for an actor who belongs to no org
    /// and has chosen none.
    #[error("you belong to no organization yet: create one or accept an invitation")]
    NoActiveOrg,
    /// [`OrgService::current`](super::OrgService::current) when the org the session chose (or
    /// the token is pinned to) is one the actor no longer belongs to. The session is not moved
    /// to another tenant silently.
    #[error(
        "you no longer belong to this session's organization: choose another with \
         PUT /api/me/active-org"
    )]
    ActiveOrgUnavailable,
    /// Creating an org through an API token pinned to an org.
    #[error("this API token is pinned to one organization and cannot act beyond it")]
    TokenPinned,
    /// The org requires a second factor (`require_mfa`) and the actor has none; or the actor,
    /// without one, tries to turn `require_mfa` on, which would lock them out at once.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The input breaks a rule; its `field` names the part at fault. From the use cases
    /// themselves: a settings patch that would leave the org more than
    /// [`OrgSettings::MAX_KEYS`](super::OrgSettings::MAX_KEYS) settings.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed: `unavailable` when it could not be reached (worth retrying), `internal`
    /// otherwise.
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
