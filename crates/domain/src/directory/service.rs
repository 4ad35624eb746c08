use std::collections::BTreeSet;
use std::sync::Arc;

use time::OffsetDateTime;
use tracing::instrument;

use super::error::DirectoryError;
use super::model::{
    DirectoryCaller, DirectoryGroup, DirectoryGroupRecord, DirectoryName, DirectoryToken,
    DirectoryTokenInfo, DirectoryUser, DirectoryUserRecord, ProvisioningSettings,
};
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, Requirement};
use crate::clock::Clock;
use crate::ids::{OrgId, ScimGroupId, ScimTokenId, UserId};
use crate::member::{AssignedRole, Membership, RoleChoice, ensure_seat, resolve_role};
use crate::org::Org;
use crate::plan::Feature;
use crate::ports::{Transaction, UnitOfWork};
use crate::user::{PasswordHash, TokenName, User};

const OWNER: Requirement = Requirement::Owner;

/// Directory sync: an org's owner connects its identity provider with a token, and the
/// provider provisions, updates, suspends and removes the org's members and groups. Every
/// change runs in one transaction under the org's lock, with its audit event.
#[derive(Clone)]
pub struct DirectoryService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl DirectoryService {
    /// Builds the service over the store and the clock that dates records and events.
    pub fn new(uow: Arc<dyn UnitOfWork>, clock: Arc<dyn Clock>) -> Self {
        Self { uow, clock }
    }

