use async_trait::async_trait;
use sea_orm::{FromQueryResult, Value};
use serde::{Deserialize, Serialize};
use tenantry_domain::directory::{
    Attributes, DirectoryGroup, DirectoryGroupRecord, DirectoryName, DirectoryRepository,
    DirectoryTokenInfo, DirectoryUser, DirectoryUserRecord, ExternalId, GroupRole,
    ProvisioningSettings,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, ScimGroupId, ScimTokenId, UserId};
use tenantry_domain::member::RoleChoice;
use tenantry_domain::user::{TokenHash, TokenName};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{OrStoreError, corrupt};
use crate::json;
use crate::sql::statement;
use crate::transaction::SeaTransaction;

#[derive(FromQueryResult)]
struct TokenRow {
    id: Uuid,
    org_id: Uuid,
    name: String,
    created_at: OffsetDateTime,
}

impl From<TokenRow> for DirectoryTokenInfo {
    fn from(row: TokenRow) -> Self {
        Self {
            id: ScimTokenId::from_uuid(row.id),
            org_id: OrgId::from_uuid(row.org_id),
            name: TokenName::from_trusted(row.name),
            created_at: row.created_at,
        }
    }
}

#[derive(FromQueryResult)]
struct UserRow {
    org_id: Uuid,
    user_id: Uuid,
    user_name: String,
    external_id: Option<String>,
    active: bool,
    attributes: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

impl From<UserRow> for DirectoryUserRecord {
    fn from(row: UserRow) -> Self {
        Self {
            org_id: OrgId::from_uuid(row.org_id),
            user_id: UserId::from_uuid(row.user_id),
            user: DirectoryUser {
                user_name: DirectoryName::from_trusted(row.user_name),
                external_id: row.external_id.map(ExternalId::from_trusted),
                // Read only when a person is provisioned; the account holds the address.
                email: None,
                name: None,
                active: row.active,
                attributes: Attributes::from_trusted(row.attributes),
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: u64::try_from(row.version).unwrap_or(0),
        }
    }
}

#[derive(FromQueryResult)]
struct GroupRow {
    id: Uuid,
    org_id: Uuid,
    display_name: String,
    external_id: Option<String>,
    attributes: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    version: i64,
}

#[derive(FromQueryResult)]
struct GroupMemberRow {
    group_id: Uuid,
    user_id: Uuid,
}

/// The settings as stored: roles by the names and ids the API uses.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSettings {
    default_role: String,
    group_roles: Vec<StoredGroupRole>,
}

#[derive(Serialize, Deserialize)]
struct StoredGroupRole {
    group: String,
    role: String,
}

fn role_choice(text: &str) -> Result<RoleChoice, StoreError> {
    RoleChoice::try_from(text).map_err(|_| corrupt("scim settings role", text))
}

const SELECT_USER: &str = "SELECT org_id, user_id, user_name, external_id, active, attributes, \
     created_at, updated_at, version FROM scim_users";
const SELECT_GROUP: &str = "SELECT id, org_id, display_name, external_id, attributes, \
     created_at, updated_at, version FROM scim_groups";

fn version(n: u64) -> Value {
    i64::try_from(n).unwrap_or(i64::MAX).into()
}

impl SeaTransaction {
    async fn users_where(
        &self,
        condition: &str,
        values: Vec<Value>,
    ) -> Result<Vec<DirectoryUserRecord>, StoreError> {
        let sql = format!("{SELECT_USER} WHERE {condition} ORDER BY created_at, user_id");
        Ok(
            UserRow::find_by_statement(statement(self.backend(), &sql, values))
                .all(&self.tx)
                .await
                .or_store_error()?
                .into_iter()
                .map(DirectoryUserRecord::from)
                .collect(),
        )
    }

