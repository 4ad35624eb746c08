use async_trait::async_trait;

use super::chain::{ChainLink, ChainState};
use super::model::AuditEvent;
use super::query::{AuditCursor, AuditFilter};
use crate::error::StoreError;
use crate::ids::OrgId;

/// An event as read back, with the actor's current display name (`None` for an operator or a
/// deleted account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// The event as it was stored.
    pub event: AuditEvent,
    /// The actor account's display name as it is now, not as it was when the event was written.
    pub actor_name: Option<String>,
}

/// One page of a listing and the number of events that match in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventPage {
    /// How many events match the filter, on every page.
    pub total: u64,
    /// This page's events, newest first.
    pub entries: Vec<AuditEntry>,
}

/// A batch of an export, written as CSV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExportChunk {
    /// The rows, one line each, without the header.
    pub csv: Vec<u8>,
    /// How many rows.
    pub rows: u64,
    /// The last row's place, where the next batch starts.
    pub last: Option<AuditCursor>,
}

/// Append and read; no method changes or removes an event (deleting the org aside). `append`
/// chains the event to its org's log: it takes the org's next sequence number and the hash of
/// the event before, holding the org's chain head until the transaction ends, so concurrent
/// writers in one org queue instead of forking the chain.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditRepository: Send + Sync {
    /// Stores `event` as the next link of its org's chain. Call it in the transaction of the
    /// change the event records, so that both commit or neither does.
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// The events that match, newest first, skipping `offset`, with how many match in all:
    /// read together, so the total and the page agree without a transaction around them.
    async fn list_events(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<EventPage, StoreError>;
    /// How many events match: the `total` of a listed page and the row count of an export.
    async fn count_events(&self, org: OrgId, filter: &AuditFilter) -> Result<u64, StoreError>;
    /// Where the org's chain starts and ends.
    async fn chain_state(&self, org: OrgId) -> Result<ChainState, StoreError>;
    /// Chained events with a sequence number above `after_seq`, in sequence order.
    async fn chain_links(
        &self,
        org: OrgId,
        after_seq: u64,
        limit: u64,
    ) -> Result<Vec<(ChainLink, AuditEvent)>, StoreError>;
    /// Deletes, oldest first, up to `limit` chained events created before `cutoff`, stopping at
    /// the first younger one so the rest of the chain stays whole; moves the org's anchor to
    /// the last one deleted. Returns how many went.
    async fn prune_before(
        &self,
        org: OrgId,
        cutoff: time::OffsetDateTime,
        limit: u64,
    ) -> Result<u64, StoreError>;
    /// Events of the org that have no place in the chain (only ever added behind its back).
    async fn count_unchained(&self, org: OrgId) -> Result<u64, StoreError>;
    /// The events that match and are older than `before` (all when `None`), newest first, at
    /// most `limit`, as CSV rows ([`super::csv::CsvBatch`]): the keyset pages of an export,
    /// each as cheap as the first.
    async fn export_before(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        before: Option<AuditCursor>,
        limit: u64,
    ) -> Result<ExportChunk, StoreError>;
}
