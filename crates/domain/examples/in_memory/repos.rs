//! The repositories the example's flow uses. Each implements for real the methods that sign-up,
//! creating an org, the operator's plan change and member addition, creating and assigning a
//! custom role and permission checks call, with the rules their doc comments state; every
//! other method refuses through [`not_kept`].

use async_trait::async_trait;
use tenantry_domain::audit::{
    AuditCursor, AuditEvent, AuditFilter, AuditRepository, ChainLink, ChainState, EventPage,
    ExportChunk, chain_hash,
};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{InvitationId, OrgId, RoleId, SessionId, UserId};
use tenantry_domain::integration::SealedCredentials;
use tenantry_domain::invitation::{
    Invitation, InvitationRepository, InvitationStatus, InvitationView,
};
use tenantry_domain::member::{
    AssignedRole, Member, MemberAccess, MemberPage, MemberRepository, MembersVersion, Membership,
};
use tenantry_domain::org::{Org, OrgName, OrgRepository, OrgSettings, OrgSummary};
use tenantry_domain::plan::Plan;
use tenantry_domain::role::{CustomRole, RoleRepository, RoleWithCount};
use tenantry_domain::user::{
    CurrentSession, Email, PasswordHash, Session, SessionRepository, TokenHash, TotpState, User,
    UserRepository, UserWithPassword,
};
use time::OffsetDateTime;

use crate::store::{MemberRow, MemoryTx, OrgRow, RoleRef, State, UserRow, not_kept};

