//! Replicas that start together on one PostgreSQL database: each migrates at start-up, and
//! none may fail because another is applying the same migration.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tenantry_migrations::{Migrator, MigratorTrait};
use tenantry_persistence::{Database, testing};

#[tokio::test]
async fn replicas_that_start_together_all_migrate_on_postgres() {
    let Some(empty) = testing::postgres_empty().await else {
        return;
    };
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(Database::connect(&empty.url).await.unwrap());
    }

    let outcomes =
        futures::future::join_all(replicas.iter().map(|replica| replica.migrate())).await;

    for (replica, outcome) in outcomes.into_iter().enumerate() {
        outcome.unwrap_or_else(|error| panic!("replica {replica} failed to migrate: {error}"));
    }
    let applied = empty
        .database
        .connection()
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(
        applied,
        i64::try_from(Migrator::migrations().len()).unwrap()
    );
    for replica in replicas {
        replica.close().await.unwrap();
    }
}
