//! The SQLite file's one writer, run in the calling thread.
//!
//! sqlx runs each SQLite connection on a worker thread of its own and hands every statement over
//! to it and every result back. A write transaction holds SQLite's only write lock for all of
//! its statements, so each hand-over lengthens the turn every other writer waits for: under
//! load, an invitation's turn lasted about 2.3 ms, of which SQLite itself worked about 0.9 ms.
//! This connection runs the statements of the write turn's holder directly, with no hand-over;
//! the turn (`Database::write_turns`) is what keeps other writers out, so its mutex is contended
//! only by a group's watch (see [`WriteTx`]). Reads of one statement run the same way on
//! read-only connections ([`SqliteReaders`]) beside it, as WAL lets them; read transactions
//! keep the sqlx pool.
//! Under load, write transactions share their `COMMIT` (see [`WriteTx`]).
//!
//! Values are bound and read back exactly as sqlx writes and reads them (a UUID as 16 bytes, a
//! time as RFC 3339 text, a boolean as 0 or 1), so both connections see the same rows.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use rusqlite::types::{Value as Sqlite, ValueRef};
use rusqlite::{Connection, OpenFlags, params_from_iter};
use sea_orm::sqlx::error::{DatabaseError, ErrorKind};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, ExecResult, MockDatabase, MockExecResult,
    QueryResult, RuntimeErr, Statement, Value,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::{OwnedSemaphorePermit, watch};

/// Statements the writer keeps prepared; the write paths use fewer distinct ones.
const PREPARED_STATEMENTS: usize = 256;

/// How many write transactions at most share one `COMMIT` (see [`WriteTx::commit`]): each
/// waits for the others of its group, so this bounds what a group adds to a commit's latency.
const GROUP_LIMIT: usize = 16;

/// How often a group's watch checks that a writer is still coming to make its `COMMIT` (see
/// [`SqliteWriter::watch`]).
const GROUP_CHECK: Duration = Duration::from_millis(2);

/// How long a connection waits for a lock another one holds: SQLite's busy handler sleeps in
/// the calling thread until then.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a group's `COMMIT` came to, as its members learn it: `None` until it is made.
type Outcome = Option<Result<(), Arc<str>>>;

/// The writer's connection; cloned handles share it.
#[derive(Clone)]
pub(crate) struct SqliteWriter {
    state: Arc<Mutex<WriterState>>,
    /// Callers of `Database::begin` waiting for the write turn: while there are any, a
    /// transaction that commits leaves its `COMMIT` to them. Counted without ordering: every
    /// decision it informs is taken again under the state's mutex.
    waiting: Arc<AtomicU64>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteWriter")
    }
}

/// The connection, and what rides on the SQLite transaction open on it.
struct WriterState {
    conn: Connection,
    /// A [`WriteTx`] is running: between its `begin` and its end, no one else may commit.
    running: bool,
    /// Transactions that have committed into the open SQLite transaction and wait for its
    /// `COMMIT`.
    group: Option<Group>,
    /// The number of the last group made, so that a watch knows its own.
    last_group: u64,
}

struct Group {
    number: u64,
    members: usize,
    outcome: watch::Sender<Outcome>,
}

impl SqliteWriter {
    /// Opens `file` (which the pool has already created and put in WAL mode) with the pool's
    /// settings: foreign keys on, `synchronous = NORMAL`, a busy timeout for other processes.
    /// A group's members roll back to savepoints, whose journals stay in memory.
    pub(crate) fn open(file: &Path) -> Result<Self, DbErr> {
        let conn = connect(file, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;",
        )
        .map_err(db_err)?;
        Ok(Self {
            state: Arc::new(Mutex::new(WriterState {
                conn,
                running: false,
                group: None,
                last_group: 0,
            })),
            waiting: Arc::default(),
        })
    }

    /// Counts the callers waiting for the write turn.
    pub(crate) fn waiting(&self) -> &AtomicU64 {
        &self.waiting
    }