    /// Groups with their members: two queries however many groups.
    async fn groups_where(
        &self,
        condition: &str,
        values: Vec<Value>,
    ) -> Result<Vec<DirectoryGroupRecord>, StoreError> {
        let sql = format!("{SELECT_GROUP} WHERE {condition} ORDER BY created_at, id");
        let groups = GroupRow::find_by_statement(statement(self.backend(), &sql, values.clone()))
            .all(&self.tx)
            .await
            .or_store_error()?;
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT group_id, user_id FROM scim_group_members WHERE group_id IN \
             (SELECT id FROM scim_groups WHERE {condition}) ORDER BY group_id, user_id"
        );
        let members = GroupMemberRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?;
        Ok(groups
            .into_iter()
            .map(|row| DirectoryGroupRecord {
                id: ScimGroupId::from_uuid(row.id),
                org_id: OrgId::from_uuid(row.org_id),
                group: DirectoryGroup {
                    display_name: DirectoryName::from_trusted(row.display_name),
                    external_id: row.external_id.map(ExternalId::from_trusted),
                    members: members
                        .iter()
                        .filter(|member| member.group_id == row.id)
                        .map(|member| UserId::from_uuid(member.user_id))
                        .collect(),
                    attributes: Attributes::from_trusted(row.attributes),
                },
                created_at: row.created_at,
                updated_at: row.updated_at,
                version: u64::try_from(row.version).unwrap_or(0),
            })
            .collect())
    }

    async fn set_group_members(&self, record: &DirectoryGroupRecord) -> Result<(), StoreError> {
        let id = record.id.as_uuid();
        self.update(
            "DELETE FROM scim_group_members WHERE group_id = ?",
            vec![id.into()],
        )
        .await?;
        // In chunks, so no statement outgrows SQLite's limit on bound values.
        for chunk in record.group.members.chunks(300) {
            let rows = vec!["(?, ?, ?)"; chunk.len()].join(", ");
            let mut values = Vec::with_capacity(chunk.len() * 3);
            for user in chunk {
                values.push(id.into());
                values.push(record.org_id.as_uuid().into());
                values.push(user.as_uuid().into());
            }
            self.update(
                &format!(
                    "INSERT INTO scim_group_members (group_id, org_id, user_id) VALUES {rows}"
                ),
                values,
            )
            .await?;
        }
        Ok(())
    }
}

fn optional_text(value: Option<&str>) -> Value {
    value.map(str::to_owned).into()
}