#[async_trait]
impl UserRepository for MemoryTx {
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let mut state = self.state_mut()?;
        // `Email` is normalised when it is made, so equal strings are the same address.
        if state.users.values().any(|row| row.user.email == user.email) {
            return Err(StoreError::Conflict("users.email".into()));
        }
        if state.users.contains_key(&user.id) {
            return Err(StoreError::Conflict("users.id".into()));
        }
        let row = UserRow {
            user: user.clone(),
            password_hash: password_hash.clone(),
        };
        state.users.insert(user.id, row);
        Ok(())
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.state()?.users.get(&id).map(|row| row.user.clone()))
    }

    async fn find_user_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<UserWithPassword>, StoreError> {
        let state = self.state()?;
        let found = state.users.values().find(|row| row.user.email == *email);
        Ok(found.map(|row| UserWithPassword {
            // Never verified here: `mark_email_verified` is not kept.
            email_verified: false,
            user: row.user.clone(),
            password_hash: row.password_hash.clone(),
        }))
    }

    async fn record_login(&self, _: UserId, _: OffsetDateTime) -> Result<(), StoreError> {
        not_kept("users.record_login")
    }

    async fn email_verified(&self, _: UserId) -> Result<bool, StoreError> {
        not_kept("users.email_verified")
    }

    async fn totp(&self, _: UserId) -> Result<TotpState, StoreError> {
        not_kept("users.totp")
    }

    async fn set_pending_totp(
        &self,
        _: UserId,
        _: Option<SealedCredentials>,
    ) -> Result<(), StoreError> {
        not_kept("users.set_pending_totp")
    }

    async fn enable_totp(
        &self,
        _: UserId,
        _: SealedCredentials,
        _: OffsetDateTime,
        _: u64,
    ) -> Result<(), StoreError> {
        not_kept("users.enable_totp")
    }

    async fn disable_totp(&self, _: UserId) -> Result<(), StoreError> {
        not_kept("users.disable_totp")
    }

    async fn use_totp_step(&self, _: UserId, _: u64) -> Result<bool, StoreError> {
        not_kept("users.use_totp_step")
    }

    async fn mark_email_verified(&self, _: UserId, _: OffsetDateTime) -> Result<(), StoreError> {
        not_kept("users.mark_email_verified")
    }

    async fn save_email_verification(
        &self,
        id: UserId,
        token: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // Sign-up issues one; keeping it per account replaces an older one, as the port asks.
        self.state_mut()?
            .email_verifications
            .insert(id, (token.clone(), expires_at));
        Ok(())
    }

    async fn find_email_verification(
        &self,
        _: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError> {
        not_kept("users.find_email_verification")
    }

    async fn delete_email_verification(&self, _: &TokenHash) -> Result<bool, StoreError> {
        not_kept("users.delete_email_verification")
    }

    async fn save_password_reset(
        &self,
        _: UserId,
        _: &TokenHash,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        not_kept("users.save_password_reset")
    }

    async fn find_password_reset(
        &self,
        _: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError> {
        not_kept("users.find_password_reset")
    }

    async fn delete_password_reset(&self, _: &TokenHash) -> Result<bool, StoreError> {
        not_kept("users.delete_password_reset")
    }

    async fn password_reset_expiry(&self, _: UserId) -> Result<Option<OffsetDateTime>, StoreError> {
        not_kept("users.password_reset_expiry")
    }

    async fn set_password_hash(&self, _: UserId, _: &PasswordHash) -> Result<(), StoreError> {
        not_kept("users.set_password_hash")
    }
}

#[async_trait]
impl SessionRepository for MemoryTx {
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let mut state = self.state_mut()?;
        if !state.users.contains_key(&session.user_id) {
            return Err(StoreError::MissingReference("users".into()));
        }
        if state.sessions.contains_key(&session.token_hash) {
            return Err(StoreError::Conflict("sessions.token_hash".into()));
        }
        state
            .sessions
            .insert(session.token_hash.clone(), session.clone());
        Ok(())
    }

    async fn find_session(&self, _: &TokenHash) -> Result<Option<Session>, StoreError> {
        not_kept("sessions.find_session")
    }

    async fn find_current_session(
        &self,
        _: &TokenHash,
    ) -> Result<Option<CurrentSession>, StoreError> {
        not_kept("sessions.find_current_session")
    }

    async fn delete_session(&self, _: &TokenHash) -> Result<(), StoreError> {
        not_kept("sessions.delete_session")
    }

    async fn set_active_org(&self, _: &TokenHash, _: OrgId) -> Result<(), StoreError> {
        not_kept("sessions.set_active_org")
    }

    async fn list_api_tokens(&self, _: UserId) -> Result<Vec<Session>, StoreError> {
        not_kept("sessions.list_api_tokens")
    }

    async fn delete_api_token(&self, _: UserId, _: SessionId) -> Result<bool, StoreError> {
        not_kept("sessions.delete_api_token")
    }

    async fn sweep_expired_sessions(&self, _: OffsetDateTime, _: u64) -> Result<u64, StoreError> {
        not_kept("sessions.sweep_expired_sessions")
    }

    async fn delete_expired_sessions(
        &self,
        _: UserId,
        _: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        not_kept("sessions.delete_expired_sessions")
    }

    async fn delete_user_sessions(&self, _: UserId, _: bool) -> Result<u64, StoreError> {
        not_kept("sessions.delete_user_sessions")
    }
}

#[async_trait]
impl OrgRepository for MemoryTx {
    async fn insert_org(&self, org: &Org) -> Result<(), StoreError> {
        let mut state = self.state_mut()?;
        if state.orgs.contains_key(&org.id) {
            return Err(StoreError::Conflict("orgs.id".into()));
        }
        let row = OrgRow {
            org: org.clone(),
            members_version: 0,
            audit_seq: 0,
            audit_head: None,
        };
        state.orgs.insert(org.id, row);
        Ok(())
    }

    async fn find_org(&self, _: OrgId) -> Result<Option<Org>, StoreError> {
        not_kept("orgs.find_org")
    }

    async fn list_orgs(&self, _: Option<OrgId>, _: u64) -> Result<Vec<Org>, StoreError> {
        not_kept("orgs.list_orgs")
    }