    /// Whether the connection is free: no statement running on it, and no group holding
    /// SQLite's write lock in an open transaction. For `/metrics`, so it never waits.
    pub(crate) fn is_idle(&self) -> bool {
        match self.state.try_lock() {
            Ok(writer) => !writer.running && writer.group.is_none(),
            Err(TryLockError::Poisoned(poisoned)) => {
                let writer = poisoned.into_inner();
                !writer.running && writer.group.is_none()
            }
            Err(TryLockError::WouldBlock) => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, WriterState> {
        // A panic mid-statement leaves SQLite's own state consistent; a transaction is rolled
        // back by `Drop` either way.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `BEGIN IMMEDIATE`, or a savepoint in the SQLite transaction a group waits in: the
    /// caller must hold the write turn. [`Begun::Busy`] when another process (an operator
    /// command) holds the write lock: SQLite's busy handler would sleep in this thread, an
    /// async worker's, so the caller waits for it instead (`Database::begin_write`).
    pub(crate) fn begin(&self) -> Result<Begun, DbErr> {
        let mut writer = self.lock();
        writer.settle();
        let in_group = writer.group.is_some();
        if in_group {
            run(&writer.conn, "SAVEPOINT member")?;
        } else {
            writer.conn.busy_timeout(Duration::ZERO).map_err(db_err)?;
            let begun = run_raw(&writer.conn, "BEGIN IMMEDIATE");
            if let Err(error) = writer.conn.busy_timeout(BUSY_TIMEOUT) {
                // Never leave a transaction open that no `WriteTx` would end.
                if begun.is_ok() && !writer.conn.is_autocommit() {
                    let _ = run_raw(&writer.conn, "ROLLBACK");
                }
                return Err(db_err(error));
            }
            match begun {
                Ok(()) => {}
                Err(rusqlite::Error::SqliteFailure(failure, message))
                    if failure.code == rusqlite::ErrorCode::DatabaseBusy =>
                {
                    let busy = rusqlite::Error::SqliteFailure(failure, message);
                    return Ok(Begun::Busy(db_err(busy)));
                }
                Err(error) => return Err(db_err(error)),
            }
        }
        writer.running = true;
        Ok(Begun::Tx(WriteTx {
            writer: self.clone(),
            in_group,
            open: true,
        }))
    }

    /// Commits the group waiting in the open SQLite transaction, if no transaction is running:
    /// when the database closes, nothing is left uncommitted that callers wait for.
    pub(crate) fn flush(&self) {
        self.commit_idle_group(|_| true);
    }

    /// Whether a transaction that ends now should leave the `COMMIT` to the callers waiting
    /// for the turn; the one that makes a group [`GROUP_LIMIT`] strong commits it.
    fn others_coming(&self, writer: &WriterState) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
            && writer
                .group
                .as_ref()
                .is_none_or(|group| group.members + 1 < GROUP_LIMIT)
    }

    fn commit_idle_group(&self, this_one: impl FnOnce(&Group) -> bool) {
        let mut writer = self.lock();
        if writer.running || !writer.group.as_ref().is_some_and(this_one) {
            return;
        }
        writer.commit_group();
    }

    /// Watches the group numbered `number` until its `COMMIT` is made, and makes it itself
    /// should no writer come to: the one that was waiting for the turn gave up (its request
    /// cancelled) or failed to begin. A task of its own, as the members' requests may be
    /// cancelled too.
    fn watch(&self, number: u64, mut outcome: watch::Receiver<Outcome>) {
        let writer = self.clone();
        tokio::spawn(async move {
            while tokio::time::timeout(GROUP_CHECK, outcome.wait_for(Option::is_some))
                .await
                .is_err()
            {
                writer.commit_idle_group(|group| {
                    group.number == number && writer.waiting.load(Ordering::Relaxed) == 0
                });
            }
        });
    }
}

impl WriterState {
    /// `COMMIT`, rolled back if it fails; the group waiting in it learns the outcome.
    fn commit(&mut self) -> Result<(), DbErr> {
        let committed = run(&self.conn, "COMMIT");
        if committed.is_err()
            && !self.conn.is_autocommit()
            && let Err(error) = run(&self.conn, "ROLLBACK")
        {
            tracing::error!(%error, "rolling back a failed SQLite commit failed");
        }
        if let Some(group) = self.group.take() {
            let outcome = committed
                .as_ref()
                .map(drop)
                .map_err(|e| e.to_string().into());
            group.outcome.send_replace(Some(outcome));
        }
        committed
    }

    /// [`commit`](Self::commit) for a group that no caller of `commit` waits on: its members
    /// learn the outcome, and one that failed is logged here too, as they may be gone.
    fn commit_group(&mut self) {
        if let Err(error) = self.commit() {
            tracing::error!(%error, "a group's SQLite commit failed");
        }
    }

    /// Joins the group waiting in the open SQLite transaction, or starts it; a new group's
    /// number comes with it.
    fn join(&mut self) -> (Option<u64>, watch::Receiver<Outcome>) {
        let mut started = None;
        let group = self.group.get_or_insert_with(|| {
            self.last_group += 1;
            started = Some(self.last_group);
            Group {
                number: self.last_group,
                members: 0,
                outcome: watch::Sender::new(None),
            }
        });
        group.members += 1;
        (started, group.outcome.subscribe())
    }

    /// SQLite rolls a whole transaction back on some errors (a full disk, say): the group that
    /// waited in it learns that its work is lost.
    fn settle(&mut self) {
        if self.conn.is_autocommit()
            && let Some(group) = self.group.take()
        {
            let lost = "the shared transaction was rolled back by a later member's error".into();
            group.outcome.send_replace(Some(Err(lost)));
        }
    }
}

/// What [`SqliteWriter::begin`] came to.
pub(crate) enum Begun {
    Tx(WriteTx),
    /// Another process holds the write lock; the error to report should it keep it too long.
    Busy(DbErr),
}

/// A write transaction on the [`SqliteWriter`]; dropped without [`commit`](Self::commit), it
/// rolls back.
///
/// Its `COMMIT` is shared: when other callers wait for the write turn, a transaction that
/// commits leaves its work in the open SQLite transaction, passes the turn on, and waits for
/// a later one to commit the group. A commit writes every page it changed to the WAL, and the
/// write paths change the same pages (the last leaf of each index, the org's row, the audit
/// totals); under load, a group writes them once instead of once per transaction. Each later
/// member runs in a savepoint, so that one that fails rolls back alone. `commit` returns only
/// once the group's `COMMIT` is made, with its outcome.
pub(crate) struct WriteTx {
    writer: SqliteWriter,
    /// Began as a savepoint in a group's SQLite transaction.
    in_group: bool,
    open: bool,
}

impl WriteTx {
    pub(crate) async fn commit(mut self, turn: Option<OwnedSemaphorePermit>) -> Result<(), DbErr> {
        let shared = self.writer.clone();
        let (started, mut outcome) = {
            let mut writer = shared.lock();
            let released = if writer.conn.is_autocommit() {
                Err(group_err("the transaction was rolled back by an error"))
            } else if self.in_group {
                run(&writer.conn, "RELEASE member")
            } else {
                Ok(())
            };
            if let Err(error) = released {
                // Undone now, while this still holds the turn.
                self.undo(&mut writer);
                return Err(error);
            }
            self.open = false;
            writer.running = false;
            if !shared.others_coming(&writer) {
                return writer.commit();
            }
            writer.join()
        };
        if let Some(number) = started {
            shared.watch(number, outcome.clone());
        }
        drop(turn);
        let made = outcome
            .wait_for(Option::is_some)
            .await
            .map_err(|_| group_err("the writer closed before the shared commit"))?;
        match &*made {
            Some(Err(error)) => Err(group_err(&format!("the shared commit failed: {error}"))),
            _ => Ok(()),
        }
    }

    /// Rolls this transaction back, alone if it is a group's member: should its savepoint not
    /// roll back, the whole SQLite transaction does, and the group learns it. A group left
    /// waiting for no one is committed.
    fn undo(&mut self, writer: &mut WriterState) {
        self.open = false;
        writer.running = false;
        // SQLite has already rolled back after some errors (a full disk, say).
        if !writer.conn.is_autocommit() {
            let alone = self.in_group
                && run(&writer.conn, "ROLLBACK TO member")
                    .and_then(|()| run(&writer.conn, "RELEASE member"))
                    .inspect_err(|error| {
                        tracing::error!(%error, "rolling back a group member failed");
                    })
                    .is_ok();
            if !alone && let Err(error) = run(&writer.conn, "ROLLBACK") {
                tracing::error!(%error, "rolling back a SQLite write transaction failed");
            }
        }
        writer.settle();
        if writer.group.is_some() && !self.writer.others_coming(writer) {
            writer.commit_group();
        }
    }
}

/// A write transaction's end that SQLite itself did not report: its statements are done, its
/// `COMMIT` is not (a store failure, not a conflict).
fn group_err(message: &str) -> DbErr {
    DbErr::Exec(RuntimeErr::Internal(message.to_owned()))
}

impl Direct for WriteTx {
    fn with<T>(&self, work: impl FnOnce(&Connection) -> T) -> T {
        work(&self.writer.lock().conn)
    }
}

/// Read-only connections to a SQLite file for reads of one statement each
/// (`UnitOfWork::read_one`), run in the calling thread like the writer's; each statement takes
/// whichever connection is free.
#[derive(Clone)]
pub(crate) struct SqliteReaders {
    conns: Arc<[Mutex<Connection>]>,
    /// Set by `Database::close`: reads are then refused as on a closed pool.
    closed: Arc<AtomicBool>,
}

impl std::fmt::Debug for SqliteReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteReaders({})", self.conns.len())
    }
}

