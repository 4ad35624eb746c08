use async_trait::async_trait;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{IntegrationId, OrgId};
use tenantry_domain::integration::{
    Integration, IntegrationConfig, IntegrationRepository, IntegrationStatus, IntegrationType,
    SealedCredentials,
};

use crate::entities::integrations;
use crate::error::{OrStoreError, corrupt};
use crate::json;
use crate::sql::micros;
use crate::transaction::SeaTransaction;

fn integration(row: integrations::Model) -> Result<Integration, StoreError> {
    let config = json::parse("integration config", &row.config)?;
    let credential_names = json::parse("integration credential names", &row.credential_names)?;
    Ok(Integration {
        id: IntegrationId::from_uuid(row.id),
        org_id: OrgId::from_uuid(row.org_id),
        kind: IntegrationType::from_trusted(row.kind),
        status: IntegrationStatus::try_from(row.status.as_str())
            .map_err(|_| corrupt("integration status", &row.status))?,
        last_scan: row.last_scan,
        config: IntegrationConfig::from_trusted(config),
        credential_names,
        created_at: row.created_at,
    })
}

#[async_trait]
impl IntegrationRepository for SeaTransaction {
    async fn insert_integration(
        &self,
        integration: &Integration,
        credentials: &SealedCredentials,
    ) -> Result<(), StoreError> {
        let row = integrations::ActiveModel {
            id: Set(integration.id.as_uuid()),
            org_id: Set(integration.org_id.as_uuid()),
            kind: Set(integration.kind.as_str().to_owned()),
            status: Set(integration.status.name().to_owned()),
            last_scan: Set(integration.last_scan),
            config: Set(json::text(integration.config.entries())),
            credential_names: Set(json::text(&integration.credential_names)),
            credentials: Set(credentials.0.clone()),
            created_at: Set(integration.created_at),
            created_at_us: Set(micros(integration.created_at)),
        };
        integrations::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn list_integrations(&self, org: OrgId) -> Result<Vec<Integration>, StoreError> {
        integrations::Entity::find()
            .filter(integrations::Column::OrgId.eq(org.as_uuid()))
            .order_by_asc(integrations::Column::CreatedAtUs)
            .order_by_asc(integrations::Column::Id)
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(integration)
            .collect()
    }

    async fn find_integration(
        &self,
        org: OrgId,
        id: IntegrationId,
    ) -> Result<Option<Integration>, StoreError> {
        integrations::Entity::find_by_id(id.as_uuid())
            .filter(integrations::Column::OrgId.eq(org.as_uuid()))
            .one(&self.tx)
            .await
            .or_store_error()?
            .map(integration)
            .transpose()
    }

    async fn update_integration(
        &self,
        integration: &Integration,
        credentials: Option<SealedCredentials>,
    ) -> Result<(), StoreError> {
        let row = integrations::ActiveModel {
            id: Set(integration.id.as_uuid()),
            status: Set(integration.status.name().to_owned()),
            last_scan: Set(integration.last_scan),
            config: Set(json::text(integration.config.entries())),
            credential_names: Set(json::text(&integration.credential_names)),
            credentials: credentials.map_or(NotSet, |sealed| Set(sealed.0)),
            ..Default::default()
        };
        integrations::Entity::update_many()
            .set(row)
            .filter(integrations::Column::Id.eq(integration.id.as_uuid()))
            .filter(integrations::Column::OrgId.eq(integration.org_id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn delete_integration(&self, org: OrgId, id: IntegrationId) -> Result<(), StoreError> {
        integrations::Entity::delete_many()
            .filter(integrations::Column::Id.eq(id.as_uuid()))
            .filter(integrations::Column::OrgId.eq(org.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }
}
