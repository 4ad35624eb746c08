use std::net::IpAddr;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use tracing::instrument;

use super::error::InvitationError;
use super::model::{
    Channel, EmailInvite, Invitation, InvitationKind, InvitationSecret, InvitationStatus,
    InvitationView, IssuedInvitation, LinkInvite, NewInvitee,
};
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, Permission, Requirement};
use crate::clock::Clock;
use crate::error::{DomainError, ErrorKind, StoreError};
use crate::ids::{InvitationId, OrgId, UserId};
use crate::mail::{InvitationMail, Mail, MailContent};
use crate::member::{AssignedRole, MemberError, Membership, RoleChoice, ensure_seat, resolve_role};
use crate::org::Org;
use crate::plan::Feature;
use crate::ports::{Transaction, UnitOfWork};
use crate::user::{Email, NewAccount, PasswordHasher, SignedIn, User, issue_session};
use crate::validation::ValidationError;

/// The most rows one bulk invitation takes.
pub const MAX_BULK_ROWS: usize = 1_000;

/// The largest body of a bulk invitation, in bytes: room for [`MAX_BULK_ROWS`] rows of the
/// longest address and a custom role's id, where every other request needs far less.
pub const MAX_BULK_BODY_BYTES: usize = 512 * 1024;

const MEMBERS_READ: Requirement = Requirement::Permission(Permission::MembersRead);
const MEMBERS_WRITE: Requirement = Requirement::Permission(Permission::MembersWrite);

/// Settings of the invitation use cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvitationSettings {
    /// How long an invitation or join link stays valid.
    pub ttl: Duration,
    /// The base of the links handed out, without a trailing slash.
    pub public_url: String,
    /// How long the session issued to an invitee who registers while accepting lasts.
    pub session_ttl: Duration,
}

/// Invitations by e-mail and join links: issue, list, revoke, resend; preview, accept, decline.
#[derive(Clone)]
pub struct InvitationService {
    uow: Arc<dyn UnitOfWork>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    settings: Arc<InvitationSettings>,
}

