use async_trait::async_trait;

use super::model::{
    DirectoryGroupRecord, DirectoryTokenInfo, DirectoryUserRecord, ProvisioningSettings,
};
use crate::error::StoreError;
use crate::ids::{OrgId, ScimGroupId, ScimTokenId, UserId};
use crate::user::TokenHash;

/// Storage of orgs' directories, reached through [`crate::ports::Transaction::directory`].
/// A user record belongs to a membership and goes with it; a group goes with its org.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DirectoryRepository: Send + Sync {
    /// Stores a token's description under the hash of the token.
    async fn insert_token(
        &self,
        token: &DirectoryTokenInfo,
        hash: &TokenHash,
    ) -> Result<(), StoreError>;
    /// The org's tokens, oldest first.
    async fn list_tokens(&self, org: OrgId) -> Result<Vec<DirectoryTokenInfo>, StoreError>;
    /// Deletes one of the org's tokens; `false` when it has no such token.
    async fn delete_token(&self, org: OrgId, id: ScimTokenId) -> Result<bool, StoreError>;
    /// The token with this hash, if any.
    async fn find_token(&self, hash: &TokenHash) -> Result<Option<DirectoryTokenInfo>, StoreError>;
    /// The org's settings; `None` until its owner sets them.
    async fn settings(&self, org: OrgId) -> Result<Option<ProvisioningSettings>, StoreError>;
    /// Replaces the org's settings.
    async fn save_settings(
        &self,
        org: OrgId,
        settings: &ProvisioningSettings,
    ) -> Result<(), StoreError>;
    /// Stores a new user record for an existing membership. Fails with
    /// [`StoreError::Conflict`] when the org's directory has the user name already.
    async fn insert_user(&self, record: &DirectoryUserRecord) -> Result<(), StoreError>;
    /// Replaces a user record if it is still at `expected_version`; `false` when it is not
    /// (or is gone). Fails with [`StoreError::Conflict`] on a user name taken.
    async fn update_user(
        &self,
        record: &DirectoryUserRecord,
        expected_version: u64,
    ) -> Result<bool, StoreError>;
    /// One user record by account.
    async fn find_user(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<DirectoryUserRecord>, StoreError>;
    /// One user record by user name key ([`super::DirectoryName::key`]).
    async fn find_user_by_name(
        &self,
        org: OrgId,
        key: &str,
    ) -> Result<Option<DirectoryUserRecord>, StoreError>;
    /// Every user record of the org, oldest first.
    async fn list_users(&self, org: OrgId) -> Result<Vec<DirectoryUserRecord>, StoreError>;
    /// Stores a new group with its members. Fails with [`StoreError::Conflict`] when the
    /// org's directory has the display name already.
    async fn insert_group(&self, record: &DirectoryGroupRecord) -> Result<(), StoreError>;
    /// Replaces a group and its members if it is still at `expected_version`.
    async fn update_group(
        &self,
        record: &DirectoryGroupRecord,
        expected_version: u64,
    ) -> Result<bool, StoreError>;
    /// One group with its members.
    async fn find_group(
        &self,
        org: OrgId,
        id: ScimGroupId,
    ) -> Result<Option<DirectoryGroupRecord>, StoreError>;
    /// Every group of the org with its members, oldest first.
    async fn list_groups(&self, org: OrgId) -> Result<Vec<DirectoryGroupRecord>, StoreError>;
    /// Deletes a group; `false` when there was none.
    async fn delete_group(&self, org: OrgId, id: ScimGroupId) -> Result<bool, StoreError>;
    /// The display name keys of the groups `user` is in.
    async fn group_keys_of(&self, org: OrgId, user: UserId) -> Result<Vec<String>, StoreError>;
}
