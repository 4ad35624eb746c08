//! Test doubles of the ports: mockall mocks of every repository, gathered into one transaction.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::audit::{AuditRepository, MockAuditRepository};
use crate::clock::Clock;
use crate::directory::{DirectoryRepository, MockDirectoryRepository};
use crate::domains::{DomainRepository, MockDomainRepository};
use crate::error::StoreError;
use crate::ids::{OrgId, UserId};
use crate::integration::{IntegrationRepository, MockIntegrationRepository};
use crate::invitation::{InvitationRepository, MockInvitationRepository};
use crate::mail::{MockOutboxRepository, OutboxRepository};
use crate::member::{MemberRepository, Membership, MockMemberRepository};
use crate::org::{MockOrgRepository, Org, OrgRepository};
use crate::ports::{MockUnitOfWork, Transaction};
use crate::role::{MockRoleRepository, RoleRepository};
use crate::user::{MockSessionRepository, MockUserRepository, SessionRepository, UserRepository};
use crate::webhook::{MockWebhookRepository, WebhookRepository};

/// A transaction whose repositories are mockall mocks. Set expectations on the fields, then
/// hand it to [`MockTransaction::into_unit_of_work`]; [`Committed`] tells whether the use case
/// committed.
#[derive(Default)]
pub struct MockTransaction {
    /// What `users()` answers.
    pub users: MockUserRepository,
    /// What `sessions()` answers.
    pub sessions: MockSessionRepository,
    /// What `orgs()` answers.
    pub orgs: MockOrgRepository,
    /// What `members()` answers.
    pub members: MockMemberRepository,
    /// What `roles()` answers.
    pub roles: MockRoleRepository,
    /// What `audit()` answers.
    pub audit: MockAuditRepository,
    /// What `invitations()` answers.
    pub invitations: MockInvitationRepository,
    /// What `outbox()` answers.
    pub outbox: MockOutboxRepository,
    /// What `integrations()` answers.
    pub integrations: MockIntegrationRepository,
    /// What `webhooks()` answers.
    pub webhooks: MockWebhookRepository,
    /// What `directory()` answers.
    pub directory: MockDirectoryRepository,
    /// What `domains()` answers.
    pub domains: MockDomainRepository,
    committed: Committed,
    begun: Committed,
    /// What `given_member` set, for `find_accesses`.
    accesses: Arc<Mutex<Vec<crate::member::MemberAccess>>>,
    /// The display names `given_name` set, which later `given_member` calls read.
    names: std::collections::HashMap<UserId, String>,
}

/// Whether something happened to a [`MockTransaction`]: committed, or opened for a write.
#[derive(Clone, Default)]
pub struct Committed(Arc<AtomicBool>);

impl Committed {
    /// Whether it happened.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl MockTransaction {
    /// A unit of work that hands out this transaction once, for a read or a write, and the
    /// flag that reports its commit. Single-statement reads ([`crate::ports::UnitOfWork::read_one`]) see it
    /// without using it up: a write use case checks its caller on such a read before it opens
    /// the write transaction, and the check reads what the write will read.
    pub fn into_unit_of_work(self) -> (MockUnitOfWork, Committed) {
        let committed = self.committed();
        (hand_out(vec![self], true), committed)
    }

    /// The flag that reports whether the use case committed this transaction.
    pub fn committed(&self) -> Committed {
        self.committed.clone()
    }

    /// Whether a write transaction was opened on this one (committed or not): a caller refused
    /// before the write never opens one.
    pub fn begun(&self) -> Committed {
        self.begun.clone()
    }
}

impl MockTransaction {
    /// Memberships given after this read `user`'s display name as `name` (else "Member <id>").
    pub fn given_name(&mut self, user: UserId, name: &str) {
        self.names.insert(user, name.to_owned());
    }

    /// `find_member(org, user)` answers `membership` (any number of times).
    pub fn given_member(&mut self, org: OrgId, user: UserId, membership: Option<Membership>) {
        let name = self
            .names
            .get(&user)
            .cloned()
            .unwrap_or_else(|| format!("Member {user}"));
        let access = membership
            .clone()
            .map(|membership| crate::member::MemberAccess {
                membership,
                org_requires_mfa: false,
                has_mfa: false,
                members_version: crate::member::MembersVersion(7),
                suspended: false,
                name: crate::user::UserName::from_trusted(name),
            });
        self.members
            .expect_find_member()
            .withf(move |o, u| *o == org && *u == user)
            .returning(move |_, _| Ok(membership.clone()));
        let first = {
            let mut accesses = lock(&self.accesses);
            let first = accesses.is_empty();
            accesses.extend(access.clone());
            first
        };
        if first {
            // One expectation answers every batch from what the given_* calls set.
            let given = self.accesses.clone();
            self.members
                .expect_find_accesses()
                .returning(move |org, users| {
                    Ok(lock(&given)
                        .iter()
                        .filter(|a| {
                            a.membership.org_id == org && users.contains(&a.membership.user_id)
                        })
                        .cloned()
                        .collect())
                });
        }
        self.members
            .expect_find_access()
            .withf(move |o, u| *o == org && *u == user)
            .returning(move |_, _| Ok(access.clone()));
    }

    /// `user` holds `role` in `org`.
    pub fn given_role(&mut self, org: &Org, user: UserId, role: crate::member::AssignedRole) {
        let membership = Membership {
            org_id: org.id,
            user_id: user,
            role,
            joined_at: fixtures::NOW,
        };
        self.given_member(org.id, user, Some(membership));
    }

