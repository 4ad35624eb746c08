use async_trait::async_trait;

use super::model::{Org, OrgName, OrgSummary};
use super::settings::OrgSettings;
use crate::error::StoreError;
use crate::ids::{OrgId, UserId};
use crate::plan::Plan;

/// Storage of organizations, implemented by the persistence adapter and reached through
/// [`Transaction::orgs`](crate::ports::Transaction::orgs). It checks no membership: the use
/// cases do that first.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OrgRepository: Send + Sync {
    /// Stores a new org. Its owner's membership is inserted separately, in the same
    /// transaction.
    async fn insert_org(&self, org: &Org) -> Result<(), StoreError>;
    /// The org with that id, read without a lock; `None` when there is none.
    async fn find_org(&self, id: OrgId) -> Result<Option<Org>, StoreError>;
    /// Orgs in id order after `after`, for background jobs that visit every org.
    async fn list_orgs(&self, after: Option<OrgId>, limit: u64) -> Result<Vec<Org>, StoreError>;
    /// Reads the org and holds its row lock until the transaction ends, so that rules which
    /// read before they write (one owner, seat limits) see no concurrent change.
    async fn lock_org(&self, id: OrgId) -> Result<Option<Org>, StoreError>;
    /// Replaces the name, already validated; the audit event is the use case's job.
    async fn rename_org(&self, id: OrgId, name: &OrgName) -> Result<(), StoreError>;
    /// Replaces the whole settings map with `settings` (the use case merges a patch first).
    async fn set_settings(&self, id: OrgId, settings: &OrgSettings) -> Result<(), StoreError>;
    /// Replaces the plan. Use cases read the plan from the store each time, so the next
    /// request sees it.
    async fn set_plan(&self, id: OrgId, plan: Plan) -> Result<(), StoreError>;
    /// Deletes the org with all of its data.
    async fn delete_org(&self, id: OrgId) -> Result<(), StoreError>;
    /// The orgs `user` belongs to, with their role and member count, oldest first.
    async fn list_orgs_of(&self, user: UserId) -> Result<Vec<OrgSummary>, StoreError>;
}