#[async_trait]
impl DirectoryRepository for SeaTransaction {
    async fn insert_token(
        &self,
        token: &DirectoryTokenInfo,
        hash: &TokenHash,
    ) -> Result<(), StoreError> {
        self.update(
            "INSERT INTO scim_tokens (id, org_id, name, token_hash, created_at) \
             VALUES (?, ?, ?, ?, ?)",
            vec![
                token.id.as_uuid().into(),
                token.org_id.as_uuid().into(),
                token.name.as_str().into(),
                hash.as_str().into(),
                token.created_at.into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn list_tokens(&self, org: OrgId) -> Result<Vec<DirectoryTokenInfo>, StoreError> {
        let sql = "SELECT id, org_id, name, created_at FROM scim_tokens WHERE org_id = ? \
                   ORDER BY created_at, id";
        Ok(
            TokenRow::find_by_statement(statement(self.backend(), sql, [org.as_uuid().into()]))
                .all(&self.tx)
                .await
                .or_store_error()?
                .into_iter()
                .map(DirectoryTokenInfo::from)
                .collect(),
        )
    }

    async fn delete_token(&self, org: OrgId, id: ScimTokenId) -> Result<bool, StoreError> {
        let deleted = self
            .update(
                "DELETE FROM scim_tokens WHERE org_id = ? AND id = ?",
                vec![org.as_uuid().into(), id.as_uuid().into()],
            )
            .await?;
        Ok(deleted > 0)
    }

    async fn find_token(&self, hash: &TokenHash) -> Result<Option<DirectoryTokenInfo>, StoreError> {
        let sql = "SELECT id, org_id, name, created_at FROM scim_tokens WHERE token_hash = ?";
        Ok(
            TokenRow::find_by_statement(statement(self.backend(), sql, [hash.as_str().into()]))
                .one(&self.tx)
                .await
                .or_store_error()?
                .map(DirectoryTokenInfo::from),
        )
    }

    async fn settings(&self, org: OrgId) -> Result<Option<ProvisioningSettings>, StoreError> {
        #[derive(FromQueryResult)]
        struct Row {
            settings: String,
        }
        let sql = "SELECT settings FROM scim_settings WHERE org_id = ?";
        let Some(row) =
            Row::find_by_statement(statement(self.backend(), sql, [org.as_uuid().into()]))
                .one(&self.tx)
                .await
                .or_store_error()?
        else {
            return Ok(None);
        };
        let stored: StoredSettings = json::parse("scim_settings.settings", &row.settings)?;
        let group_roles = stored
            .group_roles
            .iter()
            .map(|mapping| {
                Ok(GroupRole {
                    group: DirectoryName::from_trusted(mapping.group.clone()),
                    role: role_choice(&mapping.role)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(ProvisioningSettings {
            default_role: role_choice(&stored.default_role)?,
            group_roles,
        }))
    }

    async fn save_settings(
        &self,
        org: OrgId,
        settings: &ProvisioningSettings,
    ) -> Result<(), StoreError> {
        let stored = StoredSettings {
            default_role: settings.default_role.to_string(),
            group_roles: settings
                .group_roles
                .iter()
                .map(|mapping| StoredGroupRole {
                    group: mapping.group.as_str().to_owned(),
                    role: mapping.role.to_string(),
                })
                .collect(),
        };
        let text = json::text(&stored);
        self.update(
            "DELETE FROM scim_settings WHERE org_id = ?",
            vec![org.as_uuid().into()],
        )
        .await?;
        self.update(
            "INSERT INTO scim_settings (org_id, settings) VALUES (?, ?)",
            vec![org.as_uuid().into(), text.into()],
        )
        .await?;
        Ok(())
    }

    async fn insert_user(&self, record: &DirectoryUserRecord) -> Result<(), StoreError> {
        let user = &record.user;
        self.update(
            "INSERT INTO scim_users (org_id, user_id, user_name, user_name_key, external_id, \
             active, attributes, created_at, updated_at, version) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                record.org_id.as_uuid().into(),
                record.user_id.as_uuid().into(),
                user.user_name.as_str().into(),
                user.user_name.key().into(),
                optional_text(user.external_id.as_ref().map(ExternalId::as_str)),
                user.active.into(),
                user.attributes.as_str().into(),
                record.created_at.into(),
                record.updated_at.into(),
                version(record.version),
            ],
        )
        .await?;
        Ok(())
    }

    async fn update_user(
        &self,
        record: &DirectoryUserRecord,
        expected_version: u64,
    ) -> Result<bool, StoreError> {
        let user = &record.user;
        let updated = self
            .update(
                "UPDATE scim_users SET user_name = ?, user_name_key = ?, external_id = ?, \
                 active = ?, attributes = ?, updated_at = ?, version = ? \
                 WHERE org_id = ? AND user_id = ? AND version = ?",
                vec![
                    user.user_name.as_str().into(),
                    user.user_name.key().into(),
                    optional_text(user.external_id.as_ref().map(ExternalId::as_str)),
                    user.active.into(),
                    user.attributes.as_str().into(),
                    record.updated_at.into(),
                    version(record.version),
                    record.org_id.as_uuid().into(),
                    record.user_id.as_uuid().into(),
                    version(expected_version),
                ],
            )
            .await?;
        Ok(updated > 0)
    }

    async fn find_user(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<DirectoryUserRecord>, StoreError> {
        let found = self
            .users_where(
                "org_id = ? AND user_id = ?",
                vec![org.as_uuid().into(), user.as_uuid().into()],
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn find_user_by_name(
        &self,
        org: OrgId,
        key: &str,
    ) -> Result<Option<DirectoryUserRecord>, StoreError> {
        let found = self
            .users_where(
                "org_id = ? AND user_name_key = ?",
                vec![org.as_uuid().into(), key.into()],
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn list_users(&self, org: OrgId) -> Result<Vec<DirectoryUserRecord>, StoreError> {
        self.users_where("org_id = ?", vec![org.as_uuid().into()])
            .await
    }

    async fn insert_group(&self, record: &DirectoryGroupRecord) -> Result<(), StoreError> {
        let group = &record.group;
        self.update(
            "INSERT INTO scim_groups (id, org_id, display_name, display_name_key, external_id, \
             attributes, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                record.id.as_uuid().into(),
                record.org_id.as_uuid().into(),
                group.display_name.as_str().into(),
                group.display_name.key().into(),
                optional_text(group.external_id.as_ref().map(ExternalId::as_str)),
                group.attributes.as_str().into(),
                record.created_at.into(),
                record.updated_at.into(),
                version(record.version),
            ],
        )
        .await?;
        self.set_group_members(record).await
    }

    async fn update_group(
        &self,
        record: &DirectoryGroupRecord,
        expected_version: u64,
    ) -> Result<bool, StoreError> {
        let group = &record.group;
        let updated = self
            .update(
                "UPDATE scim_groups SET display_name = ?, display_name_key = ?, external_id = ?, \
                 attributes = ?, updated_at = ?, version = ? \
                 WHERE org_id = ? AND id = ? AND version = ?",
                vec![
                    group.display_name.as_str().into(),
                    group.display_name.key().into(),
                    optional_text(group.external_id.as_ref().map(ExternalId::as_str)),
                    group.attributes.as_str().into(),
                    record.updated_at.into(),
                    version(record.version),
                    record.org_id.as_uuid().into(),
                    record.id.as_uuid().into(),
                    version(expected_version),
                ],
            )
            .await?;
        if updated == 0 {
            return Ok(false);
        }
        self.set_group_members(record).await?;
        Ok(true)
    }

    async fn find_group(
        &self,
        org: OrgId,
        id: ScimGroupId,
    ) -> Result<Option<DirectoryGroupRecord>, StoreError> {
        let found = self
            .groups_where(
                "org_id = ? AND id = ?",
                vec![org.as_uuid().into(), id.as_uuid().into()],
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn list_groups(&self, org: OrgId) -> Result<Vec<DirectoryGroupRecord>, StoreError> {
        self.groups_where("org_id = ?", vec![org.as_uuid().into()])
            .await
    }

    async fn delete_group(&self, org: OrgId, id: ScimGroupId) -> Result<bool, StoreError> {
        let deleted = self
            .update(
                "DELETE FROM scim_groups WHERE org_id = ? AND id = ?",
                vec![org.as_uuid().into(), id.as_uuid().into()],
            )
            .await?;
        Ok(deleted > 0)
    }

    async fn group_keys_of(&self, org: OrgId, user: UserId) -> Result<Vec<String>, StoreError> {
        #[derive(FromQueryResult)]
        struct Row {
            display_name_key: String,
        }
        let sql = "SELECT g.display_name_key AS display_name_key FROM scim_group_members m \
                   JOIN scim_groups g ON g.id = m.group_id \
                   WHERE m.org_id = ? AND m.user_id = ? ORDER BY g.display_name_key";
        let values = [org.as_uuid().into(), user.as_uuid().into()];
        Ok(
            Row::find_by_statement(statement(self.backend(), sql, values))
                .all(&self.tx)
                .await
                .or_store_error()?
                .into_iter()
                .map(|row| row.display_name_key)
                .collect(),
        )
    }
}
