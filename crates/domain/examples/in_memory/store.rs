//! The store: plain collections behind one `std::sync::Mutex`, and the transactions over them.
//!
//! Transactions are the simplest honest kind: `begin()` copies the committed state, every
//! write goes to that working copy, and `commit()` replaces the committed state with it;
//! dropping a transaction without committing throws its copy, and so its writes, away. Instead
//! of row locks, `commit()` refuses when another transaction committed since this one began,
//! so an overlapping writer fails rather than silently undoing the other's writes (a real
//! store would have made it wait at `lock_org`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tenantry_domain::audit::{AuditEvent, AuditRepository, ChainLink};
use tenantry_domain::authz::BuiltinRole;
use tenantry_domain::directory::DirectoryRepository;
use tenantry_domain::error::StoreError;
use tenantry_domain::ids::{OrgId, RoleId, UserId};
use tenantry_domain::integration::IntegrationRepository;
use tenantry_domain::invitation::InvitationRepository;
use tenantry_domain::mail::OutboxRepository;
use tenantry_domain::member::MemberRepository;
use tenantry_domain::org::{Org, OrgRepository};
use tenantry_domain::ports::{Transaction, UnitOfWork};
use tenantry_domain::role::{CustomRole, RoleRepository};
use tenantry_domain::user::{
    PasswordHash, Session, SessionRepository, TokenHash, User, UserRepository,
};
use tenantry_domain::webhook::WebhookRepository;
use time::OffsetDateTime;

/// Everything the store keeps, as the rows of the SQL adapter would be. Each transaction
/// clones it whole: fine for an example's handful of rows, not for a real data set.
#[derive(Clone, Default)]
pub struct State {
    pub users: BTreeMap<UserId, UserRow>,
    pub sessions: HashMap<TokenHash, Session>,
    pub orgs: BTreeMap<OrgId, OrgRow>,
    pub members: BTreeMap<(OrgId, UserId), MemberRow>,
    pub roles: BTreeMap<RoleId, CustomRole>,
    /// Every org's audit log, in the order appended.
    pub audit: Vec<(ChainLink, AuditEvent)>,
    /// Each account's e-mail verification token (its hash) and expiry: one live link each.
    pub email_verifications: BTreeMap<UserId, (TokenHash, OffsetDateTime)>,
    /// Mail queued by the use cases (sign-up mails a verification link); nothing sends it.
    pub outbox: Vec<tenantry_domain::mail::Mail>,
}

#[derive(Clone)]
pub struct UserRow {
    pub user: User,
    pub password_hash: PasswordHash,
}

#[derive(Clone)]
pub struct OrgRow {
    pub org: Org,
    /// Moves with every change of the member list, which is what `MembersVersion` promises
    /// to caches and ETags.
    pub members_version: u64,
    /// The head of the org's audit chain: the newest event's place (0 before the first) and
    /// its hash, which the next event links to.
    pub audit_seq: u64,
    pub audit_head: Option<String>,
}

/// A membership as stored. A custom role is kept by id, not copied, so that its holders'
/// access always reflects the role as it is now, as the SQL adapter's join does.
#[derive(Clone)]
pub struct MemberRow {
    pub role: RoleRef,
    pub joined_at: OffsetDateTime,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RoleRef {
    Builtin(BuiltinRole),
    Custom(RoleId),
}

/// How many rows of each kind are committed, for the example's summary.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub users: usize,
    pub sessions: usize,
    pub orgs: usize,
    pub members: usize,
    pub roles: usize,
    pub audit_events: usize,
}

/// Implements [`UnitOfWork`]. Clones share the same data.
#[derive(Clone, Default)]
pub struct MemoryStore {
    shared: Arc<Mutex<Committed>>,
}

#[derive(Default)]
struct Committed {
    state: State,
    /// Counts commits, so that a transaction can tell whether another one committed since it
    /// began.
    generation: u64,
}

impl MemoryStore {
    /// What is committed now.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let committed = lock(&self.shared)?;
        let state = &committed.state;
        Ok(Counts {
            users: state.users.len(),
            sessions: state.sessions.len(),
            orgs: state.orgs.len(),
            members: state.members.len(),
            roles: state.roles.len(),
            audit_events: state.audit.len(),
        })
    }

    fn open(&self, writable: bool) -> Result<Box<dyn Transaction>, StoreError> {
        let committed = lock(&self.shared)?;
        Ok(Box::new(MemoryTx {
            working: Mutex::new(committed.state.clone()),
            generation: committed.generation,
            writable,
            shared: Arc::clone(&self.shared),
        }))
    }
}

#[async_trait]
impl UnitOfWork for MemoryStore {
    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        self.open(true)
    }

    async fn read(&self) -> Result<Box<dyn Transaction>, StoreError> {
        self.open(false)
    }
}

/// One transaction: its own copy of the state, and the way back to the shared one.
pub struct MemoryTx {
    working: Mutex<State>,
    generation: u64,
    writable: bool,
    shared: Arc<Mutex<Committed>>,
}

impl MemoryTx {
    /// The working copy, to read.
    pub fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        lock(&self.working)
    }

    /// The working copy, to change; refused in a read transaction, which is never committed
    /// and would lose the write without a word.
    pub fn state_mut(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        if !self.writable {
            return Err(StoreError::Unavailable(
                "a write in a read-only transaction of the in-memory example store".into(),
            ));
        }
        lock(&self.working)
    }
}

#[async_trait]
impl Transaction for MemoryTx {
    fn users(&self) -> &dyn UserRepository {
        self
    }

    fn sessions(&self) -> &dyn SessionRepository {
        self
    }

    fn orgs(&self) -> &dyn OrgRepository {
        self
    }

    fn members(&self) -> &dyn MemberRepository {
        self
    }

    fn roles(&self) -> &dyn RoleRepository {
        self
    }

    fn audit(&self) -> &dyn AuditRepository {
        self
    }

    fn invitations(&self) -> &dyn InvitationRepository {
        self
    }

    fn outbox(&self) -> &dyn OutboxRepository {
        self
    }

    fn integrations(&self) -> &dyn IntegrationRepository {
        self
    }

    fn webhooks(&self) -> &dyn WebhookRepository {
        self
    }

    fn directory(&self) -> &dyn DirectoryRepository {
        self
    }

    fn domains(&self) -> &dyn tenantry_domain::domains::DomainRepository {
        self
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Self {
            working,
            generation,
            writable,
            shared,
        } = *self;
        if !writable {
            // Nothing can have been written (`state_mut` refuses), so there is nothing to keep.
            return Ok(());
        }
        let mut committed = lock(&shared)?;
        if committed.generation != generation {
            return Err(StoreError::Unavailable(
                "another transaction committed since this one began; this one's writes are \
                 dropped"
                    .into(),
            ));
        }
        committed.state = working.into_inner().map_err(|_| poisoned())?;
        committed.generation += 1;
        Ok(())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>, StoreError> {
    mutex.lock().map_err(|_| poisoned())
}

fn poisoned() -> StoreError {
    StoreError::Unavailable("a panic poisoned the in-memory example store's lock".into())
}

/// The answer of every repository method this example does not need: an error saying so,
/// which the use cases pass on as an internal error, rather than a wrong answer or a panic.
pub fn not_kept<T>(method: &str) -> Result<T, StoreError> {
    Err(StoreError::Unavailable(format!(
        "{method}: not kept by the in-memory example store"
    )))
}
