use std::collections::BTreeMap;
use std::net::IpAddr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::authz::Actor;
use crate::ids::{AuditEventId, OrgId, UserId};

/// What happened, as the dotted names the audit API filters on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// An org was created (`POST /api/orgs`). Target `orgId`; metadata `name`.
    OrgCreated,
    /// An org was renamed or its settings changed (`PUT /api/orgs/{orgId}`,
    /// `PUT /api/org/profile`). Target `orgId`; metadata `previousName` and `name` when renamed,
    /// `settings` with the names of the settings set (never their values). A request that
    /// changes nothing records nothing.
    OrgUpdated,
    /// An operator set another plan (`tenantry set-plan`); no actor. Target `orgId`; metadata
    /// `from` and `plan`. Setting the plan the org already has records nothing.
    OrgPlanChanged,
    /// The owner handed the org to another member (`POST .../transfer-ownership`). Target `userId`
    /// (the new owner); metadata `previousOwnerId`.
    OwnershipTransferred,
    /// An operator added an existing account to the org (`tenantry add-member`); no actor.
    /// Target `userId`, `email`; metadata `role`.
    MemberAdded,
    /// An e-mail invitation was issued (`POST .../invitations/email`). Target `email`; metadata
    /// `role`, `invitationId`.
    MemberInvited,
    /// Someone became a member by accepting an e-mail invitation or using a join link. Target
    /// `userId`, `email`; metadata `role`, `invitationId`, `via` (`email` or `link`).
    MemberJoined,
    /// A member was given another role (`PUT .../members/{userId}`). Target `userId`; metadata
    /// `from`, `role`.
    MemberRoleUpdated,
    /// A member was removed (`DELETE .../members/{userId}`). Target `userId`; metadata `role`
    /// (the role they held).
    MemberRemoved,
    /// A member left of their own accord (`POST .../leave`). Target `userId`.
    MemberLeft,
    /// A member was moved to another org; recorded in the org they left, alongside
    /// [`AuditAction::MemberMovedIn`] in the other. Target `userId`; metadata `targetOrgId`.
    MemberMovedOut,
    /// A member was moved here from another org; recorded in the org they joined, alongside
    /// [`AuditAction::MemberMovedOut`] in the other. Target `userId`; metadata `sourceOrgId`,
    /// `role`.
    MemberMovedIn,
    /// The org's identity provider provisioned a person (SCIM `POST /Users`); no actor, metadata
    /// `via` = `scim` and `scimTokenId` as on every directory change. Target `userId`, `email`;
    /// metadata `role`, `userName`, `existingMember`, `active`.
    MemberProvisioned,
    /// The identity provider suspended a member (`active: false`). Target `userId`.
    MemberSuspended,
    /// The identity provider restored a suspended member (`active: true`). Target `userId`.
    MemberRestored,
    /// The identity provider removed a member (SCIM `DELETE /Users/{id}`); the account stays.
    /// Target `userId`; metadata `role`.
    MemberDeprovisioned,
    /// A custom role was created (`POST .../roles`). Target `roleId`; metadata `name`,
    /// `permissions` (comma-separated slugs).
    RoleCreated,
    /// A custom role was changed (`PATCH .../roles/{roleId}`). Target `roleId`; metadata `name`,
    /// `permissions`, both as they are after the change.
    RoleUpdated,
    /// A custom role was deleted (`DELETE .../roles/{roleId}`). Target `roleId`; metadata `name`,
    /// `reassignedMembers`, `reassignedInvitations`.
    RoleDeleted,
    /// A join link was created (`POST .../invitations/link`). Target `invitationId`; metadata
    /// `role`, and `maxUses` when the link is limited.
    LinkCreated,
    /// An e-mail invitation was sent again with a new token and expiry
    /// (`POST .../invitations/{id}/resend`). Target `invitationId`, `email`.
    InvitationResent,
    /// An invitation or join link was revoked (`DELETE .../invitations/{id}`). Target
    /// `invitationId`, and `email` for an e-mail invitation; metadata `type`.
    InvitationRevoked,
    /// The invitee declined an e-mail invitation; no actor when declined by token without
    /// signing in. Target `invitationId`, `email`.
    InvitationDeclined,
    /// The audit log was exported (`GET .../audit-logs/export`), recorded before the first row is
    /// handed out. Target `orgId`; metadata `rowCount` and the filters given: `action`,
    /// `actorId`, `from`, `until` (exclusive end).
    AuditExported,
    /// An integration was created (`POST /api/org/integrations`). Target `integrationId`;
    /// metadata `type`, `credentials` (names only, comma-separated).
    IntegrationCreated,
    /// An integration was changed (`PATCH /api/org/integrations/{id}`). Target `integrationId`;
    /// metadata `type`, `changed` (which of `status`, `last_scan`, `config`, `credentials`).
    IntegrationUpdated,
    /// An integration was deleted (`DELETE /api/org/integrations/{id}`). Target `integrationId`;
    /// metadata `type`.
    IntegrationDeleted,
    /// A webhook was created (`POST .../webhooks`). Target `webhookId`; metadata `url` (its
    /// origin only: scheme, host and port), `events` (comma-separated). Never the secret.
    WebhookCreated,
    /// A webhook's URL, events or `active` changed (`PATCH .../webhooks/{id}`). Target
    /// `webhookId`; metadata `url` (origin only), `events`, `active`, as they are after the
    /// change.
    WebhookUpdated,
    /// A webhook's signing secret was replaced (`POST .../webhooks/{id}/secret`). Target
    /// `webhookId`; metadata `previousSecretExpiresAt`. Never a secret.
    WebhookSecretRotated,
    /// A test event was sent to a webhook (`POST .../webhooks/{id}/test`): this event, queued
    /// for that webhook whatever it subscribes to. Target `webhookId`; metadata `url` (origin
    /// only).
    WebhookTested,
    /// A webhook was deleted (`DELETE .../webhooks/{id}`). Target `webhookId`; metadata `url`
    /// (origin only).
    WebhookDeleted,
    /// The owner made a directory (SCIM) token (`POST .../scim/tokens`). Target `tokenId`;
    /// metadata `name`.
    DirectoryTokenCreated,
    /// The owner revoked a directory token (`DELETE .../scim/tokens/{id}`). Target `tokenId`.
    DirectoryTokenRevoked,
    /// The owner set the directory settings (`PUT .../scim/settings`). Metadata `defaultRole`,
    /// `groupRoles` (how many mappings).
    DirectorySettingsUpdated,
    /// The identity provider changed what it says about a member, other than `active`. Target
    /// `userId`; metadata `userName`.
    DirectoryUserUpdated,
    /// The identity provider made a group. Target `groupId`; metadata `displayName`, `members`
    /// (how many).
    DirectoryGroupCreated,
    /// The identity provider changed a group. Target `groupId`; metadata `displayName`, `members`.
    DirectoryGroupUpdated,
    /// The identity provider deleted a group. Target `groupId`; metadata `displayName`, `members`.
    DirectoryGroupDeleted,
    /// An owner or admin claimed a domain (`POST .../domains`). Target `domainId`, `domain`.
    DomainAdded,
    /// The domain's TXT record was found (`POST .../domains/{id}/verify`, or the periodic
    /// check, then without actor). Target `domainId`, `domain`; metadata `via` (`request` or
    /// `recheck`).
    DomainVerified,
    /// The domain's auto-join settings changed (`PATCH .../domains/{id}`). Target `domainId`,
    /// `domain`; metadata `autoJoin`, `defaultRole` as they are after the change.
    DomainUpdated,
    /// The domain was given up (`DELETE .../domains/{id}`). Target `domainId`, `domain`.
    DomainRemoved,
}

