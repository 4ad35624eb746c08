//! The repositories of which the example's flow uses nothing: the e-mail outbox, integrations
//! and webhooks. Every method refuses through [`not_kept`], so a use case that reaches one
//! fails with an internal error that names the method, instead of acting on a made-up answer.

use async_trait::async_trait;
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{IntegrationId, InvitationId, OrgId, WebhookId};
use tenantry_domain::integration::{Integration, IntegrationRepository, SealedCredentials};
use tenantry_domain::mail::{Mail, OutboxMessage, OutboxRepository};
use tenantry_domain::webhook::{
    ClaimedWebhook, DeliveryAttempt, RoundOutcome, Webhook, WebhookRepository,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{MemoryTx, not_kept};

#[async_trait]
impl OutboxRepository for MemoryTx {
    async fn enqueue(
        &self,
        _: &Mail,
        _: Option<InvitationId>,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        not_kept("outbox.enqueue")
    }

    async fn discard_unsent(&self, _: InvitationId) -> Result<u64, StoreError> {
        not_kept("outbox.discard_unsent")
    }

    async fn has_due(&self, _: OffsetDateTime) -> Result<bool, StoreError> {
        not_kept("outbox.has_due")
    }

    async fn claim_due(
        &self,
        _: OffsetDateTime,
        _: OffsetDateTime,
        _: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        not_kept("outbox.claim_due")
    }

    async fn mark_sent(&self, _: Uuid, _: OffsetDateTime) -> Result<(), StoreError> {
        not_kept("outbox.mark_sent")
    }

    async fn mark_failed(
        &self,
        _: Uuid,
        _: u32,
        _: OffsetDateTime,
        _: &str,
    ) -> Result<(), StoreError> {
        not_kept("outbox.mark_failed")
    }

    async fn count_pending(&self) -> Result<u64, StoreError> {
        not_kept("outbox.count_pending")
    }
}

#[async_trait]
impl IntegrationRepository for MemoryTx {
    async fn insert_integration(
        &self,
        _: &Integration,
        _: &SealedCredentials,
    ) -> Result<(), StoreError> {
        not_kept("integrations.insert_integration")
    }

    async fn list_integrations(&self, _: OrgId) -> Result<Vec<Integration>, StoreError> {
        not_kept("integrations.list_integrations")
    }

    async fn find_integration(
        &self,
        _: OrgId,
        _: IntegrationId,
    ) -> Result<Option<Integration>, StoreError> {
        not_kept("integrations.find_integration")
    }

    async fn update_integration(
        &self,
        _: &Integration,
        _: Option<SealedCredentials>,
    ) -> Result<(), StoreError> {
        not_kept("integrations.update_integration")
    }

    async fn delete_integration(&self, _: OrgId, _: IntegrationId) -> Result<(), StoreError> {
        not_kept("integrations.delete_integration")
    }
}

#[async_trait]
impl WebhookRepository for MemoryTx {
    async fn insert_webhook(&self, _: &Webhook, _: &SealedCredentials) -> Result<(), StoreError> {
        not_kept("webhooks.insert_webhook")
    }

    async fn list_webhooks(&self, _: OrgId) -> Result<Vec<Webhook>, StoreError> {
        not_kept("webhooks.list_webhooks")
    }

    async fn find_webhook(&self, _: OrgId, _: WebhookId) -> Result<Option<Webhook>, StoreError> {
        not_kept("webhooks.find_webhook")
    }

    async fn update_webhook(&self, _: &Webhook) -> Result<(), StoreError> {
        not_kept("webhooks.update_webhook")
    }

    async fn delete_webhook(&self, _: OrgId, _: WebhookId) -> Result<(), StoreError> {
        not_kept("webhooks.delete_webhook")
    }

    async fn list_attempts(
        &self,
        _: WebhookId,
        _: u64,
        _: u64,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        not_kept("webhooks.list_attempts")
    }

    async fn count_attempts(&self, _: WebhookId) -> Result<u64, StoreError> {
        not_kept("webhooks.count_attempts")
    }

    async fn has_due(&self, _: OffsetDateTime) -> Result<bool, StoreError> {
        not_kept("webhooks.has_due")
    }

    async fn claim_due(
        &self,
        _: OffsetDateTime,
        _: OffsetDateTime,
        _: u32,
        _: u32,
    ) -> Result<Vec<ClaimedWebhook>, StoreError> {
        not_kept("webhooks.claim_due")
    }

    async fn record_round(&self, _: &RoundOutcome) -> Result<(), StoreError> {
        not_kept("webhooks.record_round")
    }
}
