use std::sync::Arc;

use time::Duration;
use tracing::instrument;

use super::error::OrgError;
use super::model::{Org, OrgChanges, OrgName, OrgSummary};
use super::settings::OrgSettings;
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, BuiltinRole, Permission, Requirement};
use crate::clock::Clock;
use crate::ids::OrgId;
use crate::member::{AssignedRole, Membership};
use crate::plan::Plan;
use crate::ports::{Transaction, UnitOfWork};
use crate::user::SessionCache;

const SETTINGS_WRITE: Requirement = Requirement::Permission(Permission::SettingsWrite);

/// Organization management: list, create, read, rename, delete, and the operator's plan change.
#[derive(Clone)]
pub struct OrgService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    sessions: Arc<SessionCache>,
}

impl OrgService {
    /// Builds the service over the store and the clock. Built this way it shares no session
    /// cache, so deleting an org cannot end at once the API tokens that an
    /// [`AuthService`](crate::user::AuthService) has cached; [`crate::Services`] wires the two
    /// together.
    pub fn new(uow: Arc<dyn UnitOfWork>, clock: Arc<dyn Clock>) -> Self {
        Self {
            uow,
            clock,
            sessions: Arc::new(SessionCache::new(Duration::ZERO)),
        }
    }

    /// Shares the session cache of the [`AuthService`](crate::user::AuthService), so that
    /// deleting an org ends the API tokens pinned to it on this instance at once.
    pub(crate) fn sharing_sessions(self, sessions: Arc<SessionCache>) -> Self {
        Self { sessions, ..self }
    }

    /// The orgs the actor belongs to.
    #[instrument(skip_all)]
    pub async fn list(&self, actor: &Actor) -> Result<Vec<OrgSummary>, OrgError> {
        let tx = self.uow.read().await?;
        let mut orgs = tx.orgs().list_orgs_of(actor.user_id).await?;
        orgs.retain(|summary| actor.may_reach(summary.org.id));
        Ok(orgs)
    }

    /// Creates an org on the free plan, owned by the actor.
    #[instrument(skip_all)]
    pub async fn create(&self, actor: &Actor, name: OrgName) -> Result<OrgSummary, OrgError> {
        if actor.pinned_org.is_some() {
            return Err(OrgError::TokenPinned);
        }
        let now = self.clock.now();
        let org = Org {
            id: OrgId::generate(),
            name,
            plan: Plan::Free,
            created_at: now,
            settings: OrgSettings::default(),
        };
        let owner = Membership {
            org_id: org.id,
            user_id: actor.user_id,
            role: AssignedRole::Builtin(BuiltinRole::Owner),
            joined_at: now,
        };
        let tx = self.uow.begin().await?;
        tx.orgs().insert_org(&org).await?;
        tx.members().insert_member(&owner).await?;
        let event = AuditEvent::new(org.id, Some(actor), AuditAction::OrgCreated, now)
            .target("orgId", org.id)
            .meta("name", org.name.as_str());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(OrgSummary {
            org,
            role: owner.role,
            member_count: 1,
        })
    }

    /// The org with the actor's role in it and its member count; any member may read it. A
    /// non-member (or a token pinned elsewhere) gets [`OrgError::NotFound`].
    #[instrument(skip_all, fields(org = %id))]
    pub async fn get(&self, actor: &Actor, id: OrgId) -> Result<OrgSummary, OrgError> {
        // Three independent reads: no snapshot needed, so none of a transaction's round trips.
        let tx = self.uow.read_one().await?;
        let access = Access::load::<OrgError>(&*tx, id, actor, Requirement::Membership).await?;
        summary(&*tx, access).await
    }

    /// The org `/api/org` works on for the actor: the session's active org, else the oldest
    /// of the actor's memberships. An active org the actor has since left is refused rather
    /// than silently swapped for another tenant.
    #[instrument(skip_all)]
    pub async fn current(&self, actor: &Actor) -> Result<OrgId, OrgError> {
        let tx = self.uow.read_one().await?;
        if let Some(org) = actor.pinned_org.or(actor.active_org) {
            return match tx.members().find_member(org, actor.user_id).await? {
                Some(_) => Ok(org),
                None => Err(OrgError::ActiveOrgUnavailable),
            };
        }
        tx.members()
            .oldest_membership(actor.user_id)
            .await?
            .ok_or(OrgError::NoActiveOrg)
    }

