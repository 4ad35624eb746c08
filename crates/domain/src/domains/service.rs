use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tracing::instrument;

use super::error::DomainsError;
use super::model::{
    DomainChanges, DomainList, DomainName, Joinable, JoinableOrg, MAX_DOMAINS_PER_ORG, OrgDomain,
};
use super::ports::DnsResolver;
use crate::audit::{AuditAction, AuditEvent};
use crate::authz::{Access, Actor, Permission, Requirement};
use crate::clock::Clock;
use crate::error::StoreError;
use crate::ids::{DomainId, OrgId};
use crate::member::{MemberError, Membership, ensure_seat, resolve_role};
use crate::org::{Org, OrgSettings, SettingValue, SettingsPatch};
use crate::ports::{Transaction, UnitOfWork};
use crate::user::{User, random_secret};

const SETTINGS_READ: Requirement = Requirement::Permission(Permission::SettingsRead);
const SETTINGS_WRITE: Requirement = Requirement::Permission(Permission::SettingsWrite);

/// Pending domains the periodic check looks up per round.
const RECHECK_BATCH: u32 = 20;

/// The domains an org claims: adding one hands out a TXT record to publish, verifying looks
/// it up, and a verified domain lets accounts with a verified address on it join by
/// themselves (auto-join) and can restrict the org's invitations to its verified domains.
/// Managing needs `settings:write`, listing `settings:read`.
#[derive(Clone)]
pub struct DomainService {
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    resolver: Arc<dyn DnsResolver>,
}

