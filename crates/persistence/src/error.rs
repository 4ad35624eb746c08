use sea_orm::{DbErr, RuntimeErr};
use tenantry_domain::error::StoreError;

/// Translates driver errors into the domain's: constraint violations become the conflicts the
/// use cases turn into their own errors; anything else is a failure of the store.
pub(crate) fn store_error(error: DbErr) -> StoreError {
    use sea_orm::sqlx::error::ErrorKind;
    match database_error(&error).map(|e| (e.kind(), e.message().to_owned())) {
        Some((ErrorKind::UniqueViolation, detail)) => StoreError::Conflict(detail),
        Some((ErrorKind::ForeignKeyViolation, detail)) => StoreError::MissingReference(detail),
        _ if unreachable(&error) => StoreError::Unreachable(error.to_string()),
        _ => StoreError::Unavailable(error.to_string()),
    }
}

/// The database's own error, from either driver: sqlx's on both databases, or the SQLite
/// writer's (`crate::writer`), which reports its constraint violations the same way.
fn database_error(error: &DbErr) -> Option<&dyn sea_orm::sqlx::error::DatabaseError> {
    statement_error(error)?.as_database_error()
}

/// The sqlx error of a statement that failed.
fn statement_error(error: &DbErr) -> Option<&sea_orm::sqlx::Error> {
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => {
            Some(sqlx)
        }
        _ => None,
    }
}

/// No connection came in time, or the server went away: the statement never ran (or its
/// transaction is gone with the connection), so the request may be sent again.
fn unreachable(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    // Opening a connection failed, however it failed (refused, reset, cut mid-handshake).
    if matches!(error, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) {
        return true;
    }
    matches!(
        statement_error(error),
        Some(Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::Io(_) | Sqlx::WorkerCrashed)
    )
}

pub(crate) trait OrStoreError<T> {
    fn or_store_error(self) -> Result<T, StoreError>;
}

impl<T> OrStoreError<T> for Result<T, DbErr> {
    fn or_store_error(self) -> Result<T, StoreError> {
        self.map_err(store_error)
    }
}

/// A stored value the domain cannot read back: the data is corrupt, not the request.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Unavailable(format!("stored {what} `{value}` is not valid"))
}
