//! What every domain error shares: a stable machine-readable code and a kind that the HTTP adapter
//! turns into a status. The domain knows no status codes.

/// The broad class of a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is well-formed but breaks a rule about its content.
    Invalid,
    /// No valid credentials were presented.
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// The thing does not exist, or the caller may not know that it does.
    NotFound,
    /// The request conflicts with the current state (a duplicate, a limit, an ownership rule).
    Conflict,
    /// The thing existed but is over for good (an invitation expired, revoked or used).
    Gone,
    /// Something outside the caller's control failed.
    Internal,
    /// The store could not be reached in time; the same request may succeed when sent again.
    Unavailable,
}

/// Implemented by every use case error.
pub trait DomainError: std::error::Error {
    /// The class of the failure, which the HTTP adapter maps to a status (`docs/errors.md`).
    fn kind(&self) -> ErrorKind;
    /// A stable snake_case code, documented in `docs/errors.md`.
    fn code(&self) -> &'static str;
    /// The request field at fault, when one is.
    fn field(&self) -> Option<&'static str> {
        None
    }
}

/// A failure of the storage port. Adapters translate their driver's errors into these.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule of the store was violated; the string names the rule.
    #[error("conflict with existing data: {0}")]
    Conflict(String),
    /// A row referred to by the write no longer exists.
    #[error("a referenced row does not exist: {0}")]
    MissingReference(String),
    /// No connection to the store could be had in time, or it went away: nothing was done.
    #[error("the store cannot be reached: {0}")]
    Unreachable(String),
    /// Anything else: disk full, a bug.
    #[error("storage failure: {0}")]
    Unavailable(String),
}

/// Also what a use case error wrapping a store failure answers, and what an adapter calling a
/// store port directly maps.
impl DomainError for StoreError {
    /// A store out of reach is [`ErrorKind::Unavailable`] (worth retrying), any other failure
    /// [`ErrorKind::Internal`].
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Unreachable(_) => ErrorKind::Unavailable,
            _ => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "unavailable",
            _ => "internal",
        }
    }
}
