use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
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
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::instrument;

use crate::error::OrStoreError;
use crate::transaction::{Conn, SeaTransaction};
use crate::writer::{BUSY_TIMEOUT, Begun, SqliteReaders, SqliteWriter, WriteTx};

/// The PostgreSQL advisory lock key migrations run under: "tenantry" in ASCII.
const MIGRATION_LOCK: i64 = 0x7465_6e61_6e74_7279;

/// How the pool is sized and how long it lets a request wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections this process keeps at most.
    pub max_connections: u32,
    /// How long a request waits for a free connection before it fails.
    pub acquire_timeout: Duration,
    /// PostgreSQL cancels a statement that runs longer; `None` lets it run. SQLite has no
    /// such setting.
    pub statement_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// What an operator watches, read when `/metrics` is scraped.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DatabaseStats {
    /// Connections open in the pool, and of those the ones idle.
    pub pool_open: u32,
    pub pool_idle: u32,
    /// Callers of this process waiting to open a transaction (for a connection, and on
    /// SQLite for the write turn).
    pub waiting: u64,
    /// Messages in the outbox not yet delivered, and how long the oldest has waited.
    pub outbox_undelivered: u64,
    pub outbox_oldest_age_seconds: f64,
    /// Undelivered messages whose last attempt failed.
    pub outbox_failing: u64,
    /// Sessions and API tokens not yet expired.
    pub active_sessions: u64,
    /// Events queued for webhooks, paused ones included.
    pub webhook_queued: u64,
    /// How long the oldest event queued for an active webhook has waited since it happened
    /// (0 when none waits): a paused webhook's queue is meant to wait.
    pub webhook_oldest_age_seconds: f64,
    /// Active webhooks whose next event has failed at least once.
    pub webhooks_failing: u64,
    /// Paused webhooks.
    pub webhooks_paused: u64,
}

/// A connection pool to SQLite or PostgreSQL, chosen by the URL's scheme.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    /// SQLite has one writer at a time. Writers of this process take turns here, in arrival
    /// order, before `BEGIN IMMEDIATE`: waiting in SQLite's busy handler instead means sleeps
    /// of up to 100 ms between polls, which under load cost more than the writes. Other
    /// processes on the same file (the operator commands) still meet the busy timeout.
    write_turns: Option<Arc<Semaphore>>,
    /// On a SQLite file, the one connection every write transaction of this process runs on,
    /// in the calling thread (see `crate::writer`). SQLite drops a connection's page cache
    /// whenever another connection has written since its last transaction; with writes spread
    /// over the pool, each began by reading its pages again. On this connection they stay
    /// cached from one write to the next.
    writer: Option<SqliteWriter>,
    /// On a SQLite file, the connections reads of one statement run on, in the calling thread
    /// (see `crate::writer::SqliteReaders`).
    readers: Option<SqliteReaders>,
    waiting: Arc<AtomicU64>,
}

