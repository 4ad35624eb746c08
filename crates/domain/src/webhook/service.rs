use std::collections::BTreeMap;
use std::sync::Arc;

use tracing::instrument;

use super::error::WebhookError;
use super::model::{
    CreatedWebhook, DeliveryLog, EventTypes, MAX_WEBHOOKS_PER_ORG, NewWebhook, SECRET_OVERLAP,
    Webhook, WebhookChanges, WebhookSecret, WebhookUrl,
};
use super::ports::WebhookSender;
use crate::audit::{AuditAction, AuditEvent, AuditPage};
use crate::authz::{Access, Actor, Permission, Requirement};
use crate::clock::Clock;
use crate::ids::{AuditEventId, OrgId, WebhookId};
use crate::integration::{Credentials, SealError, SealedCredentials, Sealer};
use crate::ports::{Transaction, UnitOfWork};

const SETTINGS_WRITE: Requirement = Requirement::Permission(Permission::SettingsWrite);
const SEALED_KEY: &str = "webhook_secret";

/// The context a webhook's secret is sealed under: a sealed secret copied to another row or
/// tenant does not open there.
pub(crate) fn seal_context(org: OrgId, id: WebhookId) -> Vec<u8> {
    let mut context = b"tenantry-webhook-v1".to_vec();
    context.extend_from_slice(org.as_uuid().as_bytes());
    context.extend_from_slice(id.as_uuid().as_bytes());
    context
}

pub(crate) fn open_secret(
    sealer: &dyn Sealer,
    org: OrgId,
    id: WebhookId,
    sealed: &SealedCredentials,
) -> Result<WebhookSecret, SealError> {
    sealer
        .open(sealed, &seal_context(org, id))?
        .expose()
        .get(SEALED_KEY)
        .and_then(|text| WebhookSecret::from_text(text))
        .ok_or_else(|| SealError("no webhook secret".into()))
}

fn seal_secret(
    sealer: &dyn Sealer,
    org: OrgId,
    id: WebhookId,
    secret: &WebhookSecret,
) -> Result<SealedCredentials, SealError> {
    let wrapped =
        Credentials::from_trusted(BTreeMap::from([(SEALED_KEY.to_owned(), secret.text())]));
    sealer.seal(&wrapped, &seal_context(org, id))
}

fn event_names(events: &EventTypes) -> String {
    let names: Vec<&str> = events.actions().iter().map(|a| a.name()).collect();
    names.join(",")
}

/// An org's webhooks: every use case needs `settings:write`, since a webhook reads the whole
/// audit log of the org. The signing secret is shown once, at creation.
#[derive(Clone)]
pub struct WebhookService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    sealer: Arc<dyn Sealer>,
    sender: Arc<dyn WebhookSender>,
}

