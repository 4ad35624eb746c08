//! Write transactions, which on a SQLite file run on a connection of their own
//! (`src/writer.rs`, not sqlx's): what they write the pool reads alike, they read back what
//! they wrote, and one dropped unfinished leaves nothing behind. Under load they share one
//! `COMMIT` (group commit): what each committed stays, what one dropped goes, and a group is
//! committed even when every request that took part in it is cancelled.

use std::pin::{Pin, pin};
use std::time::Duration;

use tenantry_domain::idempotency::{
    Claim, IdempotencyKey, IdempotencyScope, IdempotencyStore, RequestFingerprint,
};
use tenantry_domain::integration::SealedCredentials;
use tenantry_domain::ports::UnitOfWork;
use tenantry_domain::user::User;
use tenantry_persistence::{Database, testing};
use tokio::task::JoinHandle;

use crate::{add_user, now};

#[tokio::test]
async fn what_a_write_transaction_writes_the_pool_reads_alike() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let user = add_user(&*tx, "w@example.com").await;
        tx.users().record_login(user.id, now()).await.unwrap();
        // mfa_enabled_at is declared `TIMESTAMP WITH TIME ZONE` by a migration's own SQL, the
        // other times `timestamp_with_timezone_text` by SeaQuery's.
        tx.users()
            .enable_totp(user.id, SealedCredentials("sealed".into()), now(), 7)
            .await
            .unwrap();
        let in_writer = tx.users().find_user(user.id).await.unwrap().unwrap();
        let totp_in_writer = tx.users().totp(user.id).await.unwrap();
        tx.commit().await.unwrap();

        let read = db.database.read().await.unwrap();
        let in_pool = read.users().find_user(user.id).await.unwrap().unwrap();
        assert_eq!(in_writer, in_pool);
        assert!(in_pool.mfa_enabled && in_pool.last_login_at.is_some());
        assert_eq!(in_pool.created_at, user.created_at);
        let totp_in_pool = read.users().totp(user.id).await.unwrap();
        assert_eq!(
            totp_in_writer.active.map(|sealed| sealed.0),
            Some("sealed".to_owned())
        );
        assert_eq!(
            totp_in_pool.active.map(|sealed| sealed.0),
            Some("sealed".to_owned())
        );
    }
}

#[tokio::test]
async fn a_write_transaction_dropped_unfinished_leaves_nothing_and_the_next_one_starts() {
    for db in testing::all().await {
        let tx = db.database.begin().await.unwrap();
        let gone = add_user(&*tx, "gone@example.com").await;
        drop(tx);

        let tx = db.database.begin().await.unwrap();
        assert_eq!(tx.users().find_user(gone.id).await.unwrap(), None);
        let kept = add_user(&*tx, "kept@example.com").await;
        tx.commit().await.unwrap();

        let read = db.database.read().await.unwrap();
        assert_eq!(read.users().find_user(gone.id).await.unwrap(), None);
        assert_eq!(read.users().find_user(kept.id).await.unwrap(), Some(kept));
    }
}

/// A writer that queues for the turn (the test's own task holds it), adds a user and commits
/// or, if not `commits`, drops its transaction.
fn queued_writer(database: &Database, email: &'static str, commits: bool) -> JoinHandle<User> {
    let database = database.clone();
    tokio::spawn(async move {
        let tx = database.begin().await.unwrap();
        let user = add_user(&*tx, email).await;
        if commits {
            tx.commit().await.unwrap();
        }
        user
    })
}

/// A writer that queues for the turn and is aborted by the test before it takes it.
fn queued_quitter(database: &Database) -> JoinHandle<()> {
    let database = database.clone();
    tokio::spawn(async move {
        let _ = database.begin().await;
    })
}

/// Lets the tasks spawned so far run until they wait for the turn.
async fn let_them_queue() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Takes the first step of a commit made while another writer waits for the turn: the
/// transaction leaves its `COMMIT` to a group and passes the turn on, so its commit waits.
async fn first_step<F: Future>(commit: &mut Pin<&mut F>) {
    tokio::select! {
        biased;
        _ = commit => panic!("committed alone although a writer waited for the turn"),
        () = std::future::ready(()) => {}
    }
}

/// `work`, bounded so that a group no one commits fails the test instead of hanging it.
async fn within_10s<F: Future>(work: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("the group's COMMIT was made")
}

async fn stored(database: &Database, user: &User) -> Option<User> {
    let read = database.read().await.unwrap();
    read.users().find_user(user.id).await.unwrap()
}

