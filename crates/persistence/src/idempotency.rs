//! The idempotency store: one row per (caller, key), claimed by an insert that only one of two
//! concurrent requests can win, in short statements of its own (outside the use case's
//! transaction, so that the claim is visible to a concurrent retry at once).

use async_trait::async_trait;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use tenantry_domain::error::StoreError;
use tenantry_domain::idempotency::{
    Claim, IdempotencyKey, IdempotencyScope, IdempotencyStore, RETENTION, RequestFingerprint,
    StoredResponse,
};
use tenantry_domain::ports::Transaction;
use time::OffsetDateTime;

use crate::Database;
use crate::error::OrStoreError;
use crate::sql::{Int, micros, statement};

#[derive(FromQueryResult)]
struct Row {
    fingerprint: String,
    status: Option<Int>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

impl Database {
    async fn run(&self, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
        if self.has_writer() {
            // On the SQLite writer, like every write of the process: a group of committed
            // transactions may hold SQLite's write lock between turns (`crate::writer`).
            let tx = self.begin_write().await?;
            let changed = tx.update(sql, values).await?;
            Box::new(tx).commit().await?;
            return Ok(changed);
        }
        let _turn = self.write_turn().await?;
        let done = self
            .connection()
            .execute_raw(statement(self.backend(), sql, values))
            .await
            .or_store_error()?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl IdempotencyStore for Database {
    async fn claim(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        fingerprint: &RequestFingerprint,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let (scope, key) = (scope.as_str(), key.as_str());
        let expires_at = micros(now + RETENTION);
        // A key past its retention is free again: take it over in place.
        let renewed = self
            .run(
                "UPDATE idempotency_keys SET fingerprint = ?, status = NULL, content_type = NULL, \
                 body = NULL, expires_at = ? WHERE scope = ? AND key = ? AND expires_at < ?",
                vec![
                    fingerprint.as_str().into(),
                    expires_at.into(),
                    scope.into(),
                    key.into(),
                    micros(now).into(),
                ],
            )
            .await?;
        let inserted = self
            .run(
                "INSERT INTO idempotency_keys (scope, key, fingerprint, expires_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                vec![
                    scope.into(),
                    key.into(),
                    fingerprint.as_str().into(),
                    expires_at.into(),
                ],
            )
            .await?;
        if renewed + inserted > 0 {
            return Ok(Claim::Fresh);
        }
        let found = Row::find_by_statement(statement(
            self.backend(),
            "SELECT fingerprint, status, content_type, body FROM idempotency_keys \
             WHERE scope = ? AND key = ?",
            vec![scope.into(), key.into()],
        ))
        .one(self.connection())
        .await
        .or_store_error()?;
        Ok(match found {
            // Swept between the two statements: a retry claims it afresh.
            None => Claim::InProgress,
            Some(row) if row.fingerprint != fingerprint.as_str() => Claim::Mismatch,
            Some(Row {
                status: Some(status),
                content_type,
                body,
                ..
            }) => Claim::Replay(StoredResponse {
                status: u16::try_from(status.0).unwrap_or(500),
                content_type,
                body: body.unwrap_or_default(),
            }),
            Some(_) => Claim::InProgress,
        })
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        self.run(
            "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? \
             WHERE scope = ? AND key = ?",
            vec![
                i32::from(response.status).into(),
                response.content_type.clone().into(),
                response.body.clone().into(),
                scope.as_str().into(),
                key.as_str().into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn release(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
    ) -> Result<(), StoreError> {
        self.run(
            "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NULL",
            vec![scope.as_str().into(), key.as_str().into()],
        )
        .await?;
        Ok(())
    }

    async fn sweep(&self, now: OffsetDateTime, limit: u64) -> Result<u64, StoreError> {
        self.run(
            "DELETE FROM idempotency_keys WHERE (scope, key) IN \
             (SELECT scope, key FROM idempotency_keys WHERE expires_at < ? LIMIT ?)",
            vec![
                micros(now).into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        )
        .await
    }
}
