use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::user::Email;

/// One message to one recipient. The content is structured, not rendered: the mail adapter
/// owns the wording and the HTML, so the domain never builds markup and queued messages are
/// rendered by the templates in force when they are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    /// The recipient; for an invitation, the invited address.
    pub to: Email,
    /// What the message says, for the adapter to render.
    pub content: MailContent,
}

/// What a message says; stored in the outbox as JSON tagged by `template`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailContent {
    /// An invitation by e-mail to join an org; tagged `invitation`.
    Invitation(InvitationMail),
    /// "Confirm your e-mail address", with the link that does; tagged `email_verification`.
    EmailVerification(EmailVerificationMail),
    /// "Set a new password", with the link that does; tagged `password_reset`.
    PasswordReset(PasswordResetMail),
}

/// The link that sets a new password, sent on request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetMail {
    /// The account's name when the message was queued.
    pub name: String,
    /// When the link stops working. RFC 3339 in the outbox.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Absolute: `$TENANTRY_PUBLIC_URL/reset-password/<token>`.
    pub link: String,
}

/// The link that confirms a new account's address, sent at sign-up and on request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailVerificationMail {
    /// The account's name when the message was queued.
    pub name: String,
    /// When the link stops working. RFC 3339 in the outbox.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Absolute: `$TENANTRY_PUBLIC_URL/verify-email/<token>`.
    pub link: String,
}

/// "`inviter` invited you to join `org` as `role`", with the link that accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationMail {
    /// The org's name when the message was queued.
    pub org_name: String,
    /// The inviter's name when the message was queued.
    pub inviter_name: String,
    /// The role's human-readable name.
    pub role: String,
    /// When the link stops working: the invitation's expiry. RFC 3339 in the outbox.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Absolute: `$TENANTRY_PUBLIC_URL/invitations/<token>`.
    pub link: String,
}

/// A [`Mailer`] could not hand a message over; the text says why. The delivery worker logs
/// it and stores it as the message's last error, then tries again later.
#[derive(Debug, thiserror::Error)]
#[error("mail delivery failed: {0}")]
pub struct MailError(pub String);

/// A mail transport. `send` returns once the message is handed over (accepted by the SMTP
/// server, written to disk); an error means it was not, and it will be tried again.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands `mail` over. The same message may come again after a crash (delivery is at
    /// least once). A call should give up within a bounded time: the worker's
    /// [`RetryPolicy::lease`](crate::mail::RetryPolicy::lease) must outlast a whole batch, or
    /// another worker takes the messages still being sent.
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