impl Database {
    /// Connects; a SQLite file is created if missing and put in WAL mode, so that readers never
    /// wait for the writer.
    #[instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// [`connect`](Self::connect) with the pool sized and timed as `settings` say.
    #[instrument(skip_all)]
    pub async fn connect_with(url: &str, settings: PoolSettings) -> Result<Self, DbErr> {
        // A SQLite file's writer takes one of the pool's connections (see `writer`).
        let own_writer = settings.max_connections >= 2
            && url.starts_with("sqlite:")
            && SqliteConnectOptions::from_str(url)
                .is_ok_and(|sqlite| names_file(sqlite.get_filename()));
        let mut options = ConnectOptions::new(url.to_owned());
        options
            // SeaORM gives SQLite a single connection by default, which would queue every read
            // behind every write; in WAL mode readers run beside the one writer.
            .max_connections(settings.max_connections - u32::from(own_writer))
            .sqlx_logging(false)
            .acquire_timeout(settings.acquire_timeout)
            .map_sqlx_postgres_opts(move |postgres| match settings.statement_timeout {
                Some(limit) => {
                    postgres.options([("statement_timeout", format!("{}ms", limit.as_millis()))])
                }
                None => postgres,
            })
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(BUSY_TIMEOUT)
                    .foreign_keys(true)
            });
        let conn = sea_orm::Database::connect(options).await?;
        let sqlite = conn.get_database_backend() == DbBackend::Sqlite;
        let write_turns = sqlite.then(|| Arc::new(Semaphore::new(1)));
        let (writer, readers) = match sqlite_file(&conn) {
            Some(file) if own_writer => (
                Some(SqliteWriter::open(&file)?),
                Some(SqliteReaders::open(&file, direct_readers())?),
            ),
            _ => (None, None),
        };
        Ok(Self {
            conn,
            write_turns,
            writer,
            readers,
            waiting: Arc::default(),
        })
    }

    /// Whether this process's writes run on a SQLite writer of its own (see `writer`).
    pub(crate) fn has_writer(&self) -> bool {
        self.writer.is_some()
    }

    /// On SQLite, this process's turn to write (see `write_turns`); nothing on PostgreSQL.
    pub(crate) async fn write_turn(&self) -> Result<Option<OwnedSemaphorePermit>, StoreError> {
        match &self.write_turns {
            Some(turns) => turns
                .clone()
                .acquire_owned()
                .await
                .map(Some)
                .map_err(|_| StoreError::Unreachable("the database is closing".into())),
            None => Ok(None),
        }
    }

    /// Brings the schema up to date, then chains audit events written before the audit chain
    /// existed; safe to run on every start.
    ///
    /// On PostgreSQL, processes that start together take turns: each holds a session-level
    /// advisory lock while it migrates, on a connection of its own, so the others wait and
    /// then find nothing left to do. Closing that connection releases the lock, also when a
    /// migration fails. (Without it, replicas started together failed on the same `CREATE`.)
    #[instrument(skip_all)]
    pub async fn migrate(&self) -> Result<(), DbErr> {
        let lock = self.migration_lock().await?;
        let migrated = self.migrate_holding_lock().await;
        if let Some(lock) = lock {
            use sea_orm::sqlx::Connection;
            if let Err(error) = lock.close().await {
                tracing::warn!(%error, "closing the migration lock's connection failed");
            }
        }
        migrated
    }

    async fn migrate_holding_lock(&self) -> Result<(), DbErr> {
        Migrator::up(&self.conn, None).await?;
        self.chain_existing_audit_events().await?;
        self.rekey_custom_roles().await
    }

    /// On PostgreSQL, a connection taken out of the pool that holds [`MIGRATION_LOCK`].
    async fn migration_lock(&self) -> Result<Option<sea_orm::sqlx::PgConnection>, DbErr> {
        if self.backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let sqlx_err = |error| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(error)));
        let mut conn = self
            .conn
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(sqlx_err)?
            .detach();
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut conn)
            .await
            .map_err(sqlx_err)?;
        Ok(Some(conn))
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

    /// The pool's state and the outbox and session figures, for `/metrics`.
    pub async fn stats(&self, now: time::OffsetDateTime) -> Result<DatabaseStats, DbErr> {
        #[derive(FromQueryResult)]
        struct Outbox {
            undelivered: i64,
            failing: Option<i64>,
            oldest: Option<time::OffsetDateTime>,
        }
        #[derive(FromQueryResult)]
        struct Sessions {
            active: i64,
        }
        #[derive(FromQueryResult)]
        struct Webhooks {
            queued: i64,
            failing: i64,
            paused: i64,
            oldest_us: Option<i64>,
        }
        let (pool_open, pool_idle) = match self.backend() {
            DbBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => {
                let pool = self.conn.get_sqlite_connection_pool();
                // The writer is in use while a write transaction holds the turn, and while a
                // group of committed transactions waits for its `COMMIT`.
                let writer_idle = self.writer.as_ref().is_some_and(SqliteWriter::is_idle)
                    && self
                        .write_turns
                        .as_ref()
                        .is_some_and(|turns| turns.available_permits() > 0);
                (
                    pool.size() + u32::from(self.writer.is_some()),
                    pool.num_idle() + usize::from(writer_idle),
                )
            }
        };
        let outbox = Outbox::find_by_statement(Statement::from_string(
            self.backend(),
            "SELECT COUNT(*) AS undelivered, SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) \
             AS failing, MIN(created_at) AS oldest FROM outbox WHERE sent_at IS NULL",
        ))
        .one(&self.conn)
        .await?;
        let sessions = Sessions::find_by_statement(crate::sql::statement(
            self.backend(),
            "SELECT COUNT(*) AS active FROM sessions WHERE expires_at > ?",
            [now.into()],
        ))
        .one(&self.conn)
        .await?;
        let webhooks = Webhooks::find_by_statement(crate::sql::statement(
            self.backend(),
            "SELECT (SELECT COUNT(*) FROM webhook_queue q \
              JOIN audit_events e ON e.id = q.event_id) AS queued, \
             (SELECT COUNT(*) FROM webhooks WHERE active = ? AND failures > 0) AS failing, \
             (SELECT COUNT(*) FROM webhooks WHERE active = ?) AS paused, \
             (SELECT MIN(e.created_at_us) FROM webhook_queue q \
              JOIN webhooks w ON w.id = q.webhook_id \
              JOIN audit_events e ON e.id = q.event_id WHERE w.active = ?) AS oldest_us",
            [true.into(), false.into(), true.into()],
        ))
        .one(&self.conn)
        .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(DatabaseStats {
            pool_open,
            pool_idle: u32::try_from(pool_idle).unwrap_or(u32::MAX),
            waiting: self.waiting.load(Ordering::Relaxed),
            outbox_undelivered: outbox.as_ref().map_or(0, |o| count(o.undelivered)),
            outbox_failing: outbox.as_ref().and_then(|o| o.failing).map_or(0, count),
            outbox_oldest_age_seconds: outbox
                .and_then(|o| o.oldest)
                .map_or(0.0, |oldest| (now - oldest).as_seconds_f64().max(0.0)),
            active_sessions: sessions.map_or(0, |s| count(s.active)),
            webhook_queued: webhooks.as_ref().map_or(0, |w| count(w.queued)),
            webhooks_failing: webhooks.as_ref().map_or(0, |w| count(w.failing)),
            webhooks_paused: webhooks.as_ref().map_or(0, |w| count(w.paused)),
            webhook_oldest_age_seconds: webhooks.and_then(|w| w.oldest_us).map_or(0.0, |oldest| {
                let waited = time::Duration::microseconds(crate::sql::micros(now) - oldest);
                waited.as_seconds_f64().max(0.0)
            }),
        })
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
        // The SQLite writer and readers close with their last handle; until then they refuse
        // work, as the pool does.
        if let Some(turns) = &self.write_turns {
            turns.close();
        }
        if let Some(writer) = &self.writer {
            writer.flush();
        }
        if let Some(readers) = &self.readers {
            readers.close();
        }
        self.conn.close().await
    }
}