impl InvitationService {
    /// Wires the use cases to their ports; a trailing `/` on `settings.public_url` is dropped.
    /// [`crate::Services::new`] builds one from [`crate::ServicesConfig`].
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        settings: InvitationSettings,
    ) -> Self {
        let settings = InvitationSettings {
            public_url: settings.public_url.trim_end_matches('/').to_owned(),
            ..settings
        };
        Self {
            uow,
            hasher,
            clock,
            settings: Arc::new(settings),
        }
    }

    /// Invites an address; the e-mail is queued in the same transaction. Needs `members:write`
    /// and every permission of the role offered.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn invite_by_email(
        &self,
        actor: &Actor,
        org: OrgId,
        invite: EmailInvite,
    ) -> Result<IssuedInvitation, InvitationError> {
        let tx = Access::begin_for::<InvitationError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)])
            .await?;
        let (org_row, access) = authorize(&*tx, org, actor).await?;
        let issued = self
            .invite_in(&*tx, &org_row, &access, actor, invite, self.clock.now())
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Invites every address of `rows` that may be invited, in one transaction: each row is
    /// judged as [`invite_by_email`](Self::invite_by_email) would judge it (role, escalation,
    /// membership, pending invitation, seats, counting the rows before it), and a row refused
    /// by a rule is reported and skipped while the others go ahead. A row that did not parse
    /// comes in as its error and is reported as such. A failure of the store rolls every row
    /// back. Needs `members:write`; 1 to [`MAX_BULK_ROWS`] rows.
    #[instrument(skip_all, fields(org = %org, rows = rows.len()))]
    pub async fn invite_bulk(
        &self,
        actor: &Actor,
        org: OrgId,
        rows: Vec<Result<EmailInvite, ValidationError>>,
    ) -> Result<Vec<Result<IssuedInvitation, InvitationError>>, InvitationError> {
        if rows.is_empty() || rows.len() > MAX_BULK_ROWS {
            return Err(ValidationError::new(
                "invitations",
                format!("must hold 1 to {MAX_BULK_ROWS} rows"),
            )
            .into());
        }
        let tx = Access::begin_for::<InvitationError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)])
            .await?;
        let (org_row, access) = authorize(&*tx, org, actor).await?;
        let now = self.clock.now();
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            let result = match row {
                Ok(invite) => {
                    self.invite_in(&*tx, &org_row, &access, actor, invite, now)
                        .await
                }
                Err(invalid) => Err(invalid.into()),
            };
            // The store failing is no row's fault (it arrives as `Store` or inside `Member`):
            // nothing of the upload is kept.
            match result {
                Err(error)
                    if matches!(error.kind(), ErrorKind::Internal | ErrorKind::Unavailable) =>
                {
                    return Err(error);
                }
                result => results.push(result),
            }
        }
        tx.commit().await?;
        Ok(results)
    }

    /// One e-mail invitation inside `tx`, whose org is locked and whose caller is checked.
    async fn invite_in(
        &self,
        tx: &dyn Transaction,
        org_row: &Org,
        access: &Access,
        actor: &Actor,
        invite: EmailInvite,
        now: OffsetDateTime,
    ) -> Result<IssuedInvitation, InvitationError> {
        let org = org_row.id;
        let role = resolve_role(tx, org_row, invite.role).await?;
        access.may_handle(&role)?;
        if !crate::domains::ensure_invitable(tx, org_row, &invite.email).await? {
            return Err(InvitationError::DomainNotAllowed);
        }
        ensure_not_member(tx, org, &invite.email).await?;
        if let Some(previous) = tx
            .invitations()
            .find_pending_for(org, &invite.email)
            .await?
        {
            if previous.status_at(now) == InvitationStatus::Pending {
                return Err(InvitationError::AlreadyInvited);
            }
            // Its expiry passed: it gives way, so the address can be invited afresh.
            tx.invitations()
                .close_invitation(previous.id, InvitationStatus::Expired, now)
                .await?;
        }
        ensure_seat(tx, org_row, now, 0).await?;
        let issued = self.issue(
            org,
            InvitationKind::Email(invite.email.clone()),
            role,
            actor.user_id,
            now,
        );
        tx.invitations()
            .insert_invitation(&issued.invitation, &issued.secret.hash())
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => InvitationError::AlreadyInvited,
                other => other.into(),
            })?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::MemberInvited, now)
            .target("email", &invite.email)
            .meta("role", issued.invitation.role.key())
            .meta("invitationId", issued.invitation.id);
        tx.audit().append(&event).await?;
        self.queue_mail(tx, org_row, access, &issued, now).await?;
        Ok(issued)
    }

    /// Creates a join link. Seats are checked when someone joins, not now.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn create_link(
        &self,
        actor: &Actor,
        org: OrgId,
        invite: LinkInvite,
    ) -> Result<IssuedInvitation, InvitationError> {
        let tx = Access::begin_for::<InvitationError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)])
            .await?;
        let (_, role) = offer(&*tx, org, actor, invite.role).await?;
        let now = self.clock.now();
        let kind = InvitationKind::Link {
            max_uses: invite.max_uses,
            uses: 0,
        };
        let issued = self.issue(org, kind, role, actor.user_id, now);
        tx.invitations()
            .insert_invitation(&issued.invitation, &issued.secret.hash())
            .await?;
        let mut event = AuditEvent::new(org, Some(actor), AuditAction::LinkCreated, now)
            .target("invitationId", issued.invitation.id)
            .meta("role", issued.invitation.role.key());
        if let Some(max_uses) = invite.max_uses {
            event = event.meta("maxUses", max_uses);
        }
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Every invitation of the org with its status as of now; needs `members:read`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<Vec<Invitation>, InvitationError> {
        let tx = self.uow.read().await?;
        Access::load::<InvitationError>(&*tx, org, actor, MEMBERS_READ).await?;
        let now = self.clock.now();
        let invitations = tx.invitations().list_invitations(org).await?;
        Ok(invitations.into_iter().map(|i| as_of(i, now)).collect())
    }

    /// Makes the invitation's link useless at once. Revoking a revoked or expired invitation
    /// succeeds; one already accepted or declined is over and says so.
    #[instrument(skip_all, fields(org = %org, invitation = %id))]
    pub async fn revoke(
        &self,
        actor: &Actor,
        org: OrgId,
        id: InvitationId,
    ) -> Result<(), InvitationError> {
        let tx = Access::begin_for::<InvitationError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)])
            .await?;
        let (_, access) = authorize(&*tx, org, actor).await?;
        let invitation = find_in(&*tx, org, id).await?;
        access.may_handle(&invitation.role)?;
        match invitation.status {
            // Revoked already, or replaced by a newer invitation: nothing is left to revoke.
            InvitationStatus::Revoked | InvitationStatus::Expired => return Ok(()),
            InvitationStatus::Pending => {}
            closed => return Err(gone(closed)),
        }
        let now = self.clock.now();
        tx.invitations()
            .close_invitation(id, InvitationStatus::Revoked, now)
            .await?;
        // A message still waiting for a mail server would deliver a dead link.
        tx.outbox().discard_unsent(id).await?;
        let mut event = AuditEvent::new(org, Some(actor), AuditAction::InvitationRevoked, now)
            .target("invitationId", id)
            .meta("type", invitation.kind.channel().name());
        if let Some(email) = invitation.email() {
            event = event.target("email", email);
        }
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sends a pending (or expired) e-mail invitation again with a new token and expiry; the
    /// old link stops working.
    #[instrument(skip_all, fields(org = %org, invitation = %id))]
    pub async fn resend(
        &self,
        actor: &Actor,
        org: OrgId,
        id: InvitationId,
    ) -> Result<IssuedInvitation, InvitationError> {
        let tx = Access::begin_for::<InvitationError>(&*self.uow, actor, &[(org, MEMBERS_WRITE)])
            .await?;
        let (org_row, access) = authorize(&*tx, org, actor).await?;
        let invitation = find_in(&*tx, org, id).await?;
        access.may_handle(&invitation.role)?;
        let Some(email) = invitation.email().cloned() else {
            return Err(InvitationError::NotAnEmailInvitation);
        };
        ensure_not_member(&*tx, org, &email).await?;
        let now = self.clock.now();
        match invitation.status_at(now) {
            InvitationStatus::Pending => {}
            // An expired invitation held no seat; renewed, it takes one again.
            InvitationStatus::Expired if invitation.status == InvitationStatus::Pending => {
                ensure_seat(&*tx, &org_row, now, 0).await?;
            }
            closed => return Err(gone(closed)),
        }
        let secret = InvitationSecret::generate();
        let expires_at = now + self.settings.ttl;
        tx.invitations()
            .renew_invitation(id, &secret.hash(), expires_at)
            .await?;
        tx.outbox().discard_unsent(id).await?;
        let issued = IssuedInvitation {
            link: self.link(Channel::Email, &secret),
            invitation: Invitation {
                expires_at,
                status: InvitationStatus::Pending,
                ..invitation
            },
            secret,
        };
        let event = AuditEvent::new(org, Some(actor), AuditAction::InvitationResent, now)
            .target("invitationId", id)
            .target("email", &email);
        tx.audit().append(&event).await?;
        self.queue_mail(&*tx, &org_row, &access, &issued, now)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// What an invitation offers, for anyone holding its secret. Reads only: mail scanners
    /// open links, and opening one must not use it up.
    #[instrument(skip_all)]
    pub async fn preview(
        &self,
        secret: &InvitationSecret,
        channel: Channel,
    ) -> Result<InvitationView, InvitationError> {
        let tx = self.uow.read().await?;
        let invitation = find_by_secret(&*tx, secret, channel).await?;
        view(&*tx, as_of(invitation, self.clock.now())).await
    }

    /// The signed-in caller takes up an invitation (an e-mailed token or a join-link code).
    #[instrument(skip_all)]
    pub async fn accept(
        &self,
        actor: &Actor,
        secret: &InvitationSecret,
        channel: Channel,
    ) -> Result<Membership, InvitationError> {
        let via = Via::Secret(secret, channel);
        let tx = self.begin_reaching(None, via).await?;
        self.accept_in(tx, actor, via).await
    }

    /// Accepts an invitation addressed to the caller, by id (from `/api/me/invitations`).
    #[instrument(skip_all, fields(invitation = %id))]
    pub async fn accept_mine(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<Membership, InvitationError> {
        let tx = self
            .begin_reaching(Some(actor.user_id), Via::Mine(id))
            .await?;
        mine(&*tx, actor.user_id, id).await?;
        self.accept_in(tx, actor, Via::Mine(id)).await
    }

    /// Registers the invited address and accepts in one transaction: the "set a password and
    /// complete registration" step of an invitation e-mail. Signs the new account in.
    #[instrument(skip_all)]
    pub async fn accept_as_new_account(
        &self,
        secret: &InvitationSecret,
        invitee: NewInvitee,
        ip: Option<IpAddr>,
    ) -> Result<SignedIn, InvitationError> {
        self.register_and_admit(secret, Channel::Email, None, invitee, ip)
            .await
    }

    /// Signs up and joins through a join link in one transaction, so a refused join leaves no
    /// account behind. Signs the new account in.
    #[instrument(skip_all)]
    pub async fn join_as_new_account(
        &self,
        code: &InvitationSecret,
        account: NewAccount,
        ip: Option<IpAddr>,
    ) -> Result<SignedIn, InvitationError> {
        let invitee = NewInvitee {
            name: account.name,
            password: account.password,
        };
        self.register_and_admit(code, Channel::Link, Some(account.email), invitee, ip)
            .await
    }

    /// `email` is the new account's address for a join link; an e-mail invitation's account
    /// gets the invited address.
    async fn register_and_admit(
        &self,
        secret: &InvitationSecret,
        channel: Channel,
        email: Option<Email>,
        invitee: NewInvitee,
        ip: Option<IpAddr>,
    ) -> Result<SignedIn, InvitationError> {
        let address = |invitation: &Invitation| {
            email
                .clone()
                .or_else(|| invitation.email().cloned())
                .ok_or(InvitationError::NotFound)
        };
        // Check before the deliberately slow hash, so a bad secret costs nothing to refuse.
        {
            let tx = self.uow.read().await?;
            let invitation = find_by_secret(&*tx, secret, channel).await?;
            still_open(&invitation, self.clock.now())?;
            no_account_for(&*tx, &address(&invitation)?).await?;
        }
        let password_hash = self.hasher.hash(&invitee.password).await?;
        let tx = self.uow.begin().await?;
        let via = Via::Secret(secret, channel);
        let (org, invitation) = lock_and_reread(&*tx, via).await?;
        let now = self.clock.now();
        still_open(&invitation, now)?;
        let email = address(&invitation)?;
        no_account_for(&*tx, &email).await?;
        let user = User {
            id: UserId::generate(),
            email,
            name: invitee.name,
            created_at: now,
            last_login_at: Some(now),
            mfa_enabled: false,
        };
        tx.users()
            .insert_user(&user, &password_hash)
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => InvitationError::AccountExists,
                other => other.into(),
            })?;
        if channel == Channel::Email {
            // The account was made through the e-mailed token: its address is proven.
            tx.users().mark_email_verified(user.id, now).await?;
        }
        let actor = Actor::new(user.id).with_ip(ip);
        admit(&*tx, &org, &invitation, &user, &actor, now).await?;
        // The new session works in the org just joined.
        let signed_in =
            issue_session(&*tx, user, now, self.settings.session_ttl, Some(org.id)).await?;
        tx.commit().await?;
        Ok(SignedIn {
            email_verified: channel == Channel::Email,
            ..signed_in
        })
    }

    /// The invitee says no; the e-mailed token is proof enough of who they are.
    #[instrument(skip_all)]
    pub async fn decline(&self, secret: &InvitationSecret) -> Result<(), InvitationError> {
        let via = Via::Secret(secret, Channel::Email);
        let tx = self.begin_reaching(None, via).await?;
        self.decline_in(tx, None, via).await
    }

    /// Declines an invitation addressed to the caller, by id.
    #[instrument(skip_all, fields(invitation = %id))]
    pub async fn decline_mine(
        &self,
        actor: &Actor,
        id: InvitationId,
    ) -> Result<(), InvitationError> {
        let tx = self
            .begin_reaching(Some(actor.user_id), Via::Mine(id))
            .await?;
        mine(&*tx, actor.user_id, id).await?;
        self.decline_in(tx, Some(actor), Via::Mine(id)).await
    }

    /// Pending invitations addressed to the caller's e-mail, across all orgs.
    #[instrument(skip_all)]
    pub async fn list_mine(&self, actor: &Actor) -> Result<Vec<InvitationView>, InvitationError> {
        let tx = self.uow.read().await?;
        let user = verified_caller(&*tx, actor.user_id).await?;
        Ok(tx
            .invitations()
            .list_pending_to(&user.email, self.clock.now())
            .await?)
    }

    /// Finds the invitation on a read first, so a secret or id that leads nowhere is refused
    /// before the write turn and the org lock; under the lock it is read again.
    async fn begin_reaching(
        &self,
        caller: Option<UserId>,
        via: Via<'_>,
    ) -> Result<Box<dyn Transaction>, InvitationError> {
        {
            let read = self.uow.read_one().await?;
            match (via, caller) {
                (Via::Mine(id), Some(user)) => mine(&*read, user, id).await?,
                _ => find_via(&*read, via).await?,
            };
        }
        Ok(self.uow.begin().await?)
    }

    async fn accept_in(
        &self,
        tx: Box<dyn Transaction>,
        actor: &Actor,
        via: Via<'_>,
    ) -> Result<Membership, InvitationError> {
        let (org, invitation) = lock_and_reread(&*tx, via).await?;
        let user = caller(&*tx, actor.user_id).await?;
        let now = self.clock.now();
        let membership = admit(&*tx, &org, &invitation, &user, actor, now).await?;
        // Taking up an e-mailed token proves the caller reads that mailbox.
        if matches!(via, Via::Secret(_, Channel::Email)) {
            tx.users().mark_email_verified(user.id, now).await?;
        }
        tx.commit().await?;
        Ok(membership)
    }

    async fn decline_in(
        &self,
        tx: Box<dyn Transaction>,
        actor: Option<&Actor>,
        via: Via<'_>,
    ) -> Result<(), InvitationError> {
        let (_, invitation) = lock_and_reread(&*tx, via).await?;
        let id = invitation.id;
        let now = self.clock.now();
        still_open(&invitation, now)?;
        consume(&*tx, &invitation, InvitationStatus::Declined, now).await?;
        let mut event = AuditEvent::new(
            invitation.org_id,
            actor,
            AuditAction::InvitationDeclined,
            now,
        )
        .target("invitationId", id);
        if let Some(email) = invitation.email() {
            event = event.target("email", email);
        }
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    fn issue(
        &self,
        org: OrgId,
        kind: InvitationKind,
        role: AssignedRole,
        inviter: UserId,
        now: OffsetDateTime,
    ) -> IssuedInvitation {
        let secret = InvitationSecret::generate();
        IssuedInvitation {
            link: self.link(kind.channel(), &secret),
            invitation: Invitation {
                id: InvitationId::generate(),
                org_id: org,
                kind,
                role,
                invited_by: Some(inviter),
                status: InvitationStatus::Pending,
                created_at: now,
                expires_at: now + self.settings.ttl,
            },
            secret,
        }
    }

    /// The URL that carries a secret: the page that accepts it.
    fn link(&self, channel: Channel, secret: &InvitationSecret) -> String {
        let path = match channel {
            Channel::Email => "invitations",
            Channel::Link => "join",
        };
        format!("{}/{path}/{}", self.settings.public_url, secret.expose())
    }

    async fn queue_mail(
        &self,
        tx: &dyn Transaction,
        org: &Org,
        inviter: &Access,
        issued: &IssuedInvitation,
        now: OffsetDateTime,
    ) -> Result<(), InvitationError> {
        let Some(to) = issued.invitation.email().cloned() else {
            return Ok(());
        };
        // Read with the access check under the org's lock, so no statement of its own.
        let inviter_name = match inviter.name() {
            Some(name) => name.clone(),
            None => caller(tx, inviter.membership().user_id).await?.name,
        };
        let mail = Mail {
            to,
            content: MailContent::Invitation(InvitationMail {
                org_name: org.name.as_str().to_owned(),
                inviter_name: inviter_name.as_str().to_owned(),
                role: issued.invitation.role.display_name().to_owned(),
                expires_at: issued.invitation.expires_at,
                link: issued.link.clone(),
            }),
        };
        tx.outbox()
            .enqueue(&mail, Some(issued.invitation.id), now)
            .await?;
        Ok(())
    }
}

