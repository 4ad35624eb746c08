use async_trait::async_trait;
use time::OffsetDateTime;

use super::model::{DomainName, OrgDomain};
use crate::error::StoreError;
use crate::ids::{DomainId, OrgId};

/// Storage of the domains orgs claim, reached through
/// [`Transaction::domains`](crate::ports::Transaction::domains).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DomainRepository: Send + Sync {
    /// Stores a new, pending domain. Fails with [`StoreError::Conflict`] when the org claims
    /// that domain already.
    async fn insert_domain(&self, domain: &OrgDomain) -> Result<(), StoreError>;
    /// The org's domains, oldest first.
    async fn list_domains(&self, org: OrgId) -> Result<Vec<OrgDomain>, StoreError>;
    /// The domain with that id in `org`; `None` for another org's.
    async fn find_domain(&self, org: OrgId, id: DomainId) -> Result<Option<OrgDomain>, StoreError>;
    /// The org's claim that is verified for `domain`, of whichever org holds it; `None` when
    /// no org has verified it.
    async fn find_verified(&self, domain: &DomainName) -> Result<Option<OrgDomain>, StoreError>;
    /// Marks the domain verified at `at`. Fails with [`StoreError::Conflict`] when another org
    /// verified the same domain (a unique index on verified domains decides a race).
    async fn mark_verified(&self, id: DomainId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// Stores changed auto-join settings.
    async fn update_domain(&self, domain: &OrgDomain) -> Result<(), StoreError>;
    /// Deletes the claim; false when there was none.
    async fn delete_domain(&self, org: OrgId, id: DomainId) -> Result<bool, StoreError>;
    /// Up to `limit` pending domains of every org, those checked least recently first, and
    /// records that they are being checked at `now` (so the next round takes others).
    async fn claim_pending(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OrgDomain>, StoreError>;
}

/// A DNS lookup failed (the server did not answer, or answered with an error other than "no
/// such name"); the text says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("DNS lookup failed: {0}")]
pub struct DnsError(pub String);

/// Looks up TXT records: the outgoing adapter of domain verification.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DnsResolver: Send + Sync {
    /// The TXT records of `name`, each as its strings joined; empty when the name has none or
    /// does not exist.
    async fn txt_records(&self, name: &str) -> Result<Vec<String>, DnsError>;
}
