use async_trait::async_trait;

use super::model::{CustomRole, RoleWithCount};
use crate::error::StoreError;
use crate::ids::{OrgId, RoleId};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the org has a role of that name (any case).
    async fn insert_role(&self, role: &CustomRole) -> Result<(), StoreError>;
    async fn find_role(&self, org: OrgId, id: RoleId) -> Result<Option<CustomRole>, StoreError>;
    /// The org's roles with how many members hold each, oldest first, in one query.
    async fn list_roles(&self, org: OrgId) -> Result<Vec<RoleWithCount>, StoreError>;
    async fn count_roles(&self, org: OrgId) -> Result<u64, StoreError>;
    /// Fails with [`StoreError::Conflict`] when the new name is taken.
    async fn update_role(&self, role: &CustomRole) -> Result<(), StoreError>;
    async fn delete_role(&self, org: OrgId, id: RoleId) -> Result<(), StoreError>;
}
