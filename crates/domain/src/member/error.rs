use crate::authz::{AccessDenied, Permission};
use crate::error::{DomainError, ErrorKind, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("member not found")]
    MemberNotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("no custom role with that id exists in this organization")]
    UnknownRole,
    #[error("your role in this organization does not allow this")]
    Forbidden,
    #[error("{}", escalation_message(.0))]
    Escalation(Vec<Permission>),
    #[error("custom roles need the team plan or higher")]
    PlanUpgradeRequired,
    #[error("the owner's membership cannot be changed this way; transfer ownership first")]
    OwnerImmutable,
    #[error("the owner cannot leave; transfer ownership first")]
    OwnerMustTransfer,
    #[error("the user is already a member of that organization")]
    AlreadyMember,
    #[error("that member already owns the organization")]
    AlreadyOwner,
    #[error("the organization has used all {0} seats of its plan")]
    SeatLimitReached(u64),
    #[error("targetOrgId must name another organization")]
    SameOrg,
    #[error("a concurrent change got there first; read the current state and retry")]
    ConcurrentChange,
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    #[error(transparent)]
    Store(StoreError),
}

/// The org lock serialises membership changes, so a uniqueness violation means a writer that
/// does not take it (another deployment's tool, a hand-run script) won a race: a conflict to
/// retry, not a server fault.
impl From<StoreError> for MemberError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(_) => Self::ConcurrentChange,
            other => Self::Store(other),
        }
    }
}

pub(crate) fn escalation_message(beyond: &[Permission]) -> String {
    let slugs: Vec<_> = beyond.iter().map(|p| p.slug()).collect();
    format!(
        "you cannot grant or act on permissions you do not hold: {}",
        slugs.join(", ")
    )
}

impl From<AccessDenied> for MemberError {
    fn from(denied: AccessDenied) -> Self {
        match denied {
            AccessDenied::NotMember => Self::OrgNotFound,
            AccessDenied::MfaRequired => Self::MfaRequired,
            AccessDenied::Lacks(_) => Self::Forbidden,
            AccessDenied::Escalation(beyond) => Self::Escalation(beyond),
        }
    }
}

impl DomainError for MemberError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::MfaRequired => ErrorKind::Forbidden,
            Self::OrgNotFound | Self::MemberNotFound | Self::UserNotFound => ErrorKind::NotFound,
            Self::UnknownRole | Self::SameOrg => ErrorKind::Invalid,
            Self::Forbidden | Self::Escalation(_) | Self::PlanUpgradeRequired => {
                ErrorKind::Forbidden
            }
            Self::OwnerImmutable
            | Self::OwnerMustTransfer
            | Self::AlreadyMember
            | Self::AlreadyOwner
            | Self::SeatLimitReached(_)
            | Self::ConcurrentChange => ErrorKind::Conflict,
            Self::Store(error) => error.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::MfaRequired => "mfa_required",
            Self::OrgNotFound => "org_not_found",
            Self::MemberNotFound => "member_not_found",
            Self::UserNotFound => "user_not_found",
            Self::UnknownRole => "unknown_role",
            Self::Forbidden => "forbidden",
            Self::Escalation(_) => "privilege_escalation",
            Self::PlanUpgradeRequired => "plan_upgrade_required",
            Self::OwnerImmutable => "owner_immutable",
            Self::OwnerMustTransfer => "owner_must_transfer",
            Self::AlreadyMember => "already_member",
            Self::AlreadyOwner => "already_owner",
            Self::SeatLimitReached(_) => "seat_limit_reached",
            Self::SameOrg => "same_org",
            Self::ConcurrentChange => "concurrent_change",
            Self::Store(error) => error.code(),
        }
    }
}
