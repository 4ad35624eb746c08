use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};
use tenantry_domain::audit::AuditRepository;
use tenantry_domain::error::StoreError;
use tenantry_domain::member::MemberRepository;
use tenantry_domain::org::OrgRepository;
use tenantry_domain::ports::Transaction;
use tenantry_domain::role::RoleRepository;
use tenantry_domain::user::{SessionRepository, UserRepository};

use crate::error::OrStoreError;

/// One database transaction; the repository traits are implemented on it in `repos/`.
/// Dropped without [`Transaction::commit`], it rolls back.
pub(crate) struct SeaTransaction {
    pub(crate) tx: DatabaseTransaction,
}

impl SeaTransaction {
    pub(crate) fn new(tx: DatabaseTransaction) -> Self {
        Self { tx }
    }

    pub(crate) fn backend(&self) -> DbBackend {
        self.tx.get_database_backend()
    }
}

#[async_trait]
impl Transaction for SeaTransaction {
    fn users(&self) -> &dyn UserRepository {
        self
    }
    fn sessions(&self) -> &dyn SessionRepository {
        self
    }
    fn orgs(&self) -> &dyn OrgRepository {
        self
    }
    fn members(&self) -> &dyn MemberRepository {
        self
    }
    fn roles(&self) -> &dyn RoleRepository {
        self
    }
    fn audit(&self) -> &dyn AuditRepository {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.or_store_error()
    }
}
