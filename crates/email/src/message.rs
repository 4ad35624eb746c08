//! The MIME message every transport sends, so that the `.eml` files of development show
//! exactly what SMTP delivers.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use tenantry_domain::mail::{Mail, MailError};

use crate::render::{Rendered, render};

/// Parses a configured sender such as `Tenantry <no-reply@example.com>`.
pub(crate) fn sender(from: &str) -> Result<Mailbox, MailError> {
    from.parse()
        .map_err(|error| MailError(format!("invalid sender address `{from}`: {error}")))
}

/// Renders `mail` and wraps it as `multipart/alternative` (plain text first, so clients that
/// prefer the last part they can show pick the HTML).
pub(crate) fn build(from: &Mailbox, mail: &Mail) -> Result<(Message, Rendered), MailError> {
    let to: Mailbox = mail
        .to
        .as_str()
        .parse()
        .map_err(|error| MailError(format!("invalid recipient `{}`: {error}", mail.to)))?;
    let rendered = render(mail);
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(rendered.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|error| MailError(format!("cannot build the message: {error}")))?;
    Ok((message, rendered))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tenantry_domain::mail::{InvitationMail, MailContent};
    use tenantry_domain::user::Email;
    use time::macros::datetime;

    use super::*;
    use crate::mime;

    #[test]
    fn a_line_break_in_a_name_cannot_add_a_header() {
        let mail = Mail {
            to: Email::try_from("jane@example.com").unwrap(),
            content: MailContent::Invitation(InvitationMail {
                org_name: "Acme\r\nBcc: victim@example.com".into(),
                inviter_name: "Ada".into(),
                role: "Member".into(),
                expires_at: datetime!(2026-12-08 10:00 UTC),
                link: "https://tenantry.example/invitations/abc".into(),
            }),
        };
        let (message, _) = build(&sender("no-reply@example.com").unwrap(), &mail).unwrap();

        let raw = String::from_utf8(message.formatted()).unwrap();
        let parsed = mime::parse(&raw);
        assert_eq!(parsed.header("Bcc"), None, "{raw}");
        assert!(
            parsed
                .header("Subject")
                .unwrap()
                .starts_with("Ada invited you to")
        );
    }
}
