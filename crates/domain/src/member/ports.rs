use async_trait::async_trait;

use super::model::MemberAccess;
use super::model::{AssignedRole, Member, MemberPage, Membership};
use crate::authz::BuiltinRole;
use crate::error::StoreError;
use crate::ids::{OrgId, RoleId, UserId};

/// Storage of memberships, reached through [`crate::ports::Transaction::members`]: every call
/// runs in that transaction. The persistence adapter implements it; with the `mocks` feature,
/// `MockMemberRepository` stands in for it in tests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MemberRepository: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the user already belongs to the org, or when it
    /// would give the org a second owner.
    async fn insert_member(&self, membership: &Membership) -> Result<(), StoreError>;
    /// The user's membership of the org; `None` when they are not a member.
    async fn find_member(&self, org: OrgId, user: UserId)
    -> Result<Option<Membership>, StoreError>;
    /// Members in (joined_at, user id) order, in one query.
    async fn list_members(&self, org: OrgId, page: MemberPage) -> Result<Vec<Member>, StoreError>;
    /// How many members the org has, the owner included; seat checks count with it.
    async fn count_members(&self, org: OrgId) -> Result<u64, StoreError>;
    /// The membership with what the org's MFA rule needs to know, in one read.
    async fn find_access(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<MemberAccess>, StoreError>;
    /// [`find_access`](Self::find_access) for several users in one read: the memberships of
    /// those of `users` who belong to the org, in no particular order. A batch permission
    /// check reads its caller and every member it asks about with it.
    async fn find_accesses(
        &self,
        org: OrgId,
        users: &[UserId],
    ) -> Result<Vec<MemberAccess>, StoreError>;
    /// The org `user` joined first, if any.
    async fn oldest_membership(&self, user: UserId) -> Result<Option<OrgId>, StoreError>;
    /// Replaces the member's role. Fails with [`StoreError::Conflict`] when that would give
    /// the org a second owner, so a transfer demotes the old owner first.
    async fn set_member_role(
        &self,
        org: OrgId,
        user: UserId,
        role: &AssignedRole,
    ) -> Result<(), StoreError>;
    /// Suspends the membership from `at`, or lifts the suspension with `None`.
    async fn set_suspended(
        &self,
        org: OrgId,
        user: UserId,
        at: Option<time::OffsetDateTime>,
    ) -> Result<(), StoreError>;
    /// Ends the user's membership of the org; the account and its other memberships stay.
    async fn delete_member(&self, org: OrgId, user: UserId) -> Result<(), StoreError>;
    /// Gives every holder of a custom role a built-in one instead; returns how many there were.
    async fn reassign_custom_role(
        &self,
        org: OrgId,
        from: RoleId,
        to: BuiltinRole,
    ) -> Result<u64, StoreError>;
}
