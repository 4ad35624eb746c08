//! The repositories of which the example's flow uses nothing: the e-mail outbox (but for
//! queueing, which sign-up does), integrations, webhooks, directories and domains. Every other
//! method refuses through [`not_kept`], so a use case that reaches one fails with an internal
//! error that names the method, instead of acting on a made-up answer.

use async_trait::async_trait;
use tenantry_domain::directory::{
    DirectoryGroupRecord, DirectoryRepository, DirectoryTokenInfo, DirectoryUserRecord,
    ProvisioningSettings,
};
use tenantry_domain::domains::{DomainName, DomainRepository, OrgDomain};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{
    AuditEventId, DomainId, IntegrationId, InvitationId, OrgId, ScimGroupId, ScimTokenId, UserId,
    WebhookId,
};
use tenantry_domain::integration::{Integration, IntegrationRepository, SealedCredentials};
use tenantry_domain::mail::{Mail, OutboxMessage, OutboxRepository};
use tenantry_domain::user::TokenHash;
use tenantry_domain::webhook::{
    ClaimedWebhook, DeliveryAttempt, RoundOutcome, Webhook, WebhookRepository,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::store::{MemoryTx, not_kept};

#[async_trait]
impl DomainRepository for MemoryTx {
    async fn insert_domain(&self, _: &OrgDomain) -> Result<(), StoreError> {
        not_kept("domains.insert_domain")
    }

    async fn list_domains(&self, _: OrgId) -> Result<Vec<OrgDomain>, StoreError> {
        not_kept("domains.list_domains")
    }

    async fn find_domain(&self, _: OrgId, _: DomainId) -> Result<Option<OrgDomain>, StoreError> {
        not_kept("domains.find_domain")
    }

    async fn find_verified(&self, _: &DomainName) -> Result<Option<OrgDomain>, StoreError> {
        not_kept("domains.find_verified")
    }

    async fn mark_verified(&self, _: DomainId, _: OffsetDateTime) -> Result<(), StoreError> {
        not_kept("domains.mark_verified")
    }

    async fn update_domain(&self, _: &OrgDomain) -> Result<(), StoreError> {
        not_kept("domains.update_domain")
    }

    async fn delete_domain(&self, _: OrgId, _: DomainId) -> Result<bool, StoreError> {
        not_kept("domains.delete_domain")
    }

    async fn claim_pending(&self, _: OffsetDateTime, _: u32) -> Result<Vec<OrgDomain>, StoreError> {
        not_kept("domains.claim_pending")
    }
}

#[async_trait]
impl OutboxRepository for MemoryTx {
    /// Kept, unlike the rest: sign-up queues the mail that verifies the address.
    async fn enqueue(
        &self,
        mail: &Mail,
        _: Option<InvitationId>,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.state_mut()?.outbox.push(mail.clone());
        Ok(())
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

    async fn mark_sent(&self, _: &[Uuid], _: OffsetDateTime) -> Result<(), StoreError> {
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

    async fn rotate_secret(
        &self,
        _: OrgId,
        _: WebhookId,
        _: &SealedCredentials,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        not_kept("webhooks.rotate_secret")
    }

    async fn queue_test(&self, _: WebhookId, _: AuditEventId) -> Result<(), StoreError> {
        not_kept("webhooks.queue_test")
    }

    async fn delete_webhook(&self, _: OrgId, _: WebhookId) -> Result<(), StoreError> {
        not_kept("webhooks.delete_webhook")
    }

    async fn prune_attempts_before(
        &self,
        _: OrgId,
        _: OffsetDateTime,
        _: u64,
    ) -> Result<u64, StoreError> {
        not_kept("webhooks.prune_attempts_before")
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

#[async_trait]
impl DirectoryRepository for MemoryTx {
    async fn insert_token(&self, _: &DirectoryTokenInfo, _: &TokenHash) -> Result<(), StoreError> {
        not_kept("directory.insert_token")
    }

    async fn list_tokens(&self, _: OrgId) -> Result<Vec<DirectoryTokenInfo>, StoreError> {
        not_kept("directory.list_tokens")
    }

    async fn delete_token(&self, _: OrgId, _: ScimTokenId) -> Result<bool, StoreError> {
        not_kept("directory.delete_token")
    }

    async fn find_token(&self, _: &TokenHash) -> Result<Option<DirectoryTokenInfo>, StoreError> {
        not_kept("directory.find_token")
    }

    async fn settings(&self, _: OrgId) -> Result<Option<ProvisioningSettings>, StoreError> {
        not_kept("directory.settings")
    }

    async fn save_settings(&self, _: OrgId, _: &ProvisioningSettings) -> Result<(), StoreError> {
        not_kept("directory.save_settings")
    }

    async fn insert_user(&self, _: &DirectoryUserRecord) -> Result<(), StoreError> {
        not_kept("directory.insert_user")
    }

    async fn update_user(&self, _: &DirectoryUserRecord, _: u64) -> Result<bool, StoreError> {
        not_kept("directory.update_user")
    }

    async fn find_user(
        &self,
        _: OrgId,
        _: UserId,
    ) -> Result<Option<DirectoryUserRecord>, StoreError> {
        not_kept("directory.find_user")
    }

    async fn find_user_by_name(
        &self,
        _: OrgId,
        _: &str,
    ) -> Result<Option<DirectoryUserRecord>, StoreError> {
        not_kept("directory.find_user_by_name")
    }

    async fn list_users(&self, _: OrgId) -> Result<Vec<DirectoryUserRecord>, StoreError> {
        not_kept("directory.list_users")
    }

    async fn insert_group(&self, _: &DirectoryGroupRecord) -> Result<(), StoreError> {
        not_kept("directory.insert_group")
    }

    async fn update_group(&self, _: &DirectoryGroupRecord, _: u64) -> Result<bool, StoreError> {
        not_kept("directory.update_group")
    }

    async fn find_group(
        &self,
        _: OrgId,
        _: ScimGroupId,
    ) -> Result<Option<DirectoryGroupRecord>, StoreError> {
        not_kept("directory.find_group")
    }

    async fn list_groups(&self, _: OrgId) -> Result<Vec<DirectoryGroupRecord>, StoreError> {
        not_kept("directory.list_groups")
    }

    async fn delete_group(&self, _: OrgId, _: ScimGroupId) -> Result<bool, StoreError> {
        not_kept("directory.delete_group")
    }

    async fn group_keys_of(&self, _: OrgId, _: UserId) -> Result<Vec<String>, StoreError> {
        not_kept("directory.group_keys_of")
    }
}
