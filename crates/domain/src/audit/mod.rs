//! The audit trail: every write appends an event in the same transaction as the change, and
//! members with `audit:read` search it, page through it and export it.

mod chain;
pub mod csv;
mod error;
mod model;
mod ports;
mod query;
mod service;
#[cfg(test)]
mod tests;

pub use chain::{BreakReason, ChainBreak, ChainLink, ChainReport, ChainState, chain_hash};
pub use error::AuditError;
pub use model::{AuditAction, AuditEvent};
pub use ports::{AuditEntry, AuditRepository, EventPage, ExportChunk};
pub use query::{AuditCursor, AuditFilter, AuditLog, AuditPage};
pub use service::{AuditExport, AuditService, Pruned};

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockAuditRepository;
