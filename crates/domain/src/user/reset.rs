//! Password reset: a link mailed to an account's address lets whoever reads that mailbox set a
//! new password. Asking answers the same whether or not the address has an account; setting
//! one signs out every sign-in session of the account, and proves the address as a
//! verification link does.
//!
//! Anyone can sign up with an address they do not read. When its owner resets the password of
//! such an account (never verified before), whatever the squatter left is taken away too: its
//! API tokens and its second factor, which would otherwise outlive the reset and, once the
//! address is verified, act as the owner.

use time::Duration;
use tracing::instrument;

use super::error::AuthError;
use super::model::{Email, Password, User};
use super::service::AuthService;
use super::token::secret_type;
use crate::ids::UserId;
use crate::mail::{Mail, MailContent, PasswordResetMail};
use crate::ports::Transaction;

/// How long a reset link works: short, as whoever holds it can take the account over.
pub const PASSWORD_RESET_TTL: Duration = Duration::hours(1);

secret_type!(
    /// The secret in a password-reset link: single use, expiring, stored only as its hash.
    PasswordResetToken,
    "tpr_"
);

/// The path of the page that a reset link opens, under the public URL.
pub const RESET_PASSWORD_PATH: &str = "reset-password";

/// How long after a link is mailed no other is: repeated requests neither flood the mailbox
/// nor replace a link on its way to the owner.
pub const PASSWORD_RESET_INTERVAL: Duration = Duration::minutes(5);

/// The account key under which an [`AttemptLimit`](super::AttemptLimit) counts the reset
/// requests for `email`: apart from its sign-ins, so that someone asking for links does not
/// spend the owner's sign-in allowance. Both faces of the server key them so.
pub fn reset_attempt_key(email: &Email) -> String {
    format!("password-reset:{email}")
}

impl AuthService {
    /// Mails a reset link to `email` when an account has that address; otherwise does nothing,
    /// with the same answer. The account's earlier link stops working, unless it was mailed
    /// less than [`PASSWORD_RESET_INTERVAL`] ago: then nothing is sent.
    #[instrument(skip_all)]
    pub async fn request_password_reset(&self, email: &Email) -> Result<(), AuthError> {
        let tx = self.uow.begin().await?;
        let Some(found) = tx.users().find_user_by_email(email).await? else {
            return Ok(());
        };
        let user = found.user;
        let now = self.clock.now();
        let mailed_lately = tx
            .users()
            .password_reset_expiry(user.id)
            .await?
            .is_some_and(|expires_at| {
                expires_at - PASSWORD_RESET_TTL > now - PASSWORD_RESET_INTERVAL
            });
        if mailed_lately {
            return Ok(());
        }
        let token = PasswordResetToken::generate();
        let expires_at = now + PASSWORD_RESET_TTL;
        tx.users()
            .save_password_reset(user.id, &token.hash(), expires_at)
            .await?;
        let mail = Mail {
            to: user.email.clone(),
            content: MailContent::PasswordReset(PasswordResetMail {
                name: user.name.as_str().to_owned(),
                expires_at,
                link: format!(
                    "{}/{RESET_PASSWORD_PATH}/{}",
                    self.public_url,
                    token.expose()
                ),
            }),
        };
        tx.outbox().enqueue(&mail, None, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The address a reset token was sent to, without using it up: what the page a link opens
    /// shows (mail scanners open links, so only a POST resets).
    #[instrument(skip_all)]
    pub async fn password_reset_preview(
        &self,
        token: &PasswordResetToken,
    ) -> Result<Email, AuthError> {
        let tx = self.uow.read().await?;
        let user = live_reset(&*tx, token, self.clock.now()).await?;
        Ok(found_user(&*tx, user).await?.email)
    }

    /// Sets `password` on the account the token was sent to and uses the token up; ends every
    /// sign-in session of the account, and marks its address verified. An account whose address
    /// was verified before keeps its API tokens and second factor; one that was never verified
    /// may have been set up by someone else, and loses both. Refuses an unknown, used, replaced
    /// or expired token ([`AuthError::PasswordResetNotFound`]).
    #[instrument(skip_all)]
    pub async fn reset_password(
        &self,
        token: &PasswordResetToken,
        password: &Password,
    ) -> Result<User, AuthError> {
        // Checked before hashing, so a made-up token costs no hash; checked again below.
        live_reset(&*self.uow.read_one().await?, token, self.clock.now()).await?;
        let hash = self.hasher.hash(password).await?;
        let now = self.clock.now();
        let tx = self.uow.begin().await?;
        let id = live_reset(&*tx, token, now).await?;
        if !tx.users().delete_password_reset(&token.hash()).await? {
            return Err(AuthError::PasswordResetNotFound);
        }
        let user = found_user(&*tx, id).await?;
        let owned_before = tx.users().email_verified(id).await?;
        tx.users().set_password_hash(id, &hash).await?;
        tx.users().mark_email_verified(id, now).await?;
        tx.sessions()
            .delete_user_sessions(id, !owned_before)
            .await?;
        if !owned_before {
            tx.users().disable_totp(id).await?;
        }
        tx.commit().await?;
        // On this instance the ended sessions stop at once; elsewhere within the session
        // cache's time to live.
        self.sessions.forget_user(id);
        Ok(user)
    }
}

async fn live_reset(
    tx: &dyn Transaction,
    token: &PasswordResetToken,
    now: time::OffsetDateTime,
) -> Result<UserId, AuthError> {
    match tx.users().find_password_reset(&token.hash()).await? {
        Some((user, expires_at)) if now < expires_at => Ok(user),
        _ => Err(AuthError::PasswordResetNotFound),
    }
}

async fn found_user(tx: &dyn Transaction, id: UserId) -> Result<User, AuthError> {
    tx.users()
        .find_user(id)
        .await?
        .ok_or(AuthError::PasswordResetNotFound)
}