    async fn lock_org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        // No lock is taken: `commit` refusing a transaction that another one overtook keeps
        // what the lock would, that rules read under it still hold when the writes land.
        Ok(self.state()?.orgs.get(&id).map(|row| row.org.clone()))
    }

    async fn rename_org(&self, _: OrgId, _: &OrgName) -> Result<(), StoreError> {
        not_kept("orgs.rename_org")
    }

    async fn set_settings(&self, _: OrgId, _: &OrgSettings) -> Result<(), StoreError> {
        not_kept("orgs.set_settings")
    }

    async fn set_plan(&self, id: OrgId, plan: Plan) -> Result<(), StoreError> {
        // Like the SQL adapter's UPDATE, an unknown id changes nothing and is no error.
        if let Some(row) = self.state_mut()?.orgs.get_mut(&id) {
            row.org.plan = plan;
        }
        Ok(())
    }

    async fn delete_org(&self, _: OrgId) -> Result<(), StoreError> {
        not_kept("orgs.delete_org")
    }

    async fn list_orgs_of(&self, _: UserId) -> Result<Vec<OrgSummary>, StoreError> {
        not_kept("orgs.list_orgs_of")
    }
}

#[async_trait]
impl MemberRepository for MemoryTx {
    async fn insert_member(&self, membership: &Membership) -> Result<(), StoreError> {
        let mut state = self.state_mut()?;
        let (org, user) = (membership.org_id, membership.user_id);
        if !state.orgs.contains_key(&org) {
            return Err(StoreError::MissingReference("orgs".into()));
        }
        if !state.users.contains_key(&user) {
            return Err(StoreError::MissingReference("users".into()));
        }
        let role = role_ref(&state, org, &membership.role)?;
        if state.members.contains_key(&(org, user)) {
            return Err(StoreError::Conflict("memberships: already a member".into()));
        }
        if membership.role.is_owner() && owner_other_than(&state, org, user) {
            return Err(StoreError::Conflict(
                "memberships: one owner per org".into(),
            ));
        }
        let row = MemberRow {
            role,
            joined_at: membership.joined_at,
        };
        state.members.insert((org, user), row);
        list_changed(&mut state, org);
        Ok(())
    }

    async fn find_member(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        let state = self.state()?;
        state
            .members
            .get(&(org, user))
            .map(|row| membership(&state, org, user, row))
            .transpose()
    }

    async fn list_members(&self, _: OrgId, _: MemberPage) -> Result<Vec<Member>, StoreError> {
        not_kept("members.list_members")
    }

    async fn count_members(&self, org: OrgId) -> Result<u64, StoreError> {
        let state = self.state()?;
        let count = state.members.keys().filter(|(of, _)| *of == org).count();
        Ok(count as u64)
    }

