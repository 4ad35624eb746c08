//! The wording and markup of every message. The domain hands over structured content, so this
//! is the only place that decides what a recipient reads.

use maud::{DOCTYPE, Markup, html};
use tenantry_domain::mail::{
    EmailVerificationMail, InvitationMail, Mail, MailContent, PasswordResetMail,
};
use time::{OffsetDateTime, UtcOffset};

/// A message ready for a transport: both bodies carry the same information, so a client that
/// shows only the plain-text part loses nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub fn render(mail: &Mail) -> Rendered {
    match &mail.content {
        MailContent::Invitation(invitation) => invitation_mail(invitation),
        MailContent::EmailVerification(verification) => verification_mail(verification),
        MailContent::PasswordReset(reset) => reset_mail(reset),
    }
}

fn reset_mail(reset: &PasswordResetMail) -> Rendered {
    account_link(&AccountLink {
        subject: "Set a new password for Tenantry",
        name: &reset.name,
        text_intro: "Someone asked to set a new password for your account. Open this link to \
                     choose one:",
        html_intro: "Someone asked to set a new password for your account.",
        button: "Choose a new password",
        link: &reset.link,
        expires_at: reset.expires_at,
        after_expiry: ", once. Setting a password signs you out everywhere. If you did not ask, \
                       ignore this e-mail: your password stays as it is.",
    })
}

fn verification_mail(verification: &EmailVerificationMail) -> Rendered {
    account_link(&AccountLink {
        subject: "Verify your e-mail address for Tenantry",
        name: &verification.name,
        text_intro: "Confirm that this is your address by opening this link:",
        html_intro: "Confirm that this is your address:",
        button: "Verify my address",
        link: &verification.link,
        expires_at: verification.expires_at,
        after_expiry: ". If you did not sign up for Tenantry, you can ignore this e-mail.",
    })
}

/// A message that hands an account's holder one link, good until a time: the verification of
/// an address, a password reset.
struct AccountLink<'a> {
    subject: &'static str,
    name: &'a str,
    /// What the link is for, before it in the plain-text part.
    text_intro: &'static str,
    /// The same, before the button in the HTML part.
    html_intro: &'static str,
    button: &'static str,
    link: &'a str,
    expires_at: OffsetDateTime,
    /// What follows "The link works until <time>".
    after_expiry: &'static str,
}

fn account_link(mail: &AccountLink<'_>) -> Rendered {
    let AccountLink {
        subject,
        name,
        text_intro,
        html_intro,
        button,
        link,
        expires_at,
        after_expiry,
    } = mail;
    let expiry = utc_minutes(*expires_at);
    let text = format!(
        "Hello {name},\n\n{text_intro}\n{link}\n\nThe link works until {expiry}{after_expiry}\n"
    );
    let html = page(
        subject,
        html! {
            p { "Hello " (name) "," }
            p { (html_intro) }
            p {
                a href=(link) style=(BUTTON_STYLE) { (button) }
            }
            p { "Or open this link:" br; a href=(link) { (link) } }
            p style=(FOOTNOTE_STYLE) { "The link works until " (expiry) (after_expiry) }
        },
    );
    Rendered {
        subject: (*subject).to_owned(),
        text,
        html: html.into_string(),
    }
}

fn invitation_mail(invitation: &InvitationMail) -> Rendered {
    let InvitationMail {
        org_name,
        inviter_name,
        role,
        expires_at,
        link,
    } = invitation;
    let expiry = utc_minutes(*expires_at);
    let subject = format!("{inviter_name} invited you to {org_name} on Tenantry");
    let text = format!(
        "Hello,\n\n\
         {inviter_name} invited you to join {org_name} on Tenantry as {role}.\n\n\
         Accept the invitation:\n{link}\n\n\
         The invitation expires on {expiry}. If you did not expect it, you can ignore this \
         e-mail.\n"
    );
    let html = page(
        &subject,
        html! {
            p { "Hello," }
            p {
                strong { (inviter_name) } " invited you to join " strong { (org_name) }
                " on Tenantry as " strong { (role) } "."
            }
            p {
                a href=(link) style=(BUTTON_STYLE) { "Accept the invitation" }
            }
            p { "Or open this link:" br; a href=(link) { (link) } }
            p style=(FOOTNOTE_STYLE) {
                "The invitation expires on " (expiry)
                ". If you did not expect it, you can ignore this e-mail."
            }
        },
    );
    Rendered {
        subject,
        text,
        html: html.into_string(),
    }
}

// Mail clients strip <style> blocks and block remote resources, so styling stays inline.
const BODY_STYLE: &str = "font-family: Arial, Helvetica, sans-serif; font-size: 15px; \
                          line-height: 1.5; color: #1f2933; max-width: 560px; margin: 0 auto; \
                          padding: 24px;";
const BUTTON_STYLE: &str = "display: inline-block; padding: 10px 18px; background: #2f5fd0; \
                            color: #ffffff; text-decoration: none; border-radius: 4px;";