impl WebhookService {
    /// Builds the service over the store, the clock, the sealer of secrets and the sender,
    /// which judges whether a URL may be reached.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        sealer: Arc<dyn Sealer>,
        sender: Arc<dyn WebhookSender>,
    ) -> Self {
        Self {
            uow,
            clock,
            sealer,
            sender,
        }
    }

    /// Checks the caller on a read, then the target `url` if one is set (so a stranger learns
    /// nothing of how a name resolves, and no lock waits on DNS), then opens the write
    /// transaction and checks the caller again under its lock.
    async fn begin_checked(
        &self,
        actor: &Actor,
        org: OrgId,
        url: Option<&WebhookUrl>,
    ) -> Result<Box<dyn Transaction>, WebhookError> {
        {
            let read = self.uow.read_one().await?;
            Access::load::<WebhookError>(&*read, org, actor, SETTINGS_WRITE).await?;
        }
        if let Some(url) = url {
            self.sender.check_target(url).await?;
        }
        let tx = self.uow.begin().await?;
        Access::load::<WebhookError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        Ok(tx)
    }

    /// The org's webhooks, oldest first, without their secrets.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(&self, actor: &Actor, org: OrgId) -> Result<Vec<Webhook>, WebhookError> {
        let tx = self.uow.read().await?;
        Access::load::<WebhookError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        let mut webhooks = tx.webhooks().list_webhooks(org).await?;
        for webhook in &mut webhooks {
            self.forget_expired_secret(webhook);
        }
        Ok(webhooks)
    }

    /// The store keeps a previous secret's row until the next rotation; past its overlap it
    /// signs nothing, so it is not shown.
    fn forget_expired_secret(&self, webhook: &mut Webhook) {
        let now = self.clock.now();
        webhook.previous_secret_expires_at = webhook
            .previous_secret_expires_at
            .filter(|until| *until > now);
    }

    /// Adds a webhook with a fresh secret; events appended from now on are delivered to it.
    /// Refuses a URL the sender may not reach with a validation error on `url`, and a 21st
    /// webhook with [`LimitReached`](WebhookError::LimitReached).
    #[instrument(skip_all, fields(org = %org))]
    pub async fn create(
        &self,
        actor: &Actor,
        org: OrgId,
        new: NewWebhook,
    ) -> Result<CreatedWebhook, WebhookError> {
        let tx = self.begin_checked(actor, org, Some(&new.url)).await?;
        if tx.webhooks().list_webhooks(org).await?.len() >= MAX_WEBHOOKS_PER_ORG {
            return Err(WebhookError::LimitReached);
        }
        let now = self.clock.now();
        let webhook = Webhook {
            id: WebhookId::generate(),
            org_id: org,
            url: new.url,
            events: new.events,
            active: true,
            previous_secret_expires_at: None,
            created_at: now,
        };
        let secret = WebhookSecret::generate();
        let sealed = seal_secret(&*self.sealer, org, webhook.id, &secret)?;
        tx.webhooks().insert_webhook(&webhook, &sealed).await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::WebhookCreated, now)
            .target("webhookId", webhook.id)
            .meta("url", webhook.url.origin())
            .meta("events", event_names(&webhook.events));
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(CreatedWebhook { webhook, secret })
    }

    /// Changes the URL, the subscription or whether it is active; what is not given stays, and
    /// a change to nothing records nothing.
    #[instrument(skip_all, fields(org = %org, webhook = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        org: OrgId,
        id: WebhookId,
        changes: WebhookChanges,
    ) -> Result<Webhook, WebhookError> {
        let tx = self.begin_checked(actor, org, changes.url.as_ref()).await?;
        let mut webhook = found(&*tx, org, id).await?;
        // Before the comparison: the store keeps an expired overlap's time, and a change to
        // nothing must stay nothing.
        self.forget_expired_secret(&mut webhook);
        let before = webhook.clone();
        if let Some(url) = changes.url {
            webhook.url = url;
        }
        if let Some(events) = changes.events {
            webhook.events = events;
        }
        if let Some(active) = changes.active {
            webhook.active = active;
        }
        if webhook == before {
            return Ok(webhook);
        }
        tx.webhooks().update_webhook(&webhook).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::WebhookUpdated,
            self.clock.now(),
        )
        .target("webhookId", id)
        .meta("url", webhook.url.origin())
        .meta("events", event_names(&webhook.events))
        .meta("active", webhook.active.to_string());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(webhook)
    }

    /// Replaces the signing secret with a fresh one, handed out this once. The secret it
    /// replaces signs beside it for [`SECRET_OVERLAP`], so receivers can switch without
    /// refusing a delivery; one left from an earlier rotation stops at once.
    #[instrument(skip_all, fields(org = %org, webhook = %id))]
    pub async fn rotate_secret(
        &self,
        actor: &Actor,
        org: OrgId,
        id: WebhookId,
    ) -> Result<CreatedWebhook, WebhookError> {
        let tx = self.begin_checked(actor, org, None).await?;
        let mut webhook = found(&*tx, org, id).await?;
        let secret = WebhookSecret::generate();
        let sealed = seal_secret(&*self.sealer, org, id, &secret)?;
        let now = self.clock.now();
        let previous_until = now + SECRET_OVERLAP;
        tx.webhooks()
            .rotate_secret(org, id, &sealed, previous_until)
            .await?;
        webhook.previous_secret_expires_at = Some(previous_until);
        let event = AuditEvent::new(org, Some(actor), AuditAction::WebhookSecretRotated, now)
            .target("webhookId", id)
            .meta_time("previousSecretExpiresAt", previous_until);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(CreatedWebhook { webhook, secret })
    }

    /// Sends the webhook a test event: a `webhook.tested` audit event, queued for it whatever
    /// it subscribes to and delivered by the workers like any other, after the events queued
    /// before it. Returns the event's id, the `webhook-id` the receiver gets.
    #[instrument(skip_all, fields(org = %org, webhook = %id))]
    pub async fn send_test(
        &self,
        actor: &Actor,
        org: OrgId,
        id: WebhookId,
    ) -> Result<AuditEventId, WebhookError> {
        let tx = self.begin_checked(actor, org, None).await?;
        let webhook = found(&*tx, org, id).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::WebhookTested,
            self.clock.now(),
        )
        .target("webhookId", id)
        .meta("url", webhook.url.origin());
        tx.audit().append(&event).await?;
        tx.webhooks().queue_test(id, event.id).await?;
        tx.commit().await?;
        Ok(event.id)
    }

    /// Deletes the webhook; events still queued for it are dropped.
    #[instrument(skip_all, fields(org = %org, webhook = %id))]
    pub async fn delete(
        &self,
        actor: &Actor,
        org: OrgId,
        id: WebhookId,
    ) -> Result<(), WebhookError> {
        let tx = self.begin_checked(actor, org, None).await?;
        let webhook = found(&*tx, org, id).await?;
        tx.webhooks().delete_webhook(org, id).await?;
        let event = AuditEvent::new(
            org,
            Some(actor),
            AuditAction::WebhookDeleted,
            self.clock.now(),
        )
        .target("webhookId", id)
        .meta("url", webhook.url.origin());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The webhook's delivery attempts, newest first, a page at a time.
    #[instrument(skip_all, fields(org = %org, webhook = %id))]
    pub async fn deliveries(
        &self,
        actor: &Actor,
        org: OrgId,
        id: WebhookId,
        page: AuditPage,
    ) -> Result<DeliveryLog, WebhookError> {
        let tx = self.uow.read().await?;
        Access::load::<WebhookError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        found(&*tx, org, id).await?;
        let total = tx.webhooks().count_attempts(id).await?;
        let attempts = tx
            .webhooks()
            .list_attempts(id, (page.page - 1) * page.limit, page.limit)
            .await?;
        Ok(DeliveryLog {
            attempts,
            total,
            page: page.page,
            pages: total.div_ceil(page.limit),
        })
    }
}

async fn found(tx: &dyn Transaction, org: OrgId, id: WebhookId) -> Result<Webhook, WebhookError> {
    tx.webhooks()
        .find_webhook(org, id)
        .await?
        .ok_or(WebhookError::NotFound)
}