    async fn find_access(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<MemberAccess>, StoreError> {
        access(&*self.state()?, org, user)
    }

    async fn find_accesses(
        &self,
        org: OrgId,
        users: &[UserId],
    ) -> Result<Vec<MemberAccess>, StoreError> {
        let state = self.state()?;
        users
            .iter()
            .filter_map(|&user| access(&state, org, user).transpose())
            .collect()
    }

    async fn oldest_membership(&self, _: UserId) -> Result<Option<OrgId>, StoreError> {
        not_kept("members.oldest_membership")
    }

    async fn set_member_role(
        &self,
        org: OrgId,
        user: UserId,
        role: &AssignedRole,
    ) -> Result<(), StoreError> {
        let mut state = self.state_mut()?;
        let stored = role_ref(&state, org, role)?;
        if role.is_owner() && owner_other_than(&state, org, user) {
            return Err(StoreError::Conflict(
                "memberships: one owner per org".into(),
            ));
        }
        // Like the SQL adapter's UPDATE, a user who is not a member changes nothing.
        if let Some(row) = state.members.get_mut(&(org, user)) {
            row.role = stored;
            list_changed(&mut state, org);
        }
        Ok(())
    }

    async fn delete_member(&self, _: OrgId, _: UserId) -> Result<(), StoreError> {
        not_kept("members.delete_member")
    }

    async fn set_suspended(
        &self,
        _: OrgId,
        _: UserId,
        _: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        not_kept("members.set_suspended")
    }

    async fn reassign_custom_role(
        &self,
        _: OrgId,
        _: RoleId,
        _: BuiltinRole,
    ) -> Result<u64, StoreError> {
        not_kept("members.reassign_custom_role")
    }
}

/// The role to store for `role` in `org`: a custom role must be one of that org's.
fn role_ref(state: &State, org: OrgId, role: &AssignedRole) -> Result<RoleRef, StoreError> {
    match role {
        AssignedRole::Builtin(role) => Ok(RoleRef::Builtin(*role)),
        AssignedRole::Custom(role) => match state.roles.get(&role.id) {
            Some(stored) if stored.org_id == org => Ok(RoleRef::Custom(role.id)),
            _ => Err(StoreError::MissingReference("custom_roles".into())),
        },
    }
}

fn owner_other_than(state: &State, org: OrgId, user: UserId) -> bool {
    state.members.iter().any(|(&(of, member), row)| {
        of == org && member != user && row.role == RoleRef::Builtin(BuiltinRole::Owner)
    })
}

/// Moves the org's member-list version, in the same transaction as the change.
fn list_changed(state: &mut State, org: OrgId) {
    if let Some(row) = state.orgs.get_mut(&org) {
        row.members_version += 1;
    }
}

/// The stored membership with its role read now, custom roles joined in.
fn membership(
    state: &State,
    org: OrgId,
    user: UserId,
    row: &MemberRow,
) -> Result<Membership, StoreError> {
    let role = match row.role {
        RoleRef::Builtin(role) => AssignedRole::Builtin(role),
        RoleRef::Custom(id) => AssignedRole::Custom(
            state
                .roles
                .get(&id)
                .cloned()
                .ok_or_else(|| dangling("role"))?,
        ),
    };
    Ok(Membership {
        org_id: org,
        user_id: user,
        role,
        joined_at: row.joined_at,
    })
}

/// The membership joined with the org's MFA rule and list version and the member's second
/// factor: what `find_access` promises in one read.
fn access(state: &State, org: OrgId, user: UserId) -> Result<Option<MemberAccess>, StoreError> {
    let Some(row) = state.members.get(&(org, user)) else {
        return Ok(None);
    };
    let org_row = state.orgs.get(&org).ok_or_else(|| dangling("org"))?;
    let account = state.users.get(&user).ok_or_else(|| dangling("user"))?;
    Ok(Some(MemberAccess {
        membership: membership(state, org, user, row)?,
        org_requires_mfa: org_row.org.settings.requires_mfa(),
        has_mfa: account.user.mfa_enabled,
        members_version: MembersVersion(org_row.members_version),
        suspended: false,
        name: account.user.name.clone(),
    }))
}

/// The writes above check their references, so this would be a bug of this store.
fn dangling(what: &str) -> StoreError {
    StoreError::Unavailable(format!("a membership names a missing {what}"))
}

#[async_trait]
impl RoleRepository for MemoryTx {
    async fn insert_role(&self, role: &CustomRole) -> Result<(), StoreError> {
        let mut state = self.state_mut()?;
        if !state.orgs.contains_key(&role.org_id) {
            return Err(StoreError::MissingReference("orgs".into()));
        }
        // `RoleName::key` folds case and look-alike characters: the uniqueness rule.
        let key = role.name.key();
        let taken = state
            .roles
            .values()
            .any(|other| other.org_id == role.org_id && other.name.key() == key);
        if taken || state.roles.contains_key(&role.id) {
            return Err(StoreError::Conflict("custom_roles.name".into()));
        }
        state.roles.insert(role.id, role.clone());
        Ok(())
    }

    async fn find_role(&self, org: OrgId, id: RoleId) -> Result<Option<CustomRole>, StoreError> {
        let state = self.state()?;
        let role = state.roles.get(&id).filter(|role| role.org_id == org);
        Ok(role.cloned())
    }

    async fn list_roles(&self, _: OrgId) -> Result<Vec<RoleWithCount>, StoreError> {
        not_kept("roles.list_roles")
    }

    async fn count_roles(&self, org: OrgId) -> Result<u64, StoreError> {
        let state = self.state()?;
        let count = state.roles.values().filter(|r| r.org_id == org).count();
        Ok(count as u64)
    }

    async fn update_role(&self, _: &CustomRole) -> Result<(), StoreError> {
        not_kept("roles.update_role")
    }