#[async_trait]
impl UnitOfWork for Database {
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        Ok(Box::new(self.begin_write().await?))
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
        Ok(Box::new(SeaTransaction::on_pool(
            self.conn.clone(),
            self.readers.clone(),
        )))
    }
}

impl Database {
    /// A write transaction (see `UnitOfWork::begin`), also for the idempotency store's writes.
    pub(crate) async fn begin_write(&self) -> Result<SeaTransaction, StoreError> {
        // IMMEDIATE makes a SQLite writer wait for the write lock up front (honouring the busy
        // timeout) instead of failing when it upgrades mid-transaction. PostgreSQL ignores it and
        // relies on row locks (`lock_org`).
        let _waiting = Waiting::on(&self.waiting);
        let waiting_writer = self
            .writer
            .as_ref()
            .map(|writer| Waiting::on(writer.waiting()));
        let turn = self.write_turn().await?;
        let tx = match &self.writer {
            Some(writer) => Conn::Write(begin_on(writer).await.or_store_error()?),
            None => Conn::Tx(
                self.conn
                    .begin_with_options(write_options())
                    .await
                    .or_store_error()?,
            ),
        };
        // Counted as waiting until begun, so that a group is not committed in between.
        drop(waiting_writer);
        Ok(SeaTransaction::writing(tx, turn))
    }

    async fn open(&self, options: TransactionOptions) -> Result<Box<dyn Transaction>, StoreError> {
        let _waiting = Waiting::on(&self.waiting);
        let tx = self
            .conn
            .begin_with_options(options)
            .await
            .or_store_error()?;
        Ok(Box::new(SeaTransaction::new(tx)))
    }
}

/// Begins on the writer, waiting without blocking the thread while another process holds
/// SQLite's write lock: up to the busy timeout, polling at growing intervals.
async fn begin_on(writer: &SqliteWriter) -> Result<WriteTx, DbErr> {
    let deadline = tokio::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    loop {
        match writer.begin()? {
            Begun::Tx(tx) => return Ok(tx),
            Begun::Busy(error) if tokio::time::Instant::now() >= deadline => return Err(error),
            Begun::Busy(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
        }
    }
}

/// The file of a SQLite pool, when it is one (not an in-memory database, which only the pool's
/// own connections can see).
pub(crate) fn sqlite_file(pool: &DatabaseConnection) -> Option<PathBuf> {
    if pool.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = pool.get_sqlite_connection_pool().connect_options();
    let path = options.get_filename();
    (names_file(path) && path.is_file()).then(|| path.to_owned())
}

/// Whether a SQLite database's file name names a file on disk.
fn names_file(path: &Path) -> bool {
    path != Path::new(":memory:") && !path.to_string_lossy().starts_with("file:")
}

/// How many [`SqliteReaders`] a SQLite file gets: one per CPU, as many as the HTTP workers that
/// run reads by default, so a read rarely finds them all taken.
fn direct_readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// Counts a caller as waiting for as long as it lives.
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn on(count: &'a AtomicU64) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A write transaction: on SQLite `BEGIN IMMEDIATE`, which waits for the write lock up front.
fn write_options() -> TransactionOptions {
    TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    }
}
