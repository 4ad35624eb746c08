use async_trait::async_trait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, SessionId, UserId};
use tenantry_domain::integration::SealedCredentials;
use tenantry_domain::user::{
    CurrentSession, Email, PasswordHash, Session, SessionRepository, TokenHash, TokenName,
    TotpState, User, UserName, UserRepository, UserWithPassword,
};
use time::OffsetDateTime;

use crate::entities::{sessions, users};
use crate::error::OrStoreError;
use crate::transaction::SeaTransaction;

use super::domain::LinkTable;

fn user(row: users::Model) -> User {
    User {
        id: UserId::from_uuid(row.id),
        email: Email::from_trusted(row.email),
        name: UserName::from_trusted(row.name),
        created_at: row.created_at,
        last_login_at: row.last_login_at,
        mfa_enabled: row.mfa_enabled_at.is_some(),
    }
}

#[async_trait]
impl UserRepository for SeaTransaction {
    async fn insert_user(
        &self,
        user: &User,
        password_hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let row = users::ActiveModel {
            id: Set(user.id.as_uuid()),
            email: Set(user.email.as_str().to_owned()),
            name: Set(user.name.as_str().to_owned()),
            password_hash: Set(password_hash.as_str().to_owned()),
            created_at: Set(user.created_at),
            last_login_at: Set(user.last_login_at),
            email_verified_at: Set(None),
            totp_secret: Set(None),
            totp_pending: Set(None),
            mfa_enabled_at: Set(None),
            totp_last_step: Set(None),
        };
        users::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn find_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row = users::Entity::find_by_id(id.as_uuid())
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(row.map(user))
    }

    async fn find_user_by_email(
        &self,
        email: &Email,
    ) -> Result<Option<UserWithPassword>, StoreError> {
        let row = users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(row.map(|row| UserWithPassword {
            email_verified: row.email_verified_at.is_some(),
            password_hash: PasswordHash::new(row.password_hash.clone()),
            user: user(row),
        }))
    }

