use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use tracing::instrument;

use super::api_token::{ApiToken, IssuedApiToken, NewApiToken};
use super::error::AuthError;
use super::model::{Email, NewAccount, Password, User};
use super::ports::PasswordHasher;
use super::session_cache::{CurrentSession, SessionCache};
use super::token::{Session, SessionToken};
use super::verification::{EMAIL_VERIFICATION_TTL, EmailVerificationToken, VERIFY_EMAIL_PATH};
use crate::authz::Actor;
use crate::clock::Clock;
use crate::error::StoreError;
use crate::ids::{OrgId, SessionId, UserId};
use crate::integration::Sealer;
use crate::mail::{EmailVerificationMail, Mail, MailContent};
use crate::member::{AssignedRole, Membership};
use crate::org::OrgName;
use crate::ports::{Transaction, UnitOfWork};

/// The result of signing up or in: the only moment the plain token exists.
#[derive(Debug)]
pub struct SignedIn {
    /// The account, with `last_login_at` set to this sign-in.
    pub user: User,
    /// The bearer secret to hand to the client; only its hash is stored, so it cannot be shown
    /// again.
    pub token: SessionToken,
    /// When the token stops working: issue time plus
    /// [`ServicesConfig::token_ttl`](crate::ServicesConfig::token_ttl). Fixed, never extended.
    pub expires_at: OffsetDateTime,
    /// Whether the account's address is verified. False after sign-up, until the link mailed
    /// then is followed.
    pub email_verified: bool,
}

/// One org in [`Me::memberships`], with the caller's role there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MyMembership {
    /// The org's id.
    pub org_id: OrgId,
    /// The org's current name.
    pub name: OrgName,
    /// The caller's role in the org: built in or one of its custom roles.
    pub role: AssignedRole,
}

/// The signed-in user with every org they belong to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Me {
    /// The caller's account as stored now.
    pub user: User,
    /// Every org the caller belongs to, oldest first; through a pinned API token, the pinned org
    /// only.
    pub memberships: Vec<MyMembership>,
}

/// Accounts and bearer tokens.
#[derive(Clone)]
pub struct AuthService {
    pub(super) uow: Arc<dyn UnitOfWork>,
    pub(super) hasher: Arc<dyn PasswordHasher>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) sealer: Arc<dyn Sealer>,
    token_ttl: Duration,
    pub(super) sessions: Arc<SessionCache>,
    pub(super) public_url: Arc<str>,
}

