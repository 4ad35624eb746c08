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
