//! What a form did, shown on the page it leads back to. A form posts, the server acts, then
//! redirects (303) to a page with `?done=<what>` or `?error=<code>`; the page looks the word
//! up here, so no text of the request is ever echoed into a page.

use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{Markup, html};
use serde::Deserialize;
use tenantry_domain::error::{DomainError, ErrorKind};

/// The query a page reads its banner from.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Flash {
    pub(crate) done: Option<String>,
    pub(crate) error: Option<String>,
}

/// Back to `to` with what was done.
pub(crate) fn done(to: &str, what: &str) -> HttpResponse {
    see(to, "done", what)
}

/// Back to `to` with what a use case did: `done` when it succeeded, its error otherwise.
pub(crate) fn outcome<T, E: DomainError + std::fmt::Display>(
    to: &str,
    result: Result<T, E>,
    done: &str,
) -> HttpResponse {
    match result {
        Ok(_) => self::done(to, done),
        Err(error) => failed(to, &error),
    }
}

/// Back to `to` with why it failed: the use case's stable error code. A refusal of the
/// caller (a role without the permission, an org or thing they may not see) is no form
/// mistake: it is answered with its status (403, 404) as a page, like a forged post.
pub(crate) fn failed(to: &str, error: &(impl DomainError + std::fmt::Display)) -> HttpResponse {
    let refused = match error.kind() {
        ErrorKind::NotFound | ErrorKind::Internal | ErrorKind::Unavailable => true,
        // A plan or an escalation rule is explained on the page; a role without the
        // permission is a request the page never offered.
        ErrorKind::Forbidden => error.code() == "forbidden",
        _ => false,
    };
    if refused {
        actix_web::ResponseError::error_response(&crate::pages::Refused::from_domain(error))
    } else {
        see(to, "error", error.code())
    }
}

/// Back to `to` with `code`, for a refusal the console decides itself, before any use case
/// (a typed confirmation that does not match).
pub(crate) fn refused(to: &str, code: &str) -> HttpResponse {
    see(to, "error", code)
}

fn see(to: &str, key: &str, value: &str) -> HttpResponse {
    let separator = if to.contains('?') { '&' } else { '?' };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{to}{separator}{key}={value}")))
        .finish()
}

/// Words for what was done.
fn done_message(what: &str) -> &'static str {
    match what {
        "created" => "Created.",
        "saved" => "Saved.",
        "removed" => "Removed.",
        "invited" => "Invitation sent.",
        "link" => "Join link created.",
        "revoked" => "Revoked.",
        "resent" => "Invitation sent again.",
        "transferred" => "Ownership transferred.",
        "moved" => "Member moved.",
        "bulk" => "Invitations processed.",
        "totp_on" => "Two-factor authentication is on.",
        "totp_off" => "Two-factor authentication is off.",
        "token" => "API token created.",
        "paused" => "Paused: its events wait until it is resumed.",
        "resumed" => "Resumed: waiting events go out now.",
        "reset_sent" => {
            "If an account has that address, a link to choose a new password is on its way."
        }
        "test_sent" => "Test event queued: it shows in the deliveries below once it is sent.",
        _ => "Done.",
    }
}

/// Words for an error code of `docs/errors.md`; the code itself for one not listed.
fn error_message(code: &str) -> &'static str {
    match code {
        "forbidden" => "Your role in this organization does not allow that.",
        "privilege_escalation" => "You cannot hand out permissions you do not hold yourself.",
        "plan_upgrade_required" => "This needs a higher plan (Team or above).",
        "validation_failed" => "Some of what you entered is not valid.",
        "org_not_found" => "No such organization, or you are not a member.",
        "member_not_found" => "No such member.",
        "role_not_found" | "unknown_role" => "No such role.",
        "role_name_taken" => "A role of that name exists already.",
        "seat_limit_reached" => "The plan has no seat left.",
        "already_member" => "That person is a member already.",
        "already_invited" => "That address has a pending invitation already.",
        "already_owner" => "That member owns the organization already.",
        "custom_role_limit_reached" => "The plan allows no more custom roles.",
        "webhook_limit_reached" => {
            "This organization has the most webhooks allowed. Delete one first."
        }
        "webhook_not_found" => "No such webhook.",
        "user_not_found" => "No account with that e-mail.",
        "same_org" => "Choose another organization.",
        "invitation_not_found" => "No such invitation.",
        "invitation_used" => "That invitation was used already.",
        "invitation_revoked" => "That invitation was revoked.",
        "invitation_declined" => "That invitation was declined.",
        "invitation_expired" => "That invitation expired; send it again.",
        "not_an_email_invitation" => "Only e-mail invitations can be sent again.",
        "owner_must_transfer" | "owner_immutable" => {
            "The owner's role changes only by transferring ownership."
        }
        "invalid_credentials" => "Wrong e-mail or password.",
        "email_taken" | "account_exists" => "An account with that e-mail exists already.",
        "mfa_code_required" | "invalid_mfa_code" => "Enter the code from your authenticator app.",
        "wrong_mfa_code" => {
            "That code is wrong, expired or used already. Enter the app's next one."
        }
        "mfa_already_enabled" => "Two-factor authentication is on already.",
        "mfa_not_enrolled" => "Two-factor authentication is not set up. Start again.",
        "token_not_found" => "No such API token.",
        "token_pinned" => "A pinned token cannot make tokens beyond its organization.",
        "csrf" => "The form expired. Please try again.",
        "confirmation" => "Type the organization's name exactly to confirm.",
        "mfa_required" => "This organization requires a second factor.",
        "rate_limited" => "Too many attempts. Wait a minute.",
        _ => "That did not work.",
    }
}

/// The banner for `flash`, if it says anything.
pub(crate) fn banner(flash: &Flash) -> Markup {
    html! {
        @if let Some(what) = &flash.done {
            p.done role="status" { (done_message(what)) }
        }
        @if let Some(code) = &flash.error {
            p.error role="alert" { (error_message(code)) " " span.muted { "(" (code) ")" } }
        }
    }
}
