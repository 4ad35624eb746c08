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
            Self::OrgNotFound => ErrorKind::NotFound,
            Self::Hashing(_) | Self::Store(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::EmailTaken => "email_taken",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthenticated => "unauthenticated",
            Self::OrgNotFound => "org_not_found",
            Self::Hashing(_) | Self::Store(_) => "internal",
        }
    }
}
