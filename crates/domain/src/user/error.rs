use crate::error::{DomainError, ErrorKind, StoreError};
use crate::user::HashingFailed;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    #[error("missing, malformed, expired or revoked bearer token")]
    Unauthenticated,
    #[error("organization not found")]
    OrgNotFound,
    #[error("this account has a second factor: send `code` from the authenticator app")]
    MfaCodeRequired,
    #[error("wrong e-mail, password or code")]
    InvalidMfaCode,
    #[error("the code is wrong, expired or already used")]
    WrongMfaCode,
    #[error("a second factor is already on; turn it off first")]
    MfaAlreadyEnabled,
    #[error("no second factor is being enrolled or on")]
    MfaNotEnrolled,
    #[error(transparent)]
    Seal(#[from] crate::integration::SealError),
    #[error("API token not found")]
    TokenNotFound,
    #[error("this API token is pinned to one organization and cannot act beyond it")]
    TokenPinned,
    #[error("only the organization's owner can make a service token, pinned to that organization")]
    ServiceTokenNeedsOwner,
    #[error("a service token can only check permissions")]
    ServiceTokenScope,
    #[error(transparent)]
    Hashing(#[from] HashingFailed),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError for AuthError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::EmailTaken => ErrorKind::Conflict,
            Self::InvalidCredentials
            | Self::Unauthenticated
            | Self::MfaCodeRequired
            | Self::InvalidMfaCode => ErrorKind::Unauthenticated,
            Self::WrongMfaCode => ErrorKind::Invalid,
            Self::MfaAlreadyEnabled | Self::MfaNotEnrolled => ErrorKind::Conflict,
            Self::Seal(_) => ErrorKind::Internal,
            Self::OrgNotFound | Self::TokenNotFound => ErrorKind::NotFound,
            Self::TokenPinned | Self::ServiceTokenNeedsOwner | Self::ServiceTokenScope => {
                ErrorKind::Forbidden
            }
            Self::Hashing(_) => ErrorKind::Internal,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthenticated => "unauthenticated",
            Self::OrgNotFound => "org_not_found",
            Self::MfaCodeRequired => "mfa_code_required",
            Self::InvalidMfaCode => "invalid_mfa_code",
            Self::WrongMfaCode => "validation_failed",
            Self::MfaAlreadyEnabled => "mfa_already_enabled",
            Self::MfaNotEnrolled => "mfa_not_enrolled",
            Self::Seal(_) => "internal",
            Self::TokenNotFound => "token_not_found",
            Self::TokenPinned => "token_pinned",
            Self::ServiceTokenNeedsOwner => "forbidden",
            Self::ServiceTokenScope => "service_token_scope",
            Self::Hashing(_) => "internal",
            Self::Store(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::WrongMfaCode => Some("code"),
            _ => None,
        }
    }
}
