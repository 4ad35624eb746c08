use async_trait::async_trait;
use time::OffsetDateTime;

use super::model::{Email, Password, PasswordHash, User, UserWithPassword};
use super::token::{Session, TokenHash};
use crate::error::StoreError;
use crate::ids::{OrgId, SessionId, UserId};
use crate::integration::SealedCredentials;

/// Storage of accounts and of their second factor, reached through
/// [`Transaction::users`](crate::ports::Transaction::users).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the e-mail is taken.
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &PasswordHash,
    ) -> Result<(), StoreError>;
    /// The account with `id`; `None` when there is none.
    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The account of `email` (compared in its normalised form) with its password hash, for
    /// signing in; `None` when no account has that address.
    async fn find_user_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<UserWithPassword>, StoreError>;
    /// Sets the account's `last_login_at` to `at`.
    async fn record_login(&self, id: UserId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Whether the user has shown that they read their address's mailbox.
    async fn email_verified(&self, id: UserId) -> Result<bool, StoreError>;
    /// The account's TOTP secrets, sealed: the one in use and the one being enrolled.
    async fn totp(&self, id: UserId) -> Result<super::TotpState, StoreError>;
    /// Keeps `sealed` as the secret being enrolled (`None` forgets it).
    async fn set_pending_totp(
        &self,
        id: UserId,
        sealed: Option<SealedCredentials>,
    ) -> Result<(), StoreError>;
    /// Puts `sealed` in use from `at`, with `step` as the last code accepted.
    async fn enable_totp(
        &self,
        id: UserId,
        sealed: SealedCredentials,
        at: OffsetDateTime,
        step: u64,
    ) -> Result<(), StoreError>;
    /// Forgets the secret in use and any pending one, so the second factor is off.
    async fn disable_totp(&self, id: UserId) -> Result<(), StoreError>;
    /// Records that the code of `step` was accepted; false when it, or a later step's, already
    /// was (a replay), decided in one conditional write.
    async fn use_totp_step(&self, id: UserId, step: u64) -> Result<bool, StoreError>;
    /// Records that proof (the first time only).
    async fn mark_email_verified(&self, id: UserId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Keeps the hash of the account's e-mail verification token until `expires_at`,
    /// replacing the one it had: only the newest link works.
    async fn save_email_verification(
        &self,
        id: UserId,
        token: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The account a verification token was issued to, and when it expires; `None` for a
    /// token that is unknown, used or replaced.
    async fn find_email_verification(
        &self,
        token: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError>;
    /// Uses the token up; false when it was already gone, so of two requests racing with
    /// one token only one wins.
    async fn delete_email_verification(&self, token: &TokenHash) -> Result<bool, StoreError>;
    /// Keeps the hash of the account's password-reset token until `expires_at`, replacing the
    /// one it had: only the newest link works.
    async fn save_password_reset(
        &self,
        id: UserId,
        token: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The account a reset token was issued to, and when it expires; `None` for a token that
    /// is unknown, used or replaced.
    async fn find_password_reset(
        &self,
        token: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError>;
    /// Uses the reset token up; false when it was already gone.
    async fn delete_password_reset(&self, token: &TokenHash) -> Result<bool, StoreError>;
    /// When the account's live reset link, if it has one, expires.
    async fn password_reset_expiry(&self, id: UserId)
    -> Result<Option<OffsetDateTime>, StoreError>;
    /// Replaces the account's password hash.
    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError>;
}

/// Storage of bearer tokens, sign-in sessions and API tokens alike, found by the hash of their
/// secret; reached through [`Transaction::sessions`](crate::ports::Transaction::sessions).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new sign-in session or API token.
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session whose secret hashes to `token_hash`, expired or not: the caller compares
    /// `expires_at`.
    async fn find_session(&self, token_hash: &TokenHash) -> Result<Option<Session>, StoreError>;
    /// The session of `token_hash` with its account, in one read.
    async fn find_current_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<super::CurrentSession>, StoreError>;
    /// Deletes the session of `token_hash`, sign-in session or API token; none is no error.
    async fn delete_session(&self, token_hash: &TokenHash) -> Result<(), StoreError>;
    /// Makes `org` the session's active org. The caller has checked the membership.
    async fn set_active_org(&self, token_hash: &TokenHash, org: OrgId) -> Result<(), StoreError>;
    /// The user's API tokens (named sessions), oldest first, expired ones included.
    async fn list_api_tokens(&self, user: UserId) -> Result<Vec<Session>, StoreError>;
    /// Deletes the user's API token `id`; false when there is none.
    async fn delete_api_token(&self, user: UserId, id: SessionId) -> Result<bool, StoreError>;
    /// Drops at most `limit` sessions of anyone that expired before `now`; returns how many.
    async fn sweep_expired_sessions(
        &self,
        now: OffsetDateTime,
        limit: u64,
    ) -> Result<u64, StoreError>;
    /// Deletes the user's sign-in sessions, and their API and service tokens too when
    /// `tokens_too`; returns how many.
    async fn delete_user_sessions(&self, user: UserId, tokens_too: bool)
    -> Result<u64, StoreError>;
    /// Drops the user's sessions that expired before `now`; returns how many.
    async fn delete_expired_sessions(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

/// Password hashing, a port because it is deliberately slow: the server runs it off the
/// request threads, tests replace it.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a new password with a fresh salt, as a PHC string.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashingFailed>;
    /// `false` for a wrong password and for a hash that cannot be parsed.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> bool;
}

/// The hasher could not run; the text is the cause, for the log. Surfaces as
/// [`AuthError::Hashing`](crate::user::AuthError::Hashing), an internal error.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingFailed(pub String);

/// Limits attempts that could guess a secret (a password at sign-in, an account at sign-up,
/// an invitation's token): the adapter that keeps the counts implements it. Both faces of the
/// server, the API and the console, share one instance, so an attempt through either counts
/// against the same allowance.
pub trait AttemptLimit: Send + Sync {
    /// Takes one attempt from `client`'s allowance and, if given, from `account`'s (an e-mail
    /// address, or a user id once signed in); `Err` holds the seconds to wait when either is
    /// spent.
    fn attempt(&self, client: Option<std::net::IpAddr>, account: Option<&str>) -> Result<(), u64>;
}