const FOOTNOTE_STYLE: &str = "color: #616e7c; font-size: 13px;";

fn page(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
            }
            body style=(BODY_STYLE) { (content) }
        }
    }
}

/// Recipients live in every time zone; UTC, said so, is unambiguous for all of them.
fn utc_minutes(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tenantry_domain::user::Email;
    use time::macros::datetime;

    use super::*;

    fn invitation(org_name: &str, inviter_name: &str) -> Mail {
        Mail {
            to: Email::try_from("jane@example.com").unwrap(),
            content: MailContent::Invitation(InvitationMail {
                org_name: org_name.into(),
                inviter_name: inviter_name.into(),
                role: "Admin".into(),
                // Not UTC on purpose: the mail must say the UTC time.
                expires_at: datetime!(2026-12-08 11:00 +01:00),
                link: "https://tenantry.example/invitations/tok3n?ref=mail&x=1".into(),
            }),
        }
    }

    #[test]
    fn the_subject_names_the_inviter_and_the_organization() {
        let rendered = render(&invitation("Acme", "Ada Lovelace"));
        assert_eq!(
            rendered.subject,
            "Ada Lovelace invited you to Acme on Tenantry"
        );
    }

    #[test]
    fn both_parts_say_who_where_which_role_until_when_and_the_link() {
        let rendered = render(&invitation("Acme", "Ada Lovelace"));
        for part in [&rendered.text, &rendered.html] {
            assert!(part.contains("Acme"), "{part}");
            assert!(part.contains("Ada Lovelace"), "{part}");
            assert!(part.contains("Admin"), "{part}");
            assert!(part.contains("2026-12-08 10:00 UTC"), "{part}");
        }
        let link = "https://tenantry.example/invitations/tok3n?ref=mail&x=1";
        assert!(rendered.text.contains(link), "{}", rendered.text);
        let escaped = "https://tenantry.example/invitations/tok3n?ref=mail&amp;x=1";
        assert!(
            rendered.html.contains(&format!(r#"href="{escaped}""#)),
            "{}",
            rendered.html
        );
        assert!(
            rendered.html.contains(&format!(">{escaped}</a>")),
            "the link is also visible text: {}",
            rendered.html
        );
    }

    #[test]
    fn names_are_escaped_in_html_and_left_alone_in_text() {
        let hostile = r#"<script>alert(1)</script> & "Co""#;
        let rendered = render(&invitation(hostile, hostile));

        assert!(!rendered.html.contains("<script"), "{}", rendered.html);
        assert!(
            rendered
                .html
                .contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"),
            "{}",
            rendered.html
        );
        assert!(rendered.text.contains(hostile), "{}", rendered.text);
        assert_eq!(
            rendered.subject,
            format!("{hostile} invited you to {hostile} on Tenantry")
        );
    }

    #[test]
    fn a_verification_mail_carries_its_link_and_escapes_the_name() {
        let mail = Mail {
            to: Email::try_from("jane@example.com").unwrap(),
            content: MailContent::EmailVerification(EmailVerificationMail {
                name: "<b>Jane</b>".into(),
                expires_at: datetime!(2026-12-08 11:00 +01:00),
                link: "https://tenantry.example/verify-email/tev_abc".into(),
            }),
        };
        let rendered = render(&mail);
        assert_eq!(rendered.subject, "Verify your e-mail address for Tenantry");
        for part in [&rendered.text, &rendered.html] {
            assert!(
                part.contains("https://tenantry.example/verify-email/tev_abc"),
                "{part}"
            );
            assert!(part.contains("2026-12-08 10:00 UTC"), "{part}");
        }
        assert!(rendered.text.contains("<b>Jane</b>"));
        assert!(
            rendered.html.contains("&lt;b&gt;Jane&lt;/b&gt;"),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn a_reset_mail_carries_its_link_and_says_what_setting_a_password_does() {
        let mail = Mail {
            to: Email::try_from("jane@example.com").unwrap(),
            content: MailContent::PasswordReset(PasswordResetMail {
                name: "Jane".into(),
                expires_at: datetime!(2026-12-08 11:00 +01:00),
                link: "https://tenantry.example/reset-password/tpr_abc".into(),
            }),
        };
        let rendered = render(&mail);
        assert_eq!(rendered.subject, "Set a new password for Tenantry");
        for part in [&rendered.text, &rendered.html] {
            assert!(
                part.contains("https://tenantry.example/reset-password/tpr_abc"),
                "{part}"
            );
            assert!(part.contains("2026-12-08 10:00 UTC, once."), "{part}");
            assert!(part.contains("signs you out everywhere"), "{part}");
        }
    }

    #[test]
    fn the_html_loads_nothing_from_elsewhere() {
        let html = render(&invitation("Acme", "Ada")).html;
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        for external in ["<img", "<link", "<script", "src="] {
            assert!(!html.contains(external), "{external} in {html}");
        }
    }
}
