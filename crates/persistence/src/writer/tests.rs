//! The group commit's own rules, on a bare writer over a table of numbers: what `/metrics`
//! sees while a group waits, the group's limit, and a group whose SQLite transaction is
//! rolled back under it. `tests/repositories/writer.rs` covers the writer as the server uses it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures::poll;
use tokio::sync::Semaphore;

use super::*;

struct Bare {
    writer: SqliteWriter,
    /// The write turn, as `Database::write_turns` hands it out.
    turns: Arc<Semaphore>,
    /// Another connection to the file, to see what is committed.
    reader: Connection,
    _dir: tempfile::TempDir,
}

fn bare() -> Bare {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("writer.db");
    let setup = Connection::open(&file).unwrap();
    setup
        .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE n (x INTEGER NOT NULL);")
        .unwrap();
    Bare {
        writer: SqliteWriter::open(&file).unwrap(),
        turns: Arc::new(Semaphore::new(1)),
        reader: Connection::open(&file).unwrap(),
        _dir: dir,
    }
}

impl Bare {
    /// Pretends a caller waits for the turn, so that commits leave their `COMMIT` to a group.
    fn someone_waits(&self) {
        self.writer.waiting().store(1, Ordering::Relaxed);
    }

    fn committed(&self) -> i64 {
        self.reader
            .query_row("SELECT COUNT(*) FROM n", [], |row| row.get(0))
            .unwrap()
    }

    /// Begins with the turn, inserts `x` and commits: a commit that waits for its group
    /// comes back, having passed the turn on; `None` when it committed at once.
    async fn insert(&self, x: i64) -> Option<PendingCommit> {
        let turn = self.turns.clone().try_acquire_owned().unwrap();
        let tx = begun(&self.writer);
        tx.with(|conn| conn.execute("INSERT INTO n (x) VALUES (?1)", [x]))
            .unwrap();
        let mut commit: PendingCommit = Box::pin(tx.commit(Some(turn)));
        match poll!(commit.as_mut()) {
            Poll::Ready(outcome) => outcome.map(|()| None).unwrap(),
            Poll::Pending => Some(commit),
        }
    }
}

fn begun(writer: &SqliteWriter) -> WriteTx {
    match writer.begin().unwrap() {
        Begun::Tx(tx) => tx,
        Begun::Busy(error) => panic!("no other connection writes here: {error}"),
    }
}

type PendingCommit = Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send>>;

async fn within_10s<F: Future>(work: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("the group's COMMIT was made")
}

#[tokio::test]
async fn a_waiting_group_holds_the_writer_until_its_commit() {
    let db = bare();
    assert!(db.writer.is_idle());
    db.someone_waits();
    let commit = db.insert(1).await.expect("the commit waits for its group");

    assert!(!db.writer.is_idle(), "the group holds SQLite's write lock");
    assert_eq!(db.committed(), 0);
    db.writer.flush();
    within_10s(commit).await.unwrap();
    assert!(db.writer.is_idle());
    assert_eq!(db.committed(), 1);
}

#[tokio::test]
async fn the_member_that_makes_a_group_sixteen_strong_commits_it() {
    let db = bare();
    db.someone_waits();
    let mut waiting = Vec::new();
    for x in 1..GROUP_LIMIT {
        let commit = db.insert(i64::try_from(x).unwrap()).await;
        waiting.push(commit.unwrap_or_else(|| panic!("member {x} waits")));
    }
    assert_eq!(db.committed(), 0);

    // Someone still waits for the turn, yet the sixteenth commits at once, with the others.
    assert!(
        db.insert(16).await.is_none(),
        "the sixteenth made the COMMIT"
    );
    for commit in waiting {
        within_10s(commit).await.unwrap();
    }
    assert_eq!(db.committed(), 16);
}

#[tokio::test]
async fn members_whose_shared_transaction_sqlite_rolls_back_are_told_it_failed() {
    let db = bare();
    db.someone_waits();
    let first = db.insert(1).await.expect("the first waits for its group");

    // An interrupted write makes SQLite roll back the whole transaction, the group's work
    // with it (a full disk does the same).
    let turn = db.turns.clone().try_acquire_owned().unwrap();
    let tx = begun(&db.writer);
    let interrupt = tx.with(Connection::get_interrupt_handle);
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        interrupt.interrupt();
    });
    let endless = tx.with(|conn| {
        conn.execute(
            "INSERT INTO n (x) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT x FROM c",
            [],
        )
    });
    stopper.join().unwrap();
    assert!(endless.is_err(), "the endless insert was interrupted");
    let failed = within_10s(tx.commit(Some(turn))).await;

    assert!(failed.is_err(), "its own commit fails");
    assert!(
        within_10s(first).await.is_err(),
        "the first member learns its work is lost"
    );
    assert_eq!(db.committed(), 0);
    // The writer goes on.
    db.writer.waiting().store(0, Ordering::Relaxed);
    assert!(db.insert(2).await.is_none(), "alone, it commits at once");
    assert_eq!(db.committed(), 1);
}
