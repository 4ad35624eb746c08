use async_trait::async_trait;

use super::model::{Credentials, Integration, SealedCredentials};
use crate::error::StoreError;
use crate::ids::{IntegrationId, OrgId};

/// Storage of integrations, implemented by the persistence adapter and reached through
/// [`Transaction::integrations`](crate::ports::Transaction::integrations). Every read and
/// write is scoped to one org: an id of another org's integration finds and changes nothing.
/// Credentials reach the store only sealed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IntegrationRepository: Send + Sync {
    /// Stores a new integration with its sealed credentials.
    async fn insert_integration(
        &self,
        integration: &Integration,
        credentials: &SealedCredentials,
    ) -> Result<(), StoreError>;
    /// The org's integrations, oldest first.
    async fn list_integrations(&self, org: OrgId) -> Result<Vec<Integration>, StoreError>;
    /// The integration with that id in `org`; `None` when there is none there, including when
    /// the id belongs to another org.
    async fn find_integration(
        &self,
        org: OrgId,
        id: IntegrationId,
    ) -> Result<Option<Integration>, StoreError>;
    /// Stores `integration` as it now is, with new sealed credentials when they changed.
    async fn update_integration(
        &self,
        integration: &Integration,
        credentials: Option<SealedCredentials>,
    ) -> Result<(), StoreError>;
    /// Deletes the integration with that id in `org`, sealed credentials included; an id of
    /// another org deletes nothing.
    async fn delete_integration(&self, org: OrgId, id: IntegrationId) -> Result<(), StoreError>;
}

/// Encryption of credentials at rest. `context` names the row the secret belongs to (its org
/// and id): a sealed value copied to another row, or another tenant, does not open there.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Sealer: Send + Sync {
    /// Seals `credentials` under `context` (for an integration, [`seal_context`]). Fails when it
    /// cannot, for instance without randomness for a fresh nonce.
    fn seal(
        &self,
        credentials: &Credentials,
        context: &[u8],
    ) -> Result<SealedCredentials, SealError>;
    /// Opens what [`seal`](Self::seal) made under the same `context`. Fails under another key,
    /// for an altered value, or under another context (a value moved to another row or tenant).
    /// Integration credentials are never opened by Tenantry itself; TOTP secrets, sealed
    /// through this port too, are.
    fn open(&self, sealed: &SealedCredentials, context: &[u8]) -> Result<Credentials, SealError>;
}

/// Sealing or opening failed: a wrong key, a value altered or moved, or no randomness.
#[derive(Debug, thiserror::Error)]
#[error("sealing failed: {0}")]
pub struct SealError(pub String);

/// The context credentials are sealed under: the integration's org and id.
pub fn seal_context(org: OrgId, id: IntegrationId) -> Vec<u8> {
    let mut context = b"tenantry-integration-v1".to_vec();
    context.extend_from_slice(org.as_uuid().as_bytes());
    context.extend_from_slice(id.as_uuid().as_bytes());
    context
}
