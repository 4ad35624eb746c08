use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::member::MemberError;
use crate::validation::ValidationError;

use super::ports::DnsError;

/// Why a domain use case failed. Each variant has a stable code (see `docs/errors.md`)
/// through [`DomainError`].
#[derive(Debug, thiserror::Error)]
pub enum DomainsError {
    /// The org does not exist, the actor is not a member, or their token is pinned to
    /// another org; also an org the caller may not join by domain. Code `org_not_found`.
    #[error("organization not found")]
    OrgNotFound,
    /// No domain with that id in this org. Code `domain_not_found`.
    #[error("domain not found")]
    NotFound,
    /// The actor's role lacks `settings:read` or `settings:write`. Code `forbidden`.
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// The org requires a second factor and the actor has none. Code `mfa_required`.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The org claims this domain already. Code `domain_exists`.
    #[error("this organization has added this domain already")]
    AlreadyAdded,
    /// The org claims [`MAX_DOMAINS_PER_ORG`](super::MAX_DOMAINS_PER_ORG) domains already.
    /// Code `domain_limit_reached`.
    #[error("this organization has the most domains allowed; remove one first")]
    LimitReached,
    /// Another org verified this domain: a verified domain belongs to one org at a time.
    /// Code `domain_taken`.
    #[error("another organization has verified this domain")]
    Taken,
    /// The TXT record was not found with the expected value, or the lookup failed; the
    /// message says which. Code `domain_verification_failed`.
    #[error("{0}")]
    VerificationFailed(String),
    /// Joining by domain needs a verified address. Code `email_unverified`.
    #[error("your e-mail address is not verified yet; follow the link in the e-mail we sent")]
    EmailUnverified,
    /// A rule shared with the member use cases refused: already a member, no free seat, the
    /// role (plan, unknown custom role, escalation). Kind and code are the wrapped error's.
    #[error(transparent)]
    Member(MemberError),
    /// The input breaks a rule; `field` names the part at fault.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DnsError> for DomainsError {
    fn from(error: DnsError) -> Self {
        Self::VerificationFailed(error.to_string())
    }
}

impl From<MemberError> for DomainsError {
    fn from(error: MemberError) -> Self {
        match error {
            MemberError::OrgNotFound => Self::OrgNotFound,
            MemberError::Forbidden => Self::Forbidden,
            MemberError::Store(error) => Self::Store(error),
            other => Self::Member(other),
        }
    }
}

impl From<AccessDenied> for DomainsError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) => Self::Forbidden,
            escalation @ AccessDenied::Escalation(_) => Self::Member(MemberError::from(escalation)),
        }
    }
}

impl DomainError for DomainsError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::OrgNotFound | Self::NotFound => ErrorKind::NotFound,
            Self::Forbidden | Self::MfaRequired | Self::EmailUnverified => ErrorKind::Forbidden,
            // The request is fine; DNS does not hold the record (yet): a state to wait out.
            Self::AlreadyAdded | Self::LimitReached | Self::Taken | Self::VerificationFailed(_) => {
                ErrorKind::Conflict
            }
            Self::Member(error) => error.kind(),
            Self::Invalid(error) => error.kind(),
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::OrgNotFound => "org_not_found",
            Self::NotFound => "domain_not_found",
            Self::Forbidden => "forbidden",
            Self::MfaRequired => "mfa_required",
            Self::AlreadyAdded => "domain_exists",
            Self::LimitReached => "domain_limit_reached",
            Self::Taken => "domain_taken",
            Self::VerificationFailed(_) => "domain_verification_failed",
            Self::EmailUnverified => "email_unverified",
            Self::Member(error) => error.code(),
            Self::Invalid(error) => error.code(),
            Self::Store(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Member(error) => error.field(),
            Self::Invalid(error) => error.field(),
            _ => None,
        }
    }
}
