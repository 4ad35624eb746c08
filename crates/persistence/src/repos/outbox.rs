use async_trait::async_trait;
use sea_orm::{DbBackend, FromQueryResult, Value};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::InvitationId;
use tenantry_domain::mail::{Mail, MailContent, OutboxMessage, OutboxRepository};
use tenantry_domain::user::Email;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::OrStoreError;
use crate::sql::{Int, micros, placeholders, statement};
use crate::transaction::SeaTransaction;

/// The longest error text kept per message.
const MAX_ERROR_CHARS: usize = 1_000;

#[derive(Debug, FromQueryResult)]
struct ClaimedRow {
    id: Uuid,
    recipient: String,
    content: String,
    attempts: Int,
}

#[async_trait]
impl OutboxRepository for SeaTransaction {
    async fn enqueue(
        &self,
        mail: &Mail,
        about: Option<InvitationId>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let content = serde_json::to_string(&mail.content)
            .map_err(|error| StoreError::Unavailable(format!("mail content: {error}")))?;
        self.update(
            "INSERT INTO outbox (id, invitation_id, recipient, content, created_at, \
             next_attempt_us, attempts) VALUES (?, ?, ?, ?, ?, ?, 0)",
            vec![
                Uuid::now_v7().into(),
                about.map(|id| id.as_uuid()).into(),
                mail.to.as_str().into(),
                content.into(),
                at.into(),
                micros(at).into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn discard_unsent(&self, about: InvitationId) -> Result<u64, StoreError> {
        self.update(
            "DELETE FROM outbox WHERE invitation_id = ? AND sent_at IS NULL",
            vec![about.as_uuid().into()],
        )
        .await
    }

    async fn has_due(&self, now: OffsetDateTime) -> Result<bool, StoreError> {
        let due = self
            .count(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM outbox \
                 WHERE sent_at IS NULL AND next_attempt_us <= ? LIMIT 1) due",
                vec![micros(now).into()],
            )
            .await?;
        Ok(due > 0)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        // Several replicas may claim at once on PostgreSQL: each skips the rows another has
        // locked, and the lease keeps them from taking a row again once it is committed.
        // SQLite has one writer, so the plain subquery is enough there.
        let skip_locked = match self.backend() {
            DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE outbox SET next_attempt_us = ? WHERE id IN (\
             SELECT id FROM outbox WHERE sent_at IS NULL AND next_attempt_us <= ? \
             ORDER BY next_attempt_us LIMIT ?{skip_locked}) \
             RETURNING id, recipient, content, attempts"
        );
        let values = [
            micros(lease_until).into(),
            micros(now).into(),
            i64::from(limit).into(),
        ];
        let rows = ClaimedRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?;
        Ok(rows.into_iter().filter_map(message).collect())
    }

    async fn mark_sent(&self, ids: &[Uuid], at: OffsetDateTime) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let marks = placeholders(ids.len());
        let mut values: Vec<Value> = vec![at.into()];
        values.extend(ids.iter().map(|&id| Value::from(id)));
        self.update(
            &format!("UPDATE outbox SET sent_at = ?, content = '' WHERE id IN ({marks})"),
            values,
        )
        .await?;
        Ok(())
    }

    async fn mark_failed(
        &self,
        id: Uuid,
        attempts: u32,
        retry_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(MAX_ERROR_CHARS).collect();
        self.update(
            "UPDATE outbox SET attempts = ?, next_attempt_us = ?, last_error = ? WHERE id = ?",
            vec![
                i32::try_from(attempts).unwrap_or(i32::MAX).into(),
                micros(retry_at).into(),
                error.into(),
                id.into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn count_pending(&self) -> Result<u64, StoreError> {
        self.count(
            "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL",
            vec![],
        )
        .await
    }
}

/// A claimed row as a message. A row that cannot be read back is logged and left leased: it
/// is retried after the lease, and the messages behind it are not held up.
fn message(row: ClaimedRow) -> Option<OutboxMessage> {
    match serde_json::from_str::<MailContent>(&row.content) {
        Ok(content) => Some(OutboxMessage {
            id: row.id,
            mail: Mail {
                to: Email::from_trusted(row.recipient),
                content,
            },
            attempts: row.attempts.count(),
        }),
        Err(error) => {
            tracing::error!(message = %row.id, %error, "outbox message cannot be read; skipped");
            None
        }
    }
}
