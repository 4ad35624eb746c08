//! The MIME message every transport sends, so that the `.eml` files of development show
//! exactly what SMTP delivers.

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
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
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(plain(&rendered.text)),
                )
                .singlepart(SinglePart::html(rendered.html.clone())),
        )
        .map_err(|error| MailError(format!("cannot build the message: {error}")))?;
    Ok((message, rendered))
}

/// RFC 5322's limit on a line, without its CRLF.
const MAX_LINE: usize = 998;

/// The text part unencoded when it can be (ASCII, lines within the limit), so the link in an
/// `.eml` file of the development outbox can be copied as it stands. lettre would pick
/// quoted-printable for any line over 76 characters and break the link across lines.
fn plain(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if crlf.is_ascii()
        && !crlf.contains('\0')
        && crlf.split("\r\n").all(|line| line.len() <= MAX_LINE)
    {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(text.to_owned())
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

    #[test]
    fn an_ascii_link_stands_unbroken_in_the_raw_message() {
        let link =
            "http://127.0.0.1:8080/invitations/inv_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefgh";
        let mail = Mail {
            to: Email::try_from("jane@example.com").unwrap(),
            content: MailContent::Invitation(InvitationMail {
                org_name: "Acme".into(),
                inviter_name: "Ada".into(),
                role: "member".into(),
                expires_at: datetime!(2026-12-08 10:00 UTC),
                link: link.into(),
            }),
        };
        let (message, _) = build(&sender("no-reply@example.com").unwrap(), &mail).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains(link), "{raw}");
    }
}
