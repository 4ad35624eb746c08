use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, RoleId};
use tenantry_domain::role::{CustomRole, RoleRepository, RoleWithCount};

use super::role_columns::{StoredRole, custom_role, permissions_column};
use crate::entities::custom_roles;
use crate::error::OrStoreError;
use crate::sql::statement;
use crate::transaction::SeaTransaction;

fn active(role: &CustomRole) -> custom_roles::ActiveModel {
    custom_roles::ActiveModel {
        id: Set(role.id.as_uuid()),
        org_id: Set(role.org_id.as_uuid()),
        name: Set(role.name.as_str().to_owned()),
        name_key: Set(role.name.key()),
        description: Set(role.description.as_ref().map(|d| d.as_str().to_owned())),
        permissions: Set(permissions_column(role.permissions)),
        created_at: Set(role.created_at),
    }
}

#[derive(Debug, FromQueryResult)]
struct RoleRow {
    member_count: i64,
    #[sea_orm(nested)]
    role: StoredRole,
}

const LIST_ROLES: &str = "SELECT r.id AS id, r.org_id AS org_id, r.name AS name, \
     r.description AS description, r.permissions AS permissions, r.created_at AS created_at, \
     (SELECT COUNT(*) FROM memberships m WHERE m.custom_role_id = r.id) AS member_count \
     FROM custom_roles r WHERE r.org_id = ? ORDER BY r.id"; // UUID v7: creation order

#[async_trait]
impl RoleRepository for SeaTransaction {
    async fn insert_role(&self, role: &CustomRole) -> Result<(), StoreError> {
        custom_roles::Entity::insert(active(role))
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn find_role(&self, org: OrgId, id: RoleId) -> Result<Option<CustomRole>, StoreError> {
        custom_roles::Entity::find_by_id(id.as_uuid())
            .filter(custom_roles::Column::OrgId.eq(org.as_uuid()))
            .one(&self.tx)
            .await
            .or_store_error()?
            .map(|row| custom_role(row.into()))
            .transpose()
    }

    async fn list_roles(&self, org: OrgId) -> Result<Vec<RoleWithCount>, StoreError> {
        let rows = RoleRow::find_by_statement(statement(
            self.backend(),
            LIST_ROLES,
            [org.as_uuid().into()],
        ))
        .all(&self.tx)
        .await
        .or_store_error()?;
        rows.into_iter()
            .map(|row| {
                Ok(RoleWithCount {
                    member_count: u64::try_from(row.member_count).unwrap_or_default(),
                    role: custom_role(row.role)?,
                })
            })
            .collect()
    }

    async fn count_roles(&self, org: OrgId) -> Result<u64, StoreError> {
        custom_roles::Entity::find()
            .filter(custom_roles::Column::OrgId.eq(org.as_uuid()))
            .count(&self.tx)
            .await
            .or_store_error()
    }

    async fn update_role(&self, role: &CustomRole) -> Result<(), StoreError> {
        custom_roles::Entity::update(active(role))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn delete_role(&self, org: OrgId, id: RoleId) -> Result<(), StoreError> {
        custom_roles::Entity::delete_many()
            .filter(custom_roles::Column::Id.eq(id.as_uuid()))
            .filter(custom_roles::Column::OrgId.eq(org.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }
}
