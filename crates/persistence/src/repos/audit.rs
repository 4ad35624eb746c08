use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::{ActiveValue::Set, EntityTrait};
use tenantry_domain::audit::{AuditEvent, AuditRepository};
use tenantry_domain::error::StoreError;

use crate::entities::audit_events;
use crate::error::OrStoreError;
use crate::transaction::SeaTransaction;

fn json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_owned())
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
        };
        audit_events::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }
}
