//! The use cases wired together: what an adapter builds once at start-up.

use std::sync::Arc;

use time::Duration;

use crate::audit::AuditService;
use crate::check::CheckService;
use crate::clock::Clock;
use crate::directory::DirectoryService;
use crate::domains::{DnsResolver, DomainService};
use crate::integration::{IntegrationService, Sealer};
use crate::invitation::{InvitationService, InvitationSettings};
use crate::member::MemberService;
use crate::org::OrgService;
use crate::ports::UnitOfWork;
use crate::role::RoleService;
use crate::user::{AuthService, PasswordHasher};
use crate::webhook::{WebhookSender, WebhookService};

/// Settings of the use cases.
#[derive(Clone, Debug)]
pub struct ServicesConfig {
    /// How long a bearer token issued at sign-in stays valid.
    pub token_ttl: Duration,
    /// How long an invitation or join link stays valid.
    pub invitation_ttl: Duration,
    /// The base of links in e-mails and of join links.
    pub public_url: String,
    /// How long an instance trusts a session it checked without reading it again: the bound
    /// on how late another instance sees a sign-out or a revoked token. Zero reads every time.
    pub session_cache_ttl: Duration,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::days(30),
            invitation_ttl: Duration::days(7),
            public_url: "http://127.0.0.1:8080".into(),
            session_cache_ttl: Duration::seconds(5),
        }
    }
}

/// Every use case, wired to the same ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// Accounts, sign-in and sessions, the active org, API tokens and TOTP.
    pub auth: AuthService,
    /// Organizations. Shares the session cache of `auth`, so deleting an org ends the API
    /// tokens pinned to it on this instance at once.
    pub orgs: OrgService,
    /// Memberships: list, change role, remove, move, transfer ownership, leave, and the
    /// operator's add and import.
    pub members: MemberService,
    /// Custom roles.
    pub roles: RoleService,
    /// Invitations by e-mail and join links.
    pub invitations: InvitationService,
    /// Reading, verifying and exporting the audit log, and its retention.
    pub audit: AuditService,
    /// An org's integrations and their sealed credentials.
    pub integrations: IntegrationService,
    /// Permission checks for the other services of a product.
    pub checks: CheckService,
    /// An org's webhooks and their delivery log.
    pub webhooks: WebhookService,
    /// Directory sync (SCIM): the org's identity provider provisions its members.
    pub directory: DirectoryService,
    /// Verified domains, auto-join and the org's invite-only-within-its-domains policy.
    pub domains: DomainService,
}

impl Services {
    /// Wires every use case to the same store, password hasher, clock, sealer (which
    /// encrypts integration credentials, TOTP and webhook secrets at rest) and webhook sender
    /// (which judges the URLs webhooks may post to) and DNS resolver (which looks up the TXT
    /// records that verify domains), with `config`.
    pub fn new(
        uow: Arc<dyn UnitOfWork>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        sealer: Arc<dyn Sealer>,
        sender: Arc<dyn WebhookSender>,
        resolver: Arc<dyn DnsResolver>,
        config: ServicesConfig,
    ) -> Self {
        let auth = AuthService::new(
            uow.clone(),
            hasher.clone(),
            clock.clone(),
            sealer.clone(),
            config.token_ttl,
            config.session_cache_ttl,
        )
        .linking_to(&config.public_url);
        Self {
            integrations: IntegrationService::new(uow.clone(), clock.clone(), sealer.clone()),
            webhooks: WebhookService::new(uow.clone(), clock.clone(), sealer.clone(), sender),
            orgs: OrgService::new(uow.clone(), clock.clone())
                .sharing_sessions(auth.session_cache()),
            auth,
            invitations: InvitationService::new(
                uow.clone(),
                hasher,
                clock.clone(),
                InvitationSettings {
                    ttl: config.invitation_ttl,
                    public_url: config.public_url,
                    session_ttl: config.token_ttl,
                },
            ),
            audit: AuditService::new(uow.clone(), clock.clone()),
            members: MemberService::new(uow.clone(), clock.clone()),
            directory: DirectoryService::new(uow.clone(), clock.clone()),
            domains: DomainService::new(uow.clone(), clock.clone(), resolver),
            checks: CheckService::new(uow.clone()),
            roles: RoleService::new(uow, clock),
        }
    }
}
