//! Serialised member-list pages, by org, page and version. A page serialised at a version is
//! that page for as long as the version stays (see [`MembersVersion`]), so a repeated request
//! costs the access check and no member read, no allocation per member and no JSON encoding.
//! Each instance keeps its own copy; the version lives in the database, so several replicas
//! never serve a page older than the version they just read.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::web::Bytes;
use tenantry_domain::ids::OrgId;
use tenantry_domain::member::{MemberPage, MembersVersion};

/// Memory the cached pages may take on one instance. A page larger than half of it (a whole
/// list of more than about 160,000 members) is served without being kept; requests for such a
/// page are then built one at a time (see `turns`), which also bounds the memory they take.
pub const MEMBER_LIST_CACHE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub(crate) struct CachedPage {
    pub version: MembersVersion,
    pub body: Bytes,
}

pub struct MemberListCache {
    state: Mutex<State>,
    /// Who builds a missing page: one request per page at a time, so that after a change the
    /// requests waiting for the same page read and serialise it once, not each (a stampede
    /// of 32 such builds put over 100 ms on the tail). Striped: memory stays fixed.
    turns: [tokio::sync::Mutex<()>; TURNS],
}

const TURNS: usize = 64;

impl Default for MemberListCache {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            turns: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }
}

#[derive(Default)]
struct State {
    pages: HashMap<(OrgId, MemberPage), CachedPage>,
    bytes: usize,
}

impl MemberListCache {
    fn state(&self) -> MutexGuard<'_, State> {
        // Entries are replaced whole; a panic elsewhere cannot leave one half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the turn to build the page `(org, page)`.
    pub(crate) async fn turn(
        &self,
        org: OrgId,
        page: MemberPage,
    ) -> tokio::sync::MutexGuard<'_, ()> {
        let mut hasher = std::hash::DefaultHasher::new();
        (org, page).hash(&mut hasher);
        let stripe = usize::try_from(hasher.finish() % TURNS as u64).unwrap_or_default();
        self.turns[stripe].lock().await
    }

    pub(crate) fn get(&self, org: OrgId, page: MemberPage) -> Option<CachedPage> {
        self.state().pages.get(&(org, page)).cloned()
    }

    pub(crate) fn put(&self, org: OrgId, page: MemberPage, cached: CachedPage) {
        let size = cached.body.len();
        if size > MEMBER_LIST_CACHE_BYTES / 2 {
            return;
        }
        let mut state = self.state();
        if let Some(old) = state.pages.remove(&(org, page.clone())) {
            state.bytes -= old.body.len();
        }
        // Any page may go: they are all cheap to make again, and the map keeps no order.
        while state.bytes + size > MEMBER_LIST_CACHE_BYTES {
            let Some(key) = state.pages.keys().next().cloned() else {
                break;
            };
            if let Some(evicted) = state.pages.remove(&key) {
                state.bytes -= evicted.body.len();
            }
        }
        state.bytes += size;
        state.pages.insert((org, page), cached);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(bytes: usize, version: u64) -> CachedPage {
        CachedPage {
            version: MembersVersion(version),
            body: Bytes::from(vec![b'x'; bytes]),
        }
    }

    #[test]
    fn keeps_the_newest_copy_of_a_page_and_stays_within_its_budget() {
        let cache = MemberListCache::default();
        let org = OrgId::generate();
        cache.put(org, MemberPage::default(), page(10, 1));
        cache.put(org, MemberPage::default(), page(20, 2));
        let held = cache.get(org, MemberPage::default()).map(|p| p.version);
        assert_eq!(held, Some(MembersVersion(2)));
        assert_eq!(cache.state().bytes, 20);

        let quarter = MEMBER_LIST_CACHE_BYTES / 4;
        for _ in 0..6 {
            cache.put(OrgId::generate(), MemberPage::default(), page(quarter, 1));
        }
        assert!(cache.state().bytes <= MEMBER_LIST_CACHE_BYTES);
        cache.put(
            OrgId::generate(),
            MemberPage::default(),
            page(quarter + 1, 1),
        );
        assert!(cache.state().pages.len() <= 4);
    }
}