/// Locks the org and checks that the caller may manage its invitations.
async fn authorize(
    tx: &dyn Transaction,
    org: OrgId,
    actor: &Actor,
) -> Result<(Org, Access), InvitationError> {
    let org_row = lock_org(tx, org).await?;
    let access = Access::load::<InvitationError>(tx, org, actor, MEMBERS_WRITE).await?;
    Ok((org_row, access))
}

/// Locks the org, checks that the caller may invite, and resolves the role offered, which
/// must be within the caller's reach.
async fn offer(
    tx: &dyn Transaction,
    org: OrgId,
    actor: &Actor,
    choice: RoleChoice,
) -> Result<(Org, AssignedRole), InvitationError> {
    let (org_row, access) = authorize(tx, org, actor).await?;
    let role = resolve_role(tx, &org_row, choice).await?;
    access.may_handle(&role)?;
    Ok((org_row, role))
}

async fn lock_org(tx: &dyn Transaction, org: OrgId) -> Result<Org, InvitationError> {
    tx.orgs()
        .lock_org(org)
        .await?
        .ok_or(InvitationError::OrgNotFound)
}

/// How the caller reached an invitation: by the secret it holds, or as an invitation addressed
/// to it (by id).
#[derive(Clone, Copy)]
enum Via<'a> {
    Secret(&'a InvitationSecret, Channel),
    Mine(InvitationId),
}

