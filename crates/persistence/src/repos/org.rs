use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, UserId};
use tenantry_domain::org::{Org, OrgName, OrgRepository, OrgSettings, OrgSummary, SettingValue};
use tenantry_domain::plan::Plan;
use time::OffsetDateTime;
use uuid::Uuid;

use super::role_columns::{ROLE_SELECT, RoleColumns};
use crate::entities::orgs;
use crate::error::{OrStoreError, corrupt};
use crate::json;
use crate::sql::statement;
use crate::transaction::SeaTransaction;

fn org(row: orgs::Model) -> Result<Org, StoreError> {
    org_of(row.id, row.name, &row.plan, row.created_at, &row.settings)
}

fn org_of(
    id: uuid::Uuid,
    name: String,
    plan: &str,
    created_at: OffsetDateTime,
    settings: &str,
) -> Result<Org, StoreError> {
    Ok(Org {
        id: OrgId::from_uuid(id),
        plan: plan.parse().map_err(|_| corrupt("plan", plan))?,
        name: OrgName::from_trusted(name),
        created_at,
        settings: settings_from_json(settings)?,
    })
}

fn settings_json(settings: &OrgSettings) -> String {
    let object: serde_json::Map<String, serde_json::Value> = settings
        .iter()
        .map(|(key, value)| {
            let value = match value {
                SettingValue::Bool(flag) => (*flag).into(),
                SettingValue::Integer(n) => (*n).into(),
                SettingValue::Text(text) => text.clone().into(),
            };
            (key.as_str().to_owned(), value)
        })
        .collect();
    serde_json::Value::Object(object).to_string()
}

pub(super) fn settings_from_json(raw: &str) -> Result<OrgSettings, StoreError> {
    let bad = || corrupt("org settings", raw);
    let object: serde_json::Map<String, serde_json::Value> = json::parse("org settings", raw)?;
    let settings = object
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::Bool(flag) => SettingValue::Bool(flag),
                serde_json::Value::Number(n) => SettingValue::Integer(n.as_i64().ok_or_else(bad)?),
                serde_json::Value::String(text) => SettingValue::Text(text),
                _ => return Err(bad()),
            };
            Ok((OrgSettings::trusted_key(key), value))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(OrgSettings::from_trusted(settings))
}

#[derive(Debug, FromQueryResult)]
struct SummaryRow {
    id: Uuid,
    name: String,
    plan: String,
    created_at: OffsetDateTime,
    settings: String,
    member_count: i64,
    #[sea_orm(nested)]
    role: RoleColumns,
}

const LIST_ORGS_OF: &str = "SELECT o.id AS id, o.name AS name, o.plan AS plan, \
     o.created_at AS created_at, o.settings AS settings, \
     o.member_count AS member_count, ";
const LIST_ORGS_OF_FROM: &str = " FROM memberships m \
     JOIN orgs o ON o.id = m.org_id \
     LEFT JOIN custom_roles r ON r.id = m.custom_role_id \
     WHERE m.user_id = ? \
     ORDER BY o.id"; // UUID v7: creation order, and exact where SQLite's text times are not

#[async_trait]
impl OrgRepository for SeaTransaction {
    async fn insert_org(&self, org: &Org) -> Result<(), StoreError> {
        let row = orgs::ActiveModel {
            id: Set(org.id.as_uuid()),
            name: Set(org.name.as_str().to_owned()),
            plan: Set(org.plan.name().to_owned()),
            created_at: Set(org.created_at),
            settings: Set(settings_json(&org.settings)),
            audit_seq: Set(0),
            audit_head: Set(None),
        };
        orgs::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn find_org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        orgs::Entity::find_by_id(id.as_uuid())
            .one(&self.tx)
            .await
            .or_store_error()?
            .map(org)
            .transpose()
    }

    async fn list_orgs(&self, after: Option<OrgId>, limit: u64) -> Result<Vec<Org>, StoreError> {
        let mut query = orgs::Entity::find();
        if let Some(after) = after {
            query = query.filter(orgs::Column::Id.gt(after.as_uuid()));
        }
        query
            .order_by_asc(orgs::Column::Id)
            .limit(limit)
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(org)
            .collect()
    }

    async fn lock_org(&self, id: OrgId) -> Result<Option<Org>, StoreError> {
        // FOR UPDATE on PostgreSQL; SQLite has no row locks and needs none, since its write
        // transactions start IMMEDIATE and so run one at a time.
        let Some(row) = orgs::Entity::find_by_id(id.as_uuid())
            .lock_exclusive()
            .one(&self.tx)
            .await
            .or_store_error()?
        else {
            return Ok(None);
        };
        self.hold_chain_head(id, row.audit_seq, row.audit_head.clone());
        org(row).map(Some)
    }

    async fn rename_org(&self, id: OrgId, name: &OrgName) -> Result<(), StoreError> {
        orgs::Entity::update_many()
            .col_expr(orgs::Column::Name, name.as_str().into())
            .filter(orgs::Column::Id.eq(id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn set_plan(&self, id: OrgId, plan: Plan) -> Result<(), StoreError> {
        orgs::Entity::update_many()
            .col_expr(orgs::Column::Plan, plan.name().into())
            .filter(orgs::Column::Id.eq(id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn set_settings(&self, id: OrgId, settings: &OrgSettings) -> Result<(), StoreError> {
        self.update(
            "UPDATE orgs SET settings = ? WHERE id = ?",
            vec![settings_json(settings).into(), id.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn delete_org(&self, id: OrgId) -> Result<(), StoreError> {
        // Memberships reference custom roles without a cascade, so they go first; everything
        // else follows the org through ON DELETE CASCADE.
        crate::entities::memberships::Entity::delete_many()
            .filter(crate::entities::memberships::Column::OrgId.eq(id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        orgs::Entity::delete_by_id(id.as_uuid())
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn list_orgs_of(&self, user: UserId) -> Result<Vec<OrgSummary>, StoreError> {
        let sql = format!("{LIST_ORGS_OF}{ROLE_SELECT}{LIST_ORGS_OF_FROM}");
        let rows =
            SummaryRow::find_by_statement(statement(self.backend(), &sql, [user.as_uuid().into()]))
                .all(&self.tx)
                .await
                .or_store_error()?;
        rows.into_iter()
            .map(|row| {
                Ok(OrgSummary {
                    role: row.role.into_role(row.id)?,
                    member_count: u64::try_from(row.member_count).unwrap_or_default(),
                    org: org_of(row.id, row.name, &row.plan, row.created_at, &row.settings)?,
                })
            })
            .collect()
    }
}
