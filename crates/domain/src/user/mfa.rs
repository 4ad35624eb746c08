//! A second factor: TOTP enrolment (start, prove with a first code), turning it off (with a
//! code), and the check at sign-in. The secret is sealed at rest like integration credentials,
//! and each time step's code is accepted once.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use tracing::instrument;

use super::error::AuthError;
use super::service::AuthService;
use super::totp::TotpSecret;
use crate::authz::Actor;
use crate::ids::UserId;
use crate::integration::{Credentials, SealedCredentials, Sealer};
use crate::ports::Transaction;

/// The name an authenticator app shows for the account.
const ISSUER: &str = "Tenantry";
const SEALED_KEY: &str = "totp_secret";

/// A user's TOTP secrets as stored: the one in use, and one being enrolled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotpState {
    /// The secret in use; `Some` while the second factor is on.
    pub active: Option<SealedCredentials>,
    /// The secret from [`AuthService::start_totp`](crate::user::AuthService::start_totp) that waits
    /// for its first code.
    pub pending: Option<SealedCredentials>,
}

/// What enrolment hands the user once: the secret to type, or the URI to scan.
#[derive(Debug)]
pub struct TotpEnrolment {
    /// The new secret, to type in as [`TotpSecret::base32`] gives it.
    pub secret: TotpSecret,
    /// The `otpauth://totp/Tenantry:<email>?…` URI that an authenticator app scans; show it as a
    /// QR code.
    pub uri: String,
}

fn context(user: UserId) -> Vec<u8> {
    let mut context = b"tenantry-totp-v1".to_vec();
    context.extend_from_slice(user.as_uuid().as_bytes());
    context
}

fn seal(
    sealer: &dyn Sealer,
    user: UserId,
    secret: &TotpSecret,
) -> Result<SealedCredentials, AuthError> {
    let wrapped =
        Credentials::from_trusted(BTreeMap::from([(SEALED_KEY.to_owned(), secret.base32())]));
    Ok(sealer.seal(&wrapped, &context(user))?)
}

fn open(
    sealer: &dyn Sealer,
    user: UserId,
    sealed: &SealedCredentials,
) -> Result<TotpSecret, AuthError> {
    let opened = sealer.open(sealed, &context(user))?;
    opened
        .expose()
        .get(SEALED_KEY)
        .and_then(|text| TotpSecret::from_base32(text))
        .ok_or_else(|| AuthError::Seal(crate::integration::SealError("no TOTP secret".into())))
}

/// Accepts `code` for `secret` once: its time step must not have been used before.
async fn accept_code(
    tx: &dyn Transaction,
    user: UserId,
    secret: &TotpSecret,
    code: &str,
    now: OffsetDateTime,
) -> Result<u64, AuthError> {
    let step = secret
        .matching_step(code, now)
        .ok_or(AuthError::WrongMfaCode)?;
    if !tx.users().use_totp_step(user, step).await? {
        return Err(AuthError::WrongMfaCode);
    }
    Ok(step)
}

impl AuthService {
    /// Starts enrolment: a new secret, kept pending until [`Self::confirm_totp`] sees a code
    /// made from it. Starting again replaces a pending secret.
    #[instrument(skip_all)]
    pub async fn start_totp(&self, actor: &Actor) -> Result<TotpEnrolment, AuthError> {
        let tx = self.uow.begin().await?;
        let user = tx
            .users()
            .find_user(actor.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if user.mfa_enabled {
            return Err(AuthError::MfaAlreadyEnabled);
        }
        let secret = TotpSecret::generate();
        let sealed = seal(&*self.sealer, user.id, &secret)?;
        tx.users().set_pending_totp(user.id, Some(sealed)).await?;
        tx.commit().await?;
        let uri = secret.uri(ISSUER, user.email.as_str());
        Ok(TotpEnrolment { secret, uri })
    }

    /// Turns TOTP on once `code` comes from the pending secret.
    #[instrument(skip_all)]
    pub async fn confirm_totp(&self, actor: &Actor, code: &str) -> Result<(), AuthError> {
        let tx = self.uow.begin().await?;
        let state = tx.users().totp(actor.user_id).await?;
        if state.active.is_some() {
            return Err(AuthError::MfaAlreadyEnabled);
        }
        let sealed = state.pending.ok_or(AuthError::MfaNotEnrolled)?;
        let secret = open(&*self.sealer, actor.user_id, &sealed)?;
        let now = self.clock.now();
        let step = secret
            .matching_step(code, now)
            .ok_or(AuthError::WrongMfaCode)?;
        tx.users()
            .enable_totp(actor.user_id, sealed, now, step)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns TOTP off; needs a current code, so a stolen bearer token alone cannot.
    #[instrument(skip_all)]
    pub async fn disable_totp(&self, actor: &Actor, code: &str) -> Result<(), AuthError> {
        let tx = self.uow.begin().await?;
        let sealed = tx
            .users()
            .totp(actor.user_id)
            .await?
            .active
            .ok_or(AuthError::MfaNotEnrolled)?;
        let secret = open(&*self.sealer, actor.user_id, &sealed)?;
        accept_code(&*tx, actor.user_id, &secret, code, self.clock.now()).await?;
        tx.users().disable_totp(actor.user_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The second step of a sign-in, inside its transaction.
    pub(super) async fn second_factor(
        &self,
        tx: &dyn Transaction,
        user: UserId,
        code: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), AuthError> {
        let code = code.ok_or(AuthError::MfaCodeRequired)?;
        let sealed = tx
            .users()
            .totp(user)
            .await?
            .active
            .ok_or(AuthError::MfaNotEnrolled)?;
        let secret = open(&*self.sealer, user, &sealed)?;
        accept_code(tx, user, &secret, code, now)
            .await
            .map_err(|error| match error {
                AuthError::WrongMfaCode => AuthError::InvalidMfaCode,
                other => other,
            })?;
        Ok(())
    }
}
