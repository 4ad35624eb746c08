use async_trait::async_trait;
use sea_orm::{FromQueryResult, Value};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{InvitationId, OrgId, RoleId, UserId};
use tenantry_domain::invitation::{
    Invitation, InvitationKind, InvitationRepository, InvitationStatus, InvitationView,
};
use tenantry_domain::user::{Email, TokenHash};
use time::OffsetDateTime;
use uuid::Uuid;

use super::role_columns::{INVITATION_ROLE_SELECT, RoleColumns, role_columns};
use crate::error::{OrStoreError, corrupt};
use crate::sql::{Int, micros, statement};
use crate::transaction::SeaTransaction;

const EMAIL: &str = "email";
const LINK: &str = "link";
const PENDING: &str = "pending";

#[derive(Debug, FromQueryResult)]
struct InvitationRow {
    id: Uuid,
    org_id: Uuid,
    kind: String,
    email: Option<String>,
    invited_by: Option<Uuid>,
    status: String,
    max_uses: Option<Int>,
    uses: Int,
    created_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    #[sea_orm(nested)]
    role: RoleColumns,
}

#[derive(Debug, FromQueryResult)]
struct ViewRow {
    #[sea_orm(nested)]
    invitation: InvitationRow,
    org_name: String,
    inviter_name: Option<String>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = StoreError;

