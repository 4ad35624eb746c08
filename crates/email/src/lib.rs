//! Adapters of the domain's [`Mailer`](tenantry_domain::mail::Mailer) port, and the wording of
//! every message.
//!
//! The domain sends structured [`Mail`](tenantry_domain::mail::Mail); [`render`] turns it into a
//! subject and matching plain-text and HTML bodies (names HTML-escaped by maud), and both
//! transports send the same `multipart/alternative` message:
//!
//! - [`SmtpMailer`] delivers through an SMTP server configured by one URL (see its docs for
//!   the TLS modes); this is the production transport.
//! - [`FileOutbox`] is the development transport: every message becomes an `.eml` file in a
//!   directory (open it with any mail client) and a log line naming the file.

mod file;
mod message;
mod render;
mod smtp;

#[cfg(test)]
#[path = "../tests/support/mime.rs"]
mod mime;

pub use file::FileOutbox;
pub use render::{Rendered, render};
pub use smtp::SmtpMailer;