async fn find_via(tx: &dyn Transaction, via: Via<'_>) -> Result<Invitation, InvitationError> {
    match via {
        Via::Secret(secret, channel) => find_by_secret(tx, secret, channel).await,
        Via::Mine(id) => fresh(tx, id).await,
    }
}

/// Finds the invitation, locks its org, and reads it again the same way under the lock: an
/// accept, revoke or resend that committed meanwhile is seen, and a secret replaced by a
/// resend no longer finds it.
async fn lock_and_reread(
    tx: &dyn Transaction,
    via: Via<'_>,
) -> Result<(Org, Invitation), InvitationError> {
    let found = find_via(tx, via).await?;
    let org = lock_org(tx, found.org_id).await?;
    let invitation = find_via(tx, via).await?;
    if invitation.id == found.id {
        Ok((org, invitation))
    } else {
        Err(InvitationError::NotFound)
    }
}

async fn fresh(tx: &dyn Transaction, id: InvitationId) -> Result<Invitation, InvitationError> {
    tx.invitations()
        .find_invitation(id)
        .await?
        .ok_or(InvitationError::NotFound)
}

/// An invitation of `org`; another org's is "not found", like a missing one.
async fn find_in(
    tx: &dyn Transaction,
    org: OrgId,
    id: InvitationId,
) -> Result<Invitation, InvitationError> {
    let invitation = fresh(tx, id).await?;
    if invitation.org_id == org {
        Ok(invitation)
    } else {
        Err(InvitationError::NotFound)
    }
}