    fn try_from(row: InvitationRow) -> Result<Self, StoreError> {
        let kind = match (row.kind.as_str(), row.email) {
            (EMAIL, Some(email)) => InvitationKind::Email(Email::from_trusted(email)),
            (LINK, _) => InvitationKind::Link {
                max_uses: row.max_uses.map(Int::count),
                uses: row.uses.count(),
            },
            (kind, _) => return Err(corrupt("invitation kind", kind)),
        };
        Ok(Invitation {
            id: InvitationId::from_uuid(row.id),
            org_id: OrgId::from_uuid(row.org_id),
            role: row.role.into_role(row.org_id)?,
            kind,
            invited_by: row.invited_by.map(UserId::from_uuid),
            status: row
                .status
                .parse()
                .map_err(|()| corrupt("invitation status", &row.status))?,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

const SELECT: &str = "SELECT i.id AS id, i.org_id AS org_id, i.kind AS kind, i.email AS email, \
     i.invited_by AS invited_by, i.status AS status, i.max_uses AS max_uses, i.uses AS uses, \
     i.created_at AS created_at, i.expires_at AS expires_at, ";
const FROM: &str = " FROM invitations i LEFT JOIN custom_roles r ON r.id = i.custom_role_id";

impl SeaTransaction {
    async fn invitations_where(
        &self,
        condition: &str,
        values: Vec<Value>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let sql = format!("{SELECT}{INVITATION_ROLE_SELECT}{FROM} WHERE {condition}");
        InvitationRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(Invitation::try_from)
            .collect()
    }

    async fn one_invitation(
        &self,
        condition: &str,
        values: Vec<Value>,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(self.invitations_where(condition, values).await?.pop())
    }
}

#[async_trait]
impl InvitationRepository for SeaTransaction {
    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        secret: &TokenHash,
    ) -> Result<(), StoreError> {
        let (role, custom_role_id) = role_columns(&invitation.role);
        let (kind, email, max_uses, uses) = match &invitation.kind {
            InvitationKind::Email(email) => (EMAIL, Some(email.as_str().to_owned()), None, 0),
            InvitationKind::Link { max_uses, uses } => (
                LINK,
                None,
                max_uses.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
                i32::try_from(*uses).unwrap_or(i32::MAX),
            ),
        };
        let sql = "INSERT INTO invitations (id, org_id, kind, email, role, custom_role_id, \
             invited_by, secret_hash, status, max_uses, uses, created_at, expires_at, expires_at_us) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        self.update(
            sql,
            vec![
                invitation.id.as_uuid().into(),
                invitation.org_id.as_uuid().into(),
                kind.into(),
                email.into(),
                role.into(),
                custom_role_id.into(),
                invitation.invited_by.map(|id| id.as_uuid()).into(),
                secret.as_str().into(),
                invitation.status.name().into(),
                max_uses.into(),
                uses.into(),
                invitation.created_at.into(),
                invitation.expires_at.into(),
                micros(invitation.expires_at).into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn find_invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError> {
        self.one_invitation("i.id = ?", vec![id.as_uuid().into()])
            .await
    }

    async fn find_by_secret(&self, secret: &TokenHash) -> Result<Option<Invitation>, StoreError> {
        self.one_invitation("i.secret_hash = ?", vec![secret.as_str().into()])
            .await
    }

    async fn find_pending_for(
        &self,
        org: OrgId,
        email: &Email,
    ) -> Result<Option<Invitation>, StoreError> {
        self.one_invitation(
            "i.org_id = ? AND i.email = ? AND i.status = ?",
            vec![org.as_uuid().into(), email.as_str().into(), PENDING.into()],
        )
        .await
    }

    async fn list_invitations(&self, org: OrgId) -> Result<Vec<Invitation>, StoreError> {
        // Ids are UUID v7: descending id is newest first.
        self.invitations_where(
            "i.org_id = ? ORDER BY i.id DESC",
            vec![org.as_uuid().into()],
        )
        .await
    }

    async fn list_pending_to(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Vec<InvitationView>, StoreError> {
        let sql = format!(
            "{SELECT}{INVITATION_ROLE_SELECT}, o.name AS org_name, u.name AS inviter_name{FROM} \
             JOIN orgs o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by \
             WHERE i.email = ? AND i.status = ? AND i.expires_at_us > ? ORDER BY i.id DESC"
        );
        let values = [email.as_str().into(), PENDING.into(), micros(now).into()];
        ViewRow::find_by_statement(statement(self.backend(), &sql, values))
            .all(&self.tx)
            .await
            .or_store_error()?
            .into_iter()
            .map(|row| {
                Ok(InvitationView {
                    invitation: Invitation::try_from(row.invitation)?,
                    org_name: row.org_name,
                    inviter_name: row.inviter_name,
                })
            })
            .collect()
    }

    async fn count_pending_emails(
        &self,
        org: OrgId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // An invitee who joined some other way (a link, a move, the operator) already holds a
        // seat as a member; their invitation must not hold a second one.
        let sql = "SELECT COUNT(*) AS n FROM invitations i \
             WHERE i.org_id = ? AND i.kind = ? AND i.status = ? AND i.expires_at_us > ? \
             AND NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.org_id = i.org_id AND u.email = i.email)";
        self.count(
            sql,
            vec![
                org.as_uuid().into(),
                EMAIL.into(),
                PENDING.into(),
                micros(now).into(),
            ],
        )
        .await
    }

    async fn close_invitation(
        &self,
        id: InvitationId,
        to: InvitationStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let changed = self
            .update(
                "UPDATE invitations SET status = ?, closed_at = ? WHERE id = ? AND status = ?",
                vec![
                    to.name().into(),
                    at.into(),
                    id.as_uuid().into(),
                    PENDING.into(),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn record_link_use(
        &self,
        id: InvitationId,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // Right-hand sides see the row as it was, so `uses + 1` is the count after this use.
        let sql = "UPDATE invitations SET uses = uses + 1, \
             status = CASE WHEN max_uses IS NOT NULL AND uses + 1 >= max_uses THEN ? ELSE status END, \
             closed_at = CASE WHEN max_uses IS NOT NULL AND uses + 1 >= max_uses THEN ? ELSE closed_at END \
             WHERE id = ? AND kind = ? AND status = ?";
        let changed = self
            .update(
                sql,
                vec![
                    InvitationStatus::Accepted.name().into(),
                    at.into(),
                    id.as_uuid().into(),
                    LINK.into(),
                    PENDING.into(),
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn renew_invitation(
        &self,
        id: InvitationId,
        secret: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.update(
            "UPDATE invitations SET secret_hash = ?, expires_at = ?, expires_at_us = ? WHERE id = ?",
            vec![
                secret.as_str().into(),
                expires_at.into(),
                micros(expires_at).into(),
                id.as_uuid().into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn reassign_custom_role(
        &self,
        org: OrgId,
        from: RoleId,
        to: BuiltinRole,
    ) -> Result<u64, StoreError> {
        // Pending ones first, to count the grants this makes; then the closed rest, which only
        // must stop pointing at the role.
        let sql = "UPDATE invitations SET role = ?, custom_role_id = NULL \
             WHERE org_id = ? AND custom_role_id = ?";
        let values = || {
            vec![
                to.name().into(),
                org.as_uuid().into(),
                from.as_uuid().into(),
            ]
        };
        let mut pending_values = values();
        pending_values.push(PENDING.into());
        let pending = self
            .update(&format!("{sql} AND status = ?"), pending_values)
            .await?;
        self.update(sql, values()).await?;
        Ok(pending)
    }
}
