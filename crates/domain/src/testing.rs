//! Test doubles of the ports: mockall mocks of every repository, gathered into one transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::audit::{AuditRepository, MockAuditRepository};
use crate::clock::Clock;
use crate::error::StoreError;
use crate::member::{MemberRepository, MockMemberRepository};
use crate::org::{MockOrgRepository, OrgRepository};
use crate::ports::{MockUnitOfWork, Transaction};
use crate::role::{MockRoleRepository, RoleRepository};
use crate::user::{MockSessionRepository, MockUserRepository, SessionRepository, UserRepository};

/// A transaction whose repositories are mockall mocks. Set expectations on the fields, then
/// hand it to [`MockTransaction::into_unit_of_work`]; [`Committed`] tells whether the use case
/// committed.
#[derive(Default)]
pub struct MockTransaction {
    pub users: MockUserRepository,
    pub sessions: MockSessionRepository,
    pub orgs: MockOrgRepository,
    pub members: MockMemberRepository,
    pub roles: MockRoleRepository,
    pub audit: MockAuditRepository,
    committed: Committed,
}

/// Whether a [`MockTransaction`] was committed.
#[derive(Clone, Default)]
pub struct Committed(Arc<AtomicBool>);

impl Committed {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl MockTransaction {
    /// A unit of work that hands out this transaction once, for both reads and writes, and
    /// the flag that reports its commit.
    pub fn into_unit_of_work(self) -> (MockUnitOfWork, Committed) {
        let committed = self.committed.clone();
        let shared = Arc::new(std::sync::Mutex::new(Some(self)));
        let mut uow = MockUnitOfWork::new();
        let for_begin = shared.clone();
        uow.expect_begin().returning(move || take(&for_begin));
        uow.expect_read().returning(move || take(&shared));
        (uow, committed)
    }
}

type Shared = Arc<std::sync::Mutex<Option<MockTransaction>>>;

fn take(shared: &Shared) -> Result<Box<dyn Transaction>, StoreError> {
    let taken = shared.lock().ok().and_then(|mut slot| slot.take());
    taken
        .map(|tx| Box::new(tx) as Box<dyn Transaction>)
        .ok_or_else(|| StoreError::Unavailable("the mock transaction was already used".into()))
}

#[async_trait]
impl Transaction for MockTransaction {
    fn users(&self) -> &dyn UserRepository {
        &self.users
    }
    fn sessions(&self) -> &dyn SessionRepository {
        &self.sessions
    }
    fn orgs(&self) -> &dyn OrgRepository {
        &self.orgs
    }
    fn members(&self) -> &dyn MemberRepository {
        &self.members
    }
    fn roles(&self) -> &dyn RoleRepository {
        &self.roles
    }
    fn audit(&self) -> &dyn AuditRepository {
        &self.audit
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.committed.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}

/// A clock stopped at one instant.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}
