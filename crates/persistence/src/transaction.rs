use std::sync::Mutex;

use async_trait::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    FromQueryResult, QueryResult, Statement, Value,
};
use tenantry_domain::audit::AuditRepository;
use tenantry_domain::directory::DirectoryRepository;
use tenantry_domain::domains::DomainRepository;
use tenantry_domain::error::StoreError;
use tenantry_domain::integration::IntegrationRepository;
use tenantry_domain::invitation::InvitationRepository;
use tenantry_domain::mail::OutboxRepository;
use tenantry_domain::member::MemberRepository;
use tenantry_domain::org::OrgRepository;
use tenantry_domain::ports::Transaction;
use tenantry_domain::role::RoleRepository;
use tenantry_domain::user::{SessionRepository, UserRepository};
use tenantry_domain::webhook::WebhookRepository;
use tokio::sync::OwnedSemaphorePermit;

use crate::error::OrStoreError;
use crate::repos::HeldHead;
use crate::sql::statement;
use crate::writer::{Direct, SqliteReaders, WriteTx};

/// What a [`SeaTransaction`] runs its statements on.
pub(crate) enum Conn {
    /// A transaction: one snapshot, and writes that commit together.
    Tx(DatabaseTransaction),
    /// The pool, statement by statement: for a read of one statement, which is its own
    /// snapshot, without a transaction's extra round trips (`BEGIN`, options, `ROLLBACK`).
    /// On a SQLite file, its statements run on read-only connections in the calling thread
    /// (`crate::writer::SqliteReaders`); the pool is kept for what needs it (the export).
    Pool(DatabaseConnection, Option<SqliteReaders>),
    /// A write transaction on a SQLite file's writer, run in the calling thread.
    Write(WriteTx),
}

#[async_trait]
impl ConnectionTrait for Conn {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Conn::Tx(tx) => tx.get_database_backend(),
            Conn::Pool(pool, _) => pool.get_database_backend(),
            Conn::Write(_) => DbBackend::Sqlite,
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Conn::Tx(tx) => tx.execute_raw(stmt).await,
            Conn::Pool(_, Some(readers)) => readers.execute(&stmt).await,
            Conn::Pool(pool, None) => pool.execute_raw(stmt).await,
            Conn::Write(tx) => tx.execute(&stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Conn::Tx(tx) => tx.execute_unprepared(sql).await,
            Conn::Pool(_, Some(readers)) => readers.execute_unprepared(sql).await,
            Conn::Pool(pool, None) => pool.execute_unprepared(sql).await,
            Conn::Write(tx) => tx.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Conn::Tx(tx) => tx.query_one_raw(stmt).await,
            Conn::Pool(_, Some(readers)) => readers.query_one(&stmt).await,
            Conn::Pool(pool, None) => pool.query_one_raw(stmt).await,
            Conn::Write(tx) => tx.query_one(&stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Conn::Tx(tx) => tx.query_all_raw(stmt).await,
            Conn::Pool(_, Some(readers)) => readers.query(&stmt, None).await,
            Conn::Pool(pool, None) => pool.query_all_raw(stmt).await,
            Conn::Write(tx) => tx.query(&stmt, None).await,
        }
    }
}

/// One database transaction (or, for [`UnitOfWork::read_one`], the pool); the repository
/// traits are implemented on it in `repos/`. Dropped without [`Transaction::commit`], it rolls
/// back.
///
/// [`UnitOfWork::read_one`]: tenantry_domain::ports::UnitOfWork::read_one
pub(crate) struct SeaTransaction {
    pub(crate) tx: Conn,
    /// This process's turn to write, on SQLite: held until the transaction ends.
    _write_turn: Option<OwnedSemaphorePermit>,
    /// In a write transaction, the chain head of the org last locked or appended to, as the
    /// lock holds it (see `repos/audit.rs`); `None` outside write transactions.
    pub(crate) chain_head: Option<Mutex<Option<HeldHead>>>,
}

impl SeaTransaction {
    pub(crate) fn new(tx: DatabaseTransaction) -> Self {
        Self {
            tx: Conn::Tx(tx),
            _write_turn: None,
            chain_head: None,
        }
    }

    pub(crate) fn writing(tx: Conn, turn: Option<OwnedSemaphorePermit>) -> Self {
        Self {
            tx,
            _write_turn: turn,
            chain_head: Some(Mutex::default()),
        }
    }

    pub(crate) fn on_pool(pool: DatabaseConnection, readers: Option<SqliteReaders>) -> Self {
        Self {
            tx: Conn::Pool(pool, readers),
            _write_turn: None,
            chain_head: None,
        }
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
    fn webhooks(&self) -> &dyn WebhookRepository {
        self
    }
    fn directory(&self) -> &dyn DirectoryRepository {
        self
    }
    fn domains(&self) -> &dyn DomainRepository {
        self
    }
    fn integrations(&self) -> &dyn IntegrationRepository {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Self {
            tx,
            _write_turn: turn,
            ..
        } = *self;
        match tx {
            // The write turn passes on only after the commit, when `turn` is dropped.
            Conn::Tx(tx) => tx.commit().await.or_store_error(),
            // The writer passes it on itself when the commit waits for a group's.
            Conn::Write(tx) => tx.commit(turn).await.or_store_error(),
            Conn::Pool(..) => Ok(()),
        }
    }
}
