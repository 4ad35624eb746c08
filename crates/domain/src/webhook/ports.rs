use async_trait::async_trait;
use time::OffsetDateTime;

use super::model::{DeliveryAttempt, Webhook, WebhookUrl};
use crate::audit::AuditEntry;
use crate::error::StoreError;
use crate::ids::{AuditEventId, OrgId, WebhookId};
use crate::integration::SealedCredentials;
use crate::validation::ValidationError;

/// A webhook taken by one delivery worker, with the events queued for it, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimedWebhook {
    /// The webhook.
    pub id: WebhookId,
    /// Its org, part of the context its secret is sealed under.
    pub org_id: OrgId,
    /// Where to post.
    pub url: WebhookUrl,
    /// Its signing secret, sealed.
    pub secret: SealedCredentials,
    /// The secret before its last rotation, sealed, while it still signs (see
    /// [`SECRET_OVERLAP`](super::SECRET_OVERLAP)).
    pub previous_secret: Option<SealedCredentials>,
    /// Failed tries of the event at the head of its queue so far: it paces the backoff.
    pub failures: u32,
    /// The queued events, in the order of the org's audit log.
    pub queue: Vec<QueuedEvent>,
}

/// An event waiting for delivery to one webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedEvent {
    /// Its place in the org's audit log, which is the order of delivery.
    pub seq: u64,
    /// The event, with its actor's name.
    pub entry: AuditEntry,
}

/// What one round did for one webhook, recorded in one write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundOutcome {
    /// The webhook.
    pub webhook: WebhookId,
    /// The tries made, in order; all but the last succeeded when the last failed.
    pub attempts: Vec<DeliveryAttempt>,
    /// The queue's place up to which (inclusive) events were delivered, to drop them.
    pub delivered_through: Option<u64>,
    /// Failed tries of the new head of the queue (0 after a success).
    pub failures: u32,
    /// When the webhook is due again.
    pub retry_at: OffsetDateTime,
}

/// Storage of webhooks and of their delivery queues, reached through
/// [`Transaction::webhooks`](crate::ports::Transaction::webhooks). Every read and write of the
/// API is scoped to one org. Events reach the queues through
/// [`AuditRepository::append`](crate::audit::AuditRepository::append): the adapter queues each
/// appended event for every webhook of its org that subscribes to its action, in the same
/// transaction (the outbox), so an event is queued exactly when its change commits.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send + Sync {
    /// Stores a new webhook and its sealed secret; only events appended after this are queued
    /// for it.
    async fn insert_webhook(
        &self,
        webhook: &Webhook,
        secret: &SealedCredentials,
    ) -> Result<(), StoreError>;
    /// The org's webhooks, oldest first.
    async fn list_webhooks(&self, org: OrgId) -> Result<Vec<Webhook>, StoreError>;
    /// The webhook with that id in `org`; `None` for an id of another org.
    async fn find_webhook(&self, org: OrgId, id: WebhookId) -> Result<Option<Webhook>, StoreError>;
    /// Stores a changed URL, subscription and `active`.
    async fn update_webhook(&self, webhook: &Webhook) -> Result<(), StoreError>;
    /// Makes `secret` the webhook's signing secret; the one it replaces signs beside it until
    /// `previous_until`, and one kept from an earlier rotation is dropped.
    async fn rotate_secret(
        &self,
        org: OrgId,
        id: WebhookId,
        secret: &SealedCredentials,
        previous_until: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Queues the appended `event` for the webhook, unless its subscriptions already did, and
    /// makes the webhook due now (a test is for a receiver just fixed: its backoff waits no
    /// more).
    async fn queue_test(&self, id: WebhookId, event: AuditEventId) -> Result<(), StoreError>;
    /// Deletes the webhook with its queue and its recorded attempts.
    async fn delete_webhook(&self, org: OrgId, id: WebhookId) -> Result<(), StoreError>;
    /// Deletes up to `limit` recorded attempts of the org's webhooks made before `cutoff`;
    /// returns how many went.
    async fn prune_attempts_before(
        &self,
        org: OrgId,
        cutoff: OffsetDateTime,
        limit: u64,
    ) -> Result<u64, StoreError>;
    /// The webhook's recorded attempts, newest first, skipping `offset`.
    async fn list_attempts(
        &self,
        id: WebhookId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<DeliveryAttempt>, StoreError>;
    /// How many attempts the webhook has recorded.
    async fn count_attempts(&self, id: WebhookId) -> Result<u64, StoreError>;
    /// Whether any active webhook has events queued and is due at `now`: a read, so an idle
    /// worker takes no write lock.
    async fn has_due(&self, now: OffsetDateTime) -> Result<bool, StoreError>;
    /// Takes up to `webhooks` due active webhooks with up to `events` queued events each, with
    /// their previous secret while it signs at `now`, and hides them from other workers until
    /// `lease_until` (rows locked by another transaction are skipped on PostgreSQL). A webhook is taken whole, so its events go out in order.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        webhooks: u32,
        events: u32,
    ) -> Result<Vec<ClaimedWebhook>, StoreError>;
    /// Records a round: stores its attempts, drops the delivered events from the queue, sets
    /// when the webhook is due again and ends the lease. A webhook deleted meanwhile records
    /// nothing.
    async fn record_round(&self, outcome: &RoundOutcome) -> Result<(), StoreError>;
}

/// Posts deliveries over HTTP: the outgoing adapter of webhooks. It decides which addresses
/// may be reached: only public ones unless the operator allowed private targets, checked both
/// when a URL is set and at every connection (against a name that resolves elsewhere later).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// Refuses, with field `url`, a URL whose host is or resolves to an address that may not
    /// be reached. A name that does not resolve now is accepted: deliveries will fail and be
    /// retried until it does.
    async fn check_target(&self, url: &WebhookUrl) -> Result<(), ValidationError>;
    /// Posts `body` as JSON with `headers`, without following redirects; the receiver's status,
    /// or why no answer came.
    async fn post(
        &self,
        url: &WebhookUrl,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<u16, String>;
}
