use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

use crate::integration::SealError;
use crate::validation::ValidationError;

/// Why a webhook use case failed. Each variant has a stable code (see `docs/errors.md`)
/// through [`DomainError`].
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The org does not exist, the actor is not a member of it, or the actor's API token is
    /// pinned to another org: all three look the same, so ids of other tenants reveal nothing.
    #[error("organization not found")]
    OrgNotFound,
    /// No webhook with that id in this org; an id of another tenant's webhook gets this too.
    #[error("webhook not found")]
    NotFound,
    /// The org already has [`MAX_WEBHOOKS_PER_ORG`](super::MAX_WEBHOOKS_PER_ORG) webhooks.
    #[error("this organization already has the most webhooks allowed")]
    LimitReached,
    /// The actor is a member but their role lacks `settings:write`.
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// The org requires a second factor (`require_mfa`) and the actor has none.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The input breaks a rule; its `field` names the part at fault. From the use cases
    /// themselves: a URL whose host may not be reached (field `url`).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The [`Sealer`](crate::integration::Sealer) could not seal the secret; nothing was stored.
    /// Reported as `internal`, without the cause.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The store failed: `unavailable` when it could not be reached (worth retrying), `internal`
    /// otherwise.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessDenied> for WebhookError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

impl DomainError for WebhookError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::OrgNotFound | Self::NotFound => ErrorKind::NotFound,
            Self::LimitReached => ErrorKind::Conflict,
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
            Self::NotFound => "webhook_not_found",
            Self::LimitReached => "webhook_limit_reached",
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