impl AuthService {
    /// Wires the use cases to their ports. `token_ttl` is how long a sign-in token lives;
    /// `session_cache_ttl` how long this instance trusts a token it checked without reading the
    /// store again (zero reads every time). Prefer [`Services::new`](crate::Services::new): it
    /// builds one from [`ServicesConfig`](crate::ServicesConfig) and shares its session cache
    /// with the org use cases, so that deleting an org drops the cached tokens working there.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        sealer: Arc<dyn Sealer>,
        token_ttl: Duration,
        session_cache_ttl: Duration,
    ) -> Self {
        Self {
            uow,
            hasher,
            clock,
            sealer,
            token_ttl,
            sessions: Arc::new(SessionCache::new(session_cache_ttl)),
            public_url: Arc::from("http://127.0.0.1:8080"),
        }
    }

    /// Sets the base of the links in verification e-mails (a trailing `/` is dropped).
    pub fn linking_to(mut self, public_url: &str) -> Self {
        self.public_url = Arc::from(public_url.trim_end_matches('/'));
        self
    }

    /// Creates an account and signs it in at once: a new token with no active org, and
    /// `last_login_at` equal to the creation time. Needs no caller. Refuses an e-mail that already
    /// has an account ([`AuthError::EmailTaken`]). Queues, in the same transaction, the e-mail
    /// whose link verifies the address.
    #[instrument(skip_all)]
    pub async fn sign_up(&self, account: NewAccount) -> Result<SignedIn, AuthError> {
        let password_hash = self.hasher.hash(&account.password).await?;
        let now = self.clock.now();
        let user = User {
            id: UserId::generate(),
            email: account.email,
            name: account.name,
            created_at: now,
            last_login_at: Some(now),
            mfa_enabled: false,
        };
        let tx = self.uow.begin().await?;
        tx.users()
            .insert_user(&user, &password_hash)
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => AuthError::EmailTaken,
                other => AuthError::Store(other),
            })?;
        self.queue_verification(&*tx, &user, now).await?;
        let signed_in = issue_session(&*tx, user, now, self.token_ttl, None).await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// Issues a verification token for `user` (replacing any earlier one) and queues the
    /// e-mail that carries it.
    async fn queue_verification(
        &self,
        tx: &dyn Transaction,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let token = EmailVerificationToken::generate();
        let expires_at = now + EMAIL_VERIFICATION_TTL;
        tx.users()
            .save_email_verification(user.id, &token.hash(), expires_at)
            .await?;
        let mail = Mail {
            to: user.email.clone(),
            content: MailContent::EmailVerification(EmailVerificationMail {
                name: user.name.as_str().to_owned(),
                expires_at,
                link: format!("{}/{VERIFY_EMAIL_PATH}/{}", self.public_url, token.expose()),
            }),
        };
        tx.outbox().enqueue(&mail, None, now).await
    }

    /// The address a verification token would confirm, without using it up: what the page a
    /// link opens shows (mail scanners open links, so only a POST confirms).
    #[instrument(skip_all)]
    pub async fn verification_preview(
        &self,
        token: &EmailVerificationToken,
    ) -> Result<Email, AuthError> {
        let tx = self.uow.read().await?;
        let user = live_verification(&*tx, token, self.clock.now()).await?;
        Ok(tx
            .users()
            .find_user(user)
            .await?
            .ok_or(AuthError::VerificationNotFound)?
            .email)
    }

    /// Confirms the address a verification token was sent to, and uses the token up.
    /// Refuses an unknown, used, replaced or expired token
    /// ([`AuthError::VerificationNotFound`]).
    #[instrument(skip_all)]
    pub async fn verify_email(&self, token: &EmailVerificationToken) -> Result<User, AuthError> {
        let now = self.clock.now();
        let tx = self.uow.begin().await?;
        let id = live_verification(&*tx, token, now).await?;
        if !tx.users().delete_email_verification(&token.hash()).await? {
            return Err(AuthError::VerificationNotFound);
        }
        let user = tx
            .users()
            .find_user(id)
            .await?
            .ok_or(AuthError::VerificationNotFound)?;
        tx.users().mark_email_verified(id, now).await?;
        tx.commit().await?;
        // On this instance the account's sessions show the change at once; elsewhere within
        // the session cache's time to live.
        self.sessions.forget_user(id);
        Ok(user)
    }

    /// Mails a new verification link to the caller's address; the earlier link stops
    /// working. Refuses an address already verified ([`AuthError::EmailAlreadyVerified`]).
    #[instrument(skip_all)]
    pub async fn resend_verification(&self, actor: &Actor) -> Result<(), AuthError> {
        let tx = self.uow.begin().await?;
        let user = tx
            .users()
            .find_user(actor.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if tx.users().email_verified(user.id).await? {
            return Err(AuthError::EmailAlreadyVerified);
        }
        self.queue_verification(&*tx, &user, self.clock.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs in, optionally straight into one of the user's orgs (the session's active org). A
    /// wrong e-mail and a wrong password fail alike, in about the same time; an org the user
    /// does not belong to is only named after the password was right.
    #[instrument(skip_all)]
    pub async fn log_in(
        &self,
        email: &Email,
        password: &Password,
        org: Option<OrgId>,
        second_factor: Option<&str>,
    ) -> Result<SignedIn, AuthError> {
        let found = self
            .uow
            .read()
            .await?
            .users()
            .find_user_by_email(email)
            .await?;
        let Some(found) = found else {
            // Hash anyway so that response time does not tell which e-mails have accounts.
            let _ = self.hasher.hash(password).await;
            return Err(AuthError::InvalidCredentials);
        };
        if !self.hasher.verify(password, &found.password_hash).await {
            return Err(AuthError::InvalidCredentials);
        }
        let now = self.clock.now();
        let tx = self.uow.begin().await?;
        if found.user.mfa_enabled {
            self.second_factor(&*tx, found.user.id, second_factor, now)
                .await?;
        }
        if let Some(org) = org {
            member_of(&*tx, org, found.user.id).await?;
        }
        tx.users().record_login(found.user.id, now).await?;
        // Sign-in is the natural moment to forget this user's dead tokens.
        tx.sessions()
            .delete_expired_sessions(found.user.id, now)
            .await?;
        let user = User {
            last_login_at: Some(now),
            ..found.user
        };
        let signed_in = issue_session(&*tx, user, now, self.token_ttl, org).await?;
        tx.commit().await?;
        Ok(SignedIn {
            email_verified: found.email_verified,
            ..signed_in
        })
    }

    /// Makes `org` the org that `/api/org` works on for this session; the user must belong
    /// to it.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn set_active_org(
        &self,
        actor: &Actor,
        token: &SessionToken,
        org: OrgId,
    ) -> Result<(), AuthError> {
        if !actor.may_reach(org) {
            return Err(AuthError::OrgNotFound);
        }
        let tx = self.begin_as_member(Some(org), actor.user_id).await?;
        member_of(&*tx, org, actor.user_id).await?;
        tx.sessions().set_active_org(&token.hash(), org).await?;
        tx.commit().await?;
        self.sessions.forget(&token.hash());
        Ok(())
    }

    /// Revokes the token at once.
    #[instrument(skip_all)]
    pub async fn log_out(&self, token: &SessionToken) -> Result<(), AuthError> {
        let tx = self.uow.begin().await?;
        tx.sessions().delete_session(&token.hash()).await?;
        tx.commit().await?;
        self.sessions.forget(&token.hash());
        Ok(())
    }

    /// Deletes every expired session, in batches that each hold the writer briefly; returns
    /// how many. Expired tokens are refused anyway; this keeps the table from growing.
    #[instrument(skip_all)]
    pub async fn sweep_expired_sessions(&self) -> Result<u64, AuthError> {
        const BATCH: u64 = 1_000;
        let now = self.clock.now();
        let mut swept = 0;
        loop {
            let tx = self.uow.begin().await?;
            let deleted = tx.sessions().sweep_expired_sessions(now, BATCH).await?;
            tx.commit().await?;
            swept += deleted;
            if deleted < BATCH {
                return Ok(swept);
            }
        }
    }

    pub(crate) fn session_cache(&self) -> Arc<SessionCache> {
        self.sessions.clone()
    }

    /// Turns a presented bearer token into the actor it was issued to.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Actor, AuthError> {
        Ok(self.current_session(token).await?.actor())
    }

    /// The live session of a presented bearer token and its account. Read from memory when
    /// this instance checked it within the session cache's time to live.
    #[instrument(skip_all)]
    pub async fn current_session(
        &self,
        token: &SessionToken,
    ) -> Result<Arc<CurrentSession>, AuthError> {
        let hash = token.hash();
        let now = self.clock.now();
        if let Some(current) = self.sessions.get(&hash, now) {
            return Ok(current);
        }
        let tx = self.uow.read_one().await?;
        let current = tx
            .sessions()
            .find_current_session(&hash)
            .await?
            .filter(|current| now < current.session.expires_at)
            .ok_or(AuthError::Unauthenticated)?;
        let current = Arc::new(current);
        self.sessions.put(current.clone(), now);
        Ok(current)
    }

    /// Makes an API token, shown this once. Pinned to `org`, it works there only; the user
    /// must belong to it. A pinned token can only make tokens pinned to its own org, so it
    /// cannot mint its way out.
    #[instrument(skip_all)]
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        new: NewApiToken,
    ) -> Result<IssuedApiToken, AuthError> {
        if let Some(pinned) = actor.pinned_org
            && new.org != Some(pinned)
        {
            return Err(AuthError::TokenPinned);
        }
        let tx = self.begin_as_member(new.org, actor.user_id).await?;
        let membership = match new.org {
            Some(org) => Some(member_of(&*tx, org, actor.user_id).await?),
            None => None,
        };
        if new.service && !membership.is_some_and(|membership| membership.role.is_owner()) {
            return Err(AuthError::ServiceTokenNeedsOwner);
        }
        let now = self.clock.now();
        let secret = SessionToken::generate();
        let session = Session {
            id: SessionId::generate(),
            user_id: actor.user_id,
            token_hash: secret.hash(),
            created_at: now,
            expires_at: now + new.lifetime.duration(),
            active_org: new.org,
            name: Some(new.name),
            pinned_org: new.org,
            service: new.service,
        };
        tx.sessions().insert_session(&session).await?;
        tx.commit().await?;
        let token = api_token(session).ok_or(AuthError::TokenNotFound)?;
        Ok(IssuedApiToken { token, secret })
    }

    /// The caller's API tokens, without secrets; through a pinned token, those pinned to the
    /// same org.
    #[instrument(skip_all)]
    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, AuthError> {
        let tx = self.uow.read().await?;
        let sessions = tx.sessions().list_api_tokens(actor.user_id).await?;
        Ok(sessions
            .into_iter()
            .filter_map(api_token)
            .filter(|token| actor.pinned_org.is_none() || token.org == actor.pinned_org)
            .collect())
    }

    /// Revokes one of the caller's API tokens at once.
    #[instrument(skip_all)]
    pub async fn revoke_api_token(&self, actor: &Actor, id: SessionId) -> Result<(), AuthError> {
        let tx = self.uow.begin().await?;
        // Through a pinned token, only tokens pinned to the same org are within reach.
        if actor.pinned_org.is_some() {
            let reachable = tx
                .sessions()
                .list_api_tokens(actor.user_id)
                .await?
                .into_iter()
                .any(|token| token.id == id && token.pinned_org == actor.pinned_org);
            if !reachable {
                return Err(AuthError::TokenNotFound);
            }
        }
        if !tx.sessions().delete_api_token(actor.user_id, id).await? {
            return Err(AuthError::TokenNotFound);
        }
        tx.commit().await?;
        self.sessions.forget_session(id);
        Ok(())
    }

    /// The caller's account and every org they belong to (through a pinned token, the pinned org
    /// only). Fails with [`AuthError::Unauthenticated`] when the account no longer exists.
    #[instrument(skip_all)]
    pub async fn me(&self, actor: &Actor) -> Result<Me, AuthError> {
        let tx = self.uow.read().await?;
        let user = tx
            .users()
            .find_user(actor.user_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let memberships = tx
            .orgs()
            .list_orgs_of(actor.user_id)
            .await?
            .into_iter()
            .filter(|summary| actor.may_reach(summary.org.id))
            .map(|summary| MyMembership {
                org_id: summary.org.id,
                name: summary.org.name,
                role: summary.role,
            })
            .collect();
        Ok(Me { user, memberships })
    }

    /// Checks the membership on a read first, so a caller outside `org` never takes the write
    /// turn; the use case checks again inside the transaction.
    async fn begin_as_member(
        &self,
        org: Option<OrgId>,
        user: UserId,
    ) -> Result<Box<dyn Transaction>, AuthError> {
        if let Some(org) = org {
            let read = self.uow.read_one().await?;
            member_of(&*read, org, user).await?;
        }
        Ok(self.uow.begin().await?)
    }
}