    /// `lock_org` (and `find_org`) of `org.id` answer `org`.
    pub fn given_org(&mut self, org: &Org) {
        let (id, locked, found) = (org.id, org.clone(), org.clone());
        self.orgs
            .expect_lock_org()
            .withf(move |o| *o == id)
            .returning(move |_| Ok(Some(locked.clone())));
        self.orgs
            .expect_find_org()
            .withf(move |o| *o == id)
            .returning(move |_| Ok(Some(found.clone())));
    }

    /// Any number of audit events are accepted; they are collected for inspection.
    pub fn record_audit(&mut self) -> Arc<Mutex<Vec<crate::audit::AuditEvent>>> {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        self.audit.expect_append().returning(move |event| {
            if let Ok(mut events) = sink.lock() {
                events.push(event.clone());
            }
            Ok(())
        });
        events
    }
}

/// A unit of work that hands out `transactions` in order, whether the use case asks for a
/// read (of one statement or several) or a write; asking for more fails with a store error.
pub fn unit_of_work(transactions: Vec<MockTransaction>) -> (MockUnitOfWork, Vec<Committed>) {
    let committed = transactions
        .iter()
        .map(MockTransaction::committed)
        .collect();
    (hand_out(transactions, false), committed)
}

/// `peek`: single-statement reads look at the next transaction instead of taking it.
fn hand_out(transactions: Vec<MockTransaction>, peek: bool) -> MockUnitOfWork {
    let queue: Shared = Arc::new(Mutex::new(transactions.into_iter().map(Arc::new).collect()));
    let mut uow = MockUnitOfWork::new();
    let for_begin = queue.clone();
    uow.expect_begin().returning(move || {
        let tx = take(&for_begin)?;
        tx.begun.0.store(true, Ordering::SeqCst);
        Ok(Box::new(SharedTransaction(tx)))
    });
    let for_read = queue.clone();
    uow.expect_read()
        .returning(move || Ok(Box::new(SharedTransaction(take(&for_read)?))));
    uow.expect_read_one().returning(move || {
        let next = if peek {
            queue.lock().ok().and_then(|queue| queue.front().cloned())
        } else {
            take(&queue).ok()
        };
        next.map(|tx| Box::new(SharedTransaction(tx)) as Box<dyn Transaction>)
            .ok_or_else(no_more)
    });
    uow
}

type Shared = Arc<Mutex<VecDeque<Arc<MockTransaction>>>>;

fn take(shared: &Shared) -> Result<Arc<MockTransaction>, StoreError> {
    let taken = shared.lock().ok().and_then(|mut queue| queue.pop_front());
    taken.ok_or_else(no_more)
}

fn no_more() -> StoreError {
    StoreError::Unavailable("no more mock transactions".into())
}

/// A [`MockTransaction`] as handed out: shared, so a read can look at the transaction a write
/// will take next.
struct SharedTransaction(Arc<MockTransaction>);

#[async_trait]
impl Transaction for SharedTransaction {
    fn users(&self) -> &dyn UserRepository {
        &self.0.users
    }
    fn sessions(&self) -> &dyn SessionRepository {
        &self.0.sessions
    }
    fn orgs(&self) -> &dyn OrgRepository {
        &self.0.orgs
    }
    fn members(&self) -> &dyn MemberRepository {
        &self.0.members
    }
    fn roles(&self) -> &dyn RoleRepository {
        &self.0.roles
    }
    fn audit(&self) -> &dyn AuditRepository {
        &self.0.audit
    }
    fn invitations(&self) -> &dyn InvitationRepository {
        &self.0.invitations
    }
    fn outbox(&self) -> &dyn OutboxRepository {
        &self.0.outbox
    }
    fn integrations(&self) -> &dyn IntegrationRepository {
        &self.0.integrations
    }
    fn webhooks(&self) -> &dyn WebhookRepository {
        &self.0.webhooks
    }
    fn directory(&self) -> &dyn DirectoryRepository {
        &self.0.directory
    }
    fn domains(&self) -> &dyn DomainRepository {
        &self.0.domains
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.committed.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// The lock, even if a panicking test poisoned it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A clock stopped at one instant.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

/// Sample values for tests of the use cases.
pub mod fixtures {
    use time::OffsetDateTime;

    use crate::authz::{Actor, BuiltinRole, PermissionSet};
    use crate::ids::{OrgId, RoleId, UserId};
    use crate::member::{AssignedRole, Membership};
    use crate::org::{Org, OrgName};
    use crate::plan::Plan;
    use crate::role::{CustomRole, RoleName};

    /// The fixed "now" of the fixtures and of [`crate::testing::FixedClock`] in tests.
    pub const NOW: OffsetDateTime = time::macros::datetime!(2026-01-15 10:00 UTC);

    /// A new org named Acme on `plan`, created at [`NOW`].
    pub fn org(plan: Plan) -> Org {
        Org {
            id: OrgId::generate(),
            name: OrgName::from_trusted("Acme".into()),
            plan,
            created_at: NOW,
            settings: crate::org::OrgSettings::default(),
        }
    }

    /// A caller with a new user id, no active org and no pinned token.
    pub fn actor() -> Actor {
        Actor::new(UserId::generate())
    }

    /// `user`'s membership of `org` with `role`, joined at [`NOW`].
    pub fn membership(org: &Org, user: UserId, role: AssignedRole) -> Membership {
        Membership {
            org_id: org.id,
            user_id: user,
            role,
            joined_at: NOW,
        }
    }

    /// `role` as a member holds it.
    pub fn builtin(role: BuiltinRole) -> AssignedRole {
        AssignedRole::Builtin(role)
    }

    /// A custom role named Custom of `org` holding `permissions`.
    pub fn custom_role(org: &Org, permissions: PermissionSet) -> CustomRole {
        CustomRole {
            id: RoleId::generate(),
            org_id: org.id,
            name: RoleName::from_trusted("Custom".into()),
            description: None,
            permissions,
            created_at: NOW,
        }
    }
}
