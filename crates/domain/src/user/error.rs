use crate::error::{DomainError, ErrorKind, StoreError};
use crate::user::HashingFailed;

/// Why a use case of [`AuthService`](crate::user::AuthService) failed: signing up or in, bearer
/// tokens, API tokens or the second factor. [`DomainError`] gives each variant its [`ErrorKind`]
/// and its API code.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Sign-up with an e-mail that already has an account (compared after normalisation).
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    /// Sign-in with an unknown e-mail or a wrong password; the two are not told apart. Adapters
    /// return it too for an e-mail that does not parse or a password that
    /// [`Password::presented`](crate::user::Password::presented) refuses.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// The bearer token is unknown, expired or revoked, or the caller's account no longer exists.
    /// A missing or malformed token never reaches this crate; the HTTP adapter answers it with
    /// the same code, `unauthenticated`.
    #[error("missing, malformed, expired or revoked bearer token")]
    Unauthenticated,
    /// The org does not exist or the caller is not a member of it: the `org` of a sign-in (checked
    /// only once the password was right), of a new API token, or of a switch of active org, where
    /// a token pinned to another org gets this too.
    #[error("organization not found")]
    OrgNotFound,
    /// Sign-in with the right password for an account with a second factor, but without a code.
    #[error("this account has a second factor: send `code` from the authenticator app")]
    MfaCodeRequired,
    /// Sign-in with a second-factor code that is malformed, outside the accepted time steps, or of
    /// a step already used. Unauthenticated, where [`Self::WrongMfaCode`] is a validation failure.
    #[error("wrong e-mail, password or code")]
    InvalidMfaCode,
    /// Confirming or turning off TOTP with a code that is malformed or outside the accepted time
    /// steps, or (when turning off) of a step already used. A validation failure of the field
    /// `code`.
    #[error("the code is wrong, expired or already used")]
    WrongMfaCode,
    /// Starting or confirming TOTP enrolment while a second factor is on.
    #[error("a second factor is already on; turn it off first")]
    MfaAlreadyEnabled,
    /// Confirming TOTP with no pending secret, or turning it off while it is not on. Also a
    /// sign-in to an account marked as having a second factor whose secret is missing.
    #[error("no second factor is being enrolled or on")]
    MfaNotEnrolled,
    /// A TOTP secret could not be sealed or opened: a wrong key, a stored value altered or moved
    /// to another account, or one that holds no secret. Internal.
    #[error(transparent)]
    Seal(#[from] crate::integration::SealError),
    /// Revoking an API token that is not one of the caller's (a sign-in session is not an API
    /// token), or, through a pinned token, one not pinned to the same org.
    #[error("API token not found")]
    TokenNotFound,
    /// Through a token pinned to one org, making an API token that is unpinned or pinned to
    /// another org.
    #[error("this API token is pinned to one organization and cannot act beyond it")]
    TokenPinned,
    /// Making a service token without an org to pin it to, or in an org the caller does not own.
    /// Its API code is the general `forbidden`.
    #[error("only the organization's owner can make a service token, pinned to that organization")]
    ServiceTokenNeedsOwner,
    /// A service token used for anything but a permission check. The use cases of this crate do
    /// not raise it; the adapter that admits requests does.
    #[error("a service token can only check permissions")]
    ServiceTokenScope,
    /// A verification link whose token is unknown, used, replaced by a newer one or expired.
    /// Ask for a new one (`POST /api/me/email/verify`).
    #[error("this verification link is unknown, used or expired; ask for a new one")]
    VerificationNotFound,
    /// A password-reset link whose token is unknown, used, replaced by a newer one or expired.
    /// Ask for a new one (`POST /api/auth/password-reset`).
    #[error("this password-reset link is unknown, used or expired; ask for a new one")]
    PasswordResetNotFound,
    /// Asking for a verification link for an address that is verified already.
    #[error("this e-mail address is verified already")]
    EmailAlreadyVerified,
    /// The password hasher failed. Internal.
    #[error(transparent)]
    Hashing(#[from] HashingFailed),
    /// The store failed; the variant keeps the store error's own kind and code.
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
            Self::OrgNotFound
            | Self::TokenNotFound
            | Self::VerificationNotFound
            | Self::PasswordResetNotFound => ErrorKind::NotFound,
            Self::EmailAlreadyVerified => ErrorKind::Conflict,
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
            Self::VerificationNotFound => "verification_not_found",
            Self::PasswordResetNotFound => "password_reset_not_found",
            Self::EmailAlreadyVerified => "email_already_verified",
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
