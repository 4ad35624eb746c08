use crate::authz::AccessDenied;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::member::MemberError;
use crate::user::HashingFailed;

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("invitation not found")]
    NotFound,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    #[error(transparent)]
    Member(MemberError),
    #[error("that address already has a pending invitation to this organization")]
    AlreadyInvited,
    #[error("this invitation has expired; ask for a new one")]
    Expired,
    #[error("this invitation has been revoked")]
    Revoked,
    #[error("this invitation has already been used")]
    Used,
    #[error("this invitation has been declined")]
    Declined,
    #[error("this invitation was sent to another e-mail address; sign in as that address")]
    WrongAccount,
    #[error("this API token is pinned to one organization and cannot join another")]
    TokenPinned,
    #[error("an account with this e-mail address exists; sign in to accept")]
    AccountExists,
    #[error(
        "your e-mail address is not verified yet; accept through the link in the invitation e-mail"
    )]
    EmailUnverified,
    #[error("only an invitation by e-mail can be sent again")]
    NotAnEmailInvitation,
    #[error(transparent)]
    Hashing(#[from] HashingFailed),
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
            Self::AlreadyInvited | Self::AccountExists => ErrorKind::Conflict,
            Self::Expired | Self::Revoked | Self::Used | Self::Declined => ErrorKind::Gone,
            Self::NotAnEmailInvitation => ErrorKind::Invalid,
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
            Self::Hashing(_) => "internal",
            Self::Store(error) => error.code(),
        }
    }
}