impl DomainService {
    /// Builds the service over the store, the clock and the DNS resolver that looks up
    /// challenges.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        resolver: Arc<dyn DnsResolver>,
    ) -> Self {
        Self {
            uow,
            clock,
            resolver,
        }
    }

    /// The org's domains, oldest first, and whether its invitations are restricted to them.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn list(&self, actor: &Actor, org: OrgId) -> Result<DomainList, DomainsError> {
        let tx = self.uow.read().await?;
        Access::load::<DomainsError>(&*tx, org, actor, SETTINGS_READ).await?;
        let org_row = tx
            .orgs()
            .find_org(org)
            .await?
            .ok_or(DomainsError::OrgNotFound)?;
        Ok(DomainList {
            domains: tx.domains().list_domains(org).await?,
            invite_only_verified_domains: org_row.settings.invite_only_verified_domains(),
        })
    }

    /// Claims a domain for the org; it stays pending until its TXT record is found. Records
    /// `domain.added`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn add(
        &self,
        actor: &Actor,
        org: OrgId,
        domain: DomainName,
    ) -> Result<OrgDomain, DomainsError> {
        let (tx, _) = self.write_tx(actor, org).await?;
        let claimed = tx.domains().list_domains(org).await?;
        if claimed.iter().any(|known| known.domain == domain) {
            return Err(DomainsError::AlreadyAdded);
        }
        if claimed.len() >= MAX_DOMAINS_PER_ORG {
            return Err(DomainsError::LimitReached);
        }
        let now = self.clock.now();
        let added = OrgDomain {
            id: DomainId::generate(),
            org_id: org,
            domain,
            // Published in DNS, so not a secret; random so that nobody can publish it ahead.
            challenge: random_secret("tenantry-verification="),
            verified_at: None,
            auto_join: false,
            default_role: crate::member::RoleChoice::default(),
            created_at: now,
        };
        tx.domains()
            .insert_domain(&added)
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => DomainsError::AlreadyAdded,
                other => other.into(),
            })?;
        tx.audit()
            .append(&domain_event(
                &added,
                Some(actor),
                AuditAction::DomainAdded,
                now,
            ))
            .await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Looks up the domain's TXT record now and marks the domain verified when it holds the
    /// challenge. The lookup runs before the write transaction, so no lock waits on DNS.
    /// Refuses a domain another org verified ([`DomainsError::Taken`]). Records
    /// `domain.verified`.
    #[instrument(skip_all, fields(org = %org, domain = %id))]
    pub async fn verify(
        &self,
        actor: &Actor,
        org: OrgId,
        id: DomainId,
    ) -> Result<OrgDomain, DomainsError> {
        let pending = {
            let read = self.uow.read_one().await?;
            Access::load::<DomainsError>(&*read, org, actor, SETTINGS_WRITE).await?;
            found(&*read, org, id).await?
        };
        if pending.is_verified() {
            return Ok(pending);
        }
        self.ensure_published(&pending).await?;
        let (tx, _) = self.write_tx(actor, org).await?;
        let domain = found(&*tx, org, id).await?;
        if domain.is_verified() {
            return Ok(domain);
        }
        let verified = confirm(&*tx, domain, self.clock.now(), Some(actor)).await?;
        tx.commit().await?;
        Ok(verified)
    }

    /// Changes auto-join and its default role. The role must be one the caller may hand out,
    /// as for an invitation. Records `domain.updated` (nothing when nothing changes).
    #[instrument(skip_all, fields(org = %org, domain = %id))]
    pub async fn update(
        &self,
        actor: &Actor,
        org: OrgId,
        id: DomainId,
        changes: DomainChanges,
    ) -> Result<OrgDomain, DomainsError> {
        let tx =
            Access::begin_for::<DomainsError>(&*self.uow, actor, &[(org, SETTINGS_WRITE)]).await?;
        let org_row = lock_org(&*tx, org).await?;
        let access = Access::load::<DomainsError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        let mut domain = found(&*tx, org, id).await?;
        let before = domain.clone();
        if let Some(role) = changes.default_role {
            let resolved = resolve_role(&*tx, &org_row, role).await?;
            access.may_handle(&resolved)?;
            domain.default_role = role;
        }
        if let Some(auto_join) = changes.auto_join {
            domain.auto_join = auto_join;
        }
        if domain == before {
            return Ok(domain);
        }
        tx.domains().update_domain(&domain).await?;
        let event = domain_event(
            &domain,
            Some(actor),
            AuditAction::DomainUpdated,
            self.clock.now(),
        )
        .meta("autoJoin", domain.auto_join)
        .meta("defaultRole", domain.default_role.to_string());
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(domain)
    }

    /// Gives the domain up: auto-join through it ends, and another org may verify it.
    /// Records `domain.removed`.
    #[instrument(skip_all, fields(org = %org, domain = %id))]
    pub async fn delete(
        &self,
        actor: &Actor,
        org: OrgId,
        id: DomainId,
    ) -> Result<(), DomainsError> {
        let (tx, _) = self.write_tx(actor, org).await?;
        let domain = found(&*tx, org, id).await?;
        if !tx.domains().delete_domain(org, id).await? {
            return Err(DomainsError::NotFound);
        }
        let event = domain_event(
            &domain,
            Some(actor),
            AuditAction::DomainRemoved,
            self.clock.now(),
        );
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns "invite only within verified domains" on or off: while on, invitations by
    /// e-mail to an address outside the org's verified domains are refused. Kept as the org
    /// setting `invite_only_verified_domains`; records `org.updated` naming that setting
    /// (nothing when nothing changes).
    #[instrument(skip_all, fields(org = %org))]
    pub async fn set_invite_policy(
        &self,
        actor: &Actor,
        org: OrgId,
        invite_only_verified_domains: bool,
    ) -> Result<bool, DomainsError> {
        let (tx, org_row) = self.write_tx(actor, org).await?;
        if org_row.settings.invite_only_verified_domains() == invite_only_verified_domains {
            return Ok(invite_only_verified_domains);
        }
        let key = OrgSettings::trusted_key(OrgSettings::INVITE_ONLY_VERIFIED_DOMAINS.to_owned());
        // Off removes the key rather than storing `false`: an org that never turned it on and
        // one that turned it off look the same.
        let value = invite_only_verified_domains.then_some(SettingValue::Bool(true));
        let settings = org_row
            .settings
            .patched(&SettingsPatch::new(BTreeMap::from([(key, value)])))?;
        tx.orgs().set_settings(org, &settings).await?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::OrgUpdated, self.clock.now())
            .target("orgId", org)
            .meta("settings", OrgSettings::INVITE_ONLY_VERIFIED_DOMAINS);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(invite_only_verified_domains)
    }

    /// The orgs the caller may join by the domain of their address: a verified domain with
    /// auto-join on, of an org the caller is not a member of (and within a pinned token's
    /// reach). Nothing until the caller's address is verified.
    #[instrument(skip_all)]
    pub async fn joinable(&self, actor: &Actor) -> Result<Joinable, DomainsError> {
        let tx = self.uow.read().await?;
        let (user, email_verified) = caller(&*tx, actor).await?;
        if !email_verified {
            return Ok(Joinable {
                email_verified,
                orgs: Vec::new(),
            });
        }
        let mut orgs = Vec::new();
        if let Some(domain) = admitting_domain(&*tx, &user).await?
            && actor.may_reach(domain.org_id)
            && tx
                .members()
                .find_member(domain.org_id, user.id)
                .await?
                .is_none()
            && let Some(org) = tx.orgs().find_org(domain.org_id).await?
        {
            orgs.push(JoinableOrg {
                org_id: org.id,
                org_name: org.name,
                domain: domain.domain,
                role: domain.default_role,
            });
        }
        Ok(Joinable {
            email_verified,
            orgs,
        })
    }

    /// Joins `org` through the verified domain of the caller's verified address, with the
    /// domain's default role; seats apply as for any newcomer. An org that does not admit the
    /// caller is "not found". Records `member.joined` with `via: domain`.
    #[instrument(skip_all, fields(org = %org))]
    pub async fn join(&self, actor: &Actor, org: OrgId) -> Result<Membership, DomainsError> {
        // Judged on a read first, so a caller who may not join never takes the write turn.
        {
            let read = self.uow.read_one().await?;
            admits(&*read, actor, org).await?;
        }
        let tx = self.uow.begin().await?;
        let org_row = lock_org(&*tx, org).await?;
        let (user, domain) = admits(&*tx, actor, org).await?;
        if tx.members().find_member(org, user.id).await?.is_some() {
            return Err(MemberError::AlreadyMember.into());
        }
        let role = resolve_role(&*tx, &org_row, domain.default_role).await?;
        let now = self.clock.now();
        ensure_seat(&*tx, &org_row, now, 0).await?;
        let membership = Membership {
            org_id: org,
            user_id: user.id,
            role,
            joined_at: now,
        };
        tx.members()
            .insert_member(&membership)
            .await
            .map_err(|error| match error {
                StoreError::Conflict(_) => MemberError::AlreadyMember.into(),
                other => DomainsError::from(other),
            })?;
        let event = AuditEvent::new(org, Some(actor), AuditAction::MemberJoined, now)
            .target("userId", user.id)
            .target("email", &user.email)
            .meta("role", membership.role.key())
            .meta("via", "domain")
            .meta("domain", &domain.domain)
            .meta("domainId", domain.id);
        tx.audit().append(&event).await?;
        tx.commit().await?;
        Ok(membership)
    }

    /// One round of the periodic check: looks up a batch of pending domains (those checked
    /// least recently) and verifies those whose record is now published. Returns how many
    /// were verified. A lookup that fails is logged and tried again in a later round.
    #[instrument(skip_all)]
    pub async fn recheck_pending(&self) -> Result<u64, DomainsError> {
        let pending = {
            let tx = self.uow.begin().await?;
            let pending = tx
                .domains()
                .claim_pending(self.clock.now(), RECHECK_BATCH)
                .await?;
            tx.commit().await?;
            pending
        };
        let mut verified = 0;
        for domain in pending {
            match self.ensure_published(&domain).await {
                Ok(()) => {}
                Err(DomainsError::VerificationFailed(why)) => {
                    tracing::debug!(domain = %domain.domain, %why, "domain not verified yet");
                    continue;
                }
                Err(other) => return Err(other),
            }
            let tx = self.uow.begin().await?;
            let Some(_) = tx.orgs().lock_org(domain.org_id).await? else {
                continue;
            };
            let Some(current) = tx.domains().find_domain(domain.org_id, domain.id).await? else {
                continue;
            };
            if current.is_verified() {
                continue;
            }
            match confirm(&*tx, current, self.clock.now(), None).await {
                Ok(_) => {
                    tx.commit().await?;
                    verified += 1;
                }
                Err(DomainsError::Taken) => {
                    tracing::info!(domain = %domain.domain, "domain verified by another org first");
                }
                Err(other) => return Err(other),
            }
        }
        Ok(verified)
    }

    /// Refuses unless the domain's challenge name has a TXT record holding its challenge.
    async fn ensure_published(&self, domain: &OrgDomain) -> Result<(), DomainsError> {
        let name = domain.domain.challenge_name();
        let records = self.resolver.txt_records(&name).await?;
        if records
            .iter()
            .any(|record| record.trim() == domain.challenge)
        {
            Ok(())
        } else {
            Err(DomainsError::VerificationFailed(format!(
                "no TXT record at {name} holds {} ({} other record(s) found); publish it and \
                 try again once DNS has it",
                domain.challenge,
                records.len()
            )))
        }
    }

    /// Checks the caller on a read, then opens the write transaction, locks the org and
    /// checks the caller again under the lock.
    async fn write_tx(
        &self,
        actor: &Actor,
        org: OrgId,
    ) -> Result<(Box<dyn Transaction>, Org), DomainsError> {
        let tx =
            Access::begin_for::<DomainsError>(&*self.uow, actor, &[(org, SETTINGS_WRITE)]).await?;
        let org_row = lock_org(&*tx, org).await?;
        Access::load::<DomainsError>(&*tx, org, actor, SETTINGS_WRITE).await?;
        Ok((tx, org_row))
    }
}

