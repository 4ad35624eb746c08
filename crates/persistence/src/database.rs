use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    FromQueryResult, IsolationLevel, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::OrgId;
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::role::RoleName;
use tenantry_migrations::{Migrator, MigratorTrait};
use tokio::sync::Semaphore;
use tracing::instrument;

use crate::error::OrStoreError;
use crate::transaction::SeaTransaction;

/// Pool size for either database.
const MAX_CONNECTIONS: u32 = 10;

/// A connection pool to SQLite or PostgreSQL, chosen by the URL's scheme.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    /// SQLite has one writer at a time. Writers of this process take turns here, in arrival
    /// order, before `BEGIN IMMEDIATE`: waiting in SQLite's busy handler instead means sleeps
    /// of up to 100 ms between polls, which under load cost more than the writes. Other
    /// processes on the same file (the operator commands) still meet the busy timeout.
    write_turns: Option<Arc<Semaphore>>,
}

impl Database {
    /// Connects; a SQLite file is created if missing and put in WAL mode, so that readers never
    /// wait for the writer.
    #[instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            // SeaORM gives SQLite a single connection by default, which would queue every read
            // behind every write; in WAL mode readers run beside the one writer.
            .max_connections(MAX_CONNECTIONS)
            .sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(10))
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        let conn = sea_orm::Database::connect(options).await?;
        let write_turns =
            (conn.get_database_backend() == DbBackend::Sqlite).then(|| Arc::new(Semaphore::new(1)));
        Ok(Self { conn, write_turns })
    }

    /// Brings the schema up to date, then chains audit events written before the audit chain
    /// existed; safe to run on every start.
    #[instrument(skip_all)]
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await?;
        self.chain_existing_audit_events().await?;
        self.rekey_custom_roles().await
    }

    /// Brings each custom role's `name_key` to the domain's current key (`RoleName::key`),
    /// which now also folds look-alike characters. Two existing roles whose names turn out to
    /// look alike keep their old keys, with a warning: nothing is renamed behind an owner's back.
    async fn rekey_custom_roles(&self) -> Result<(), DbErr> {
        #[derive(FromQueryResult)]
        struct Keyed {
            id: uuid::Uuid,
            name: String,
            name_key: String,
        }
        let roles = Keyed::find_by_statement(Statement::from_string(
            self.backend(),
            "SELECT id, name, name_key FROM custom_roles",
        ))
        .all(&self.conn)
        .await?;
        for role in roles {
            let key = RoleName::from_trusted(role.name).key();
            if key == role.name_key {
                continue;
            }
            let update = crate::sql::statement(
                self.backend(),
                "UPDATE custom_roles SET name_key = ? WHERE id = ?",
                [key.into(), role.id.into()],
            );
            if let Err(error) = self.conn.execute_raw(update).await {
                tracing::warn!(role = %role.id, %error, "custom role keeps its old name key: another role's name looks like it");
            }
        }
        Ok(())
    }

    async fn chain_existing_audit_events(&self) -> Result<(), DbErr> {
        #[derive(FromQueryResult)]
        struct Unchained {
            org_id: uuid::Uuid,
        }
        let orgs = Unchained::find_by_statement(Statement::from_string(
            self.backend(),
            "SELECT DISTINCT e.org_id AS org_id FROM audit_events e \
             JOIN orgs o ON o.id = e.org_id WHERE e.seq IS NULL AND o.audit_seq = 0",
        ))
        .all(&self.conn)
        .await?;
        for org in orgs {
            let org = OrgId::from_uuid(org.org_id);
            let tx = self.conn.begin_with_options(write_options()).await?;
            let tx = SeaTransaction::new(tx);
            let chained = tx
                .chain_existing_events(org)
                .await
                .map_err(|error| DbErr::Custom(error.to_string()))?;
            Box::new(tx)
                .commit()
                .await
                .map_err(|error| DbErr::Custom(error.to_string()))?;
            tracing::info!(org = %org, events = chained, "existing audit events chained");
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    /// The pool, for tests and tools that need plain SQL.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

#[async_trait]
impl UnitOfWork for Database {
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        // IMMEDIATE makes a SQLite writer wait for the write lock up front (honouring the busy
        // timeout) instead of failing when it upgrades mid-transaction. PostgreSQL ignores it and
        // relies on row locks (`lock_org`).
        let turn = match &self.write_turns {
            Some(turns) => Some(
                turns
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| StoreError::Unavailable("the database is closing".into()))?,
            ),
            None => None,
        };
        let tx = self
            .conn
            .begin_with_options(write_options())
            .await
            .or_store_error()?;
        Ok(Box::new(SeaTransaction::writing(tx, turn)))
    }

    async fn read(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let options = match self.backend() {
            DbBackend::Postgres => TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                access_mode: Some(AccessMode::ReadOnly),
                ..TransactionOptions::default()
            },
            _ => TransactionOptions::default(),
        };
        self.open(options).await
    }

    async fn read_one(&self) -> Result<Box<dyn Transaction>, StoreError> {
        Ok(Box::new(SeaTransaction::on_pool(self.conn.clone())))
    }
}

impl Database {
    async fn open(&self, options: TransactionOptions) -> Result<Box<dyn Transaction>, StoreError> {
        let tx = self
            .conn
            .begin_with_options(options)
            .await
            .or_store_error()?;
        Ok(Box::new(SeaTransaction::new(tx)))
    }
}

/// A write transaction: on SQLite `BEGIN IMMEDIATE`, which waits for the write lock up front.
fn write_options() -> TransactionOptions {
    TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    }
}
