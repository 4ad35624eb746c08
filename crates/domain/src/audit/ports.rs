use async_trait::async_trait;

use super::model::AuditEvent;
use super::query::{AuditCursor, AuditFilter};
use crate::error::StoreError;
use crate::ids::OrgId;

/// An event as read back, with the actor's current display name (`None` for an operator or a
/// deleted account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub event: AuditEvent,
    pub actor_name: Option<String>,
}

/// Append and read; no method changes or removes an event (deleting the org aside).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditRepository: Send + Sync {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// The events that match, newest first, skipping `offset`.
    async fn list_events(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    async fn count_events(&self, org: OrgId, filter: &AuditFilter) -> Result<u64, StoreError>;
    /// The events that match and are older than `before` (all when `None`), newest first: the
    /// keyset pages of an export, each as cheap as the first.
    async fn events_before(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        before: Option<AuditCursor>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