async fn find_by_secret(
    tx: &dyn Transaction,
    secret: &InvitationSecret,
    channel: Channel,
) -> Result<Invitation, InvitationError> {
    tx.invitations()
        .find_by_secret(&secret.hash())
        .await?
        .filter(|invitation| invitation.kind.channel() == channel)
        .ok_or(InvitationError::NotFound)
}

/// An e-mail invitation addressed to `user`, whose address is verified; anyone else's is "not
/// found".
async fn mine(
    tx: &dyn Transaction,
    user: UserId,
    id: InvitationId,
) -> Result<Invitation, InvitationError> {
    let me = verified_caller(tx, user).await?;
    let invitation = fresh(tx, id).await?;
    if invitation.email() == Some(&me.email) {
        Ok(invitation)
    } else {
        Err(InvitationError::NotFound)
    }
}

/// The caller, if they have shown that they read their address's mailbox. Anyone can sign up
/// with any address, so invitations are matched to an account by address only once it is
/// verified; until then the e-mailed link is the way in.
async fn verified_caller(tx: &dyn Transaction, user: UserId) -> Result<User, InvitationError> {
    let me = caller(tx, user).await?;
    if tx.users().email_verified(user).await? {
        Ok(me)
    } else {
        Err(InvitationError::EmailUnverified)
    }
}

