use async_trait::async_trait;

use super::model::{Credentials, Integration, SealedCredentials};
use crate::error::StoreError;
use crate::ids::{IntegrationId, OrgId};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IntegrationRepository: Send + Sync {
    async fn insert_integration(
        &self,
        integration: &Integration,
        credentials: &SealedCredentials,
    ) -> Result<(), StoreError>;
    /// The org's integrations, oldest first.
    async fn list_integrations(&self, org: OrgId) -> Result<Vec<Integration>, StoreError>;
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
    async fn delete_integration(&self, org: OrgId, id: IntegrationId) -> Result<(), StoreError>;
}

/// Encryption of credentials at rest. `context` names the row the secret belongs to (its org
/// and id): a sealed value copied to another row, or another tenant, does not open there.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Sealer: Send + Sync {
    fn seal(
        &self,
        credentials: &Credentials,
        context: &[u8],
    ) -> Result<SealedCredentials, SealError>;
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