    async fn record_login(&self, id: UserId, at: OffsetDateTime) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::LastLoginAt, at.into())
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn email_verified(&self, id: UserId) -> Result<bool, StoreError> {
        let verified = users::Entity::find_by_id(id.as_uuid())
            .filter(users::Column::EmailVerifiedAt.is_not_null())
            .count(&self.tx)
            .await
            .or_store_error()?;
        Ok(verified > 0)
    }

    async fn mark_email_verified(&self, id: UserId, at: OffsetDateTime) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::EmailVerifiedAt, at.into())
            .filter(users::Column::Id.eq(id.as_uuid()))
            .filter(users::Column::EmailVerifiedAt.is_null())
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn save_email_verification(
        &self,
        id: UserId,
        token: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.save_verification(LinkTable::EmailVerifications, id, token, expires_at)
            .await
    }

    async fn find_email_verification(
        &self,
        token: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError> {
        self.find_verification(LinkTable::EmailVerifications, token)
            .await
    }

    async fn delete_email_verification(&self, token: &TokenHash) -> Result<bool, StoreError> {
        self.delete_verification(LinkTable::EmailVerifications, token)
            .await
    }

    async fn save_password_reset(
        &self,
        id: UserId,
        token: &TokenHash,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.save_verification(LinkTable::PasswordResets, id, token, expires_at)
            .await
    }

    async fn find_password_reset(
        &self,
        token: &TokenHash,
    ) -> Result<Option<(UserId, OffsetDateTime)>, StoreError> {
        self.find_verification(LinkTable::PasswordResets, token)
            .await
    }

    async fn delete_password_reset(&self, token: &TokenHash) -> Result<bool, StoreError> {
        self.delete_verification(LinkTable::PasswordResets, token)
            .await
    }

    async fn password_reset_expiry(
        &self,
        id: UserId,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        self.link_expiry(LinkTable::PasswordResets, id).await
    }

    async fn set_password_hash(&self, id: UserId, hash: &PasswordHash) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, hash.as_str().into())
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn totp(&self, id: UserId) -> Result<TotpState, StoreError> {
        let row = users::Entity::find_by_id(id.as_uuid())
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(row.map_or_else(TotpState::default, |row| TotpState {
            active: row.totp_secret.map(SealedCredentials),
            pending: row.totp_pending.map(SealedCredentials),
        }))
    }

    async fn set_pending_totp(
        &self,
        id: UserId,
        sealed: Option<SealedCredentials>,
    ) -> Result<(), StoreError> {
        self.update(
            "UPDATE users SET totp_pending = ? WHERE id = ?",
            vec![sealed.map(|sealed| sealed.0).into(), id.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn enable_totp(
        &self,
        id: UserId,
        sealed: SealedCredentials,
        at: OffsetDateTime,
        step: u64,
    ) -> Result<(), StoreError> {
        users::Entity::update_many()
            .col_expr(users::Column::TotpSecret, Some(sealed.0).into())
            .col_expr(users::Column::TotpPending, Option::<String>::None.into())
            .col_expr(users::Column::MfaEnabledAt, Some(at).into())
            .col_expr(users::Column::TotpLastStep, Some(step_value(step)).into())
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn disable_totp(&self, id: UserId) -> Result<(), StoreError> {
        self.update(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, mfa_enabled_at = NULL \
             WHERE id = ?",
            vec![id.as_uuid().into()],
        )
        .await?;
        Ok(())
    }

    async fn use_totp_step(&self, id: UserId, step: u64) -> Result<bool, StoreError> {
        let step = step_value(step);
        let changed = self
            .update(
                "UPDATE users SET totp_last_step = ? \
                 WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
                vec![step.into(), id.as_uuid().into(), step.into()],
            )
            .await?;
        Ok(changed == 1)
    }
}

fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

fn session(row: sessions::Model) -> Session {
    Session {
        id: SessionId::from_uuid(row.id),
        user_id: UserId::from_uuid(row.user_id),
        token_hash: TokenHash::from_stored(row.token_hash),
        created_at: row.created_at,
        expires_at: row.expires_at,
        active_org: row.active_org_id.map(OrgId::from_uuid),
        name: row.name.map(TokenName::from_trusted),
        pinned_org: row.pinned_org_id.map(OrgId::from_uuid),
        service: row.service,
    }
}

#[async_trait]
impl SessionRepository for SeaTransaction {
    async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        let row = sessions::ActiveModel {
            id: Set(session.id.as_uuid()),
            user_id: Set(session.user_id.as_uuid()),
            token_hash: Set(session.token_hash.as_str().to_owned()),
            created_at: Set(session.created_at),
            expires_at: Set(session.expires_at),
            active_org_id: Set(session.active_org.map(|org| org.as_uuid())),
            name: Set(session.name.as_ref().map(|name| name.as_str().to_owned())),
            pinned_org_id: Set(session.pinned_org.map(|org| org.as_uuid())),
            service: Set(session.service),
        };
        sessions::Entity::insert(row)
            .exec_without_returning(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }

    async fn find_session(&self, token_hash: &TokenHash) -> Result<Option<Session>, StoreError> {
        let row = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash.as_str()))
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(row.map(session))
    }

    async fn find_current_session(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<CurrentSession>, StoreError> {
        let row = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(token_hash.as_str()))
            .find_also_related(users::Entity)
            .one(&self.tx)
            .await
            .or_store_error()?;
        Ok(row.and_then(|(found, account)| {
            Some(CurrentSession {
                email_verified: account.as_ref()?.email_verified_at.is_some(),
                session: session(found),
                user: user(account?),
            })
        }))
    }

    async fn list_api_tokens(&self, user: UserId) -> Result<Vec<Session>, StoreError> {
        let rows = sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::Name.is_not_null())
            .order_by_asc(sessions::Column::Id)
            .all(&self.tx)
            .await
            .or_store_error()?;
        Ok(rows.into_iter().map(session).collect())
    }

    async fn delete_api_token(&self, user: UserId, id: SessionId) -> Result<bool, StoreError> {
        let deleted = sessions::Entity::delete_many()
            .filter(sessions::Column::Id.eq(id.as_uuid()))
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::Name.is_not_null())
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(deleted.rows_affected > 0)
    }

    async fn set_active_org(&self, token_hash: &TokenHash, org: OrgId) -> Result<(), StoreError> {
        self.update(
            "UPDATE sessions SET active_org_id = ? WHERE token_hash = ?",
            vec![org.as_uuid().into(), token_hash.as_str().into()],
        )
        .await?;
        Ok(())
    }

    async fn sweep_expired_sessions(
        &self,
        now: OffsetDateTime,
        limit: u64,
    ) -> Result<u64, StoreError> {
        // The same second's margin as below, for the same reason.
        self.update(
            "DELETE FROM sessions WHERE id IN \
             (SELECT id FROM sessions WHERE expires_at < ? LIMIT ?)",
            vec![
                (now - time::Duration::seconds(1)).into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        )
        .await
    }

    async fn delete_user_sessions(
        &self,
        user: UserId,
        tokens_too: bool,
    ) -> Result<u64, StoreError> {
        let mut delete =
            sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user.as_uuid()));
        if !tokens_too {
            // API and service tokens are the named sessions.
            delete = delete.filter(sessions::Column::Name.is_null());
        }
        let result = delete.exec(&self.tx).await.or_store_error()?;
        Ok(result.rows_affected)
    }

    async fn delete_expired_sessions(
        &self,
        user: UserId,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // SQLite compares these times as text, which is exact only to the second; a second's
        // margin keeps a session that is still valid from ever being taken for expired.
        let result = sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.as_uuid()))
            .filter(sessions::Column::ExpiresAt.lt(now - time::Duration::seconds(1)))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(result.rows_affected)
    }

    async fn delete_session(&self, token_hash: &TokenHash) -> Result<(), StoreError> {
        sessions::Entity::delete_many()
            .filter(sessions::Column::TokenHash.eq(token_hash.as_str()))
            .exec(&self.tx)
            .await
            .or_store_error()?;
        Ok(())
    }
}