#[tokio::test]
async fn transactions_that_share_a_commit_keep_their_work_and_one_that_fails_rolls_back_alone() {
    let db = testing::sqlite().await;
    let first = db.database.begin().await.unwrap();
    let first_user = add_user(&*first, "first@example.com").await;
    let failing = queued_writer(&db.database, "failing@example.com", false);
    let last = queued_writer(&db.database, "last@example.com", true);
    let_them_queue().await;

    let mut commit = pin!(first.commit());
    first_step(&mut commit).await;
    within_10s(commit).await.unwrap();
    let failed = failing.await.unwrap();
    let last_user = last.await.unwrap();

    assert_eq!(stored(&db.database, &first_user).await, Some(first_user));
    assert_eq!(stored(&db.database, &last_user).await, Some(last_user));
    assert_eq!(stored(&db.database, &failed).await, None);
}

#[tokio::test]
async fn a_group_whose_next_writer_gives_up_waiting_is_committed_all_the_same() {
    let db = testing::sqlite().await;
    let first = db.database.begin().await.unwrap();
    let user = add_user(&*first, "first@example.com").await;
    let quitter = queued_quitter(&db.database);
    let_them_queue().await;

    let mut commit = pin!(first.commit());
    first_step(&mut commit).await;
    // The turn is now the waiting writer's, which is cancelled before it takes it.
    quitter.abort();
    within_10s(commit).await.unwrap();

    assert_eq!(stored(&db.database, &user).await, Some(user));
    // The writer goes on.
    let next = db.database.begin().await.unwrap();
    add_user(&*next, "next@example.com").await;
    next.commit().await.unwrap();
}

#[tokio::test]
async fn a_group_whose_members_and_next_writer_all_give_up_is_still_committed() {
    let db = testing::sqlite().await;
    let first = db.database.begin().await.unwrap();
    let user = add_user(&*first, "first@example.com").await;
    let quitter = queued_quitter(&db.database);
    let_them_queue().await;

    let mut commit = Box::pin(first.commit());
    first_step(&mut commit.as_mut()).await;
    // The member's request is cancelled, and so is the writer it left the COMMIT to.
    drop(commit);
    quitter.abort();

    let found = within_10s(async {
        loop {
            if let Some(found) = stored(&db.database, &user).await {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(found, user);
}

#[tokio::test]
async fn an_idempotency_claim_queued_behind_a_group_runs_in_it() {
    let db = testing::sqlite().await;
    let first = db.database.begin().await.unwrap();
    let first_user = add_user(&*first, "first@example.com").await;
    let claim = tokio::spawn({
        let database = db.database.clone();
        async move {
            let scope = IdempotencyScope::of(Some("tnt_one"));
            let key = IdempotencyKey::try_from("k-1").unwrap();
            let request = RequestFingerprint::of("POST", "/api/orgs", b"{}");
            database.claim(&scope, &key, &request, now()).await
        }
    });
    let_them_queue().await;
    let last = queued_writer(&db.database, "last@example.com", true);
    let_them_queue().await;

    let mut commit = pin!(first.commit());
    first_step(&mut commit).await;
    // Writing beside the writer, the claim would wait for the group's lock on SQLite's busy
    // timeout (10 s) while the group waits for the writer queued behind it.
    let claimed = tokio::time::timeout(Duration::from_secs(5), claim).await;
    let claimed = claimed.expect("the claim ran").unwrap();
    assert_eq!(claimed.unwrap(), Claim::Fresh);
    let last_user = last.await.unwrap();
    within_10s(commit).await.unwrap();

    assert_eq!(stored(&db.database, &first_user).await, Some(first_user));
    assert_eq!(stored(&db.database, &last_user).await, Some(last_user));
}

#[tokio::test]
async fn a_write_waits_for_another_processs_lock_without_blocking_its_thread() {
    // One thread runs every task here, as an actix worker runs its requests.
    let db = testing::sqlite().await;
    let file = db.url.strip_prefix("sqlite://").unwrap();
    let operator = rusqlite::Connection::open(file).unwrap();
    operator.execute_batch("BEGIN IMMEDIATE").unwrap();
    let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    });
    let write = tokio::spawn({
        let database = db.database.clone();
        async move {
            let tx = database.begin().await.unwrap();
            let user = add_user(&*tx, "after@example.com").await;
            tx.commit().await.unwrap();
            user
        }
    });

    // SQLite's busy handler would hold the thread until its timeout: nothing else would run,
    // this test's own sleep included, and the operator would never let go.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ticked = ticks.load(std::sync::atomic::Ordering::Relaxed);
    assert!(!write.is_finished(), "the write waits for the lock");
    operator.execute_batch("COMMIT").unwrap();
    let user = within_10s(write).await.unwrap();
    ticker.abort();

    assert!(
        ticked >= 10,
        "the thread ran other tasks meanwhile: {ticked} ticks"
    );
    assert_eq!(stored(&db.database, &user).await, Some(user));
}
