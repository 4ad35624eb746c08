use async_trait::async_trait;

use super::model::{CustomRole, RoleWithCount};
use crate::error::StoreError;
use crate::ids::{OrgId, RoleId};

/// Storage of custom roles, reached through [`Transaction::roles`]: every method acts inside
/// that transaction.
///
/// [`Transaction::roles`]: crate::ports::Transaction::roles
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoleRepository: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the org has a role of that name (any case).
    async fn insert_role(&self, role: &CustomRole) -> Result<(), StoreError>;
    /// The role `id` of `org`; `None` when `org` has no such role.
    async fn find_role(&self, org: OrgId, id: RoleId) -> Result<Option<CustomRole>, StoreError>;
    /// The org's roles with how many members hold each, oldest first, in one query.
    async fn list_roles(&self, org: OrgId) -> Result<Vec<RoleWithCount>, StoreError>;
    /// How many custom roles `org` has, to compare with its plan's limit.
    async fn count_roles(&self, org: OrgId) -> Result<u64, StoreError>;
    /// Fails with [`StoreError::Conflict`] when the new name is taken.
    async fn update_role(&self, role: &CustomRole) -> Result<(), StoreError>;
    /// Removes the role `id` of `org`. The use case first moves the role's members and
    /// invitations to another role.
    async fn delete_role(&self, org: OrgId, id: RoleId) -> Result<(), StoreError>;
}
