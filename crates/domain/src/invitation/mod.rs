//! Invitations: by e-mail (single use, for one address) and by join link (anyone signed in,
//! up to a number of uses). Secrets are handed out once and stored only as hashes.

mod error;
mod model;
mod ports;
mod service;
#[cfg(test)]
mod tests;

pub use error::InvitationError;
pub use model::{
    Channel, EmailInvite, Invitation, InvitationKind, InvitationSecret, InvitationStatus,
    InvitationView, IssuedInvitation, LinkInvite, NewInvitee,
};
pub use ports::InvitationRepository;
pub use service::{InvitationService, InvitationSettings, MAX_BULK_BODY_BYTES, MAX_BULK_ROWS};

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockInvitationRepository;
