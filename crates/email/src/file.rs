use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use tenantry_domain::mail::{Mail, MailError, Mailer};

use crate::message;

/// The development transport: writes each message as `<id>.eml` into a directory, creating it
/// if needed, and logs where it went, so a developer can open the very MIME message that SMTP
/// would have delivered.
pub struct FileOutbox {
    directory: PathBuf,
    from: Mailbox,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileOutbox {
    /// `from` is an address such as `Tenantry <no-reply@example.com>`.
    pub fn new(directory: impl Into<PathBuf>, from: &str) -> Result<Self, MailError> {
        let directory = directory.into();
        let from = message::sender(from)?;
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
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let (email, rendered) = message::build(&self.from, mail)?;
        let id = self.transport.send(email).await.map_err(|error| {
            MailError(format!(
                "cannot write to {}: {error}",
                self.directory.display()
            ))
        })?;
        tracing::info!(
            to = %mail.to,
            subject = %rendered.subject,
            file = %self.directory.join(format!("{id}.eml")).display(),
            "mail written to the development outbox"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tenantry_domain::mail::{InvitationMail, MailContent};
    use tenantry_domain::user::Email;
    use time::macros::datetime;

    use super::*;
    use crate::mime;

    fn invitation() -> Mail {
        Mail {
            to: Email::try_from("jane@example.com").unwrap(),
            content: MailContent::Invitation(InvitationMail {
                org_name: "Acme".into(),
                inviter_name: "Ada Lovelace".into(),
                role: "Member".into(),
                expires_at: datetime!(2026-12-08 10:00 UTC),
                link: "http://127.0.0.1:8080/invitations/abc?x=1".into(),
            }),
        }
    }

    #[tokio::test]
    async fn each_message_becomes_a_multipart_eml_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox =
            FileOutbox::new(dir.path().join("outbox"), "Tenantry <no-reply@example.com>").unwrap();
        outbox.send(&invitation()).await.unwrap();

        let files: Vec<_> = std::fs::read_dir(outbox.directory())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].extension().unwrap(), "eml");
        let eml = mime::parse(&std::fs::read_to_string(&files[0]).unwrap());
        assert_eq!(eml.header("To"), Some("jane@example.com"));
        assert_eq!(eml.header("From"), Some("Tenantry <no-reply@example.com>"));
        assert_eq!(
            eml.header("Subject"),
            Some("Ada Lovelace invited you to Acme on Tenantry")
        );
        assert!(
            eml.header("Content-Type")
                .unwrap()
                .starts_with("multipart/alternative"),
        );
        let link = "http://127.0.0.1:8080/invitations/abc?x=1";
        assert!(eml.part("text/plain").contains(link));
        assert!(
            eml.part("text/html")
                .contains(&format!(r#"<a href="{link}">"#))
        );
    }

    #[test]
    fn a_bad_sender_address_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        assert!(FileOutbox::new(dir.path(), "not an address").is_err());
    }
}
