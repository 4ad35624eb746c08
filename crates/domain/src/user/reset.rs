//! Password reset: a link mailed to an account's address lets whoever reads that mailbox set a
//! new password. Asking never tells whether the address has an account; setting one signs out
//! every sign-in session of the account, and proves the address as a verification link does.

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

impl AuthService {
    /// Mails a reset link to `email` when an account has that address; otherwise does nothing,
    /// and the caller cannot tell which happened. The account's earlier link stops working.
    #[instrument(skip_all)]
    pub async fn request_password_reset(&self, email: &Email) -> Result<(), AuthError> {
        // A write transaction either way, so that both answers take about as long.
        let tx = self.uow.begin().await?;
        let Some(found) = tx.users().find_user_by_email(email).await? else {
            return Ok(());
        };
        let user = found.user;
        let now = self.clock.now();
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
    /// sign-in session of the account (API tokens stay: they are listed and revoked at
    /// `/api/me/tokens`), and marks its address verified. Refuses an unknown, used, replaced
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
        tx.users().set_password_hash(id, &hash).await?;
        tx.users().mark_email_verified(id, now).await?;
        tx.sessions().delete_sign_in_sessions(id).await?;
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
