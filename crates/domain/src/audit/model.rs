use std::collections::BTreeMap;
use std::net::IpAddr;

use time::OffsetDateTime;

use crate::authz::Actor;
use crate::ids::{AuditEventId, OrgId, UserId};

/// What happened, as the dotted names the audit API filters on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    OrgCreated,
    OrgUpdated,
    OrgPlanChanged,
    OwnershipTransferred,
    MemberAdded,
    MemberInvited,
    MemberJoined,
    MemberRoleUpdated,
    MemberRemoved,
    MemberLeft,
    MemberMovedOut,
    MemberMovedIn,
    RoleCreated,
    RoleUpdated,
    RoleDeleted,
    LinkCreated,
    InvitationResent,
    InvitationRevoked,
    InvitationDeclined,
    AuditExported,
    IntegrationCreated,
    IntegrationUpdated,
    IntegrationDeleted,
}

impl AuditAction {
    pub const ALL: [Self; 23] = [
        Self::OrgCreated,
        Self::OrgUpdated,
        Self::OrgPlanChanged,
        Self::OwnershipTransferred,
        Self::MemberAdded,
        Self::MemberInvited,
        Self::MemberJoined,
        Self::MemberRoleUpdated,
        Self::MemberRemoved,
        Self::MemberLeft,
        Self::MemberMovedOut,
        Self::MemberMovedIn,
        Self::RoleCreated,
        Self::RoleUpdated,
        Self::RoleDeleted,
        Self::LinkCreated,
        Self::InvitationResent,
        Self::InvitationRevoked,
        Self::InvitationDeclined,
        Self::AuditExported,
        Self::IntegrationCreated,
        Self::IntegrationUpdated,
        Self::IntegrationDeleted,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Self::OrgCreated => "org.created",
            Self::OrgUpdated => "org.updated",
            Self::OrgPlanChanged => "org.plan_changed",
            Self::OwnershipTransferred => "org.ownership_transferred",
            Self::MemberAdded => "member.added",
            Self::MemberInvited => "member.invited",
            Self::MemberJoined => "member.joined",
            Self::MemberRoleUpdated => "member.role_updated",
            Self::MemberRemoved => "member.removed",
            Self::MemberLeft => "member.left",
            Self::MemberMovedOut => "member.moved_out",
            Self::MemberMovedIn => "member.moved_in",
            Self::RoleCreated => "role.created",
            Self::RoleUpdated => "role.updated",
            Self::RoleDeleted => "role.deleted",
            Self::LinkCreated => "invitation.link_created",
            Self::InvitationResent => "invitation.resent",
            Self::InvitationRevoked => "invitation.revoked",
            Self::InvitationDeclined => "invitation.declined",
            Self::AuditExported => "audit.exported",
            Self::IntegrationCreated => "integration.created",
            Self::IntegrationUpdated => "integration.updated",
            Self::IntegrationDeleted => "integration.deleted",
        }
    }
}

impl std::str::FromStr for AuditAction {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|action| action.name() == s)
            .ok_or(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub org_id: OrgId,
    /// `None` when an operator acted through the command line.
    pub actor_id: Option<UserId>,
    pub action: AuditAction,
    pub target: BTreeMap<String, String>,
    pub metadata: BTreeMap<String, String>,
    pub ip: Option<IpAddr>,
    pub at: OffsetDateTime,
}

impl AuditEvent {
    pub fn new(
        org_id: OrgId,
        actor: Option<&Actor>,
        action: AuditAction,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: AuditEventId::generate(),
            org_id,
            actor_id: actor.map(|actor| actor.user_id),
            action,
            target: BTreeMap::new(),
            metadata: BTreeMap::new(),
            ip: actor.and_then(|actor| actor.ip),
            at,
        }
    }

    pub fn target(mut self, key: &str, value: impl ToString) -> Self {
        self.target.insert(key.to_owned(), value.to_string());
        self
    }

    pub fn meta(mut self, key: &str, value: impl ToString) -> Self {
        self.metadata.insert(key.to_owned(), value.to_string());
        self
    }
}
