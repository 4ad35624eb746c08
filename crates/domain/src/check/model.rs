use crate::authz::{Access, AccessDenied, Permission, Requirement};
use crate::ids::UserId;
use crate::member::{AssignedRole, MemberAccess};
use crate::validation::ValidationError;

/// The most (user, permission) questions one check may ask.
pub const MAX_QUESTIONS: usize = 100;

/// Why a permission is held, or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The member's role (built-in or custom) holds the permission.
    GrantedByRole(AssignedRole),
    /// The member's role does not hold it.
    RoleLacksPermission(AssignedRole),
    /// The org requires a second factor and the member has none: their role grants nothing
    /// there until they turn one on.
    MfaRequired(AssignedRole),
    /// The user is not a member of the org.
    NotMember,
}

impl Reason {
    /// The reason's name on the wire.
    pub fn code(&self) -> &'static str {
        match self {
            Self::GrantedByRole(_) => "granted_by_role",
            Self::RoleLacksPermission(_) => "role_lacks_permission",
            Self::MfaRequired(_) => "mfa_required",
            Self::NotMember => "not_a_member",
        }
    }

    /// The member's role, when the user is a member.
    pub fn role(&self) -> Option<&AssignedRole> {
        match self {
            Self::GrantedByRole(role)
            | Self::RoleLacksPermission(role)
            | Self::MfaRequired(role) => Some(role),
            Self::NotMember => None,
        }
    }
}

/// The answer to one question: may `user` use `permission`, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The user asked about.
    pub user: UserId,
    /// The permission asked about.
    pub permission: Permission,
    /// Whether the user may use the permission in the org: true exactly when `reason` is
    /// [`Reason::GrantedByRole`].
    pub allowed: bool,
    /// Why, with the user's role when they are a member.
    pub reason: Reason,
}

/// Judges `permission` for `user`, whose membership of the org (with the org's MFA policy
/// and the user's second factor) is `found`, or who is not a member. Pure: a service that
/// keeps its own copy of memberships can call this without Tenantry's storage.
///
/// ```
/// use tenantry_domain::authz::{BuiltinRole, Permission};
/// use tenantry_domain::check::{Reason, explain};
/// use tenantry_domain::ids::{OrgId, UserId};
/// use tenantry_domain::member::{AssignedRole, MemberAccess, Membership, MembersVersion};
/// use tenantry_domain::user::UserName;
///
/// let user = UserId::generate();
/// let auditor = MemberAccess {
///     membership: Membership {
///         org_id: OrgId::generate(),
///         user_id: user,
///         role: AssignedRole::Builtin(BuiltinRole::Auditor),
///         joined_at: time::OffsetDateTime::UNIX_EPOCH,
///     },
///     org_requires_mfa: false,
///     has_mfa: false,
///     members_version: MembersVersion::default(),
///     suspended: false,
///     name: UserName::try_from("Ada").unwrap(),
/// };
/// let read = explain(user, Some(&auditor), Permission::ScansRead);
/// assert!(read.allowed);
/// let write = explain(user, Some(&auditor), Permission::ScansWrite);
/// assert!(!write.allowed);
/// assert_eq!(write.reason.code(), "role_lacks_permission");
/// assert_eq!(explain(user, None, Permission::ScansRead).reason, Reason::NotMember);
/// ```
pub fn explain(user: UserId, found: Option<&MemberAccess>, permission: Permission) -> Verdict {
    let judged = Access::judge(found.cloned(), Requirement::Permission(permission));
    let role = || found.map(|found| found.membership.role.clone());
    let reason = match judged {
        Ok(access) => Reason::GrantedByRole(access.into_membership().role),
        Err(AccessDenied::MfaRequired) => role().map_or(Reason::NotMember, Reason::MfaRequired),
        Err(_) => role().map_or(Reason::NotMember, Reason::RoleLacksPermission),
    };
    Verdict {
        user,
        permission,
        allowed: matches!(reason, Reason::GrantedByRole(_)),
        reason,
    }
}

/// What one check asks: 1 to [`MAX_QUESTIONS`] (user, permission) pairs, in the order the
/// answers come back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Questions(Vec<(UserId, Permission)>);

impl Questions {
    /// `field` names the request field a refusal points at.
    pub fn new(
        field: &'static str,
        pairs: Vec<(UserId, Permission)>,
    ) -> Result<Self, ValidationError> {
        if pairs.is_empty() || pairs.len() > MAX_QUESTIONS {
            return Err(ValidationError::new(
                field,
                format!("must ask 1 to {MAX_QUESTIONS} questions"),
            ));
        }
        Ok(Self(pairs))
    }

    /// The (user, permission) pairs, in the order asked; repeats are kept.
    pub fn iter(&self) -> impl Iterator<Item = (UserId, Permission)> + '_ {
        self.0.iter().copied()
    }

    /// The users asked about, each once, in first-asked order.
    pub fn users(&self) -> Vec<UserId> {
        let mut users: Vec<UserId> = Vec::new();
        for (user, _) in self.iter() {
            if !users.contains(&user) {
                users.push(user);
            }
        }
        users
    }
}
