//! Hand-written SQL for the joins, written once with `?` placeholders for both databases.

use sea_orm::{ColIdx, DbBackend, QueryResult, Statement, TryGetError, TryGetable, Value};
use tenantry_domain::error::StoreError;
use time::OffsetDateTime;

use crate::error::corrupt;

/// Microseconds since 1970, the precision both databases keep, for columns that are compared
/// or sorted as time (SQLite's text times are not).
pub(crate) fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The time [`micros`] stored in `column`; a value no time has is reported as corrupt.
pub(crate) fn from_micros(column: &str, us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .map_err(|_| corrupt(column, &us.to_string()))
}

/// A column created as `integer` (i32 on PostgreSQL), read on every connection: sqlx reads it
/// as i32 on PostgreSQL, the SQLite writer (`crate::writer`) hands every integer over as i64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Int(pub(crate) i64);

impl TryGetable for Int {
    fn try_get_by<I: ColIdx>(res: &QueryResult, index: I) -> Result<Self, TryGetError> {
        i32::try_get_by(res, index)
            .map(i64::from)
            .or_else(|_| i64::try_get_by(res, index))
            .map(Int)
    }
}

impl Int {
    /// The count as `u32`; a negative one (never stored) reads as 0.
    pub(crate) fn count(self) -> u32 {
        u32::try_from(self.0).unwrap_or_default()
    }
}

/// `n` placeholders for an `IN (...)` list: `?, ?, ?`.
pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

pub(crate) fn statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => numbered_placeholders(sql),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// `?` to `$1`, `$2`, ... for PostgreSQL. None of our statements has a `?` inside a literal.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            numbered_placeholders("a = ? AND (b > ? OR c = ?)"),
            "a = $1 AND (b > $2 OR c = $3)"
        );
    }
}
