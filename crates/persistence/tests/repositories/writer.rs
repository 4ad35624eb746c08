//! Write transactions, which on a SQLite file run on a connection of their own
//! (`src/writer.rs`, not sqlx's): what they write the pool reads alike, they read back what
//! they wrote, and one dropped unfinished leaves nothing behind.

use tenantry_domain::integration::SealedCredentials;
use tenantry_domain::ports::UnitOfWork;
use tenantry_persistence::testing;

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

/// Takes the first step of a commit made while another writer waits for the turn: the
/// transaction leaves its `COMMIT` to a group and passes the turn on, so its commit waits.
async fn first_step<F: Future>(commit: &mut std::pin::Pin<&mut F>) {
    tokio::select! {
        biased;
        _ = commit => panic!("committed alone although a writer waited for the turn"),
        () = std::future::ready(()) => {}
    }
}

/// The rest of a commit, bounded so that a group no one commits fails the test.
async fn rest<F: Future>(commit: std::pin::Pin<&mut F>) -> F::Output {
    tokio::time::timeout(std::time::Duration::from_secs(10), commit)
        .await
        .expect("the group's COMMIT was made")
}

#[tokio::test]
async fn transactions_that_share_a_commit_keep_their_work_and_one_that_fails_rolls_back_alone() {
    let db = testing::sqlite().await;
    let database = db.database.clone();
    let first = database.begin().await.unwrap();
    let first_user = add_user(&*first, "first@example.com").await;
    // Two more writers queue for the turn: one fails, one commits.
    let failing = tokio::spawn({
        let database = database.clone();
        async move {
            let tx = database.begin().await.unwrap();
            let user = add_user(&*tx, "failing@example.com").await;
            drop(tx);
            user
        }
    });
    let last = tokio::spawn({
        let database = database.clone();
        async move {
            let tx = database.begin().await.unwrap();
            let user = add_user(&*tx, "last@example.com").await;
            tx.commit().await.unwrap();
            user
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let mut commit = std::pin::pin!(first.commit());
    first_step(&mut commit).await;
    rest(commit).await.unwrap();
    let failed = failing.await.unwrap();
    let last_user = last.await.unwrap();

    let read = database.read().await.unwrap();
    assert_eq!(
        read.users().find_user(first_user.id).await.unwrap(),
        Some(first_user)
    );
    assert_eq!(
        read.users().find_user(last_user.id).await.unwrap(),
        Some(last_user)
    );
    assert_eq!(read.users().find_user(failed.id).await.unwrap(), None);
}

#[tokio::test]
async fn a_group_whose_next_writer_gives_up_waiting_is_committed_by_its_member() {
    let db = testing::sqlite().await;
    let database = db.database.clone();
    let first = database.begin().await.unwrap();
    let user = add_user(&*first, "first@example.com").await;
    let gives_up = tokio::spawn({
        let database = database.clone();
        async move { database.begin().await.map(drop) }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let mut commit = std::pin::pin!(first.commit());
    first_step(&mut commit).await;
    // The turn is now the waiting writer's, which is cancelled before it takes it.
    gives_up.abort();
    rest(commit).await.unwrap();

    let read = database.read().await.unwrap();
    assert_eq!(read.users().find_user(user.id).await.unwrap(), Some(user));
    // The writer goes on.
    let next = database.begin().await.unwrap();
    add_user(&*next, "next@example.com").await;
    next.commit().await.unwrap();
}

#[tokio::test]
async fn a_group_whose_members_and_next_writer_all_give_up_is_still_committed() {
    let db = testing::sqlite().await;
    let database = db.database.clone();
    let first = database.begin().await.unwrap();
    let user = add_user(&*first, "first@example.com").await;
    let gives_up = tokio::spawn({
        let database = database.clone();
        async move { database.begin().await.map(drop) }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let mut commit = Box::pin(first.commit());
    first_step(&mut commit.as_mut()).await;
    // The member's request is cancelled, and so is the writer it left the COMMIT to.
    drop(commit);
    gives_up.abort();

    let read_back = async {
        loop {
            let read = database.read().await.unwrap();
            if let Some(found) = read.users().find_user(user.id).await.unwrap() {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    let found = tokio::time::timeout(std::time::Duration::from_secs(10), read_back).await;
    assert_eq!(found.expect("the group was committed"), user);
}

#[tokio::test]
async fn an_idempotency_claim_queued_behind_a_group_runs_in_it() {
    use tenantry_domain::idempotency::{
        Claim, IdempotencyKey, IdempotencyScope, IdempotencyStore, RequestFingerprint,
    };
    let db = testing::sqlite().await;
    let database = db.database.clone();
    let first = database.begin().await.unwrap();
    let user = add_user(&*first, "first@example.com").await;
    let claim = tokio::spawn({
        let database = database.clone();
        async move {
            let scope = IdempotencyScope::of(Some("tnt_one"));
            let key = IdempotencyKey::try_from("k-1").unwrap();
            let request = RequestFingerprint::of("POST", "/api/orgs", b"{}");
            database.claim(&scope, &key, &request, now()).await
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let last = tokio::spawn({
        let database = database.clone();
        async move {
            let tx = database.begin().await.unwrap();
            let user = add_user(&*tx, "last@example.com").await;
            tx.commit().await.unwrap();
            user
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    let mut commit = std::pin::pin!(first.commit());
    first_step(&mut commit).await;
    // Writing beside the writer, the claim would wait for the group's lock on SQLite's busy
    // timeout (10 s) while the group waits for the writer queued behind it.
    let claimed = tokio::time::timeout(std::time::Duration::from_secs(5), claim).await;
    assert_eq!(
        claimed.expect("the claim ran").unwrap().unwrap(),
        Claim::Fresh
    );
    let last_user = last.await.unwrap();
    rest(commit).await.unwrap();

    let read = database.read().await.unwrap();
    assert_eq!(read.users().find_user(user.id).await.unwrap(), Some(user));
    assert_eq!(
        read.users().find_user(last_user.id).await.unwrap(),
        Some(last_user)
    );
}
