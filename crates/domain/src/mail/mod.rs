//! Outgoing mail. Use cases queue a [`Mail`] in the outbox inside their transaction; the
//! [`DeliveryService`] later hands due messages to a [`Mailer`] adapter (SMTP, a development
//! directory) and records the outcome, retrying with exponential backoff.

mod delivery;
mod model;
mod ports;
#[cfg(test)]
mod tests;

pub use delivery::{DeliveryReport, DeliveryService, RetryPolicy};
pub use model::{
    EmailVerificationMail, InvitationMail, Mail, MailContent, MailError, Mailer, PasswordResetMail,
};
pub use ports::{OutboxMessage, OutboxRepository};

#[cfg(any(test, feature = "mocks"))]
pub use model::MockMailer;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockOutboxRepository;
