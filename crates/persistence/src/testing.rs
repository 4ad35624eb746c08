//! Fresh, migrated databases for tests: a SQLite file in a temporary directory, or a new
//! PostgreSQL database on the server named by `TENANTRY_TEST_POSTGRES_URL`.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tempfile::TempDir;

use crate::Database;

/// The variable naming a PostgreSQL server (any database on it) where tests may create
/// databases, e.g. `postgres://tenantry:tenantry@localhost:5432/postgres`.
pub const POSTGRES_URL_VAR: &str = "TENANTRY_TEST_POSTGRES_URL";

/// A migrated database that lives as long as this value: a SQLite file is deleted with its
/// directory, a PostgreSQL database is dropped.
pub struct TestDatabase {
    pub database: Database,
    pub url: String,
    _dir: Option<TempDir>,
    /// The server and name of a PostgreSQL database to drop.
    postgres: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which must not be blocked on: a thread of its
        // own with a runtime of its own does it. FORCE ends the connections the app still holds.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let server = Database::connect(&server_url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let result = server
                    .connection()
                    .execute_raw(Statement::from_string(DbBackend::Postgres, sql))
                    .await;
                server.close().await.ok();
                result.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "note: test database {} was not dropped",
                self.url
            );
        }
    }
}

/// A new SQLite database file in its own temporary directory.
pub async fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let database = Database::connect(&url).await.expect("SQLite opens");
    database.migrate().await.expect("migrations run on SQLite");
    TestDatabase {
        database,
        url,
        _dir: Some(dir),
        postgres: None,
    }
}

/// A new PostgreSQL database, or `None` (with a note on stderr) when the variable is unset.
pub async fn postgres() -> Option<TestDatabase> {
    let db = postgres_empty().await?;
    db.database
        .migrate()
        .await
        .expect("migrations run on PostgreSQL");
    Some(db)
}

/// A new PostgreSQL database with no schema yet, or `None` when the variable is unset.
pub async fn postgres_empty() -> Option<TestDatabase> {
    let Ok(server_url) = std::env::var(POSTGRES_URL_VAR) else {
        say_postgres_is_skipped();
        return None;
    };
    let name = format!("tenantry_test_{}", uuid::Uuid::now_v7().simple());
    let server = Database::connect(&server_url)
        .await
        .expect("the PostgreSQL test server answers");
    server
        .connection()
        .execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("CREATE DATABASE {name}"),
        ))
        .await
        .expect("a test database can be created");
    server.close().await.ok();
    let url = with_database(&server_url, &name);
    let database = Database::connect(&url)
        .await
        .expect("the new database opens");
    Some(TestDatabase {
        database,
        url,
        _dir: None,
        postgres: Some((server_url, name)),
    })
}

/// Once per test binary, on the real stderr: the test runner captures `eprintln!` and shows it
/// only for failing tests, and a skip should be seen.
fn say_postgres_is_skipped() {
    use std::io::Write;
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "note: PostgreSQL tests skipped: set {POSTGRES_URL_VAR} to run them (see .ci/run)"
        );
    });
}

/// Both backends: SQLite always, PostgreSQL when configured.
pub async fn all() -> Vec<TestDatabase> {
    let mut databases = vec![sqlite().await];
    databases.extend(postgres().await);
    databases
}

/// `server_url` with its database name replaced by `name`.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h:5432/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    }
}
