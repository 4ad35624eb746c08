use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::member::MemberError;
use crate::user::HashingFailed;

/// Why an invitation use case refused. Each variant has a stable code
/// ([`DomainError::code`]), listed in `docs/errors.md`.
#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    /// The org does not exist, or the caller is not a member of it or uses an API token pinned
    /// to another org: a stranger learns nothing about other tenants. Code `org_not_found`.
    #[error("organization not found")]
    OrgNotFound,
    /// No invitation answers to that secret or id: unknown, replaced by a resend, of another
    /// org, presented on the other channel's routes, or (by id, for the invitee) not addressed
    /// to the caller. Code `invitation_not_found`.
    #[error("invitation not found")]
    NotFound,
    /// The caller's role lacks the permission the use case needs (`members:read` to list,
    /// `members:write` to invite, create a link, revoke or resend). Code `forbidden`.
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// The org requires a second factor and the caller has none. Code `mfa_required`. The use
    /// cases currently report this refusal as [`Self::Member`] holding
    /// [`MemberError::MfaRequired`], with the same kind and code, so match on the code.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// A rule shared with the member use cases refused: already a member, no free seat, a role
    /// holding permissions the caller lacks, an unknown custom role, custom roles not in the
    /// plan, a concurrent change, the caller's account gone. Most store failures arrive here
    /// too, as [`MemberError::Store`]. Kind and code are the wrapped error's.
    #[error(transparent)]
    Member(MemberError),
    /// A row of a bulk invitation that did not parse (an address, a role); its `field` names
    /// the part at fault. Code `validation_failed`.
    #[error(transparent)]
    Invalid(#[from] crate::validation::ValidationError),
    /// Inviting an address that already has a pending, unexpired invitation to the org; resend
    /// that one instead. One past its expiry does not block: it is closed as expired. Code
    /// `already_invited`.
    #[error("that address already has a pending invitation to this organization")]
    AlreadyInvited,
    /// Answering an invitation past its expiry, or resending one that a newer invitation to
    /// the same address replaced (one that merely expired can be resent). Code
    /// `invitation_expired`.
    #[error("this invitation has expired; ask for a new one")]
    Expired,
    /// Answering or resending an invitation a manager revoked. Code `invitation_revoked`.
    #[error("this invitation has been revoked")]
    Revoked,
    /// The e-mail invitation was accepted already, or the join link reached its `max_uses`;
    /// also the loser of two simultaneous answers, and revoking or resending an accepted
    /// invitation. Code `invitation_used`.
    #[error("this invitation has already been used")]
    Used,
    /// Answering, revoking or resending an e-mail invitation its invitee declined. Code
    /// `invitation_declined`.
    #[error("this invitation has been declined")]
    Declined,
    /// A signed-in caller accepts, by its token, an e-mail invitation sent to another address.
    /// Code `invitation_wrong_account`.
    #[error("this invitation was sent to another e-mail address; sign in as that address")]
    WrongAccount,
    /// The caller accepts or joins through an API token pinned to another org. Code
    /// `token_pinned`.
    #[error("this API token is pinned to one organization and cannot join another")]
    TokenPinned,
    /// Registering while accepting or joining, for an address that already has an account
    /// (the invited address, or the one given on a join link's page): sign in and accept
    /// instead. Code `account_exists`.
    #[error("an account with this e-mail address exists; sign in to accept")]
    AccountExists,
    /// Listing, accepting or declining one's invitations by id for an account whose address is
    /// not verified yet: the link in the invitation e-mail is the way in, and taking it up
    /// verifies the address. Code `email_unverified`.
    #[error(
        "your e-mail address is not verified yet; accept through the link in the invitation e-mail"
    )]
    EmailUnverified,
    /// Inviting an address outside the org's verified domains while the org allows only those
    /// (`invite_only_verified_domains`). Code `domain_not_allowed`, field `email`.
    #[error("this organization invites only addresses on its verified domains")]
    DomainNotAllowed,
    /// Resending a join link: only e-mail invitations can be sent again. Code
    /// `not_an_email_invitation`.
    #[error("only an invitation by e-mail can be sent again")]
    NotAnEmailInvitation,
    /// Hashing the password of an account registered while accepting or joining failed. Code
    /// `internal`.
    #[error(transparent)]
    Hashing(#[from] HashingFailed),
    /// The store failed inside a step shared with the member use cases (resolving the role
    /// offered, counting seats). Kind and code are the store error's.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for InvitationError {
    fn from(error: StoreError) -> Self {
        Self::Member(MemberError::from(error))
    }
}

impl From<MemberError> for InvitationError {
    fn from(error: MemberError) -> Self {
        match error {
            MemberError::OrgNotFound => Self::OrgNotFound,
            MemberError::Forbidden => Self::Forbidden,
            MemberError::Store(error) => Self::Store(error),
            other => Self::Member(other),
        }
    }
}

impl From<AccessDenied> for InvitationError {
    fn from(denied: AccessDenied) -> Self {
        MemberError::from(denied).into()
    }
}

impl DomainError for InvitationError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::OrgNotFound | Self::NotFound => ErrorKind::NotFound,
            Self::Forbidden | Self::WrongAccount | Self::EmailUnverified | Self::TokenPinned => {
                ErrorKind::Forbidden
            }
            Self::Member(error) => error.kind(),
            Self::Invalid(error) => error.kind(),
            Self::AlreadyInvited | Self::AccountExists => ErrorKind::Conflict,
            Self::Expired | Self::Revoked | Self::Used | Self::Declined => ErrorKind::Gone,
            Self::NotAnEmailInvitation | Self::DomainNotAllowed => ErrorKind::Invalid,
            Self::Hashing(_) => ErrorKind::Internal,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::MfaRequired => "mfa_required",
            Self::OrgNotFound => "org_not_found",
            Self::NotFound => "invitation_not_found",
            Self::Forbidden => "forbidden",
            Self::Member(error) => error.code(),
            Self::Invalid(error) => error.code(),
            Self::AlreadyInvited => "already_invited",
            Self::Expired => "invitation_expired",
            Self::Revoked => "invitation_revoked",
            Self::Used => "invitation_used",
            Self::Declined => "invitation_declined",
            Self::WrongAccount => "invitation_wrong_account",
            Self::TokenPinned => "token_pinned",
            Self::AccountExists => "account_exists",
            Self::EmailUnverified => "email_unverified",
            Self::NotAnEmailInvitation => "not_an_email_invitation",
            Self::DomainNotAllowed => "domain_not_allowed",
            Self::Hashing(_) => "internal",
            Self::Store(error) => error.code(),
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Member(error) => error.field(),
            Self::Invalid(error) => error.field(),
            Self::DomainNotAllowed => Some("email"),
            _ => None,
        }
    }
}
