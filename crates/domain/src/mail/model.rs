use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::user::Email;

/// One message to one recipient. The content is structured, not rendered: the mail adapter
/// owns the wording and the HTML, so the domain never builds markup and queued messages are
/// rendered by the templates in force when they are sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub content: MailContent,
}

/// What a message says; stored in the outbox as JSON tagged by `template`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailContent {
    Invitation(InvitationMail),
}

/// "`inviter` invited you to join `org` as `role`", with the link that accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationMail {
    pub org_name: String,
    pub inviter_name: String,
    /// The role's human-readable name.
    pub role: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Absolute: `$TENANTRY_PUBLIC_URL/invitations/<token>`.
    pub link: String,
}

#[derive(Debug, thiserror::Error)]
#[error("mail delivery failed: {0}")]
pub struct MailError(pub String);

/// A mail transport. `send` returns once the message is handed over (accepted by the SMTP
/// server, written to disk); an error means it was not, and it will be tried again.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
