//! Export batches written as CSV straight from the rows the driver read, without the domain's
//! types in between: no JSON cell is parsed only to be written out again, and no cell is
//! copied before it is written.
//!
//! On a SQLite file the rows are stepped on a blocking thread through a read-only connection
//! of their own: sqlx hands SQLite rows from its worker thread one at a time (a wake-up each),
//! and packing a batch into one JSON value instead costs SQLite more than reading the rows.
//! On PostgreSQL each row is written as sqlx reads it.

use std::path::Path;

use futures::TryStreamExt;
use rusqlite::types::ValueRef;
use rusqlite::{OpenFlags, params_from_iter};
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{self, AssertSqlSafe, PgPool, Row};
use sea_orm::{DbBackend, Value};
use tenantry_domain::audit::ExportChunk;
use tenantry_domain::audit::csv::{CsvBatch, ExportRow};
use tenantry_domain::error::StoreError;
use uuid::Uuid;

use crate::error::corrupt;
use crate::sql::{from_micros, statement};

/// The columns [`read_batch`] and [`read_pg_batch`] read, from `e` (audit_events) and `u` (users).
pub(super) const EXPORT_COLUMNS: &str = "SELECT e.id, e.created_at_us, e.action, e.actor_id, \
     u.name, e.target, e.metadata, e.ip FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id";

fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// `query` (selecting [`EXPORT_COLUMNS`]) on its own read-only connection to `file`, as CSV.
pub(super) fn read_batch(
    file: &Path,
    query: &str,
    values: &[Value],
    limit: u64,
) -> Result<ExportChunk, StoreError> {
    let conn =
        crate::writer::connect(file, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(unavailable)?;
    let mut statement = conn.prepare(query).map_err(unavailable)?;
    let params = values
        .iter()
        .map(crate::writer::param)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| StoreError::Unavailable(error.to_string()))?;
    let mut rows = statement
        .query(params_from_iter(params))
        .map_err(unavailable)?;
    let mut batch = CsvBatch::with_capacity(usize::try_from(limit).unwrap_or(0));
    while let Some(row) = rows.next().map_err(unavailable)? {
        let text = |index: usize| -> Result<Option<&str>, StoreError> {
            match row.get_ref(index).map_err(unavailable)? {
                ValueRef::Null => Ok(None),
                ValueRef::Text(text) => std::str::from_utf8(text)
                    .map(Some)
                    .map_err(|_| corrupt("audit text", "(not UTF-8)")),
                _ => Err(corrupt("audit column", &index.to_string())),
            }
        };
        let uuid = |index: usize| -> Result<Option<Uuid>, StoreError> {
            match row.get_ref(index).map_err(unavailable)? {
                ValueRef::Null => Ok(None),
                ValueRef::Blob(bytes) => Uuid::from_slice(bytes)
                    .map(Some)
                    .map_err(|_| corrupt("audit id", "(blob)")),
                _ => Err(corrupt("audit id", &index.to_string())),
            }
        };
        let id = uuid(0)?.ok_or_else(|| corrupt("audit id", "NULL"))?;
        let at_us = row.get::<_, i64>(1).map_err(unavailable)?;
        batch.push(&ExportRow {
            id,
            at: from_micros("audit time", at_us)?,
            action: text(2)?.unwrap_or_default(),
            actor_id: uuid(3)?,
            actor_name: text(4)?,
            target: text(5)?.unwrap_or_default(),
            metadata: text(6)?.unwrap_or_default(),
            ip: text(7)?,
        });
    }
    Ok(batch.into_chunk())
}

/// `query` (selecting [`EXPORT_COLUMNS`], with `?` placeholders) on PostgreSQL, as CSV.
pub(super) async fn read_pg_batch(
    pool: &PgPool,
    query: &str,
    values: Vec<Value>,
    limit: u64,
) -> Result<ExportChunk, StoreError> {
    let sql = statement(DbBackend::Postgres, query, []).sql;
    let mut pg = sqlx::query(AssertSqlSafe(sql));
    for value in values {
        pg = match value {
            Value::Uuid(Some(uuid)) => pg.bind(uuid),
            Value::String(Some(text)) => pg.bind(text),
            Value::BigInt(Some(n)) => pg.bind(n),
            other => {
                return Err(StoreError::Unavailable(format!(
                    "no PostgreSQL parameter for {other:?}"
                )));
            }
        };
    }
    // Each row is written as it arrives, while PostgreSQL is still producing the next ones:
    // reading the whole batch first and writing it after leaves one side idle at a time.
    let failed = |error: sqlx::Error| StoreError::Unavailable(error.to_string());
    let mut rows = pg.fetch(pool);
    let mut batch = CsvBatch::with_capacity(usize::try_from(limit).unwrap_or(0));
    while let Some(row) = rows.try_next().await.map_err(failed)? {
        write_pg_row(&mut batch, &row)?;
    }
    Ok(batch.into_chunk())
}

/// One row of [`read_pg_batch`]'s query into `batch`. The columns' types
/// are the query's own, so they are decoded without asking the row for each one's type again.
fn write_pg_row(batch: &mut CsvBatch, row: &PgRow) -> Result<(), StoreError> {
    let failed = |error: sqlx::Error| StoreError::Unavailable(error.to_string());
    let id: Uuid = row.try_get_unchecked(0).map_err(failed)?;
    let at_us: i64 = row.try_get_unchecked(1).map_err(failed)?;
    batch.push(&ExportRow {
        id,
        at: from_micros("audit time", at_us)?,
        action: row.try_get_unchecked(2).map_err(failed)?,
        actor_id: row.try_get_unchecked(3).map_err(failed)?,
        actor_name: row.try_get_unchecked(4).map_err(failed)?,
        target: row.try_get_unchecked(5).map_err(failed)?,
        metadata: row.try_get_unchecked(6).map_err(failed)?,
        ip: row.try_get_unchecked(7).map_err(failed)?,
    });
    Ok(())
}