async fn caller(tx: &dyn Transaction, user: UserId) -> Result<User, InvitationError> {
    tx.users()
        .find_user(user)
        .await?
        .ok_or(InvitationError::Member(MemberError::UserNotFound))
}

/// Refuses an address whose account is a member of the org already.
async fn ensure_not_member(
    tx: &dyn Transaction,
    org: OrgId,
    email: &Email,
) -> Result<(), InvitationError> {
    if let Some(existing) = tx.users().find_user_by_email(email).await?
        && tx
            .members()
            .find_member(org, existing.user.id)
            .await?
            .is_some()
    {
        return Err(MemberError::AlreadyMember.into());
    }
    Ok(())
}

/// Refuses an address that already has an account: its owner signs in to accept.
async fn no_account_for(tx: &dyn Transaction, email: &Email) -> Result<(), InvitationError> {
    if tx.users().find_user_by_email(email).await?.is_some() {
        return Err(InvitationError::AccountExists);
    }
    Ok(())
}

async fn view(
    tx: &dyn Transaction,
    invitation: Invitation,
) -> Result<InvitationView, InvitationError> {
    let org = tx
        .orgs()
        .find_org(invitation.org_id)
        .await?
        .ok_or(InvitationError::NotFound)?;
    let inviter_name = match invitation.invited_by {
        Some(id) => tx
            .users()
            .find_user(id)
            .await?
            .map(|user| user.name.as_str().to_owned()),
        None => None,
    };
    Ok(InvitationView {
        invitation,
        org_name: org.name.as_str().to_owned(),
        inviter_name,
    })
}

