//! The outgoing-mail port. Use cases queue messages; adapters (SMTP, a development outbox)
//! deliver them.

use async_trait::async_trait;

use crate::user::Email;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: Email,
    pub subject: String,
    /// Plain text; links are absolute, built from the configured public URL.
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("mail delivery failed: {0}")]
pub struct MailError(pub String);

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: &OutgoingEmail) -> Result<(), MailError>;
}