    /// Makes a directory token for the org; the token is in the answer only. Owner only, on
    /// a plan with directory sync. Records `scim.token_created`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn create_token(
        &self,
        actor: &Actor,
        org: OrgId,
        name: TokenName,
    ) -> Result<(DirectoryTokenInfo, DirectoryToken), DirectoryError> {
        let tx = self.owner_tx(actor, org).await?;
        let token = DirectoryToken::generate();
        let info = DirectoryTokenInfo {
            id: ScimTokenId::generate(),
            org_id: org,
            name,
            created_at: self.clock.now(),
        };
        tx.directory().insert_token(&info, &token.hash()).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::DirectoryTokenCreated,
            info.created_at,
        )
        .target("tokenId", info.id)
        .meta("name", info.name.as_str());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok((info, token))
    }

    /// The org's directory tokens, without the tokens themselves. Owner only.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list_tokens(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<Vec<DirectoryTokenInfo>, DirectoryError> {
        let tx = self.uow.read().await?;
        owner_of(&*tx, actor, org).await?;
        Ok(tx.directory().list_tokens(org).await?)
    }

    /// Revokes a directory token at once. Owner only. Records `scim.token_revoked`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        org: OrgId,
        id: ScimTokenId,
    ) -> Result<(), DirectoryError> {
        let tx = self.owner_tx(actor, org).await?;
        if !tx.directory().delete_token(org, id).await? {
            return Err(DirectoryError::TokenNotFound);
        }
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::DirectoryTokenRevoked,
            self.clock.now(),
        )
        .target("tokenId", id);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The org's directory settings (the defaults until set). Owner only.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn settings(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<ProvisioningSettings, DirectoryError> {
        let tx = self.uow.read().await?;
        owner_of(&*tx, actor, org).await?;
        Ok(tx.directory().settings(org).await?.unwrap_or_default())
    }

    /// Replaces the org's directory settings, checking every role they name, and gives the
    /// managed members the roles the new mappings say. Owner only. Records
    /// `scim.settings_updated`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn set_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        settings: ProvisioningSettings,
    ) -> Result<ProvisioningSettings, DirectoryError> {
        let tx = self.owner_tx(actor, org).await?;
        let org_row = lock_org(&*tx, org).await?;
        resolve_role(&*tx, &org_row, settings.default_role).await?;
        for mapping in &settings.group_roles {
            resolve_role(&*tx, &org_row, mapping.role).await?;
        }
        tx.directory().save_settings(org, &settings).await?;
        let now = self.clock.now();
        let event = AuditEvent::new(org, Some(actor), AuditAction::DirectorySettingsUpdated, now)
            .meta("defaultRole", settings.default_role.to_string())
            .meta("groupRoles", settings.group_roles.len());
        tx.audit().append(&event).await?;
        let managed: Vec<UserId> = tx
            .directory()
            .list_users(org)
            .await?
            .into_iter()
            .map(|record| record.user_id)
            .collect();
        let sync = RoleSync {
            tx: &*tx,
            org: &org_row,
            settings: &settings,
            at: now,
            caller: None,
        };
        sync.apply(&managed).await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// The caller behind a presented directory token. Refuses an unknown or revoked token,
    /// and an org whose plan no longer has directory sync.
    #[instrument(skip_all)]
    pub async fn authenticate(
        &self,
        token: &DirectoryToken,
        ip: Option<std::net::IpAddr>,
    ) -> Result<DirectoryCaller, DirectoryError> {
        let tx = self.uow.read_one().await?;
        let info = tx
            .directory()
            .find_token(&token.hash())
            .await?
            .ok_or(DirectoryError::InvalidToken)?;
        let org = tx
            .orgs()
            .find_org(info.org_id)
            .await?
            .ok_or(DirectoryError::InvalidToken)?;
        if !org.plan.includes(Feature::Directory) {
            return Err(DirectoryError::PlanUpgradeRequired);
        }
        Ok(DirectoryCaller {
            org_id: info.org_id,
            token_id: info.id,
            ip,
        })
    }

    /// Provisions a person: finds the account by e-mail or makes one without a password,
    /// makes them a member with the default role (taking a seat) unless they are one, and
    /// keeps the directory's record. `active: false` provisions them suspended. Records
    /// `member.provisioned`.
    #[instrument(skip_all)]
    pub async fn create_user(
        &self,
        caller: &DirectoryCaller,
        user: DirectoryUser,
    ) -> Result<DirectoryUserRecord, DirectoryError> {
        let org = caller.org_id;
        let email = user.account_email().ok_or(DirectoryError::EmailRequired)?;
        let tx = self.uow.begin().await?;
        let org_row = lock_directory(&*tx, org).await?;
        if tx
            .directory()
            .find_user_by_name(org, &user.user_name.key())
            .await?
            .is_some()
        {
            return Err(DirectoryError::UserNameTaken);
        }
        let now = self.clock.now();
        let settings = tx.directory().settings(org).await?.unwrap_or_default();
        let account = match tx.users().find_user_by_email(&email).await? {
            Some(found) => found.user,
            None => {
                let account = User {
                    id: UserId::generate(),
                    email: email.clone(),
                    name: user.account_name(),
                    created_at: now,
                    last_login_at: None,
                    mfa_enabled: false,
                };
                tx.users()
                    .insert_user(&account, &PasswordHash::none())
                    .await?;
                account
            }
        };
        let (role, adopted) = match tx.members().find_member(org, account.id).await? {
            Some(_) if tx.directory().find_user(org, account.id).await?.is_some() => {
                return Err(DirectoryError::UserNameTaken);
            }
            Some(membership) => (membership.role, true),
            None => {
                ensure_seat(&*tx, &org_row, now, 0).await?;
                let role = resolve_role(&*tx, &org_row, settings.default_role).await?;
                let membership = Membership {
                    org_id: org,
                    user_id: account.id,
                    role: role.clone(),
                    joined_at: now,
                };
                tx.members().insert_member(&membership).await?;
                (role, false)
            }
        };
        if !user.active {
            if role.is_owner() {
                return Err(DirectoryError::OwnerImmutable);
            }
            tx.members()
                .set_suspended(org, account.id, Some(now))
                .await?;
        }
        let record = DirectoryUserRecord {
            org_id: org,
            user_id: account.id,
            user,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        tx.directory()
            .insert_user(&record)
            .await
            .map_err(name_taken)?;
        let event = caller_event(caller, AuditAction::MemberProvisioned, now)
            .target("userId", account.id)
            .target("email", account.email.as_str())
            .meta("role", role.key())
            .meta("userName", record.user.user_name.as_str())
            .meta("existingMember", adopted)
            .meta("active", record.user.active);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// One person the directory manages.
    #[instrument(skip_all)]
    pub async fn user(
        &self,
        caller: &DirectoryCaller,
        id: UserId,
    ) -> Result<DirectoryUserRecord, DirectoryError> {
        let tx = self.uow.read_one().await?;
        tx.directory()
            .find_user(caller.org_id, id)
            .await?
            .ok_or(DirectoryError::UserNotFound)
    }

    /// Every person the directory manages, oldest first; with `user_name`, only the one of
    /// that user name (the lookup identity providers make before each create).
    #[instrument(skip_all)]
    pub async fn users(
        &self,
        caller: &DirectoryCaller,
        user_name: Option<&str>,
    ) -> Result<Vec<DirectoryUserRecord>, DirectoryError> {
        let tx = self.uow.read_one().await?;
        match user_name {
            // A name no user could have finds no one.
            Some(name) => match DirectoryName::parse("userName", name) {
                Ok(name) => Ok(tx
                    .directory()
                    .find_user_by_name(caller.org_id, &name.key())
                    .await?
                    .into_iter()
                    .collect()),
                Err(_) => Ok(Vec::new()),
            },
            None => Ok(tx.directory().list_users(caller.org_id).await?),
        }
    }

    /// Replaces what the directory says about a person; with `expected_version`, only if the
    /// record is still at it. A change of `active` suspends or restores the membership
    /// (`member.suspended`, `member.restored`); other changes record `scim.user_updated`. The
    /// account's e-mail address and name are never changed: other orgs share the account.
    #[instrument(skip_all)]
    pub async fn replace_user(
        &self,
        caller: &DirectoryCaller,
        id: UserId,
        user: DirectoryUser,
        expected_version: Option<u64>,
    ) -> Result<DirectoryUserRecord, DirectoryError> {
        let org = caller.org_id;
        let tx = self.uow.begin().await?;
        lock_directory(&*tx, org).await?;
        let current = tx
            .directory()
            .find_user(org, id)
            .await?
            .ok_or(DirectoryError::UserNotFound)?;
        if expected_version.is_some_and(|version| version != current.version) {
            return Err(DirectoryError::VersionMismatch);
        }
        let now = self.clock.now();
        if user.active != current.user.active {
            let membership = tx
                .members()
                .find_member(org, id)
                .await?
                .ok_or(DirectoryError::UserNotFound)?;
            if membership.role.is_owner() {
                return Err(DirectoryError::OwnerImmutable);
            }
            tx.members()
                .set_suspended(org, id, (!user.active).then_some(now))
                .await?;
            let action = if user.active {
                AuditAction::MemberRestored
            } else {
                AuditAction::MemberSuspended
            };
            tx.audit()
                .append(&caller_event(caller, action, now).target("userId", id))
                .await?;
        }
        // What the store keeps besides `active`; the address and name only serve provisioning.
        let changed_otherwise = (&user.user_name, &user.external_id, &user.attributes)
            != (
                &current.user.user_name,
                &current.user.external_id,
                &current.user.attributes,
            );
        let record = DirectoryUserRecord {
            user,
            updated_at: now,
            version: current.version + 1,
            ..current
        };
        if !tx
            .directory()
            .update_user(&record, record.version - 1)
            .await
            .map_err(name_taken)?
        {
            return Err(DirectoryError::VersionMismatch);
        }
        if changed_otherwise {
            let event = caller_event(caller, AuditAction::DirectoryUserUpdated, now)
                .target("userId", id)
                .meta("userName", record.user.user_name.as_str());
            tx.audit().append(&event).await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// Ends the membership of a person the directory manages, and their record; the account
    /// stays. Never the owner. Records `member.deprovisioned`.
    #[instrument(skip_all)]
    pub async fn delete_user(
        &self,
        caller: &DirectoryCaller,
        id: UserId,
    ) -> Result<(), DirectoryError> {
        let org = caller.org_id;
        let tx = self.uow.begin().await?;
        lock_directory(&*tx, org).await?;
        tx.directory()
            .find_user(org, id)
            .await?
            .ok_or(DirectoryError::UserNotFound)?;
        let membership = tx
            .members()
            .find_member(org, id)
            .await?
            .ok_or(DirectoryError::UserNotFound)?;
        if membership.role.is_owner() {
            return Err(DirectoryError::OwnerImmutable);
        }
        tx.members().delete_member(org, id).await?;
        let event = caller_event(caller, AuditAction::MemberDeprovisioned, self.clock.now())
            .target("userId", id)
            .meta("role", membership.role.key());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a group; its members get the role its mapping says, if any. Records
    /// `scim.group_created`.
    #[instrument(skip_all)]
    pub async fn create_group(
        &self,
        caller: &DirectoryCaller,
        group: DirectoryGroup,
    ) -> Result<DirectoryGroupRecord, DirectoryError> {
        let org = caller.org_id;
        let tx = self.uow.begin().await?;
        let org_row = lock_directory(&*tx, org).await?;
        let group = known_members(&*tx, org, group, &BTreeSet::new()).await?;
        let now = self.clock.now();
        let record = DirectoryGroupRecord {
            id: ScimGroupId::generate(),
            org_id: org,
            group,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        tx.directory()
            .insert_group(&record)
            .await
            .map_err(group_name_taken)?;
        tx.audit()
            .append(&group_event(
                caller,
                AuditAction::DirectoryGroupCreated,
                &record,
                now,
            ))
            .await?;
        self.sync(&*tx, &org_row, caller, &record.group.members, now)
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// One group with its members.
    #[instrument(skip_all)]
    pub async fn group(
        &self,
        caller: &DirectoryCaller,
        id: ScimGroupId,
    ) -> Result<DirectoryGroupRecord, DirectoryError> {
        let tx = self.uow.read_one().await?;
        tx.directory()
            .find_group(caller.org_id, id)
            .await?
            .ok_or(DirectoryError::GroupNotFound)
    }

    /// Every group with its members, oldest first.
    #[instrument(skip_all)]
    pub async fn groups(
        &self,
        caller: &DirectoryCaller,
    ) -> Result<Vec<DirectoryGroupRecord>, DirectoryError> {
        let tx = self.uow.read_one().await?;
        Ok(tx.directory().list_groups(caller.org_id).await?)
    }

    /// Replaces a group (name and members); with `expected_version`, only if it is still at
    /// it. Members who join or leave get the roles the mappings now say. Records
    /// `scim.group_updated`.
    #[instrument(skip_all)]
    pub async fn replace_group(
        &self,
        caller: &DirectoryCaller,
        id: ScimGroupId,
        group: DirectoryGroup,
        expected_version: Option<u64>,
    ) -> Result<DirectoryGroupRecord, DirectoryError> {
        let org = caller.org_id;
        let tx = self.uow.begin().await?;
        let org_row = lock_directory(&*tx, org).await?;
        let current = tx
            .directory()
            .find_group(org, id)
            .await?
            .ok_or(DirectoryError::GroupNotFound)?;
        if expected_version.is_some_and(|version| version != current.version) {
            return Err(DirectoryError::VersionMismatch);
        }
        let before: BTreeSet<UserId> = current.group.members.iter().copied().collect();
        let group = known_members(&*tx, org, group, &before).await?;
        let now = self.clock.now();
        let after: BTreeSet<UserId> = group.members.iter().copied().collect();
        // A renamed group may match another mapping: all its members' roles may change.
        // Otherwise only those who joined or left do, so one more member of a large group
        // costs a few statements, not one per member.
        let touched: BTreeSet<UserId> =
            if group.display_name.key() == current.group.display_name.key() {
                before.symmetric_difference(&after).copied().collect()
            } else {
                before.union(&after).copied().collect()
            };
        let record = DirectoryGroupRecord {
            group,
            updated_at: now,
            version: current.version + 1,
            ..current
        };
        if !tx
            .directory()
            .update_group(&record, record.version - 1)
            .await
            .map_err(group_name_taken)?
        {
            return Err(DirectoryError::VersionMismatch);
        }
        tx.audit()
            .append(&group_event(
                caller,
                AuditAction::DirectoryGroupUpdated,
                &record,
                now,
            ))
            .await?;
        let touched: Vec<UserId> = touched.into_iter().collect();
        self.sync(&*tx, &org_row, caller, &touched, now).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Deletes a group; its members get the roles the mappings now say. Records
    /// `scim.group_deleted`.
    #[instrument(skip_all)]
    pub async fn delete_group(
        &self,
        caller: &DirectoryCaller,
        id: ScimGroupId,
    ) -> Result<(), DirectoryError> {
        let org = caller.org_id;
        let tx = self.uow.begin().await?;
        let org_row = lock_directory(&*tx, org).await?;
        let current = tx
            .directory()
            .find_group(org, id)
            .await?
            .ok_or(DirectoryError::GroupNotFound)?;
        tx.directory().delete_group(org, id).await?;
        let now = self.clock.now();
        tx.audit()
            .append(&group_event(
                caller,
                AuditAction::DirectoryGroupDeleted,
                &current,
                now,
            ))
            .await?;
        self.sync(&*tx, &org_row, caller, &current.group.members, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sync(
        &self,
        tx: &dyn Transaction,
        org: &Org,
        caller: &DirectoryCaller,
        users: &[UserId],
        at: OffsetDateTime,
    ) -> Result<(), DirectoryError> {
        let settings = tx.directory().settings(org.id).await?.unwrap_or_default();
        RoleSync {
            tx,
            org,
            settings: &settings,
            at,
            caller: Some(caller),
        }
        .apply(users)
        .await
    }

    async fn owner_tx(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<Box<dyn Transaction>, DirectoryError> {
        let tx = Access::begin_for::<DirectoryError>(&*self.uow, actor, &[(org, OWNER)]).await?;
        owner_of(&*tx, actor, org).await?;
        Ok(tx)
    }
}

/// Gives managed members the roles the group mappings say; with no mappings, roles are the
/// owner's business and nothing changes. The owner's role never changes.
struct RoleSync<'a> {
    tx: &'a dyn Transaction,
    org: &'a Org,
    settings: &'a ProvisioningSettings,
    at: OffsetDateTime,
    caller: Option<&'a DirectoryCaller>,
}

impl RoleSync<'_> {
    async fn apply(&self, users: &[UserId]) -> Result<(), DirectoryError> {
        if self.settings.group_roles.is_empty() {
            return Ok(());
        }
        let mut resolved = Vec::<(RoleChoice, AssignedRole)>::new();
        for &user in users {
            let Some(membership) = self.tx.members().find_member(self.org.id, user).await? else {
                continue;
            };
            if membership.role.is_owner() {
                continue;
            }
            let groups = self.tx.directory().group_keys_of(self.org.id, user).await?;
            let choice = self.settings.role_for(&groups);
            let role = match resolved.iter().find(|(known, _)| *known == choice) {
                Some((_, role)) => role.clone(),
                None => {
                    let role = resolve_role(self.tx, self.org, choice).await?;
                    resolved.push((choice, role.clone()));
                    role
                }
            };
            if role.key() == membership.role.key() {
                continue;
            }
            self.tx
                .members()
                .set_member_role(self.org.id, user, &role)
                .await?;
            let mut event =
                AuditEvent::new(self.org.id, None, AuditAction::MemberRoleUpdated, self.at)
                    .target("userId", user)
                    .meta("from", membership.role.key())
                    .meta("role", role.key())
                    .meta("via", "scim");
            if let Some(caller) = self.caller {
                event = event.meta("scimTokenId", caller.token_id);
                event.ip = caller.ip;
            }
            self.tx.audit().append(&event).await?;
        }
        Ok(())
    }
}

async fn owner_of(tx: &dyn Transaction, actor: &Actor, org: OrgId) -> Result<Org, DirectoryError> {
    Access::load::<DirectoryError>(tx, org, actor, OWNER).await?;
    let org_row = tx
        .orgs()
        .find_org(org)
        .await?
        .ok_or(DirectoryError::OrgNotFound)?;
    if !org_row.plan.includes(Feature::Directory) {
        return Err(DirectoryError::PlanUpgradeRequired);
    }
    Ok(org_row)
}

async fn lock_org(tx: &dyn Transaction, org: OrgId) -> Result<Org, DirectoryError> {
    tx.orgs()
        .lock_org(org)
        .await?
        .ok_or(DirectoryError::OrgNotFound)
}

/// The org, locked, if its plan still has directory sync.
async fn lock_directory(tx: &dyn Transaction, org: OrgId) -> Result<Org, DirectoryError> {
    let org_row = lock_org(tx, org).await?;
    if !org_row.plan.includes(Feature::Directory) {
        return Err(DirectoryError::PlanUpgradeRequired);
    }
    Ok(org_row)
}

/// The group with its members deduplicated, once each is known to be a managed person; those
/// in `known` (the group's members already) are not looked up again.
async fn known_members(
    tx: &dyn Transaction,
    org: OrgId,
    group: DirectoryGroup,
    known: &BTreeSet<UserId>,
) -> Result<DirectoryGroup, DirectoryError> {
    let mut seen = BTreeSet::new();
    let mut members = Vec::with_capacity(group.members.len());
    for user in group.members {
        if seen.insert(user) {
            if !known.contains(&user) {
                tx.directory()
                    .find_user(org, user)
                    .await?
                    .ok_or(DirectoryError::UnknownMember)?;
            }
            members.push(user);
        }
    }
    Ok(DirectoryGroup { members, ..group })
}

fn caller_event(caller: &DirectoryCaller, action: AuditAction, at: OffsetDateTime) -> AuditEvent {
    let mut event = AuditEvent::new(caller.org_id, None, action, at)
        .meta("via", "scim")
        .meta("scimTokenId", caller.token_id);
    event.ip = caller.ip;
    event
}

fn group_event(
    caller: &DirectoryCaller,
    action: AuditAction,
    record: &DirectoryGroupRecord,
    at: OffsetDateTime,
) -> AuditEvent {
    caller_event(caller, action, at)
        .target("groupId", record.id)
        .meta("displayName", record.group.display_name.as_str())
        .meta("members", record.group.members.len())
}

fn name_taken(error: crate::error::StoreError) -> DirectoryError {
    match error {
        crate::error::StoreError::Conflict(_) => DirectoryError::UserNameTaken,
        other => other.into(),
    }
}

fn group_name_taken(error: crate::error::StoreError) -> DirectoryError {
    match error {
        crate::error::StoreError::Conflict(_) => DirectoryError::GroupNameTaken,
        other => other.into(),
    }
}
