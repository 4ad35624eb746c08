use sea_orm::{DbErr, SqlErr};
use tenantry_domain::error::StoreError;

/// Translates driver errors into the domain's: constraint violations become the conflicts the
/// use cases turn into their own errors; anything else is a failure of the store.
pub(crate) fn store_error(error: DbErr) -> StoreError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Conflict(detail),
        Some(SqlErr::ForeignKeyConstraintViolation(detail)) => StoreError::MissingReference(detail),
        _ => StoreError::Unavailable(error.to_string()),
    }
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
