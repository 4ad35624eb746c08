//! Adapters of the domain's [`Mailer`] port.
//!
//! [`FileOutbox`] is the development transport: every message becomes an `.eml` file in a
//! directory (open it with any mail client) and a log line. SMTP delivery comes with invitations.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use tenantry_domain::mail::{MailError, Mailer, OutgoingEmail};

/// Writes each message as `<id>.eml` into a directory, creating it if needed.
pub struct FileOutbox {
    directory: PathBuf,
    from: Mailbox,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileOutbox {
    /// `from` is an address such as `Tenantry <no-reply@example.com>`.
    pub fn new(directory: impl Into<PathBuf>, from: &str) -> Result<Self, MailError> {
        let directory = directory.into();
        let from = from
            .parse()
            .map_err(|error| MailError(format!("invalid sender address `{from}`: {error}")))?;
        std::fs::create_dir_all(&directory).map_err(|error| {
            MailError(format!("cannot create {}: {error}", directory.display()))
        })?;
        Ok(Self {
            transport: AsyncFileTransport::new(&directory),
            directory,
            from,
        })
    }

    pub fn directory(&self) -> &Path {
        &self.directory
    }
}

#[async_trait]
impl Mailer for FileOutbox {
    async fn send(&self, message: &OutgoingEmail) -> Result<(), MailError> {
        let to: Mailbox = message
            .to
            .as_str()
            .parse()
            .map_err(|error| MailError(format!("invalid recipient: {error}")))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone())
            .map_err(|error| MailError(error.to_string()))?;
        let id = self
            .transport
            .send(email)
            .await
            .map_err(|error| MailError(error.to_string()))?;
        tracing::info!(
            to = %message.to,
            subject = %message.subject,
            file = %self.directory.join(format!("{id}.eml")).display(),
            "mail written to the development outbox"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tenantry_domain::user::Email;

    use super::*;

    #[tokio::test]
    async fn each_message_becomes_an_eml_file_with_its_headers_and_body() {
        let dir = tempfile::tempdir().unwrap();
        let outbox =
            FileOutbox::new(dir.path().join("outbox"), "Tenantry <no-reply@example.com>").unwrap();
        let message = OutgoingEmail {
            to: Email::try_from("jane@example.com").unwrap(),
            subject: "You are invited".into(),
            text: "Join at http://127.0.0.1:8080/join/abc".into(),
        };
        outbox.send(&message).await.unwrap();

        let files: Vec<_> = std::fs::read_dir(outbox.directory())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let eml = std::fs::read_to_string(&files[0]).unwrap();
        assert!(eml.contains("To: jane@example.com"), "{eml}");
        assert!(eml.contains("Subject: You are invited"), "{eml}");
        assert!(eml.contains("http://127.0.0.1:8080/join/abc"), "{eml}");
    }

    #[test]
    fn a_bad_sender_address_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        assert!(FileOutbox::new(dir.path(), "not an address").is_err());
    }
}
