use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use super::model::Mail;
use crate::error::StoreError;
use crate::ids::InvitationId;

/// A queued message as the delivery worker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The message's row in the outbox, for [`OutboxRepository::mark_sent`] and
    /// [`OutboxRepository::mark_failed`].
    pub id: Uuid,
    /// The message as queued.
    pub mail: Mail,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// The transactional outbox: written by use cases in their own transaction, drained by the
/// delivery worker.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxRepository: Send + Sync {
    /// Queues `mail`, due at once; `about` names the invitation it carries a link to, so the
    /// message goes when the invitation does.
    async fn enqueue(
        &self,
        mail: &Mail,
        about: Option<InvitationId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Drops the undelivered messages about an invitation whose link is dead (revoked, or
    /// replaced by a resend); returns how many.
    async fn discard_unsent(&self, about: InvitationId) -> Result<u64, StoreError>;
    /// Whether any message is due at `now`: a read, so an idle worker takes no write lock.
    async fn has_due(&self, now: OffsetDateTime) -> Result<bool, StoreError>;
    /// Takes up to `limit` messages due at `now` and hides them from other workers until
    /// `lease_until` (rows locked by another transaction are skipped on PostgreSQL). A worker
    /// that dies mid-delivery thus leaves its messages to be retried after the lease.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Records the delivery of every message of `ids` and drops their stored content, which may
    /// hold a live invitation link. One statement for the whole batch: on SQLite it runs in the
    /// single write turn that requests wait for.
    async fn mark_sent(&self, ids: &[Uuid], at: OffsetDateTime) -> Result<(), StoreError>;
    /// Records a failed attempt and when to try again.
    async fn mark_failed(
        &self,
        id: Uuid,
        attempts: u32,
        retry_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Messages not yet delivered.
    async fn count_pending(&self) -> Result<u64, StoreError>;
}