async fn member_of(
    tx: &dyn Transaction,
    org: OrgId,
    user: UserId,
) -> Result<Membership, AuthError> {
    tx.members()
        .find_member(org, user)
        .await?
        .ok_or(AuthError::OrgNotFound)
}

/// The account a verification token was issued to, if the token is still good at `now`.
async fn live_verification(
    tx: &dyn Transaction,
    token: &EmailVerificationToken,
    now: OffsetDateTime,
) -> Result<UserId, AuthError> {
    match tx.users().find_email_verification(&token.hash()).await? {
        Some((user, expires_at)) if now < expires_at => Ok(user),
        _ => Err(AuthError::VerificationNotFound),
    }
}

fn api_token(session: Session) -> Option<ApiToken> {
    Some(ApiToken {
        id: session.id,
        name: session.name?,
        org: session.pinned_org,
        service: session.service,
        created_at: session.created_at,
        expires_at: session.expires_at,
    })
}

/// Stores a new session for `user` valid for `ttl` and returns its token, shown only now.
pub(crate) async fn issue_session(
    tx: &dyn Transaction,
    user: User,
    now: OffsetDateTime,
    ttl: Duration,
    active_org: Option<OrgId>,
) -> Result<SignedIn, StoreError> {
    let token = SessionToken::generate();
    let session = Session {
        id: SessionId::generate(),
        user_id: user.id,
        token_hash: token.hash(),
        created_at: now,
        expires_at: now + ttl,
        active_org,
        name: None,
        pinned_org: None,
        service: false,
    };
    tx.sessions().insert_session(&session).await?;
    Ok(SignedIn {
        user,
        token,
        expires_at: session.expires_at,
        email_verified: false,
    })
}