    async fn delete_role(&self, _: OrgId, _: RoleId) -> Result<(), StoreError> {
        not_kept("roles.delete_role")
    }
}

#[async_trait]
impl AuditRepository for MemoryTx {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let mut guard = self.state_mut()?;
        let state = &mut *guard;
        let org = state
            .orgs
            .get_mut(&event.org_id)
            .ok_or_else(|| StoreError::MissingReference("orgs".into()))?;
        let seq = org.audit_seq + 1;
        let prev_hash = org.audit_head.clone().unwrap_or_default();
        let hash = chain_hash(event, seq, &prev_hash);
        org.audit_seq = seq;
        org.audit_head = Some(hash.clone());
        let link = ChainLink {
            seq,
            prev_hash,
            hash,
        };
        state.audit.push((link, event.clone()));
        // The port also asks to queue the event for the org's webhooks; this store keeps no
        // webhook (`insert_webhook` refuses), so there is no queue to fill.
        Ok(())
    }

    async fn list_events(
        &self,
        _: OrgId,
        _: &AuditFilter,
        _: u64,
        _: u64,
    ) -> Result<EventPage, StoreError> {
        not_kept("audit.list_events")
    }

    async fn count_events(&self, _: OrgId, _: &AuditFilter) -> Result<u64, StoreError> {
        not_kept("audit.count_events")
    }

    async fn chain_state(&self, _: OrgId) -> Result<ChainState, StoreError> {
        not_kept("audit.chain_state")
    }

    async fn chain_links(
        &self,
        _: OrgId,
        _: u64,
        _: u64,
    ) -> Result<Vec<(ChainLink, AuditEvent)>, StoreError> {
        not_kept("audit.chain_links")
    }

    async fn prune_before(&self, _: OrgId, _: OffsetDateTime, _: u64) -> Result<u64, StoreError> {
        not_kept("audit.prune_before")
    }

    async fn count_unchained(&self, _: OrgId) -> Result<u64, StoreError> {
        not_kept("audit.count_unchained")
    }

    async fn export_before(
        &self,
        _: OrgId,
        _: &AuditFilter,
        _: Option<AuditCursor>,
        _: u64,
    ) -> Result<ExportChunk, StoreError> {
        not_kept("audit.export_before")
    }
}

#[async_trait]
impl InvitationRepository for MemoryTx {
    async fn insert_invitation(&self, _: &Invitation, _: &TokenHash) -> Result<(), StoreError> {
        not_kept("invitations.insert_invitation")
    }

    async fn find_invitation(&self, _: InvitationId) -> Result<Option<Invitation>, StoreError> {
        not_kept("invitations.find_invitation")
    }

    async fn find_by_secret(&self, _: &TokenHash) -> Result<Option<Invitation>, StoreError> {
        not_kept("invitations.find_by_secret")
    }

    async fn find_pending_for(
        &self,
        _: OrgId,
        _: &Email,
    ) -> Result<Option<Invitation>, StoreError> {
        not_kept("invitations.find_pending_for")
    }

    async fn list_invitations(&self, _: OrgId) -> Result<Vec<Invitation>, StoreError> {
        not_kept("invitations.list_invitations")
    }

    async fn list_pending_to(
        &self,
        _: &Email,
        _: OffsetDateTime,
    ) -> Result<Vec<InvitationView>, StoreError> {
        not_kept("invitations.list_pending_to")
    }

    async fn count_pending_emails(&self, _: OrgId, _: OffsetDateTime) -> Result<u64, StoreError> {
        // A true count, not a shortcut: `insert_invitation` refuses, so this store never holds
        // an invitation. Seat checks (adding a member on a plan with seats) ask it.
        Ok(0)
    }

    async fn close_invitation(
        &self,
        _: InvitationId,
        _: InvitationStatus,
        _: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        not_kept("invitations.close_invitation")
    }

    async fn record_link_use(
        &self,
        _: InvitationId,
        _: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        not_kept("invitations.record_link_use")
    }

    async fn renew_invitation(
        &self,
        _: InvitationId,
        _: &TokenHash,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        not_kept("invitations.renew_invitation")
    }

    async fn reassign_custom_role(
        &self,
        _: OrgId,
        _: RoleId,
        _: BuiltinRole,
    ) -> Result<u64, StoreError> {
        not_kept("invitations.reassign_custom_role")
    }
}
