use async_trait::async_trait;
use sea_orm::{FromQueryResult, Value};
use tenantry_domain::domains::{DomainName, DomainRepository, OrgDomain};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{DomainId, OrgId, UserId};
use tenantry_domain::member::RoleChoice;
use tenantry_domain::user::TokenHash;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{OrStoreError, corrupt};
use crate::sql::{micros, placeholders, statement};
use crate::transaction::SeaTransaction;

#[derive(Debug, FromQueryResult)]
struct DomainRow {
    id: Uuid,
    org_id: Uuid,
    domain: String,
    challenge: String,
    verified_at: Option<OffsetDateTime>,
    auto_join: bool,
    default_role: String,
    created_at: OffsetDateTime,
}

impl TryFrom<DomainRow> for OrgDomain {
    type Error = StoreError;

    fn try_from(row: DomainRow) -> Result<Self, StoreError> {
        let default_role = RoleChoice::try_from(row.default_role.as_str())
            .map_err(|_| corrupt("domain default role", &row.default_role))?;
        Ok(OrgDomain {
            id: DomainId::from_uuid(row.id),
            org_id: OrgId::from_uuid(row.org_id),
            domain: DomainName::from_trusted(row.domain),
            challenge: row.challenge,
            verified_at: row.verified_at,
            auto_join: row.auto_join,
            default_role,
            created_at: row.created_at,
        })
    }
}

const SELECT_DOMAIN: &str = "SELECT id, org_id, domain, challenge, verified_at, auto_join, \
                             default_role, created_at FROM org_domains";

/// The tables of single-use links mailed to an account, one live link per account in each.
#[derive(Clone, Copy, Debug)]
pub(crate) enum LinkTable {
    EmailVerifications,
    PasswordResets,
}

impl LinkTable {
    fn name(self) -> &'static str {
        match self {
            Self::EmailVerifications => "email_verifications",
            Self::PasswordResets => "password_resets",
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct VerificationRow {
    user_id: Uuid,
    expires_at: OffsetDateTime,
}

impl SeaTransaction {
    async fn domains_where(
        &self,
        condition: &str,
        values: Vec<Value>,
    ) -> Result<Vec<OrgDomain>, StoreError> {
        let sql = format!("{SELECT_DOMAIN} WHERE {condition}");
        DomainRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(OrgDomain::try_from)
            .collect()
    }

    /// See [`UserRepository::save_email_verification`](tenantry_domain::user::UserRepository);
    /// `table` is that of e-mail verifications or of password resets, alike.
    pub(crate) async fn save_verification(
        &self,
        table: LinkTable,
        id: UserId,
        token: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let table = table.name();
        self.update(
            &format!("DELETE FROM {table} WHERE user_id = ?"),
            vec![id.as_uuid().into()],
        )
        .await?;
        self.update(
            &format!("INSERT INTO {table} (user_id, token_hash, expires_at) VALUES (?, ?, ?)"),
            vec![
                id.as_uuid().into(),
                token.as_str().into(),
                expires_at.into(),
            ],
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn find_verification(
        &self,
        table: LinkTable,
        token: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError> {
        let sql = format!(
            "SELECT user_id, expires_at FROM {} WHERE token_hash = ?",
            table.name()
        );
        let row = VerificationRow::find_by_statement(statement(
            self.backend(),
            &sql,
            [token.as_str().into()],
        ))
        .one(&self.tx)
        .await
        .or_store_error()?;
        Ok(row.map(|row| (UserId::from_uuid(row.user_id), row.expires_at)))
    }

    /// When the account's live link in `table` expires, if it has one.
    pub(crate) async fn link_expiry(
        &self,
        table: LinkTable,
        id: UserId,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let sql = format!(
            "SELECT user_id, expires_at FROM {} WHERE user_id = ?",
            table.name()
        );
        let row = VerificationRow::find_by_statement(statement(
            self.backend(),
            &sql,
            [id.as_uuid().into()],
        ))
        .one(&self.tx)
        .await
        .or_store_error()?;
        Ok(row.map(|row| row.expires_at))
    }

    pub(crate) async fn delete_verification(
        &self,
        table: LinkTable,
        token: &TokenHash,
    ) -> Result<bool, StoreError> {
        let deleted = self
            .update(
                &format!("DELETE FROM {} WHERE token_hash = ?", table.name()),
                vec![token.as_str().into()],
            )
            .await?;
        Ok(deleted > 0)
    }
}

#[async_trait]
impl DomainRepository for SeaTransaction {
    async fn insert_domain(&self, domain: &OrgDomain) -> Result<(), StoreError> {
        self.update(
            "INSERT INTO org_domains (id, org_id, domain, challenge, verified_at, auto_join, \
             default_role, created_at, created_at_us, checked_at_us) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            vec![
                domain.id.as_uuid().into(),
                domain.org_id.as_uuid().into(),
                domain.domain.as_str().into(),
                domain.challenge.as_str().into(),
                domain.verified_at.into(),
                domain.auto_join.into(),
                domain.default_role.to_string().into(),
                domain.created_at.into(),
                micros(domain.created_at).into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn list_domains(&self, org: OrgId) -> Result<Vec<OrgDomain>, StoreError> {
        self.domains_where(
            "org_id = ? ORDER BY created_at_us, id",
            vec![org.as_uuid().into()],
        )
        .await
    }

    async fn find_domain(&self, org: OrgId, id: DomainId) -> Result<Option<OrgDomain>, StoreError> {
        Ok(self
            .domains_where(
                "org_id = ? AND id = ?",
                vec![org.as_uuid().into(), id.as_uuid().into()],
            )
            .await?
            .pop())
    }

    async fn find_verified(&self, domain: &DomainName) -> Result<Option<OrgDomain>, StoreError> {
        Ok(self
            .domains_where(
                "domain = ? AND verified_at IS NOT NULL",
                vec![domain.as_str().into()],
            )
            .await?
            .pop())
    }

    async fn mark_verified(&self, id: DomainId, at: OffsetDateTime) -> Result<(), StoreError> {
        self.update(
            "UPDATE org_domains SET verified_at = ? WHERE id = ? AND verified_at IS NULL",
            vec![at.into(), id.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn update_domain(&self, domain: &OrgDomain) -> Result<(), StoreError> {
        self.update(
            "UPDATE org_domains SET auto_join = ?, default_role = ? WHERE id = ? AND org_id = ?",
            vec![
                domain.auto_join.into(),
                domain.default_role.to_string().into(),
                domain.id.as_uuid().into(),
                domain.org_id.as_uuid().into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn delete_domain(&self, org: OrgId, id: DomainId) -> Result<bool, StoreError> {
        let deleted = self
            .update(
                "DELETE FROM org_domains WHERE org_id = ? AND id = ?",
                vec![org.as_uuid().into(), id.as_uuid().into()],
            )
            .await?;
        Ok(deleted > 0)
    }

    async fn claim_pending(
        &self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OrgDomain>, StoreError> {
        let pending = self
            .domains_where(
                "verified_at IS NULL ORDER BY checked_at_us, id LIMIT ?",
                vec![i64::from(limit).into()],
            )
            .await?;
        if pending.is_empty() {
            return Ok(pending);
        }
        let marks = placeholders(pending.len());
        let mut values: Vec<Value> = vec![micros(now).into()];
        values.extend(pending.iter().map(|domain| domain.id.as_uuid().into()));
        self.update(
            &format!("UPDATE org_domains SET checked_at_us = ? WHERE id IN ({marks})"),
            values,
        )
        .await?;
        Ok(pending)
    }
}
