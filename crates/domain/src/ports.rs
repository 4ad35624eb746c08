//! The unit of work: the one port through which every use case reads and writes.
//!
//! A use case opens a [`Transaction`], works through its repositories and commits; dropping it
//! without committing rolls everything back, so a failed step leaves nothing behind.

use async_trait::async_trait;

use crate::audit::AuditRepository;
use crate::directory::DirectoryRepository;
use crate::domains::DomainRepository;
use crate::error::StoreError;
use crate::integration::IntegrationRepository;
use crate::invitation::InvitationRepository;
use crate::mail::OutboxRepository;
use crate::member::MemberRepository;
use crate::org::OrgRepository;
use crate::role::RoleRepository;
use crate::user::{SessionRepository, UserRepository};
use crate::webhook::WebhookRepository;

/// The store as use cases see it: it opens [`Transaction`]s. The persistence adapter
/// implements it over SQLite and PostgreSQL; the `mocks` feature adds `MockUnitOfWork`.
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
    /// Accounts, their e-mail verification and their second factor.
    fn users(&self) -> &dyn UserRepository;
    /// Sign-in sessions and API tokens.
    fn sessions(&self) -> &dyn SessionRepository;
    /// Organizations, and the org row lock that serialises their writers.
    fn orgs(&self) -> &dyn OrgRepository;
    /// Memberships, and the access checks read from them.
    fn members(&self) -> &dyn MemberRepository;
    /// The orgs' custom roles.
    fn roles(&self) -> &dyn RoleRepository;
    /// The audit log and its hash chain.
    fn audit(&self) -> &dyn AuditRepository;
    /// E-mail invitations and join links.
    fn invitations(&self) -> &dyn InvitationRepository;
    /// The e-mail outbox: a message written here commits or rolls back with the change it is
    /// about.
    fn outbox(&self) -> &dyn OutboxRepository;
    /// The orgs' integrations, with their sealed credentials.
    fn integrations(&self) -> &dyn IntegrationRepository;
    /// The orgs' webhooks and their delivery queues.
    fn webhooks(&self) -> &dyn WebhookRepository;
    /// Orgs' directories (SCIM): tokens, settings, managed users and groups.
    fn directory(&self) -> &dyn DirectoryRepository;
    /// The domains orgs claim and verify.
    fn domains(&self) -> &dyn DomainRepository;
    /// Makes every write of the transaction permanent. Dropping the transaction instead rolls
    /// them all back; a read transaction ([`UnitOfWork::read`]) is simply dropped.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
