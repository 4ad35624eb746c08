//! Accounts, passwords and the bearer tokens issued at sign-in.

mod api_token;
mod error;
mod mfa;
mod model;
mod ports;
mod reset;
mod service;
mod session_cache;
#[cfg(test)]
mod tests;
mod token;
mod totp;
mod verification;

pub use api_token::{ApiToken, IssuedApiToken, NewApiToken, TokenLifetime, TokenName};
pub use error::AuthError;
pub use mfa::{TotpEnrolment, TotpState};
pub use model::{Email, NewAccount, Password, PasswordHash, User, UserName, UserWithPassword};
pub use ports::{AttemptLimit, HashingFailed, PasswordHasher, SessionRepository, UserRepository};
pub use reset::{
    PASSWORD_RESET_INTERVAL, PASSWORD_RESET_TTL, PasswordResetToken, RESET_PASSWORD_PATH,
    reset_attempt_key,
};
pub(crate) use service::issue_session;
pub use service::{AuthService, Me, MyMembership, SignedIn};
pub(crate) use session_cache::SessionCache;
pub use session_cache::{CurrentSession, SESSION_CACHE_CAPACITY};
pub use token::{Session, SessionToken, TokenHash};
pub(crate) use token::{random_secret, secret_type};
pub use totp::TotpSecret;
pub use verification::{EMAIL_VERIFICATION_TTL, EmailVerificationToken, VERIFY_EMAIL_PATH};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockPasswordHasher, MockSessionRepository, MockUserRepository};