impl SqliteReaders {
    /// `count` read-only connections to `file`.
    pub(crate) fn open(file: &Path, count: usize) -> Result<Self, DbErr> {
        let conns = (0..count.max(1))
            .map(|_| {
                let conn = connect(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(db_err)?;
                Ok(Mutex::new(conn))
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        Ok(Self {
            conns: conns.into(),
            closed: Arc::default(),
        })
    }

    /// Refuses every read from now on, as a closed pool does.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }
}

impl Direct for SqliteReaders {
    fn usable(&self) -> Result<(), DbErr> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed));
        }
        Ok(())
    }

    fn with<T>(&self, work: impl FnOnce(&Connection) -> T) -> T {
        for conn in self.conns.iter() {
            match conn.try_lock() {
                Ok(conn) => return work(&conn),
                Err(TryLockError::Poisoned(poisoned)) => return work(&poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        // Every connection is busy (more threads than connections): wait for the first.
        work(&self.conns[0].lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// A SQLite connection driven in the calling thread, its results handed to SeaORM.
pub(crate) trait Direct {
    /// Runs `work` on a connection no one else uses meanwhile.
    fn with<T>(&self, work: impl FnOnce(&Connection) -> T) -> T;

    /// Whether statements may run (not after the database was closed).
    fn usable(&self) -> Result<(), DbErr> {
        Ok(())
    }

    async fn execute(&self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        self.usable()?;
        let result = self.with(|conn| {
            let mut prepared = conn.prepare_cached(&stmt.sql).map_err(db_err)?;
            prepared
                .execute(params_from_iter(params(stmt)?))
                .map_err(db_err)?;
            Ok::<_, DbErr>(outcome(conn))
        })?;
        hand_over_outcome(result).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.usable()?;
        let result = self.with(|conn| {
            conn.execute_batch(sql).map_err(db_err)?;
            Ok::<_, DbErr>(outcome(conn))
        })?;
        hand_over_outcome(result).await
    }

    /// The statement's rows, at most `limit` of them.
    async fn query(
        &self,
        stmt: &Statement,
        limit: Option<usize>,
    ) -> Result<Vec<QueryResult>, DbErr> {
        self.usable()?;
        let rows = self.with(|conn| rows(conn, stmt, limit))?;
        MockDatabase::new(DbBackend::Sqlite)
            .append_query_results([rows])
            .into_connection()
            .query_all_raw(nothing())
            .await
    }

    /// The statement's first row, if any.
    async fn query_one(&self, stmt: &Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.query(stmt, Some(1)).await?.pop())
    }
}

/// What the last statement on `conn` changed: rows (its own, not a trigger's, as sqlx reports
/// them) and the last rowid inserted.
fn outcome(conn: &Connection) -> MockExecResult {
    MockExecResult {
        last_insert_id: u64::try_from(conn.last_insert_rowid()).unwrap_or_default(),
        rows_affected: conn.changes(),
    }
}

/// Hands `result` to SeaORM (see [`nothing`]).
async fn hand_over_outcome(result: MockExecResult) -> Result<ExecResult, DbErr> {
    MockDatabase::new(DbBackend::Sqlite)
        .append_exec_results([result])
        .into_connection()
        .execute_raw(nothing())
        .await
}

/// A connection to `file` as the writer, the readers and the export open it: no mutex of
/// SQLite's own (each is used by one thread at a time), the busy timeout of the pool, and
/// statements kept prepared.
pub(crate) fn connect(file: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(file, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(PREPARED_STATEMENTS);
    Ok(conn)
}

fn rows(
    conn: &Connection,
    stmt: &Statement,
    limit: Option<usize>,
) -> Result<Vec<BTreeMap<String, Value>>, DbErr> {
    let mut prepared = conn.prepare_cached(&stmt.sql).map_err(db_err)?;
    let columns: Vec<(String, Column)> = prepared
        .columns()
        .iter()
        .map(|column| {
            (
                column.name().to_owned(),
                Column::declared(column.decl_type()),
            )
        })
        .collect();
    let mut rows = prepared
        .query(params_from_iter(params(stmt)?))
        .map_err(db_err)?;
    let mut out = Vec::new();
    while limit.is_none_or(|limit| out.len() < limit) {
        let Some(row) = rows.next().map_err(db_err)? else {
            break;
        };
        let mut values = BTreeMap::new();
        for (index, (name, column)) in columns.iter().enumerate() {
            let value = column.read(row.get_ref(index).map_err(db_err)?)?;
            values.insert(name.clone(), value);
        }
        out.push(values);
    }
    Ok(out)
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open {
            let shared = self.writer.clone();
            self.undo(&mut shared.lock());
        }
    }
}

/// The statement a mock connection made for one result is asked to run. SeaORM 2.0.4 makes
/// `QueryResult`s and `ExecResult`s only in its own drivers; the one that takes rows and
/// counts made elsewhere is its mock driver (the `proxy` feature, meant for this, does not
/// compile against sea-query 1.0). So each result is handed to SeaORM through a mock
/// connection made for it, which returns the result it was given and nothing else.
fn nothing() -> Statement {
    Statement::from_string(DbBackend::Sqlite, String::new())
}

/// `BEGIN`, `COMMIT`, `ROLLBACK` or a savepoint's, kept prepared: parsing them again on every
/// transaction showed in profiles.
fn run(conn: &Connection, sql: &str) -> Result<(), DbErr> {
    run_raw(conn, sql).map_err(db_err)
}

fn run_raw(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
}

/// What a result column holds, from its declared type as the migrations create it:
/// `uuid_text`, `timestamp_with_timezone_text` or `TIMESTAMP WITH TIME ZONE`, `boolean`,
/// `blob(1)`. Any other column, and an expression (which has no declared type), is read by
/// what SQLite stored.
#[derive(Clone, Copy)]
enum Column {
    Uuid,
    Time,
    Bool,
    Bytes,
    Other,
}

impl Column {
    fn declared(decl_type: Option<&str>) -> Self {
        // Asked of every column of every query: compared in place, not lowercased into a copy.
        let Some(declared) = decl_type.map(str::as_bytes) else {
            return Self::Other;
        };
        let starts = |prefix: &str| {
            declared
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
        };
        let contains = |part: &str| {
            declared
                .windows(part.len())
                .any(|window| window.eq_ignore_ascii_case(part.as_bytes()))
        };
        if starts("uuid") {
            Self::Uuid
        } else if starts("timestamp") || starts("datetime") {
            Self::Time
        } else if starts("bool") {
            Self::Bool
        } else if contains("blob") || contains("binary") {
            Self::Bytes
        } else {
            Self::Other
        }
    }

    fn read(self, value: ValueRef<'_>) -> Result<Value, DbErr> {
        Ok(match (self, value) {
            (Self::Uuid, ValueRef::Null) => Value::Uuid(None),
            (Self::Time, ValueRef::Null) => Value::TimeDateTimeWithTimeZone(None),
            (Self::Bool, ValueRef::Null) => Value::Bool(None),
            (Self::Bytes, ValueRef::Null) => Value::Bytes(None),
            (Self::Bytes, ValueRef::Blob(bytes)) => Value::Bytes(Some(bytes.to_vec())),
            (Self::Uuid, ValueRef::Blob(bytes)) => Value::Uuid(Some(
                uuid::Uuid::from_slice(bytes).map_err(|e| type_err("UUID", e))?,
            )),
            (Self::Time, ValueRef::Text(text)) => {
                let text = std::str::from_utf8(text).map_err(|e| type_err("time", e))?;
                Value::TimeDateTimeWithTimeZone(Some(parse_time(text)?))
            }
            (Self::Time, ValueRef::Integer(seconds)) => Value::TimeDateTimeWithTimeZone(Some(
                OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| type_err("time", e))?,
            )),
            (Self::Bool, ValueRef::Integer(n)) => Value::Bool(Some(n != 0)),
            // Every integer reads as i64 (`crate::sql::Int` reads the i32 columns).
            (_, ValueRef::Integer(n)) => Value::BigInt(Some(n)),
            (_, ValueRef::Real(x)) => Value::Double(Some(x)),
            (_, ValueRef::Text(text)) => Value::String(Some(
                std::str::from_utf8(text)
                    .map_err(|e| type_err("text", e))?
                    .to_owned(),
            )),
            // A UUID selected through an expression has no declared type; the only other
            // blobs stored are in columns declared as such (`Self::Bytes`).
            (_, ValueRef::Blob(bytes)) if bytes.len() == 16 => {
                Value::Uuid(uuid::Uuid::from_slice(bytes).ok())
            }
            (_, ValueRef::Blob(bytes)) => Value::Bytes(Some(bytes.to_vec())),
            (_, ValueRef::Null) => Value::BigInt(None),
        })
    }
}

/// A stored time, as sqlx reads one: RFC 3339 (what both connections write), or SQLite's own
/// `YYYY-MM-DD HH:MM:SS[.SSS]` in UTC (what its date functions make).
fn parse_time(text: &str) -> Result<OffsetDateTime, DbErr> {
    OffsetDateTime::parse(text, &Rfc3339).or_else(|rfc3339| {
        let sqlite = time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        time::PrimitiveDateTime::parse(text, sqlite)
            .map(time::PrimitiveDateTime::assume_utc)
            .map_err(|_| type_err("time", rfc3339))
    })
}

fn params(stmt: &Statement) -> Result<Vec<Sqlite>, DbErr> {
    stmt.values
        .iter()
        .flat_map(|values| values.0.iter())
        .map(param)
        .collect()
}

/// A value as sqlx binds it on SQLite.
pub(crate) fn param(value: &Value) -> Result<Sqlite, DbErr> {
    let integer = |n: Option<i64>| n.map_or(Sqlite::Null, Sqlite::Integer);
    Ok(match value {
        Value::Bool(b) => integer(b.map(i64::from)),
        Value::TinyInt(n) => integer(n.map(i64::from)),
        Value::SmallInt(n) => integer(n.map(i64::from)),
        Value::Int(n) => integer(n.map(i64::from)),
        Value::BigInt(n) => integer(*n),
        Value::TinyUnsigned(n) => integer(n.map(i64::from)),
        Value::SmallUnsigned(n) => integer(n.map(i64::from)),
        Value::Unsigned(n) => integer(n.map(i64::from)),
        Value::BigUnsigned(Some(n)) => {
            Sqlite::Integer(i64::try_from(*n).map_err(|e| type_err("integer", e))?)
        }
        Value::BigUnsigned(None) => Sqlite::Null,
        Value::Float(x) => x.map_or(Sqlite::Null, |x| Sqlite::Real(f64::from(x))),
        Value::Double(x) => x.map_or(Sqlite::Null, Sqlite::Real),
        Value::String(text) => text.clone().map_or(Sqlite::Null, Sqlite::Text),
        Value::Char(c) => c.map_or(Sqlite::Null, |c| Sqlite::Text(c.to_string())),
        Value::Bytes(bytes) => bytes.clone().map_or(Sqlite::Null, Sqlite::Blob),
        Value::Uuid(uuid) => {
            uuid.map_or(Sqlite::Null, |uuid| Sqlite::Blob(uuid.as_bytes().to_vec()))
        }
        Value::TimeDateTimeWithTimeZone(at) => match at {
            Some(at) => Sqlite::Text(at.format(&Rfc3339).map_err(|e| type_err("time", e))?),
            None => Sqlite::Null,
        },
        Value::Json(json) => json
            .as_ref()
            .map_or(Sqlite::Null, |json| Sqlite::Text(json.to_string())),
        other => {
            return Err(DbErr::Type(format!("no SQLite parameter for {other:?}")));
        }
    })
}

fn type_err(what: &str, error: impl std::fmt::Display) -> DbErr {
    DbErr::Type(format!("stored {what} not readable: {error}"))
}

/// A SQLite error as a sqlx database error, so that `crate::error::store_error` tells
/// constraint violations from other failures the same way for both connections.
fn db_err(error: rusqlite::Error) -> DbErr {
    let code = match &error {
        rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
        _ => None,
    };
    let error = WriterError {
        message: error.to_string(),
        code,
    };
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(
        sea_orm::sqlx::Error::Database(Box::new(error)),
    )))
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct WriterError {
    message: String,
    /// SQLite's extended result code.
    code: Option<i32>,
}

impl DatabaseError for WriterError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.code.map(|code| code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        use rusqlite::ffi;
        match self.code {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests;
