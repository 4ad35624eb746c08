use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("organization not found")]
    NotFound,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AccessDenied> for OrgError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::NotFound,
            AccessDenied::Lacks(_) | AccessDenied::Escalation(_) => Self::Forbidden,
        }
    }
}

impl DomainError for OrgError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound => ErrorKind::NotFound,
            Self::Forbidden => ErrorKind::Forbidden,
            Self::Store(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "org_not_found",
            Self::Forbidden => "forbidden",
            Self::Store(_) => "internal",
        }
    }
}
