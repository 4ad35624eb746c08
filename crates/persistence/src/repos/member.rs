use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Value,
};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, RoleId, UserId};
use tenantry_domain::member::{
    AssignedRole, Member, MemberAccess, MemberPage, MemberRepository, MembersVersion, Membership,
    RoleFilter,
};
use tenantry_domain::user::{Email, User, UserName};
use time::OffsetDateTime;
use uuid::Uuid;

use super::role_columns::{ROLE_SELECT, RoleColumns, role_columns};
use crate::entities::memberships;
use crate::error::OrStoreError;
use crate::sql::{micros, placeholders, statement};
use crate::transaction::SeaTransaction;

#[derive(Debug, FromQueryResult)]
struct MembershipRow {
    joined_at: OffsetDateTime,
    #[sea_orm(nested)]
    role: RoleColumns,
}

impl MembershipRow {
    fn into_membership(self, org: OrgId, user: UserId) -> Result<Membership, StoreError> {
        Ok(Membership {
            org_id: org,
            user_id: user,
            role: self.role.into_role(org.as_uuid())?,
            joined_at: self.joined_at,
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct MemberRow {
    user_id: Uuid,
    email: String,
    name: String,
    created_at: OffsetDateTime,
    last_login_at: Option<OffsetDateTime>,
    mfa_enabled_at: Option<OffsetDateTime>,
    joined_at: OffsetDateTime,
    suspended_at: Option<OffsetDateTime>,
    #[sea_orm(nested)]
    role: RoleColumns,
}

const FIND_MEMBER: &str = " FROM memberships m \
     LEFT JOIN custom_roles r ON r.id = m.custom_role_id \
     WHERE m.org_id = ? AND m.user_id = ?";

const LIST_MEMBERS: &str = "SELECT u.id AS user_id, u.email AS email, u.name AS name, \
     u.created_at AS created_at, \
     u.last_login_at AS last_login_at, u.mfa_enabled_at AS mfa_enabled_at, \
     m.joined_at AS joined_at, m.suspended_at AS suspended_at, ";
const LIST_MEMBERS_FROM: &str = " FROM memberships m \
     JOIN users u ON u.id = m.user_id \
     LEFT JOIN custom_roles r ON r.id = m.custom_role_id \
     WHERE m.org_id = ?";

#[async_trait]
impl MemberRepository for SeaTransaction {
    async fn insert_member(&self, membership: &Membership) -> Result<(), StoreError> {
        let (role, custom_role_id) = role_columns(&membership.role);
        let row = memberships::ActiveModel {
            org_id: Set(membership.org_id.as_uuid()),
            user_id: Set(membership.user_id.as_uuid()),
            role: Set(role.to_owned()),
            custom_role_id: Set(custom_role_id),
            joined_at: Set(membership.joined_at),
            joined_at_us: Set(micros(membership.joined_at)),
        };
        memberships::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn find_member(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<Membership>, StoreError> {
        let sql = format!("SELECT m.joined_at AS joined_at, {ROLE_SELECT}{FIND_MEMBER}");
        let row = MembershipRow::find_by_statement(statement(
            self.backend(),
            &sql,
            [org.as_uuid().into(), user.as_uuid().into()],
        ))
        .one(&self.tx)
        .await
        .or_store_error()?;
        row.map(|row| row.into_membership(org, user)).transpose()
    }

    async fn find_access(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<MemberAccess>, StoreError> {
        Ok(self.accesses(org, &[user]).await?.pop())
    }

    async fn find_accesses(
        &self,
        org: OrgId,
        users: &[UserId],
    ) -> Result<Vec<MemberAccess>, StoreError> {
        self.accesses(org, users).await
    }

    async fn list_members(&self, org: OrgId, page: MemberPage) -> Result<Vec<Member>, StoreError> {
        let mut sql = format!("{LIST_MEMBERS}{ROLE_SELECT}{LIST_MEMBERS_FROM}");
        let mut values: Vec<Value> = vec![org.as_uuid().into()];
        if let Some(after) = page.after {
            sql.push_str(" AND (m.joined_at_us > ? OR (m.joined_at_us = ? AND m.user_id > ?))");
            let after_us = micros(after.joined_at);
            values.extend([
                after_us.into(),
                after_us.into(),
                after.user_id.as_uuid().into(),
            ]);
        }
        match page.role {
            Some(RoleFilter::Builtin(role)) => {
                sql.push_str(" AND m.role = ?");
                values.push(role.name().into());
            }
            Some(RoleFilter::Custom(role)) => {
                sql.push_str(" AND m.custom_role_id = ?");
                values.push(role.as_uuid().into());
            }
            None => {}
        }
        if let Some(search) = &page.search {
            // `%` and `_` in the text are matched as themselves.
            let escaped: String = search
                .as_str()
                .chars()
                .flat_map(|c| match c {
                    '%' | '_' | '\\' => vec!['\\', c],
                    c => vec![c],
                })
                .collect();
            let pattern = format!("%{escaped}%");
            sql.push_str(" AND (lower(u.name) LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')");
            values.push(pattern.clone().into());
            values.push(pattern.into());
        }
        sql.push_str(" ORDER BY m.joined_at_us, m.user_id");
        if let Some(limit) = page.limit {
            sql.push_str(" LIMIT ?");
            values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
        }
        let rows = MemberRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?;
        rows.into_iter()
            .map(|row| {
                Ok(Member {
                    role: row.role.into_role(org.as_uuid())?,
                    joined_at: row.joined_at,
                    suspended: row.suspended_at.is_some(),
                    user: User {
                        id: UserId::from_uuid(row.user_id),
                        email: Email::from_trusted(row.email),
                        name: UserName::from_trusted(row.name),
                        created_at: row.created_at,
                        last_login_at: row.last_login_at,
                        mfa_enabled: row.mfa_enabled_at.is_some(),
                    },
                })
            })
            .collect()
    }

    async fn oldest_membership(&self, user: UserId) -> Result<Option<OrgId>, StoreError> {
        let oldest = memberships::Entity::find()
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(memberships::Column::JoinedAtUs)
            .order_by_asc(memberships::Column::OrgId)
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(oldest.map(|membership| OrgId::from_uuid(membership.org_id)))
    }

    async fn count_members(&self, org: OrgId) -> Result<u64, StoreError> {
        // Kept by the memberships triggers: the same whatever the org's size.
        self.count(
            "SELECT member_count AS n FROM orgs WHERE id = ?",
            vec![org.as_uuid().into()],
        )
        .await
    }

    async fn set_member_role(
        &self,
        org: OrgId,
        user: UserId,
        role: &AssignedRole,
    ) -> Result<(), StoreError> {
        let (role, custom_role_id) = role_columns(role);
        memberships::Entity::update_many()
            .col_expr(memberships::Column::Role, role.into())
            .col_expr(memberships::Column::CustomRoleId, custom_role_id.into())
            .filter(memberships::Column::OrgId.eq(org.as_uuid()))
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn set_suspended(
        &self,
        org: OrgId,
        user: UserId,
        at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        self.update(
            "UPDATE memberships SET suspended_at = ? WHERE org_id = ? AND user_id = ?",
            vec![at.into(), org.as_uuid().into(), user.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn delete_member(&self, org: OrgId, user: UserId) -> Result<(), StoreError> {
        memberships::Entity::delete_many()
            .filter(memberships::Column::OrgId.eq(org.as_uuid()))
            .filter(memberships::Column::UserId.eq(user.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn reassign_custom_role(
        &self,
        org: OrgId,
        from: RoleId,
        to: BuiltinRole,
    ) -> Result<u64, StoreError> {
        let result = memberships::Entity::update_many()
            .col_expr(memberships::Column::Role, to.name().into())
            .col_expr(
                memberships::Column::CustomRoleId,
                Option::<Uuid>::None.into(),
            )
            .filter(memberships::Column::OrgId.eq(org.as_uuid()))
            .filter(memberships::Column::CustomRoleId.eq(from.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(result.rows_affected)
    }
}

#[derive(FromQueryResult)]
struct AccessRow {
    settings: String,
    members_version: i64,
    mfa_enabled_at: Option<OffsetDateTime>,
    suspended_at: Option<OffsetDateTime>,
    user_id: Uuid,
    user_name: String,
    #[sea_orm(nested)]
    membership: MembershipRow,
}

impl SeaTransaction {
    /// The memberships of `users` in `org`, with the org's MFA rule and version, in one query.
    async fn accesses(
        &self,
        org: OrgId,
        users: &[UserId],
    ) -> Result<Vec<MemberAccess>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let marks = placeholders(users.len());
        let sql = format!(
            "SELECT o.settings AS settings, o.members_version AS members_version, \
             u.mfa_enabled_at AS mfa_enabled_at, m.suspended_at AS suspended_at, \
             m.user_id AS user_id, u.name AS user_name, \
             m.joined_at AS joined_at, {ROLE_SELECT} FROM memberships m \
             JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id \
             LEFT JOIN custom_roles r ON r.id = m.custom_role_id \
             WHERE m.org_id = ? AND m.user_id IN ({marks})"
        );
        let mut values: Vec<Value> = vec![org.as_uuid().into()];
        values.extend(users.iter().map(|user| Value::from(user.as_uuid())));
        AccessRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(|row| {
                Ok(MemberAccess {
                    org_requires_mfa: super::org::settings_from_json(&row.settings)?.requires_mfa(),
                    has_mfa: row.mfa_enabled_at.is_some(),
                    suspended: row.suspended_at.is_some(),
                    name: UserName::from_trusted(row.user_name),
                    members_version: MembersVersion(
                        u64::try_from(row.members_version).unwrap_or(0),
                    ),
                    membership: row
                        .membership
                        .into_membership(org, UserId::from_uuid(row.user_id))?,
                })
            })
            .collect()
    }
}
