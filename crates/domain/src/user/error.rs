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
    #[error("API token not found")]
    TokenNotFound,
    #[error("this API token is pinned to one organization and cannot act beyond it")]
    TokenPinned,
    #[error(transparent)]
    Hashing(#[from] HashingFailed),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError for AuthError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::EmailTaken => ErrorKind::Conflict,
            Self::InvalidCredentials | Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::OrgNotFound | Self::TokenNotFound => ErrorKind::NotFound,
            Self::TokenPinned => ErrorKind::Forbidden,
            Self::Hashing(_) | Self::Store(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthenticated => "unauthenticated",
            Self::OrgNotFound => "org_not_found",
            Self::TokenNotFound => "token_not_found",
            Self::TokenPinned => "token_pinned",
            Self::Hashing(_) | Self::Store(_) => "internal",
        }
    }
}
