use std::fmt;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::ids::{InvitationId, OrgId, UserId};
use crate::member::{AssignedRole, RoleChoice};
use crate::user::{Email, Password, UserName, secret_type};
use crate::validation::ValidationError;

/// Where an invitation leads: one addressed person, or anyone holding a join link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvitationKind {
    /// Single use, by the invited address only.
    Email(Email),
    /// Anyone signed in, up to `max_uses` times (no limit when `None`).
    Link { max_uses: Option<u32>, uses: u32 },
}

impl InvitationKind {
    pub fn channel(&self) -> Channel {
        match self {
            Self::Email(_) => Channel::Email,
            Self::Link { .. } => Channel::Link,
        }
    }
}

/// How a secret was presented: an e-mailed invitation token, or a join-link code. Each is only
/// good on its own routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Link,
}

impl Channel {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Link => "link",
        }
    }
}

/// The life of an invitation. The store never records `Expired` on its own: a pending
/// invitation past its expiry reads as expired ([`Invitation::status_at`]), with no job to
/// sweep it. It is written only when a new invitation to the same address replaces it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    Pending,
    /// An e-mail invitation taken up, or a join link used `max_uses` times.
    Accepted,
    Declined,
    Revoked,
    Expired,
}

impl InvitationStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Accepted,
        Self::Declined,
        Self::Revoked,
        Self::Expired,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
}

impl fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InvitationStatus {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.name() == s)
            .ok_or(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub org_id: OrgId,
    pub kind: InvitationKind,
    pub role: AssignedRole,
    /// `None` once the inviter's account is gone.
    pub invited_by: Option<UserId>,
    /// As stored; see [`Invitation::status_at`] for what it is now.
    pub status: InvitationStatus,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl Invitation {
    /// The status at `now`: a pending invitation past its expiry is expired.
    pub fn status_at(&self, now: OffsetDateTime) -> InvitationStatus {
        match self.status {
            InvitationStatus::Pending if self.expires_at <= now => InvitationStatus::Expired,
            status => status,
        }
    }

    pub fn email(&self) -> Option<&Email> {
        match &self.kind {
            InvitationKind::Email(email) => Some(email),
            InvitationKind::Link { .. } => None,
        }
    }
}

/// An invitation with the names a person needs to decide on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub org_name: String,
    /// `None` once the inviter's account is gone.
    pub inviter_name: Option<String>,
}

const PREFIX: &str = "inv_";

secret_type!(
    /// The secret of an invitation: the token in an invitation e-mail's link, or the code of
    /// a join link. Handed out once; only its hash is stored.
    InvitationSecret,
    PREFIX
);

/// A new invitation and its secret, the only time the secret is seen.
#[derive(Debug)]
pub struct IssuedInvitation {
    pub invitation: Invitation,
    pub secret: InvitationSecret,
    /// The absolute URL that carries the secret: `/invitations/<token>` or `/join/<code>`.
    pub link: String,
}

/// The validated body of an invitation by e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailInvite {
    pub email: Email,
    pub role: RoleChoice,
}

/// The validated body of a new join link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInvite {
    pub role: RoleChoice,
    pub max_uses: Option<u32>,
}

impl LinkInvite {
    pub const MAX_USES: u32 = 10_000;

    pub fn new(role: RoleChoice, max_uses: Option<u32>) -> Result<Self, ValidationError> {
        match max_uses {
            Some(uses) if uses == 0 || uses > Self::MAX_USES => Err(ValidationError::new(
                "maxUses",
                format!("must be between 1 and {}", Self::MAX_USES),
            )),
            _ => Ok(Self { role, max_uses }),
        }
    }
}

/// What an invitee who has no account yet sends to accept: the e-mail is the invited one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInvitee {
    pub name: UserName,
    pub password: Password,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::member::RoleChoice;

    #[test]
    fn a_pending_invitation_reads_as_expired_from_its_expiry_on() {
        let at = crate::testing::fixtures::NOW;
        let invitation = Invitation {
            id: InvitationId::generate(),
            org_id: OrgId::generate(),
            kind: InvitationKind::Link {
                max_uses: None,
                uses: 0,
            },
            role: AssignedRole::Builtin(crate::authz::BuiltinRole::Member),
            invited_by: None,
            status: InvitationStatus::Pending,
            created_at: at,
            expires_at: at,
        };
        assert_eq!(
            invitation.status_at(at - time::Duration::seconds(1)),
            InvitationStatus::Pending
        );
        assert_eq!(invitation.status_at(at), InvitationStatus::Expired);
        let revoked = Invitation {
            status: InvitationStatus::Revoked,
            ..invitation
        };
        assert_eq!(revoked.status_at(at), InvitationStatus::Revoked);
    }

    #[test]
    fn secrets_are_random_and_only_their_hash_identifies_them() {
        let a = InvitationSecret::generate();
        let b = InvitationSecret::generate();
        assert_ne!(a, b);
        assert!(
            a.expose().len() >= 43 + PREFIX.len(),
            "256 bits in base64url"
        );
        assert_eq!(
            InvitationSecret::from_presented(a.expose()).hash(),
            a.hash()
        );
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn max_uses_is_bounded() {
        let role = RoleChoice::default();
        assert!(LinkInvite::new(role, Some(0)).is_err());
        assert!(LinkInvite::new(role, Some(LinkInvite::MAX_USES + 1)).is_err());
        assert!(LinkInvite::new(role, Some(1)).is_ok());
        assert!(LinkInvite::new(role, None).is_ok());
    }

    #[test]
    fn status_names_round_trip() {
        for status in InvitationStatus::ALL {
            assert_eq!(status.name().parse(), Ok(status));
        }
    }
}
