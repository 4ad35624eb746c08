//! Sessions recently checked against the store, so that most requests authenticate in memory.
//!
//! An entry is trusted for a bounded time (`ttl`) after it was read. Signing out, revoking a
//! token or switching the active org forgets the entry on the instance that did it, so there
//! the change is immediate; another instance behind the same database notices within `ttl`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::{Duration, OffsetDateTime};

use super::model::User;
use super::token::{Session, TokenHash};
use crate::authz::Actor;
use crate::ids::{OrgId, SessionId};

/// How many sessions one instance keeps in memory at most (about 0.5 KB each).
pub const SESSION_CACHE_CAPACITY: usize = 100_000;

/// A live session and the account it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentSession {
    /// The session or API token the presented secret hashes to; unexpired when
    /// [`AuthService::current_session`](crate::user::AuthService::current_session) returns it.
    pub session: Session,
    /// Its account, as read with the session: up to the session cache's time to live old.
    pub user: User,
    /// Whether the account's address was verified, as read with the session.
    pub email_verified: bool,
}

impl CurrentSession {
    /// The actor this session speaks for.
    pub fn actor(&self) -> Actor {
        Actor::new(self.session.user_id)
            .in_org(self.session.active_org)
            .pinned_to(self.session.pinned_org)
            .as_service(self.session.service)
    }
}

struct Entry {
    current: Arc<CurrentSession>,
    checked_at: OffsetDateTime,
}

pub(crate) struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<TokenHash, Entry>>,
}

impl SessionCache {
    /// A zero `ttl` turns the cache off: every request reads the store.
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<TokenHash, Entry>> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters: every entry is replaced whole.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, hash: &TokenHash, now: OffsetDateTime) -> Option<Arc<CurrentSession>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries();
        let entry = entries.get(hash)?;
        let fresh = now < entry.checked_at + self.ttl && now < entry.current.session.expires_at;
        fresh.then(|| entry.current.clone())
    }

    pub(crate) fn put(&self, current: Arc<CurrentSession>, now: OffsetDateTime) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= SESSION_CACHE_CAPACITY {
            entries.retain(|_, entry| now < entry.checked_at + self.ttl);
            if entries.len() >= SESSION_CACHE_CAPACITY {
                entries.clear();
            }
        }
        let hash = current.session.token_hash.clone();
        entries.insert(
            hash,
            Entry {
                current,
                checked_at: now,
            },
        );
    }

    pub(crate) fn forget(&self, hash: &TokenHash) {
        self.entries().remove(hash);
    }

    /// Forgets the sessions that work in `org` (pinned or active there), for when it goes.
    pub(crate) fn forget_org(&self, org: OrgId) {
        self.entries().retain(|_, entry| {
            let session = &entry.current.session;
            session.pinned_org != Some(org) && session.active_org != Some(org)
        });
    }

    /// Forgets the sessions of `user`, whose account changed in a way they show.
    pub(crate) fn forget_user(&self, user: crate::ids::UserId) {
        self.entries()
            .retain(|_, entry| entry.current.session.user_id != user);
    }

    pub(crate) fn forget_session(&self, id: SessionId) {
        self.entries()
            .retain(|_, entry| entry.current.session.id != id);
    }
}