/// Marks `domain` verified and records it, unless another org holds it verified.
async fn confirm(
    tx: &dyn Transaction,
    mut domain: OrgDomain,
    now: OffsetDateTime,
    actor: Option<&Actor>,
) -> Result<OrgDomain, DomainsError> {
    if let Some(holder) = tx.domains().find_verified(&domain.domain).await?
        && holder.org_id != domain.org_id
    {
        return Err(DomainsError::Taken);
    }
    tx.domains()
        .mark_verified(domain.id, now)
        .await
        .map_err(|error| match error {
            // Another org verified it between the read and the write.
            StoreError::Conflict(_) => DomainsError::Taken,
            other => other.into(),
        })?;
    domain.verified_at = Some(now);
    let via = if actor.is_some() {
        "request"
    } else {
        "recheck"
    };
    let event = domain_event(&domain, actor, AuditAction::DomainVerified, now).meta("via", via);
    tx.audit().append(&event).await?;
    Ok(domain)
}

fn domain_event(
    domain: &OrgDomain,
    actor: Option<&Actor>,
    action: AuditAction,
    at: OffsetDateTime,
) -> AuditEvent {
    AuditEvent::new(domain.org_id, actor, action, at)
        .target("domainId", domain.id)
        .target("domain", &domain.domain)
}

