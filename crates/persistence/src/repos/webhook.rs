use async_trait::async_trait;
use sea_orm::{DbBackend, FromQueryResult, Value};
use tenantry_domain::audit::{AuditAction, AuditEntry};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{AuditEventId, OrgId, WebhookId};
use tenantry_domain::integration::SealedCredentials;
use tenantry_domain::webhook::{
    ClaimedWebhook, DeliveryAttempt, EventTypes, QueuedEvent, RoundOutcome, Webhook,
    WebhookRepository, WebhookUrl,
};
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::EntryRow;
use crate::error::{OrStoreError, corrupt};
use crate::json;
use crate::sql::{Int, from_micros, micros, statement};
use crate::transaction::SeaTransaction;

/// The longest error text kept per attempt.
const MAX_ERROR_CHARS: usize = 500;

#[derive(Debug, FromQueryResult)]
struct WebhookRow {
    id: Uuid,
    org_id: Uuid,
    url: String,
    events: String,
    active: bool,
    previous_secret_until_us: Option<i64>,
    created_at: OffsetDateTime,
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = StoreError;

    fn try_from(row: WebhookRow) -> Result<Self, StoreError> {
        let names: Vec<String> = json::parse("webhook events", &row.events)?;
        let actions = names
            .iter()
            .map(|name| name.parse().map_err(|()| corrupt("webhook event", name)))
            .collect::<Result<Vec<AuditAction>, _>>()?;
        Ok(Webhook {
            id: WebhookId::from_uuid(row.id),
            org_id: OrgId::from_uuid(row.org_id),
            url: WebhookUrl::from_trusted(row.url),
            events: EventTypes::from_trusted(actions),
            active: row.active,
            previous_secret_expires_at: row
                .previous_secret_until_us
                .map(|us| from_micros("webhooks.previous_secret_until_us", us))
                .transpose()?,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct AttemptRow {
    event_id: Uuid,
    action: String,
    attempt: Int,
    status: Option<Int>,
    error: Option<String>,
    attempted_at: OffsetDateTime,
    duration_ms: Int,
}

impl TryFrom<AttemptRow> for DeliveryAttempt {
    type Error = StoreError;

    fn try_from(row: AttemptRow) -> Result<Self, StoreError> {
        Ok(DeliveryAttempt {
            event_id: AuditEventId::from_uuid(row.event_id),
            action: row
                .action
                .parse()
                .map_err(|()| corrupt("webhook attempt action", &row.action))?,
            attempt: row.attempt.count(),
            status: row.status.and_then(|status| u16::try_from(status.0).ok()),
            error: row.error,
            at: row.attempted_at,
            duration_ms: row.duration_ms.count(),
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct ClaimedRow {
    id: Uuid,
    org_id: Uuid,
    url: String,
    secret: String,
    previous_secret: Option<String>,
    failures: Int,
}

#[derive(Debug, FromQueryResult)]
struct QueuedRow {
    seq: i64,
    id: Uuid,
    org_id: Uuid,
    actor_id: Option<Uuid>,
    action: String,
    target: String,
    metadata: String,
    ip: Option<String>,
    created_at: OffsetDateTime,
    actor_name: Option<String>,
}

impl TryFrom<QueuedRow> for QueuedEvent {
    type Error = StoreError;

    fn try_from(row: QueuedRow) -> Result<Self, StoreError> {
        let entry = EntryRow {
            id: row.id,
            org_id: row.org_id,
            actor_id: row.actor_id,
            action: row.action,
            target: row.target,
            metadata: row.metadata,
            ip: row.ip,
            created_at: row.created_at,
            actor_name: row.actor_name,
        };
        Ok(QueuedEvent {
            seq: u64::try_from(row.seq).unwrap_or_default(),
            entry: AuditEntry::try_from(entry)?,
        })
    }
}

const SELECT_WEBHOOK: &str = "SELECT id, org_id, url, events, active, \
     previous_secret_until_us, created_at FROM webhooks";

fn event_names(events: &EventTypes) -> String {
    let names: Vec<&str> = events.actions().iter().map(|a| a.name()).collect();
    json::text(&names)
}

fn small(n: u32) -> Value {
    i32::try_from(n).unwrap_or(i32::MAX).into()
}

impl SeaTransaction {
    async fn webhooks_where(
        &self,
        condition: &str,
        values: Vec<Value>,
    ) -> Result<Vec<Webhook>, StoreError> {
        let sql = format!("{SELECT_WEBHOOK} WHERE {condition} ORDER BY created_at_us, id");
        WebhookRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(Webhook::try_from)
            .collect()
    }

    /// Replaces the webhook's rows in `webhook_subscriptions`, which the audit append joins.
    async fn subscribe(&self, webhook: &Webhook) -> Result<(), StoreError> {
        let id = webhook.id.as_uuid();
        self.update(
            "DELETE FROM webhook_subscriptions WHERE webhook_id = ?",
            vec![id.into()],
        )
        .await?;
        let actions = webhook.events.actions();
        let rows = vec!["(?, ?, ?)"; actions.len()].join(", ");
        let mut values = Vec::with_capacity(actions.len() * 3);
        for action in actions {
            values.push(id.into());
            values.push(webhook.org_id.as_uuid().into());
            values.push(action.name().into());
        }
        self.update(
            &format!(
                "INSERT INTO webhook_subscriptions (webhook_id, org_id, action) VALUES {rows}"
            ),
            values,
        )
        .await?;
        Ok(())
    }

    /// Up to `limit` queued events of the webhook, in order. Events that retention deleted
    /// meanwhile drop out of the join.
    async fn queued_events(&self, id: Uuid, limit: u32) -> Result<Vec<QueuedEvent>, StoreError> {
        let sql = "SELECT q.seq AS seq, e.id AS id, e.org_id AS org_id, e.actor_id AS actor_id, \
             e.action AS action, e.target AS target, e.metadata AS metadata, e.ip AS ip, \
             e.created_at AS created_at, u.name AS actor_name \
             FROM webhook_queue q JOIN audit_events e ON e.id = q.event_id \
             LEFT JOIN users u ON u.id = e.actor_id \
             WHERE q.webhook_id = ? ORDER BY q.seq LIMIT ?";
        let values = [id.into(), i64::from(limit).into()];
        QueuedRow::find_by_statement(statement(self.backend(), sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(QueuedEvent::try_from)
            .collect()
    }
}

#[async_trait]
impl WebhookRepository for SeaTransaction {
    async fn insert_webhook(
        &self,
        webhook: &Webhook,
        secret: &SealedCredentials,
    ) -> Result<(), StoreError> {
        self.update(
            "INSERT INTO webhooks (id, org_id, url, events, secret, created_at, created_at_us, \
             failures, retry_at_us, lease_until_us) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0)",
            vec![
                webhook.id.as_uuid().into(),
                webhook.org_id.as_uuid().into(),
                webhook.url.as_str().into(),
                event_names(&webhook.events).into(),
                secret.0.clone().into(),
                webhook.created_at.into(),
                micros(webhook.created_at).into(),
            ],
        )
        .await?;
        self.subscribe(webhook).await
    }

    async fn list_webhooks(&self, org: OrgId) -> Result<Vec<Webhook>, StoreError> {
        self.webhooks_where("org_id = ?", vec![org.as_uuid().into()])
            .await
    }

    async fn find_webhook(&self, org: OrgId, id: WebhookId) -> Result<Option<Webhook>, StoreError> {
        let values = vec![org.as_uuid().into(), id.as_uuid().into()];
        Ok(self
            .webhooks_where("org_id = ? AND id = ?", values)
            .await?
            .pop())
    }

    async fn update_webhook(&self, webhook: &Webhook) -> Result<(), StoreError> {
        self.update(
            // A changed webhook is tried at once: its backoff was earned by the old settings.
            "UPDATE webhooks SET url = ?, events = ?, active = ?, failures = 0, retry_at_us = 0 \
             WHERE id = ? AND org_id = ?",
            vec![
                webhook.url.as_str().into(),
                event_names(&webhook.events).into(),
                webhook.active.into(),
                webhook.id.as_uuid().into(),
                webhook.org_id.as_uuid().into(),
            ],
        )
        .await?;
        self.subscribe(webhook).await
    }

    async fn rotate_secret(
        &self,
        org: OrgId,
        id: WebhookId,
        secret: &SealedCredentials,
        previous_until: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.update(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_until_us = ?, \
             secret = ? WHERE id = ? AND org_id = ?",
            vec![
                micros(previous_until).into(),
                secret.0.clone().into(),
                id.as_uuid().into(),
                org.as_uuid().into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn queue_test(&self, id: WebhookId, event: AuditEventId) -> Result<(), StoreError> {
        self.update(
            "INSERT INTO webhook_queue (webhook_id, seq, event_id) \
             SELECT ?, e.seq, e.id FROM audit_events e WHERE e.id = ? AND NOT EXISTS \
             (SELECT 1 FROM webhook_queue q WHERE q.webhook_id = ? AND q.seq = e.seq)",
            vec![
                id.as_uuid().into(),
                event.as_uuid().into(),
                id.as_uuid().into(),
            ],
        )
        .await?;
        self.update(
            "UPDATE webhooks SET retry_at_us = 0 WHERE id = ?",
            vec![id.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn delete_webhook(&self, org: OrgId, id: WebhookId) -> Result<(), StoreError> {
        // Subscriptions, queue and attempts go with it (foreign keys, ON DELETE CASCADE).
        self.update(
            "DELETE FROM webhooks WHERE id = ? AND org_id = ?",
            vec![id.as_uuid().into(), org.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn prune_attempts_before(
        &self,
        org: OrgId,
        cutoff: OffsetDateTime,
        limit: u64,
    ) -> Result<u64, StoreError> {
        self.update(
            "DELETE FROM webhook_attempts WHERE id IN (SELECT a.id FROM webhook_attempts a \
             JOIN webhooks w ON w.id = a.webhook_id \
             WHERE w.org_id = ? AND a.attempted_at_us < ? LIMIT ?)",
            vec![
                org.as_uuid().into(),
                micros(cutoff).into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        )
        .await
    }

    async fn list_attempts(
        &self,
        id: WebhookId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let sql = "SELECT event_id, action, attempt, status, error, attempted_at, duration_ms \
             FROM webhook_attempts WHERE webhook_id = ? \
             ORDER BY attempted_at_us DESC, id DESC LIMIT ? OFFSET ?";
        let values = [
            id.as_uuid().into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
            i64::try_from(offset).unwrap_or(i64::MAX).into(),
        ];
        AttemptRow::find_by_statement(statement(self.backend(), sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(DeliveryAttempt::try_from)
            .collect()
    }

    async fn count_attempts(&self, id: WebhookId) -> Result<u64, StoreError> {
        self.count(
            "SELECT COUNT(*) AS n FROM webhook_attempts WHERE webhook_id = ?",
            vec![id.as_uuid().into()],
        )
        .await
    }

    async fn has_due(&self, now: OffsetDateTime) -> Result<bool, StoreError> {
        let due = self
            .count(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM webhooks w \
                 WHERE w.active = ? AND w.retry_at_us <= ? AND w.lease_until_us <= ? \
                 AND EXISTS (SELECT 1 FROM webhook_queue q WHERE q.webhook_id = w.id) \
                 LIMIT 1) due",
                vec![true.into(), micros(now).into(), micros(now).into()],
            )
            .await?;
        Ok(due > 0)
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        webhooks: u32,
        events: u32,
    ) -> Result<Vec<ClaimedWebhook>, StoreError> {
        // Several replicas may claim at once on PostgreSQL: each skips the webhooks another has
        // locked, and the lease keeps them from taking one again once it is committed. A
        // webhook is taken whole, which keeps its events in order. SQLite has one writer.
        let skip_locked = match self.backend() {
            DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE webhooks SET lease_until_us = ? WHERE id IN (\
             SELECT w.id FROM webhooks w WHERE w.active = ? AND w.retry_at_us <= ? \
             AND w.lease_until_us <= ? \
             AND EXISTS (SELECT 1 FROM webhook_queue q WHERE q.webhook_id = w.id) \
             ORDER BY w.retry_at_us LIMIT ?{skip_locked}) \
             RETURNING id, org_id, url, secret, \
             CASE WHEN previous_secret_until_us > ? THEN previous_secret END AS previous_secret, \
             failures"
        );
        let values = [
            micros(lease_until).into(),
            true.into(),
            micros(now).into(),
            micros(now).into(),
            i64::from(webhooks).into(),
            micros(now).into(),
        ];
        let rows = ClaimedRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let queue = self.queued_events(row.id, events).await?;
            if queue.is_empty() {
                // Only events that retention deleted were left: nothing to send, ever.
                self.update(
                    "DELETE FROM webhook_queue WHERE webhook_id = ?",
                    vec![row.id.into()],
                )
                .await?;
                continue;
            }
            claimed.push(ClaimedWebhook {
                id: WebhookId::from_uuid(row.id),
                org_id: OrgId::from_uuid(row.org_id),
                url: WebhookUrl::from_trusted(row.url),
                secret: SealedCredentials(row.secret),
                previous_secret: row.previous_secret.map(SealedCredentials),
                failures: row.failures.count(),
                queue,
            });
        }
        Ok(claimed)
    }

    async fn record_round(&self, outcome: &RoundOutcome) -> Result<(), StoreError> {
        let id = outcome.webhook.as_uuid();
        // Attempts of a webhook deleted during the round are not kept: the INSERT ... SELECT
        // finds no webhook row and inserts nothing, where a plain insert would break its key.
        for attempt in &outcome.attempts {
            let error = attempt
                .error
                .as_ref()
                .map(|error| error.chars().take(MAX_ERROR_CHARS).collect::<String>());
            self.update(
                "INSERT INTO webhook_attempts (id, webhook_id, event_id, action, attempt, \
                 status, error, attempted_at, attempted_at_us, duration_ms) \
                 SELECT ?, id, ?, ?, ?, ?, ?, ?, ?, ? FROM webhooks WHERE id = ?",
                vec![
                    Uuid::now_v7().into(),
                    attempt.event_id.as_uuid().into(),
                    attempt.action.name().into(),
                    small(attempt.attempt),
                    attempt.status.map(i32::from).into(),
                    error.into(),
                    attempt.at.into(),
                    micros(attempt.at).into(),
                    small(attempt.duration_ms),
                    id.into(),
                ],
            )
            .await?;
        }
        if let Some(through) = outcome.delivered_through {
            self.update(
                "DELETE FROM webhook_queue WHERE webhook_id = ? AND seq <= ?",
                vec![id.into(), i64::try_from(through).unwrap_or(i64::MAX).into()],
            )
            .await?;
        }
        self.update(
            "UPDATE webhooks SET failures = ?, retry_at_us = ?, lease_until_us = 0 WHERE id = ?",
            vec![
                small(outcome.failures),
                micros(outcome.retry_at).into(),
                id.into(),
            ],
        )
        .await?;
        Ok(())
    }
}