/// The invitation with its status as of `now` (expiry applied).
fn as_of(invitation: Invitation, now: OffsetDateTime) -> Invitation {
    Invitation {
        status: invitation.status_at(now),
        ..invitation
    }
}

fn gone(status: InvitationStatus) -> InvitationError {
    match status {
        InvitationStatus::Expired => InvitationError::Expired,
        InvitationStatus::Revoked => InvitationError::Revoked,
        InvitationStatus::Declined => InvitationError::Declined,
        InvitationStatus::Accepted | InvitationStatus::Pending => InvitationError::Used,
    }
}

fn still_open(invitation: &Invitation, now: OffsetDateTime) -> Result<(), InvitationError> {
    match invitation.status_at(now) {
        InvitationStatus::Pending => Ok(()),
        closed => Err(gone(closed)),
    }
}

/// Closes an e-mail invitation as `to`, or counts a use of a join link; a writer that lost a
/// race to another finds it used.
async fn consume(
    tx: &dyn Transaction,
    invitation: &Invitation,
    to: InvitationStatus,
    now: OffsetDateTime,
) -> Result<(), InvitationError> {
    let won = match invitation.kind {
        InvitationKind::Email(_) => {
            tx.invitations()
                .close_invitation(invitation.id, to, now)
                .await?
        }
        InvitationKind::Link { .. } => tx.invitations().record_link_use(invitation.id, now).await?,
    };
    if won {
        Ok(())
    } else {
        Err(InvitationError::Used)
    }
}

/// Makes `user` a member through `invitation`; the org must be locked by the caller.
async fn admit(
    tx: &dyn Transaction,
    org: &Org,
    invitation: &Invitation,
    user: &User,
    actor: &Actor,
    now: OffsetDateTime,
) -> Result<Membership, InvitationError> {
    still_open(invitation, now)?;
    if !actor.may_reach(org.id) {
        return Err(InvitationError::TokenPinned);
    }
    if let Some(invited) = invitation.email()
        && *invited != user.email
    {
        return Err(InvitationError::WrongAccount);
    }
    if tx.members().find_member(org.id, user.id).await?.is_some() {
        return Err(MemberError::AlreadyMember.into());
    }
    // A custom role offered before a downgrade is not granted after it, as on role changes.
    if matches!(invitation.role, AssignedRole::Custom(_))
        && !org.plan.includes(Feature::CustomRoles)
    {
        return Err(MemberError::PlanUpgradeRequired.into());
    }
    // A pending e-mail invitation already holds the seat its invitee takes.
    let reserved = u64::from(invitation.email().is_some());
    ensure_seat(tx, org, now, reserved).await?;
    consume(tx, invitation, InvitationStatus::Accepted, now).await?;
    let membership = Membership {
        org_id: org.id,
        user_id: user.id,
        role: invitation.role.clone(),
        joined_at: now,
    };
    tx.members().insert_member(&membership).await?;
    let event = AuditEvent::new(org.id, Some(actor), AuditAction::MemberJoined, now)
        .target("userId", user.id)
        .target("email", &user.email)
        .meta("role", membership.role.key())
        .meta("invitationId", invitation.id)
        .meta("via", invitation.kind.channel().name());
    tx.audit().append(&event).await?;
    Ok(membership)
}