impl AuditAction {
    /// Every action, in declaration order: the names the API's `action` filter accepts.
    pub const ALL: [Self; 43] = [
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
        Self::MemberProvisioned,
        Self::MemberSuspended,
        Self::MemberRestored,
        Self::MemberDeprovisioned,
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
        Self::WebhookCreated,
        Self::WebhookUpdated,
        Self::WebhookSecretRotated,
        Self::WebhookTested,
        Self::WebhookDeleted,
        Self::DirectoryTokenCreated,
        Self::DirectoryTokenRevoked,
        Self::DirectorySettingsUpdated,
        Self::DirectoryUserUpdated,
        Self::DirectoryGroupCreated,
        Self::DirectoryGroupUpdated,
        Self::DirectoryGroupDeleted,
        Self::DomainAdded,
        Self::DomainVerified,
        Self::DomainUpdated,
        Self::DomainRemoved,
    ];

    /// The dotted name (`member.invited`) that the store keeps, the API shows and the `action`
    /// filter takes; [`str::parse`] turns it back into the action. The store keeps events by
    /// this name, so renaming an action would make its stored events unreadable.
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
            Self::WebhookCreated => "webhook.created",
            Self::WebhookUpdated => "webhook.updated",
            Self::WebhookSecretRotated => "webhook.secret_rotated",
            Self::WebhookTested => "webhook.tested",
            Self::WebhookDeleted => "webhook.deleted",
            Self::DirectoryTokenCreated => "scim.token_created",
            Self::DirectoryTokenRevoked => "scim.token_revoked",
            Self::DirectorySettingsUpdated => "scim.settings_updated",
            Self::MemberProvisioned => "member.provisioned",
            Self::MemberSuspended => "member.suspended",
            Self::MemberRestored => "member.restored",
            Self::MemberDeprovisioned => "member.deprovisioned",
            Self::DirectoryUserUpdated => "scim.user_updated",
            Self::DirectoryGroupCreated => "scim.group_created",
            Self::DirectoryGroupUpdated => "scim.group_updated",
            Self::DirectoryGroupDeleted => "scim.group_deleted",
            Self::DomainAdded => "domain.added",
            Self::DomainVerified => "domain.verified",
            Self::DomainUpdated => "domain.updated",
            Self::DomainRemoved => "domain.removed",
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

/// One entry of an org's audit log: who did what, to what, when and from where. A use case
/// builds it with [`AuditEvent::new`], [`AuditEvent::target`] and [`AuditEvent::meta`], and
/// appends it with [`AuditRepository::append`](super::AuditRepository::append) in the
/// transaction of the change it records, so the event exists exactly when the change does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Made by [`AuditEvent::new`]; breaks ties between events of the same `at` in list order.
    pub id: AuditEventId,
    /// The org whose log holds the event. A move records one event in each of the two orgs.
    pub org_id: OrgId,
    /// `None` when an operator acted through the command line, or when an invitee declined an
    /// invitation by its token without signing in.
    pub actor_id: Option<UserId>,
    /// What kind of change this records; it decides the keys of `target` and `metadata`.
    pub action: AuditAction,
    /// What the change acted on, by key (`userId`, `roleId`, `email`, ...); the keys of each
    /// action are listed on its variant and in `docs/audit-events.md`.
    pub target: BTreeMap<String, String>,
    /// Details of the change, by key (`role`, `from`, `rowCount`, ...). Settings and
    /// credentials appear by name only, never with their values.
    pub metadata: BTreeMap<String, String>,
    /// The client address of the request, from [`Actor::ip`]; `None` for an operator's command
    /// or when no address was known.
    pub ip: Option<IpAddr>,
    /// When the change happened, from the use case's clock (UTC, whole microseconds). The log
    /// is listed newest first by this, then by `id`; retention deletes by it.
    pub at: OffsetDateTime,
}

impl AuditEvent {
    /// An event with a fresh id and empty target and metadata. The actor's user id and client
    /// address come from `actor`; pass `None` when no signed-in user acts (an operator's
    /// command, a decline by token).
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

    /// Adds one entry to [`AuditEvent::target`], replacing one of the same key.
    pub fn target(mut self, key: &str, value: impl ToString) -> Self {
        self.target.insert(key.to_owned(), value.to_string());
        self
    }

    /// Adds one entry to [`AuditEvent::metadata`], replacing one of the same key.
    pub fn meta(mut self, key: &str, value: impl ToString) -> Self {
        self.metadata.insert(key.to_owned(), value.to_string());
        self
    }

    /// Adds a time to the metadata, in RFC 3339 as the API writes times.
    #[must_use]
    pub fn meta_time(self, key: &str, at: OffsetDateTime) -> Self {
        let text = at.format(&Rfc3339).unwrap_or_else(|_| at.to_string());
        self.meta(key, text)
    }
}