    /// Renames the org; needs `settings:write`.
    pub async fn rename(
        &self,
        actor: &Actor,
        id: OrgId,
        name: OrgName,
    ) -> Result<OrgSummary, OrgError> {
        let changes = OrgChanges {
            name: Some(name),
            ..OrgChanges::default()
        };
        self.update(actor, id, changes).await
    }

    /// Changes the name and settings; needs `settings:write`. The audit event names the
    /// settings that changed, not their values, which may be private.
    #[instrument(skip_all, fields(org = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        id: OrgId,
        changes: OrgChanges,
    ) -> Result<OrgSummary, OrgError> {
        let checks = [(id, SETTINGS_WRITE)];
        let tx = Access::begin_for::<OrgError>(&*self.uow, actor, &checks).await?;
        let current = tx.orgs().lock_org(id).await?.ok_or(OrgError::NotFound)?;
        let access = Access::load::<OrgError>(&*tx, id, actor, SETTINGS_WRITE).await?;
        if changes.name.is_none() && changes.settings.is_empty() {
            return summary(&*tx, access).await;
        }
        let mut event = AuditEvent::new(id, Some(actor), AuditAction::OrgUpdated, self.clock.now())
            .target("orgId", id);
        if let Some(name) = &changes.name {
            tx.orgs().rename_org(id, name).await?;
            event = event
                .meta("previousName", current.name.as_str())
                .meta("name", name.as_str());
        }
        if !changes.settings.is_empty() {
            let settings = current.settings.patched(&changes.settings)?;
            // Requiring a second factor without one would lock the caller out at once.
            if settings.requires_mfa() && !current.settings.requires_mfa() && !access.has_mfa() {
                return Err(OrgError::MfaRequired);
            }
            tx.orgs().set_settings(id, &settings).await?;
            let keys: Vec<&str> = changes.settings.keys().map(|key| key.as_str()).collect();
            event = event.meta("settings", keys.join(","));
        }
        tx.audit().append(&event).await?;
        let updated = summary(&*tx, access).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes the org with every membership, role and audit entry; owner only.
    #[instrument(skip_all, fields(org = %id))]
    pub async fn delete(&self, actor: &Actor, id: OrgId) -> Result<(), OrgError> {
        let owner = [(id, Requirement::Owner)];
        let tx = Access::begin_for::<OrgError>(&*self.uow, actor, &owner).await?;
        tx.orgs().lock_org(id).await?.ok_or(OrgError::NotFound)?;
        Access::load::<OrgError>(&*tx, id, actor, Requirement::Owner).await?;
        tx.orgs().delete_org(id).await?;
        tx.commit().await?;
        self.sessions.forget_org(id);
        tracing::info!(org = %id, by = %actor.user_id, "organization deleted");
        Ok(())
    }

    /// Sets an org's plan on an operator's or billing system's behalf.
    #[instrument(skip_all, fields(org = %id, plan = %plan))]
    pub async fn set_plan_as_operator(&self, id: OrgId, plan: Plan) -> Result<Org, OrgError> {
        let tx = self.uow.begin().await?;
        let current = tx.orgs().lock_org(id).await?.ok_or(OrgError::NotFound)?;
        if current.plan == plan {
            return Ok(current);
        }
        tx.orgs().set_plan(id, plan).await?;
        let event = AuditEvent::new(id, None, AuditAction::OrgPlanChanged, self.clock.now())
            .target("orgId", id)
            .meta("from", current.plan)
            .meta("plan", plan);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(Org { plan, ..current })
    }
}

async fn summary(tx: &dyn Transaction, access: Access) -> Result<OrgSummary, OrgError> {
    let membership = access.into_membership();
    let org = tx
        .orgs()
        .find_org(membership.org_id)
        .await?
        .ok_or(OrgError::NotFound)?;
    let member_count = tx.members().count_members(org.id).await?;
    Ok(OrgSummary {
        org,
        role: membership.role,
        member_count,
    })
}
