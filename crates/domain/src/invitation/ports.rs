use async_trait::async_trait;
use time::OffsetDateTime;

use super::model::{Invitation, InvitationStatus, InvitationView};
use crate::authz::BuiltinRole;
use crate::error::StoreError;
use crate::ids::{InvitationId, OrgId, RoleId};
use crate::user::{Email, TokenHash};

/// Storage of invitations and join links, reached through
/// [`Transaction::invitations`](crate::ports::Transaction::invitations). Secrets are kept only
/// as their [`TokenHash`]. Reads return the stored status, which may be a pending invitation
/// past its expiry: apply [`Invitation::status_at`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the org already has a pending invitation for
    /// that address (whatever its expiry: the caller retires expired ones first).
    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        secret: &TokenHash,
    ) -> Result<(), StoreError>;
    /// The invitation with that id, in any org; `None` when there is none.
    async fn find_invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError>;
    /// The invitation whose secret hashes to `secret`, in any org.
    async fn find_by_secret(&self, secret: &TokenHash) -> Result<Option<Invitation>, StoreError>;
    /// The org's stored-pending e-mail invitation for `email`, expired or not.
    async fn find_pending_for(
        &self,
        org: OrgId,
        email: &Email,
    ) -> Result<Option<Invitation>, StoreError>;
    /// Every invitation of the org, newest first.
    async fn list_invitations(&self, org: OrgId) -> Result<Vec<Invitation>, StoreError>;
    /// Pending, unexpired e-mail invitations to `email` across all orgs, newest first, with
    /// the org's and the inviter's names, in one query.
    async fn list_pending_to(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Vec<InvitationView>, StoreError>;
    /// Pending, unexpired e-mail invitations of the org to addresses that are not members yet:
    /// the seats they hold.
    async fn count_pending_emails(
        &self,
        org: OrgId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Moves a stored-pending invitation to `to`; `false` when it was no longer pending, so
    /// that of two racing writers exactly one wins.
    async fn close_invitation(
        &self,
        id: InvitationId,
        to: InvitationStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Counts one use of a pending join link, closing it as accepted with its last allowed use;
    /// `false` when it was no longer pending.
    async fn record_link_use(
        &self,
        id: InvitationId,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Gives a pending invitation a new secret and expiry; the old secret stops working.
    async fn renew_invitation(
        &self,
        id: InvitationId,
        secret: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Invitations to a custom role about to be deleted get a built-in role instead, whatever
    /// their status (the role's row is going); returns how many pending ones there were.
    async fn reassign_custom_role(
        &self,
        org: OrgId,
        from: RoleId,
        to: BuiltinRole,
    ) -> Result<u64, StoreError>;
}
