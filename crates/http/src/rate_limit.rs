//! Brute-force protection for sign-up and sign-in: a token bucket per client address and, for
//! sign-in, per e-mail address, so that neither one client nor many clients can guess a password
//! quickly. In memory, per process.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// How often stale buckets are dropped, in checks; keeps memory bounded by recent clients.
const SWEEP_EVERY: u64 = 4096;

pub struct AuthRateLimit {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_email: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl AuthRateLimit {
    /// `attempts` per minute for each client address and each e-mail, in bursts of as many.
    pub fn per_minute(attempts: NonZeroU32) -> Self {
        let quota = Quota::per_minute(attempts);
        Self {
            per_client: RateLimiter::keyed(quota),
            per_email: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one attempt from the client's bucket and, if given, the e-mail's.
    pub(crate) fn check(
        &self,
        client: Option<IpAddr>,
        email: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.per_client.retain_recent();
            self.per_email.retain_recent();
        }
        let refused = client
            .and_then(|ip| self.per_client.check_key(&ip).err())
            .or_else(|| email.and_then(|email| self.per_email.check_key(&email.to_owned()).err()));
        match refused {
            None => Ok(()),
            Some(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(ApiError::rate_limited(wait.as_secs().max(1)))
            }
        }
    }
}
