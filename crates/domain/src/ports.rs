//! The unit of work: the one port through which every use case reads and writes.
//!
//! A use case opens a [`Transaction`], works through its repositories and commits; dropping it
//! without committing rolls everything back, so a failed step leaves nothing behind.

use async_trait::async_trait;

use crate::audit::AuditRepository;
use crate::error::StoreError;
use crate::integration::IntegrationRepository;
use crate::invitation::InvitationRepository;
use crate::mail::OutboxRepository;
use crate::member::MemberRepository;
use crate::org::OrgRepository;
use crate::role::RoleRepository;
use crate::user::{SessionRepository, UserRepository};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    /// A read-write transaction. Writers are serialised per organization (see
    /// [`OrgRepository::lock_org`]) or, on SQLite, per database.
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError>;
    /// A read-only transaction: one consistent snapshot, never committed.
    async fn read(&self) -> Result<Box<dyn Transaction>, StoreError>;
    /// For reads that need no common snapshot (a single statement, or statements whose
    /// result stays right if another commit lands between them): an adapter may skip opening
    /// and closing a transaction, whose round trips cost more than these reads. Never for
    /// writes.
    async fn read_one(&self) -> Result<Box<dyn Transaction>, StoreError> {
        self.read().await
    }
}

/// One open transaction, exposing every repository over the same connection.
#[async_trait]
pub trait Transaction: Send + Sync {
    fn users(&self) -> &dyn UserRepository;
    fn sessions(&self) -> &dyn SessionRepository;
    fn orgs(&self) -> &dyn OrgRepository;
    fn members(&self) -> &dyn MemberRepository;
    fn roles(&self) -> &dyn RoleRepository;
    fn audit(&self) -> &dyn AuditRepository;
    fn invitations(&self) -> &dyn InvitationRepository;
    fn outbox(&self) -> &dyn OutboxRepository;
    fn integrations(&self) -> &dyn IntegrationRepository;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