async fn found(tx: &dyn Transaction, org: OrgId, id: DomainId) -> Result<OrgDomain, DomainsError> {
    tx.domains()
        .find_domain(org, id)
        .await?
        .ok_or(DomainsError::NotFound)
}

async fn lock_org(tx: &dyn Transaction, org: OrgId) -> Result<Org, DomainsError> {
    tx.orgs()
        .lock_org(org)
        .await?
        .ok_or(DomainsError::OrgNotFound)
}

/// The caller's account and whether its address is verified.
async fn caller(tx: &dyn Transaction, actor: &Actor) -> Result<(User, bool), DomainsError> {
    let user = tx
        .users()
        .find_user(actor.user_id)
        .await?
        .ok_or(MemberError::UserNotFound)?;
    let verified = tx.users().email_verified(user.id).await?;
    Ok((user, verified))
}

/// The verified domain, with auto-join on, of the user's address, if an org holds one.
async fn admitting_domain(
    tx: &dyn Transaction,
    user: &User,
) -> Result<Option<OrgDomain>, DomainsError> {
    let Some(name) = DomainName::of_email(&user.email) else {
        return Ok(None);
    };
    Ok(tx
        .domains()
        .find_verified(&name)
        .await?
        .filter(|domain| domain.auto_join))
}

/// The caller and the domain through which `org` admits them; an org that does not is "not
/// found", so the answer says nothing about orgs the caller cannot join.
async fn admits(
    tx: &dyn Transaction,
    actor: &Actor,
    org: OrgId,
) -> Result<(User, OrgDomain), DomainsError> {
    if !actor.may_reach(org) {
        return Err(DomainsError::OrgNotFound);
    }
    let (user, verified) = caller(tx, actor).await?;
    let domain = match admitting_domain(tx, &user).await? {
        Some(domain) if domain.org_id == org => domain,
        _ => return Err(DomainsError::OrgNotFound),
    };
    // Only an org that would admit the address is told apart, so that the caller learns what
    // to do; it is never offered before the address is verified.
    if !verified {
        return Err(DomainsError::EmailUnverified);
    }
    Ok((user, domain))
}

/// Refuses `email` for an invitation when the org allows only its verified domains and the
/// address is on none of them.
pub(crate) async fn ensure_invitable(
    tx: &dyn Transaction,
    org: &Org,
    email: &crate::user::Email,
) -> Result<bool, StoreError> {
    if !org.settings.invite_only_verified_domains() {
        return Ok(true);
    }
    let Some(name) = DomainName::of_email(email) else {
        return Ok(false);
    };
    Ok(tx
        .domains()
        .find_verified(&name)
        .await?
        .is_some_and(|domain| domain.org_id == org.id))
}
