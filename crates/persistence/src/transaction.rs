use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, FromQueryResult, Value};
use tenantry_domain::audit::AuditRepository;
use tenantry_domain::error::StoreError;
use tenantry_domain::invitation::InvitationRepository;
use tenantry_domain::mail::OutboxRepository;
use tenantry_domain::member::MemberRepository;
use tenantry_domain::org::OrgRepository;
use tenantry_domain::ports::Transaction;
use tenantry_domain::role::RoleRepository;
use tenantry_domain::user::{SessionRepository, UserRepository};

use crate::error::OrStoreError;
use crate::sql::statement;

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

    /// Runs a statement written with `?` placeholders and tells how many rows it changed.
    pub(crate) async fn update(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        let result = self
            .tx
            .execute_raw(statement(self.backend(), sql, values))
            .await
            .or_store_error()?;
        Ok(result.rows_affected())
    }

    /// Runs a query that selects one count as `n`.
    pub(crate) async fn count(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        #[derive(FromQueryResult)]
        struct Count {
            n: i64,
        }
        let row = Count::find_by_statement(statement(self.backend(), sql, values))
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(row.map_or(0, |row| u64::try_from(row.n).unwrap_or_default()))
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
    fn invitations(&self) -> &dyn InvitationRepository {
        self
    }
    fn outbox(&self) -> &dyn OutboxRepository {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.or_store_error()
    }
}
