//! The pool's limits, on both databases: a caller that finds no free connection in time is
//! told the store is out of reach (the HTTP adapter answers 503), and the stats say so.

use std::time::Duration;

use tenantry_domain::error::StoreError;
use tenantry_domain::ports::UnitOfWork;
use tenantry_persistence::{Database, PoolSettings, testing};

#[tokio::test]
async fn no_free_connection_in_time_is_unreachable_not_a_failure() {
    for db in testing::all().await {
        let settings = PoolSettings {
            max_connections: 1,
            // Long enough to open the first connection on a loaded machine, short for a test.
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: None,
        };
        let pool = Database::connect_with(&db.url, settings).await.unwrap();
        let held = pool.read().await.unwrap();

        let refused = pool
            .begin()
            .await
            .err()
            .expect("the only connection is held");
        assert!(matches!(refused, StoreError::Unreachable(_)), "{refused:?}");
        let stats = pool.stats(time::OffsetDateTime::now_utc()).await;
        assert!(
            stats.is_err(),
            "no connection to read the stats with either"
        );

        drop(held);
        pool.begin().await.unwrap();
        let stats = pool.stats(time::OffsetDateTime::now_utc()).await.unwrap();
        assert_eq!((stats.pool_open, stats.waiting), (1, 0));
        pool.close().await.unwrap();
    }
}
