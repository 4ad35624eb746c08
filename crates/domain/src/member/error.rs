use crate::authz::{AccessDenied, Permission};
use crate::error::{DomainError, ErrorKind, StoreError};

/// Why a use case of [`crate::member::MemberService`] was refused or failed. Each variant has
/// an [`ErrorKind`] and a stable code through [`DomainError`]; `docs/errors.md` lists them.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    /// The org does not exist, or the caller is not a member of it (or their API token is
    /// pinned to another org): a stranger learns nothing about other tenants. A move answers
    /// this for its target org too.
    #[error("organization not found")]
    OrgNotFound,
    /// The user to change, remove or move, or the new owner of a transfer, is not a member of
    /// the org.
    #[error("member not found")]
    MemberNotFound,
    /// [`MemberService::add_as_operator`](crate::member::MemberService::add_as_operator) found
    /// no account with the e-mail given.
    #[error("user not found")]
    UserNotFound,
    /// The custom role id requested is not a role of the org (of the target org, for a move).
    #[error("no custom role with that id exists in this organization")]
    UnknownRole,
    /// `owner` was asked for as a role to give: ownership only moves by
    /// [`crate::member::MemberService::transfer_ownership`].
    #[error("ownership cannot be granted; use transfer-ownership")]
    OwnershipNotGrantable,
    /// The caller is a member but lacks what the use case needs: `members:write`, or being
    /// the owner for a transfer of ownership.
    #[error("your role in this organization does not allow this")]
    Forbidden,
    /// The role requested, or the target member's current role, holds permissions the caller
    /// lacks; they are listed in catalogue order.
    #[error("{}", escalation_message(.0))]
    Escalation(Vec<Permission>),
    /// A custom role was requested in an org whose plan has no custom roles (Free).
    #[error("custom roles need the team plan or higher")]
    PlanUpgradeRequired,
    /// The member to change, remove or move is the owner; ownership only moves by
    /// [`MemberService::transfer_ownership`](crate::member::MemberService::transfer_ownership).
    #[error("the owner's membership cannot be changed this way; transfer ownership first")]
    OwnerImmutable,
    /// The owner tried to leave the org; they must transfer ownership first.
    #[error("the owner cannot leave; transfer ownership first")]
    OwnerMustTransfer,
    /// The user to add or move is already a member of that org.
    #[error("the user is already a member of that organization")]
    AlreadyMember,
    /// The owner tried to transfer ownership to themselves.
    #[error("that member already owns the organization")]
    AlreadyOwner,
    /// One more person does not fit the org's plan: members and pending e-mail invitations
    /// both hold seats. Carries the plan's number of seats.
    #[error("the organization has used all {0} seats of its plan")]
    SeatLimitReached(u64),
    /// A move named the member's current org as its target.
    #[error("targetOrgId must name another organization")]
    SameOrg,
    /// A write hit a uniqueness rule of the store (one membership per user and org, one owner
    /// per org) because a writer that bypasses the org lock got there first. Read the current
    /// state and retry.
    #[error("a concurrent change got there first; read the current state and retry")]
    ConcurrentChange,
    /// The org requires a second factor and the caller has none turned on.
    #[error("this organization requires a second factor: turn on TOTP at /api/me/mfa/totp")]
    MfaRequired,
    /// The store failed. Never [`StoreError::Conflict`], which becomes
    /// [`Self::ConcurrentChange`]; [`StoreError::Unreachable`] is worth retrying.
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
            Self::UnknownRole | Self::SameOrg | Self::OwnershipNotGrantable => ErrorKind::Invalid,
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
            Self::OwnershipNotGrantable => "validation_failed",
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

    fn field(&self) -> Option<&'static str> {
        matches!(self, Self::OwnershipNotGrantable).then_some("role")
    }
}
