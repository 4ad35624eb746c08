//! Server-rendered pages for people who follow an invitation e-mail's link or a join link:
//! they show what is offered, let the person register or sign in, and accept. Plain HTML forms,
//! no JavaScript. They call the same use cases as the JSON API, with its rate limits.

mod layout;
pub(crate) mod offer;
pub(crate) mod reset;
pub(crate) mod verify;

pub(crate) use offer::{invitation_page, join_page, submit_invitation, submit_join};
pub(crate) use reset::{reset_password_page, submit_reset_password};
pub(crate) use verify::{submit_verify_email, verify_email_page};
