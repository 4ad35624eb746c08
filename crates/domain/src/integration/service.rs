use std::sync::Arc;

use tracing::instrument;

use super::error::IntegrationError;
use super::model::{
    Integration, IntegrationChanges, IntegrationStatus, NewIntegration, distinct_names,
};
use super::ports::{Sealer, seal_context};
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, Permission, Requirement};
use crate::clock::Clock;
use crate::ids::{IntegrationId, OrgId};
use crate::ports::UnitOfWork;

const SETTINGS_READ: Requirement = Requirement::Permission(Permission::SettingsRead);
const SETTINGS_WRITE: Requirement = Requirement::Permission(Permission::SettingsWrite);

/// An org's integrations: read with `settings:read`, changed with `settings:write`. Audit
/// events name credentials, never their values.
#[derive(Clone)]
pub struct IntegrationService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    sealer: Arc<dyn Sealer>,
}

impl IntegrationService {
    /// Builds the service over the store, the clock and the sealer of credentials.
    /// [`crate::Services`] builds it with the other use cases over the same ports.
    pub fn new(uow: Arc<dyn UnitOfWork>, clock: Arc<dyn Clock>, sealer: Arc<dyn Sealer>) -> Self {
        Self { uow, clock, sealer }
    }

    /// The org's integrations, oldest first, with their credentials' names only; needs
    /// `settings:read`. Refuses a non-member (or a token pinned elsewhere) with
    /// [`OrgNotFound`](IntegrationError::OrgNotFound), a role without the permission with
    /// [`Forbidden`](IntegrationError::Forbidden).
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<Vec<Integration>, IntegrationError> {
        let tx = self.uow.read().await?;
        Access::load::<IntegrationError>(&*tx, org, actor, SETTINGS_READ).await?;
        Ok(tx.integrations().list_integrations(org).await?)
    }

    /// Adds an integration, disconnected until the service that uses it reports otherwise.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn create(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewIntegration,
    ) -> Result<Integration, IntegrationError> {
        distinct_names(&new.config, &new.credentials.names())?;
        let checks = [(org, SETTINGS_WRITE)];
        let tx = Access::begin_for::<IntegrationError>(&*self.uow, actor, &checks).await?;
        Access::load::<IntegrationError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        let now = self.clock.now();
        let integration = Integration {
            id: IntegrationId::generate(),
            org_id: org,
            kind: new.kind,
            status: IntegrationStatus::Disconnected,
            last_scan: None,
            config: new.config,
            credential_names: new.credentials.names(),
            created_at: now,
        };
        let sealed = self
            .sealer
            .seal(&new.credentials, &seal_context(org, integration.id))?;
        tx.integrations()
            .insert_integration(&integration, &sealed)
            .await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::IntegrationCreated, now)
            .target("integrationId", integration.id)
            .meta("type", integration.kind.as_str())
            .meta("credentials", integration.credential_names.join(","));
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(integration)
    }

    /// Changes status, last scan, config or credentials; what is not given stays.
    #[instrument(skip_all, fields(org = %org, integration = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IntegrationId,
        changes: IntegrationChanges,
    ) -> Result<Integration, IntegrationError> {
        let checks = [(org, SETTINGS_WRITE)];
        let tx = Access::begin_for::<IntegrationError>(&*self.uow, actor, &checks).await?;
        Access::load::<IntegrationError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        let mut integration = tx
            .integrations()
            .find_integration(org, id)
            .await?
            .ok_or(IntegrationError::NotFound)?;
        let mut changed = Vec::new();
        if let Some(status) = changes.status {
            integration.status = status;
            changed.push("status");
        }
        if let Some(at) = changes.last_scan {
            integration.last_scan = Some(at);
            changed.push("last_scan");
        }
        if let Some(config) = changes.config {
            integration.config = config;
            changed.push("config");
        }
        let sealed = match &changes.credentials {
            Some(credentials) => {
                integration.credential_names = credentials.names();
                changed.push("credentials");
                Some(self.sealer.seal(credentials, &seal_context(org, id))?)
            }
            None => None,
        };
        if changed.is_empty() {
            return Ok(integration);
        }
        distinct_names(&integration.config, &integration.credential_names)?;
        tx.integrations()
            .update_integration(&integration, sealed)
            .await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::IntegrationUpdated,
            self.clock.now(),
        )
        .target("integrationId", id)
        .meta("type", integration.kind.as_str())
        .meta("changed", changed.join(","));
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(integration)
    }

    /// Removes the integration and its sealed credentials.
    #[instrument(skip_all, fields(org = %org, integration = %id))]
    pub async fn delete(
        &self,
        actor: &Actor,
        org: OrgId,
        id: IntegrationId,
    ) -> Result<(), IntegrationError> {
        let checks = [(org, SETTINGS_WRITE)];
        let tx = Access::begin_for::<IntegrationError>(&*self.uow, actor, &checks).await?;
        Access::load::<IntegrationError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        let integration = tx
            .integrations()
            .find_integration(org, id)
            .await?
            .ok_or(IntegrationError::NotFound)?;
        tx.integrations().delete_integration(org, id).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::IntegrationDeleted,
            self.clock.now(),
        )
        .target("integrationId", id)
        .meta("type", integration.kind.as_str());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }
}
