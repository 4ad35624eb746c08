//! Brute-force protection for sign-up and sign-in: a token bucket per client address and, for
//! sign-in, per e-mail address, so that neither one client nor many clients can guess a password
//! quickly. In memory, per process. The client address is the one `TrustedProxies` names (the
//! socket peer, or `X-Forwarded-For` from a trusted proxy); IPv6 clients are grouped by /64,
//! the block one subscriber gets, so that rotating addresses within it gains nothing.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use tenantry_domain::user::AttemptLimit;

use crate::error::ApiError;

/// How often stale buckets are dropped, in checks; keeps memory bounded by recent clients.
const SWEEP_EVERY: u64 = 4096;

/// Buckets kept per limiter at most (a few dozen bytes each). Past it, stale buckets go at
/// once, and if all are recent the limiter starts afresh: memory wins over exactness when
/// that many addresses try within a minute.
pub const MAX_BUCKETS: usize = 100_000;

/// The key of a client: its IPv4 address, or the /64 of its IPv6 address (an IPv4 address
/// mapped into IPv6 counts as that IPv4 address).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let network = u128::from(v6) & !(u128::MAX >> 64);
                IpAddr::V6(Ipv6Addr::from(network))
            }
        },
    }
}

pub struct AuthRateLimit {
    per_client: Buckets<IpAddr>,
    per_account: Buckets<String>,
    checks: AtomicU64,
}

/// A keyed limiter that can start afresh when it holds too many buckets.
struct Buckets<K: Hash + Eq + Clone> {
    quota: Quota,
    limiter: RwLock<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    fn new(quota: Quota) -> Self {
        Self {
            quota,
            limiter: RwLock::new(RateLimiter::keyed(quota)),
        }
    }

    fn limiter(&self) -> RwLockReadGuard<'_, DefaultKeyedRateLimiter<K>> {
        self.limiter.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn retain_recent(&self) {
        self.limiter().retain_recent();
    }

    fn len(&self) -> usize {
        self.limiter().len()
    }

    /// Keeps at most [`MAX_BUCKETS`]: stale ones go first, then all.
    fn bound(&self) {
        if self.len() < MAX_BUCKETS {
            return;
        }
        self.retain_recent();
        if self.len() >= MAX_BUCKETS {
            *self.limiter.write().unwrap_or_else(PoisonError::into_inner) =
                RateLimiter::keyed(self.quota);
        }
    }

    fn check(&self, key: &K) -> Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>> {
        self.limiter().check_key(key)
    }
}

impl AuthRateLimit {
    /// `attempts` per minute for each client address and each account, in bursts of as many.
    pub fn per_minute(attempts: NonZeroU32) -> Self {
        let quota = Quota::per_minute(attempts);
        Self {
            per_client: Buckets::new(quota),
            per_account: Buckets::new(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one attempt from the client's bucket and, if given, the account's (an e-mail
    /// address for sign-in, a user id once signed in).
    pub(crate) fn check(
        &self,
        client: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<(), ApiError> {
        self.attempt(client, account)
            .map_err(ApiError::rate_limited)
    }
}

impl AttemptLimit for AuthRateLimit {
    fn attempt(&self, client: Option<IpAddr>, account: Option<&str>) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.per_client.retain_recent();
            self.per_account.retain_recent();
        }
        self.per_client.bound();
        self.per_account.bound();
        let refused = client
            .map(client_key)
            .and_then(|key| self.per_client.check(&key).err())
            .or_else(|| account.and_then(|key| self.per_account.check(&key.to_owned()).err()));
        match refused {
            None => Ok(()),
            Some(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(wait.as_secs().max(1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64_and_mapped_ipv4_is_ipv4() {
        let limit = AuthRateLimit::per_minute(NonZeroU32::new(2).unwrap());
        for address in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
            assert!(limit.check(Some(ip(address)), None).is_ok());
        }
        let rotated = limit.check(Some(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), None);
        assert!(
            rotated.is_err(),
            "a third address in the same /64 is the same client"
        );
        assert!(
            limit.check(Some(ip("2001:db8:1:3::1")), None).is_ok(),
            "another /64"
        );

        assert!(limit.check(Some(ip("192.0.2.7")), None).is_ok());
        assert!(limit.check(Some(ip("::ffff:192.0.2.7")), None).is_ok());
        assert!(limit.check(Some(ip("192.0.2.7")), None).is_err());
    }

    #[test]
    fn memory_stays_bounded_however_many_addresses_try() {
        let limit = AuthRateLimit::per_minute(NonZeroU32::new(1).unwrap());
        for n in 0..(MAX_BUCKETS as u32 + 10) {
            let address = IpAddr::V4(std::net::Ipv4Addr::from(0x0A00_0000 + n));
            limit.check(Some(address), None).ok();
        }
        assert!(limit.per_client.len() <= MAX_BUCKETS);
    }
}
