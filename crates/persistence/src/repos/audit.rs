use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, EntityTrait, FromQueryResult, Value};
use tenantry_domain::audit::{AuditCursor, AuditEntry, AuditEvent, AuditFilter, AuditRepository};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{AuditEventId, OrgId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::entities::audit_events;
use crate::error::{OrStoreError, corrupt};
use crate::sql::{micros, statement};
use crate::transaction::SeaTransaction;

fn json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
}

fn map(column: &str, raw: &str) -> Result<BTreeMap<String, String>, StoreError> {
    serde_json::from_str(raw).map_err(|_| corrupt(column, raw))
}

#[derive(Debug, FromQueryResult)]
struct EntryRow {
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

impl TryFrom<EntryRow> for AuditEntry {
    type Error = StoreError;

    fn try_from(row: EntryRow) -> Result<Self, StoreError> {
        Ok(AuditEntry {
            event: AuditEvent {
                id: AuditEventId::from_uuid(row.id),
                org_id: OrgId::from_uuid(row.org_id),
                actor_id: row.actor_id.map(UserId::from_uuid),
                action: row
                    .action
                    .parse()
                    .map_err(|()| corrupt("audit action", &row.action))?,
                target: map("audit target", &row.target)?,
                metadata: map("audit metadata", &row.metadata)?,
                ip: row.ip.as_deref().and_then(|ip| ip.parse().ok()),
                at: row.created_at,
            },
            actor_name: row.actor_name,
        })
    }
}

const SELECT: &str = "SELECT e.id AS id, e.org_id AS org_id, e.actor_id AS actor_id, \
     e.action AS action, e.target AS target, e.metadata AS metadata, e.ip AS ip, \
     e.created_at AS created_at, u.name AS actor_name \
     FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id";

/// `WHERE` conditions and their values for `filter`, on `e` (audit_events).
fn conditions(org: OrgId, filter: &AuditFilter) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE e.org_id = ?");
    let mut values: Vec<Value> = vec![org.as_uuid().into()];
    if let Some(action) = filter.action {
        sql.push_str(" AND e.action = ?");
        values.push(action.name().into());
    }
    if let Some(actor) = filter.actor {
        sql.push_str(" AND e.actor_id = ?");
        values.push(actor.as_uuid().into());
    }
    if let Some(from) = filter.from {
        sql.push_str(" AND e.created_at_us >= ?");
        values.push(micros(from).into());
    }
    if let Some(until) = filter.until {
        sql.push_str(" AND e.created_at_us < ?");
        values.push(micros(until).into());
    }
    (sql, values)
}

const NEWEST_FIRST: &str = " ORDER BY e.created_at_us DESC, e.id DESC LIMIT ?";

impl SeaTransaction {
    async fn entries(&self, sql: &str, values: Vec<Value>) -> Result<Vec<AuditEntry>, StoreError> {
        EntryRow::find_by_statement(statement(self.backend(), sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(AuditEntry::try_from)
            .collect()
    }
}

fn bound(n: u64) -> Value {
    i64::try_from(n).unwrap_or(i64::MAX).into()
}

#[async_trait]
impl AuditRepository for SeaTransaction {
    async fn append(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let row = audit_events::ActiveModel {
            id: Set(event.id.as_uuid()),
            org_id: Set(event.org_id.as_uuid()),
            actor_id: Set(event.actor_id.map(|id| id.as_uuid())),
            action: Set(event.action.name().to_owned()),
            target: Set(json(&event.target)),
            metadata: Set(json(&event.metadata)),
            ip: Set(event.ip.map(|ip| ip.to_string())),
            created_at: Set(event.at),
            created_at_us: Set(micros(event.at)),
        };
        audit_events::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn list_events(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let (condition, mut values) = conditions(org, filter);
        values.extend([bound(limit), bound(offset)]);
        self.entries(
            &format!("{SELECT}{condition}{NEWEST_FIRST} OFFSET ?"),
            values,
        )
        .await
    }

    async fn count_events(&self, org: OrgId, filter: &AuditFilter) -> Result<u64, StoreError> {
        let (condition, values) = conditions(org, filter);
        self.count(
            &format!("SELECT COUNT(*) AS n FROM audit_events e{condition}"),
            values,
        )
        .await
    }

    async fn events_before(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        before: Option<AuditCursor>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let (mut condition, mut values) = conditions(org, filter);
        if let Some(cursor) = before {
            let at = micros(cursor.at);
            condition.push_str(" AND (e.created_at_us < ? OR (e.created_at_us = ? AND e.id < ?))");
            values.extend([at.into(), at.into(), cursor.id.as_uuid().into()]);
        }
        values.push(bound(limit));
        self.entries(&format!("{SELECT}{condition}{NEWEST_FIRST}"), values)
            .await
    }
}
