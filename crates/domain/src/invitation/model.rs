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
    Link {
        /// How many people may join through it; `None` for no limit. When set, 1 to
        /// [`LinkInvite::MAX_USES`].
        max_uses: Option<u32>,
        /// How many people have joined through it so far.
        uses: u32,
    },
}

impl InvitationKind {
    /// The routes its secret is good on: [`Channel::Email`] for an e-mail invitation,
    /// [`Channel::Link`] for a join link.
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
    /// The token of an invitation e-mail, presented under `/invitations/` and
    /// `/api/invitations/`.
    Email,
    /// The code of a join link, presented under `/join/` and `/api/join/`.
    Link,
}

impl Channel {
    /// `email` or `link`: an invitation's `type` in the API, and the `type` or `via` of its
    /// audit events.
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
    /// Open: it can be accepted (a join link: used again). A stored pending invitation may
    /// have expired since; [`Invitation::status_at`] tells.
    Pending,
    /// An e-mail invitation taken up, or a join link used `max_uses` times.
    Accepted,
    /// The invitee said no (e-mail invitations only). Final.
    Declined,
    /// A manager withdrew it. Final.
    Revoked,
    /// Past its expiry without being closed. A resend makes an expired e-mail invitation
    /// pending again, unless a newer invitation to the same address has replaced it.
    Expired,
}

impl InvitationStatus {
    /// Every status, in the order declared.
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Accepted,
        Self::Declined,
        Self::Revoked,
        Self::Expired,
    ];

    /// The lower-case name used in the API and in the store, and shown by
    /// [`Display`](fmt::Display); [`FromStr`] parses it back.
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

/// An e-mail invitation or a join link, as stored. Its secret is not part of it: only the
/// secret's hash is kept, by the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// Made (UUID v7) when it is issued and kept by a resend; lists give newest first by it.
    pub id: InvitationId,
    /// The org the invitee joins.
    pub org_id: OrgId,
    /// Who may use it: the invited address, or anyone holding the join link.
    pub kind: InvitationKind,
    /// The role given to whoever joins through it. Escalation is checked when it is issued
    /// (and on revoke and resend), not at accept; a custom role is refused at accept once the
    /// org's plan no longer includes custom roles.
    pub role: AssignedRole,
    /// `None` once the inviter's account is gone.
    pub invited_by: Option<UserId>,
    /// As stored; see [`Invitation::status_at`] for what it is now.
    pub status: InvitationStatus,
    /// When it was issued; a resend does not change it.
    pub created_at: OffsetDateTime,
    /// When it stops working: issue time, or the last resend, plus
    /// [`InvitationSettings::ttl`](crate::invitation::InvitationSettings::ttl).
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

    /// The invited address; `None` for a join link.
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
    /// The invitation, with its status as of the read (expiry applied).
    pub invitation: Invitation,
    /// The name of the org it leads to.
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
    /// The invitation as stored; after a resend, with its new expiry and status pending.
    pub invitation: Invitation,
    /// The secret in plain; it cannot be had again. An e-mail invitation's secret, and so its
    /// `link`, is meant for the invited mailbox only (the queued e-mail carries it): showing
    /// it to the inviter would let a manager accept in the invitee's place.
    pub secret: InvitationSecret,
    /// The absolute URL that carries the secret: `/invitations/<token>` or `/join/<code>`.
    pub link: String,
}

/// The validated body of an invitation by e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailInvite {
    /// The address invited. One whose account is a member of the org already is refused.
    pub email: Email,
    /// The role offered; the inviter must hold every permission of it. `owner` must not be
    /// offered: parsing a [`RoleChoice`] refuses it, and the use case does not check again.
    pub role: RoleChoice,
}

/// The validated body of a new join link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInvite {
    /// The role everyone who joins through the link gets; as for [`EmailInvite::role`].
    pub role: RoleChoice,
    /// How many people may join through it; `None` for no limit until it expires or is
    /// revoked. [`LinkInvite::new`] keeps it within 1 to [`LinkInvite::MAX_USES`].
    pub max_uses: Option<u32>,
}

impl LinkInvite {
    /// The highest `max_uses` a join link may have.
    pub const MAX_USES: u32 = 10_000;

    /// Checks `max_uses`: when given, it must be 1 to [`Self::MAX_USES`], else a
    /// [`ValidationError`] on the field `maxUses`.
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
    /// The new account's display name, with the rules of sign-up.
    pub name: UserName,
    /// The new account's password, with the rules of sign-up; only its hash is stored.
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
